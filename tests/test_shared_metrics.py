"""The shared metrics of issue 19 (cpa-to-delivery, revenue-per-customer, repeat-rate, csat,
support-load) on small hand-built data, through the API and the dashboard, and the
support part of the post-campaign review.

The world (tests/helpers.py): MUM and PUN, TEE-01 and CAP-01; campaigns of 100 orders/day
for 5 days, half to each region. Here no order is cash on delivery (no failed
deliveries) and TEE-01 returns 10%, so 90% of its orders are delivered.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import metrics, selectors, services
from campaigns.metrics import Filters
from campaigns.models import ActualOrders, CampaignSpend
from capacity import checks
from capacity.models import CourierLane, CsatResponse, Sku, SupportTicketCount
from capacity.selectors import load_snapshot
from tests.api_support import client_for
from tests.factories import RegionFactory
from tests.helpers import live, make_world

pytestmark = pytest.mark.django_db

NEW = ("cpa-to-delivery", "revenue-per-customer", "repeat-rate", "csat", "support-load")


@pytest.fixture
def world(db):
    world = make_world()
    Sku.objects.filter(pk=world.sku.pk).update(return_rate=Decimal("0.1"))
    return world


def _campaign(world, maya, ishaan, lata, **overrides):
    overrides.setdefault("cod_share", "0")
    return live(world, maya, ishaan, lata, **overrides)


def _orders(campaign, region, orders, revenue="0", customer="", day=None, sku=None, world=None):
    return ActualOrders.objects.create(
        date=day or timezone.localdate(), campaign=campaign, channel=campaign.channel if campaign else "meta",
        sku=sku or Sku.objects.get(code="TEE-01"), region=region, orders=orders, revenue=Decimal(revenue),
        fulfilment_cost=0, customer_ref=customer,
    )  # fmt: skip


def _csat(region, score, n=1, campaign=None, day=None):
    CsatResponse.objects.create(
        day=day or timezone.localdate(), region=region, score=score, responses=n, campaign=campaign
    )


def api(name: str, query: dict | None = None, user: str = "maya"):
    return client_for(user).get(f"/api/v1/metrics/{name}/", query or {})


def _by(rows, key):
    return {row[key]: row for row in rows}


# --------------------------------------------------------------------------- cpa to delivery


def test_cpa_to_delivery_by_campaign_and_by_channel(world, maya, ishaan, lata):
    a = _campaign(world, maya, ishaan, lata, name="Meta A", channel="meta")
    b = _campaign(world, maya, ishaan, lata, name="Email B", channel="email")
    c = _campaign(world, maya, ishaan, lata, name="Meta C", channel="meta")
    today = timezone.localdate()
    _orders(a, world.mumbai, 100)  # 90 delivered (10% returned)
    _orders(b, world.pune, 50)  # 45 delivered
    for campaign, spend in ((a, "900"), (b, "900"), (c, "100")):
        CampaignSpend.objects.create(campaign=campaign, date=today, spend=Decimal(spend))

    body = api("cpa-to-delivery").json()
    rows = _by(body["results"], "campaign")

    assert (body["name"], body["filters"]["by"]) == ("cpa-to-delivery", "campaign")
    assert (rows[a.pk]["channel"], rows[a.pk]["delivered_orders"], rows[a.pk]["cpa_to_delivery"]) == ("meta", 90, 10.0)
    assert (rows[b.pk]["spend"], rows[b.pk]["cpa_to_delivery"]) == (900.0, 20.0)
    assert rows[c.pk]["cpa_to_delivery"] is None  # spend, no delivered order: no division by zero

    channels = _by(api("cpa-to-delivery", {"by": "channel"}).json()["results"], "channel")
    assert (channels["meta"]["campaigns"], channels["meta"]["spend"], channels["meta"]["cpa_to_delivery"]) == (
        2, 1000.0, 11.11,
    )  # fmt: skip
    assert channels["email"]["cpa_to_delivery"] == 20.0
    assert [r["campaign"] for r in api("cpa-to-delivery", {"channel": "email"}).json()["results"]] == [b.pk]


# --------------------------------------------------------------------------- customers


def test_revenue_per_customer_and_repeat_rate_from_orders_with_a_customer_ref(world, maya, ishaan, lata):
    a = _campaign(world, maya, ishaan, lata, name="Meta A")
    b = _campaign(world, maya, ishaan, lata, name="Meta B")
    today = timezone.localdate()
    _orders(a, world.mumbai, 2, "200", "c1")  # two orders in one row: a repeat customer
    _orders(a, world.mumbai, 1, "100", "c2")
    _orders(a, world.mumbai, 1, "100", "c2", day=today - dt.timedelta(days=1))  # c2 again, another day
    _orders(a, world.pune, 1, "50", "c3")
    _orders(a, world.mumbai, 40, "4000")  # no customer_ref: not counted
    _orders(b, world.mumbai, 9, "900")  # no customer rows at all

    [row] = api("revenue-per-customer").json()["results"]
    assert (row["campaign"], row["customers"], row["orders"], row["revenue"]) == (a.pk, 3, 5, 450.0)
    assert row["revenue_per_customer"] == 150.0

    [row] = api("repeat-rate").json()["results"]
    assert (row["campaign"], row["customers"], row["repeat_customers"], row["repeat_rate"]) == (a.pk, 3, 2, 0.6667)

    # A day's orders alone: c2 ordered once that day.
    [row] = api("repeat-rate", {"start": today.isoformat(), "end": today.isoformat()}).json()["results"]
    assert (row["customers"], row["repeat_customers"]) == (3, 1)
    [row] = api("revenue-per-customer", {"region": "PUN"}).json()["results"]
    assert (row["customers"], row["revenue_per_customer"]) == (1, 50.0)


# --------------------------------------------------------------------------- CSAT


def test_csat_by_campaign_and_by_region(world, maya, ishaan, lata):
    a = _campaign(world, maya, ishaan, lata, name="Meta A")
    _csat(world.mumbai, 5, 2, campaign=a)
    _csat(world.mumbai, 3, 1, campaign=a)
    _csat(world.mumbai, 1, 1)  # about no campaign: by region only
    _csat(world.pune, 4, 1)

    [row] = api("csat").json()["results"]
    assert (row["campaign"], row["name"], row["responses"], row["average_score"]) == (a.pk, "Meta A", 3, 4.33)

    regions = _by(api("csat", {"by": "region"}).json()["results"], "region")
    assert (regions["MUM"]["responses"], regions["MUM"]["average_score"]) == (4, 3.5)
    assert (regions["PUN"]["responses"], regions["PUN"]["average_score"]) == (1, 4.0)
    assert [r["region"] for r in api("csat", {"by": "region", "region": "PUN"}).json()["results"]] == ["PUN"]


# --------------------------------------------------------------------------- support load


def test_support_load_is_tickets_per_100_orders_by_campaign(world, maya, ishaan, lata):
    a = _campaign(world, maya, ishaan, lata, name="Meta A")
    b = _campaign(world, maya, ishaan, lata, name="Meta B")
    today = timezone.localdate()
    _orders(a, world.mumbai, 400)
    SupportTicketCount.objects.create(day=today, channel="chat", tickets=8, campaign=a)
    SupportTicketCount.objects.create(day=today, channel="email", tickets=4, campaign=a)
    SupportTicketCount.objects.create(day=today, channel="chat", tickets=500)  # no campaign: not a campaign's
    SupportTicketCount.objects.create(day=today, channel="chat", tickets=5, campaign=b)  # b has no orders

    rows = _by(api("support-load").json()["results"], "campaign")

    assert (rows[a.pk]["tickets"], rows[a.pk]["orders"], rows[a.pk]["tickets_per_100_orders"]) == (12, 400, 3.0)
    assert (rows[b.pk]["tickets"], rows[b.pk]["tickets_per_100_orders"]) == (5, None)


# --------------------------------------------------------------------------- empty data, bad input


@pytest.mark.parametrize("name", NEW)
def test_no_data_is_an_empty_result_not_an_error(world, maya, name):
    response = api(name)
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


@pytest.mark.parametrize("name", NEW)
def test_a_campaign_without_figures_is_no_division_by_zero(world, maya, ishaan, lata, name):
    _campaign(world, maya, ishaan, lata)
    response = api(name, {"by": "channel"} if name == "cpa-to-delivery" else None)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "name, query, field",
    [
        ("cpa-to-delivery", {"by": "region"}, "by"),
        ("csat", {"by": "channel"}, "by"),
        ("revenue-per-customer", {"by": "campaign"}, "by"),
        ("repeat-rate", {"start": "2025-02-30"}, "start"),
        ("support-load", {"start": "2025-12-01", "end": "2025-11-01"}, "end"),
        ("csat", {"campaign": "abc"}, "campaign"),
        ("cpa-to-delivery", {"channel": "carrier-pigeon"}, "channel"),
    ],
)
def test_bad_query_parameters_are_400_with_field_messages(world, maya, name, query, field):
    response = api(name, query)
    assert response.status_code == 400
    assert isinstance(response.json()[field], list) and response.json()[field][0]


# --------------------------------------------------------------------------- query counts


def _grow(world, maya, ishaan, lata, n: int) -> None:
    today = timezone.localdate()
    campaign = _campaign(world, maya, ishaan, lata, name=f"Grow {n}", orders_per_day=10)
    CampaignSpend.objects.create(campaign=campaign, date=today, spend=Decimal("10"))
    _orders(campaign, world.pune, 5, "500")
    _orders(campaign, world.pune, 2, "200", f"customer-{n}")
    _csat(world.mumbai, 1 + n % 5, campaign=campaign)
    SupportTicketCount.objects.create(day=today, channel="chat", tickets=n + 1, campaign=campaign)


@pytest.mark.parametrize("name, by", [(n, None) for n in NEW] + [("cpa-to-delivery", "channel"), ("csat", "region")])
def test_query_count_is_fixed_whatever_the_rows(world, maya, ishaan, lata, name, by):
    f = Filters(by=by) if by else Filters(by=metrics.METRICS[name].groups[0] if metrics.METRICS[name].groups else None)
    _grow(world, maya, ishaan, lata, 0)
    with CaptureQueriesContext(connection) as small:
        one = metrics.compute(name, f)
    for n in range(1, 5):
        _grow(world, maya, ishaan, lata, n)
    with CaptureQueriesContext(connection) as large:
        many = metrics.compute(name, f)
    assert len(many) > len(one) or by is not None
    assert len(large) == len(small) <= 7, [q["sql"] for q in large.captured_queries]


# --------------------------------------------------------------------------- dashboard


def test_the_dashboard_shows_the_new_metrics(client, world, maya, ishaan, lata, omar):
    a = _campaign(world, maya, ishaan, lata, name="Diwali drop")
    today = timezone.localdate()
    _orders(a, world.mumbai, 100, "1000", "c1")
    CampaignSpend.objects.create(campaign=a, date=today, spend=Decimal("900"))
    _csat(world.mumbai, 2, campaign=a)
    SupportTicketCount.objects.create(day=today, channel="chat", tickets=7, campaign=a)
    client.force_login(omar)

    html = client.get("/").content.decode()
    for name in ("cpa", "customers", "csat", "support"):
        assert f'hx-get="/dashboard/{name}/"' in html
    panels = {
        name: client.get(f"/dashboard/{name}/", headers={"HX-Request": "true"}).context["rows"]
        for name in ("cpa", "customers", "csat", "support")
    }
    assert panels["cpa"][0]["cpa_to_delivery"] == 10.0
    assert (panels["customers"][0]["revenue_per_customer"], panels["customers"][0]["repeat_rate"]) == (1000.0, 1.0)
    assert (panels["csat"][0]["region"], panels["csat"][0]["average_score"]) == ("MUM", 2.0)
    assert panels["support"][0]["tickets_per_100_orders"] == 7.0
    assert "Diwali drop</a>" in client.get("/dashboard/support/", headers={"HX-Request": "true"}).content.decode()


# --------------------------------------------------------------------------- the post-campaign review


def test_planned_tickets_are_the_checks_tickets_a_day_times_the_days(world, maya, ishaan, lata, settings):
    campaign = _campaign(world, maya, ishaan, lata)  # 100 orders/day × 5 days
    plan = selectors.plan_for(campaign)
    snap = load_snapshot(plan, today=campaign.starts_on, exclude_campaign_id=campaign.pk)
    assert metrics.planned_tickets(campaign) == checks.daily_tickets(plan, snap, 100) * 5
    before = metrics.planned_tickets(campaign)
    settings.MOPSYNC_SUPPORT_CONTACT_RATE = 0.3  # the brand's rate moves the plan's tickets
    assert metrics.planned_tickets(campaign) > before


def test_the_review_shows_tickets_vs_plan_and_csat_vs_the_30_days_before(
    client, world, maya, ishaan, lata, omar, settings
):  # noqa: E501
    settings.MOPSYNC_SUPPORT_CONTACT_RATE = "0.08"
    Sku.objects.update(return_rate=0)  # no return or failed-delivery follow-ups: 0.08 tickets an order
    CourierLane.objects.update(ndr_rate=0)
    campaign = _campaign(world, maya, ishaan, lata)  # MUM and PUN; 500 orders planned → 40 tickets
    start, end = campaign.starts_on, campaign.ends_on
    SupportTicketCount.objects.create(day=start, channel="chat", tickets=20, campaign=campaign)
    SupportTicketCount.objects.create(day=end, channel="email", tickets=10, campaign=campaign)
    SupportTicketCount.objects.create(day=end + dt.timedelta(days=1), channel="chat", tickets=99, campaign=campaign)
    SupportTicketCount.objects.create(day=start, channel="chat", tickets=99)  # no campaign
    _csat(world.mumbai, 4, 2, day=start - dt.timedelta(days=10))  # before
    _csat(world.pune, 1, 5, day=start - dt.timedelta(days=31))  # more than 30 days before: not counted
    _csat(world.mumbai, 2, 1, campaign=campaign, day=start)  # during
    _csat(world.pune, 3, 1, day=end)  # during (any campaign: the region's answers)
    _csat(RegionFactory(code="DEL", name="Delhi"), 5, 9, day=start)  # not its region
    services.campaigns_complete_ended(today=end + dt.timedelta(days=1))

    support = client_for("omar").get(f"/api/v1/campaigns/{campaign.pk}/review/").json()["support"]

    assert (support["tickets"], support["tickets_planned"], support["tickets_vs_plan"]) == (30, 40, 0.75)
    assert (support["csat_during"], support["csat_during_responses"]) == (2.5, 2)
    assert (support["csat_before"], support["csat_before_responses"], support["csat_change"]) == (4.0, 2, -1.5)
    client.force_login(omar)
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Post-campaign review" in html
    assert "30 vs 40 planned (75% of plan)" in html
    assert "2.5 during (2 answers)" in html and "4.0 (2) in the 30 days before: -1.5" in html


def test_a_review_without_support_data_says_so_and_a_running_campaign_has_none(client, world, maya, ishaan, lata, omar):
    campaign = _campaign(world, maya, ishaan, lata)
    assert client_for("omar").get(f"/api/v1/campaigns/{campaign.pk}/review/").status_code == 404
    assert client_for("omar").get("/api/v1/campaigns/abc/review/").status_code == 404
    services.campaigns_complete_ended(today=campaign.ends_on + dt.timedelta(days=1))

    body = client_for("maya").get(f"/api/v1/campaigns/{campaign.pk}/review/").json()

    assert body["forecast_orders"] == 500
    assert body["support"]["tickets"] == 0 and body["support"]["csat_during"] is None
    assert body["support"]["tickets_planned"] == metrics.planned_tickets(campaign)
    client.force_login(omar)
    assert "no answers during the campaign" in client.get(f"/campaigns/{campaign.pk}/").content.decode()
