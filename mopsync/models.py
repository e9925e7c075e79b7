"""API tokens (issue 18.3).

They live in the project package (`mopsync`, an installed app for this reason) because
a token belongs to a user, not to marketing's side (`campaigns`) or operations' side
(`capacity`), and the code that reads and issues them is already here
(`mopsync/auth.py`, `mopsync/auth_api.py`, `mopsync/tokens.py`).

Only a SHA-256 digest of the key is stored: the key (40 random hex digits, 160 bits) is
shown once, when the token is made. The first characters (`prefix`) are kept in clear
so that a person can tell their tokens apart; they are not enough to use one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64, help_text="What uses it: one token per integration.")
    prefix = models.CharField(max_length=8, help_text="The key's first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key; the key is not stored.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="mopsync_token_user_revoked")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def active(self) -> bool:
        return not self.revoked and not self.expired

    @property
    def state(self) -> str:
        return "revoked" if self.revoked else "expired" if self.expired else "active"
