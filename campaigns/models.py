"""The marketing side: campaign plans, promo windows, the audit trail and reviews.

Models hold data and derived read-only helpers; every write and transition lives
in `campaigns.services`.
"""

from collections.abc import Callable, Iterable
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from capacity.models import Dimension, Region, SignOff, Sku
from mopsync.channels import Channel  # here too: campaigns' code reads it as campaigns.models.Channel

share_validators = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    LIVE = "live", "Live"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"

    # Groups of states, each defined here once and named by what it means; tuples in the
    # members' order, for `status__in=` and `in` alike. The workflow's table
    # (`campaigns.workflow`) says which action starts from which of them.

    @classmethod
    def final(cls) -> tuple[str, ...]:
        """Nothing happens after these: ended, refused or called off."""
        return (cls.COMPLETED, cls.REJECTED, cls.CANCELLED)

    @classmethod
    def open(cls) -> tuple[str, ...]:
        """Every state but the final ones: the plan can still be edited or cancelled."""
        return tuple(status for status in cls if status not in cls.final())

    @classmethod
    def with_owner(cls) -> tuple[str, ...]:
        """The plan is with its owner, to submit: a draft, or sent back for changes."""
        return (cls.DRAFT, cls.CHANGES_REQUESTED)

    @classmethod
    def not_approved(cls) -> tuple[str, ...]:
        """Submitted and not approved: waiting for ops' decision, or sent back for changes."""
        return (cls.SUBMITTED, cls.CHANGES_REQUESTED)

    @classmethod
    def before_approval(cls) -> tuple[str, ...]:
        """Not approved yet, whether submitted or not: going live waits for both sign-offs."""
        return (cls.DRAFT, cls.SUBMITTED, cls.CHANGES_REQUESTED)

    @classmethod
    def planned(cls) -> tuple[str, ...]:
        """Planned to run, and drawing (or about to draw) on stock and couriers: submitted,
        approved or running. Not a draft, not a plan sent back for changes, not final."""
        return (cls.SUBMITTED, cls.APPROVED, cls.LIVE, cls.PAUSED)

    @classmethod
    def in_progress(cls) -> tuple[str, ...]:
        """Submitted and not final: waiting for a decision, sent back, scheduled or running."""
        return (cls.SUBMITTED, cls.CHANGES_REQUESTED, cls.APPROVED, cls.LIVE, cls.PAUSED)

    @classmethod
    def running(cls) -> tuple[str, ...]:
        """Started and not ended: live, or paused (its reservations still hold). Where a
        scale-up waits for its sign-offs."""
        return (cls.LIVE, cls.PAUSED)

    @classmethod
    def going_ahead(cls) -> tuple[str, ...]:
        """Approved to start, or live: orders are coming (a paused campaign takes none)."""
        return (cls.APPROVED, cls.LIVE)

    @classmethod
    def went_ahead(cls) -> tuple[str, ...]:
        """Approved and not called off since: scheduled, running or ended."""
        return (cls.APPROVED, cls.LIVE, cls.PAUSED, cls.COMPLETED)


class ForecastBasis(models.TextChoices):
    ORDERS = "orders", "Orders per day"
    SESSIONS = "sessions", "Sessions per day × conversion rate"


class Campaign(models.Model):
    name = models.CharField(max_length=200)
    brief = models.TextField(blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns")
    starts_on = models.DateField()
    ends_on = models.DateField()

    # Demand forecast, in marketing's words (sessions × conversion) or ops' (orders).
    forecast_basis = models.CharField(max_length=10, choices=ForecastBasis.choices, default=ForecastBasis.ORDERS)
    sessions_per_day = models.PositiveIntegerField(null=True, blank=True)
    conversion_rate = models.DecimalField(
        max_digits=6, decimal_places=5, null=True, blank=True, validators=share_validators
    )
    orders_per_day = models.PositiveIntegerField(help_text="Planned orders/day (derived from sessions when given).")
    units_per_order = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(Decimal("0.01"))]
    )
    cod_share = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0"), validators=share_validators)
    delivery_promise_days = models.PositiveSmallIntegerField(default=4)
    budget = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    expected_order_value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    auto_pause_on_stockout = models.BooleanField(default=False)

    # Workflow state; written only by services.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    plan_version = models.PositiveIntegerField(default=1)
    # A dimension's sign-off counts only if given at or after this plan version
    # (rule 3 voids a dimension by moving its mark to the new version).
    inventory_valid_from = models.PositiveIntegerField(default=1)
    courier_valid_from = models.PositiveIntegerField(default=1)
    support_valid_from = models.PositiveIntegerField(default=1)
    approved_orders_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Volume ops approved and reservations hold; what a live campaign runs at."
    )
    scale_up_pending = models.BooleanField(default=False)
    late_notice = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # What changed since ops last looked (`campaigns.plan_changes`): the plan as it stood at
    # the last sign-off of any dimension (or, before any, at submission), and the changes
    # from it to the current plan, written by the services that change either, so that the
    # queue, the page and the API read them with the row (no query of their own).
    signed_off_plan = models.JSONField(default=dict, blank=True, editable=False)
    changes_since_signoff = models.JSONField(default=list, blank=True, editable=False)
    signoff_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_on", "id"]
        indexes = [
            models.Index(fields=["status", "starts_on"], name="campaign_status_start"),
            models.Index(fields=["starts_on", "ends_on"], name="campaign_dates"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="campaign_end_after_start"),
            models.CheckConstraint(condition=Q(cod_share__gte=0, cod_share__lte=1), name="campaign_cod_share_0_1"),
            models.CheckConstraint(condition=Q(units_per_order__gt=0), name="campaign_units_per_order_gt_0"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_gte_0"),
            models.CheckConstraint(condition=Q(expected_order_value__gte=0), name="campaign_aov_gte_0"),
            models.CheckConstraint(
                condition=Q(conversion_rate__isnull=True) | Q(conversion_rate__gte=0, conversion_rate__lte=1),
                name="campaign_conversion_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    def valid_from(self, dimension: str) -> int:
        return getattr(self, VALID_FROM[dimension])

    def current_approvals(self) -> dict[str, SignOff]:
        """The approved sign-off that currently covers each dimension, if any.

        Uses the prefetched `signoffs` when present, so lists stay at a fixed query count.
        """
        return covering_approvals(self.signoffs.all(), self.valid_from)


# The field that holds, per dimension, the first plan version whose sign-off counts.
VALID_FROM = {dimension: f"{dimension}_valid_from" for dimension in Dimension.values}


def covering_approvals(signoffs: Iterable, valid_from: Callable[[str], int]) -> dict:
    """Of one campaign's sign-offs, the approval that currently covers each dimension: approved,
    for a plan version at or after `valid_from(dimension)` (rule 3 voids older ones), the latest.

    One rule for model instances (`Campaign.current_approvals`) and for the named rows the
    API's list reads (`campaigns.api_json`): anything with `dimension`, `decision`
    and `plan_version`.
    """
    found: dict = {}
    for signoff in signoffs:
        if signoff.decision != SignOff.Decision.APPROVED:
            continue
        if signoff.plan_version < valid_from(signoff.dimension):
            continue
        best = found.get(signoff.dimension)
        if best is None or signoff.plan_version > best.plan_version:
            found[signoff.dimension] = signoff
    return found


class CampaignSku(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="sku_lines")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="campaign_lines")
    share = models.DecimalField(max_digits=5, decimal_places=4, validators=share_validators)

    class Meta:
        ordering = ["-share", "sku__code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sku"], name="campaign_sku_unique"),
            models.CheckConstraint(condition=Q(share__gt=0, share__lte=1), name="campaign_sku_share_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.sku.code} {self.share}"


class CampaignRegion(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="region_lines")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="campaign_lines")
    share = models.DecimalField(max_digits=5, decimal_places=4, validators=share_validators)

    class Meta:
        ordering = ["-share", "region__code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "region"], name="campaign_region_unique"),
            models.CheckConstraint(condition=Q(share__gt=0, share__lte=1), name="campaign_region_share_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.region.code} {self.share}"


class PromoWindow(models.Model):
    """A marketing calendar item that is not a campaign: a sale season, a launch date."""

    name = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["starts_on"]
        indexes = [models.Index(fields=["starts_on", "ends_on"], name="promo_dates")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="promo_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only")

    def delete(self):
        raise TypeError("Audit events are append-only")


class AuditEvent(models.Model):
    """Append-only record of every change of state and every sign-off."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    plan_version = models.PositiveIntegerField()
    comment = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["campaign", "created_at"], name="audit_campaign_time")]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only")


class CommentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Comments are append-only")

    def delete(self):
        raise TypeError("Comments are append-only")


class Comment(models.Model):
    """A message in a campaign's discussion thread (`services.comment_add`): append-only,
    and never a change of the plan."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaign_comments")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["campaign", "created_at"], name="comment_campaign_time")]

    def __str__(self) -> str:
        return f"Comment by {self.author_id} on {self.campaign_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Comments are append-only")
        super().save(*args, **kwargs)


class PostCampaignReview(models.Model):
    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="review")
    forecast_orders = models.PositiveIntegerField(default=0)
    actual_orders = models.PositiveIntegerField(null=True, blank=True)
    returned_orders = models.PositiveIntegerField(null=True, blank=True)
    failed_deliveries = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Review of {self.campaign}"


class Notification(models.Model):
    """The outbox: one row per recipient, written in the transaction that caused it.

    The row is the in-app inbox entry; email (and, for one row of each event, the
    Slack webhook) is delivered by `campaigns.notifications.deliver` after commit.
    A worker claims a row (`pending` → `sending`, with `claimed_at` as its lease)
    before sending and marks each channel done as it goes, so a crash resends at
    most the channel in flight, and the periodic sweep re-claims rows whose lease
    expired and publishes what is still pending: nothing is lost if the broker or a
    worker dies. A channel failure retries with exponential backoff
    (`next_attempt_at`); after `MOPSYNC_NOTIFY_MAX_ATTEMPTS` the row is `failed`.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE)
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=250)
    body = models.TextField(blank=True)
    html_body = models.TextField(blank=True, help_text="HTML email part; empty renders the standard template.")
    post_to_slack = models.BooleanField(default=False, help_text="Set on one row per event: the team channel post.")
    in_app = models.BooleanField(default=True, help_text="Shown in the recipient's inbox (their preference).")
    by_email = models.BooleanField(default=True, help_text="Emailed to the recipient (their preference).")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker claimed it (its lease).")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Backoff: not retried before this.")
    last_error = models.TextField(blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    slack_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="notification_state"),
            models.Index(fields=["state", "next_attempt_at"], name="notification_retry"),
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return self.subject


class AlertLog(models.Model):
    """What a scheduled job already sent today (an inventory alert for a campaign and
    SKU, an SLA reminder, the daily report): the unique key makes "once per day" hold
    even when two runs overlap."""

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=100, blank=True)
    day = models.DateField()
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "kind", "key"]
        constraints = [models.UniqueConstraint(fields=["kind", "key", "day"], name="alertlog_once_per_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.day}"


class Preference(models.Model):
    """A user's choices about what mopsync sends them (absent row: the defaults).

    `channels` maps a notification kind (`campaigns.notifications.KINDS`) to the
    channels the user wants for it, a list of "in_app", "email" and "slack"; a kind
    absent from the map gets every channel (`campaigns.notifications.DEFAULT_CHANNELS`).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mopsync_preference")
    daily_report = models.BooleanField(default=True, help_text="Receive the 06:00 daily report by email.")
    channels = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per notification kind, the channels wanted (absent kind: all).",
    )

    def __str__(self) -> str:
        return f"Preferences of {self.user}"


class Delegation(models.Model):
    """An ops approver away from `starts_on` to `ends_on` (both included): their sign-offs go
    to `delegate`, who signs on their behalf (issue 17). Written only by
    `services.delegation_set` / `delegation_clear`, which keep the rules: no self-delegation,
    no chains, no overlap with the user's other delegations, and the delegate may sign
    everything the user may (`workflow.delegation_refusal`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="covering")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "id"]
        indexes = [
            models.Index(fields=["delegate", "starts_on"], name="delegation_delegate_start"),
            models.Index(fields=["user", "starts_on"], name="delegation_user_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="delegation_end_after_start"),
            models.CheckConstraint(condition=~Q(user=F("delegate")), name="delegation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.user} away {self.starts_on}–{self.ends_on}, sign-offs to {self.delegate}"

    def active_on(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on


class CalendarFeed(models.Model):
    """A user's private iCalendar feed URL (`/calendar/<token>.ics`); regenerating revokes the old one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class ActualOrders(models.Model):
    """Orders that really came in on a day, by channel, SKU and region (and campaign when
    known): from the `actual_orders` import."""

    date = models.DateField()
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="actuals")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="actual_orders")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="actual_orders")
    orders = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=14, decimal_places=2)
    fulfilment_cost = models.DecimalField(max_digits=14, decimal_places=2)
    # A customer's keyed hash (HMAC-SHA256 of their id or email, hex), never the raw value:
    # a row with one holds that customer's orders (revenue per customer, repeat rate).
    customer_ref = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-date", "id"]
        verbose_name_plural = "actual orders"
        indexes = [models.Index(fields=["campaign", "date"], name="actuals_campaign_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "campaign", "channel", "sku", "region", "customer_ref"],
                condition=Q(campaign__isnull=False),
                name="actuals_unique_with_campaign",
            ),
            models.UniqueConstraint(
                fields=["date", "channel", "sku", "region", "customer_ref"],
                condition=Q(campaign__isnull=True),
                name="actuals_unique_without_campaign",
            ),
            models.CheckConstraint(condition=Q(revenue__gte=0, fulfilment_cost__gte=0), name="actuals_money_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.channel}: {self.orders} orders"


class CampaignSpend(models.Model):
    """What a campaign spent on a day: from the `campaign_spend` import."""

    date = models.DateField()
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="spend")
    spend = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["-date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "date"], name="spend_unique_campaign_day"),
            models.CheckConstraint(condition=Q(spend__gte=0), name="spend_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.date}: {self.spend}"
