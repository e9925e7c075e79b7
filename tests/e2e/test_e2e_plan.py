"""In a real browser: a marketer plans a campaign with two SKUs and two regions and submits it."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from tests.e2e.conftest import sign_in
from tests.helpers import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_maya_plans_and_submits_with_the_live_check(page, maya, artifacts):
    make_world()
    start = timezone.localdate() + dt.timedelta(days=10)
    sign_in(page, "maya")
    page.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="Plan a campaign").click()
    page.get_by_label("Name").fill("Monsoon jackets")
    page.get_by_label("Channel").select_option("meta")
    page.get_by_label("Starts on").fill(start.isoformat())
    page.get_by_label("Ends on").fill((start + dt.timedelta(days=6)).isoformat())
    page.get_by_role("spinbutton", name="Orders per day").fill("150")
    page.get_by_label("Cash on delivery (%)").fill("30")
    page.locator("#id_skus-0-sku").select_option("TEE-01")
    page.locator("#id_skus-0-share_percent").fill("70")
    page.locator("#id_skus-1-sku").select_option("CAP-01")
    page.locator("#id_skus-1-share_percent").fill("30")
    page.locator("#id_regions-0-region").select_option("MUM")
    page.locator("#id_regions-0-share_percent").fill("60")
    page.locator("#id_regions-1-region").select_option("PUN")
    page.locator("#id_regions-1-share_percent").fill("40")
    page.locator("#id_regions-1-share_percent").blur()
    # The live check (htmx) answers as the plan is typed.
    panel = page.locator("#check-panel")
    panel.get_by_text("orders/day fit").wait_for()
    assert "Fits" in panel.inner_text()
    page.screenshot(path=str(artifacts / "plan-form.png"), full_page=True)
    page.get_by_role("button", name="Save and submit to ops").click()
    page.get_by_text("Submitted for ops sign-off.").wait_for()
    campaign = Campaign.objects.get(name="Monsoon jackets")
    assert campaign.status == "submitted"
    assert campaign.sku_lines.count() == 2 and campaign.region_lines.count() == 2
