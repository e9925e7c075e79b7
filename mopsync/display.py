"""Money and time as people read them, in one place for every page and email.

- `{{ amount|money }}`: the brand's currency (`settings.MOPSYNC_CURRENCY`, "INR" by
  default) with its symbol and its grouping: Indian lakh/crore grouping for INR
  (₹2,00,000; ₹1,23,45,678.50), groups of three for the others ($200,000). Whole
  amounts show no paise/cents, others two decimals; `|money:2` always shows two.
- `{{ moment|when }}`: an instant in the organisation's time zone (`settings.TIME_ZONE`)
  with the zone named: "5 Dec 2026, 14:05 IST". `|when:"D j M"` changes the date part.

Both are template builtins (`TEMPLATES["OPTIONS"]["builtins"]`): no `{% load %}`.
Python code that writes text for people (notification bodies) calls `money()` and
`when()` directly.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils import dateformat, timezone

register = template.Library()

SYMBOLS = {
    "INR": "₹",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "AUD": "A$",
    "CAD": "C$",
    "SGD": "S$",
    "AED": "AED ",
}


def currency() -> str:
    return (getattr(settings, "MOPSYNC_CURRENCY", "") or "INR").upper()


def group_digits(digits: str, code: str) -> str:
    """Thousands separators for a string of digits: 12,34,567 for INR, 1,234,567 otherwise."""
    if code != "INR" or len(digits) <= 3:
        return f"{int(digits):,}"
    head, last3 = digits[:-3], digits[-3:]
    pairs = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    if head:
        pairs.insert(0, head)
    return ",".join([*pairs, last3])


def money(value, decimals=None, code: str | None = None) -> str:
    """`value` as an amount of the brand's currency; "" for None or what is not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    if not amount.is_finite():
        return ""
    code = (code or currency()).upper()
    symbol = SYMBOLS.get(code, f"{code} ")
    places = Decimal("0.01")
    amount = amount.quantize(places, rounding=ROUND_HALF_UP)
    whole = amount == amount.to_integral_value()
    show_decimals = str(decimals) == "2" or not whole
    sign = "-" if amount < 0 else ""
    units, _, fraction = f"{abs(amount):.2f}".partition(".")
    text = group_digits(units, code)
    if show_decimals:
        text += f".{fraction}"
    return f"{sign}{symbol}{text}"


def when(value, date_format: str = "j M Y") -> str:
    """An instant in the organisation's time zone, zone named: "5 Dec 2026, 14:05 IST"."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else timezone.make_aware(value)
    elif isinstance(value, dt.date):
        return dateformat.format(value, date_format)
    else:
        return str(value)
    zone = local.strftime("%Z") or local.strftime("%z")
    return f"{dateformat.format(local, date_format)}, {local:%H:%M} {zone}"


register.filter("money", money)
register.filter("when", when)
