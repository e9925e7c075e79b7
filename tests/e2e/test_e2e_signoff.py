"""In a real browser: ops approve from the queue (one with a cap), the campaign shows on
the calendar on its days as approved, and an overbooking approval is refused in place."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign
from tests.e2e.conftest import sign_in, sign_out
from tests.helpers import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def decide(page, campaign: Campaign, dimension: str, *, cap: int | None = None, comment: str = "") -> None:
    form = page.locator(f"#signoff-{campaign.pk}-{dimension}")
    if cap is not None:
        form.get_by_label("Cap (orders/day, optional)").fill(str(cap))
    if comment:
        form.get_by_label("Comment").fill(comment)
    form.get_by_role("button", name="Approve").click()


def test_queue_approvals_calendar_and_refusal(page, maya, ishaan, lata, artifacts):
    make_world(lane_capacity=200)  # 200 orders/day per city lane
    start = timezone.localdate() + dt.timedelta(days=12)
    end = start + dt.timedelta(days=2)
    first = services.campaign_submit(campaign=services.campaign_create(actor=maya, data=_plan(start, end)), actor=maya)
    second = services.campaign_submit(
        campaign=services.campaign_create(actor=maya, data=_plan(start, end, name="Rival sale", orders=300)), actor=maya
    )

    # Inventory approves the first campaign in place (no page reload).
    sign_in(page, "ishaan")
    page.get_by_role("link", name="Approvals").click()
    entry = page.locator(f"#entry-{first.pk}")
    entry.wait_for()
    page.evaluate("window.__marker = 'same page'")
    decide(page, first, "inventory")
    entry.get_by_text("Approved inventory").wait_for()
    assert page.evaluate("window.__marker") == "same page"
    sign_out(page)

    # Logistics approves it with a cap, then tries the rival, which no longer fits.
    sign_in(page, "lata")
    page.get_by_role("link", name="Approvals").click()
    page.screenshot(path=str(artifacts / "queue.png"), full_page=True)
    decide(page, first, "courier", cap=250, comment="Pune is tight this week")
    page.locator(f"#entry-{first.pk}").get_by_text("Approved courier").wait_for()
    first.refresh_from_db()
    assert (first.status, first.approved_orders_per_day) == ("approved", 250)

    decide(page, second, "courier")
    refusal = page.locator(f"#signoff-{second.pk}-courier .errors")
    refusal.wait_for()
    assert "Not enough courier capacity" in refusal.inner_text()
    page.screenshot(path=str(artifacts / "queue-refusal.png"), full_page=True)
    second.refresh_from_db()
    assert second.status == "submitted" and not second.reservations.exists()

    # The shared calendar shows the approved campaign on exactly its days.
    page.goto(f"/calendar/?month={start:%Y-%m}")
    days_with_it = page.locator("td.cal-day", has=page.get_by_role("link", name=first.name))
    shown = sorted(days_with_it.evaluate_all("cells => cells.map(c => c.dataset.day)"))
    assert shown == [(start + dt.timedelta(days=i)).isoformat() for i in range(3)]
    assert "status-approved" in days_with_it.first.inner_html()
    page.screenshot(path=str(artifacts / "calendar.png"), full_page=True)

    page.goto("/")
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)


def _plan(start, end, *, name="Festive tees", orders=300) -> dict:
    return {
        "name": name,
        "channel": "meta",
        "starts_on": start,
        "ends_on": end,
        "orders_per_day": orders,
        "cod_share": "0.3",
        "skus": [{"sku": "TEE-01", "share": "0.7"}, {"sku": "CAP-01", "share": "0.3"}],
        "regions": [{"region": "MUM", "share": "0.5"}, {"region": "PUN", "share": "0.5"}],
    }
