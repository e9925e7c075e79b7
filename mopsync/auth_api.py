from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from mopsync.api import ERROR, FIELD_ERRORS
from mopsync.security import TokenRateThrottle, lockout_message


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


class ObtainToken(ObtainAuthToken):
    """POST {username, password} → {token}. The token is bound to the user and its roles.
    DELETE revokes the caller's token (a leaked token is revoked this way, or by an admin).

    Failed attempts count towards django-axes' lock-out exactly as on the web login
    (settings, "Sign-in lock-out"): a locked-out username is refused with 429 even with
    the right password, and a success resets its count. Attempts are also limited per client
    address (MOPSYNC_TOKEN_RATE, right or wrong): beyond it, 429 "throttled" with Retry-After."""

    throttle_classes = [TokenRateThrottle]

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else []

    @extend_schema(
        summary="Get an API token",
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: FIELD_ERRORS,
            415: ERROR,  # a body that is neither JSON nor a form
            429: OpenApiResponse(
                ERROR,
                description="Too many failed attempts: this username is locked out from your address for now "
                '(code "locked_out"); or too many attempts from your address (code "throttled", with Retry-After).',
            ),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        # django-axes marks the request it saw in authenticate() (this DRF request).
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(lockout_message())
        if not valid:
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        _reset_failures(request, user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(
        summary="Revoke your API token",
        description="Deletes the token the request is made with (or the caller's token, when signed in "
        "another way). Every client that uses it gets 401 from then on; POST makes a new one.",
        request=None,
        responses={204: None, 401: ERROR},
    )
    def delete(self, request, *args, **kwargs):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def _reset_failures(request, user) -> None:
    """A successful token request resets the failures of this username from this address,
    as a web sign-in does (django-axes does it on the user_logged_in signal, which an API
    token request does not send)."""
    if not (settings.AXES_ENABLED and settings.AXES_RESET_ON_SUCCESS):
        return
    from axes.handlers.proxy import AxesProxyHandler
    from axes.helpers import get_client_ip_address

    AxesProxyHandler.reset_attempts(ip_address=get_client_ip_address(request), username=user.get_username())
