from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from mopsync.api import ERROR, FIELD_ERRORS


class ObtainToken(ObtainAuthToken):
    """POST {username, password} → {token}. The token is bound to the user and its roles."""

    @extend_schema(
        summary="Get an API token",
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: FIELD_ERRORS,
            415: ERROR,  # a body that is neither JSON nor a form
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
