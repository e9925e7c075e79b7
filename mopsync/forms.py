"""Form pieces every app's web forms share."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django import forms

HUNDRED = Decimal(100)
ONE = Decimal(1)


class DateInput(forms.DateInput):
    """A browser date picker. `<input type=date>` only accepts an ISO value
    (YYYY-MM-DD) and shows a blank field for anything else, so the value is written
    in ISO whatever the language's date format (en-gb would write 10/12/2026):
    an edit form opens with its dates and posts them back unchanged."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def date_field(**kwargs) -> forms.DateField:
    """A date field shown as a date picker (`DateInput`)."""
    return forms.DateField(widget=DateInput(), **kwargs)


def percent_field(label: str, *, required=True, help_text="", decimal_places=2) -> forms.DecimalField:
    """A share or rate typed in percent (0–100); `rate_of` turns it back into the fraction stored."""
    return forms.DecimalField(
        label=label, min_value=0, max_value=100, decimal_places=decimal_places, max_digits=3 + decimal_places,
        required=required, help_text=help_text,
    )  # fmt: skip


def rate_of(percent: Decimal | None, places: str) -> Decimal | None:
    """A percent typed in a form as the stored fraction, to `places` (e.g. "0.0001")."""
    return None if percent is None else (percent / HUNDRED).quantize(Decimal(places))


def percent_of(fraction: Decimal | str | None) -> Decimal | None:
    """A stored fraction in planners' units, exactly as entered: 0.025 → 2.5, 0.03 → 3,
    0.1 → 10 (not the 1E+1 `Decimal.normalize` gives). Nothing is rounded: a form opened
    with it posts the same value back, and a page shows what was entered."""
    if fraction is None or fraction == "":
        return None
    percent = (Decimal(str(fraction)) * HUNDRED).normalize()
    return percent.quantize(ONE) if percent == percent.to_integral_value() else percent


def form_message(message: str, *, field: str, labels: dict[str, str], percent: Iterable[str] = ()) -> str:
    """A service's message in a form's words: its labels for field names, percent for the
    fields (`percent`, service names) a form asks in percent. A plain message is already
    neutral and is kept; a `mopsync.errors.Rule` is said again from its code and numbers.
    `field` is the service's field the message is about; `labels` maps service field
    names to the form's labels."""
    code, params = getattr(message, "code", ""), getattr(message, "params", {})

    def label(name: str) -> str:
        return labels.get(name) or name.replace("_", " ").capitalize()

    def pct(fraction) -> str:
        return f"{percent_of(fraction)}%"

    if code == "on_or_after":
        return f"“{label(field)}” must be on or after “{label(params['other'])}”."
    if code == "required_with":
        return f"Required with {label(params['other'])}."
    if code == "shares_total":
        return f"{label(field)} shares must add up to 100% (they add up to {pct(params['total'])})."
    if code == "between" and field in set(percent):
        return f"Must be between {pct(params['minimum'])} and {pct(params['maximum'])}."
    if code == "line":
        said = " ".join(form_message(m, field=field, labels=labels, percent=percent) for m in params["messages"])
        return f"Line {params['index']}: {said}"
    return str(message)


def says_its_field(message: str) -> bool:
    """Whether `form_message` names the field itself (shown on its own, not after a label)."""
    return getattr(message, "code", "") in ("on_or_after", "shares_total")
