"""Cleaning of loosely typed input, whatever door it came through.

Forms and serializers give friendly, early errors; these helpers are the authority the
services of both apps rely on. Each turns a value (a string from a CSV, a JSON number, a
form value) into a typed value, or adds a message for its field to `FieldErrors`; the
caller raises `InvalidInput` once with every message. No database access.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from mopsync.errors import Rule

# What a text of several lines may hold besides printable characters.
LINE_BREAKS = frozenset("\n\r\t")


class FieldErrors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def clean_text(
    value: Any, *, field: str, errors: FieldErrors, max_length: int, required: bool, multiline: bool = False
) -> str | None:
    """Text, stripped. A single-line field (a name, a code, a reference: the default)
    holds no control character or line break at all: a CR/LF in a campaign name would
    reach an email subject and a Slack line (issue 18.5). A `multiline` one (a brief, a
    comment) may hold line breaks and tabs, no other control character."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, "Must be text.")
        return None
    value = value.strip()
    if "\x00" in value:
        errors.add(field, "Must not contain NUL characters.")
        return None
    allowed = LINE_BREAKS if multiline else frozenset()
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") and char not in allowed for char in value):
        what = "control characters" if multiline else "line breaks, tabs or other control characters"
        errors.add(field, f"Must not contain {what}.")
        return None
    if required and not value:
        errors.add(field, "This field is required.")
        return None
    if len(value) > max_length:
        errors.add(field, f"At most {max_length} characters.")
        return None
    return value


def clean_int(value: Any, *, field: str, errors: FieldErrors, minimum: int, maximum: int) -> int | None:
    if isinstance(value, bool) or value is None or value == "":
        errors.add(field, "A whole number is required.")
        return None
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, int) else Decimal(value)
    except (InvalidOperation, ValueError):
        errors.add(field, "A whole number is required.")
        return None
    if not number.is_finite() or number != number.to_integral_value():
        errors.add(field, "A whole number is required.")
        return None
    if not minimum <= number <= maximum:
        errors.add(field, f"Must be between {minimum} and {maximum}.")
        return None
    return int(number)


def clean_decimal(
    value: Any, *, field: str, errors: FieldErrors, minimum: Decimal, maximum: Decimal, places: int
) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        errors.add(field, "A number is required.")
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.add(field, "A number is required.")
        return None
    if not number.is_finite():
        errors.add(field, "A number is required.")
        return None
    if not minimum <= number <= maximum:
        errors.add(
            field, Rule(f"Must be between {minimum} and {maximum}.", "between", minimum=minimum, maximum=maximum)
        )
        return None
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        errors.add(field, f"At most {places} decimal places.")
        return None
    return number.quantize(quantum)


def clean_date(value: Any, *, field: str, errors: FieldErrors) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            errors.add(field, "A date in YYYY-MM-DD form is required.")
            return None
    if not isinstance(value, dt.date):
        errors.add(field, "A date in YYYY-MM-DD form is required.")
        return None
    if not 2000 <= value.year <= 2100:
        errors.add(field, "Must be between the years 2000 and 2100.")
        return None
    return value


def clean_bool(value: Any, *, field: str, errors: FieldErrors) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in ("true", "True", "1", 1, "on"):
        return True
    if value in ("false", "False", "0", 0, "", None):
        return False
    errors.add(field, "Must be true or false.")
    return None
