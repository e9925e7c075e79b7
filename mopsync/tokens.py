"""API tokens: issued, used, revoked (issue 18.3). The one place that writes `ApiToken`.

- A key is 40 random hex digits (`secrets.token_hex(20)`, 160 bits), shown once by
  `token_create`; only its SHA-256 digest and its first `PREFIX_LENGTH` characters are
  stored. A fast hash is enough for a random key of that size (nothing to guess from a
  dictionary), and it lets a request find its token by one indexed lookup.
- A token lives `MOPSYNC_TOKEN_DAYS` days (90 by default); a user has as many named
  tokens as they have integrations, and revoking one leaves the others working.
- `last_used_at` is written at most once per `LAST_USED_EVERY` per token, so a client
  making many requests costs one UPDATE a minute, not one per request.
- Setting a password (the password change page, a reset, the admin, `changepassword`)
  revokes every token of that user (`connect_signals`).

Tokens are not read by any kept read (`mopsync.versions`), so their writes bump no version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone

from mopsync.errors import InvalidInput
from mopsync.models import ApiToken
from mopsync.validation import FieldErrors, clean_text

DEFAULT_NAME = "api"
NAME_MAX_LENGTH = 64
PREFIX_LENGTH = 8
LAST_USED_EVERY = dt.timedelta(minutes=1)
# Revoked or expired tokens are kept this long (a client using one is told why it is
# refused), then deleted when their user makes a new token.
KEEP_DEAD = dt.timedelta(days=30)


def new_key() -> str:
    return secrets.token_hex(20)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.MOPSYNC_TOKEN_DAYS)


def clean_name(value) -> str:
    errors = FieldErrors()
    # A single line: clean_text refuses line breaks and control characters.
    name = clean_text(value, field="name", errors=errors, max_length=NAME_MAX_LENGTH, required=False)
    if errors:
        raise InvalidInput(errors)
    return name or DEFAULT_NAME


def token_create(*, user, name=DEFAULT_NAME) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with its key, which is never available again."""
    name = clean_name(name)
    now = timezone.now()
    ApiToken.objects.filter(user=user).filter(
        Q(revoked_at__lt=now - KEEP_DEAD) | Q(expires_at__lt=now - KEEP_DEAD)
    ).delete()
    key = new_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        digest=digest(key),
        created_at=now,
        expires_at=now + lifetime(),
    )
    return token, key


def token_revoke(*, user, token_id: int) -> bool:
    """Revoke one of `user`'s tokens; False when it is not theirs or already revoked."""
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    )


def tokens_revoke(queryset) -> int:
    """Revoke the tokens of `queryset` that are not revoked yet (the admin's action)."""
    return queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def tokens_revoke_all(user) -> int:
    return tokens_revoke(ApiToken.objects.filter(user=user))


def tokens_of(user):
    """The user's tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())


def mark_used(token: ApiToken) -> None:
    """Note that `token` was used now, unless it was noted less than LAST_USED_EVERY ago."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    token.last_used_at = now
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def _password_set(sender, instance, created, **kwargs) -> None:
    # `set_password()` keeps the raw password on the user until `save()` has written it
    # (Django's password validators read it in the same place); a login that upgrades
    # the hash clears it before saving, so that does not count as a change.
    if not created and getattr(instance, "_password", None) is not None:
        tokens_revoke_all(instance)


def connect_signals() -> None:
    post_save.connect(_password_set, sender=get_user_model(), dispatch_uid="mopsync.tokens.password_set")
