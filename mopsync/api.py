"""API plumbing shared by both apps: error mapping, pagination, role permissions.

Domain errors are mapped to HTTP here and only here: InvalidInput → 400 with
field messages, NotPermitted → 403, TransitionNotAllowed/CapacityTaken → 409 with
the rule that refused (and the check's findings when capacity is involved).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from mopsync.errors import CapacityTaken, DomainError, InvalidInput
from mopsync.roles import ALL_ROLES, keeps, user_roles

log = logging.getLogger(__name__)

# Router lookups accept any path segment, so that an id or code that cannot exist ("0.5",
# "a b") reaches the view and is the API's JSON 404, not the site's HTML page.
ANY_SEGMENT = r"[^/]+"


def exception_handler(exc, context):
    if isinstance(exc, InvalidInput):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code}
        if isinstance(exc, CapacityTaken):
            body["findings"] = exc.findings
            body["max_orders_per_day"] = exc.max_orders_per_day
        return Response(body, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        return Response({"non_field_errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):
        # A value the database cannot hold slipped past validation: the client's input is bad.
        log.info("database refused a value: %s", exc)
        return Response(
            {"non_field_errors": ["A value is out of range or contains characters that cannot be stored."]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, IntegrityError):
        # A database constraint refused what validation let through (e.g. a duplicate
        # code racing another request): the client's input conflicts, not a server fault.
        log.info("database refused a write: %s", exc)
        return Response(
            {"detail": "The database refused this change (duplicate or out-of-range value).", "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, list):
        # e.g. DRF's search filter refusing a NUL: still the documented {field: [messages]} shape.
        response.data = {"non_field_errors": response.data}
    if response is not None and isinstance(response.data, dict) and set(response.data) == {"detail"}:
        # Every refusal that is not field errors has the documented shape {detail, code}.
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        response.data["code"] = codes if isinstance(codes, str) else "error"
    return response


class HasRole(permissions.BasePermission):
    """Signed in with at least one mopsync role (machine clients are users with roles)."""

    message = "Your account has no mopsync role; ask an admin to add you to a team."

    def has_permission(self, request, view):
        return bool(user_roles(request.user) & set(ALL_ROLES)) or bool(request.user and request.user.is_staff)


def writers(*roles: str) -> type[permissions.BasePermission]:
    """Reads for every role; writes only for `roles` (and staff)."""

    class RoleWriters(HasRole):
        message = f"Changing this needs one of the roles: {', '.join(roles)}."

        def has_permission(self, request, view):
            if not super().has_permission(request, view):
                self.message = HasRole.message
                return False
            if request.method in permissions.SAFE_METHODS:
                return True
            return keeps(request.user, roles)

    return RoleWriters


ERROR = inline_serializer("Error", {"detail": serializers.CharField(), "code": serializers.CharField()})
CONFLICT = inline_serializer(
    "Conflict",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "findings": serializers.ListField(child=serializers.DictField(), required=False),
        "max_orders_per_day": serializers.IntegerField(required=False, allow_null=True),
    },
)
FIELD_ERRORS = inline_serializer(
    "FieldErrors", {"field_name": serializers.ListField(child=serializers.CharField(), required=False)}
)


def whole_row(serializer) -> dict:
    """What a service is given for a PATCH: the fields of the body over the row's current
    values for the fields it left out, so that the service decides on the whole row."""
    writable = [field for field in serializer.fields.values() if not field.read_only]
    current = {field.source: getattr(serializer.instance, field.source) for field in writable}
    return {**current, **serializer.validated_data}


def path_pk(value: str) -> int:
    """A primary key from a path segment, or the API's 404."""
    if not value.isascii() or not value.isdigit() or len(value) > 10 or int(value) > 2_147_483_647:
        raise exceptions.NotFound("No such object.")
    return int(value)
