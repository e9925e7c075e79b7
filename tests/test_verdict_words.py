"""Issue 17, defect 6: verdicts say what binds and what was approved, on every surface.

"Exceeds — up to 0 orders/day" stood beside "Inventory: at most 342": the plan's largest
volume is the smallest of its dimensions', and a warehouse closed for a day takes no orders
that day, so no volume fits courier & dispatch. The verdict now names that limit. A live
campaign approved at 450/day said "Fits — up to 500 (the plan asks 500)"; it now says
what was approved. The approve forms offer the largest volume that fits.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import selectors, services
from capacity.check_types import CheckResult
from capacity.models import CapacityConstraint
from tests.helpers import make_world, submitted

pytestmark = pytest.mark.django_db

QUEUE = "/approvals/"


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def blocked(db, maya):
    """500 orders/day for 5 days: the tee's 1,000 units take at most 333/day, and Bhiwandi,
    the only warehouse, is closed on the third day (nothing fits courier & dispatch)."""
    world = make_world(stock=1_000)
    CapacityConstraint.objects.create(
        kind="warehouse_blackout",
        warehouse=world.warehouse,
        starts_on=days(12),
        ends_on=days(12),
        capacity_factor=0,
        note="Annual stocktake",
    )
    campaign = submitted(world, maya, orders_per_day=500, starts_on=days(10), ends_on=days(14))
    result = selectors.campaign_capacity_check(campaign)
    assert (result.max_by_dimension, result.max_orders_per_day) == ({"inventory": 333, "courier": 0}, 0)
    return campaign


def cap_value(html: str, campaign, dimension: str) -> str | None:
    form = re.search(rf'<form[^>]*id="signoff-{campaign.pk}-{dimension}".*?</form>', html, re.S)
    assert form, f"no {dimension} form"
    found = re.search(r'name="approved_orders_per_day"[^>]*value="([^"]*)"', form.group(0))
    return found.group(1) if found else None


def test_the_queue_names_the_binding_limit_beside_the_dimension_limit(client, blocked, ishaan):
    client.force_login(ishaan)
    html = client.get(QUEUE).content.decode()

    assert "up to <strong>0</strong>" not in html and "up to 0" not in html.lower()
    assert "Nothing fits now; the plan asks 500." in html
    day = days(12)
    assert f"Courier &amp; dispatch binds: Bhiwandi dispatch on {day.day} {day:%b} (Annual stocktake)." in html
    assert "Inventory alone: at most 333 orders/day fit, limited by Cotton tee stock at Bhiwandi" in html
    # The inventory approval is offered the largest volume that fits it.
    assert cap_value(html, blocked, "inventory") == "333"
    assert "Filled in with the largest volume that fits" in html


def test_the_campaign_page_and_dashboard_say_the_same(client, blocked, omar):
    client.force_login(omar)
    html = client.get(f"/campaigns/{blocked.pk}/").content.decode()
    assert "<strong>Exceeds capacity.</strong> Nothing fits now; the plan asks 500." in html
    assert "Courier &amp; dispatch binds: Bhiwandi dispatch on" in html
    assert cap_value(html, blocked, "inventory") == "333"
    assert cap_value(html, blocked, "courier") == ""  # nothing fits: no volume to offer

    dashboard = client.get("/").content.decode()
    assert "nothing fits · Bhiwandi dispatch on" in dashboard


def test_a_plan_that_fits_offers_no_cap(client, world_fits, ishaan):
    client.force_login(ishaan)
    html = client.get(QUEUE).content.decode()
    assert cap_value(html, world_fits, "inventory") == ""
    assert "Inventory alone" not in html


@pytest.fixture
def world_fits(db, maya):
    return submitted(make_world(), maya)


def approved_at_450(world, maya, ishaan, lata):
    campaign = submitted(world, maya, orders_per_day=500, starts_on=days(0), ends_on=days(4))
    services.campaign_sign_off(
        campaign=campaign, actor=ishaan, dimension="inventory", decision="approved", approved_orders_per_day=450
    )
    services.campaign_sign_off(campaign=campaign, actor=lata, dimension="courier", decision="approved")
    return services.campaign_go_live(campaign=campaign, actor=maya)


def test_a_live_campaign_approved_at_450_says_so(client, maya, ishaan, lata):
    campaign = approved_at_450(make_world(), maya, ishaan, lata)
    assert (campaign.status, campaign.approved_orders_per_day, campaign.orders_per_day) == ("live", 450, 500)
    client.force_login(maya)

    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()

    assert "Approved at 450/day; the plan asks 500." in html
    assert "(the plan asks 500)" not in html
    assert "Up to 2000 orders/day fit. Courier &amp; dispatch binds: couriers to Mumbai." in html


def test_the_api_check_keeps_its_fields_and_adds_the_words(maya, ishaan, lata):
    campaign = approved_at_450(make_world(), maya, ishaan, lata)
    client = APIClient()
    client.force_authenticate(maya)

    body = client.get(f"/api/v1/campaigns/{campaign.pk}/capacity-check/").json()

    assert {"verdict", "max_orders_per_day", "findings", "max_by_dimension"} <= set(body)
    assert body["summary"].startswith("Fits. Approved at 450/day; the plan asks 500.")
    assert body["summary"].endswith("Up to 2000 orders/day fit. Courier & dispatch binds: couriers to Mumbai.")
    assert body["binding"] == {
        "sign_off_dimension": "courier", "dimension": "courier", "subject": "MUM", "what": "couriers to Mumbai",
        "day": None, "why": "", "words": "couriers to Mumbai",
    }  # fmt: skip


def test_the_queue_api_says_what_binds(blocked, omar):
    client = APIClient()
    client.force_authenticate(omar)
    entry = client.get("/api/v1/approval-queue/").json()["results"][0]
    assert entry["check"]["max_orders_per_day"] == 0
    assert entry["check"]["summary"].startswith("Exceeds capacity. Nothing fits now; the plan asks 500.")
    assert entry["check"]["binding"]["what"] == "Bhiwandi dispatch"
    assert entry["check"]["binding"]["why"] == "Annual stocktake"


def test_no_limit_found_is_said_in_words_not_as_a_billion():
    from capacity import verdicts

    result = CheckResult("fits", 100, 10**9, {"inventory": 10**9, "courier": 10**9}, (), None, None)
    verdict = verdicts.describe(result)
    assert str(verdict) == "Fits. No capacity limit found; the plan asks 100."
    assert verdicts.suggested_cap(result, "inventory", 100) is None
