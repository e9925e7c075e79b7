"""The capacity check on hand-built cases: each finding DESIGN.md names, on a known day."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from campaigns import selectors, services
from capacity.models import CapacityConstraint
from tests.factories import InboundFactory, LaneFactory, RegionFactory, SkuFactory, StockFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)
START = dt.date(2026, 11, 28)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Kolkata")), tick=False):
        yield


@pytest.fixture
def city(db):
    """One warehouse, one SKU with 10,000 units, Mumbai served by one lane of 500/day."""
    warehouse = WarehouseFactory(code="BOM", name="Bhiwandi", daily_dispatch_capacity=5_000)
    sku = SkuFactory(code="TEE", name="Cotton tee")
    StockFactory(sku=sku, warehouse=warehouse, on_hand=10_000)
    region = RegionFactory(code="MUM", name="Mumbai", warehouse=warehouse)
    lane = LaneFactory(region=region, daily_capacity=500, avg_delivery_days=Decimal("3"), ndr_rate=Decimal("0.1"))
    return {"warehouse": warehouse, "sku": sku, "region": region, "lane": lane}


def plan(maya, *, orders=100, days=5, skus=None, regions=None, start=START, **extra):
    data = {
        "name": "Test plan",
        "channel": "meta",
        "starts_on": start,
        "ends_on": start + dt.timedelta(days=days - 1),
        "orders_per_day": orders,
        "skus": skus or [{"sku": "TEE", "share": "1"}],
        "regions": regions or [{"region": "MUM", "share": "1"}],
        **extra,
    }
    return services.campaign_create(actor=maya, data=data)


def codes(result, severity=None):
    return sorted((f.dimension, f.code, f.subject) for f in result.findings if severity in (None, f.severity))


def test_plan_that_fits_has_no_errors_and_reports_the_cap(city, maya):
    result = selectors.campaign_capacity_check(plan(maya, orders=100))
    assert result.verdict == "fits"
    # Courier is the binding limit: one lane of 500 orders/day.
    assert result.max_orders_per_day == 500
    assert result.max_by_dimension == {"inventory": 2_000, "courier": 500}


def test_region_over_courier_capacity_names_region_day_and_numbers(city, maya):
    result = selectors.campaign_capacity_check(plan(maya, orders=650))
    assert result.verdict == "exceeds"
    [finding] = [f for f in result.findings if f.code == "courier_over"]
    assert finding.subject == "MUM"
    assert finding.day == START
    assert finding.message.startswith("Mumbai can take 500 orders/day; the plan needs 650 on 28 Nov")
    assert result.max_orders_per_day == 500


def test_stock_out_on_the_first_day_demand_passes_stock(city, maya):
    # 10,000 units at 1,000/day: the 11th day (8 Dec) needs 11,000.
    result = selectors.campaign_capacity_check(plan(maya, orders=1_000, days=20, regions=None))
    stock_outs = [f for f in result.findings if f.code == "stock_out"]
    assert stock_outs, result.findings
    assert {f.day for f in stock_outs} == {START + dt.timedelta(days=10)}
    assert all(f.dimension == "inventory" and f.severity == "error" for f in stock_outs)
    assert result.max_by_dimension["inventory"] == 500  # 10,000 units over 20 days


def test_inbound_shipment_moves_the_stock_out_later(city, maya):
    InboundFactory(sku=city["sku"], warehouse=city["warehouse"], quantity=5_000, expected_on=START + dt.timedelta(5))
    result = selectors.campaign_capacity_check(plan(maya, orders=1_000, days=20))
    assert {f.day for f in result.findings if f.code == "stock_out"} == {START + dt.timedelta(days=15)}


def test_safety_stock_and_business_as_usual_are_not_promised(city, maya):
    city["sku"].safety_stock = 4_000
    city["sku"].save()
    result = selectors.campaign_capacity_check(plan(maya, orders=100, days=10))
    # 10,000 − 4,000 safety = 6,000 units over 10 days.
    assert result.max_by_dimension["inventory"] == 600
    city["sku"].baseline_units_per_day = 100
    city["sku"].save()
    # BAU from today to the end (15 days × 100) comes off too: 4,500 over 10 days.
    result = selectors.campaign_capacity_check(plan(maya, orders=100, days=10))
    assert result.max_by_dimension["inventory"] == 450


def test_warehouse_blackout_day_is_a_dispatch_finding_on_that_day(city, maya):
    CapacityConstraint.objects.create(
        kind="warehouse_blackout",
        starts_on=START + dt.timedelta(days=2),
        ends_on=START + dt.timedelta(days=2),
        warehouse=city["warehouse"],
        capacity_factor=0,
        note="stock take",
    )
    result = selectors.campaign_capacity_check(plan(maya, orders=100))
    [finding] = [f for f in result.findings if f.code == "dispatch_over"]
    assert finding.day == START + dt.timedelta(days=2)
    assert "stock take" in finding.message
    assert result.verdict == "exceeds"
    assert result.max_by_dimension["courier"] == 0


def test_reduced_capacity_courier_holiday_scales_the_lane(city, maya):
    CapacityConstraint.objects.create(
        kind="reduced_capacity",
        starts_on=START,
        ends_on=START + dt.timedelta(days=1),
        courier=city["lane"].courier,
        capacity_factor=Decimal("0.4"),
    )
    result = selectors.campaign_capacity_check(plan(maya, orders=300))
    [finding] = [f for f in result.findings if f.code == "courier_over"]
    assert (finding.day, finding.available, finding.needed) == (START, 200, 300)
    assert "short on 2 days" in finding.message
    assert result.max_by_dimension["courier"] == 200


def test_other_campaigns_reservations_are_taken_off(city, maya, ishaan, lata):
    first = plan(maya, orders=300)
    services.campaign_submit(campaign=first, actor=maya)
    services.campaign_sign_off(campaign=first, actor=lata, dimension="courier", decision="approved")
    result = selectors.campaign_capacity_check(plan(maya, orders=300))
    [finding] = [f for f in result.findings if f.code == "courier_over"]
    assert (finding.needed, finding.available) == (300, 200)
    # ...but a campaign is never checked against its own holds.
    assert selectors.campaign_capacity_check(first).errors() == []


def test_ndr_risk_region_with_cod_orders_expects_failed_deliveries(city, maya):
    city["lane"].ndr_rate = Decimal("0.31")
    city["lane"].save()
    result = selectors.campaign_capacity_check(plan(maya, orders=100, days=10, cod_share="0.5"))
    [finding] = [f for f in result.findings if f.code == "ndr_risk"]
    # 1,000 orders × 50% COD × 31% NDR = 155 failed deliveries.
    assert finding.needed == 155
    assert "31% of deliveries fail in Mumbai" in finding.message
    assert result.verdict == "fits_with_warnings"
    # Without COD there is no NDR finding.
    result = selectors.campaign_capacity_check(plan(maya, orders=100, days=10, cod_share="0"))
    assert not [f for f in result.findings if f.code == "ndr_risk"]


def test_slow_courier_against_delivery_promise(city, maya):
    city["lane"].avg_delivery_days = Decimal("6.5")
    city["lane"].save()
    result = selectors.campaign_capacity_check(plan(maya, delivery_promise_days=4))
    [finding] = [f for f in result.findings if f.code == "slow_delivery"]
    assert finding.message == "Couriers to Mumbai average 6.5 days; the plan promises 4."


def test_return_rate_and_net_roas(city, maya):
    city["sku"].return_rate = Decimal("0.22")
    city["sku"].save()
    result = selectors.campaign_capacity_check(
        plan(maya, orders=100, days=10, budget="312500", expected_order_value="1000")
    )
    assert [f.subject for f in result.findings if f.code == "return_rate"] == ["TEE"]
    # 1,000 orders × ₹1,000 = ₹10,00,000 on ₹3,12,500 spend: 3.2x gross, 2.5x after 22% returns.
    assert (result.gross_roas, result.net_roas) == (3.2, 2.5)
    [roas] = [f for f in result.findings if f.code == "roas"]
    assert roas.message == "ROAS is 3.2x on gross revenue and 2.5x after 22% returns."


def test_region_without_warehouse_draws_on_the_whole_network(city, maya):
    other = WarehouseFactory(code="BLR", name="Bengaluru", daily_dispatch_capacity=100)
    StockFactory(sku=city["sku"], warehouse=other, on_hand=5_000)
    goa = RegionFactory(code="GOA", name="Goa", warehouse=None)
    LaneFactory(region=goa, daily_capacity=10_000)
    result = selectors.campaign_capacity_check(
        plan(maya, orders=1_000, days=10, regions=[{"region": "GOA", "share": "1"}])
    )
    # Stock pooled: 15,000 units over 10 days; dispatch pooled: 5,000 + 100 orders/day.
    assert result.max_by_dimension["inventory"] == 1_500
    assert result.max_by_dimension["courier"] == 5_100
    assert result.errors() == []


def test_cod_orders_only_on_lanes_that_collect_cash(city, maya):
    city["lane"].cod_supported = False
    city["lane"].save()
    LaneFactory(region=city["region"], daily_capacity=100, cod_supported=True)
    result = selectors.campaign_capacity_check(plan(maya, orders=400, cod_share="0.5"))
    [finding] = [f for f in result.findings if f.code == "cod_over"]
    assert (finding.needed, finding.available) == (200, 100)
    assert result.max_by_dimension["courier"] == 200


def test_region_without_lanes_cannot_be_served(city, maya):
    RegionFactory(code="IMF", name="Imphal", warehouse=city["warehouse"])
    result = selectors.campaign_capacity_check(
        plan(maya, regions=[{"region": "MUM", "share": "0.9"}, {"region": "IMF", "share": "0.1"}])
    )
    assert ("courier", "no_lanes", "IMF") in codes(result, "error")
    assert result.max_by_dimension["courier"] == 0


def test_batch_checks_agree_with_single_checks_at_a_fixed_query_count(city, maya, lata, django_assert_max_num_queries):
    first = plan(maya, orders=300)
    services.campaign_submit(campaign=first, actor=maya)
    services.campaign_sign_off(campaign=first, actor=lata, dimension="courier", decision="approved")
    for orders in (100, 250, 600):
        plan(maya, orders=orders)
    campaigns = list(selectors.campaign_list())
    single = {c.pk: selectors.campaign_capacity_check(c).as_dict() for c in campaigns}
    with django_assert_max_num_queries(9):
        batch = selectors.capacity_checks(campaigns)
    assert {pk: result.as_dict() for pk, result in batch.items()} == single
