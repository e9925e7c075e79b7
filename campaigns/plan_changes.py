"""What changed in a plan, in both teams' words: "Orders per day: 400 → 550",
"SKU lines: TEE-01 60% → 40%, added CAP-02 20%", "Regions: removed Delhi, added Pune 30%",
"Starts on: 10 Dec → 12 Dec".

A plan is compared as a snapshot (`snapshot`): its fields as the audit trail records them
(`jsonable`: decimals as plain text, dates in ISO) and its lines as code → share, with the
lines' names apart. `diff` lists the fields that differ between two snapshots;
`field_change` is the one formatter of a change into words, which the approval queue,
the campaign page, its timeline and the API all use.

Pure functions: no queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from mopsync.channels import Channel
from mopsync.forms import percent_of

# The plan's fields in the order a change list shows them, each with the label people use
# (the plan form's and the campaign page's words).
LABELS = {
    "name": "Name",
    "channel": "Channel",
    "starts_on": "Starts on",
    "ends_on": "Ends on",
    "forecast_basis": "Forecast",
    "sessions_per_day": "Sessions per day",
    "conversion_rate": "Conversion rate",
    "orders_per_day": "Orders per day",
    "units_per_order": "Units per order",
    "skus": "SKU lines",
    "regions": "Regions",
    "cod_share": "Cash on delivery",
    "delivery_promise_days": "Delivery promise",
    "budget": "Budget",
    "expected_order_value": "Order value",
    "auto_pause_on_stockout": "Pause when stock runs out",
    "brief": "Brief",
}
LINES = ("skus", "regions")
PERCENTS = ("conversion_rate", "cod_share")
MONEY = ("budget", "expected_order_value")
DATES = ("starts_on", "ends_on")
BASIS_WORDS = {"orders": "orders per day", "sessions": "sessions × conversion"}


def jsonable(value: Any) -> Any:
    """A plan value as the audit trail records it: decimals as plain text, dates in ISO,
    lines ((SKU or region, share) pairs) as code → share."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return {getattr(obj, "code", str(obj)): jsonable(share) for obj, share in value}
    return value


def snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """A plan (`services._plan_values`: fields, and lines as (SKU or region, share) pairs)
    as a snapshot to compare later: JSON, with the names of its lines under "names"."""
    found = {name: jsonable(value) for name, value in values.items()}
    found["names"] = {field: {obj.code: obj.name for obj, _ in values.get(field, ())} for field in LINES}
    return found


def _share(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _same(field: str, before: Any, after: Any) -> bool:
    if field in LINES:
        return {k: _share(v) for k, v in (before or {}).items()} == {k: _share(v) for k, v in (after or {}).items()}
    if isinstance(before, str) and isinstance(after, str) and field in (*PERCENTS, *MONEY, "units_per_order"):
        return _share(before) == _share(after)
    return before == after


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields that differ between two snapshots, in `LABELS`' order, each as
    {"field", "before", "after"} (and for lines, "names": code → name of both sides)."""
    changes = []
    for field in LABELS:
        if field not in before or field not in after or _same(field, before[field], after[field]):
            continue
        change = {"field": field, "before": before[field], "after": after[field]}
        if field in LINES:
            names = {**before.get("names", {}).get(field, {}), **after.get("names", {}).get(field, {})}
            change["names"] = names
        changes.append(change)
    return changes


@dataclass(frozen=True)
class FieldChange:
    """One changed field: its label and both values as recorded, and the change in words."""

    field: str
    label: str
    before: Any
    after: Any
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "label": self.label, "before": self.before, "after": self.after, "text": self.text}


def field_change(field: str, before: Any, after: Any, names: dict[str, str] | None = None) -> FieldChange:
    """The one formatter: a change of `field` from `before` to `after` (as recorded:
    `jsonable`) into people's words. `names`: the names of lines' codes (regions are
    named, SKUs go by their code)."""
    label = LABELS.get(field, field.replace("_", " ").capitalize())
    if field in LINES:
        words = _lines_change(field, before or {}, after or {}, names or {})
    elif field == "brief":
        words = "edited"
    else:
        words = f"{_value(field, before, after)} → {_value(field, after, before)}"
    return FieldChange(field, label, before, after, f"{label}: {words}")


def changes_of(entries) -> list[FieldChange]:
    """Stored changes (`diff`'s entries, as `Campaign.changes_since_signoff` keeps them) in words."""
    return [
        field_change(entry["field"], entry.get("before"), entry.get("after"), entry.get("names"))
        for entry in entries or ()
        if isinstance(entry, dict) and "field" in entry
    ]


def event_changes(event) -> list[FieldChange]:
    """What an audit event changed in the plan, in words: an edit's fields, a scale-up's volume."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    if event.action == "edit":
        changed = changes.get("changed") or {}
        names = changes.get("names") or {}
    elif event.action == "scale_up":
        changed = {"orders_per_day": changes.get("orders_per_day")} if changes.get("orders_per_day") else {}
        names = {}
    else:
        return []
    order = list(LABELS)
    fields = sorted(changed, key=lambda f: order.index(f) if f in order else len(order))
    return [
        field_change(field, pair[0], pair[1], names.get(field))
        for field in fields
        for pair in (changed[field],)
        if isinstance(pair, list | tuple) and len(pair) == 2
    ]


def _percent(value: Any) -> str:
    percent = percent_of(value)
    return "—" if percent is None else f"{percent}%"


def _date(value: Any, other: Any) -> str:
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return "—" if value in (None, "") else str(value)
    try:
        same_year = dt.date.fromisoformat(other).year == day.year
    except (TypeError, ValueError):
        same_year = True
    return f"{day.day} {day:%b}" if same_year else f"{day.day} {day:%b %Y}"


def _value(field: str, value: Any, other: Any) -> str:
    """One side of a change in words; `other` is the other side (a date shows its year
    only when the two years differ)."""
    if value is None or value == "":
        return "—"
    if field in DATES:
        return _date(value, other)
    if field in PERCENTS:
        return _percent(value)
    if field in MONEY:
        return f"{settings.CURRENCY} {value}"
    if field == "delivery_promise_days":
        return f"{value} day{'' if value == 1 else 's'}"
    if field == "channel":
        return str(Channel(value).label) if value in Channel.values else str(value)
    if field == "forecast_basis":
        return BASIS_WORDS.get(value, str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _lines_change(field: str, before: dict, after: dict, names: dict[str, str]) -> str:
    """Lines that changed share, then those removed, then those added: "TEE-01 60% → 40%,
    removed Delhi, added Pune 30%". Regions go by name, SKUs by code."""

    def called(code: str) -> str:
        return names.get(code, code) if field == "regions" else code

    changed = [
        f"{called(code)} {_percent(before[code])} → {_percent(after[code])}"
        for code in sorted(set(before) & set(after))
        if _share(before[code]) != _share(after[code])
    ]
    removed = [f"removed {called(code)}" for code in sorted(set(before) - set(after))]
    added = [f"added {called(code)} {_percent(after[code])}" for code in sorted(set(after) - set(before))]
    return ", ".join(changed + removed + added) or "unchanged"
