"""Issue 17, defect 2: the inventory dimension's holds follow the warehouses the plan ships from.

Stock is held per SKU at the warehouse each region maps to (or network-wide for a region
without one). A region change that moves units to other warehouses must void the inventory
sign-off and release its holds, through every door that edits a plan (the service, the
edit form, the API); a region change served by the same warehouses keeps them.

The invariant, checked after every step of random edit and sign-off sequences: no
reservation ever points at a warehouse the current plan does not ship from.
"""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from campaigns import services
from campaigns.models import AuditEvent, Campaign, Status
from capacity.models import Reservation, Warehouse
from tests.factories import LaneFactory, RegionFactory, StockFactory, WarehouseFactory
from tests.helpers import approved, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """Mumbai and Pune ship from Bhiwandi, Delhi from Okhla; Goa has no warehouse (network)."""
    world = make_world()
    okhla = WarehouseFactory(code="DEL-WH", name="Okhla")
    for sku in (world.sku, world.sku2):
        StockFactory(sku=sku, warehouse=okhla, on_hand=100_000)
    world.okhla = okhla
    world.delhi = RegionFactory(code="DEL", name="Delhi", warehouse=okhla)
    world.goa = RegionFactory(code="GOA", name="Goa", warehouse=None)
    for region in (world.delhi, world.goa):
        LaneFactory(region=region, daily_capacity=1_000, courier=world.lane_mumbai.courier)
    return world


def ships_from(campaign: Campaign) -> set[int | None]:
    """The stock pools of the campaign's current plan, read from the database."""
    lines = Campaign.objects.get(pk=campaign.pk).region_lines.select_related("region")
    return {line.region.warehouse_id for line in lines if line.share > 0}


def held_at(campaign: Campaign, kind: str | None = None) -> set[int | None]:
    rows = Reservation.objects.filter(campaign=campaign)
    if kind:
        rows = rows.filter(kind=kind)
    return set(rows.exclude(kind="lane").values_list("warehouse_id", flat=True).distinct())


def assert_holds_follow_the_plan(campaign: Campaign) -> None:
    stray = held_at(campaign) - ships_from(campaign)
    names = dict(Warehouse.objects.values_list("id", "code"))
    assert not stray, f"held at {[names.get(w, 'network') for w in stray]}, the plan ships from elsewhere"
    fresh = Campaign.objects.get(pk=campaign.pk)
    if "inventory" in fresh.current_approvals():
        # An approved inventory dimension holds stock at every pool the plan ships from.
        assert held_at(campaign, "stock") == ships_from(campaign)
    else:
        assert not Reservation.objects.filter(campaign=campaign, dimension="inventory").exists()


def last_edit(campaign: Campaign) -> AuditEvent:
    return AuditEvent.objects.filter(campaign=campaign, action="edit").latest("id")


# --------------------------------------------------------------------------- the service


def test_swapping_delhi_for_pune_voids_inventory_and_releases_the_delhi_stock(world, maya, ishaan, lata):
    regions = [{"region": "MUM", "share": "0.5"}, {"region": "DEL", "share": "0.5"}]
    campaign = approved(world, maya, ishaan, lata, regions=regions)
    assert world.okhla.pk in held_at(campaign, "stock")

    services.campaign_update(
        campaign=campaign,
        actor=maya,
        data={"regions": [{"region": "MUM", "share": "0.5"}, {"region": "PUN", "share": "0.5"}]},
    )

    campaign = Campaign.objects.get(pk=campaign.pk)
    assert (campaign.status, campaign.plan_version) == (Status.SUBMITTED, 2)
    assert campaign.current_approvals() == {}
    assert held_at(campaign) == set()  # nothing left at Okhla (nor Bhiwandi, until approved again)
    assert last_edit(campaign).changes["voided"] == ["courier", "inventory"]

    for actor, dimension in ((ishaan, "inventory"), (lata, "courier")):
        services.campaign_sign_off(campaign=campaign, actor=actor, dimension=dimension, decision="approved")
    assert held_at(campaign) == {world.warehouse.pk}
    assert_holds_follow_the_plan(campaign)


def test_moving_share_between_warehouses_voids_inventory(world, maya, ishaan, lata):
    """Same warehouses, other shares: the held quantities per warehouse are wrong too."""
    regions = [{"region": "MUM", "share": "0.5"}, {"region": "DEL", "share": "0.5"}]
    campaign = approved(world, maya, ishaan, lata, regions=regions)
    services.campaign_update(
        campaign=campaign,
        actor=maya,
        data={"regions": [{"region": "MUM", "share": "0.8"}, {"region": "DEL", "share": "0.2"}]},
    )
    assert last_edit(campaign).changes["voided"] == ["courier", "inventory"]
    assert not Reservation.objects.filter(campaign=campaign, dimension="inventory").exists()


@pytest.mark.parametrize(
    "regions",
    [
        [{"region": "PUN", "share": "1"}],  # Mumbai and Pune both ship from Bhiwandi
        [{"region": "MUM", "share": "0.2"}, {"region": "PUN", "share": "0.8"}],
    ],
)
def test_a_region_change_that_keeps_the_warehouses_keeps_inventory(world, maya, ishaan, lata, regions):
    campaign = approved(world, maya, ishaan, lata)
    stock = list(Reservation.objects.filter(campaign=campaign, kind="stock").values_list("id", flat=True))
    services.campaign_update(campaign=campaign, actor=maya, data={"regions": regions})
    campaign = Campaign.objects.get(pk=campaign.pk)
    assert list(campaign.current_approvals()) == ["inventory"]
    assert last_edit(campaign).changes["voided"] == ["courier"]
    assert list(Reservation.objects.filter(campaign=campaign, kind="stock").values_list("id", flat=True)) == stock
    assert_holds_follow_the_plan(campaign)


def test_a_region_without_a_warehouse_is_the_network_pool(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    services.campaign_update(
        campaign=campaign,
        actor=maya,
        data={"regions": [{"region": "MUM", "share": "0.5"}, {"region": "GOA", "share": "0.5"}]},
    )
    assert last_edit(campaign).changes["voided"] == ["courier", "inventory"]
    assert_holds_follow_the_plan(campaign)


REGION_CODES = ("MUM", "PUN", "DEL", "GOA")


def random_regions(rng: random.Random) -> list[dict]:
    codes = rng.sample(REGION_CODES, rng.randint(1, len(REGION_CODES)))
    tenths = [1] * len(codes)
    for _ in range(10 - len(codes)):
        tenths[rng.randrange(len(codes))] += 1
    return [{"region": code, "share": str(Decimal(t) / 10)} for code, t in zip(codes, tenths, strict=True)]


@pytest.mark.parametrize("seed", range(6))
def test_no_reservation_ever_points_at_a_warehouse_the_plan_does_not_ship_from(world, maya, ishaan, lata, seed):
    """Random edits (regions, SKU mix, volume up and down, cosmetic) interleaved with
    sign-offs of whatever is pending; the invariant holds after every step."""
    rng = random.Random(seed)
    campaign = approved(world, maya, ishaan, lata, regions=random_regions(rng))
    assert_holds_follow_the_plan(campaign)
    for _ in range(12):
        kind = rng.choice(["regions", "regions", "regions", "skus", "volume", "name", "sign"])
        campaign = Campaign.objects.get(pk=campaign.pk)
        if kind == "sign":
            pending = [d for d in ("inventory", "courier") if d not in campaign.current_approvals()]
            if campaign.status == Status.SUBMITTED and pending:
                dimension = rng.choice(pending)
                actor = ishaan if dimension == "inventory" else lata
                services.campaign_sign_off(campaign=campaign, actor=actor, dimension=dimension, decision="approved")
        else:
            data = {
                "regions": {"regions": random_regions(rng)},
                "skus": {"skus": [{"sku": "TEE-01", "share": "0.3"}, {"sku": "CAP-01", "share": "0.7"}]},
                "volume": {"orders_per_day": rng.randint(60, 140)},
                "name": {"name": f"Diwali tees {rng.randint(1, 99)}"},
            }[kind]
            services.campaign_update(campaign=campaign, actor=maya, data=data)
        assert_holds_follow_the_plan(campaign)


# --------------------------------------------------------------------------- the doors


def form_data(campaign: Campaign, region: str) -> dict:
    return {
        "name": campaign.name,
        "brief": "",
        "channel": campaign.channel,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "forecast_basis": "orders",
        "orders_per_day": str(campaign.orders_per_day),
        "units_per_order": "1",
        "cod_percent": "30",
        "delivery_promise_days": "4",
        "budget": "50000",
        "expected_order_value": "999",
        "skus-TOTAL_FORMS": "2",
        "skus-INITIAL_FORMS": "0",
        "skus-0-sku": "TEE-01",
        "skus-0-share_percent": "60",
        "skus-1-sku": "CAP-01",
        "skus-1-share_percent": "40",
        "regions-TOTAL_FORMS": "1",
        "regions-INITIAL_FORMS": "0",
        "regions-0-region": region,
        "regions-0-share_percent": "100",
    }


def test_the_edit_form_voids_inventory_when_the_warehouse_changes(client, world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata, regions=[{"region": "MUM", "share": "1"}])
    client.force_login(maya)
    response = client.post(f"/campaigns/{campaign.pk}/edit/", form_data(campaign, "DEL"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ships_from(campaign) == {world.okhla.pk}
    assert last_edit(campaign).changes["voided"] == ["courier", "inventory"]
    assert_holds_follow_the_plan(campaign)
    assert not Reservation.objects.filter(campaign=campaign, warehouse=world.warehouse).exists()


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_patch_voids_inventory_when_the_warehouse_changes(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata, regions=[{"region": "MUM", "share": "1"}])
    response = token_client(maya).patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"regions": [{"region": "DEL", "share": "1"}]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert last_edit(campaign).changes["voided"] == ["courier", "inventory"]
    assert_holds_follow_the_plan(campaign)
    assert not Reservation.objects.filter(campaign=campaign).exists()

    # Approved again, the stock is held where Delhi ships from.
    for actor, dimension in ((ishaan, "inventory"), (lata, "courier")):
        reply = token_client(actor).post(
            f"/api/v1/campaigns/{campaign.pk}/sign-offs/",
            {"dimension": dimension, "decision": "approved", "comment": ""},
            format="json",
        )
        assert reply.status_code in (200, 201), reply.content
    assert held_at(campaign, "stock") == {world.okhla.pk}
    assert_holds_follow_the_plan(campaign)


def test_the_api_patch_keeping_the_warehouse_keeps_inventory(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata, regions=[{"region": "MUM", "share": "1"}])
    response = token_client(maya).patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"regions": [{"region": "PUN", "share": "1"}]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert last_edit(campaign).changes["voided"] == ["courier"]
    assert held_at(campaign, "stock") == {world.warehouse.pk}


def test_a_live_campaign_still_refuses_a_region_change(world, maya, ishaan, lata):
    from django.utils import timezone

    from tests.helpers import live

    today = timezone.localdate()
    campaign = live(world, maya, ishaan, lata, starts_on=today, ends_on=today + dt.timedelta(days=3))
    response = token_client(maya).patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"regions": [{"region": "DEL", "share": "1"}]}, format="json"
    )
    assert response.status_code == 409
    assert held_at(campaign, "stock") == {world.warehouse.pk}
