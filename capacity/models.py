"""The operations side: what stock and fulfilment capacity exist, and who holds it.

Everything here is reference data that ops keep current, plus the two records the
workflow writes on this side: sign-offs (capacity confirmations) and reservations.
Limits that must never be stored are database constraints, not just form checks.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

code_validator = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", "Use letters, digits, '-', '_' or '.'.")
rate_validators = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


class ReferenceModel(models.Model):
    """Something the API and CSV files refer to by a short, unique `code`."""

    code = models.CharField(max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Sku(ReferenceModel):
    safety_stock = models.PositiveIntegerField(default=0, help_text="Units never promised to campaigns.")
    baseline_units_per_day = models.PositiveIntegerField(
        default=0, help_text="Business-as-usual sell-through, units/day across the network."
    )
    return_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0"),
        validators=rate_validators,
        help_text="Share of units returned (0–1), from the returns import.",
    )
    contact_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        validators=rate_validators,
        help_text="Support tickets per order of this SKU (0–1); empty: the brand's contact rate.",
    )
    is_active = models.BooleanField(default=True)

    class Meta(ReferenceModel.Meta):
        verbose_name = "SKU"
        constraints = [
            models.CheckConstraint(condition=Q(return_rate__gte=0, return_rate__lte=1), name="sku_return_rate_0_1"),
        ]


class Warehouse(ReferenceModel):
    daily_dispatch_capacity = models.PositiveIntegerField(help_text="Orders the warehouse can dispatch per day.")
    baseline_orders_per_day = models.PositiveIntegerField(default=0, help_text="Business-as-usual orders/day.")

    class Meta(ReferenceModel.Meta):
        pass


class Region(ReferenceModel):
    warehouse = models.ForeignKey(
        Warehouse,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="regions",
        help_text="Warehouse that serves the region; empty draws on the whole network.",
    )

    class Meta(ReferenceModel.Meta):
        pass


class Courier(ReferenceModel):
    is_active = models.BooleanField(default=True)

    class Meta(ReferenceModel.Meta):
        pass


class CourierLane(models.Model):
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="lanes")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="lanes")
    daily_capacity = models.PositiveIntegerField(help_text="Pickups per day (orders/day).")
    baseline_orders_per_day = models.PositiveIntegerField(default=0)
    avg_delivery_days = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    ndr_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0"),
        validators=rate_validators,
        help_text="Share of deliveries that fail (0–1), mostly cash on delivery.",
    )
    cod_supported = models.BooleanField(default=True)

    class Meta:
        ordering = ["region__code", "courier__code"]
        constraints = [
            models.UniqueConstraint(fields=["courier", "region"], name="lane_unique_courier_region"),
            models.CheckConstraint(condition=Q(ndr_rate__gte=0, ndr_rate__lte=1), name="lane_ndr_rate_0_1"),
            models.CheckConstraint(condition=Q(avg_delivery_days__gte=0), name="lane_delivery_days_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.courier.code} → {self.region.code}"


class StockLevel(models.Model):
    """Units on hand of a SKU at a warehouse, as counted at `as_of`."""

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock_levels")
    on_hand = models.PositiveIntegerField()
    as_of = models.DateTimeField()

    class Meta:
        ordering = ["sku__code", "warehouse__code"]
        constraints = [models.UniqueConstraint(fields=["sku", "warehouse"], name="stock_unique_sku_warehouse")]

    def __str__(self) -> str:
        return f"{self.sku.code}@{self.warehouse.code}: {self.on_hand}"


class InboundShipment(models.Model):
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="inbound_shipments")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="inbound_shipments")
    quantity = models.PositiveIntegerField()
    expected_on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["expected_on", "sku__code"]
        indexes = [models.Index(fields=["sku", "expected_on"], name="inbound_sku_date")]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="inbound_quantity_gt_0")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku.code} → {self.warehouse.code} on {self.expected_on}"


class SupportTeam(models.Model):
    """A customer-support team: the tickets it answers a day are agents × tickets per agent
    (of its channel), less business as usual. A brand with an active team needs a support
    sign-off (see `capacity.selectors.active_dimensions`)."""

    class Channel(models.TextChoices):
        ALL = "all", "All channels"
        CHAT = "chat", "Chat"
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"

    name = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ALL)
    agents_per_day = models.PositiveIntegerField(help_text="Agents at work on a normal day.")
    tickets_per_agent_per_day = models.PositiveIntegerField(help_text="Tickets one agent answers a day.")
    baseline_tickets_per_day = models.PositiveIntegerField(default=0, help_text="Business-as-usual tickets/day.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def free_tickets_per_day(self) -> int:
        """Tickets a normal day leaves for campaigns: agents × tickets per agent − business as usual."""
        return self.agents_per_day * self.tickets_per_agent_per_day - self.baseline_tickets_per_day


class CapacityConstraint(models.Model):
    """An ops calendar item that takes capacity away over a date range."""

    class Kind(models.TextChoices):
        WAREHOUSE_BLACKOUT = "warehouse_blackout", "Warehouse blackout"
        COURIER_HOLIDAY = "courier_holiday", "Courier holiday"
        REDUCED_CAPACITY = "reduced_capacity", "Reduced capacity"
        SUPPORT_HOLIDAY = "support_holiday", "Support holiday"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.CASCADE)
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=models.CASCADE)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE)
    support_team = models.ForeignKey(SupportTeam, null=True, blank=True, on_delete=models.CASCADE)
    capacity_factor = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0"),
        validators=rate_validators,
        help_text="Share of normal capacity left (0 = closed).",
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_on"]
        indexes = [models.Index(fields=["starts_on", "ends_on"], name="constraint_dates")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="constraint_end_after_start"),
            models.CheckConstraint(
                condition=Q(capacity_factor__gte=0, capacity_factor__lte=1), name="constraint_factor_0_1"
            ),
            models.CheckConstraint(
                condition=(
                    Q(warehouse__isnull=False, courier__isnull=True, region__isnull=True, support_team__isnull=True)
                    | Q(warehouse__isnull=True, courier__isnull=False, support_team__isnull=True)
                    | Q(warehouse__isnull=True, courier__isnull=True, region__isnull=False, support_team__isnull=True)
                    | Q(warehouse__isnull=True, courier__isnull=True, region__isnull=True, support_team__isnull=False)
                ),
                name="constraint_one_scope",
            ),
        ]

    def __str__(self) -> str:
        scope = self.warehouse or self.courier or self.region or self.support_team
        return f"{self.get_kind_display()} {scope} {self.starts_on}–{self.ends_on}"


class Dimension(models.TextChoices):
    INVENTORY = "inventory", "Inventory"
    COURIER = "courier", "Courier & dispatch"
    SUPPORT = "support", "Customer support"


class SignOff(models.Model):
    """A capacity confirmation: one ops decision on one dimension of one plan version."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        REJECTED = "rejected", "Rejected"

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="signoffs")
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    approved_orders_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Cap: approved orders/day below the plan."
    )
    comment = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signoffs")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signoffs_delegated",
        help_text="The approver who was away: the actor signed as their delegate.",
    )
    plan_version = models.PositiveIntegerField()
    verdict = models.CharField(max_length=30, blank=True, help_text="Check verdict when the decision was made.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "dimension", "plan_version"], name="signoff_one_per_dimension_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.decision} v{self.plan_version}"


class SignOffLine(models.Model):
    """One SKU's decision inside an inventory approval (issue 19): ops approve some SKUs
    and refuse or cap others. SKUs of the plan without a line are approved; the rules
    (which decisions, which caps) are `campaigns.services.campaign_sign_off`'s."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        CAPPED = "capped", "Capped"
        REFUSED = "refused", "Refused"

    signoff = models.ForeignKey(SignOff, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="signoff_lines")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    approved_units_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Capped lines: the units/day ops approve, below the plan's."
    )
    comment = models.TextField(blank=True, help_text="Why (e.g. stock-out on the 14th).")

    class Meta:
        ordering = ["signoff", "sku__code"]
        constraints = [
            models.UniqueConstraint(fields=["signoff", "sku"], name="signoff_line_one_per_sku"),
            models.CheckConstraint(
                condition=Q(decision__in=["approved", "capped", "refused"]), name="signoff_line_decision_known"
            ),
            models.CheckConstraint(
                condition=(
                    Q(decision="capped", approved_units_per_day__isnull=False, approved_units_per_day__gte=1)
                    | (~Q(decision="capped") & Q(approved_units_per_day__isnull=True))
                ),
                name="signoff_line_cap_only_when_capped",
            ),
        ]

    def __str__(self) -> str:
        capped = f" at {self.approved_units_per_day}/day" if self.approved_units_per_day else ""
        return f"{self.sku_id} {self.decision}{capped}"


class Reservation(models.Model):
    """Capacity an approved dimension holds for a campaign on one day.

    Exactly one resource per row: units of a SKU (at a warehouse, or network-wide
    when the warehouse is empty), orders on a courier lane, dispatch slots at a
    warehouse (network-wide when empty), or support tickets (all teams together).
    """

    class Kind(models.TextChoices):
        STOCK = "stock", "Stock (units)"
        LANE = "lane", "Courier lane (orders)"
        DISPATCH = "dispatch", "Dispatch (orders)"
        SUPPORT = "support", "Support (tickets)"

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="reservations")
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    day = models.DateField()
    quantity = models.PositiveIntegerField()
    sku = models.ForeignKey(Sku, null=True, blank=True, on_delete=models.PROTECT)
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT)
    lane = models.ForeignKey(CourierLane, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["day", "kind"]
        indexes = [
            models.Index(fields=["sku", "day"], name="reservation_sku_day"),
            models.Index(fields=["lane", "day"], name="reservation_lane_day"),
            models.Index(fields=["kind", "warehouse", "day"], name="reservation_dispatch_day"),
            models.Index(fields=["campaign", "dimension"], name="reservation_campaign_dim"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_gt_0"),
            models.CheckConstraint(
                condition=(
                    Q(kind="stock", sku__isnull=False, lane__isnull=True)
                    | Q(kind="lane", lane__isnull=False, sku__isnull=True, warehouse__isnull=True)
                    | Q(kind="dispatch", sku__isnull=True, lane__isnull=True)
                    | Q(kind="support", sku__isnull=True, lane__isnull=True, warehouse__isnull=True)
                ),
                name="reservation_one_resource",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} on {self.day}"


# --------------------------------------------------------------------------- imported data


class ImportJob(models.Model):
    """One uploaded CSV file of a named kind, processed in the background.

    The file's text is kept on the row (not on a disk a worker may not share), and
    `errors` holds the row-level report: `[{row, column, message}]`, rows numbered
    as a spreadsheet shows them (the header is row 1). A file with any error
    commits nothing and ends `failed`.
    """

    class Kind(models.TextChoices):
        STOCK_LEVELS = "stock_levels", "Stock levels"
        INBOUND_SHIPMENTS = "inbound_shipments", "Inbound shipments"
        LANE_PERFORMANCE = "lane_performance", "Lane performance"
        RETURNS = "returns", "Returns"
        ACTUAL_ORDERS = "actual_orders", "Actual orders"
        CAMPAIGN_SPEND = "campaign_spend", "Campaign spend"
        SUPPORT_TICKETS = "support_tickets", "Support tickets"
        CSAT = "csat", "Customer satisfaction (CSAT)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file_name = models.CharField(max_length=255, blank=True)
    content = models.TextField(blank=True, help_text="The uploaded file's text.")
    sha256 = models.CharField(max_length=64, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="Rows created, updated and unchanged.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="importjob_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"


class LanePerformance(models.Model):
    """What a courier lane delivered over a period: from the `lane_performance` import."""

    lane = models.ForeignKey(CourierLane, on_delete=models.CASCADE, related_name="performance")
    period_start = models.DateField()
    period_end = models.DateField()
    shipments = models.PositiveIntegerField()
    delivered = models.PositiveIntegerField()
    ndr_count = models.PositiveIntegerField()
    avg_delivery_days = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["-period_end", "lane_id"]
        constraints = [
            models.UniqueConstraint(fields=["lane", "period_start", "period_end"], name="laneperf_unique_period"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="laneperf_end_after_start"
            ),
            models.CheckConstraint(condition=Q(delivered__lte=models.F("shipments")), name="laneperf_delivered_lte"),
            models.CheckConstraint(condition=Q(ndr_count__lte=models.F("shipments")), name="laneperf_ndr_lte"),
        ]

    def __str__(self) -> str:
        return f"{self.lane_id} {self.period_start}–{self.period_end}"


class ReturnRecord(models.Model):
    """Orders and returns of a SKU on a day, by marketing channel and region: from the `returns` import."""

    date = models.DateField()
    # No index by SKU: the reports read a date range (the unique key leads with the date),
    # the return-rate refresh reads every SKU of a file at once (a scan either way), and
    # each index the import keeps up costs it a random write per row: an index on
    # (SKU, date) made a 100k-row import 0.5 s slower (issue 7).
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="returns", db_index=False)
    channel = models.CharField(max_length=20)
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="returns")
    orders = models.PositiveIntegerField()
    returned = models.PositiveIntegerField()

    class Meta:
        ordering = ["-date", "sku_id"]
        constraints = [
            models.UniqueConstraint(fields=["date", "sku", "channel", "region"], name="returns_unique_key"),
            models.CheckConstraint(condition=Q(returned__lte=models.F("orders")), name="returns_lte_orders"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.sku_id} {self.channel}: {self.returned}/{self.orders}"


# --------------------------------------------------------------------------- support data (issue 19)


class SupportChannel(models.TextChoices):
    CHAT = "chat", "Chat"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"


class SupportTicketCount(models.Model):
    """Tickets customer support received on a day, by support channel (and campaign when
    known): from the `support_tickets` import. A row of a file replaces the stored count
    of its day × channel × campaign."""

    day = models.DateField()
    channel = models.CharField(max_length=10, choices=SupportChannel.choices)
    tickets = models.PositiveIntegerField()
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="support_tickets"
    )

    class Meta:
        ordering = ["-day", "channel", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "channel", "campaign"],
                condition=Q(campaign__isnull=False),
                name="tickets_unique_with_campaign",
            ),
            models.UniqueConstraint(
                fields=["day", "channel"], condition=Q(campaign__isnull=True), name="tickets_unique_without_campaign"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.tickets}"


class CsatResponse(models.Model):
    """Customer satisfaction answers, aggregated: how many customers of a region gave a
    score (1–5) on a day (about a campaign when known). The `csat` import reads one row per
    answer and stores the counts; a file replaces what is stored for each day × region it
    holds (it is that day's and region's answers)."""

    day = models.DateField()
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="csat_responses")
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="csat_responses"
    )
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    responses = models.PositiveIntegerField()

    class Meta:
        ordering = ["-day", "region_id", "score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "campaign", "score"],
                condition=Q(campaign__isnull=False),
                name="csat_unique_with_campaign",
            ),
            models.UniqueConstraint(
                fields=["day", "region", "score"],
                condition=Q(campaign__isnull=True),
                name="csat_unique_without_campaign",
            ),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="csat_score_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.region_id} score {self.score}: {self.responses}"
