"""Every write to the operations side's data (DESIGN.md, "Domain", operations side).

Who keeps what (DESIGN.md, "People and roles"):
- SKUs, stock levels and inbound shipments: `ops_inventory` or `ops_lead`;
- warehouses, regions, couriers and courier lanes: `ops_logistics` or `ops_lead`;
- capacity constraints (the ops calendar): any ops role.
Staff, who configure through the admin, may change all of it; marketing reads all of
it and changes none of it.

One function per write. Each takes a keyword-only `actor` and checks the actor's role
first, then cleans its input and applies the rules written here — and only here: the
web forms, the API's serializers and the admin's forms read and type the input, then
call these. A refusal is `NotPermitted` or `InvalidInput` (messages per field) with
nothing changed; the database constraints back the rules up. Every write tells
`mopsync.versions` what it changed: reference rows (SKUs, warehouses, regions,
couriers, lanes, constraints) change `REF` and `DATA`, stock and inbound `DATA`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone

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
    code_validator,
)
from mopsync import versions
from mopsync.errors import InvalidInput, NotPermitted, Rule
from mopsync.roles import OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS, OPS_SUPPORT, keeps
from mopsync.validation import FieldErrors, clean_bool, clean_date, clean_decimal, clean_int, clean_text

# The largest value a PositiveIntegerField holds on every supported database.
MAX_COUNT = 2_147_483_647

INVENTORY_KEEPERS = frozenset({OPS_INVENTORY, OPS_LEAD})
LOGISTICS_KEEPERS = frozenset({OPS_LOGISTICS, OPS_LEAD})
SUPPORT_KEEPERS = frozenset({OPS_SUPPORT, OPS_LEAD})
CONSTRAINT_KEEPERS = frozenset({OPS_INVENTORY, OPS_LOGISTICS, OPS_SUPPORT, OPS_LEAD})
_UNCHANGED = object()  # an optional field not given: left as it is

# What a write changes, for the memos of `mopsync.versions`.
REFERENCE = (versions.REF, versions.DATA)
DATA = (versions.DATA,)


# --------------------------------------------------------------------------- who may write


def can_keep_stock(user) -> bool:
    """SKUs, stock levels and inbound shipments: ops_inventory or ops_lead (or staff)."""
    return keeps(user, INVENTORY_KEEPERS)


def can_keep_logistics(user) -> bool:
    """Warehouses, regions, couriers and courier lanes: ops_logistics or ops_lead (or staff)."""
    return keeps(user, LOGISTICS_KEEPERS)


def can_keep_constraints(user) -> bool:
    """Capacity constraints: any ops role (or staff)."""
    return keeps(user, CONSTRAINT_KEEPERS)


def _require(actor, roles: frozenset[str], what: str) -> None:
    if not keeps(actor, roles):
        raise NotPermitted(f"Changing {what} needs one of the roles: {', '.join(sorted(roles))}.")


# --------------------------------------------------------------------------- cleaning and saving helpers


def _raise_if(errors: FieldErrors) -> None:
    if errors:
        raise InvalidInput(dict(errors))


def _reference(value: Any, model, *, field: str, errors: FieldErrors, required: bool = True):
    """A saved instance of `model`, or its code (as imports send it)."""
    if value is None or value == "":
        if required:
            errors.add(field, "This field is required.")
        return None
    if isinstance(value, model) and value.pk is not None:
        return value
    if isinstance(value, str):
        code = clean_text(value, field=field, errors=errors, max_length=40, required=True)
        if code is None:
            return None
        found = model.objects.filter(code=code).first()
        if found is not None:
            return found
    errors.add(field, f"Unknown {model._meta.verbose_name}.")
    return None


def _code(value: Any, model, row: models.Model | None, *, errors: FieldErrors) -> str | None:
    """A reference code: letters, digits, '-', '_', '.'; unique among `model`'s rows."""
    code = clean_text(value, field="code", errors=errors, max_length=40, required=True)
    if code is None:
        return None
    try:
        code_validator(code)
    except ValidationError as exc:
        errors.add("code", " ".join(exc.messages))
        return None
    clash = model.objects.filter(code=code)
    if row is not None:
        clash = clash.exclude(pk=row.pk)
    if clash.exists():
        errors.add("code", f"A {model._meta.verbose_name} with this code already exists.")
    return code


def _name(value: Any, *, errors: FieldErrors) -> str | None:
    return clean_text(value, field="name", errors=errors, max_length=200, required=True)


def _count(value: Any, *, field: str, errors: FieldErrors, minimum: int = 0) -> int | None:
    return clean_int(value, field=field, errors=errors, minimum=minimum, maximum=MAX_COUNT)


def _rate(value: Any, *, field: str, errors: FieldErrors, places: int) -> Decimal | None:
    """A share from 0 to 1 (return rate, NDR rate, capacity factor)."""
    return clean_decimal(value, field=field, errors=errors, minimum=Decimal("0"), maximum=Decimal("1"), places=places)


def _moment(value: Any, *, errors: FieldErrors) -> dt.datetime | None:
    if value is None:
        return timezone.now()
    if not isinstance(value, dt.datetime):
        errors.add("as_of", "A date and time is required.")
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@contextmanager
def _saving(scopes: tuple[str, ...]) -> Iterator[None]:
    """One atomic write of data of `scopes`; a database constraint refusing it (a duplicate
    racing this request, a value out of range) is bad input, never a server error."""
    try:
        with transaction.atomic():
            yield
            versions.changed(*scopes)
    except (IntegrityError, DataError) as exc:
        raise InvalidInput("The database refused this change (a duplicate or out-of-range value).") from exc


def _store(row: models.Model, cleaned: dict[str, Any], scopes: tuple[str, ...]) -> models.Model:
    """Save `cleaned` into `row` (a new row when it has no primary key yet)."""
    for field, value in cleaned.items():
        setattr(row, field, value)
    with _saving(scopes):
        if row.pk is None:
            row.save()
        else:
            row.save(update_fields=list(cleaned))
    return row


def _delete(row: models.Model, scopes: tuple[str, ...]) -> None:
    """Delete `row` and what cascades from it; rows that still refer to it (a campaign's
    lines, reservations) keep it, and the refusal says which."""
    try:
        with transaction.atomic():
            type(row).objects.filter(pk=row.pk).delete()
            versions.changed(*scopes)
    except (ProtectedError, RestrictedError) as exc:
        holding = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        users = sorted({str(obj._meta.verbose_name_plural) for obj in holding})
        raise InvalidInput(
            f"This {row._meta.verbose_name} is still used by {', '.join(users)}: it cannot be deleted."
        ) from exc


# --------------------------------------------------------------------------- SKUs


def sku_save(
    *,
    actor,
    sku: Sku | None = None,
    code: Any,
    name: Any,
    safety_stock: Any = 0,
    baseline_units_per_day: Any = 0,
    return_rate: Any = Decimal("0"),
    is_active: Any = True,
    contact_rate: Any = _UNCHANGED,
) -> Sku:
    """Create a SKU, or change one: a unique code, a name, the safety stock never promised
    to campaigns, business-as-usual units/day, its return rate (0–1) and whether it is active;
    optionally its support contact rate (tickets per order, 0–1; empty: the brand's).

    Rule: SKUs are kept by ops_inventory or ops_lead.
    """
    _require(actor, INVENTORY_KEEPERS, "SKUs")
    errors = FieldErrors()
    cleaned = {
        "code": _code(code, Sku, sku, errors=errors),
        "name": _name(name, errors=errors),
        "safety_stock": _count(safety_stock, field="safety_stock", errors=errors),
        "baseline_units_per_day": _count(baseline_units_per_day, field="baseline_units_per_day", errors=errors),
        "return_rate": _rate(return_rate, field="return_rate", errors=errors, places=4),
        "is_active": clean_bool(is_active, field="is_active", errors=errors),
    }
    if contact_rate is not _UNCHANGED:
        cleaned["contact_rate"] = (
            None if contact_rate in (None, "") else _rate(contact_rate, field="contact_rate", errors=errors, places=4)
        )
    _raise_if(errors)
    return _store(sku or Sku(), cleaned, REFERENCE)


def sku_delete(*, actor, sku: Sku) -> None:
    """Delete a SKU with its stock counts and inbound shipments.

    Rules: SKUs are kept by ops_inventory or ops_lead; a SKU that campaigns feature or
    reserve is kept.
    """
    _require(actor, INVENTORY_KEEPERS, "SKUs")
    _delete(sku, REFERENCE)


# --------------------------------------------------------------------------- stock and inbound


def stock_level_set(
    *,
    actor,
    sku: Any,
    warehouse: Any,
    on_hand: Any,
    as_of: Any = None,
    stock_level: StockLevel | None = None,
) -> StockLevel:
    """Record a stock count: units of a SKU on hand at a warehouse, as of a moment
    (now by default).

    Rules: stock is kept by ops_inventory or ops_lead. There is one row per
    SKU × warehouse: a count for a pair that has one replaces it (as the API's POST does).
    Correcting a given row (`stock_level`, as the admin does) may move it to another
    pair, unless that pair has a row already.
    """
    _require(actor, INVENTORY_KEEPERS, "stock levels")
    errors = FieldErrors()
    cleaned = {
        "sku": _reference(sku, Sku, field="sku", errors=errors),
        "warehouse": _reference(warehouse, Warehouse, field="warehouse", errors=errors),
        "on_hand": _count(on_hand, field="on_hand", errors=errors),
        "as_of": _moment(as_of, errors=errors),
    }
    if stock_level is not None and cleaned["sku"] is not None and cleaned["warehouse"] is not None:
        clash = StockLevel.objects.filter(sku=cleaned["sku"], warehouse=cleaned["warehouse"])
        if clash.exclude(pk=stock_level.pk).exists():
            errors.add("warehouse", "This SKU has a stock count at this warehouse already.")
    _raise_if(errors)
    if stock_level is not None:
        return _store(stock_level, cleaned, DATA)
    with _saving(DATA):
        row, _ = StockLevel.objects.update_or_create(
            sku=cleaned["sku"],
            warehouse=cleaned["warehouse"],
            defaults={"on_hand": cleaned["on_hand"], "as_of": cleaned["as_of"]},
        )
    return row


def stock_level_delete(*, actor, stock_level: StockLevel) -> None:
    """Delete a stock count (the check then counts no stock of that SKU there).

    Rule: stock is kept by ops_inventory or ops_lead.
    """
    _require(actor, INVENTORY_KEEPERS, "stock levels")
    _delete(stock_level, DATA)


def _clean_inbound(sku, warehouse, quantity, expected_on, reference) -> dict[str, Any]:
    errors = FieldErrors()
    cleaned = {
        "sku": _reference(sku, Sku, field="sku", errors=errors),
        "warehouse": _reference(warehouse, Warehouse, field="warehouse", errors=errors),
        "quantity": _count(quantity, field="quantity", errors=errors, minimum=1),
        "expected_on": clean_date(expected_on, field="expected_on", errors=errors),
        "reference": clean_text(reference, field="reference", errors=errors, max_length=100, required=False),
    }
    _raise_if(errors)
    return cleaned


def inbound_create(
    *, actor, sku: Any, warehouse: Any, quantity: Any, expected_on: Any, reference: Any = ""
) -> InboundShipment:
    """Add an inbound shipment: `quantity` (at least 1) units of a SKU expected at a
    warehouse on a day.

    Rule: inbound stock is kept by ops_inventory or ops_lead.
    """
    _require(actor, INVENTORY_KEEPERS, "inbound shipments")
    cleaned = _clean_inbound(sku, warehouse, quantity, expected_on, reference)
    return _store(InboundShipment(), cleaned, DATA)


def inbound_update(
    *, actor, shipment: InboundShipment, sku: Any, warehouse: Any, quantity: Any, expected_on: Any, reference: Any = ""
) -> InboundShipment:
    """Correct an inbound shipment (a new date or quantity from the supplier).

    Rule: inbound stock is kept by ops_inventory or ops_lead.
    """
    _require(actor, INVENTORY_KEEPERS, "inbound shipments")
    cleaned = _clean_inbound(sku, warehouse, quantity, expected_on, reference)
    return _store(shipment, cleaned, DATA)


def inbound_delete(*, actor, shipment: InboundShipment) -> None:
    """Delete an inbound shipment (it will not arrive).

    Rule: inbound stock is kept by ops_inventory or ops_lead.
    """
    _require(actor, INVENTORY_KEEPERS, "inbound shipments")
    _delete(shipment, DATA)


# --------------------------------------------------------------------------- warehouses, regions, couriers, lanes


def warehouse_save(
    *,
    actor,
    warehouse: Warehouse | None = None,
    code: Any,
    name: Any,
    daily_dispatch_capacity: Any,
    baseline_orders_per_day: Any = 0,
) -> Warehouse:
    """Create a warehouse, or change one: a unique code (letters, digits, '-', '_', '.'),
    a name, and its daily dispatch capacity and business-as-usual orders/day.

    Rule: warehouses are kept by ops_logistics or ops_lead.
    """
    _require(actor, LOGISTICS_KEEPERS, "warehouses")
    errors = FieldErrors()
    cleaned = {
        "code": _code(code, Warehouse, warehouse, errors=errors),
        "name": _name(name, errors=errors),
        "daily_dispatch_capacity": _count(daily_dispatch_capacity, field="daily_dispatch_capacity", errors=errors),
        "baseline_orders_per_day": _count(baseline_orders_per_day, field="baseline_orders_per_day", errors=errors),
    }
    _raise_if(errors)
    return _store(warehouse or Warehouse(), cleaned, REFERENCE)


def warehouse_delete(*, actor, warehouse: Warehouse) -> None:
    """Delete a warehouse with its stock counts, inbound shipments and constraints; the
    regions it served then draw on the whole network.

    Rules: warehouses are kept by ops_logistics or ops_lead; one that campaigns hold
    reservations at is kept.
    """
    _require(actor, LOGISTICS_KEEPERS, "warehouses")
    _delete(warehouse, REFERENCE)


def region_save(*, actor, region: Region | None = None, code: Any, name: Any, warehouse: Any = None) -> Region:
    """Create a region (a delivery geography), or change one: a unique code, a name and
    optionally the warehouse that serves it (none: it draws on the whole network).

    Rule: regions are kept by ops_logistics or ops_lead.
    """
    _require(actor, LOGISTICS_KEEPERS, "regions")
    errors = FieldErrors()
    cleaned = {
        "code": _code(code, Region, region, errors=errors),
        "name": _name(name, errors=errors),
        "warehouse": _reference(warehouse, Warehouse, field="warehouse", errors=errors, required=False),
    }
    _raise_if(errors)
    return _store(region or Region(), cleaned, REFERENCE)


def region_delete(*, actor, region: Region) -> None:
    """Delete a region with its constraints.

    Rules: regions are kept by ops_logistics or ops_lead; a region with courier lanes,
    or that campaigns target, is kept.
    """
    _require(actor, LOGISTICS_KEEPERS, "regions")
    _delete(region, REFERENCE)


def courier_save(*, actor, courier: Courier | None = None, code: Any, name: Any, is_active: Any = True) -> Courier:
    """Create a courier, or change one: a unique code, a name and whether it is active.

    Rule: couriers are kept by ops_logistics or ops_lead.
    """
    _require(actor, LOGISTICS_KEEPERS, "couriers")
    errors = FieldErrors()
    cleaned = {
        "code": _code(code, Courier, courier, errors=errors),
        "name": _name(name, errors=errors),
        "is_active": clean_bool(is_active, field="is_active", errors=errors),
    }
    _raise_if(errors)
    return _store(courier or Courier(), cleaned, REFERENCE)


def courier_delete(*, actor, courier: Courier) -> None:
    """Delete a courier with its constraints.

    Rules: couriers are kept by ops_logistics or ops_lead; a courier with lanes is kept.
    """
    _require(actor, LOGISTICS_KEEPERS, "couriers")
    _delete(courier, REFERENCE)


def lane_save(
    *,
    actor,
    lane: CourierLane | None = None,
    courier: Any,
    region: Any,
    daily_capacity: Any,
    baseline_orders_per_day: Any = 0,
    avg_delivery_days: Any,
    ndr_rate: Any,
    cod_supported: Any = True,
) -> CourierLane:
    """Create a courier lane (courier × region), or change one: daily pickup capacity,
    business-as-usual orders/day, average delivery days (0 or more), NDR rate (0–1)
    and whether it takes cash on delivery.

    Rules: lanes are kept by ops_logistics or ops_lead; a courier has at most one
    lane to a region.
    """
    _require(actor, LOGISTICS_KEEPERS, "courier lanes")
    errors = FieldErrors()
    cleaned = {
        "courier": _reference(courier, Courier, field="courier", errors=errors),
        "region": _reference(region, Region, field="region", errors=errors),
        "daily_capacity": _count(daily_capacity, field="daily_capacity", errors=errors),
        "baseline_orders_per_day": _count(baseline_orders_per_day, field="baseline_orders_per_day", errors=errors),
        "avg_delivery_days": clean_decimal(
            avg_delivery_days,
            field="avg_delivery_days",
            errors=errors,
            minimum=Decimal("0"),
            maximum=Decimal("999.99"),
            places=2,
        ),  # fmt: skip
        "ndr_rate": _rate(ndr_rate, field="ndr_rate", errors=errors, places=4),
        "cod_supported": clean_bool(cod_supported, field="cod_supported", errors=errors),
    }
    if cleaned["courier"] is not None and cleaned["region"] is not None:
        clash = CourierLane.objects.filter(courier=cleaned["courier"], region=cleaned["region"])
        if lane is not None:
            clash = clash.exclude(pk=lane.pk)
        if clash.exists():
            errors.add("region", "This courier already has a lane to this region.")
    _raise_if(errors)
    return _store(lane or CourierLane(), cleaned, REFERENCE)


def lane_delete(*, actor, lane: CourierLane) -> None:
    """Delete a courier lane with its delivery performance.

    Rules: lanes are kept by ops_logistics or ops_lead; a lane that campaigns hold
    reservations on is kept.
    """
    _require(actor, LOGISTICS_KEEPERS, "courier lanes")
    _delete(lane, REFERENCE)


# --------------------------------------------------------------------------- constraints


def constraint_save(
    *,
    actor,
    constraint: CapacityConstraint | None = None,
    kind: Any,
    starts_on: Any,
    ends_on: Any,
    warehouse: Any = None,
    courier: Any = None,
    region: Any = None,
    capacity_factor: Any = None,
    note: Any = "",
    support_team: Any = None,
) -> CapacityConstraint:
    """Create a capacity constraint, or change one: a warehouse blackout, courier
    holiday or reduced capacity from `starts_on` to `ends_on` (inclusive), leaving
    `capacity_factor` (0–1; 0 when not given: closed) of normal capacity.

    Rules: any ops role keeps the ops calendar; the end is on or after the start;
    it names one scope — a warehouse alone, or a courier (optionally in one region),
    or a region, or a support team alone; a blackout needs a warehouse, a courier
    holiday a courier and a support holiday a support team.
    """
    _require(actor, CONSTRAINT_KEEPERS, "capacity constraints")
    errors = FieldErrors()
    if kind not in CapacityConstraint.Kind.values:
        errors.add("kind", f"Must be one of: {', '.join(CapacityConstraint.Kind.values)}.")
        kind = None
    starts_on = clean_date(starts_on, field="starts_on", errors=errors)
    ends_on = clean_date(ends_on, field="ends_on", errors=errors)
    warehouse = _reference(warehouse, Warehouse, field="warehouse", errors=errors, required=False)
    courier = _reference(courier, Courier, field="courier", errors=errors, required=False)
    region = _reference(region, Region, field="region", errors=errors, required=False)
    team = _support_team(support_team, errors=errors)
    if capacity_factor is None or capacity_factor == "":
        capacity_factor = Decimal("0")
    else:
        capacity_factor = _rate(capacity_factor, field="capacity_factor", errors=errors, places=3)
    note = clean_text(note, field="note", errors=errors, max_length=200, required=False)
    if starts_on and ends_on and ends_on < starts_on:
        errors.add("ends_on", Rule("Must be on or after starts_on.", "on_or_after", other="starts_on"))
    if not {"warehouse", "courier", "region", "support_team"} & set(errors):
        if warehouse and (courier or region):
            errors.add("warehouse", "A warehouse constraint cannot also name a courier or region.")
        if team and (warehouse or courier or region):
            errors.add("support_team", "A support team's constraint cannot also name a warehouse, courier or region.")
        if not (warehouse or courier or region or team):
            errors.add("non_field_errors", "Name the warehouse, courier, region or support team it applies to.")
        if kind == CapacityConstraint.Kind.SUPPORT_HOLIDAY and not team:
            errors.add("support_team", "A support holiday needs a support team.")
        if kind == CapacityConstraint.Kind.WAREHOUSE_BLACKOUT and not warehouse:
            errors.add("warehouse", "A warehouse blackout needs a warehouse.")
        if kind == CapacityConstraint.Kind.COURIER_HOLIDAY and not courier:
            errors.add("courier", "A courier holiday needs a courier.")
    _raise_if(errors)
    cleaned = {
        "kind": kind,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "warehouse": warehouse,
        "courier": courier,
        "region": region,
        "support_team": team,
        "capacity_factor": capacity_factor,
        "note": note,
    }
    return _store(constraint or CapacityConstraint(), cleaned, REFERENCE)


def _support_team(value: Any, *, errors: FieldErrors) -> SupportTeam | None:
    """A support team given as a row, its id or its name (teams have no code)."""
    if value is None or value == "":
        return None
    if isinstance(value, SupportTeam) and value.pk is not None:
        return value
    found = None
    if isinstance(value, int) and not isinstance(value, bool):
        found = SupportTeam.objects.filter(pk=value).first()
    elif isinstance(value, str):
        found = SupportTeam.objects.filter(name=value.strip()).first()
        if found is None and value.strip().isdigit():
            found = SupportTeam.objects.filter(pk=int(value.strip())).first()
    if found is None:
        errors.add("support_team", "Unknown support team.")
    return found


# --------------------------------------------------------------------------- customer support


def can_keep_support(user) -> bool:
    """Support teams: ops_support or ops_lead (or staff)."""
    return keeps(user, SUPPORT_KEEPERS)


def support_team_save(
    *,
    actor,
    team: SupportTeam | None = None,
    name: Any,
    agents_per_day: Any,
    tickets_per_agent_per_day: Any,
    channel: Any = SupportTeam.Channel.ALL,
    baseline_tickets_per_day: Any = 0,
    is_active: Any = True,
) -> SupportTeam:
    """Create a customer-support team, or change one: a unique name, its channel (all,
    chat, email or phone), agents at work a day, tickets an agent answers a day (of that
    channel), business-as-usual tickets/day, and whether it is active. The first active
    team switches the support sign-off on (setting MOPSYNC_SUPPORT_SIGNOFF=auto).

    Rule: support teams are kept by ops_support or ops_lead.
    """
    _require(actor, SUPPORT_KEEPERS, "support teams")
    errors = FieldErrors()
    name = _name(name, errors=errors)
    if name and SupportTeam.objects.filter(name=name).exclude(pk=team.pk if team else None).exists():
        errors.add("name", "A support team with this name already exists.")
    if channel not in SupportTeam.Channel.values:
        errors.add("channel", f"Must be one of: {', '.join(SupportTeam.Channel.values)}.")
    cleaned = {
        "name": name,
        "channel": channel,
        "agents_per_day": _count(agents_per_day, field="agents_per_day", errors=errors),
        "tickets_per_agent_per_day": _count(
            tickets_per_agent_per_day, field="tickets_per_agent_per_day", errors=errors
        ),
        "baseline_tickets_per_day": _count(baseline_tickets_per_day, field="baseline_tickets_per_day", errors=errors),
        "is_active": clean_bool(is_active, field="is_active", errors=errors),
    }
    _raise_if(errors)
    return _store(team or SupportTeam(), cleaned, REFERENCE)


def support_team_delete(*, actor, team: SupportTeam) -> None:
    """Delete a support team with its holidays and reduced days.

    Rule: support teams are kept by ops_support or ops_lead.
    """
    _require(actor, SUPPORT_KEEPERS, "support teams")
    _delete(team, REFERENCE)


def constraint_delete(*, actor, constraint: CapacityConstraint) -> None:
    """Remove a capacity constraint from the ops calendar.

    Rule: any ops role keeps the ops calendar.
    """
    _require(actor, CONSTRAINT_KEEPERS, "capacity constraints")
    _delete(constraint, REFERENCE)
