"""Helpers shared by the web views: domain errors become messages, once."""

from __future__ import annotations

from django.contrib import messages

from campaigns.errors import CapacityTaken, DomainError, InvalidInput


def refusal_text(exc: DomainError) -> str:
    if isinstance(exc, InvalidInput):
        parts = [f"{field.replace('_', ' ')}: {' '.join(msgs)}" for field, msgs in exc.errors.items()]
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
