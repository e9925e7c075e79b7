"""The shared calendar (`/calendar/`) and the private iCalendar feed (`/calendar/<token>.ics`).

Time is frozen on Monday 16 Nov 2026 (Asia/Kolkata): December 2026 is next month,
and 3–5 Dec 2026 (Thu–Sat) fall in ISO week 2026-W49 (30 Nov – 6 Dec).
"""

import datetime as dt
import logging
import random
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from campaigns import calendar, selectors
from campaigns.models import CalendarFeed, Campaign, PromoWindow, Status
from capacity.models import CapacityConstraint, InboundShipment
from tests.factories import InboundFactory
from tests.helpers import approved, make_world, session_queries, submitted

NOW = dt.datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Kolkata"))
DEC = {day: dt.date(2026, 12, day) for day in range(1, 32)}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def as_maya(client, maya):
    client.force_login(maya)
    return client


def day_cells(html: str) -> dict[dt.date, str]:
    """The HTML of each day cell (`<td data-day=…>`) of a calendar page."""
    cells = re.findall(r'<td data-day="(\d{4}-\d{2}-\d{2})"[^>]*>(.*?)</td>', html, flags=re.S)
    return {dt.date.fromisoformat(day): body for day, body in cells}


def days_showing(html: str, needle: str) -> set[dt.date]:
    return {day for day, body in day_cells(html).items() if needle in body}


def link(campaign) -> str:
    return f'href="/campaigns/{campaign.pk}/"'


# --------------------------------------------------------------------------- access


def test_calendar_page_requires_login(client):
    response = client.get("/calendar/?month=2026-12")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_regenerate_requires_login_and_changes_nothing(client, maya):
    token = calendar.calendar_feed_for(maya).token
    response = client.post("/calendar/feed/regenerate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert CalendarFeed.objects.get(user=maya).token == token


# --------------------------------------------------------------------------- month and week grids


def test_month_view_shows_a_campaign_on_exactly_its_days(as_maya, world, maya):
    campaign = submitted(world, maya, name="Year-end tees", starts_on=DEC[3], ends_on=DEC[5])

    response = as_maya.get("/calendar/?month=2026-12")

    assert response.status_code == 200
    html = response.content.decode()
    cells = day_cells(html)
    # Whole weeks, Monday first: Mon 30 Nov 2026 to Sun 3 Jan 2027.
    assert min(cells) == dt.date(2026, 11, 30) and min(cells).weekday() == 0
    assert max(cells) == dt.date(2027, 1, 3) and len(cells) == 35
    assert days_showing(html, link(campaign)) == {DEC[3], DEC[4], DEC[5]}
    assert "status-submitted" in cells[DEC[4]]
    assert '<th scope="col"><abbr title="Monday">Mon</abbr></th>' in html


def test_week_view_shows_a_campaign_on_exactly_its_days(as_maya, world, maya):
    campaign = submitted(world, maya, starts_on=DEC[3], ends_on=DEC[5])

    response = as_maya.get("/calendar/?week=2026-W49")

    assert response.status_code == 200
    html = response.content.decode()
    assert sorted(day_cells(html)) == [dt.date(2026, 11, 30) + dt.timedelta(days=i) for i in range(7)]
    assert days_showing(html, link(campaign)) == {DEC[3], DEC[4], DEC[5]}
    assert "3–5 Dec 2026 · day 2 of 3 · Meta" in day_cells(html)[DEC[4]]  # the week view's detail


def test_default_is_the_current_month(as_maya):
    response = as_maya.get("/calendar/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "November 2026" in html
    assert 'data-day="2026-11-16" class="cal-day today" aria-current="date"' in html


def test_every_kind_of_entry_is_on_its_days(as_maya, world, maya):
    PromoWindow.objects.create(name="Holiday sale", starts_on=DEC[20], ends_on=DEC[26])
    CapacityConstraint.objects.create(
        kind=CapacityConstraint.Kind.COURIER_HOLIDAY,
        courier=world.lane_mumbai.courier,
        starts_on=DEC[25],
        ends_on=DEC[25],
    )
    InboundFactory(sku=world.sku, warehouse=world.warehouse, quantity=500, expected_on=DEC[10])

    html = as_maya.get("/calendar/?month=2026-12").content.decode()

    assert days_showing(html, "Holiday sale") == {DEC[day] for day in range(20, 27)}
    assert days_showing(html, "constraint-courier_holiday") == {DEC[25]}
    assert days_showing(html, "500 × TEE-01 arrive at BOM-WH") == {DEC[10]}


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("channel=email", {"email"}),
        ("region=PUN", {"email"}),
        ("sku=CAP-01", {"email"}),
        ("status=draft", {"email"}),
        ("channel=meta&status=submitted", {"meta"}),
    ],
)
def test_filters_narrow_the_entries(as_maya, world, maya, query, kept):
    from campaigns import services

    campaigns = {
        "meta": submitted(
            world,
            maya,
            name="Meta push",
            channel="meta",
            starts_on=DEC[3],
            ends_on=DEC[5],
            skus=[{"sku": "TEE-01", "share": "1"}],
            regions=[{"region": "MUM", "share": "1"}],
        ),
        "email": services.campaign_create(
            actor=maya,
            data={
                "name": "Email blast",
                "channel": "email",
                "starts_on": DEC[4],
                "ends_on": DEC[4],
                "orders_per_day": 50,
                "skus": [{"sku": "CAP-01", "share": "1"}],
                "regions": [{"region": "PUN", "share": "1"}],
            },
        ),
    }

    html = as_maya.get(f"/calendar/?month=2026-12&{query}").content.decode()

    shown = {key for key, campaign in campaigns.items() if days_showing(html, link(campaign))}
    assert shown == kept


def test_a_filter_that_is_not_understood_is_ignored_with_a_message(as_maya, world, maya):
    campaign = submitted(world, maya, starts_on=DEC[3], ends_on=DEC[5])

    response = as_maya.get("/calendar/?month=2026-12&channel=carrier-pigeon&region=NOWHERE")

    assert response.status_code == 200
    html = response.content.decode()
    assert "The region filter was not understood and was ignored." in html
    assert days_showing(html, link(campaign)) == {DEC[3], DEC[4], DEC[5]}


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-13",
        "month=2026-00",
        "month=abc",
        "month=0001-01",
        "month=99999-01",
        "month=2026-12%00",
        "week=abc",
        "week=2026-W54",
        "week=2025-W53",  # 2025 has 52 ISO weeks
        "week=0000-W01",
        "region=%00&sku=%00&status=%00",
    ],
)
def test_bad_parameters_show_the_current_month_never_a_500(as_maya, query):
    response = as_maya.get(f"/calendar/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "November 2026" in html
    assert "not understood" in html


def test_navigation_links_keep_the_filters(as_maya, world):
    html = as_maya.get("/calendar/?month=2026-12&channel=meta&region=MUM").content.decode()

    assert 'href="?month=2026-11&amp;channel=meta&amp;region=MUM" rel="prev"' in html
    assert 'href="?month=2027-01&amp;channel=meta&amp;region=MUM" rel="next"' in html
    assert 'href="?month=2026-11&amp;channel=meta&amp;region=MUM">Today</a>' in html
    assert 'href="?week=2026-W49&amp;channel=meta&amp;region=MUM">Week view</a>' in html
    assert 'href="?week=2026-W53&amp;channel=meta&amp;region=MUM"' in html  # a row's week link
    assert '<input type="hidden" name="month" value="2026-12">' in html  # filtering keeps the month


def test_week_navigation_crosses_the_year(as_maya):
    html = as_maya.get("/calendar/?week=2026-W01&status=live").content.decode()

    assert "Week 1, 2026 (29 Dec 2025 – 4 Jan 2026)" in html
    assert 'href="?week=2025-W52&amp;status=live" rel="prev"' in html
    assert 'href="?week=2026-W02&amp;status=live" rel="next"' in html
    assert 'href="?week=2026-W47&amp;status=live" aria-current="date">Today</a>' not in html
    assert 'href="?week=2026-W47&amp;status=live">Today</a>' in html
    assert 'href="?month=2026-01&amp;status=live">Month view</a>' in html


# --------------------------------------------------------------------------- capacity use


@pytest.fixture
def one_lane_world():
    """Mumbai with one courier lane of 1,000 orders/day, and no other lane."""
    world = make_world(lane_capacity=1_000)
    world.lane_pune.delete()
    return world


MUMBAI_ONLY = {"regions": [{"region": "MUM", "share": "1"}]}


def test_heat_is_held_orders_over_courier_capacity(as_maya, one_lane_world, maya, ishaan, lata):
    # Given one lane of 1,000/day and an approved campaign that reserves 300/day on it,
    approved(one_lane_world, maya, ishaan, lata, orders_per_day=300, starts_on=DEC[3], ends_on=DEC[5], **MUMBAI_ONLY)

    heat = calendar.heat_by_day(start=DEC[1], end=DEC[6])

    # then each of its days is at 300 / 1,000 = 30 %, and the days around it are empty.
    assert (heat[DEC[4]].use.held, heat[DEC[4]].use.asked, heat[DEC[4]].use.capacity) == (300, 0, 1_000)
    assert heat[DEC[4]].use.percent == 30
    assert heat[DEC[4]].css == "heat-1"
    assert heat[DEC[4]].label == "30% of courier capacity, moderate"
    assert heat[DEC[2]].use.percent == 0 and heat[DEC[6]].use.percent == 0
    # and the page says so in words, not only in colour.
    cell = day_cells(as_maya.get("/calendar/?month=2026-12").content.decode())[DEC[4]]
    assert 'class="heat heat-1"' in cell
    assert "Capacity use: 30% of courier capacity, moderate" in cell


def test_heat_counts_business_as_usual_applies_constraints_and_shows_asks_apart(
    as_maya, one_lane_world, maya, ishaan, lata
):
    world = one_lane_world
    approved(world, maya, ishaan, lata, orders_per_day=300, starts_on=DEC[3], ends_on=DEC[5], **MUMBAI_ONLY)
    # A submitted plan holds nothing yet: its 200 orders/day are asked, beside the use.
    submitted(world, maya, orders_per_day=200, starts_on=DEC[4], ends_on=DEC[4], **MUMBAI_ONLY)
    # A draft does not load the couriers.
    from campaigns import services

    services.campaign_create(
        actor=maya,
        data={
            "name": "Idea",
            "channel": "other",
            "starts_on": DEC[4],
            "ends_on": DEC[4],
            "orders_per_day": 900,
            "skus": [{"sku": "TEE-01", "share": "1"}],
            **MUMBAI_ONLY,
        },
    )
    # The courier works at half capacity on the 5th; its baseline takes 100 orders/day.
    CapacityConstraint.objects.create(
        kind=CapacityConstraint.Kind.REDUCED_CAPACITY,
        courier=world.lane_mumbai.courier,
        starts_on=DEC[5],
        ends_on=DEC[5],
        capacity_factor=Decimal("0.5"),
    )
    world.lane_mumbai.baseline_orders_per_day = 100
    world.lane_mumbai.save()

    heat = calendar.heat_by_day(start=DEC[3], end=DEC[5])

    # (100 usual + 300 held) on 1,000, and on the 500 left on the 5th.
    use = {day: heat[day].use for day in (DEC[3], DEC[4], DEC[5])}
    assert (use[DEC[3]].used, use[DEC[3]].capacity, use[DEC[3]].percent, use[DEC[3]].asked) == (400, 1_000, 40, 0)
    assert (use[DEC[4]].used, use[DEC[4]].capacity, use[DEC[4]].percent, use[DEC[4]].asked) == (400, 1_000, 40, 200)
    assert heat[DEC[4]].css == "heat-1"
    assert (
        heat[DEC[4]].label == "40% of courier capacity, moderate; 200 more orders asked by plans waiting for sign-off"
    )
    assert (use[DEC[5]].used, use[DEC[5]].capacity, use[DEC[5]].percent) == (400, 500, 80)
    assert heat[DEC[5]].css == "heat-3"
    # The cell shows the ask next to the use.
    cell = day_cells(as_maya.get("/calendar/?month=2026-12").content.decode())[DEC[4]]
    assert '<span aria-hidden="true">40% +200</span>' in cell


def test_heat_over_capacity_and_closed_days(one_lane_world, maya, ishaan, lata):
    world = one_lane_world
    approved(world, maya, ishaan, lata, orders_per_day=600, starts_on=DEC[3], ends_on=DEC[4], **MUMBAI_ONLY)
    # After the approval, the courier halves its capacity on the 3rd and closes on the 4th and 5th.
    courier = world.lane_mumbai.courier
    CapacityConstraint.objects.create(
        kind=CapacityConstraint.Kind.REDUCED_CAPACITY, courier=courier, starts_on=DEC[3], ends_on=DEC[3],
        capacity_factor=Decimal("0.5"),
    )  # fmt: skip
    CapacityConstraint.objects.create(
        kind=CapacityConstraint.Kind.COURIER_HOLIDAY, courier=courier, starts_on=DEC[4], ends_on=DEC[5]
    )
    submitted(world, maya, orders_per_day=100, starts_on=DEC[5], ends_on=DEC[5], **MUMBAI_ONLY)

    heat = calendar.heat_by_day(start=DEC[3], end=DEC[5])

    assert (heat[DEC[3]].use.percent, heat[DEC[3]].css) == (120, "heat-over")
    assert heat[DEC[3]].label == "120% of courier capacity, over capacity"
    assert (heat[DEC[4]].use.percent, heat[DEC[4]].css) == (None, "heat-over")
    assert heat[DEC[4]].label == "no courier capacity for 600 orders"
    assert (heat[DEC[5]].css, heat[DEC[5]].label) == (
        "heat-closed",
        "no courier capacity; 100 more orders asked by plans waiting for sign-off",
    )


def test_heat_of_one_region_counts_its_share_and_its_lanes(world, maya, ishaan, lata):
    # Two lanes of 1,000/day (Mumbai, Pune); an approval of 300/day split 50/50, and a plan
    # of 101/day waiting, asking 51 of each (rounded up as an approval would hold them).
    approved(world, maya, ishaan, lata, orders_per_day=300, starts_on=DEC[3], ends_on=DEC[3])
    submitted(world, maya, orders_per_day=101, starts_on=DEC[3], ends_on=DEC[3])

    network = calendar.heat_by_day(start=DEC[3], end=DEC[3])[DEC[3]].use
    mumbai = calendar.heat_by_day(start=DEC[3], end=DEC[3], region="MUM")[DEC[3]].use

    assert (network.held, network.capacity, network.percent, network.asked) == (300, 2_000, 15, 102)
    assert (mumbai.held, mumbai.capacity, mumbai.percent, mumbai.asked) == (150, 1_000, 15, 51)


def test_month_page_query_count_does_not_grow_with_campaigns(as_maya, world, maya, ishaan, lata):
    calendar.calendar_feed_for(maya)  # the first visit creates the feed; measure steady state
    approved(world, maya, ishaan, lata, orders_per_day=100, starts_on=DEC[3], ends_on=DEC[5])
    submitted(world, maya, orders_per_day=100, starts_on=DEC[10], ends_on=DEC[20])
    with CaptureQueriesContext(connection) as two:
        assert as_maya.get("/calendar/?month=2026-12").status_code == 200

    for i in range(4):
        approved(world, maya, ishaan, lata, orders_per_day=50, starts_on=DEC[1 + i], ends_on=DEC[8 + i])
        submitted(world, maya, orders_per_day=50, channel="email", starts_on=DEC[12 + i], ends_on=DEC[28])
    with CaptureQueriesContext(connection) as ten:
        response = as_maya.get("/calendar/?month=2026-12")

    assert response.content.decode().count('href="/campaigns/') > 40
    # 10 (9 with cached sessions): session and user with its roles and unread count; regions and SKUs (filter
    # choices); the entries of every kind in one query (and the constraints' titles when
    # the month has any: none here); lanes, constraints, reservations summed by day and
    # the campaigns loading the couriers (capacity use); the feed. (As computed: inside a
    # test's transaction that wrote, what pages keep between requests is not used;
    # tests/test_query_budget.py counts that.)
    assert len(ten) == len(two) == 9 + session_queries(), [q["sql"] for q in ten.captured_queries]


# --------------------------------------------------------------------------- crowded days


def crowd(owner, n: int, *, on: dt.date, until: dt.date | None = None, **fields) -> list[Campaign]:
    """`n` campaigns on the day `on` (to `until`), straight into the table: a day of a large brand."""
    defaults = {"channel": "meta", "status": "draft", "orders_per_day": 1, **fields}
    return Campaign.objects.bulk_create(
        Campaign(name=f"Crowd {i:04d}", owner=owner, starts_on=on, ends_on=until or on, **defaults) for i in range(n)
    )


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="(/campaigns/\d+/)"', html)


def more_link(cell: str) -> tuple[str, str] | None:
    """(href, text) of a day cell's "+N more" link."""
    match = re.search(r'<a class="cal-more" href="([^"]*)"[^>]*>([^<]*)</a>', cell)
    return (match[1].replace("&amp;", "&"), match[2]) if match else None


def day_list(html: str) -> str:
    return re.search(r'<section class="card cal-day-list".*?</section>', html, flags=re.S)[0]


def test_a_crowded_day_shows_its_most_important_entries_and_a_link_to_the_rest(as_maya, maya):
    drafts = crowd(maya, 6, on=DEC[3])
    (late,) = crowd(maya, 1, on=DEC[3], status="submitted", late_notice=True)
    (on_time,) = crowd(maya, 1, on=DEC[2], until=DEC[4], status="submitted")
    (running,) = crowd(maya, 1, on=DEC[1], until=DEC[5], status="live")
    (dropped,) = crowd(maya, 1, on=DEC[3], status="cancelled")
    PromoWindow.objects.create(name="Holiday sale", starts_on=DEC[1], ends_on=DEC[6])

    html = as_maya.get("/calendar/?month=2026-12").content.decode()
    cell = day_cells(html)[DEC[3]]

    # The cap, most important first: the promo window, the plans waiting for a sign-off
    # (late notice first), what is live; drafts and dropped plans wait behind "+N more".
    assert cell.count('<li class="cal-entry') == calendar.DAY_CAPS["month"] == 4
    assert "kind-promo_window" in cell.split("<li")[1]
    assert hrefs(cell) == [f"/campaigns/{c.pk}/" for c in (late, on_time, running)]
    assert more_link(cell) == ("?day=2026-12-03", "+7 more")
    assert 'aria-label="7 more on Thursday 3 December: open the day"' in cell
    # Spans keep their order on every day they cover; an uncrowded day shows all.
    assert hrefs(day_cells(html)[DEC[4]]) == [f"/campaigns/{c.pk}/" for c in (on_time, running)]
    assert more_link(day_cells(html)[DEC[4]]) is None

    response = as_maya.get("/calendar/?day=2026-12-03")
    assert response.status_code == 200
    listing = day_list(response.content.decode())
    assert "11 entries" in listing
    assert hrefs(listing) == [f"/campaigns/{c.pk}/" for c in (late, on_time, running, *drafts, dropped)]
    assert "Holiday sale" in listing.split("<li")[1]
    page = response.content.decode()
    assert "Thursday 3 December 2026" in page
    assert 'href="?day=2026-12-02" rel="prev"' in page and 'href="?day=2026-12-04" rel="next"' in page
    assert 'href="?week=2026-W49">Week view</a>' in page and 'href="?month=2026-12">Month view</a>' in page


def test_the_more_link_and_the_day_keep_the_filters(as_maya, maya):
    crowd(maya, 5, on=DEC[3], channel="email")
    crowd(maya, 3, on=DEC[3], channel="meta")

    html = as_maya.get("/calendar/?month=2026-12&channel=email").content.decode()

    assert more_link(day_cells(html)[DEC[3]]) == ("?day=2026-12-03&channel=email", "+1 more")
    listing = day_list(as_maya.get("/calendar/?day=2026-12-03&channel=email").content.decode())
    assert len(hrefs(listing)) == 5 and "5 entries with these filters" in listing


def test_the_week_view_shows_more_per_day_but_is_bounded_too(as_maya, maya):
    crowd(maya, calendar.DAY_CAPS["week"] + 2, on=DEC[3])

    cell = day_cells(as_maya.get("/calendar/?week=2026-W49").content.decode())[DEC[3]]

    assert len(hrefs(cell)) == calendar.DAY_CAPS["week"]
    assert more_link(cell) == ("?day=2026-12-03", "+2 more")


def test_a_long_day_is_listed_in_pages(as_maya, maya):
    crowd(maya, calendar.DAY_PAGE_SIZE + 3, on=DEC[3])

    first = as_maya.get("/calendar/?day=2026-12-03&status=draft").content.decode()
    second = as_maya.get("/calendar/?day=2026-12-03&status=draft&page=2").content.decode()

    assert len(hrefs(day_list(first))) == calendar.DAY_PAGE_SIZE and "Page 1 of 2" in first
    assert 'href="?day=2026-12-03&amp;status=draft&amp;page=2" rel="next"' in first
    assert len(hrefs(day_list(second))) == 3
    assert not set(hrefs(day_list(first))) & set(hrefs(day_list(second)))


@pytest.mark.parametrize("query", ["day=2026-13-01", "day=2026-W49-1", "day=20261203", "day=0001-01-01"])
def test_a_day_that_is_not_understood_shows_the_current_month(as_maya, query):
    response = as_maya.get(f"/calendar/?{query}")
    assert response.status_code == 200
    assert "November 2026" in response.content.decode() and "That day was not understood" in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "-3", "0", "²", "99999999999", ""])
def test_a_page_that_is_not_understood_shows_a_page_never_a_500(as_maya, maya, page):
    crowd(maya, 3, on=DEC[3])
    response = as_maya.get(f"/calendar/?day=2026-12-03&page={page}")
    assert response.status_code == 200 and len(hrefs(day_list(response.content.decode()))) == 3


def test_most_important_by_day_is_the_sorted_cut_of_each_day():
    """The skipping fill gives what sorting each day's entries and cutting them would."""
    rng = random.Random(7)
    start, end = dt.date(2026, 11, 30), dt.date(2027, 1, 10)
    statuses = ["draft", "submitted", "approved", "live", "paused", "completed", "cancelled", "changes_requested"]
    entries = []
    for i in range(400):
        first = start + dt.timedelta(days=rng.randint(-10, 45))
        kind = rng.choice([*["campaign"] * 6, "promo_window", "constraint", "stock_arrival"])
        entries.append(
            selectors.CalendarEntry(
                kind, i, f"e{i}", first, first + dt.timedelta(days=rng.choice([0, 0, 1, 3, 9, 40])),
                status=rng.choice(statuses) if kind == "campaign" else "",
                late_notice=rng.random() < 0.1, scale_up_pending=rng.random() < 0.1,
            )
        )  # fmt: skip
    for cap in (1, 4, 10):
        shown, counts = calendar.most_important_by_day(entries, start=start, end=end, cap=cap)
        for index in range((end - start).days + 1):
            day = start + dt.timedelta(days=index)
            covering = sorted((e for e in entries if e.starts_on <= day <= e.ends_on), key=calendar.importance)
            assert shown[index] == covering[:cap] and counts[index] == len(covering)


@pytest.mark.parametrize("url", ["/calendar/?month=2026-12", "/calendar/?week=2026-W49", "/calendar/?day=2026-12-03"])
def test_calendar_pages_run_as_many_queries_with_10_as_with_1000_campaigns(as_maya, world, maya, url):
    """As computed, i.e. the first request after a write (inside a test's transaction that
    wrote, what pages keep is not used; tests/test_query_budget.py counts the kept path)."""
    calendar.calendar_feed_for(maya)
    crowd(maya, 10, on=DEC[3])
    with CaptureQueriesContext(connection) as few:
        assert as_maya.get(url).status_code == 200
    crowd(maya, 990, on=DEC[1], until=DEC[5])
    with CaptureQueriesContext(connection) as many:
        assert as_maya.get(url).status_code == 200
    assert len(few) == len(many) <= 13, [q["sql"] for q in many.captured_queries]


# --------------------------------------------------------------------------- the API, as before


def legacy_calendar_entries(
    *, start, end, kinds=selectors.CALENDAR_KINDS, region=None, sku=None, channel=None, status=None
):
    """The entries as `selectors.calendar_entries` built them before it read value rows
    (model instances, ordered per kind): the oracle that the API's output has not changed."""
    entries = []
    if "campaign" in kinds:
        campaigns = Campaign.objects.filter(starts_on__lte=end, ends_on__gte=start)
        if region:
            campaigns = campaigns.filter(region_lines__region__code=region)
        if sku:
            campaigns = campaigns.filter(sku_lines__sku__code=sku)
        if channel:
            campaigns = campaigns.filter(channel=channel)
        if status:
            campaigns = campaigns.filter(status=status)
        for c in campaigns.distinct().order_by("starts_on", "id"):
            entries.append(
                selectors.CalendarEntry(
                    "campaign", c.pk, c.name, c.starts_on, c.ends_on, c.status, f"/campaigns/{c.pk}/", c.channel
                )
            )
    if "promo_window" in kinds and not (region or sku or status):
        windows = PromoWindow.objects.filter(starts_on__lte=end, ends_on__gte=start)
        if channel:
            windows = windows.filter(Q(channel=channel) | Q(channel=""))
        for w in windows.order_by("starts_on", "id"):
            entries.append(
                selectors.CalendarEntry("promo_window", w.pk, w.name, w.starts_on, w.ends_on, channel=w.channel)
            )
    if "constraint" in kinds and not (sku or channel or status):
        constraints = CapacityConstraint.objects.filter(starts_on__lte=end, ends_on__gte=start).select_related(
            "warehouse", "courier", "region"
        )
        if region:
            constraints = constraints.filter(
                Q(region__code=region) | Q(warehouse__regions__code=region) | Q(courier__lanes__region__code=region)
            ).distinct()
        for c in constraints.order_by("starts_on", "id"):
            entries.append(selectors.CalendarEntry("constraint", c.pk, str(c), c.starts_on, c.ends_on, c.kind))
    if "stock_arrival" in kinds and not (channel or status or region):
        arrivals = InboundShipment.objects.filter(expected_on__gte=start, expected_on__lte=end).select_related(
            "sku", "warehouse"
        )
        if sku:
            arrivals = arrivals.filter(sku__code=sku)
        for a in arrivals.order_by("expected_on", "id"):
            title = f"{a.quantity} × {a.sku.code} arrive at {a.warehouse.code}"
            entries.append(selectors.CalendarEntry("stock_arrival", a.pk, title, a.expected_on, a.expected_on))
    entries.sort(key=lambda e: (e.starts_on, selectors.CALENDAR_KINDS.index(e.kind), e.id))
    return entries


API_FIELDS = ("kind", "id", "title", "starts_on", "ends_on", "status", "url")


@pytest.fixture
def every_kind(world, maya):
    """A December with every kind of entry, on shared days, for every filter."""
    for i, state in enumerate(Status.values):
        channel = "email" if i % 2 else "meta"
        regions = (
            [(world.pune, Decimal("1"))] if i % 3 else [(world.mumbai, Decimal("0.5")), (world.pune, Decimal("0.5"))]
        )
        campaign = crowd(maya, 1, on=DEC[1 + i % 4], until=DEC[3 + i], status=state, channel=channel)[0]
        campaign.region_lines.create(region=regions[0][0], share=regions[0][1])
        if len(regions) > 1:
            campaign.region_lines.create(region=regions[1][0], share=regions[1][1])
        campaign.sku_lines.create(sku=world.sku2 if i % 2 else world.sku, share=Decimal("1"))
    crowd(maya, 5, on=DEC[2], until=DEC[2])  # same day, same kind: ids break the tie
    PromoWindow.objects.create(name="All channels", starts_on=DEC[2], ends_on=DEC[9])
    PromoWindow.objects.create(name="Email week", starts_on=DEC[2], ends_on=DEC[9], channel="email")
    CapacityConstraint.objects.create(
        kind="warehouse_blackout", warehouse=world.warehouse, starts_on=DEC[2], ends_on=DEC[2]
    )
    CapacityConstraint.objects.create(
        kind="courier_holiday", courier=world.lane_mumbai.courier, starts_on=DEC[1], ends_on=DEC[3]
    )
    CapacityConstraint.objects.create(
        kind="reduced_capacity", region=world.mumbai, starts_on=DEC[2], ends_on=DEC[4], capacity_factor="0.5"
    )
    for day, sku in ((2, world.sku), (2, world.sku2), (5, world.sku)):
        InboundFactory(sku=sku, warehouse=world.warehouse, quantity=100 + day, expected_on=DEC[day])


@pytest.mark.parametrize(
    "query",
    [{}, {"region": "MUM"}, {"region": "PUN"}, {"sku": "CAP-01"}, {"channel": "email"}, {"status": "draft"},
     {"kinds": ("stock_arrival", "constraint")}, {"channel": "email", "status": "submitted"}],
)  # fmt: skip
def test_calendar_entries_are_those_of_before(every_kind, query):
    new = selectors.calendar_entries(start=DEC[1], end=DEC[31], **query)
    old = legacy_calendar_entries(start=DEC[1], end=DEC[31], **query)
    assert [tuple(getattr(e, f) for f in API_FIELDS) for e in new] == [
        tuple(getattr(e, f) for f in API_FIELDS) for e in old
    ]
    assert new  # every query finds something


@pytest.mark.parametrize(
    "query",
    [{}, {"region": "MUM"}, {"sku": "CAP-01"}, {"channel": "email"}, {"status": "draft"},
     {"kinds": ("stock_arrival", "constraint")}, {"kinds": ("promo_window",), "region": "MUM"}],
)  # fmt: skip
def test_the_calendar_api_pages_as_before(every_kind, client, maya, query):
    """The API counts and pages in SQL (`selectors.calendar_rows`); each page is a slice of
    what the entries were before, whatever the filters."""
    client.force_login(maya)
    expected = [
        {"kind": e.kind, "id": e.id, "title": e.title, "starts_on": e.starts_on.isoformat(),
         "ends_on": e.ends_on.isoformat(), "status": e.status, "url": e.url}
        for e in legacy_calendar_entries(start=DEC[1], end=DEC[31], **query)
    ]  # fmt: skip
    params = "".join(f"&kind={kind}" for kind in query.get("kinds", ()))
    params += "".join(f"&{name}={value}" for name, value in query.items() if name != "kinds")
    results, url, pages = [], f"/api/v1/calendar/?start=2026-12-01&end=2026-12-31&page_size=4{params}", 0
    while url:
        body = client.get(url).json()
        assert body["count"] == len(expected)
        results += body["results"]
        url, pages = body["next"], pages + 1
    assert results == expected and pages == max(1, -(-len(expected) // 4))  # an empty list is one page


# --------------------------------------------------------------------------- the private feed


def test_page_shows_the_absolute_feed_url(as_maya, maya, settings):
    settings.MOPSYNC_BASE_URL = "http://127.0.0.1:8123"
    html = as_maya.get("/calendar/").content.decode()
    token = CalendarFeed.objects.get(user=maya).token
    assert len(token) >= 43  # secrets.token_urlsafe(32)
    assert f'value="http://127.0.0.1:8123/calendar/{token}.ics"' in html  # MOPSYNC_BASE_URL, as emails


def test_ics_feed_has_campaigns_promo_windows_and_constraints(client, world, maya, settings):
    settings.MOPSYNC_BASE_URL = "http://127.0.0.1:8123"
    maya.first_name, maya.last_name = "Maya", "Rao"
    maya.save()
    campaign = submitted(world, maya, name="Year-end tees", starts_on=DEC[3], ends_on=DEC[5])
    window = PromoWindow.objects.create(name="Holiday sale", starts_on=DEC[20], ends_on=DEC[26])
    constraint = CapacityConstraint.objects.create(
        kind=CapacityConstraint.Kind.WAREHOUSE_BLACKOUT, warehouse=world.warehouse, starts_on=DEC[25], ends_on=DEC[25]
    )
    far = submitted(world, maya, starts_on=dt.date(2028, 1, 3), ends_on=dt.date(2028, 1, 5))  # > 365 days ahead
    token = calendar.calendar_feed_for(maya).token

    response = client.get(f"/calendar/{token}.ics")  # no login

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert str(cal["X-WR-CALNAME"]) == "mopsync — Maya Rao"
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {
        f"campaign-{campaign.pk}@mopsync",
        f"promo-window-{window.pk}@mopsync",
        f"constraint-{constraint.pk}@mopsync",
    }
    assert f"campaign-{far.pk}@mopsync" not in events
    event = events[f"campaign-{campaign.pk}@mopsync"]
    assert event.decoded("DTSTART") == DEC[3]
    assert event.decoded("DTEND") == DEC[6]  # exclusive: the day after the last day
    assert str(event["SUMMARY"]) == "Year-end tees (Submitted)"
    assert str(event["URL"]) == f"http://127.0.0.1:8123/campaigns/{campaign.pk}/"  # MOPSYNC_BASE_URL
    blackout = events[f"constraint-{constraint.pk}@mopsync"]
    assert (blackout.decoded("DTSTART"), blackout.decoded("DTEND")) == (DEC[25], DEC[26])
    assert str(events[f"promo-window-{window.pk}@mopsync"]["SUMMARY"]) == "Promo window: Holiday sale"


@pytest.mark.parametrize("path", ["/calendar/not-a-real-token.ics", "/calendar/x.ics", "/calendar/ab%24cd.ics"])
def test_unknown_feed_token_is_404(client, maya, path):
    calendar.calendar_feed_for(maya)
    assert client.get(path).status_code == 404


def test_feed_of_a_deactivated_user_is_404(client, maya):
    token = calendar.calendar_feed_for(maya).token
    maya.is_active = False
    maya.save()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_regenerate_revokes_the_old_url(as_maya, maya, caplog):
    old = calendar.calendar_feed_for(maya).token
    assert as_maya.get(f"/calendar/{old}.ics").status_code == 200

    with caplog.at_level(logging.DEBUG):
        response = as_maya.post("/calendar/feed/regenerate/", {"back": "?month=2026-12&channel=meta"})

    assert response.status_code == 302
    assert response["Location"] == "/calendar/?month=2026-12&channel=meta"
    new = CalendarFeed.objects.get(user=maya).token
    assert new != old
    assert as_maya.get(f"/calendar/{old}.ics").status_code == 404
    assert as_maya.get(f"/calendar/{new}.ics").status_code == 200
    html = as_maya.get("/calendar/").content.decode()
    assert new in html and old not in html
    assert new not in caplog.text  # tokens are never logged


def test_regenerate_is_post_only_and_needs_csrf(maya):
    token = calendar.calendar_feed_for(maya).token
    client = Client(enforce_csrf_checks=True)
    client.force_login(maya)

    assert client.get("/calendar/feed/regenerate/").status_code == 405
    assert client.post("/calendar/feed/regenerate/").status_code == 403
    assert CalendarFeed.objects.get(user=maya).token == token


def test_regenerate_never_redirects_off_the_calendar(as_maya):
    response = as_maya.post("/calendar/feed/regenerate/", {"back": "https://evil.example/"})
    assert response["Location"] == "/calendar/"


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [("2026-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31)), ("2028-02", dt.date(2028, 2, 1), dt.date(2028, 2, 29))],
)
def test_parse_month(value, first, last):
    period = calendar.parse_month(value)
    assert (period.first, period.last) == (first, last)


def test_parse_week_is_iso():
    period = calendar.parse_week("2026-W49")
    assert (period.first, period.last) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    assert calendar.parse_week("2026-W53") is not None  # 2026 has 53 ISO weeks
    assert calendar.parse_week("2025-W53") is None
