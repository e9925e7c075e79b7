"""Shared pieces of the API tests: a client per role, the world every case starts from,
and a snapshot of everything a refused request must leave alone."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import services
from campaigns.models import (
    ActualOrders,
    AuditEvent,
    Campaign,
    CampaignRegion,
    CampaignSku,
    CampaignSpend,
    Delegation,
    Notification,
    PromoWindow,
)
from capacity.models import (
    CapacityConstraint,
    Courier,
    CourierLane,
    CsatResponse,
    ImportJob,
    InboundShipment,
    LanePerformance,
    Region,
    Reservation,
    ReturnRecord,
    SignOff,
    SignOffLine,
    Sku,
    StockLevel,
    SupportTeam,
    SupportTicketCount,
    Warehouse,
)
from tests.helpers import approved, live, make_world, plan_data, submitted

API = "/api/v1/"
ROLES = ("anonymous", "outsider", "maya", "mark", "ishaan", "lata", "omar")
STATES = ("world", "draft", "submitted", "approved", "live", "paused")
WATCHED = (
    Sku, Warehouse, Region, Courier, CourierLane, StockLevel, InboundShipment, CapacityConstraint, SupportTeam,
    PromoWindow,
    Campaign, CampaignSku, CampaignRegion, SignOff, SignOffLine, Reservation, AuditEvent, Notification,
    ImportJob, LanePerformance, ReturnRecord, ActualOrders, CampaignSpend, SupportTicketCount, CsatResponse,
)  # fmt: skip


def client_for(username: str | None) -> APIClient:
    """An API client signed in as `username` (a fresh user object, so no cached roles), or anonymous."""
    client = APIClient()
    if username not in (None, "anonymous"):
        client.force_authenticate(User.objects.get(username=username))
    return client


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table the API writes, to prove that a refused request changed nothing."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in WATCHED}


def call(client: APIClient, method: str, path: str, body=None):
    """`body`: None (no body), a dict or list (sent as JSON), a dict holding a file (sent as
    multipart, as uploads are), or a str (sent raw as application/json)."""
    url = path if path.startswith("/") else API + path
    if isinstance(body, dict) and any(hasattr(value, "read") for value in body.values()):
        return client.generic(method, url, **_multipart(client, body))
    if body is None:
        return client.generic(method, url)
    data = body if isinstance(body, str) else json.dumps(body, default=str)
    return client.generic(method, url, data=data.encode(), content_type="application/json")


def _multipart(client: APIClient, body: dict) -> dict:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, body), "content_type": MULTIPART_CONTENT}


def build(state: str, role: str = "maya") -> dict[str, Any]:
    """The world every case starts from: make_world() plus a second warehouse (DEL-WH), a
    region without lanes (DEL), a courier without lanes (EXP), a constraint, a promo
    window, an inbound shipment, a notification for `role` (maya for anonymous) and,
    unless `state` is "world", maya's campaign in `state`.

    The users (fixtures maya, ishaan, lata, ...) must exist. Returns ids for paths."""
    assert state in STATES
    users = {u.username: u for u in User.objects.all()}
    world = make_world()
    today = timezone.localdate()
    maya, ishaan, lata = users["maya"], users["ishaan"], users["lata"]
    delhi_wh = Warehouse.objects.create(code="DEL-WH", name="Delhi", daily_dispatch_capacity=1_000)
    Region.objects.create(code="DEL", name="Delhi", warehouse=delhi_wh)
    Courier.objects.create(code="EXP", name="Express")
    constraint = CapacityConstraint.objects.create(
        kind="reduced_capacity", starts_on=today + dt.timedelta(days=60), ends_on=today + dt.timedelta(days=61),
        warehouse=world.warehouse, capacity_factor="0.5",
    )  # fmt: skip
    window = PromoWindow.objects.create(
        name="End of season", starts_on=today + dt.timedelta(days=40), ends_on=today + dt.timedelta(days=45),
        created_by=maya,
    )  # fmt: skip
    # Inactive: customer support stays switched off (two sign-offs), but the team is there to read and edit.
    team = SupportTeam.objects.create(
        name="Chat (Pune)", agents_per_day=10, tickets_per_agent_per_day=50, is_active=False
    )
    inbound = InboundShipment.objects.create(
        sku=world.sku, warehouse=world.warehouse, quantity=500, expected_on=today + dt.timedelta(days=2)
    )
    campaign = None
    if state == "draft":
        campaign = services.campaign_create(actor=maya, data=plan_data(world))
    elif state == "submitted":
        campaign = submitted(world, maya)
    elif state == "approved":
        campaign = approved(world, maya, ishaan, lata, starts_on=today, ends_on=today + dt.timedelta(days=4))
    elif state in ("live", "paused"):
        campaign = live(world, maya, ishaan, lata)
        if state == "paused":
            campaign = services.campaign_pause(campaign=campaign, actor=maya)
    username = "maya" if role == "anonymous" else role
    notification = Notification.objects.create(recipient=users[username], kind="test", subject="Hello")
    job = ImportJob.objects.create(kind="stock_levels", file_name="stock.csv", created_by=users["ishaan"])
    # ishaan away in a month, his sign-offs to omar: not in force, so it routes nothing here
    delegation = None
    if "omar" in users:
        delegation = Delegation.objects.create(
            user=ishaan, delegate=users["omar"], starts_on=today + dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=31),
        )  # fmt: skip
    return {
        "world": world,
        "username": username,
        "campaign": campaign.pk if campaign else None,
        "courier": world.lane_mumbai.courier.code,
        "lane": world.lane_mumbai.pk,
        "lane_pune": world.lane_pune.pk,
        "stock": StockLevel.objects.get(sku=world.sku, warehouse=world.warehouse).pk,
        "inbound": inbound.pk,
        "constraint": constraint.pk,
        "team": team.pk,
        "window": window.pk,
        "notification": notification.pk,
        "import": job.pk,
        "delegation": delegation.pk if delegation else None,
    }
