"""In a real browser: "Add SKU line" (htmx) until the plan has 10 SKU lines, the running total
reaches 100% as they are typed, and the saved campaign has the 10 lines. Takes the
screenshot of the form's lines (clipped) into var/e2e/ (`make screenshots` copies it to
docs/screenshots/plan-form-10-lines.png, for the README's tour)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from tests.e2e.conftest import sign_in
from tests.factories import SkuFactory, StockFactory
from tests.helpers import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_maya_adds_lines_until_ten_skus_and_the_total_reaches_100(page, maya, artifacts):
    world = make_world()
    codes = [world.sku.code, world.sku2.code]
    for n in range(8):
        sku = SkuFactory(code=f"LINE-{n:02d}", name=f"Festive pick {n + 1}")
        StockFactory(sku=sku, warehouse=world.warehouse)
        codes.append(sku.code)
    start = timezone.localdate() + dt.timedelta(days=10)
    sign_in(page, "maya")
    page.goto("/campaigns/new/")
    page.get_by_label("Name").fill("Ten-SKU festive sale")
    page.get_by_label("Channel").select_option("meta")
    page.get_by_label("Starts on").fill(start.isoformat())
    page.get_by_label("Ends on").fill((start + dt.timedelta(days=6)).isoformat())
    page.get_by_role("spinbutton", name="Orders per day").fill("150")
    page.get_by_label("Cash on delivery (%)").fill("30")

    rows = page.locator("#skus-lines tbody tr")
    assert rows.count() == 3
    add = page.get_by_role("button", name="Add SKU line")
    while rows.count() < 10:
        before = rows.count()
        add.click()
        rows.nth(before).wait_for()  # htmx swapped in the lines with one more
        assert page.locator("#id_skus-TOTAL_FORMS").input_value() == str(before + 1)
    assert rows.count() == 10
    # The new line has the focus, ready to choose its SKU (the script moves it just after
    # htmx's swap settles: expect() waits for it, as a person would).
    expect(page.locator("#id_skus-9-sku")).to_be_focused()

    total = page.locator("#skus-total")
    for i, code in enumerate(codes):
        page.locator(f"#id_skus-{i}-sku").select_option(code)
        page.locator(f"#id_skus-{i}-share_percent").fill("10")
        assert total.inner_text() == str(10 * (i + 1))  # updated as typed
    assert page.locator('[data-total-for="skus"]').get_attribute("data-ok") is not None
    page.locator("#id_regions-0-region").select_option("MUM")
    page.locator("#id_regions-0-share_percent").fill("60")
    page.locator("#id_regions-1-region").select_option("PUN")
    page.locator("#id_regions-1-share_percent").fill("40")
    assert page.locator("#regions-total").inner_text() == "100"
    page.locator("#id_regions-1-share_percent").blur()
    page.locator("#check-panel").get_by_text("orders/day fit").wait_for()

    folder = artifacts  # `make screenshots` copies it to docs/screenshots/
    # Bounding boxes are in the viewport; a full-page clip is in the page's coordinates.
    scroll_y = page.evaluate("window.scrollY")
    lines = page.locator("#skus-lines").bounding_box()
    regions = page.locator("#regions-lines").bounding_box()
    page.screenshot(
        path=str(folder / "plan-form-10-lines.png"),
        full_page=True,
        clip={
            "x": lines["x"] - 8,
            "y": scroll_y + lines["y"] - 8,
            "width": lines["width"] + 16,
            "height": regions["y"] + regions["height"] - lines["y"] + 16,
        },
    )

    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for()
    campaign = Campaign.objects.get(name="Ten-SKU festive sale")
    assert campaign.status == "draft"
    assert sorted(line.sku.code for line in campaign.sku_lines.all()) == sorted(codes)
    assert campaign.region_lines.count() == 2
