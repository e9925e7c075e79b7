"""Schemathesis over the live OpenAPI schema: every operation, as a user with a role.

The schema is loaded from the app itself (`/api/schema/` of `mopsync.wsgi.application`)
and every request goes to that WSGI app in-process: no server, no network, and the
requests share the test's database connection. Each operation × role is one pytest item
with a freshly seeded world inside the `db` fixture's transaction; each generated request
runs in a savepoint that is rolled back, so every case starts from the same seeded world
(a failure reproduces from its request alone) and a write the database refuses cannot
poison the rest of the run on PostgreSQL.

Checks: no 5xx; the response's content type and body as the schema says; its status code
documented, for the operations whose schema documents their errors.

Roles (MOPSYNC_FUZZ_ROLES): `make test` runs every operation as marketing (maya, who owns
the campaigns) and ops_lead (omar: writes most things, signs off both dimensions);
`make fuzz` adds ops_inventory (ishaan) and ops_logistics (lata).

Phases: Schemathesis' coverage cases (deterministic boundary and invalid values) plus
up to MOPSYNC_FUZZ_EXAMPLES generated cases per operation and role (default 20;
derandomized, so CI runs are reproducible; Hypothesis stops early for an operation with
few distinct inputs). The cases actually run are counted by role and phase and printed
at the end of the session; with MOPSYNC_FUZZ_MIN_CASES set the session fails if the
generated (fuzzing-phase) cases are fewer. `make fuzz` (CI, on PostgreSQL) runs every
role with at least 2,000 generated cases, without the coverage phase:
    MOPSYNC_FUZZ_ROLES=maya,ishaan,lata,sana,omar MOPSYNC_FUZZ_PHASES=examples,fuzzing \
    MOPSYNC_FUZZ_EXAMPLES=25 MOPSYNC_FUZZ_MIN_CASES=2000 .venv/bin/python -m pytest tests/test_api_fuzz.py
"""

import collections
import datetime as dt
import itertools
import os
import re
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from campaigns import services
from campaigns.models import Campaign, Notification, PromoWindow
from capacity import services as capacity_services
from capacity.models import (
    CapacityConstraint,
    Courier,
    CourierLane,
    InboundShipment,
    Region,
    Sku,
    StockLevel,
    SupportTeam,
    Warehouse,
)
from mopsync.tokens import token_create
from mopsync.wsgi import application
from tests.helpers import approved, live, make_world, plan_data, submitted

MAX_EXAMPLES = int(os.environ.get("MOPSYNC_FUZZ_EXAMPLES", "20"))
MIN_CASES = int(os.environ.get("MOPSYNC_FUZZ_MIN_CASES", "0"))
ALL_ROLES = {
    "maya": "marketing",
    "ishaan": "ops_inventory",
    "lata": "ops_logistics",
    "sana": "ops_support",
    "omar": "ops_lead",
}
ROLES = {
    user: ALL_ROLES[user] for user in os.environ.get("MOPSYNC_FUZZ_ROLES", "omar,maya").replace(" ", "").split(",")
}
# Cases actually sent, by (role, phase); reported by `report_cases` at the end of the session.
CASES: collections.Counter = collections.Counter()

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# `make fuzz` leaves the coverage phase (deterministic, the same for every role and already
# run by `make test` as marketing and ops_lead) out: MOPSYNC_FUZZ_PHASES=examples,fuzzing.
if os.environ.get("MOPSYNC_FUZZ_PHASES"):
    schema.config.phases.update(phases=os.environ["MOPSYNC_FUZZ_PHASES"].split(","))

# Ids and codes of the seeded objects, by the collection a path parameter points into.
# Filled by the `seeded` fixture, read while cases are drawn and sent.
SEEDED: dict[str, list] = {}
PATH_PARAMETER = re.compile(r"^/api/v1/([a-z-]+)/\{(id|code)\}")


def _seeded_values(operation) -> tuple[str | None, list]:
    match = PATH_PARAMETER.match(operation.path)
    if not match:
        return None, []
    return match.group(2), SEEDED.get(match.group(1), [])


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Generated cases: half of the time point `{id}`/`{code}` at a seeded object, so that the
    request gets past the 404 into the view; otherwise keep the generated (unknown) value."""
    name, real = _seeded_values(context.operation)
    if not real or name not in path_parameters:
        return st.just(path_parameters)
    return st.one_of(
        st.just(path_parameters),
        st.sampled_from(real).map(lambda value: {**path_parameters, name: value}),
    )


def point_at_seeded_object(case, turn: itertools.count) -> None:
    """Coverage cases are built before any fixture runs, out of reach of the hook above: give a
    valid `{id}`/`{code}` the seeded objects in turn, so that the phase's body and query
    variations reach the view. Invalid path values (`0.5`, `null,null`, …) go as generated."""
    name, real = _seeded_values(case.operation)
    if not real or case.meta is None or case.meta.phase.name != TestPhase.COVERAGE:
        return
    if case.meta.is_negative_at(ParameterLocation.PATH) or name not in (case.path_parameters or {}):
        return
    case.path_parameters[name] = real[next(turn) % len(real)]


def documented_status_code(ctx, response, case):
    """Status code conformance where the operation's schema documents its errors (the campaign
    workflow, calendar, notifications, token: 4xx listed); elsewhere only 2xx are documented."""
    if any(str(code).startswith("4") for code in case.operation.responses.status_codes):
        return status_code_conformance(ctx, response, case)
    return None


CHECKS = [not_a_server_error, documented_status_code, content_type_conformance, response_schema_conformance]


@pytest.fixture
def seeded(db, maya, mark, ishaan, lata, sana, omar):
    """A small world with a campaign in every state, moved there by the real services, and one
    object of each other kind. Maya owns every campaign but one draft of Mark's. Customer
    support is switched on after the approved ones (a support team), and one campaign that
    waits has a SKU line refused."""
    world = make_world()
    today = timezone.localdate()
    services.campaign_create(actor=maya, data=plan_data(world, name="Draft"))
    services.campaign_create(actor=mark, data=plan_data(world, name="Mark's draft"))
    waiting = submitted(world, maya, name="Waiting for ops", orders_per_day=50)
    approved(world, maya, ishaan, lata, name="Approved", orders_per_day=40)
    live(world, maya, ishaan, lata, name="Live", orders_per_day=30)
    paused = live(world, maya, ishaan, lata, name="Paused", orders_per_day=20)
    services.campaign_pause(campaign=paused, actor=omar, reason="Courier strike")
    cancelled = submitted(world, maya, name="Cancelled", orders_per_day=10)
    services.campaign_cancel(campaign=cancelled, actor=maya, comment="Budget cut")
    capacity_services.support_team_save(
        actor=omar, name="Chat", agents_per_day=10, tickets_per_agent_per_day=50, baseline_tickets_per_day=0
    )
    dropped = submitted(world, maya, name="A line dropped", orders_per_day=20)
    services.campaign_sign_off(
        campaign=dropped, actor=ishaan, dimension="inventory", decision="approved",
        lines=[{"sku": world.sku2.code, "decision": "refused", "comment": "stock-out"}],
    )  # fmt: skip
    CapacityConstraint.objects.create(
        kind=CapacityConstraint.Kind.REDUCED_CAPACITY,
        starts_on=today + dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=22),
        warehouse=world.warehouse,
        capacity_factor=Decimal("0.5"),
    )
    InboundShipment.objects.create(
        sku=world.sku, warehouse=world.warehouse, quantity=500, expected_on=today + dt.timedelta(days=5)
    )
    PromoWindow.objects.create(
        name="Diwali", starts_on=today + dt.timedelta(days=30), ends_on=today + dt.timedelta(days=35), created_by=maya
    )
    for user in (maya, omar):
        Notification.objects.create(recipient=user, campaign=waiting, kind="fuzz", subject="Seeded")
    for collection, model, field in [
        ("campaigns", Campaign, "pk"),
        ("constraints", CapacityConstraint, "pk"),
        ("courier-lanes", CourierLane, "pk"),
        ("stock-levels", StockLevel, "pk"),
        ("inbound-shipments", InboundShipment, "pk"),
        ("promo-windows", PromoWindow, "pk"),
        ("notifications", Notification, "pk"),
        ("skus", Sku, "code"),
        ("warehouses", Warehouse, "code"),
        ("regions", Region, "code"),
        ("couriers", Courier, "code"),
        ("support-teams", SupportTeam, "pk"),
    ]:
        SEEDED[collection] = list(model.objects.order_by("pk").values_list(field, flat=True))
    assert {c.status for c in Campaign.objects.all()} == {
        "draft",
        "submitted",
        "approved",
        "live",
        "paused",
        "cancelled",
    }
    yield world
    SEEDED.clear()


@pytest.fixture(params=list(ROLES))
def role(request, seeded):
    """Each role of MOPSYNC_FUZZ_ROLES in turn (maya: marketing, ishaan: ops_inventory, lata:
    ops_logistics, sana: ops_support, omar: ops_lead)."""
    return request.param


@pytest.fixture
def auth_headers(request, role):
    user = request.getfixturevalue(role)
    return {"Authorization": f"Token {token_create(user=user)[1]}"}


@pytest.fixture
def shared_connection():
    """Django closes "old" connections when a request starts and finishes; in-process, that
    is the test's own connection (with CONN_MAX_AGE > 0 on PostgreSQL it really is closed,
    mid-transaction). Keep it for the test, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def coverage_turn():
    return itertools.count()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api(case, shared_connection, role, auth_headers, coverage_turn):
    point_at_seeded_object(case, coverage_turn)
    with transaction.atomic():
        response = case.call(headers=auth_headers)
        transaction.set_rollback(True)
    CASES[(ROLES[role], case.meta.phase.name.value if case.meta else "explicit")] += 1
    case.validate_response(response, checks=CHECKS, headers=auth_headers)


def report_cases(session) -> None:
    """Print the cases run, by role and phase; fail the session if MOPSYNC_FUZZ_MIN_CASES
    is set and fewer ran (called by tests/conftest.py when this module was collected)."""
    if not CASES:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    reporter.write_sep("-", "schemathesis")
    write = reporter.write_line
    generated = sum(n for (_, phase), n in CASES.items() if phase == TestPhase.FUZZING.value)
    write(
        f"schemathesis: {sum(CASES.values())} cases, {generated} of them generated "
        f"(MOPSYNC_FUZZ_EXAMPLES={MAX_EXAMPLES}, MOPSYNC_FUZZ_MIN_CASES={MIN_CASES})"
    )
    for role in ROLES.values():
        phases = {phase: n for (r, phase), n in sorted(CASES.items()) if r == role}
        write(f"  {role}: {sum(phases.values())} ({', '.join(f'{p} {n}' for p, n in phases.items())})")
    if MIN_CASES and generated < MIN_CASES:
        write(f"schemathesis: FAILED: {generated} generated cases, fewer than {MIN_CASES}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
