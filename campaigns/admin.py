"""Admin for the marketing side.

A campaign's plan and workflow state change only through `campaigns.services`
(rule 3 material-change handling, reservations, audit events, notifications), so
the admin shows campaigns read-only and offers the transitions as actions that
call those services with the admin as the actor. Audit events are append-only.
"""

from django.contrib import admin, messages
from django.db.models import Count, Max, Min, Sum
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from campaigns import services
from campaigns.models import (
    ActualOrders,
    AlertLog,
    AuditEvent,
    CalendarFeed,
    Campaign,
    CampaignRegion,
    CampaignSku,
    CampaignSpend,
    Comment,
    Delegation,
    Notification,
    PostCampaignReview,
    Preference,
    PromoWindow,
)
from campaigns.notifications import retry_failed
from capacity.admin import ReadOnlyAdmin, ServiceAdmin
from capacity.models import Reservation, SignOff
from mopsync.errors import DomainError, InvalidInput

PLAN_FIELDS = [
    "name",
    "brief",
    "channel",
    "owner",
    "starts_on",
    "ends_on",
    "forecast_basis",
    "sessions_per_day",
    "conversion_rate",
    "orders_per_day",
    "units_per_order",
    "cod_share",
    "delivery_promise_days",
    "budget",
    "expected_order_value",
    "auto_pause_on_stockout",
]
WORKFLOW_FIELDS = [
    "status",
    "plan_version",
    "inventory_valid_from",
    "courier_valid_from",
    "approved_orders_per_day",
    "scale_up_pending",
    "late_notice",
    "submitted_at",
    "signoff_due_at",
    "created_at",
    "updated_at",
]


def _reason(exc: DomainError) -> str:
    if isinstance(exc, InvalidInput):
        return "; ".join(message for messages_ in exc.errors.values() for message in messages_)
    return exc.message


# --------------------------------------------------------------------------- campaign


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    select_related: tuple[str, ...] = ()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.select_related)


class SkuLineInline(ReadOnlyInline):
    model = CampaignSku
    fields = readonly_fields = ["sku", "share"]
    select_related = ("sku",)
    verbose_name = "SKU line"


class RegionLineInline(ReadOnlyInline):
    model = CampaignRegion
    fields = readonly_fields = ["region", "share"]
    select_related = ("region",)
    verbose_name = "region line"


class SignOffInline(ReadOnlyInline):
    model = SignOff
    fields = readonly_fields = [
        "created_at",
        "dimension",
        "decision",
        "approved_orders_per_day",
        "plan_version",
        "verdict",
        "actor",
        "comment",
    ]
    select_related = ("actor",)
    verbose_name = "sign-off"


class AuditEventInline(ReadOnlyInline):
    model = AuditEvent
    fields = readonly_fields = [
        "created_at",
        "actor",
        "action",
        "from_status",
        "to_status",
        "plan_version",
        "comment",
        "changes",
    ]
    select_related = ("actor",)
    verbose_name = "audit event"


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Read-only plan and state; transitions are actions that go through the services.

    `has_change_permission` is False so the change page has no Save button: a form
    save would write every column from a possibly stale copy, bypassing rule 3 and
    racing the services. Actions need the `campaigns.change_campaign` permission;
    the services then check the actor's role (a superuser acts as an ops lead).
    """

    list_display = [
        "name",
        "status",
        "channel",
        "owner",
        "starts_on",
        "ends_on",
        "orders_per_day",
        "approved_orders_per_day",
        "plan_version",
        "late_notice",
        "scale_up_pending",
    ]
    list_filter = ["status", "channel", "late_notice", "scale_up_pending", "starts_on"]
    search_fields = ["name", "owner__username"]
    ordering = ["-starts_on", "-id"]
    date_hierarchy = "starts_on"
    list_select_related = ["owner"]
    fieldsets = [
        ("Plan", {"fields": PLAN_FIELDS}),
        ("Workflow", {"fields": WORKFLOW_FIELDS}),
        ("Capacity held", {"fields": ["reservations_held"]}),
    ]
    readonly_fields = [*PLAN_FIELDS, *WORKFLOW_FIELDS, "reservations_held"]
    inlines = [SkuLineInline, RegionLineInline, SignOffInline, AuditEventInline]
    actions = ["go_live", "pause", "resume", "cancel"]

    def view_on_site(self, obj):
        return reverse("campaigns:detail", args=[obj.pk])

    def has_add_permission(self, request):
        return False  # campaigns are planned by marketing in the app (campaign_create)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_transition_permission(self, request):
        return request.user.has_perm("campaigns.change_campaign")

    @admin.display(description="Reservations")
    def reservations_held(self, obj):
        """A summary, not the rows: a campaign holds one row per resource and day."""
        rows = (
            Reservation.objects.filter(campaign=obj)
            .values("dimension", "kind")
            .annotate(rows=Count("id"), total=Sum("quantity"), first=Min("day"), last=Max("day"))
            .order_by("dimension", "kind")
        )
        if not rows:
            return "None"
        url = reverse("admin:capacity_reservation_changelist") + f"?campaign__id__exact={obj.pk}"
        lines = format_html_join(
            "",
            "<li>{} / {}: {} rows, {} in total, {} to {}</li>",
            ((row["dimension"], row["kind"], row["rows"], row["total"], row["first"], row["last"]) for row in rows),
        )
        return format_html('<ul>{}</ul><a href="{}">See the rows</a>', lines, url)

    def _transition(self, request, queryset, service, done: str) -> None:
        """Call `service` for each selected campaign; each runs in its own transaction,
        so a refusal changes nothing and does not undo the others."""
        count = 0
        for campaign in queryset.order_by("pk"):
            try:
                service(campaign=campaign, actor=request.user)
            except DomainError as exc:
                self.message_user(request, f"“{campaign.name}”: {_reason(exc)}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"{count} campaign(s) {done}.", messages.SUCCESS)

    @admin.action(description="Go live (approved, on or after the start date)", permissions=["transition"])
    def go_live(self, request, queryset):
        self._transition(request, queryset, services.campaign_go_live, "went live")

    @admin.action(description="Pause live campaigns", permissions=["transition"])
    def pause(self, request, queryset):
        self._transition(request, queryset, services.campaign_pause, "paused")

    @admin.action(description="Resume paused campaigns", permissions=["transition"])
    def resume(self, request, queryset):
        self._transition(request, queryset, services.campaign_resume, "resumed")

    @admin.action(description="Cancel campaigns (releases their reservations)", permissions=["transition"])
    def cancel(self, request, queryset):
        self._transition(request, queryset, services.campaign_cancel, "cancelled")


@admin.register(CampaignSku)
class CampaignSkuAdmin(ReadOnlyAdmin):
    """Plan lines change only through `campaign_update` (rule 3)."""

    list_display = ["campaign", "sku", "share"]
    search_fields = ["campaign__name", "sku__code", "sku__name"]
    list_filter = ["campaign__status"]
    ordering = ["campaign", "-share"]
    list_select_related = ["campaign", "sku"]


@admin.register(CampaignRegion)
class CampaignRegionAdmin(ReadOnlyAdmin):
    """Plan lines change only through `campaign_update` (rule 3)."""

    list_display = ["campaign", "region", "share"]
    search_fields = ["campaign__name", "region__code", "region__name"]
    list_filter = ["campaign__status"]
    ordering = ["campaign", "-share"]
    list_select_related = ["campaign", "region"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Append-only: never added, changed or deleted here (the model refuses too)."""

    list_display = ["created_at", "campaign", "action", "from_status", "to_status", "plan_version", "actor"]
    list_filter = ["action", "to_status"]
    search_fields = ["campaign__name", "actor__username", "action", "comment"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    list_select_related = ["campaign", "actor"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    """The campaigns' discussion: append-only, written through `services.comment_add`."""

    list_display = ["created_at", "campaign", "author"]
    search_fields = ["campaign__name", "author__username", "body"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    list_select_related = ["campaign", "author"]


# --------------------------------------------------------------------------- calendar and reviews


@admin.register(PromoWindow)
class PromoWindowAdmin(ServiceAdmin):
    """Written by `campaigns.services`, which records who added a window."""

    list_display = ["name", "starts_on", "ends_on", "channel", "created_by"]
    list_filter = ["channel", "starts_on"]
    search_fields = ["name", "notes"]
    ordering = ["-starts_on", "id"]
    date_hierarchy = "starts_on"
    list_select_related = ["created_by"]
    readonly_fields = ["created_by"]

    def write(self, actor, row, data):
        return services.promo_window_save(actor=actor, window=row, **data)

    def remove(self, actor, row):
        services.promo_window_delete(actor=actor, window=row)


@admin.register(Delegation)
class DelegationAdmin(ServiceAdmin):
    """Written by `campaigns.services.delegation_set` (the rules of who may cover for whom);
    a change is a clear and a new delegation, refused as a whole if the new one is."""

    list_display = ["user", "starts_on", "ends_on", "delegate", "created_at"]
    list_filter = ["starts_on"]
    search_fields = ["user__username", "delegate__username"]
    ordering = ["-starts_on", "id"]
    list_select_related = ["user", "delegate"]
    raw_id_fields = ["user", "delegate"]

    def write(self, actor, row, data):
        if row is not None:
            services.delegation_clear(actor=actor, delegation=row)
        return services.delegation_set(
            actor=actor, user=data["user"], delegate=data["delegate"], starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )  # fmt: skip

    def remove(self, actor, row):
        services.delegation_clear(actor=actor, delegation=row)


@admin.register(PostCampaignReview)
class PostCampaignReviewAdmin(admin.ModelAdmin):
    list_display = [
        "campaign",
        "forecast_orders",
        "actual_orders",
        "returned_orders",
        "failed_deliveries",
        "created_at",
    ]
    list_filter = ["campaign__channel"]
    search_fields = ["campaign__name"]
    ordering = ["-created_at", "-id"]
    list_select_related = ["campaign"]
    autocomplete_fields = ["campaign"]

    def get_readonly_fields(self, request, obj=None):
        return ["campaign"] if obj is not None else []


# --------------------------------------------------------------------------- outbox


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox. Rows are written by the services and delivered by a task, so they
    are not edited here (a stale form save could resend one); failed rows can be retried."""

    list_display = ["created_at", "state", "kind", "recipient", "subject", "campaign", "attempts", "sent_at"]
    list_filter = ["state", "kind"]
    readonly_fields = ["last_error", "next_attempt_at", "claimed_at", "email_sent_at", "slack_sent_at"]
    search_fields = ["subject", "kind", "recipient__username", "recipient__email", "campaign__name"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient", "campaign"]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("campaigns.change_notification")

    @admin.action(description="Retry failed deliveries", permissions=["retry"])
    def retry(self, request, queryset):
        ids = retry_failed(queryset.values_list("pk", flat=True))
        self.message_user(request, f"{len(ids)} failed notification(s) queued for delivery again.", messages.SUCCESS)
        skipped = queryset.count() - len(ids)
        if skipped:
            self.message_user(request, f"{skipped} selected notification(s) had not failed; left as they are.")


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Private feed URLs. Tokens are never shown; deleting a row revokes the feed."""

    list_display = ["user", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AlertLog)
class AlertLogAdmin(ReadOnlyAdmin):
    """What the scheduled jobs already sent today (inventory alerts, SLA reminders, the
    daily report): the record that makes each once per day."""

    list_display = ["day", "kind", "key", "campaign", "created_at"]
    list_filter = ["kind"]
    search_fields = ["kind", "key", "campaign__name"]
    date_hierarchy = "day"
    list_select_related = ["campaign"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    """What mopsync sends each user: the daily report opt-out."""

    list_display = ["user", "daily_report"]
    list_filter = ["daily_report"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(ActualOrders)
class ActualOrdersAdmin(ReadOnlyAdmin):
    """Written by the actual_orders import (imports are idempotent by natural key)."""

    list_display = ["date", "campaign", "channel", "sku", "region", "orders", "revenue", "fulfilment_cost"]
    list_filter = ["channel"]
    search_fields = ["campaign__name", "sku__code", "region__code"]
    ordering = ["-date", "id"]
    date_hierarchy = "date"
    list_select_related = ["campaign", "sku", "region"]


@admin.register(CampaignSpend)
class CampaignSpendAdmin(ReadOnlyAdmin):
    """Written by the campaign_spend import."""

    list_display = ["date", "campaign", "spend"]
    search_fields = ["campaign__name"]
    ordering = ["-date", "id"]
    date_hierarchy = "date"
    list_select_related = ["campaign"]
