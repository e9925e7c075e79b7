from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, parsers, renderers, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from mopsync import tokens
from mopsync.api import ERROR, FIELD_ERRORS
from mopsync.models import ApiToken
from mopsync.security import TokenRateThrottle, lockout_message


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


class TokenRequestSerializer(serializers.Serializer):
    """DRF's AuthTokenSerializer (username and password checked by `authenticate`, which
    django-axes watches), plus the token's name."""

    username = serializers.CharField(label=_("Username"), write_only=True)
    password = serializers.CharField(
        label=_("Password"), style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=tokens.NAME_MAX_LENGTH,
        help_text=f"What will use the token, one per integration (default \"{tokens.DEFAULT_NAME}\").",
    )  # fmt: skip

    def validate(self, attrs):
        user = authenticate(request=self.context.get("request"), username=attrs["username"], password=attrs["password"])
        if not user:
            raise serializers.ValidationError(_("Unable to log in with provided credentials."), code="authorization")
        attrs["user"] = user
        return attrs


class ObtainToken(APIView):
    """POST {username, password, name?} → {token, name, expires_at}: a new token, bound to
    the user and its roles, shown this once (only its digest is stored, `mopsync.tokens`).
    DELETE revokes the token the request is made with; the user's other tokens keep working.

    Failed attempts count towards django-axes' lock-out exactly as on the web login
    (settings, "Sign-in lock-out"): a locked-out username is refused with 429 even with
    the right password, and a success resets its count. Attempts are also limited per client
    address (MOPSYNC_TOKEN_RATE, right or wrong): beyond it, 429 "throttled" with Retry-After."""

    throttle_classes = [TokenRateThrottle]
    permission_classes = ()
    parser_classes = (parsers.FormParser, parsers.MultiPartParser, parsers.JSONParser)
    renderer_classes = (renderers.JSONRenderer,)
    serializer_class = TokenRequestSerializer

    def get_serializer(self, *args, **kwargs):
        return self.serializer_class(*args, context={"request": self.request}, **kwargs)

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else []

    @extend_schema(
        summary="Get an API token",
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "Token",
                {
                    "token": serializers.CharField(),
                    "name": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(),
                },
            ),
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
        token, key = tokens.token_create(user=user, name=serializer.validated_data.get("name", tokens.DEFAULT_NAME))
        return Response({"token": key, "name": token.name, "expires_at": token.expires_at})

    @extend_schema(
        summary="Revoke your API token",
        description="Revokes the token the request is made with; the caller's other named tokens keep "
        "working (signed in with a session instead, it revokes all of the caller's tokens; the My API tokens "
        "page revokes one). Every client that uses the revoked token gets 401 from then on; POST makes a new one.",
        request=None,
        responses={204: None, 401: ERROR},
    )
    def delete(self, request, *args, **kwargs):
        if isinstance(request.auth, ApiToken):
            tokens.token_revoke(user=request.user, token_id=request.auth.pk)
        else:  # signed in with a session, as before there were several: all of the caller's tokens
            tokens.tokens_revoke_all(request.user)
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
