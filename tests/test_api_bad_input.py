# ruff: noqa: E501  (the tables read best one case a line)
"""Whatever a client sends, the answer is a 4xx that says what is wrong, never a 500,
and nothing changes (DESIGN.md, "REST API contract": 400 with field errors, 404 unknown).

Three tables: bad request bodies per writable endpoint (each names the field the
message is for), malformed query strings on lists, and unknown ids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from tests.api_support import build, call, client_for, snapshot

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DROP = object()  # a field left out of the body
BIG = 2**31  # one past a 32-bit integer column (PostgreSQL `integer`)
HUGE = 10**30  # past any integer column
NOT_JSON = '{"code": "HOOD-01", "name": '


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def with_(base: dict, **changes) -> dict:
    body = {**base, **changes}
    return {k: v for k, v in body.items() if v is not DROP}


SKU = {"code": "HOOD-01", "name": "Hoodie", "safety_stock": 10}
WAREHOUSE = {"code": "BLR-WH", "name": "Bengaluru", "daily_dispatch_capacity": 500}
REGION = {"code": "BLR", "name": "Bengaluru", "warehouse": "BOM-WH"}
COURIER = {"code": "DLV", "name": "Delhivery"}
LANE = {"courier": "EXP", "region": "MUM", "daily_capacity": 300, "avg_delivery_days": "2.5", "ndr_rate": "0.1"}
STOCK = {"sku": "TEE-01", "warehouse": "DEL-WH", "on_hand": 500}
INBOUND = {"sku": "TEE-01", "warehouse": "BOM-WH", "quantity": 1_000, "expected_on": day(5)}
CONSTRAINT = {
    "kind": "reduced_capacity", "starts_on": day(90), "ends_on": day(91), "warehouse": "BOM-WH",
    "capacity_factor": "0.5",
}  # fmt: skip
WINDOW = {"name": "Republic Day sale", "starts_on": day(30), "ends_on": day(33)}
PLAN = {
    "name": "Diwali tees", "channel": "meta", "starts_on": day(10), "ends_on": day(14), "orders_per_day": 100,
    "units_per_order": "1", "cod_share": "0.3", "delivery_promise_days": 4, "budget": "50000",
    "expected_order_value": "999",
    "skus": [{"sku": "TEE-01", "share": "0.6"}, {"sku": "CAP-01", "share": "0.4"}],
    "regions": [{"region": "MUM", "share": "0.5"}, {"region": "PUN", "share": "0.5"}],
}  # fmt: skip
SIGN = {"dimension": "inventory", "decision": "approved"}
CHANGES = {"dimension": "inventory", "decision": "changes_requested", "comment": "Too little stock"}
SCALE = {"orders_per_day": 150}


@dataclass(frozen=True)
class Bad:
    label: str
    actor: str
    method: str
    path: str
    state: str
    body: Any
    field: str

    def __str__(self) -> str:
        return self.label


C = "campaigns/{campaign}/"

# fmt: off
BAD_BODIES = [
    # --- skus (ops_inventory) -------------------------------------------------------------
    Bad("sku: safety_stock is text",          "ishaan", "POST", "skus/", "world", with_(SKU, safety_stock="lots"), "safety_stock"),
    Bad("sku: safety_stock is 1.5",           "ishaan", "POST", "skus/", "world", with_(SKU, safety_stock=1.5), "safety_stock"),
    Bad("sku: safety_stock 2**31",            "ishaan", "POST", "skus/", "world", with_(SKU, safety_stock=BIG), "safety_stock"),
    Bad("sku: safety_stock 10**30",           "ishaan", "POST", "skus/", "world", with_(SKU, safety_stock=HUGE), "safety_stock"),
    Bad("sku: negative safety_stock",         "ishaan", "POST", "skus/", "world", with_(SKU, safety_stock=-1), "safety_stock"),
    Bad("sku: baseline 2**31",                "ishaan", "POST", "skus/", "world", with_(SKU, baseline_units_per_day=BIG), "baseline_units_per_day"),
    Bad("sku: return_rate above 1",           "ishaan", "POST", "skus/", "world", with_(SKU, return_rate="1.5"), "return_rate"),
    Bad("sku: return_rate negative",          "ishaan", "POST", "skus/", "world", with_(SKU, return_rate="-0.1"), "return_rate"),
    Bad("sku: name missing",                  "ishaan", "POST", "skus/", "world", with_(SKU, name=DROP), "name"),
    Bad("sku: code missing",                  "ishaan", "POST", "skus/", "world", with_(SKU, code=DROP), "code"),
    Bad("sku: empty object",                  "ishaan", "POST", "skus/", "world", {}, "code"),
    Bad("sku: NUL in code",                   "ishaan", "POST", "skus/", "world", with_(SKU, code="HO\x00OD"), "code"),
    Bad("sku: NUL in name",                   "ishaan", "POST", "skus/", "world", with_(SKU, name="Hoo\x00die"), "name"),
    Bad("sku: code with a space",             "ishaan", "POST", "skus/", "world", with_(SKU, code="HOOD 01"), "code"),
    Bad("sku: code too long",                 "ishaan", "POST", "skus/", "world", with_(SKU, code="H" * 41), "code"),
    Bad("sku: duplicate code",                "ishaan", "POST", "skus/", "world", with_(SKU, code="TEE-01"), "code"),
    Bad("sku: is_active not a bool",          "ishaan", "POST", "skus/", "world", with_(SKU, is_active="maybe"), "is_active"),
    Bad("sku: name is an object",             "ishaan", "POST", "skus/", "world", with_(SKU, name={"en": "Hoodie"}), "name"),
    Bad("sku: JSON list",                     "ishaan", "POST", "skus/", "world", [SKU], "non_field_errors"),
    Bad("sku: JSON null",                     "ishaan", "POST", "skus/", "world", "null", "non_field_errors"),
    Bad("sku: JSON string",                   "ishaan", "POST", "skus/", "world", '"HOOD-01"', "non_field_errors"),
    Bad("sku: not JSON",                      "ishaan", "POST", "skus/", "world", NOT_JSON, "detail"),
    Bad("sku: PATCH to a duplicate code",     "ishaan", "PATCH", "skus/CAP-01/", "world", {"code": "TEE-01"}, "code"),
    Bad("sku: PATCH name null",               "ishaan", "PATCH", "skus/CAP-01/", "world", {"name": None}, "name"),
    Bad("sku: PATCH safety_stock 10**30",     "ishaan", "PATCH", "skus/CAP-01/", "world", {"safety_stock": HUGE}, "safety_stock"),
    # --- warehouses, regions, couriers, lanes (ops_logistics) -----------------------------
    Bad("warehouse: capacity missing",        "lata", "POST", "warehouses/", "world", with_(WAREHOUSE, daily_dispatch_capacity=DROP), "daily_dispatch_capacity"),
    Bad("warehouse: capacity is text",        "lata", "POST", "warehouses/", "world", with_(WAREHOUSE, daily_dispatch_capacity="many"), "daily_dispatch_capacity"),
    Bad("warehouse: capacity 2**31",          "lata", "POST", "warehouses/", "world", with_(WAREHOUSE, daily_dispatch_capacity=BIG), "daily_dispatch_capacity"),
    Bad("warehouse: capacity 10**30",         "lata", "POST", "warehouses/", "world", with_(WAREHOUSE, daily_dispatch_capacity=HUGE), "daily_dispatch_capacity"),
    Bad("warehouse: capacity negative",       "lata", "POST", "warehouses/", "world", with_(WAREHOUSE, daily_dispatch_capacity=-1), "daily_dispatch_capacity"),
    Bad("warehouse: duplicate code",          "lata", "POST", "warehouses/", "world", with_(WAREHOUSE, code="BOM-WH"), "code"),
    Bad("warehouse: PATCH baseline negative", "lata", "PATCH", "warehouses/BOM-WH/", "world", {"baseline_orders_per_day": -5}, "baseline_orders_per_day"),
    Bad("warehouse: PATCH baseline 2**31",    "lata", "PATCH", "warehouses/BOM-WH/", "world", {"baseline_orders_per_day": BIG}, "baseline_orders_per_day"),
    Bad("region: unknown warehouse",          "lata", "POST", "regions/", "world", with_(REGION, warehouse="NOPE"), "warehouse"),
    Bad("region: warehouse is an object",     "lata", "POST", "regions/", "world", with_(REGION, warehouse={"code": "BOM-WH"}), "warehouse"),
    Bad("region: duplicate code",             "lata", "POST", "regions/", "world", with_(REGION, code="MUM"), "code"),
    Bad("region: NUL in name",                "lata", "POST", "regions/", "world", with_(REGION, name="Ben\x00galuru"), "name"),
    Bad("region: PATCH unknown warehouse",    "lata", "PATCH", "regions/MUM/", "world", {"warehouse": "NOPE"}, "warehouse"),
    Bad("courier: code missing",              "lata", "POST", "couriers/", "world", with_(COURIER, code=DROP), "code"),
    Bad("courier: NUL in name",               "lata", "POST", "couriers/", "world", with_(COURIER, name="Del\x00hivery"), "name"),
    Bad("courier: duplicate code",            "lata", "POST", "couriers/", "world", with_(COURIER, code="EXP"), "code"),
    Bad("lane: unknown courier",              "lata", "POST", "courier-lanes/", "world", with_(LANE, courier="NOPE"), "courier"),
    Bad("lane: unknown region",               "lata", "POST", "courier-lanes/", "world", with_(LANE, region="NOPE"), "region"),
    Bad("lane: duplicate courier x region",   "lata", "POST", "courier-lanes/", "world", "duplicate-lane", "region"),
    Bad("lane: ndr_rate above 1",             "lata", "POST", "courier-lanes/", "world", with_(LANE, ndr_rate="1.5"), "ndr_rate"),
    Bad("lane: ndr_rate negative",            "lata", "POST", "courier-lanes/", "world", with_(LANE, ndr_rate="-0.1"), "ndr_rate"),
    Bad("lane: delivery days text",           "lata", "POST", "courier-lanes/", "world", with_(LANE, avg_delivery_days="soon"), "avg_delivery_days"),
    Bad("lane: delivery days negative",       "lata", "POST", "courier-lanes/", "world", with_(LANE, avg_delivery_days="-1"), "avg_delivery_days"),
    Bad("lane: delivery days 10**30",         "lata", "POST", "courier-lanes/", "world", with_(LANE, avg_delivery_days=HUGE), "avg_delivery_days"),
    Bad("lane: capacity 2**31",               "lata", "POST", "courier-lanes/", "world", with_(LANE, daily_capacity=BIG), "daily_capacity"),
    Bad("lane: capacity 10**30",              "lata", "POST", "courier-lanes/", "world", with_(LANE, daily_capacity=HUGE), "daily_capacity"),
    Bad("lane: capacity missing",             "lata", "POST", "courier-lanes/", "world", with_(LANE, daily_capacity=DROP), "daily_capacity"),
    Bad("lane: cod_supported not a bool",     "lata", "POST", "courier-lanes/", "world", with_(LANE, cod_supported="maybe"), "cod_supported"),
    Bad("lane: JSON list",                    "lata", "POST", "courier-lanes/", "world", [LANE], "non_field_errors"),
    Bad("lane: PATCH onto an existing pair",  "lata", "PATCH", "courier-lanes/{lane_pune}/", "world", {"region": "MUM"}, "region"),
    Bad("lane: PATCH ndr_rate 2",             "lata", "PATCH", "courier-lanes/{lane}/", "world", {"ndr_rate": 2}, "ndr_rate"),
    # --- stock and inbound (ops_inventory) ------------------------------------------------
    Bad("stock: on_hand negative",            "ishaan", "POST", "stock-levels/", "world", with_(STOCK, on_hand=-1), "on_hand"),
    Bad("stock: on_hand 2**31",               "ishaan", "POST", "stock-levels/", "world", with_(STOCK, on_hand=BIG), "on_hand"),
    Bad("stock: on_hand 10**30",              "ishaan", "POST", "stock-levels/", "world", with_(STOCK, on_hand=HUGE), "on_hand"),
    Bad("stock: on_hand missing",             "ishaan", "POST", "stock-levels/", "world", with_(STOCK, on_hand=DROP), "on_hand"),
    Bad("stock: existing row, on_hand 2**31", "ishaan", "POST", "stock-levels/", "world", with_(STOCK, warehouse="BOM-WH", on_hand=BIG), "on_hand"),
    Bad("stock: unknown sku",                 "ishaan", "POST", "stock-levels/", "world", with_(STOCK, sku="NOPE"), "sku"),
    Bad("stock: unknown warehouse",           "ishaan", "POST", "stock-levels/", "world", with_(STOCK, warehouse="NOPE"), "warehouse"),
    Bad("stock: NUL in sku",                  "ishaan", "POST", "stock-levels/", "world", with_(STOCK, sku="TEE\x00"), "sku"),
    Bad("stock: as_of not a date",            "ishaan", "POST", "stock-levels/", "world", with_(STOCK, as_of="yesterday"), "as_of"),
    Bad("stock: as_of in year 99999",         "ishaan", "POST", "stock-levels/", "world", with_(STOCK, as_of="99999-01-01T00:00:00Z"), "as_of"),
    Bad("stock: as_of 30 Feb",                "ishaan", "POST", "stock-levels/", "world", with_(STOCK, as_of="2026-02-30T00:00:00Z"), "as_of"),
    Bad("stock: JSON list",                   "ishaan", "POST", "stock-levels/", "world", [STOCK], "non_field_errors"),
    Bad("inbound: quantity 0",                "ishaan", "POST", "inbound-shipments/", "world", with_(INBOUND, quantity=0), "quantity"),
    Bad("inbound: quantity negative",         "ishaan", "POST", "inbound-shipments/", "world", with_(INBOUND, quantity=-5), "quantity"),
    Bad("inbound: quantity 2**31",            "ishaan", "POST", "inbound-shipments/", "world", with_(INBOUND, quantity=BIG), "quantity"),
    Bad("inbound: quantity 10**30",           "ishaan", "POST", "inbound-shipments/", "world", with_(INBOUND, quantity=HUGE), "quantity"),
    Bad("inbound: expected 30 Feb",           "ishaan", "POST", "inbound-shipments/", "world", with_(INBOUND, expected_on="2026-02-30"), "expected_on"),
    Bad("inbound: expected in year 99999",    "ishaan", "POST", "inbound-shipments/", "world", with_(INBOUND, expected_on="99999-01-01"), "expected_on"),
    Bad("inbound: expected_on missing",       "ishaan", "POST", "inbound-shipments/", "world", with_(INBOUND, expected_on=DROP), "expected_on"),
    Bad("inbound: NUL in reference",          "ishaan", "POST", "inbound-shipments/", "world", with_(INBOUND, reference="PO\x0042"), "reference"),
    Bad("inbound: unknown sku",               "ishaan", "POST", "inbound-shipments/", "world", with_(INBOUND, sku="NOPE"), "sku"),
    # --- constraints (any ops role) -------------------------------------------------------
    Bad("constraint: ends before it starts",  "omar", "POST", "constraints/", "world", with_(CONSTRAINT, ends_on=day(80)), "ends_on"),
    Bad("constraint: unknown kind",           "omar", "POST", "constraints/", "world", with_(CONSTRAINT, kind="strike"), "kind"),
    Bad("constraint: no scope",               "omar", "POST", "constraints/", "world", with_(CONSTRAINT, warehouse=DROP), "non_field_errors"),
    Bad("constraint: warehouse and courier",  "omar", "POST", "constraints/", "world", with_(CONSTRAINT, courier="EXP"), "warehouse"),
    Bad("constraint: blackout of a region",   "omar", "POST", "constraints/", "world", with_(CONSTRAINT, kind="warehouse_blackout", warehouse=DROP, region="MUM"), "warehouse"),
    Bad("constraint: factor above 1",         "omar", "POST", "constraints/", "world", with_(CONSTRAINT, capacity_factor="1.5"), "capacity_factor"),
    Bad("constraint: factor negative",        "omar", "POST", "constraints/", "world", with_(CONSTRAINT, capacity_factor="-0.1"), "capacity_factor"),
    Bad("constraint: starts 30 Feb",          "omar", "POST", "constraints/", "world", with_(CONSTRAINT, starts_on="2026-02-30"), "starts_on"),
    Bad("constraint: ends in year 99999",     "omar", "POST", "constraints/", "world", with_(CONSTRAINT, ends_on="99999-01-01"), "ends_on"),
    Bad("constraint: unknown warehouse",      "omar", "POST", "constraints/", "world", with_(CONSTRAINT, warehouse="NOPE"), "warehouse"),
    Bad("constraint: NUL in note",            "omar", "POST", "constraints/", "world", with_(CONSTRAINT, note="closed\x00"), "note"),
    Bad("constraint: PATCH end before start", "omar", "PATCH", "constraints/{constraint}/", "world", {"ends_on": day(1)}, "ends_on"),
    Bad("constraint: PATCH JSON list",        "omar", "PATCH", "constraints/{constraint}/", "world", [{"note": "x"}], "non_field_errors"),
    Bad("constraint: PATCH factor 10**30",    "omar", "PATCH", "constraints/{constraint}/", "world", {"capacity_factor": HUGE}, "capacity_factor"),
    # --- promo windows (marketing) --------------------------------------------------------
    Bad("window: ends before it starts",      "maya", "POST", "promo-windows/", "world", with_(WINDOW, ends_on=day(29)), "ends_on"),
    Bad("window: unknown channel",            "maya", "POST", "promo-windows/", "world", with_(WINDOW, channel="tv"), "channel"),
    Bad("window: NUL in name",                "maya", "POST", "promo-windows/", "world", with_(WINDOW, name="Sale\x00"), "name"),
    Bad("window: starts 30 Feb",              "maya", "POST", "promo-windows/", "world", with_(WINDOW, starts_on="2026-02-30"), "starts_on"),
    Bad("window: ends in year 99999",         "maya", "POST", "promo-windows/", "world", with_(WINDOW, ends_on="99999-01-01"), "ends_on"),
    Bad("window: name missing",               "maya", "POST", "promo-windows/", "world", with_(WINDOW, name=DROP), "name"),
    Bad("window: JSON list",                  "maya", "POST", "promo-windows/", "world", [WINDOW], "non_field_errors"),
    Bad("window: PATCH end before start",     "maya", "PATCH", "promo-windows/{window}/", "world", {"ends_on": day(1)}, "ends_on"),
    # --- campaigns (marketing) ------------------------------------------------------------
    Bad("plan: orders_per_day is text",       "maya", "POST", "campaigns/", "world", with_(PLAN, orders_per_day="lots"), "orders_per_day"),
    Bad("plan: orders_per_day 2**31",         "maya", "POST", "campaigns/", "world", with_(PLAN, orders_per_day=BIG), "orders_per_day"),
    Bad("plan: orders_per_day 10**30",        "maya", "POST", "campaigns/", "world", with_(PLAN, orders_per_day=HUGE), "orders_per_day"),
    Bad("plan: orders_per_day negative",      "maya", "POST", "campaigns/", "world", with_(PLAN, orders_per_day=-5), "orders_per_day"),
    Bad("plan: no forecast at all",           "maya", "POST", "campaigns/", "world", with_(PLAN, orders_per_day=DROP), "orders_per_day"),
    Bad("plan: sessions, no conversion",      "maya", "POST", "campaigns/", "world", with_(PLAN, orders_per_day=DROP, sessions_per_day=5000), "conversion_rate"),
    Bad("plan: sessions 10**30",              "maya", "POST", "campaigns/", "world", with_(PLAN, sessions_per_day=HUGE, conversion_rate="0.02"), "sessions_per_day"),
    Bad("plan: conversion above 1",           "maya", "POST", "campaigns/", "world", with_(PLAN, sessions_per_day=5000, conversion_rate="1.5"), "conversion_rate"),
    Bad("plan: starts 30 Feb",                "maya", "POST", "campaigns/", "world", with_(PLAN, starts_on="2026-02-30"), "starts_on"),
    Bad("plan: starts in year 99999",         "maya", "POST", "campaigns/", "world", with_(PLAN, starts_on="99999-01-01"), "starts_on"),
    Bad("plan: starts in 1999",               "maya", "POST", "campaigns/", "world", with_(PLAN, starts_on="1999-01-01", ends_on="1999-01-05"), "starts_on"),
    Bad("plan: ends before it starts",        "maya", "POST", "campaigns/", "world", with_(PLAN, ends_on=day(5)), "ends_on"),
    Bad("plan: runs over 366 days",           "maya", "POST", "campaigns/", "world", with_(PLAN, ends_on=day(500)), "ends_on"),
    Bad("plan: unknown channel",              "maya", "POST", "campaigns/", "world", with_(PLAN, channel="tv"), "channel"),
    Bad("plan: name missing",                 "maya", "POST", "campaigns/", "world", with_(PLAN, name=DROP), "name"),
    Bad("plan: name blank",                   "maya", "POST", "campaigns/", "world", with_(PLAN, name="   "), "name"),
    Bad("plan: NUL in name",                  "maya", "POST", "campaigns/", "world", with_(PLAN, name="Diwali\x00"), "name"),
    Bad("plan: NUL in brief",                 "maya", "POST", "campaigns/", "world", with_(PLAN, brief="Big\x00sale"), "brief"),
    Bad("plan: unknown SKU code",             "maya", "POST", "campaigns/", "world", with_(PLAN, skus=[{"sku": "NOPE", "share": "1"}]), "skus"),
    Bad("plan: NUL in SKU code",              "maya", "POST", "campaigns/", "world", with_(PLAN, skus=[{"sku": "TEE\x00", "share": "1"}]), "skus"),
    Bad("plan: SKU listed twice",             "maya", "POST", "campaigns/", "world", with_(PLAN, skus=[{"sku": "TEE-01", "share": "0.5"}] * 2), "skus"),
    Bad("plan: SKU shares add up to 0.9",     "maya", "POST", "campaigns/", "world", with_(PLAN, skus=[{"sku": "TEE-01", "share": "0.5"}, {"sku": "CAP-01", "share": "0.4"}]), "skus"),
    Bad("plan: SKU share NaN",                "maya", "POST", "campaigns/", "world", with_(PLAN, skus=[{"sku": "TEE-01", "share": "NaN"}]), "skus"),
    Bad("plan: SKU share missing",            "maya", "POST", "campaigns/", "world", with_(PLAN, skus=[{"sku": "TEE-01"}]), "skus"),
    Bad("plan: no SKUs",                      "maya", "POST", "campaigns/", "world", with_(PLAN, skus=[]), "skus"),
    Bad("plan: SKUs is a string",             "maya", "POST", "campaigns/", "world", with_(PLAN, skus="TEE-01"), "skus"),
    Bad("plan: region shares add up to 1.2",  "maya", "POST", "campaigns/", "world", with_(PLAN, regions=[{"region": "MUM", "share": "0.6"}, {"region": "PUN", "share": "0.6"}]), "regions"),
    Bad("plan: unknown region code",          "maya", "POST", "campaigns/", "world", with_(PLAN, regions=[{"region": "NOPE", "share": "1"}]), "regions"),
    Bad("plan: cod_share above 1",            "maya", "POST", "campaigns/", "world", with_(PLAN, cod_share="1.5"), "cod_share"),
    Bad("plan: units_per_order 0",            "maya", "POST", "campaigns/", "world", with_(PLAN, units_per_order="0"), "units_per_order"),
    Bad("plan: promise 0 days",               "maya", "POST", "campaigns/", "world", with_(PLAN, delivery_promise_days=0), "delivery_promise_days"),
    Bad("plan: promise 10**30 days",          "maya", "POST", "campaigns/", "world", with_(PLAN, delivery_promise_days=HUGE), "delivery_promise_days"),
    Bad("plan: budget negative",              "maya", "POST", "campaigns/", "world", with_(PLAN, budget="-1"), "budget"),
    Bad("plan: budget 10**30",                "maya", "POST", "campaigns/", "world", with_(PLAN, budget=HUGE), "budget"),
    Bad("plan: JSON list",                    "maya", "POST", "campaigns/", "world", [PLAN], "non_field_errors"),
    Bad("plan: JSON null",                    "maya", "POST", "campaigns/", "world", "null", "non_field_errors"),
    Bad("plan: JSON number",                  "maya", "POST", "campaigns/", "world", "42", "non_field_errors"),
    Bad("plan: not JSON",                     "maya", "POST", "campaigns/", "world", NOT_JSON, "detail"),
    Bad("edit draft: orders_per_day -1",      "maya", "PATCH", C, "draft", {"orders_per_day": -1}, "orders_per_day"),
    Bad("edit draft: ends before it starts",  "maya", "PATCH", C, "draft", {"ends_on": day(1)}, "ends_on"),
    Bad("edit draft: starts after it ends",   "maya", "PATCH", C, "draft", {"starts_on": day(30)}, "ends_on"),
    Bad("edit draft: SKU shares add up to 2", "maya", "PATCH", C, "draft", {"skus": [{"sku": "TEE-01", "share": "1"}, {"sku": "CAP-01", "share": "1"}]}, "skus"),
    Bad("edit draft: name null",              "maya", "PATCH", C, "draft", {"name": None}, "name"),
    Bad("edit draft: JSON list",              "maya", "PATCH", C, "draft", [{"name": "x"}], "non_field_errors"),
    Bad("edit draft: skus null",              "maya", "PATCH", C, "draft", {"skus": None}, "skus"),
    Bad("edit draft: JSON null",              "maya", "PATCH", C, "draft", "null", "non_field_errors"),
    Bad("edit submitted: orders 10**30",      "maya", "PATCH", C, "submitted", {"orders_per_day": HUGE}, "orders_per_day"),
    Bad("edit submitted: unknown region",     "maya", "PATCH", C, "submitted", {"regions": [{"region": "NOPE", "share": "1"}]}, "regions"),
    Bad("edit live: starts 30 Feb",           "maya", "PATCH", C, "live", {"starts_on": "2026-02-30"}, "starts_on"),
    # --- sign-offs (ops) ------------------------------------------------------------------
    Bad("sign-off: unknown dimension",        "ishaan", "POST", C + "sign-offs/", "submitted", with_(SIGN, dimension="money"), "dimension"),
    Bad("sign-off: unknown decision",         "ishaan", "POST", C + "sign-offs/", "submitted", with_(SIGN, decision="maybe"), "decision"),
    Bad("sign-off: decision missing",         "ishaan", "POST", C + "sign-offs/", "submitted", with_(SIGN, decision=DROP), "decision"),
    Bad("sign-off: cap above the plan",       "ishaan", "POST", C + "sign-offs/", "submitted", with_(SIGN, approved_orders_per_day=101), "approved_orders_per_day"),
    Bad("sign-off: cap 0",                    "ishaan", "POST", C + "sign-offs/", "submitted", with_(SIGN, approved_orders_per_day=0), "approved_orders_per_day"),
    Bad("sign-off: cap 2**31",                "ishaan", "POST", C + "sign-offs/", "submitted", with_(SIGN, approved_orders_per_day=BIG), "approved_orders_per_day"),
    Bad("sign-off: cap is text",              "ishaan", "POST", C + "sign-offs/", "submitted", with_(SIGN, approved_orders_per_day="half"), "approved_orders_per_day"),
    Bad("sign-off: cap with changes",         "ishaan", "POST", C + "sign-offs/", "submitted", with_(CHANGES, approved_orders_per_day=50), "approved_orders_per_day"),
    Bad("sign-off: changes, no comment",      "ishaan", "POST", C + "sign-offs/", "submitted", with_(CHANGES, comment=DROP), "comment"),
    Bad("sign-off: rejected, blank comment",  "lata", "POST", C + "sign-offs/", "submitted", {"dimension": "courier", "decision": "rejected", "comment": "  "}, "comment"),
    Bad("sign-off: NUL in comment",           "ishaan", "POST", C + "sign-offs/", "submitted", with_(CHANGES, comment="No\x00"), "comment"),
    Bad("sign-off: JSON list",                "ishaan", "POST", C + "sign-offs/", "submitted", [SIGN], "non_field_errors"),
    Bad("sign-off: not JSON",                 "ishaan", "POST", C + "sign-offs/", "submitted", '{"dimension": ', "detail"),
    # --- running a campaign (owner) -------------------------------------------------------
    Bad("scale-up: below the plan",           "maya", "POST", C + "scale-up/", "live", {"orders_per_day": 50}, "orders_per_day"),
    Bad("scale-up: same as the plan",         "maya", "POST", C + "scale-up/", "live", {"orders_per_day": 100}, "orders_per_day"),
    Bad("scale-up: orders missing",           "maya", "POST", C + "scale-up/", "live", {"comment": "more"}, "orders_per_day"),
    Bad("scale-up: orders is text",           "maya", "POST", C + "scale-up/", "live", {"orders_per_day": "more"}, "orders_per_day"),
    Bad("scale-up: orders 10**30",            "maya", "POST", C + "scale-up/", "live", {"orders_per_day": HUGE}, "orders_per_day"),
    Bad("scale-up: NUL in comment",           "maya", "POST", C + "scale-up/", "live", with_(SCALE, comment="x\x00"), "comment"),
    Bad("pause: NUL in comment",              "maya", "POST", C + "pause/", "live", {"comment": "x\x00"}, "comment"),
    Bad("pause: comment is a list",           "maya", "POST", C + "pause/", "live", {"comment": ["stop"]}, "comment"),
    Bad("pause: JSON null",                   "maya", "POST", C + "pause/", "live", "null", "non_field_errors"),
    Bad("pause: JSON list",                   "maya", "POST", C + "pause/", "live", ["stop"], "non_field_errors"),
    Bad("cancel: NUL in comment",             "maya", "POST", C + "cancel/", "submitted", {"comment": "x\x00"}, "comment"),
    Bad("cancel: not JSON",                   "maya", "POST", C + "cancel/", "submitted", "{", "detail"),
    # --- tokens ---------------------------------------------------------------------------
    Bad("token: password missing",            "anonymous", "POST", "auth/token/", "world", {"username": "maya"}, "password"),
    Bad("token: wrong password",              "anonymous", "POST", "auth/token/", "world", {"username": "maya", "password": "nope"}, "non_field_errors"),
    Bad("token: NUL in username",             "anonymous", "POST", "auth/token/", "world", {"username": "ma\x00ya", "password": "pw-maya"}, "username"),
]
# fmt: on


@pytest.fixture
def everyone(maya, mark, ishaan, lata, omar, outsider):
    """All the users (see tests/conftest.py)."""


@pytest.mark.parametrize("case", BAD_BODIES, ids=str)
def test_bad_body_is_400_for_the_field_and_changes_nothing(case: Bad, everyone):
    ctx = build(case.state, case.actor)
    body = case.body
    if body == "duplicate-lane":
        body = with_(LANE, courier=ctx["courier"])
    before = snapshot()

    response = call(client_for(case.actor), case.method, case.path.format(**ctx), body)

    assert response.status_code == 400, response.content[:500]
    errors = response.json()
    assert case.field in errors, errors
    assert errors[case.field], errors
    assert snapshot() == before, "a refused request changed data"


def test_the_good_bodies_of_the_table_succeed(everyone):
    """The bodies the bad ones are made from are valid, so each bad case fails for its own reason."""
    ctx = build("world", "omar")
    for path, body in [
        ("skus/", SKU), ("warehouses/", WAREHOUSE), ("regions/", REGION), ("couriers/", COURIER),
        ("courier-lanes/", LANE), ("stock-levels/", STOCK), ("inbound-shipments/", INBOUND),
        ("constraints/", CONSTRAINT), ("promo-windows/", WINDOW),
    ]:  # fmt: skip
        response = call(client_for("omar"), "POST", path, body)
        assert response.status_code == 201, (path, response.content)
    assert call(client_for("maya"), "POST", "campaigns/", PLAN).status_code == 201
    assert call(client_for("lata"), "POST", "courier-lanes/", with_(LANE, region="DEL")).status_code == 201
    assert ctx["courier"] != "EXP"


# --------------------------------------------------------------------------- query strings

QUERIES = [
    # actor, path with query, status DRF gives
    ("maya", "campaigns/?page=abc", 404),
    ("maya", "campaigns/?page=999999", 404),
    ("maya", "campaigns/?page=0", 404),
    ("maya", "campaigns/?page=-1", 404),
    ("maya", "campaigns/?page=99999999999999999999999999", 404),
    ("maya", "campaigns/?page_size=-1", 200),  # an invalid page size falls back to the default
    ("maya", "campaigns/?page_size=abc", 200),
    ("maya", "campaigns/?page_size=1000000000000000000000000000000", 200),  # capped at the maximum
    ("maya", "campaigns/?active_from=notadate", 400),
    ("maya", "campaigns/?active_from=2026-02-30", 400),
    ("maya", "campaigns/?active_to=99999-01-01", 400),
    ("maya", "campaigns/?status=bogus", 400),
    ("maya", "campaigns/?channel=tv", 400),
    ("maya", "campaigns/?owner=ma%00ya", 400),
    ("maya", "campaigns/?sku=TEE%00", 400),
    ("maya", "campaigns/?region=%00", 400),
    ("maya", "campaigns/?search=%00", 400),
    ("maya", "campaigns/?late_notice=maybe", 200),
    ("maya", "campaigns/?ordering=bogus", 200),  # unknown orderings are ignored
    ("maya", "campaigns/?ordering=owner__password", 200),
    ("maya", "calendar/?start=2026-13-01", 400),
    ("maya", "calendar/?start=2026-02-30", 400),
    ("maya", "calendar/?start=2026-03-10&end=2026-03-01", 400),
    ("maya", "calendar/?start=2026-01-01&end=2028-01-01", 400),
    ("maya", "calendar/?start=9999-12-31", 200),  # six weeks from then would be past the last date
    ("maya", "calendar/?start=0001-01-01&end=0001-01-31", 200),
    ("maya", "calendar/?end=0001-01-01", 400),
    ("maya", "calendar/?kind=bogus", 400),
    ("maya", "calendar/?region=%00", 400),
    ("maya", "calendar/?page=abc", 404),
    ("ishaan", "approval-queue/?page=abc", 404),
    ("ishaan", "approval-queue/?page=999999", 404),
    ("omar", "constraints/?active_from=notadate", 400),
    ("omar", "constraints/?kind=bogus", 400),
    ("omar", "constraints/?warehouse=%00", 400),
    ("ishaan", "inbound-shipments/?expected_from=2026-02-30", 400),
    ("ishaan", "inbound-shipments/?expected_to=99999-01-01", 400),
    ("ishaan", "stock-levels/?sku=%00", 400),
    ("maya", "promo-windows/?active_to=notadate", 400),
    ("maya", "promo-windows/?channel=tv", 400),
    ("maya", "skus/?is_active=maybe", 200),
    ("maya", "skus/?search=%00", 400),
    ("maya", "skus/?page=abc", 404),
    ("lata", "courier-lanes/?cod_supported=maybe", 200),
    ("lata", "courier-lanes/?ordering=-ndr_rate&page_size=-5", 200),
    ("maya", "notifications/?page=abc", 404),
    ("maya", "campaigns/{campaign}/events/?page=abc", 404),
    ("maya", "campaigns/{campaign}/events/?status=bogus&active_from=notadate", 200),  # list filters do not apply
    ("maya", "campaigns/{campaign}/sign-offs/?status=draft", 200),
    ("maya", "campaigns/{campaign}/capacity-check/?owner=%00", 200),
    ("maya", "campaigns/{campaign}/sign-offs/?page=999", 404),
]


@pytest.mark.parametrize(("actor", "path", "expected"), QUERIES, ids=[q[1] for q in QUERIES])
def test_malformed_query_strings_are_4xx_never_500(actor, path, expected, everyone):
    ctx = build("submitted", actor)
    response = call(client_for(actor), "GET", path.format(**ctx))
    assert response.status_code == expected, response.content[:500]
    if expected == 400:
        assert isinstance(response.json(), dict) and response.json(), response.json()
    if expected == 404:
        assert response.json()["code"] == "not_found"


# --------------------------------------------------------------------------- unknown ids

UNKNOWN = [
    ("maya", "GET", "campaigns/999999/", None),
    ("maya", "GET", "campaigns/abc/", None),
    ("maya", "GET", "campaigns/99999999999999999999999999/", None),
    ("maya", "GET", "campaigns/-1/", None),
    ("maya", "PATCH", "campaigns/999999/", {"name": "x"}),
    ("maya", "GET", "campaigns/999999/capacity-check/", None),
    ("maya", "POST", "campaigns/999999/submit/", None),
    ("maya", "POST", "campaigns/abc/submit/", None),
    ("ishaan", "GET", "campaigns/999999/sign-offs/", None),
    ("ishaan", "POST", "campaigns/999999/sign-offs/", {"dimension": "inventory", "decision": "approved"}),
    ("maya", "POST", "campaigns/999999/go-live/", None),
    ("omar", "POST", "campaigns/999999/pause/", None),
    ("omar", "POST", "campaigns/999999/resume/", None),
    ("omar", "POST", "campaigns/999999/cancel/", None),
    ("maya", "POST", "campaigns/999999/scale-up/", {"orders_per_day": 500}),
    ("maya", "GET", "campaigns/999999/events/", None),
    ("maya", "GET", "skus/NOPE/", None),
    ("ishaan", "PATCH", "skus/NOPE/", {"name": "x"}),
    ("maya", "GET", "warehouses/NOPE/", None),
    ("lata", "PATCH", "warehouses/NOPE/", {"name": "x"}),
    ("maya", "GET", "regions/NOPE/", None),
    ("maya", "GET", "couriers/NOPE/", None),
    ("maya", "GET", "courier-lanes/999999/", None),
    ("maya", "GET", "courier-lanes/abc/", None),
    ("lata", "PATCH", "courier-lanes/999999/", {"daily_capacity": 5}),
    ("maya", "GET", "stock-levels/999999/", None),
    ("maya", "GET", "inbound-shipments/999999/", None),
    ("maya", "GET", "constraints/999999/", None),
    ("omar", "PATCH", "constraints/999999/", {"capacity_factor": "0.5"}),
    ("omar", "DELETE", "constraints/999999/", None),
    ("omar", "DELETE", "constraints/99999999999999999999999999/", None),
    ("maya", "GET", "promo-windows/999999/", None),
    ("maya", "PATCH", "promo-windows/999999/", {"name": "x"}),
    ("maya", "DELETE", "promo-windows/999999/", None),
    ("maya", "POST", "notifications/999999/read/", None),
    ("maya", "POST", "notifications/abc/read/", None),
    ("maya", "POST", "notifications/99999999999999999999999999/read/", None),
    ("omar", "POST", "notifications/{notification}/read/", None),  # maya's, not omar's
    ("maya", "GET", "campaigns/0.5/", None),
    ("maya", "POST", "campaigns/null,null/submit/", None),
    ("maya", "GET", "skus/a b/", None),
    ("maya", "GET", "skus/TEE-01.x/", None),
    ("maya", "GET", "promo-windows/1.5/", None),
    ("omar", "DELETE", "constraints/1e3/", None),
    ("maya", "POST", "notifications/0.5/read/", None),
    ("maya", "GET", "nothing-here/", None),
]


@pytest.mark.parametrize(("actor", "method", "path", "body"), UNKNOWN, ids=[f"{m} {p} ({a})" for a, m, p, _ in UNKNOWN])
def test_unknown_ids_are_404(actor, method, path, body, everyone):
    ctx = build("world", "maya")
    before = snapshot()
    response = call(client_for(actor), method, path.format(**ctx), body)
    assert response.status_code == 404, response.content[:500]
    if path != "nothing-here/":  # a route that does not exist is Django's own 404
        assert response.json()["code"] == "not_found"
    assert snapshot() == before
