"""Defect 5 (issue 17): every form's messages use the form's own labels and units (percent);
the API says the same rules with its field names and fractions, as clearly."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import services
from campaigns.models import Campaign
from capacity.models import CapacityConstraint, CourierLane
from mopsync.errors import Rule
from mopsync.forms import form_message
from tests.helpers import make_world, plan_data

pytestmark = pytest.mark.django_db

CODE_WORDS = re.compile(
    r"starts_on|ends_on|cod_share|conversion_rate|sessions_per_day|capacity_factor|ndr_rate|_percent"
)


@pytest.fixture
def world(db):
    return make_world()


def plan_post(world, **overrides) -> dict:
    start = timezone.localdate() + dt.timedelta(days=10)
    data = {
        "name": "Monsoon sale", "channel": "meta", "starts_on": start.isoformat(),
        "ends_on": (start + dt.timedelta(days=4)).isoformat(), "forecast_basis": "orders", "orders_per_day": "120",
        "units_per_order": "1", "cod_percent": "30", "delivery_promise_days": "4", "budget": "0",
        "expected_order_value": "0",
        "skus-TOTAL_FORMS": "2", "skus-INITIAL_FORMS": "0",
        "skus-0-sku": world.sku.code, "skus-0-share_percent": "60",
        "skus-1-sku": world.sku2.code, "skus-1-share_percent": "30",
        "regions-TOTAL_FORMS": "2", "regions-INITIAL_FORMS": "0",
        "regions-0-region": world.mumbai.code, "regions-0-share_percent": "50",
        "regions-1-region": world.pune.code, "regions-1-share_percent": "45",
    }  # fmt: skip
    data.update(overrides)
    return data


def error_items(page: str) -> list[str]:
    """Each message the page shows as its own list item (none runs into the next)."""
    return [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", page, re.S)]


def test_the_plan_form_speaks_percent_and_labels(client, world, maya):
    client.force_login(maya)
    start = timezone.localdate() + dt.timedelta(days=10)
    response = client.post("/campaigns/new/", plan_post(world, ends_on=(start - dt.timedelta(days=1)).isoformat()))
    page = response.content.decode()
    items = error_items(page)
    assert "“Ends on” must be on or after “Starts on”." in items
    assert not Campaign.objects.exists()

    page = client.post("/campaigns/new/", plan_post(world)).content.decode()
    items = error_items(page)
    assert "SKU shares must add up to 100% (they add up to 90%)." in items
    assert "Region shares must add up to 100% (they add up to 95%)." in items
    assert "Shares must add up to 1" not in page and "0.9)" not in page
    assert not [item for item in items if CODE_WORDS.search(item)]
    assert not Campaign.objects.exists()


def test_the_live_check_says_it_in_the_forms_words(client, world, maya):
    client.force_login(maya)
    page = client.post("/campaigns/check/", plan_post(world)).content.decode()
    assert "SKU shares must add up to 100% (they add up to 90%)." in page
    assert "Region shares must add up to 100% (they add up to 95%)." in page
    assert not CODE_WORDS.search(page) and "skus:" not in page


def test_the_edit_form_too(client, world, maya):
    campaign = Campaign.objects.get(pk=_create(world, maya))
    client.force_login(maya)
    start = timezone.localdate() + dt.timedelta(days=10)
    data = plan_post(world, ends_on=(start - dt.timedelta(days=3)).isoformat(), **{"skus-1-share_percent": "40"})
    data["regions-1-share_percent"] = "50"
    page = client.post(f"/campaigns/{campaign.pk}/edit/", data).content.decode()
    assert "“Ends on” must be on or after “Starts on”." in error_items(page)


def _create(world, maya) -> int:
    return services.campaign_create(actor=maya, data=plan_data(world)).pk


def test_the_constraint_form_uses_its_labels(client, world, omar):
    client.force_login(omar)
    response = client.post(
        "/capacity/constraints/new/",
        {"kind": "reduced_capacity", "starts_on": "2030-01-10", "ends_on": "2030-01-09", "warehouse": "BOM-WH",
         "capacity_percent": "50"},
    )  # fmt: skip
    page = response.content.decode()
    assert "“To” must be on or after “From”." in error_items(page)
    assert not CODE_WORDS.search(" ".join(error_items(page)))
    # Two refusals are two messages, each its own item.
    response = client.post(
        "/capacity/constraints/new/",
        {"kind": "warehouse_blackout", "starts_on": "2030-01-10", "ends_on": "2030-01-09", "region": "MUM"},
    )
    items = error_items(response.content.decode())
    assert "“To” must be on or after “From”." in items and "A warehouse blackout needs a warehouse." in items
    assert not CapacityConstraint.objects.exists()


def test_the_lane_and_inbound_forms_give_plain_messages(client, world, omar):
    client.force_login(omar)
    lane = world.lane_mumbai
    page = client.post(
        "/capacity/lanes/new/",
        {"courier": lane.courier.code, "region": "MUM", "daily_capacity": "10", "avg_delivery_days": "2",
         "ndr_percent": "150"},
    ).content.decode()  # fmt: skip
    items = error_items(page)
    assert "Ensure this value is less than or equal to 100." in items
    page = client.post(
        "/capacity/lanes/new/",
        {"courier": lane.courier.code, "region": "MUM", "daily_capacity": "10", "avg_delivery_days": "2",
         "ndr_percent": "5"},
    ).content.decode()  # fmt: skip
    assert "This courier already has a lane to this region." in error_items(page)
    assert CourierLane.objects.count() == 2
    page = client.post(
        "/capacity/inbound/new/", {"sku": "TEE-01", "warehouse": "BOM-WH", "quantity": "0", "expected_on": "x"}
    ).content.decode()
    assert not CODE_WORDS.search(" ".join(error_items(page)))


def test_form_message_renders_each_rule_in_the_forms_units():
    labels = {"conversion_rate": "Conversion rate (%)", "sessions_per_day": "Sessions per day", "skus": "SKU"}
    between = Rule("Must be between 0.00001 and 1.", "between", minimum=Decimal("0.00001"),
                   maximum=1)  # fmt: skip
    assert form_message(between, field="conversion_rate", labels=labels, percent=["conversion_rate"]) == (
        "Must be between 0.001% and 100%."
    )
    assert form_message(between, field="budget", labels=labels) == "Must be between 0.00001 and 1."
    required = Rule("Required with sessions_per_day.", "required_with", other="sessions_per_day")
    assert form_message(required, field="conversion_rate", labels=labels) == "Required with Sessions per day."
    line = Rule("Line 2: Must be between 0 and 1.", "line", index=2,
                messages=[Rule("Must be between 0 and 1.", "between", minimum=0, maximum=1)])  # fmt: skip
    assert form_message(line, field="skus", labels=labels, percent=["skus"]) == "Line 2: Must be between 0% and 100%."
    assert form_message("Listed more than once: TEE-01.", field="skus", labels=labels) == (
        "Listed more than once: TEE-01."
    )


# --------------------------------------------------------------------------- the API keeps its words


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_names_fields_and_speaks_fractions(world, maya, omar):
    data = plan_data(world)
    data["skus"] = [{"sku": world.sku.code, "share": "0.6"}, {"sku": world.sku2.code, "share": "0.3"}]
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}
    response = api(maya).post("/api/v1/campaigns/", data, format="json")
    assert response.status_code == 400
    assert response.json() == {"skus": ["Shares must add up to 1 (they add up to 0.9)."]}
    response = api(maya).post(
        "/api/v1/campaigns/", {**data, "skus": plan_data(world)["skus"], "ends_on": "2000-01-01"}, format="json"
    )
    assert response.status_code == 400 and "ends_on" in response.json()
    assert "Must be on or after starts_on." in response.json()["ends_on"][0]
    data.update(ends_on=data["starts_on"], sessions_per_day=1000, skus=plan_data(world)["skus"])
    data.pop("orders_per_day")
    response = api(maya).post("/api/v1/campaigns/", data, format="json")
    assert response.status_code == 400
    assert response.json() == {"conversion_rate": ["Required with sessions_per_day."]}
    response = api(omar).post(
        "/api/v1/constraints/",
        {"kind": "reduced_capacity", "starts_on": "2030-01-10", "ends_on": "2030-01-09", "warehouse": "BOM-WH",
         "capacity_factor": "1.5"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    body = response.json()
    assert body["capacity_factor"] and "%" not in " ".join(body["capacity_factor"])
    response = api(omar).post(
        "/api/v1/constraints/",
        {"kind": "reduced_capacity", "starts_on": "2030-01-10", "ends_on": "2030-01-09", "warehouse": "BOM-WH",
         "capacity_factor": "0.5"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400 and response.json() == {"ends_on": ["Must be on or after starts_on."]}
    assert not Campaign.objects.exists() and not CapacityConstraint.objects.exists()
