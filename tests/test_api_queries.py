"""Every list endpoint costs the same number of queries with 5 rows as with 50
(DESIGN.md: queries are bounded; a list is never one query per row)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, Notification, PromoWindow
from capacity.models import CapacityConstraint
from tests.api_support import API, client_for
from tests.factories import (
    CourierFactory,
    InboundFactory,
    LaneFactory,
    RegionFactory,
    SkuFactory,
    StockFactory,
    WarehouseFactory,
)
from tests.helpers import World, make_world, plan_data

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
users: dict = {}


def _campaigns(world: World, k: int, *, approve: bool = True) -> None:
    """k submitted campaigns of maya's; inventory approved (by ishaan or omar) unless `approve` is off."""
    start = Campaign.objects.count()
    for i in range(start, start + k):
        campaign = services.campaign_create(actor=users["maya"], data=plan_data(world, name=f"Campaign {i}"))
        campaign = services.campaign_submit(campaign=campaign, actor=users["maya"])
        if approve:
            approver = users["ishaan"] if i % 2 else users["omar"]
            services.campaign_sign_off(campaign=campaign, actor=approver, dimension="inventory", decision="approved")


def _one_campaign(world: World) -> Campaign:
    campaign = Campaign.objects.first()
    if campaign is None:
        campaign = services.campaign_create(actor=users["maya"], data=plan_data(world))
        campaign = services.campaign_submit(campaign=campaign, actor=users["maya"])
    return campaign


def _round_trips(world: World, k: int) -> None:
    """k rounds of "changes requested" and a new submission: k sign-offs, 2k audit events."""
    campaign = _one_campaign(world)
    for i in range(k):
        actor = users["ishaan"] if i % 2 else users["omar"]
        services.campaign_sign_off(
            campaign=campaign, actor=actor, dimension="inventory", decision="changes_requested", comment=f"round {i}"
        )
        campaign = services.campaign_submit(campaign=campaign, actor=users["maya"])


def _calendar(world: World, k: int) -> None:
    for i in range(k):
        services.campaign_create(actor=users["maya"], data=plan_data(world, name=f"Calendar {i}"))
        PromoWindow.objects.create(
            name=f"Window {i}", starts_on=TODAY + dt.timedelta(days=i % 20), ends_on=TODAY + dt.timedelta(days=25),
            created_by=users["maya"] if i % 2 else users["mark"],
        )  # fmt: skip
        _constraint(world, i)
        InboundFactory(sku=world.sku, warehouse=world.warehouse, expected_on=TODAY + dt.timedelta(days=1 + i % 20))


def _constraint(world: World, i: int) -> None:
    scope = [
        {"warehouse": WarehouseFactory()},
        {"courier": CourierFactory()},
        {"region": RegionFactory()},
        {"courier": CourierFactory(), "region": RegionFactory()},
    ][i % 4]
    CapacityConstraint.objects.create(
        kind="reduced_capacity", starts_on=TODAY + dt.timedelta(days=i % 20), ends_on=TODAY + dt.timedelta(days=30),
        capacity_factor="0.5", **scope,
    )  # fmt: skip


def _constraints(world: World, k: int) -> None:
    start = CapacityConstraint.objects.count()
    for i in range(start, start + k):
        _constraint(world, i)


def _promo_windows(world: World, k: int) -> None:
    for i in range(k):
        PromoWindow.objects.create(
            name=f"Window {i}", starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=3),
            created_by=[users["maya"], users["mark"], users["omar"], None][i % 4],
        )  # fmt: skip


def _notifications(world: World, k: int) -> None:
    campaign = _one_campaign(world)
    Notification.objects.bulk_create(
        [
            Notification(recipient=users["maya"], campaign=campaign if i % 2 else None, kind="test", subject=f"n{i}")
            for i in range(k)
        ]
    )


@dataclass(frozen=True)
class Endpoint:
    path: str
    user: str
    add: Callable[[World, int], None]  # adds k rows to what the endpoint lists

    def __str__(self) -> str:
        return self.path.split("?")[0]


CAL = f"calendar/?start={TODAY}&end={TODAY + dt.timedelta(days=60)}&page_size=50"

ENDPOINTS = [
    Endpoint("campaigns/?page_size=50", "maya", _campaigns),
    Endpoint("approval-queue/?page_size=50", "lata", _campaigns),
    Endpoint(CAL, "omar", _calendar),
    Endpoint("skus/?page_size=50", "maya", lambda w, k: SkuFactory.create_batch(k)),
    Endpoint("warehouses/?page_size=50", "maya", lambda w, k: WarehouseFactory.create_batch(k)),
    Endpoint("regions/?page_size=50", "maya", lambda w, k: RegionFactory.create_batch(k)),
    Endpoint("couriers/?page_size=50", "maya", lambda w, k: CourierFactory.create_batch(k)),
    Endpoint("courier-lanes/?page_size=50", "maya", lambda w, k: LaneFactory.create_batch(k)),
    Endpoint("stock-levels/?page_size=50", "maya", lambda w, k: StockFactory.create_batch(k)),
    Endpoint("inbound-shipments/?page_size=50", "maya", lambda w, k: InboundFactory.create_batch(k)),
    Endpoint("constraints/?page_size=50", "maya", _constraints),
    Endpoint("promo-windows/?page_size=50", "maya", _promo_windows),
    Endpoint("campaigns/{campaign}/sign-offs/?page_size=50", "maya", _round_trips),
    Endpoint("campaigns/{campaign}/events/?page_size=50", "maya", _round_trips),
    Endpoint("notifications/?page_size=50", "maya", _notifications),
]


@pytest.fixture(autouse=True)
def _users(maya, mark, ishaan, lata, omar):
    users.update(maya=maya, mark=mark, ishaan=ishaan, lata=lata, omar=omar)
    yield
    users.clear()


def measure(endpoint: Endpoint, world: World) -> tuple[int, int, list[str]]:
    """(queries, rows listed, the SQL) of one request, as a fresh request would run it."""
    campaign = Campaign.objects.first()
    path = endpoint.path.format(campaign=campaign.pk if campaign else 0)
    client = client_for(endpoint.user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API + path)
    assert response.status_code == 200, response.content[:500]
    return len(captured), len(response.json()["results"]), [q["sql"] for q in captured.captured_queries]


def shape(sql: str) -> str:
    """A query without its literals, so that the same query for another row counts as a repeat."""
    return re.sub(r"\((?:\d+, )*\d+\)|'[^']*'|\b\d+\b", "?", sql)[:300]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_list_queries_do_not_grow_with_rows(endpoint: Endpoint):
    world = make_world()
    endpoint.add(world, 5)
    few, rows_few, sql_few = measure(endpoint, world)
    assert rows_few >= 5

    endpoint.add(world, 45)
    many, rows_many, sql_many = measure(endpoint, world)
    assert rows_many == 50

    grown = Counter(shape(q) for q in sql_many) - Counter(shape(q) for q in sql_few)
    assert many == few, f"{few} queries for {rows_few} rows, {many} for {rows_many}; repeated: {grown.most_common(3)}"


def test_the_campaign_list_is_rendered_from_rows(monkeypatch):
    """The list is built by campaigns.api_json from `.values()` rows (no model
    instances; issue 7), the one representation tests/test_campaign_json.py checks."""
    from campaigns import api_json

    calls = []
    original = api_json.campaigns_json
    monkeypatch.setattr(api_json, "campaigns_json", lambda rows: calls.append(rows) or original(rows))
    world = make_world()
    _campaigns(world, 1, approve=False)
    assert client_for("maya").get(API + "campaigns/").status_code == 200
    assert len(calls) == 1 and all(isinstance(row, dict) for row in calls[0])
