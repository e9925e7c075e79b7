"""Every write to the operations side's data (DESIGN.md, "Domain", operations side).

Who keeps what (DESIGN.md, "People and roles"):
- stock levels and inbound shipments: `ops_inventory` or `ops_lead`;
- warehouses and courier lanes: `ops_logistics` or `ops_lead`;
- capacity constraints (the ops calendar): any ops role.
Marketing reads all of it and changes none of it.

Each function takes a keyword-only `actor`, checks the actor's role first, then
cleans its input with the rules of `capacity/serializers.py` (the database
constraints back them up), and raises `NotPermitted` or `InvalidInput` (a message
per field) with nothing changed. Whatever the door — web form, import, admin —
writes come here; the views only translate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from capacity.models import (
    CapacityConstraint,
    Courier,
    CourierLane,
    InboundShipment,
    Region,
    Sku,
    StockLevel,
    Warehouse,
    code_validator,
)
from mopsync import versions
from mopsync.errors import InvalidInput, NotPermitted
from mopsync.roles import OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS, user_roles
from mopsync.validation import FieldErrors, clean_bool, clean_date, clean_decimal, clean_int, clean_text

# The largest value a PositiveIntegerField holds on every supported database.
MAX_COUNT = 2_147_483_647

INVENTORY_KEEPERS = frozenset({OPS_INVENTORY, OPS_LEAD})
LOGISTICS_KEEPERS = frozenset({OPS_LOGISTICS, OPS_LEAD})
CONSTRAINT_KEEPERS = frozenset({OPS_INVENTORY, OPS_LOGISTICS, OPS_LEAD})


# --------------------------------------------------------------------------- who may write


def can_keep_stock(user) -> bool:
    """Stock levels and inbound shipments: ops_inventory or ops_lead."""
    return bool(user_roles(user) & INVENTORY_KEEPERS)


def can_keep_logistics(user) -> bool:
    """Warehouses and courier lanes: ops_logistics or ops_lead."""
    return bool(user_roles(user) & LOGISTICS_KEEPERS)


def can_keep_constraints(user) -> bool:
    """Capacity constraints: any ops role."""
    return bool(user_roles(user) & CONSTRAINT_KEEPERS)


def _require(actor, roles: frozenset[str], what: str) -> None:
    if not user_roles(actor) & roles:
        raise NotPermitted(f"Changing {what} needs one of the roles: {', '.join(sorted(roles))}.")


# --------------------------------------------------------------------------- cleaning helpers


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


def _count(value: Any, *, field: str, errors: FieldErrors, minimum: int = 0) -> int | None:
    return clean_int(value, field=field, errors=errors, minimum=minimum, maximum=MAX_COUNT)


def _rate(value: Any, *, field: str, errors: FieldErrors, places: int) -> Decimal | None:
    """A share from 0 to 1 (NDR rate, capacity factor)."""
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
def _saving(*scopes: str) -> Iterator[None]:
    """One atomic write of data of `scopes` (see `mopsync.versions`: pages keeping what
    they read see it once it commits); a database constraint refusing it (a duplicate
    racing this request, a value out of range) is bad input, never a server error."""
    try:
        with transaction.atomic():
            yield
            versions.changed(*scopes)
    except (IntegrityError, DataError) as exc:
        raise InvalidInput("The database refused this change (a duplicate or out-of-range value).") from exc


# --------------------------------------------------------------------------- stock and inbound


def stock_level_set(*, actor, sku: Any, warehouse: Any, on_hand: Any, as_of: Any = None) -> StockLevel:
    """Record a stock count: units of a SKU on hand at a warehouse, as of a moment
    (now by default).

    Rule: stock is kept by ops_inventory or ops_lead. There is one row per
    SKU × warehouse: a count for a pair that has one replaces it (as the API's POST does).
    """
    _require(actor, INVENTORY_KEEPERS, "stock levels")
    errors = FieldErrors()
    sku = _reference(sku, Sku, field="sku", errors=errors)
    warehouse = _reference(warehouse, Warehouse, field="warehouse", errors=errors)
    on_hand = _count(on_hand, field="on_hand", errors=errors)
    as_of = _moment(as_of, errors=errors)
    _raise_if(errors)
    with _saving(versions.DATA):
        row, _ = StockLevel.objects.update_or_create(
            sku=sku, warehouse=warehouse, defaults={"on_hand": on_hand, "as_of": as_of}
        )
    return row


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
    with _saving(versions.DATA):
        return InboundShipment.objects.create(**cleaned)


def inbound_update(
    *, actor, shipment: InboundShipment, sku: Any, warehouse: Any, quantity: Any, expected_on: Any, reference: Any = ""
) -> InboundShipment:
    """Correct an inbound shipment (a new date or quantity from the supplier).

    Rule: inbound stock is kept by ops_inventory or ops_lead.
    """
    _require(actor, INVENTORY_KEEPERS, "inbound shipments")
    cleaned = _clean_inbound(sku, warehouse, quantity, expected_on, reference)
    for name, value in cleaned.items():
        setattr(shipment, name, value)
    with _saving(versions.DATA):
        shipment.save(update_fields=list(cleaned))
    return shipment


# --------------------------------------------------------------------------- warehouses and lanes


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
    code = clean_text(code, field="code", errors=errors, max_length=40, required=True)
    if code is not None:
        try:
            code_validator(code)
        except ValidationError as exc:
            errors.add("code", " ".join(exc.messages))
        else:
            clash = Warehouse.objects.filter(code=code)
            if warehouse is not None:
                clash = clash.exclude(pk=warehouse.pk)
            if clash.exists():
                errors.add("code", "A warehouse with this code already exists.")
    cleaned = {
        "code": code,
        "name": clean_text(name, field="name", errors=errors, max_length=200, required=True),
        "daily_dispatch_capacity": _count(daily_dispatch_capacity, field="daily_dispatch_capacity", errors=errors),
        "baseline_orders_per_day": _count(baseline_orders_per_day, field="baseline_orders_per_day", errors=errors),
    }
    _raise_if(errors)
    warehouse = warehouse or Warehouse()
    for field, value in cleaned.items():
        setattr(warehouse, field, value)
    with _saving(versions.REF, versions.DATA):
        if warehouse.pk is None:
            warehouse.save()
        else:
            warehouse.save(update_fields=list(cleaned))
    return warehouse


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
    lane = lane or CourierLane()
    for field, value in cleaned.items():
        setattr(lane, field, value)
    with _saving(versions.REF, versions.DATA):
        if lane.pk is None:
            lane.save()
        else:
            lane.save(update_fields=list(cleaned))
    return lane


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
) -> CapacityConstraint:
    """Create a capacity constraint, or change one: a warehouse blackout, courier
    holiday or reduced capacity from `starts_on` to `ends_on` (inclusive), leaving
    `capacity_factor` (0–1; 0 when not given: closed) of normal capacity.

    Rules: any ops role keeps the ops calendar; the end is on or after the start;
    it names one scope — a warehouse alone, or a courier (optionally in one region),
    or a region; a blackout needs a warehouse and a courier holiday a courier.
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
    if capacity_factor is None or capacity_factor == "":
        capacity_factor = Decimal("0")
    else:
        capacity_factor = _rate(capacity_factor, field="capacity_factor", errors=errors, places=3)
    note = clean_text(note, field="note", errors=errors, max_length=200, required=False)
    if starts_on and ends_on and ends_on < starts_on:
        errors.add("ends_on", "Must be on or after the start date.")
    scope_errors = {"warehouse", "courier", "region"} & set(errors)
    if not scope_errors:
        if warehouse and (courier or region):
            errors.add("warehouse", "A warehouse constraint cannot also name a courier or region.")
        elif not (warehouse or courier or region):
            errors.add("non_field_errors", "Name the warehouse, courier or region it applies to.")
        elif kind == CapacityConstraint.Kind.WAREHOUSE_BLACKOUT and not warehouse:
            errors.add("warehouse", "A warehouse blackout needs a warehouse.")
        elif kind == CapacityConstraint.Kind.COURIER_HOLIDAY and not courier:
            errors.add("courier", "A courier holiday needs a courier.")
    _raise_if(errors)
    cleaned = {
        "kind": kind,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "warehouse": warehouse,
        "courier": courier,
        "region": region,
        "capacity_factor": capacity_factor,
        "note": note,
    }
    constraint = constraint or CapacityConstraint()
    for field, value in cleaned.items():
        setattr(constraint, field, value)
    with _saving(versions.REF, versions.DATA):
        if constraint.pk is None:
            constraint.save()
        else:
            constraint.save(update_fields=list(cleaned))
    return constraint


def constraint_delete(*, actor, constraint: CapacityConstraint) -> None:
    """Remove a capacity constraint from the ops calendar.

    Rule: any ops role keeps the ops calendar.
    """
    _require(actor, CONSTRAINT_KEEPERS, "capacity constraints")
    with transaction.atomic():
        CapacityConstraint.objects.filter(pk=constraint.pk).delete()
        versions.changed(versions.REF, versions.DATA)
