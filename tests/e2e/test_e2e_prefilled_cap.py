"""In a real browser: when a plan does not fit, the approve form opens pre-filled with the
largest volume that fits (issue 17, defect 6), and approving it as offered holds that volume."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from capacity.models import Reservation
from tests.e2e.conftest import sign_in
from tests.helpers import make_world, submitted

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_approve_form_offers_the_largest_volume_that_fits(page, maya, ishaan):
    world = make_world(stock=1_000)  # the tee's 1,000 units take at most 333 orders/day over 5 days
    start = timezone.localdate() + dt.timedelta(days=10)
    campaign = submitted(world, maya, orders_per_day=500, starts_on=start, ends_on=start + dt.timedelta(days=4))

    sign_in(page, "ishaan")
    page.get_by_role("link", name="Approvals").click()
    form = page.locator(f"#signoff-{campaign.pk}-inventory")
    cap = form.get_by_label("Cap (orders/day, optional)")
    cap.wait_for()
    assert cap.input_value() == "333"
    entry = page.locator(f"#entry-{campaign.pk}")
    assert "Up to 333 orders/day fit; the plan asks 500." in entry.inner_text()
    assert "Inventory binds: Cotton tee stock at Bhiwandi" in entry.inner_text()

    # The campaign's page offers the same.
    page.goto(f"/campaigns/{campaign.pk}/")
    assert (
        page.locator(f"#signoff-{campaign.pk}-inventory").get_by_label("Cap (orders/day, optional)").input_value()
        == "333"
    )

    # Approved as offered: accepted, and the stock held is 333 orders/day's.
    page.goto("/approvals/")
    page.locator(f"#signoff-{campaign.pk}-inventory").get_by_role("button", name="Approve").click()
    page.locator(f"#entry-{campaign.pk}").get_by_text("Approved inventory at 333 orders/day").wait_for()
    campaign = Campaign.objects.get(pk=campaign.pk)
    signoff = campaign.current_approvals()["inventory"]
    assert signoff.approved_orders_per_day == 333
    tee_a_day = Reservation.objects.filter(campaign=campaign, sku=world.sku, day=start).get().quantity
    assert tee_a_day == 200  # ceil(333 × 0.6)
