"""Form pieces every app's web forms share."""

from __future__ import annotations

from django import forms


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
