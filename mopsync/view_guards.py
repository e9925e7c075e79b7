"""What every web view shares: who may read a page (`reader`), how a domain refusal
becomes a message instead of a 500 (`refusal_text`, `attempt`), and how a download
refuses a query it does not understand (`bad_query`), said once for both apps."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from mopsync.errors import CapacityTaken, DomainError, InvalidInput
from mopsync.roles import can_read

NO_ROLE = "Your account has no mopsync role; ask an admin to add you to a team."


def reader(view):
    """Signed in, with a mopsync role (or staff): who may read plans. Anyone else is sent
    to sign in, or refused with 403 (the API's HasRole says the same)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_read(request.user):
            raise PermissionDenied(NO_ROLE)
        return view(request, *args, **kwargs)

    return wrapped


def refusal_text(exc: DomainError, labels: dict[str, str] | None = None) -> str:
    """A refusal as one message; `labels`: the page's words for the service's field names."""
    if isinstance(exc, InvalidInput):
        labels = labels or {}

        def named(field: str) -> str:
            return labels.get(field) or field.replace("_", " ").capitalize()

        def said(msgs) -> str:
            # Errors of a list of items (e.g. a sign-off's SKU lines) come per item: {field: [...]}.
            return " ".join(
                "; ".join(f"item {n}, {f.replace('_', ' ')}: {' '.join(m)}" for f, m in msg.items())
                if isinstance(msg, dict)
                else str(msg)
                for n, msg in enumerate(msgs, start=1)
                if msg
            )

        parts = [
            said(msgs) if field == "non_field_errors" else f"{named(field)}: {said(msgs)}"
            for field, msgs in exc.errors.items()
        ]
        return "; ".join(parts) or exc.message
    if isinstance(exc, CapacityTaken):
        first = " ".join(f["message"] for f in exc.findings[:3])
        return f"{exc.message} {first}".strip()
    return exc.message


def attempt(request, call, *, success: str | None = None):
    """Run a service call; a refusal becomes an error message (never a 500)."""
    try:
        result = call()
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
        return None
    if success:
        messages.success(request, success)
    return result


def bad_query(errors, *, labels: dict[str, str] | None = None) -> HttpResponse:
    """A 400 for a download whose query was not understood (a form's or filter set's
    `errors`), saying which parameter and why, in plain text: a file of everything, or of
    nothing, would pass for the answer."""
    labels = labels or {}
    lines = [
        f"{labels.get(field, field.replace('_', ' ').capitalize())}: {' '.join(str(m) for m in messages_)}"
        for field, messages_ in errors.items()
    ]
    text = "Not downloaded: the filters were not understood.\n" + "\n".join(lines) + "\n"
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
