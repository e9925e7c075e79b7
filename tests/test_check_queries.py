"""The capacity check reads a fixed number of queries, whatever the plan's size
(DESIGN.md: "a handful per check, whatever the number of days, SKUs or regions")."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import selectors, services
from campaigns.models import Campaign
from capacity.models import CapacityConstraint, Reservation
from tests.factories import (
    CourierFactory,
    InboundFactory,
    LaneFactory,
    RegionFactory,
    SkuFactory,
    StockFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db

# campaign_capacity_check(campaign) on a campaign read without prefetching:
#   1. the plan's SKU lines              (plan_for: campaign.sku_lines.all())
#   2. the plan's region lines           (plan_for: campaign.region_lines.all())
#   3. SKUs                              (load_snapshot: Sku, id in the plan's SKUs)
#   4. warehouses                        (all of them: dispatch is pooled across the network)
#   5. regions                           (id in the plan's regions)
#   6. courier lanes with their courier  (lanes of the plan's regions, active couriers; select_related)
#   7. stock levels                      (the plan's SKUs)
#   8. inbound shipments                 (the plan's SKUs, any date: later arrivals count for later holds)
#   9. capacity constraints              (overlapping the plan's window)
#  10. other campaigns' holds            (reservations summed per kind/resource/day, its own excluded;
#                                        stock holds to their last day, even after the plan ends)
MAX_QUERIES = 10


def big_world(*, skus=20, regions=10, start: dt.date) -> dict:
    """Two warehouses, `skus` SKUs with stock at both and inbound, `regions` regions with
    two couriers' lanes each, and constraints of every kind over the plan's dates."""
    warehouses = [WarehouseFactory(daily_dispatch_capacity=1_000_000) for _ in range(2)]
    couriers = [CourierFactory() for _ in range(2)]
    sku_objs = [SkuFactory(safety_stock=10) for _ in range(skus)]
    for n, sku in enumerate(sku_objs):
        for warehouse in warehouses:
            StockFactory(sku=sku, warehouse=warehouse, on_hand=1_000_000)
        InboundFactory(sku=sku, warehouse=warehouses[n % 2], quantity=500, expected_on=start + dt.timedelta(days=n))
    region_objs = [RegionFactory(warehouse=warehouses[n % 2] if n % 3 else None) for n in range(regions)]
    for region in region_objs:
        for courier in couriers:
            LaneFactory(region=region, courier=courier, daily_capacity=1_000_000, ndr_rate=Decimal("0.05"))
    Kind = CapacityConstraint.Kind
    for n in range(3):
        first = start + dt.timedelta(days=7 * n)
        # Half capacity, not closed: the other campaigns below must still be approvable.
        half = Decimal("0.5")
        CapacityConstraint.objects.create(
            kind=Kind.WAREHOUSE_BLACKOUT,
            starts_on=first,
            ends_on=first,
            warehouse=warehouses[n % 2],
            capacity_factor=half,
        )
        CapacityConstraint.objects.create(
            kind=Kind.COURIER_HOLIDAY,
            starts_on=first,
            ends_on=first + dt.timedelta(days=1),
            courier=couriers[n % 2],
            capacity_factor=half,
        )
        CapacityConstraint.objects.create(
            kind=Kind.REDUCED_CAPACITY,
            starts_on=first,
            ends_on=first + dt.timedelta(days=3),
            region=region_objs[n],
            capacity_factor=half,
        )
    return {"skus": sku_objs, "regions": region_objs}


def plan_data(skus, regions, *, start: dt.date, days: int, name: str) -> dict:
    sku_share, region_share = Decimal(1) / len(skus), Decimal(1) / len(regions)
    return {
        "name": name,
        "channel": "meta",
        "starts_on": start,
        "ends_on": start + dt.timedelta(days=days - 1),
        "orders_per_day": 200,
        "cod_share": "0.3",
        "budget": "100000",
        "expected_order_value": "999",
        "skus": [{"sku": sku.code, "share": str(sku_share.quantize(Decimal("0.0001")))} for sku in skus],
        "regions": [
            {"region": region.code, "share": str(region_share.quantize(Decimal("0.0001")))} for region in regions
        ],
    }


def approved_elsewhere(owner, inventory, logistics, data: dict) -> Campaign:
    """Another campaign, approved through the services, so that its reservations are held."""
    campaign = services.campaign_create(actor=owner, data=data)
    services.campaign_submit(campaign=campaign, actor=owner)
    for actor, dimension in ((inventory, "inventory"), (logistics, "courier")):
        services.campaign_sign_off(campaign=campaign, actor=actor, dimension=dimension, decision="approved")
    return campaign


def count_check_queries(campaign: Campaign) -> tuple[int, list[str]]:
    fresh = Campaign.objects.get(pk=campaign.pk)  # no prefetched lines: plan_for reads them
    with CaptureQueriesContext(connection) as ctx:
        result = selectors.campaign_capacity_check(fresh)
    assert result.verdict in ("fits", "fits_with_warnings", "exceeds")
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def test_check_query_count_does_not_grow_with_skus_regions_days_or_holds(maya, ishaan, lata):
    start = timezone.localdate() + dt.timedelta(days=10)
    world = big_world(skus=20, regions=10, start=start)
    skus, regions = world["skus"], world["regions"]

    small = services.campaign_create(
        actor=maya, data=plan_data(skus[:1], regions[:1], start=start, days=3, name="Small")
    )
    large = services.campaign_create(actor=maya, data=plan_data(skus, regions, start=start, days=60, name="Large"))
    # Other campaigns hold stock, dispatch and lane capacity over both plans' dates.
    approved_elsewhere(maya, ishaan, lata, plan_data(skus, regions, start=start, days=30, name="Other A"))
    approved_elsewhere(maya, ishaan, lata, plan_data(skus[::2], regions[::3], start=start, days=60, name="Other B"))
    held = {kind for kind in Reservation.objects.values_list("kind", flat=True).distinct()}
    assert held == {"stock", "dispatch", "lane"}
    assert Reservation.objects.count() > 1_000

    small_count, small_sql = count_check_queries(small)
    large_count, large_sql = count_check_queries(large)

    assert small_count == large_count, "\n".join(["small:", *small_sql, "large:", *large_sql])
    assert large_count <= MAX_QUERIES, "\n".join(large_sql)
