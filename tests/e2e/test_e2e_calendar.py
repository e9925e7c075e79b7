"""In a real browser: a crowded day of the month shows its most important entries and
"+N more", which opens the day with every entry (under the Content-Security-Policy)."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns import calendar
from campaigns.models import Campaign
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_more_opens_the_day_with_every_entry(page, maya, artifacts):
    day = timezone.localdate() + dt.timedelta(days=3)
    Campaign.objects.bulk_create(
        Campaign(name=f"Crowd {i:02d}", owner=maya, channel="meta", starts_on=day, ends_on=day, orders_per_day=1)
        for i in range(9)
    )
    (late,) = Campaign.objects.bulk_create(
        [Campaign(name="Late flash sale", owner=maya, channel="meta", status="submitted", late_notice=True,
                  starts_on=day, ends_on=day, orders_per_day=1)]
    )  # fmt: skip
    cap = calendar.DAY_CAPS["month"]
    sign_in(page, "maya")

    page.goto(f"/calendar/?month={day:%Y-%m}")
    cell = page.locator(f'td[data-day="{day.isoformat()}"]')
    assert cell.locator("li.cal-entry").count() == cap
    assert cell.locator("li.cal-entry").first.inner_text().startswith("Campaign:\nLate flash sale")
    more = cell.get_by_role("link", name=f"{10 - cap} more on")
    assert more.inner_text() == f"+{10 - cap} more"
    page.screenshot(path=str(artifacts / "calendar-month-crowded.png"), full_page=True)

    more.click()
    page.wait_for_url(f"**/calendar/?day={day.isoformat()}")
    listing = page.locator("section.cal-day-list")
    assert listing.get_by_role("heading").inner_text() == "10 entries"
    assert listing.locator("li.cal-entry").count() == 10
    assert listing.get_by_role("link", name=late.name).count() == 1
    page.screenshot(path=str(artifacts / "calendar-day.png"), full_page=True)
