"""A small world for workflow tests, built with factories and moved with real services."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign
from tests.factories import LaneFactory, RegionFactory, SkuFactory, StockFactory, WarehouseFactory


@dataclass
class World:
    warehouse: object
    sku: object
    sku2: object
    mumbai: object
    pune: object
    lane_mumbai: object
    lane_pune: object


def make_world(*, stock=100_000, lane_capacity=1_000, dispatch=10_000) -> World:
    warehouse = WarehouseFactory(code="BOM-WH", name="Bhiwandi", daily_dispatch_capacity=dispatch)
    sku = SkuFactory(code="TEE-01", name="Cotton tee")
    sku2 = SkuFactory(code="CAP-01", name="Cap")
    StockFactory(sku=sku, warehouse=warehouse, on_hand=stock)
    StockFactory(sku=sku2, warehouse=warehouse, on_hand=stock)
    mumbai = RegionFactory(code="MUM", name="Mumbai", warehouse=warehouse)
    pune = RegionFactory(code="PUN", name="Pune", warehouse=warehouse)
    lane_mumbai = LaneFactory(region=mumbai, daily_capacity=lane_capacity)
    lane_pune = LaneFactory(region=pune, daily_capacity=lane_capacity, courier=lane_mumbai.courier)
    return World(warehouse, sku, sku2, mumbai, pune, lane_mumbai, lane_pune)


def plan_data(world: World, **overrides) -> dict:
    start = timezone.localdate() + dt.timedelta(days=10)
    data = {
        "name": "Diwali tees",
        "channel": "meta",
        "starts_on": start,
        "ends_on": start + dt.timedelta(days=4),
        "orders_per_day": 100,
        "units_per_order": "1",
        "cod_share": "0.3",
        "delivery_promise_days": 4,
        "budget": "50000",
        "expected_order_value": "999",
        "skus": [{"sku": world.sku.code, "share": "0.6"}, {"sku": world.sku2.code, "share": "0.4"}],
        "regions": [{"region": world.mumbai.code, "share": "0.5"}, {"region": world.pune.code, "share": "0.5"}],
    }
    data.update(overrides)
    return data


def submitted(world, owner, **overrides) -> Campaign:
    campaign = services.campaign_create(actor=owner, data=plan_data(world, **overrides))
    return services.campaign_submit(campaign=campaign, actor=owner)


def approved(world, owner, inventory, logistics, **overrides) -> Campaign:
    campaign = submitted(world, owner, **overrides)
    services.campaign_sign_off(campaign=campaign, actor=inventory, dimension="inventory", decision="approved")
    services.campaign_sign_off(campaign=campaign, actor=logistics, dimension="courier", decision="approved")
    return Campaign.objects.get(pk=campaign.pk)


def live(world, owner, inventory, logistics, **overrides) -> Campaign:
    today = timezone.localdate()
    overrides.setdefault("starts_on", today)
    overrides.setdefault("ends_on", today + dt.timedelta(days=4))
    campaign = approved(world, owner, inventory, logistics, **overrides)
    return services.campaign_go_live(campaign=campaign, actor=owner)


def session_queries() -> int:
    """What a signed-in page spends on its session: nothing when sessions are read from
    the shared cache (with Redis), else one query."""
    return 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
