"""Who is asking, in one query per request (issue 7: per-request overhead).

Every page needs the signed-in user, their roles (for the navigation and every
permission) and their unread notifications (the layout's badge). Read one at a time
they are three queries on every request; here the user row comes with a flag per
role and the unread count as subqueries of the same SELECT. `mopsync.roles.user_roles`
and the layout's context processor use those values when they are there and query
otherwise (a user loaded some other way).

`Backend` serves the session (`AUTHENTICATION_BACKENDS`), `TokenAuthentication` the
API's tokens (`REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, DateField, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from rest_framework import authentication, exceptions

from mopsync import versions
from mopsync.roles import ALL_ROLES

ROLE_FLAG = "_mopsync_role_{}"
UNREAD = "_mopsync_unread"
COVERING = "_mopsync_covering"  # covers today for an approver away (delegation); with the day it was read for
COVERING_DAY = "_mopsync_covering_day"
# Whether the brand has an active support team (customer support is then a sign-off
# dimension, `capacity.selectors.support_on`): read with the user, kept for the request.
SUPPORT_TEAMS = "_mopsync_support_teams"


def with_request_context(users: QuerySet) -> QuerySet:
    """`users` annotated with a boolean per role, the count of unread notifications and
    whether they cover today for an approver away (so that a page asks whom only then)."""
    from campaigns.models import Delegation, Notification
    from capacity.models import SupportTeam

    User = get_user_model()
    memberships = User.groups.through.objects.filter(user_id=OuterRef("pk"))
    flags = {ROLE_FLAG.format(role): Exists(memberships.filter(group__name=role)) for role in ALL_ROLES}
    unread = (
        Notification.objects.filter(recipient_id=OuterRef("pk"), read_at__isnull=True, in_app=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    today = timezone.localdate()
    covering = Exists(Delegation.objects.filter(delegate_id=OuterRef("pk"), starts_on__lte=today, ends_on__gte=today))
    return users.annotate(
        **flags,
        **{UNREAD: Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)), COVERING: covering},
        **{COVERING_DAY: Value(today, output_field=DateField())},
        **{SUPPORT_TEAMS: Exists(SupportTeam.objects.filter(is_active=True))},
    )


def remember_roles(user) -> None:
    """Turn the annotated flags into the roles `mopsync.roles.user_roles` caches on the user."""
    from mopsync.roles import OPS_LEAD

    if not hasattr(user, ROLE_FLAG.format(ALL_ROLES[0])):
        return
    if hasattr(user, SUPPORT_TEAMS):
        versions.keep_for_request(SUPPORT_TEAMS, getattr(user, SUPPORT_TEAMS))
    roles = {role for role in ALL_ROLES if getattr(user, ROLE_FLAG.format(role))}
    if user.is_superuser:
        roles.add(OPS_LEAD)
    user._mopsync_roles = frozenset(roles) if user.is_active else frozenset()


class Backend(ModelBackend):
    """Django's model backend; the user of a session comes with roles and unread count."""

    def get_user(self, user_id):
        User = get_user_model()
        user = with_request_context(User._default_manager.all()).filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_roles(user)
        return user


TOKEN_FIELDS = ("id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`: the key's digest finds its `ApiToken`
    (`mopsync.tokens`), and the token's user comes with roles, in one query. An expired
    or revoked token is refused with 401 and says which; `request.auth` is the token."""

    def authenticate_credentials(self, key):
        from mopsync import tokens
        from mopsync.models import ApiToken

        User = get_user_model()
        user = (
            with_request_context(User._default_manager.all())
            .filter(api_tokens__digest=tokens.digest(key))
            .annotate(**{f"_token_{name}": F(f"api_tokens__{name}") for name in TOKEN_FIELDS})
            .first()
        )
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = ApiToken(user=user, **{name: getattr(user, f"_token_{name}") for name in TOKEN_FIELDS})
        if token.revoked:
            raise exceptions.AuthenticationFailed("Token revoked.", code="token_revoked")
        if token.expired:
            raise exceptions.AuthenticationFailed(
                "Token expired: make a new one (POST /api/v1/auth/token/ or My API tokens).", code="token_expired"
            )
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        remember_roles(user)
        tokens.mark_used(token)
        return user, token
