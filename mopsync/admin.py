"""API tokens in the admin: who has which, when made, last used, expiring; revoke.

Only the digest of a key is stored (`mopsync.tokens`), and the admin shows its prefix,
never the digest: there is no way to read a key here. Tokens are not made here either
(a key is shown once, to its owner, on "My API tokens" or by the API)."""

from django.contrib import admin, messages

from mopsync import tokens
from mopsync.models import ApiToken


@admin.action(description="Revoke selected tokens")
def revoke(modeladmin, request, queryset):
    n = tokens.tokens_revoke(queryset)
    modeladmin.message_user(request, f"Revoked {n} token(s).", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix_shown", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at", "expires_at"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    fields = ["user", "name", "prefix_shown", "created_at", "last_used_at", "expires_at", "revoked_at"]
    readonly_fields = fields
    actions = [revoke]

    @admin.display(description="Key", ordering="prefix")
    def prefix_shown(self, token: ApiToken) -> str:
        return f"{token.prefix}…"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
