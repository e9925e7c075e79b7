"""In a real browser: a resubmitted plan shows what changed since the sign-off on the queue
and the campaign page, and a comment joins the timeline in place (htmx) and notifies the
user it mentions. Saves var/e2e/resubmitted-diff.png (the queue entry; `make screenshots` copies it to docs/)."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import services
from campaigns.models import Notification
from tests.e2e.conftest import sign_in
from tests.factories import LaneFactory, RegionFactory, SkuFactory, StockFactory
from tests.helpers import approved, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_resubmitted_plan_shows_its_changes_and_the_thread_takes_a_comment(page, artifacts, maya, ishaan, lata, omar):
    world = make_world()
    cap2 = SkuFactory(code="CAP-02", name="Snapback cap")
    StockFactory(sku=cap2, warehouse=world.warehouse, on_hand=100_000)
    delhi = RegionFactory(code="DEL", name="Delhi", warehouse=world.warehouse)
    LaneFactory(region=delhi, daily_capacity=1_000, courier=world.lane_mumbai.courier)
    start = timezone.localdate() + dt.timedelta(days=12)
    campaign = approved(
        world, maya, ishaan, lata, name="Diwali tees", starts_on=start, ends_on=start + dt.timedelta(days=4),
        orders_per_day=400,
        regions=[{"region": "MUM", "share": "0.5"}, {"region": "DEL", "share": "0.5"}],
    )  # fmt: skip
    services.campaign_update(
        campaign=campaign,
        actor=maya,
        data={
            "orders_per_day": 550,
            "starts_on": start + dt.timedelta(days=2),
            "skus": [
                {"sku": "TEE-01", "share": "0.4"},
                {"sku": "CAP-01", "share": "0.4"},
                {"sku": "CAP-02", "share": "0.2"},
            ],
            "regions": [{"region": "MUM", "share": "0.7"}, {"region": "PUN", "share": "0.3"}],
        },
    )

    sign_in(page, "omar")
    page.goto("/approvals/")
    entry = page.locator(f"#entry-{campaign.pk}")
    entry.get_by_text("Orders per day: 400 → 550").wait_for()
    entry.get_by_text("Regions: Mumbai 50% → 70%, removed Delhi, added Pune 30%").wait_for()
    entry.get_by_text("SKU lines: TEE-01 60% → 40%, added CAP-02 20%").wait_for()
    shot = artifacts / "resubmitted-diff.png"
    entry.screenshot(path=str(shot))
    assert shot.stat().st_size < 200_000

    page.goto(f"/campaigns/{campaign.pk}/")
    page.locator("#changes-since-signoff").get_by_text("Orders per day: 400 → 550").wait_for()
    page.evaluate("window.__marker = 'same page'")
    page.get_by_label("Add to the discussion").fill("@maya why 550? <b>not bold</b>")
    page.get_by_role("button", name="Comment").click()
    page.locator("#timeline .comment").get_by_text("@maya why 550? <b>not bold</b>").wait_for()
    assert page.evaluate("window.__marker") == "same page"  # swapped in place by htmx
    assert Notification.objects.filter(kind="mention", recipient=maya).count() == 1
