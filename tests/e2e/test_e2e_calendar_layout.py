"""In a real browser (issue 17, defect 4): a busy month fits a 1280 px screen without
scrolling sideways, and on a phone (390 px) the month and the week become an agenda, a
list of the days that have entries, instead of a grid."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign, PromoWindow
from capacity.models import CapacityConstraint
from tests.e2e.conftest import sign_in
from tests.factories import InboundFactory
from tests.helpers import approved, make_world, submitted

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A name with no space to break at, and names longer than any cell.
UNBROKEN = "Diwali" + "Mega" * 20 + "Sale"
LONG = "Wedding season edit: lehengas, kurtas and festive jewellery for the whole family, all of India"

SCROLL_WIDTH = "document.documentElement.scrollWidth"

# For each day cell of the grid: the titles of its entries and its "+N more" text.
GRID_DAYS = """() => Object.fromEntries([...document.querySelectorAll('table.calendar td[data-day]')]
  .filter((td) => !td.classList.contains('outside'))
  .map((td) => [td.dataset.day, {
    titles: [...td.querySelectorAll('li.cal-entry')].map((li) => li.title),
    more: td.querySelector('.cal-more')?.textContent ?? null,
  }]))"""
AGENDA_DAYS = """() => Object.fromEntries([...document.querySelectorAll('.cal-agenda > li')]
  .map((li) => [li.dataset.agendaDay, {
    titles: [...li.querySelectorAll('li.cal-entry')].map((e) => e.title),
    more: li.querySelector('.cal-more')?.textContent ?? null,
  }]))"""
# Heat figures that stick out of their day cell.
HEAT_OUTSIDE = """() => [...document.querySelectorAll('table.calendar td .heat')].filter((heat) => {
  const cell = heat.closest('td').getBoundingClientRect(), box = heat.getBoundingClientRect();
  return box.left < cell.left - 0.5 || box.right > cell.right + 0.5;
}).map((heat) => heat.closest('td').dataset.day || heat.textContent)"""


def busy_month(maya, ishaan, lata) -> dt.date:
    """Next month, as crowded as the demo's busiest: campaigns of every status (long
    names among them), plans asking for more than the couriers take, constraints, promo
    windows and stock arrivals. Returns the month's first day."""
    today = timezone.localdate()
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    world = make_world(lane_capacity=500)

    def on(n: int) -> dt.date:
        return first + dt.timedelta(days=n)

    approved(world, maya, ishaan, lata, name=LONG, orders_per_day=300, starts_on=on(2), ends_on=on(20))
    submitted(world, maya, name=UNBROKEN, orders_per_day=2400, starts_on=on(5), ends_on=on(25))
    submitted(world, maya, name="Payday weekend flash sale", orders_per_day=900, starts_on=on(9), ends_on=on(12))
    statuses = ["draft", "submitted", "approved", "live", "paused", "changes_requested", "cancelled", "rejected"]
    Campaign.objects.bulk_create(
        Campaign(
            name=f"Campaign {i:02d}: " + ("festive " * (i % 6)) + "kurtas and tees for the north-east regions",
            owner=maya, channel=["meta", "google", "email", "influencer"][i % 4], status=statuses[i % len(statuses)],
            starts_on=on(i % 27), ends_on=on(i % 27 + i % 5), orders_per_day=10 + i, late_notice=i % 7 == 0,
        )
        for i in range(36)
    )  # fmt: skip
    for i, name in enumerate(["End of season sale", LONG, "Payday weekend", UNBROKEN]):
        PromoWindow.objects.create(name=name, starts_on=on(7 * i), ends_on=on(7 * i + 6))
    lane = world.lane_mumbai
    CapacityConstraint.objects.create(kind="courier_holiday", courier=lane.courier, starts_on=on(13), ends_on=on(13))
    CapacityConstraint.objects.create(
        kind="warehouse_blackout", warehouse=world.warehouse, starts_on=on(20), ends_on=on(21)
    )
    CapacityConstraint.objects.create(
        kind="reduced_capacity", region=world.pune, capacity_factor="0.5", starts_on=on(24), ends_on=on(27)
    )
    for i in range(8):
        InboundFactory(sku=world.sku, warehouse=world.warehouse, quantity=1200 + i, expected_on=on(3 * i + 1))
    return first


def test_a_busy_month_fits_1280_px_and_names_stay_whole_in_tooltips(page, maya, ishaan, lata, artifacts):
    first = busy_month(maya, ishaan, lata)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "maya")

    page.goto(f"/calendar/?month={first:%Y-%m}")

    assert page.evaluate(SCROLL_WIDTH) <= 1280
    assert page.locator("table.cal-month").is_visible()
    assert not page.locator(".cal-agenda").is_visible()
    assert page.evaluate(HEAT_OUTSIDE) == []
    # A truncated name is whole in its tooltip.
    assert page.locator(f'table.cal-month li.cal-entry[title^="Campaign: {UNBROKEN} (Submitted)"]').count() > 10
    assert page.locator(f'table.cal-month li.cal-entry[title^="Promo window: {LONG},"]').count() == 7
    page.screenshot(path=str(artifacts / "calendar-month-busy-1280.png"), full_page=True)

    page.goto(f"/calendar/?week={first + dt.timedelta(days=10):%G-W%V}")
    assert page.locator("table.cal-week").is_visible()
    assert page.evaluate(SCROLL_WIDTH) <= 1280
    assert page.evaluate(HEAT_OUTSIDE) == []

    # Between a phone and 1280 px the grids narrow and wrap; nothing sticks out.
    for path in (f"/calendar/?month={first:%Y-%m}", f"/calendar/?week={first + dt.timedelta(days=10):%G-W%V}"):
        page.goto(path)
        for width in (601, 768, 1024):
            page.set_viewport_size({"width": width, "height": 800})
            assert page.locator("table.calendar").is_visible()
            assert page.evaluate(SCROLL_WIDTH) <= width, (path, width)
            assert page.evaluate(HEAT_OUTSIDE) == [], (path, width)


def test_on_a_phone_the_month_and_the_week_are_an_agenda_of_the_days_with_entries(page, maya, ishaan, lata, artifacts):
    first = busy_month(maya, ishaan, lata)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "maya")
    page.goto(f"/calendar/?month={first:%Y-%m}")
    grid = page.evaluate(GRID_DAYS)

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(SCROLL_WIDTH) <= 390
    assert not page.locator("table.cal-month").is_visible()
    agenda = page.locator(".cal-agenda")
    assert agenda.is_visible()
    # Every day of the month with entries is a row, with the entries the grid shows
    # (and its "+N more"); days without entries are left out.
    assert page.evaluate(AGENDA_DAYS) == {day: cell for day, cell in grid.items() if cell["titles"]}
    assert len(grid) > page.locator(".cal-agenda > li").count() > 20
    assert agenda.get_by_role("link", name=UNBROKEN).first.is_visible()
    assert agenda.get_by_role("link", name=LONG).first.is_visible()
    for row in agenda.locator("li.cal-agenda-day").all():
        assert row.bounding_box()["width"] <= 390
    page.screenshot(path=str(artifacts / "calendar-agenda-busy-390.png"), full_page=True)

    # Keyboard: a day's heading is a link that opens the day.
    day = agenda.locator("h2 a").first
    day.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/calendar/?day=*")
    assert page.locator("section.cal-day-list").is_visible()

    page.goto(f"/calendar/?week={first + dt.timedelta(days=10):%G-W%V}")
    assert page.evaluate(SCROLL_WIDTH) <= 390
    assert not page.locator("table.cal-week").is_visible()
    assert page.locator(".cal-agenda > li").count() == 7  # every day of that week has entries
    assert page.locator(".cal-agenda li.cal-entry").count() >= 7
