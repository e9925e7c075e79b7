"""Cleaning of campaign plan input, whatever door it came through (the generic
`clean_*` helpers are `mopsync.validation`).

Forms and serializers give friendly, early errors; this module is the authority
the services rely on. It turns loosely typed input (strings from a CSV, JSON
numbers, form values) into typed values, or raises `InvalidInput` with a message
per field. It never touches the database except to resolve SKU and region codes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from campaigns.models import Channel
from capacity.models import Region, Sku
from mopsync.errors import InvalidInput, Rule
from mopsync.validation import FieldErrors, clean_bool, clean_date, clean_decimal, clean_int, clean_text

SHARE_TOLERANCE = Decimal("0.001")
MAX_ORDERS_PER_DAY = 1_000_000
MAX_SESSIONS_PER_DAY = 100_000_000
MAX_CAMPAIGN_DAYS = 366
MAX_LINES = 200
PLAN_FIELDS = (
    "name", "brief", "channel", "starts_on", "ends_on", "orders_per_day", "sessions_per_day", "conversion_rate",
    "units_per_order", "cod_share", "delivery_promise_days", "budget", "expected_order_value",
    "auto_pause_on_stockout", "skus", "regions",
)  # fmt: skip
REQUIRED_FIELDS = ("name", "channel", "starts_on", "ends_on", "skus", "regions")


def clean_lines(value: Any, *, field: str, key: str, model, errors: FieldErrors) -> list[tuple[Any, Decimal]] | None:
    """[{key: code, share}] → [(instance, share)]: known active codes, no duplicates, shares summing to 1."""
    if not isinstance(value, list | tuple) or not value:
        errors.add(field, f"At least one {key} line is required.")
        return None
    if len(value) > MAX_LINES:
        errors.add(field, f"At most {MAX_LINES} lines.")
        return None
    parsed: list[tuple[str, Decimal]] = []
    line_errors = FieldErrors()
    for index, item in enumerate(value, start=1):
        if isinstance(item, tuple | list) and len(item) == 2:
            item = {key: item[0], "share": item[1]}
        if not isinstance(item, dict):
            errors.add(field, f"Line {index}: must be an object with '{key}' and 'share'.")
            return None
        raw_code = item.get(key)
        code = getattr(raw_code, "code", raw_code)
        code = clean_text(code, field=field, errors=line_errors, max_length=40, required=True)
        share = clean_decimal(
            item.get("share"), field=field, errors=line_errors, minimum=Decimal("0"), maximum=Decimal("1"), places=4
        )
        if code is None or share is None:
            problems = line_errors.pop(field, ["Invalid."])
            errors.add(field, Rule(f"Line {index}: {' '.join(problems)}", "line", index=index, messages=problems))
            continue
        if share <= 0:
            errors.add(field, f"Line {index}: share must be above 0.")
            continue
        parsed.append((code, share))
    if field in errors:
        return None
    codes = [code for code, _ in parsed]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        errors.add(field, f"Listed more than once: {', '.join(duplicates)}.")
        return None
    total = sum((share for _, share in parsed), Decimal("0"))
    if abs(total - 1) > SHARE_TOLERANCE:
        errors.add(
            field, Rule(f"Shares must add up to 1 (they add up to {format(total.normalize(), 'f')}).", "shares_total",
                        total=total)
        )  # fmt: skip
        return None
    queryset = model.objects.filter(code__in=codes)
    if hasattr(model, "is_active"):
        queryset = queryset.filter(is_active=True)
    found = {obj.code: obj for obj in queryset}
    unknown = [code for code in codes if code not in found]
    if unknown:
        errors.add(field, f"Unknown{' or inactive' if hasattr(model, 'is_active') else ''} code: {', '.join(unknown)}.")
        return None
    return [(found[code], share) for code, share in parsed]


def clean_plan(data: dict[str, Any], *, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Clean plan fields. With `current` (an existing plan's values) the input is a
    partial update: only given fields are cleaned, and cross-field rules are checked
    on the merged result. Returns the cleaned given fields plus derived ones."""
    if not isinstance(data, dict):
        raise InvalidInput("Expected an object of plan fields.")
    errors = FieldErrors()
    unknown = sorted(set(data) - set(PLAN_FIELDS))
    if unknown:
        for name in unknown:
            errors.add(name, "Unknown field.")
    if current is None:
        for name in REQUIRED_FIELDS:
            if data.get(name) in (None, "", [], ()):
                errors.add(name, "This field is required.")
        if data.get("orders_per_day") in (None, "") and data.get("sessions_per_day") in (None, ""):
            errors.add("orders_per_day", "Give orders/day, or sessions/day with a conversion rate.")
    cleaned: dict[str, Any] = {}

    def given(name: str) -> bool:
        return name in data and name not in errors

    if given("name"):
        cleaned["name"] = clean_text(data["name"], field="name", errors=errors, max_length=200, required=True)
    if given("brief"):
        cleaned["brief"] = clean_text(
            data["brief"], field="brief", errors=errors, max_length=10_000, required=False, multiline=True
        )
    if given("channel"):
        if data["channel"] in Channel.values:
            cleaned["channel"] = data["channel"]
        else:
            errors.add("channel", f"Must be one of: {', '.join(Channel.values)}.")
    for name in ("starts_on", "ends_on"):
        if given(name):
            cleaned[name] = clean_date(data[name], field=name, errors=errors)
    sessions_given = given("sessions_per_day") and data["sessions_per_day"] not in (None, "")
    if sessions_given:
        cleaned["sessions_per_day"] = clean_int(
            data["sessions_per_day"], field="sessions_per_day", errors=errors, minimum=1, maximum=MAX_SESSIONS_PER_DAY
        )
        if data.get("conversion_rate") in (None, ""):
            errors.add(
                "conversion_rate", Rule("Required with sessions_per_day.", "required_with", other="sessions_per_day")
            )
        else:
            cleaned["conversion_rate"] = clean_decimal(
                data["conversion_rate"], field="conversion_rate", errors=errors,
                minimum=Decimal("0.00001"), maximum=Decimal("1"), places=5,
            )  # fmt: skip
        if cleaned.get("sessions_per_day") and cleaned.get("conversion_rate"):
            orders = (cleaned["sessions_per_day"] * cleaned["conversion_rate"]).to_integral_value()
            if orders < 1:
                errors.add("conversion_rate", "Sessions × conversion rate must be at least 1 order/day.")
            elif orders > MAX_ORDERS_PER_DAY:
                errors.add("sessions_per_day", f"Sessions × conversion rate exceeds {MAX_ORDERS_PER_DAY} orders/day.")
            else:
                cleaned["orders_per_day"] = int(orders)
                cleaned["forecast_basis"] = "sessions"
    elif given("orders_per_day") and data["orders_per_day"] not in (None, ""):
        cleaned["orders_per_day"] = clean_int(
            data["orders_per_day"], field="orders_per_day", errors=errors, minimum=1, maximum=MAX_ORDERS_PER_DAY
        )
        cleaned.update(forecast_basis="orders", sessions_per_day=None, conversion_rate=None)
    if given("units_per_order"):
        cleaned["units_per_order"] = clean_decimal(
            data["units_per_order"], field="units_per_order", errors=errors,
            minimum=Decimal("0.01"), maximum=Decimal("100"), places=2,
        )  # fmt: skip
    if given("cod_share"):
        cleaned["cod_share"] = clean_decimal(
            data["cod_share"], field="cod_share", errors=errors, minimum=Decimal("0"), maximum=Decimal("1"), places=4
        )
    if given("delivery_promise_days"):
        cleaned["delivery_promise_days"] = clean_int(
            data["delivery_promise_days"], field="delivery_promise_days", errors=errors, minimum=1, maximum=60
        )
    if given("budget"):
        cleaned["budget"] = clean_decimal(
            data["budget"], field="budget", errors=errors, minimum=Decimal("0"), maximum=Decimal("1e12"), places=2
        )
    if given("expected_order_value"):
        cleaned["expected_order_value"] = clean_decimal(
            data["expected_order_value"], field="expected_order_value", errors=errors,
            minimum=Decimal("0"), maximum=Decimal("1e10"), places=2,
        )  # fmt: skip
    if given("auto_pause_on_stockout"):
        cleaned["auto_pause_on_stockout"] = clean_bool(
            data["auto_pause_on_stockout"], field="auto_pause_on_stockout", errors=errors
        )
    if given("skus"):
        cleaned["skus"] = clean_lines(data["skus"], field="skus", key="sku", model=Sku, errors=errors)
    if given("regions"):
        cleaned["regions"] = clean_lines(data["regions"], field="regions", key="region", model=Region, errors=errors)

    merged = {**(current or {}), **{k: v for k, v in cleaned.items() if v is not None}}
    starts, ends = merged.get("starts_on"), merged.get("ends_on")
    if starts and ends and "starts_on" not in errors and "ends_on" not in errors:
        if ends < starts:
            errors.add("ends_on", Rule("Must be on or after starts_on.", "on_or_after", other="starts_on"))
        elif (ends - starts).days + 1 > MAX_CAMPAIGN_DAYS:
            errors.add("ends_on", f"A campaign lasts at most {MAX_CAMPAIGN_DAYS} days.")
    if errors:
        raise InvalidInput(dict(errors))
    return cleaned
