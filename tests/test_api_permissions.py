"""Who may do what over the API (DESIGN.md, "People and roles", "REST API contract").

The table below is the specification: one row per endpoint and method, one column per
role. Every case starts from a world in which the request would succeed for a role that
is allowed (a live campaign to pause, a submitted one to sign off), so a 403 is the
role talking, not the state. A refused request (401/403/405/409) changes nothing.

Roles: anonymous; outsider (signed in, no role); maya (marketing, owns the campaign);
mark (a second marketer); ishaan (ops_inventory); lata (ops_logistics); omar (ops_lead).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from tests.api_support import ROLES, STATES, build, call, client_for, snapshot
from tests.helpers import plan_data

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return timezone.localdate()


def _plan(ctx) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in plan_data(ctx["world"]).items()}


def _upload(kind: str, text: str) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", text.encode(), content_type="text/csv")}


# Request bodies: a valid request for a role that may make it.
def _days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


BODIES = {
    "discussion": lambda ctx: {"body": "@omar can couriers take this?"},
    "discussion_bad": lambda ctx: {"body": ""},
    "sku": lambda ctx: {"code": "HOOD-01", "name": "Hoodie", "safety_stock": 10},
    "sku_edit": lambda ctx: {"name": "Cotton tee, organic"},
    "warehouse": lambda ctx: {"code": "BLR-WH", "name": "Bengaluru", "daily_dispatch_capacity": 500},
    "warehouse_edit": lambda ctx: {"daily_dispatch_capacity": 12_000},
    "region": lambda ctx: {"code": "BLR", "name": "Bengaluru", "warehouse": "BOM-WH"},
    "region_edit": lambda ctx: {"name": "Mumbai metro"},
    "courier": lambda ctx: {"code": "DLV", "name": "Delhivery"},
    "courier_edit": lambda ctx: {"name": "Express Logistics"},
    "lane": lambda ctx: {
        "courier": "EXP",
        "region": "MUM",
        "daily_capacity": 300,
        "avg_delivery_days": "2.5",
        "ndr_rate": "0.1",
    },  # fmt: skip
    "lane_edit": lambda ctx: {"daily_capacity": 1_200},
    "stock": lambda ctx: {"sku": "TEE-01", "warehouse": "DEL-WH", "on_hand": 500},
    "stock_edit": lambda ctx: {"on_hand": 1},
    "inbound": lambda ctx: {
        "sku": "TEE-01",
        "warehouse": "BOM-WH",
        "quantity": 1_000,
        "expected_on": str(_today() + dt.timedelta(days=5)),
    },  # fmt: skip
    "inbound_edit": lambda ctx: {"quantity": 2},
    "constraint": lambda ctx: {
        "kind": "reduced_capacity",
        "starts_on": str(_today() + dt.timedelta(days=90)),
        "ends_on": str(_today() + dt.timedelta(days=91)),
        "warehouse": "BOM-WH",
        "capacity_factor": "0.5",
    },  # fmt: skip
    "constraint_edit": lambda ctx: {"capacity_factor": "0.7"},
    "team": lambda ctx: {
        "name": "Phone (Hyderabad)",
        "channel": "phone",
        "agents_per_day": 6,
        "tickets_per_agent_per_day": 40,
        "is_active": False,
    },
    "team_edit": lambda ctx: {"agents_per_day": 12},
    "window": lambda ctx: {
        "name": "Republic Day sale",
        "starts_on": str(_today() + dt.timedelta(days=30)),
        "ends_on": str(_today() + dt.timedelta(days=33)),
    },  # fmt: skip
    "window_edit": lambda ctx: {"notes": "Moved up a week"},
    "plan": _plan,
    "plan_edit": lambda ctx: {"name": "Diwali tees, round two"},
    "approve_inventory": lambda ctx: {"dimension": "inventory", "decision": "approved"},
    "approve_courier": lambda ctx: {"dimension": "courier", "decision": "approved"},
    "changes_inventory": lambda ctx: {"dimension": "inventory", "decision": "changes_requested", "comment": "Low"},
    "comment": lambda ctx: {"comment": "Stock recount"},
    "scale_up": lambda ctx: {"orders_per_day": 150, "comment": "ROAS is strong"},
    # Bad input or the wrong state: 403 for whoever may not act, before the 400 or 409.
    "plan_bad": lambda ctx: {**_plan(ctx), "orders_per_day": -1},
    "plan_edit_bad": lambda ctx: {"orders_per_day": -1},
    "sign_bad": lambda ctx: {"dimension": "inventory", "decision": "approved", "approved_orders_per_day": 999},
    "comment_bad": lambda ctx: {"comment": "Nul\x00"},
    "import_stock": lambda ctx: _upload("stock_levels", "sku,warehouse,on_hand,as_of\nTEE-01,BOM-WH,5,2025-01-01\n"),
    "import_lanes": lambda ctx: _upload(
        "lane_performance", "courier,region,period_start,period_end,shipments,delivered,ndr_count,avg_delivery_days\n"
    ),
    "import_returns": lambda ctx: _upload("returns", "date,sku,channel,region,orders,returned\n"),
    "import_orders": lambda ctx: _upload(
        "actual_orders", "date,campaign,channel,sku,region,orders,revenue,fulfilment_cost\n"
    ),
    "import_spend": lambda ctx: _upload("campaign_spend", "date,campaign,spend\n"),
    "import_bad_kind": lambda ctx: _upload("stock", "sku\n"),
    "credentials": lambda ctx: {"username": ctx["username"], "password": "pw-" + ctx["username"]},
    "delegation": lambda ctx: {"delegate": "omar", "starts_on": str(_days(1)), "ends_on": str(_days(2))},
}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    state: str
    body: str | None
    expected: dict[str, int]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.state})"


def row(method: str, path: str, state: str, body: str | None, *codes: int) -> Row:
    assert state in STATES and (body is None or body in BODIES) and len(codes) == len(ROLES)
    return Row(method, path, state, body, dict(zip(ROLES, codes, strict=True)))


C = "campaigns/{campaign}/"

# fmt: off
SPEC = [
    #   method    path                          state        body               anon outs maya mark ishaan lata omar
    row("GET",    "skus/",                      "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "skus/TEE-01/",               "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "skus/",                      "world",     "sku",              401, 403, 403, 403, 201, 403, 201),
    row("PATCH",  "skus/TEE-01/",               "world",     "sku_edit",         401, 403, 403, 403, 200, 403, 200),
    row("DELETE", "skus/TEE-01/",               "world",     None,               401, 403, 403, 403, 405, 403, 405),

    row("GET",    "warehouses/",                "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "warehouses/BOM-WH/",         "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "warehouses/",                "world",     "warehouse",        401, 403, 403, 403, 403, 201, 201),
    row("PATCH",  "warehouses/BOM-WH/",         "world",     "warehouse_edit",   401, 403, 403, 403, 403, 200, 200),
    row("DELETE", "warehouses/BOM-WH/",         "world",     None,               401, 403, 403, 403, 403, 405, 405),

    row("GET",    "regions/",                   "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "regions/MUM/",               "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "regions/",                   "world",     "region",           401, 403, 403, 403, 403, 201, 201),
    row("PATCH",  "regions/MUM/",               "world",     "region_edit",      401, 403, 403, 403, 403, 200, 200),
    row("DELETE", "regions/MUM/",               "world",     None,               401, 403, 403, 403, 403, 405, 405),

    row("GET",    "couriers/",                  "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "couriers/EXP/",              "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "couriers/",                  "world",     "courier",          401, 403, 403, 403, 403, 201, 201),
    row("PATCH",  "couriers/EXP/",              "world",     "courier_edit",     401, 403, 403, 403, 403, 200, 200),
    row("DELETE", "couriers/EXP/",              "world",     None,               401, 403, 403, 403, 403, 405, 405),

    row("GET",    "courier-lanes/",             "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "courier-lanes/{lane}/",      "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "courier-lanes/",             "world",     "lane",             401, 403, 403, 403, 403, 201, 201),
    row("PATCH",  "courier-lanes/{lane}/",      "world",     "lane_edit",        401, 403, 403, 403, 403, 200, 200),
    row("DELETE", "courier-lanes/{lane}/",      "world",     None,               401, 403, 403, 403, 403, 405, 405),

    row("GET",    "stock-levels/",              "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "stock-levels/{stock}/",      "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "stock-levels/",              "world",     "stock",            401, 403, 403, 403, 201, 403, 201),
    row("PATCH",  "stock-levels/{stock}/",      "world",     "stock_edit",       401, 403, 403, 403, 405, 403, 405),
    row("DELETE", "stock-levels/{stock}/",      "world",     None,               401, 403, 403, 403, 405, 403, 405),

    row("GET",    "inbound-shipments/",         "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "inbound-shipments/{inbound}/", "world",   None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "inbound-shipments/",         "world",     "inbound",          401, 403, 403, 403, 201, 403, 201),
    row("PATCH",  "inbound-shipments/{inbound}/", "world",   "inbound_edit",     401, 403, 403, 403, 405, 403, 405),
    row("DELETE", "inbound-shipments/{inbound}/", "world",   None,               401, 403, 403, 403, 405, 403, 405),

    row("GET",    "support-teams/",             "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "support-teams/{team}/",      "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "support-teams/",             "world",     "team",             401, 403, 403, 403, 403, 403, 201),
    row("PATCH",  "support-teams/{team}/",      "world",     "team_edit",        401, 403, 403, 403, 403, 403, 200),
    row("DELETE", "support-teams/{team}/",      "world",     None,               401, 403, 403, 403, 403, 403, 405),

    row("GET",    "constraints/",               "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "constraints/{constraint}/",  "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "constraints/",               "world",     "constraint",       401, 403, 403, 403, 201, 201, 201),
    row("PATCH",  "constraints/{constraint}/",  "world",     "constraint_edit",  401, 403, 403, 403, 200, 200, 200),
    row("DELETE", "constraints/{constraint}/",  "world",     None,               401, 403, 403, 403, 204, 204, 204),

    row("GET",    "promo-windows/",             "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "promo-windows/{window}/",    "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "promo-windows/",             "world",     "window",           401, 403, 201, 201, 403, 403, 201),
    row("PATCH",  "promo-windows/{window}/",    "world",     "window_edit",      401, 403, 200, 200, 403, 403, 200),
    row("DELETE", "promo-windows/{window}/",    "world",     None,               401, 403, 204, 204, 403, 403, 204),

    row("GET",    "campaigns/",                 "draft",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    C,                            "draft",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "campaigns/",                 "world",     "plan",             401, 403, 201, 201, 403, 403, 403),
    row("PATCH",  C,                            "draft",     "plan_edit",        401, 403, 200, 403, 403, 403, 403),
    row("PATCH",  C,                            "submitted", "plan_edit",        401, 403, 200, 403, 403, 403, 403),
    row("DELETE", C,                            "draft",     None,               401, 403, 405, 405, 405, 405, 405),
    row("GET",    C + "capacity-check/",        "draft",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   C + "submit/",                "draft",     None,               401, 403, 200, 403, 403, 403, 403),
    row("GET",    C + "sign-offs/",             "submitted", None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   C + "sign-offs/",             "submitted", "approve_inventory", 401, 403, 403, 403, 201, 403, 201),
    row("POST",   C + "sign-offs/",             "submitted", "changes_inventory", 401, 403, 403, 403, 201, 403, 201),
    row("POST",   C + "sign-offs/",             "submitted", "approve_courier",  401, 403, 403, 403, 403, 201, 201),
    row("POST",   C + "go-live/",               "approved",  None,               401, 403, 200, 403, 403, 403, 200),
    row("POST",   C + "go-live/",               "submitted", None,               401, 403, 409, 403, 403, 403, 409),
    row("POST",   C + "pause/",                 "live",      "comment",          401, 403, 200, 403, 403, 403, 200),
    row("POST",   C + "resume/",                "paused",    None,               401, 403, 200, 403, 403, 403, 200),
    row("POST",   C + "cancel/",                "draft",     "comment",          401, 403, 200, 403, 403, 403, 200),
    row("POST",   C + "cancel/",                "live",      "comment",          401, 403, 200, 403, 403, 403, 200),
    row("POST",   C + "scale-up/",              "live",      "scale_up",         401, 403, 200, 403, 403, 403, 403),
    row("POST",   C + "clone/",                 "draft",     None,               401, 403, 201, 201, 403, 403, 403),
    row("POST",   C + "clone/",                 "live",      None,               401, 403, 201, 201, 403, 403, 403),
    # 403 (role, ownership) is answered before 400 (input) and 409 (state)
    row("POST",   "campaigns/",                 "world",     "plan_bad",         401, 403, 400, 400, 403, 403, 403),
    row("PATCH",  C,                            "draft",     "plan_edit_bad",    401, 403, 400, 403, 403, 403, 403),
    row("PATCH",  C,                            "live",      "plan",             401, 403, 409, 403, 403, 403, 403),
    row("POST",   C + "submit/",                "submitted", None,               401, 403, 409, 403, 403, 403, 403),
    row("POST",   C + "sign-offs/",             "submitted", "sign_bad",         401, 403, 403, 403, 400, 403, 400),
    row("POST",   C + "sign-offs/",             "draft",     "approve_inventory", 401, 403, 403, 403, 409, 403, 409),
    row("POST",   C + "sign-offs/",             "live",      "approve_courier",  401, 403, 403, 403, 403, 409, 409),
    row("POST",   C + "pause/",                 "live",      "comment_bad",      401, 403, 400, 403, 403, 403, 400),
    row("POST",   C + "pause/",                 "paused",    "comment",          401, 403, 409, 403, 403, 403, 409),
    row("POST",   C + "resume/",                "live",      None,               401, 403, 409, 403, 403, 403, 409),
    row("POST",   C + "scale-up/",              "submitted", "scale_up",         401, 403, 409, 403, 403, 403, 403),
    # No line was dropped: the owner hears 409, everyone else 403 first.
    row("POST",   C + "resubmit-dropped-lines/", "approved", "comment",         401, 403, 409, 403, 403, 403, 403),
    row("GET",    C + "events/",                "live",      None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    C + "comments/",              "live",      None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   C + "comments/",              "live",      "discussion",       401, 403, 201, 201, 201, 201, 201),
    row("POST",   C + "comments/",              "submitted", "discussion_bad",   401, 403, 400, 400, 400, 400, 400),

    row("GET",    "approval-queue/",            "submitted", None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "calendar/",                  "submitted", None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "notifications/",             "submitted", None,               401, 200, 200, 200, 200, 200, 200),
    row("POST",   "notifications/{notification}/read/", "world", None,           401, 200, 200, 200, 200, 200, 200),
    row("GET",    C + "projection.csv",         "draft",     None,               401, 403, 200, 200, 200, 200, 200),
    # a review opens when a campaign completes: none yet for a live one
    row("GET",    C + "review/",                "live",      None,               401, 403, 404, 404, 404, 404, 404),

    # imports: ops data from the ops role that keeps it, marketing data from marketing or the lead
    row("GET",    "imports/",                   "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "imports/{import}/",          "world",     None,               401, 403, 200, 200, 200, 200, 200),
    row("POST",   "imports/",                   "world",     "import_stock",     401, 403, 403, 403, 202, 403, 202),
    row("POST",   "imports/",                   "world",     "import_lanes",     401, 403, 403, 403, 403, 202, 202),
    row("POST",   "imports/",                   "world",     "import_returns",   401, 403, 403, 403, 202, 202, 202),
    row("POST",   "imports/",                   "world",     "import_orders",    401, 403, 202, 202, 403, 403, 202),
    row("POST",   "imports/",                   "world",     "import_spend",     401, 403, 202, 202, 403, 403, 202),
    row("POST",   "imports/",                   "world",     "import_bad_kind",  401, 403, 400, 400, 400, 400, 400),
    row("GET",    "metrics/ndr-by-region/",     "live",      None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "metrics/roas/",              "live",      None,               401, 403, 200, 200, 200, 200, 200),
    row("GET",    "metrics/nope/",              "live",      None,               401, 403, 404, 404, 404, 404, 404),

    row("GET",    "me/",                        "world",     None,               401, 200, 200, 200, 200, 200, 200),
    row("GET",    "me/delegations/",            "world",     None,               401, 200, 200, 200, 200, 200, 200),
    row("POST",   "me/delegations/",            "world",     "delegation",       401, 403, 403, 403, 201, 201, 400),
    row("DELETE", "me/delegations/{delegation}/", "world",   None,               401, 404, 404, 404, 204, 404, 404),
    row("POST",   "auth/token/",                "world",     "credentials",      200, 200, 200, 200, 200, 200, 200),
    row("DELETE", "auth/token/",                "world",     None,               401, 204, 204, 204, 204, 204, 204),
    row("GET",    "/api/schema/",               "world",     None,               200, 200, 200, 200, 200, 200, 200),
    row("GET",    "/api/docs/",                 "world",     None,               200, 200, 200, 200, 200, 200, 200),
]
# fmt: on


@pytest.fixture
def everyone(maya, mark, ishaan, lata, omar, outsider):
    """All the users of the table (see tests/conftest.py)."""


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", SPEC, ids=str)
def test_permission_matrix(case: Row, role: str, everyone):
    ctx = build(case.state, role)
    body = BODIES[case.body](ctx) if case.body else None
    before = snapshot()

    response = call(client_for(role), case.method, case.path.format(**ctx), body)

    expected = case.expected[role]
    assert response.status_code == expected, response.content[:500]
    if expected >= 400:
        assert snapshot() == before, "a refused request changed data"
        body = response.json()
        assert body if expected == 400 else (body["detail"] and body["code"]), body


def test_the_table_covers_every_route_of_the_api():
    """Every operation in the OpenAPI schema has a row (a new endpoint needs one)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    rows = {(c.method, c.path if c.path.startswith("/") else "/api/v1/" + c.path) for c in SPEC}
    missing = []
    for path, operations in schema["paths"].items():
        shape = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")
        for method in operations:
            if not any(m == method.upper() and shape.match(p) for m, p in rows):
                missing.append(f"{method.upper()} {path}")
    assert not missing


# --------------------------------------------------------------------------- object level

OWNER_ONLY = [
    # action (method, path), state, body
    ("PATCH", C, "draft", {"name": "Mark's name now", "orders_per_day": 500}),
    ("PATCH", C, "submitted", {"orders_per_day": 500}),
    ("POST", C + "submit/", "draft", None),
    ("POST", C + "cancel/", "draft", {"comment": "not mine"}),
    ("POST", C + "cancel/", "submitted", {"comment": "not mine"}),
    ("POST", C + "cancel/", "live", {"comment": "not mine"}),
    ("POST", C + "scale-up/", "live", {"orders_per_day": 500}),
    ("POST", C + "pause/", "live", {"comment": "not mine"}),
    ("POST", C + "go-live/", "approved", None),
]


@pytest.mark.parametrize(
    ("method", "path", "state", "body"),
    OWNER_ONLY,
    ids=[f"{m} {p[len(C) :] or '-'} ({s})" for m, p, s, _ in OWNER_ONLY],
)
def test_another_marketer_cannot_act_on_maya_campaign_and_nothing_changes(method, path, state, body, everyone):
    ctx = build(state, "mark")
    before = snapshot()
    campaign = Campaign.objects.get(pk=ctx["campaign"])

    response = call(client_for("mark"), method, path.format(**ctx), body)

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_permitted"
    assert snapshot() == before
    after = Campaign.objects.get(pk=campaign.pk)
    assert (after.status, after.plan_version, after.name, after.orders_per_day, after.updated_at) == (
        campaign.status, campaign.plan_version, campaign.name, campaign.orders_per_day, campaign.updated_at,
    )  # fmt: skip
    # ...and the owner may do exactly that.
    assert call(client_for("maya"), method, path.format(**ctx), body).status_code == 200


def test_a_token_carries_its_users_roles(everyone):
    """Machine clients: a token bound to an ops_inventory user may write stock, not lanes."""
    build("world", "ishaan")
    client = client_for(None)
    token = call(client, "POST", "auth/token/", {"username": "ishaan", "password": "pw-ishaan"}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert call(client, "POST", "stock-levels/", BODIES["stock"]({})).status_code == 201
    assert call(client, "POST", "courier-lanes/", BODIES["lane"]({})).status_code == 403
