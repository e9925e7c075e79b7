"""The shared metrics on hand-computed fixtures (issue 6), and their fixed query counts.

The world (tests/helpers.py): MUM and PUN served by BOM-WH, one courier with a lane to
each (NDR 5%, 3 days); TEE-01 and CAP-01. The plan: 100 orders/day for 5 days, half to
each region, TEE-01 60% / CAP-01 40% of units, 30% cash on delivery, promise 4 days.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import metrics, services
from campaigns.metrics import Filters
from campaigns.models import ActualOrders, CampaignSpend
from capacity.models import LanePerformance, ReturnRecord, Sku, StockLevel
from tests.helpers import approved, live, make_world, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return make_world()


def _perf(lane, shipments: int, ndr: int, days: str, *, start=dt.date(2025, 10, 1), end=dt.date(2025, 10, 31)):
    return LanePerformance.objects.create(
        lane=lane, period_start=start, period_end=end, shipments=shipments, delivered=shipments - ndr,
        ndr_count=ndr, avg_delivery_days=Decimal(days),
    )  # fmt: skip


def _by(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


# --------------------------------------------------------------------------- couriers


def test_ndr_by_region_and_expected_failed_cod_deliveries(world, maya):
    _perf(world.lane_mumbai, 1000, 320, "6.5")
    submitted(world, maya)  # 500 orders over 5 days; 250 per region; 30% COD: 75 COD orders each

    rows = _by(metrics.ndr_by_region(Filters()), "region")

    assert rows["MUM"]["ndr_rate"] == 0.32
    assert rows["MUM"]["source"] == "performance"
    assert rows["MUM"]["planned_cod_orders"] == 75
    assert rows["MUM"]["expected_failed_cod_deliveries"] == 24  # 75 × 32%
    assert rows["PUN"]["ndr_rate"] == 0.05  # no performance data: the lane's rate
    assert rows["PUN"]["source"] == "lanes"
    assert rows["PUN"]["expected_failed_cod_deliveries"] == 4  # 75 × 5% = 3.75


def test_ndr_by_region_uses_only_periods_in_the_range(world):
    _perf(world.lane_mumbai, 1000, 320, "6.5")
    _perf(world.lane_mumbai, 1000, 100, "3", start=dt.date(2025, 9, 1), end=dt.date(2025, 9, 30))

    both = _by(metrics.ndr_by_region(Filters()), "region")["MUM"]
    september = _by(metrics.ndr_by_region(Filters(end=dt.date(2025, 9, 30))), "region")["MUM"]

    assert both["ndr_rate"] == 0.21  # 420 / 2000
    assert september["ndr_rate"] == 0.1


def test_delivery_days_by_region_against_promises(world, maya):
    _perf(world.lane_mumbai, 1000, 0, "6.5")
    campaign = submitted(world, maya)  # promises 4 days

    rows = _by(metrics.delivery_days_by_region(Filters()), "region")

    assert rows["MUM"]["avg_delivery_days"] == 6.5
    assert rows["MUM"]["campaigns"] == [
        {"campaign": campaign.pk, "name": campaign.name, "status": "submitted", "delivery_promise_days": 4,
         "breaks_promise": True},
    ]  # fmt: skip
    assert rows["MUM"]["promises_broken"] == 1
    assert rows["PUN"]["avg_delivery_days"] == 3.0
    assert rows["PUN"]["promises_broken"] == 0


# --------------------------------------------------------------------------- returns


@pytest.fixture
def returns(world):
    day = dt.date(2025, 10, 1)
    for sku, channel, region, orders, returned in [
        (world.sku, "meta", world.mumbai, 100, 25),
        (world.sku, "google", world.mumbai, 100, 15),
        (world.sku2, "meta", world.pune, 50, 2),
    ]:
        ReturnRecord.objects.create(date=day, sku=sku, channel=channel, region=region, orders=orders, returned=returned)


def test_returns_by_sku_and_by_sku_and_channel(returns):
    rows = _by(metrics.returns_by_sku(Filters()), "sku")

    assert (rows["TEE-01"]["orders"], rows["TEE-01"]["returned"], rows["TEE-01"]["return_rate"]) == (200, 40, 0.2)
    assert {c["channel"]: c["return_rate"] for c in rows["TEE-01"]["by_channel"]} == {"google": 0.15, "meta": 0.25}
    assert rows["CAP-01"]["return_rate"] == 0.04


def test_returns_by_channel(returns):
    rows = _by(metrics.returns_by_channel(Filters()), "channel")
    assert rows["meta"]["return_rate"] == 0.18  # 27 / 150
    assert rows["google"]["return_rate"] == 0.15
    assert _by(metrics.returns_by_channel(Filters(region="PUN")), "channel")["meta"]["return_rate"] == 0.04


# --------------------------------------------------------------------------- inventory


def test_days_of_cover_at_projected_demand(world, maya, ishaan, lata):
    live(world, maya, ishaan, lata)  # 60 units/day of TEE-01, 40 of CAP-01
    StockLevel.objects.update(on_hand=1_200)
    Sku.objects.filter(pk=world.sku2.pk).update(safety_stock=400)

    rows = _by(metrics.days_of_cover(Filters()), "sku")

    assert (rows["TEE-01"]["units_per_day"], rows["TEE-01"]["days_of_cover"]) == (60.0, 20.0)
    assert (rows["CAP-01"]["units_per_day"], rows["CAP-01"]["days_of_cover"]) == (40.0, 20.0)  # (1200 − 400) / 40


def test_days_of_cover_without_demand_is_none(world):
    assert _by(metrics.days_of_cover(Filters()), "sku")["TEE-01"]["days_of_cover"] is None


# --------------------------------------------------------------------------- campaigns


def _actual(campaign, day, sku, region, orders, revenue, cost="0", channel="meta"):
    ActualOrders.objects.create(
        date=day, campaign=campaign, channel=channel, sku=sku, region=region, orders=orders,
        revenue=Decimal(revenue), fulfilment_cost=Decimal(cost),
    )  # fmt: skip


def test_forecast_vs_actual_daily_and_to_date(world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    today = timezone.localdate()
    _actual(campaign, today, world.sku, world.mumbai, 50, "0")
    _actual(campaign, today, world.sku2, world.pune, 40, "0")

    [row] = metrics.forecast_vs_actual(Filters())

    assert row["campaign"] == campaign.pk
    assert row["daily"] == [{"date": today.isoformat(), "forecast": 100, "actual": 90}]
    assert row["to_date"] == {"forecast": 100, "actual": 90, "actual_vs_forecast": 0.9}


def test_roas_gross_vs_net_of_returns(world, maya, ishaan, lata):
    """A plan at 3.2x gross ROAS with a 22% return rate is 2.5x net (3.2 × 0.78 = 2.496)."""
    Sku.objects.update(return_rate=Decimal("0.22"))
    campaign = live(world, maya, ishaan, lata, budget="100000", expected_order_value="640")  # 500 × 640 = 320,000
    CampaignSpend.objects.create(campaign=campaign, date=timezone.localdate(), spend=Decimal("10000"))
    _actual(campaign, timezone.localdate(), world.sku, world.mumbai, 50, "32000")

    [row] = metrics.roas(Filters())

    assert (row["planned_gross_roas"], row["planned_net_roas"], row["return_rate"]) == (3.2, 2.5, 0.22)
    assert (row["spend"], row["revenue"], row["gross_roas"], row["net_roas"]) == (10000.0, 32000.0, 3.2, 2.5)


def test_roas_agrees_with_the_capacity_check(world, maya):
    Sku.objects.update(return_rate=Decimal("0.22"))
    campaign = submitted(world, maya, budget="100000", expected_order_value="640")
    from campaigns.selectors import campaign_capacity_check

    result = campaign_capacity_check(campaign)
    [row] = metrics.roas(Filters())
    assert (row["planned_gross_roas"], row["planned_net_roas"]) == (result.gross_roas, result.net_roas)


def test_the_dashboards_roas_panel_is_the_first_running_or_done_campaigns_of_the_full_table(world, maya, ishaan, lata):
    """The panel computes only the campaigns it shows; they are those the full table
    would give, in its order: approved, live, paused or completed, by start."""
    today = timezone.localdate()
    for i in range(4):  # submitted (not shown) and approved (shown), interleaved by start
        start = today + dt.timedelta(days=i)
        window = {"starts_on": start, "ends_on": start + dt.timedelta(days=2), "budget": str(1000 * (i + 1))}
        (approved(world, maya, ishaan, lata, **window) if i % 2 else submitted(world, maya, **window))
    live(world, maya, ishaan, lata, budget="500")
    shown = ("approved", "live", "paused", "completed")

    panel = metrics.dashboard_panels(top=2)["roas"]

    assert panel == [row for row in metrics.roas(Filters()) if row["status"] in shown][:2]
    assert [row["status"] for row in panel] == ["live", "approved"]


def test_cost_per_delivered_order(world, maya, ishaan, lata):
    """MUM fails 20% of deliveries, PUN 5% (its lane); 30% of orders are COD; TEE-01 returns 10%.
    MUM: 100 orders − 6 failed (100 × 30% × 20%) − 9.4 returned (94 × 10%);
    PUN: 100 orders − 1.5 failed; delivered 183.1; spend 18,310 → 100 per delivered order."""
    _perf(world.lane_mumbai, 1000, 200, "3")
    Sku.objects.filter(pk=world.sku.pk).update(return_rate=Decimal("0.1"))
    campaign = live(world, maya, ishaan, lata)
    today = timezone.localdate()
    _actual(campaign, today, world.sku, world.mumbai, 100, "0")
    _actual(campaign, today, world.sku2, world.pune, 100, "0")
    CampaignSpend.objects.create(campaign=campaign, date=today, spend=Decimal("18310"))

    [row] = metrics.cost_per_delivered_order(Filters())

    assert (row["orders"], row["failed_deliveries"], row["returned"], row["delivered_orders"]) == (200, 8, 9, 183)
    assert row["cost_per_order"] == 91.55
    assert row["cost_per_delivered_order"] == 100.0


def test_fulfilment_cost_by_channel(world):
    day = dt.date(2025, 10, 1)
    _actual(None, day, world.sku, world.mumbai, 100, "0", "6000", channel="meta")
    _actual(None, day, world.sku2, world.pune, 10, "0", "600.50", channel="google")

    rows = _by(metrics.fulfilment_cost_by_channel(Filters()), "channel")

    assert rows["meta"]["cost_per_order"] == 60.0
    assert rows["google"]["cost_per_order"] == 60.05


def test_approval_cycle_time_by_dimension(world, maya, ishaan, lata):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        campaign = submitted(world, maya)
        traveller.shift(dt.timedelta(hours=5))
        services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
        traveller.shift(dt.timedelta(hours=25))
        services.campaign_sign_off(campaign=campaign, actor=lata, dimension="courier", decision="approved")

    rows = _by(metrics.approval_cycle_time(Filters()), "dimension")

    assert (rows["inventory"]["sign_offs"], rows["inventory"]["avg_hours"]) == (1, 5.0)
    assert (rows["courier"]["sign_offs"], rows["courier"]["max_hours"]) == (1, 30.0)


def test_review_figures_for_the_post_campaign_review(world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    _actual(campaign, timezone.localdate(), world.sku, world.mumbai, 100, "0")
    figures = metrics.review_figures(campaign)
    assert figures["actual_orders"] == 100
    assert figures["failed_deliveries"] == 2  # 100 × 30% × 5%


# --------------------------------------------------------------------------- query counts


def _grow(world, maya, ishaan, lata, n: int) -> None:
    today = timezone.localdate()
    campaign = live(world, maya, ishaan, lata, name=f"Grow {n}", orders_per_day=10)
    _perf(world.lane_pune, 100 + n, 5, "2", start=dt.date(2025, 1, n + 1), end=dt.date(2025, 1, n + 1))
    day = today - dt.timedelta(days=n)
    ReturnRecord.objects.create(date=day, sku=world.sku, channel="email", region=world.pune, orders=n + 1, returned=0)
    CampaignSpend.objects.create(campaign=campaign, date=today, spend=Decimal("10"))
    _actual(campaign, today, world.sku, world.pune, 5, "500", "30")


@pytest.mark.parametrize("name", list(metrics.METRICS))
def test_query_count_is_fixed_whatever_the_rows(world, maya, ishaan, lata, name):
    _grow(world, maya, ishaan, lata, 0)
    with CaptureQueriesContext(connection) as small:
        metrics.compute(name, Filters())
    for n in range(1, 4):
        _grow(world, maya, ishaan, lata, n)
    with CaptureQueriesContext(connection) as large:
        result = metrics.compute(name, Filters())
    assert result is not None
    assert len(large) == len(small) <= 7, [q["sql"] for q in large.captured_queries]


def test_the_post_campaign_review_is_filled_from_imported_actuals(world, maya, ishaan, lata):
    from campaigns.models import PostCampaignReview

    campaign = live(world, maya, ishaan, lata)
    _actual(campaign, timezone.localdate(), world.sku, world.mumbai, 480, "0")
    later = campaign.ends_on + dt.timedelta(days=1)

    services.campaigns_complete_ended(today=later)

    review = PostCampaignReview.objects.get(campaign=campaign)
    assert (review.forecast_orders, review.actual_orders, review.failed_deliveries) == (500, 480, 7)  # 480 × 30% × 5%


def test_the_dashboard_shows_the_shared_metrics(client, world, maya, ishaan, lata, omar):
    _perf(world.lane_mumbai, 1000, 320, "6.5")
    Sku.objects.update(return_rate=Decimal("0.22"))
    campaign = live(world, maya, ishaan, lata, name="Diwali drop", budget="100000", expected_order_value="640")
    _actual(campaign, timezone.localdate(), world.sku, world.mumbai, 50, "32000")
    client.force_login(omar)

    panels = {
        name: client.get(f"/dashboard/{name}/", headers={"HX-Request": "true"}).context["rows"]
        for name in ("ndr", "forecast", "roas")
    }

    assert panels["ndr"][0]["region"] == "MUM" and panels["ndr"][0]["ndr_rate"] == 0.32
    assert [r["campaign"] for r in panels["forecast"]] == [campaign.pk]
    assert panels["forecast"][0]["to_date"]["actual"] == 50
    assert panels["roas"][0]["planned_net_roas"] == 2.5
    assert "Diwali drop</a>" in client.get("/dashboard/roas/", headers={"HX-Request": "true"}).content.decode()
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'href="/api/v1/campaigns/{campaign.pk}/projection.csv"' in html
