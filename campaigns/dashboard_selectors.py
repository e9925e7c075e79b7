"""Reads for the two ops screens: the shared dashboard (`/`) and the approval queue
(`/approvals/`). DESIGN.md, "Screens".

Every function here runs a fixed number of queries whatever the number of campaigns,
SKUs, regions or lanes: campaign lines come prefetched (`selectors.campaign_list`),
stock is aggregated in SQL with `.values().annotate()`, capacity use is
`campaigns.selectors.capacity_use` (the calendar's and the daily report's), and the capacity check
runs batched through `selectors.capacity_checks`. Business rules stay where they live:
demand in `capacity.checks`, who may sign what in `selectors`/`services`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, Sum, Window
from django.utils import timezone

from campaigns import selectors
from campaigns.models import Campaign, CampaignSku, Status
from campaigns.verdicts import campaign_verdict
from capacity import checks, verdicts
from capacity.models import InboundShipment, StockLevel
from capacity.selectors import DayTotals, support_use, totals_by_day

HORIZON_DAYS = 14  # capacity use shown on the dashboard
WEEK_DAYS = 7  # "this week": today and the six days after it
TOP_FINDINGS = 3

# Campaigns that draw (or are about to draw) on stock and couriers.
DRAWING = Status.planned()
NOT_APPROVED = Status.not_approved()
SEVERITY_ORDER = {checks.ERROR: 0, checks.WARNING: 1, checks.INFO: 2}
RISK_CODES = {"ndr_risk": "ndr", "slow_delivery": "slow"}


def top_findings(result: checks.CheckResult | None, dimensions=checks.ALL_DIMENSIONS) -> list[checks.Finding]:
    """Findings most worth a reader's ten seconds: those of `dimensions` first, errors first."""
    if result is None:
        return []
    mine = {d for dim in dimensions for d in checks.FINDING_DIMENSIONS.get(dim, (dim,))}
    return sorted(
        (f for f in result.findings if f.severity != checks.INFO),
        key=lambda f: (f.dimension not in mine, SEVERITY_ORDER.get(f.severity, 3)),
    )


# --------------------------------------------------------------------------- approval queue


@dataclass(frozen=True)
class QueueRow:
    campaign: Campaign
    dimensions: tuple[str, ...]
    scale_up: bool
    waiting_since: datetime | None
    result: checks.CheckResult | None
    findings: list[checks.Finding]
    more_findings: int
    launch_in_days: int
    overdue: bool
    max_fit: int | None
    # Per dimension the user decides: (dimension, largest orders/day that fits it or None, short
    # of the plan?, what it alone takes in words when short, the cap its approval form offers or None)
    limits: list[tuple[str, int | None, bool, str, int | None]] = field(default_factory=list)
    verdict: verdicts.Verdict | None = None  # the check in words
    # Per dimension the user decides for an approver who is away (delegation): their name.
    on_behalf: dict[str, str] = field(default_factory=dict)
    # What changed since ops last decided on the plan, in words (`selectors.changes_since_signoff`).
    changes: list = field(default_factory=list)

    @property
    def started_days_ago(self) -> int:
        return -self.launch_in_days


def person(user) -> str:
    """A person as the pages name them: their full name, else their username."""
    return user.get_full_name() or user.get_username()


def _queue_row(
    entry: selectors.QueueEntry, result, *, today: date, now: datetime, user=None, away: list | None = None
) -> QueueRow:
    campaign = entry.campaign
    behalf = selectors.on_behalf(user, entry.dimensions, away) if user is not None and away else {}
    found = top_findings(result, entry.dimensions)
    limits = []
    for d in entry.dimensions:
        limit, _ = verdicts.dimension_limit(result, d)
        short = limit is not None and limit < campaign.orders_per_day
        words = verdicts.dimension_sentence(result, d, campaign.orders_per_day)
        limits.append((d, limit, short, words, verdicts.suggested_cap(result, d, campaign.orders_per_day)))
    return QueueRow(
        campaign=campaign,
        dimensions=entry.dimensions,
        scale_up=entry.scale_up,
        waiting_since=entry.waiting_since,
        result=result,
        findings=found[:TOP_FINDINGS],
        more_findings=max(0, len(found) - TOP_FINDINGS),
        launch_in_days=(campaign.starts_on - today).days,
        overdue=selectors.signoff_overdue(campaign, now=now),
        max_fit=verdicts.fit_limit(result.max_orders_per_day) if result else None,
        limits=limits,
        verdict=campaign_verdict(result, campaign),
        on_behalf={d: person(absent) for d, absent in behalf.items()},
        changes=selectors.changes_since_signoff(campaign),
    )


QUEUE_PAGE_SIZE = 25


@dataclass(frozen=True)
class QueuePage:
    """One page of a user's approval queue: the rows with their checks, the page (for
    the pager) and the counts of the whole queue; `away`: whom the user covers for today."""

    rows: list[QueueRow]
    page: Page
    total: int
    late: int
    away: list = field(default_factory=list)


def queue_page(
    user, *, page: object = 1, per_page: int | None = None, today: date | None = None, now: datetime | None = None
) -> QueuePage:
    """Page `page` of the approval queue of `user` (most urgent first, see
    `selectors.approval_queue`), the check run in one batch for that page's campaigns
    only: a queue of hundreds costs what a queue of one page does. A page number that is
    not one shows the first page; one past the end, the last."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    # The rows show no lines: the check loads them only when it is not kept already.
    queue = selectors.approval_queue(user, campaigns=Campaign.objects.select_related("owner"))
    counts = selectors.queue_counts(queue)
    paginator = Paginator(queue, per_page or QUEUE_PAGE_SIZE)
    paginator.count = counts["total"]  # counted above with the late ones: no second COUNT
    shown = paginator.get_page(page)
    entries = selectors.queue_entries(shown)
    results = selectors.capacity_checks([e.campaign for e in entries], today=today, cached=True)
    # Delegation routes to `user` the work of those away today: their items are in the
    # queue already (a delegate signs all they sign), marked "on behalf of" (one query).
    away = selectors.away_covered_by(user, day=today)
    return QueuePage(
        rows=[_queue_row(e, results.get(e.campaign.pk), today=today, now=now, user=user, away=away) for e in entries],
        page=shown,
        total=counts["total"],
        late=counts["late"],
        away=away,
    )


def queue_row(
    campaign: Campaign, dimensions, *, today: date | None = None, now: datetime | None = None, user=None
) -> QueueRow:
    """One queue entry, re-read after a sign-off: `dimensions` are what `user` may still decide."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    scale_up = campaign.status in Status.running()
    waiting = campaign.updated_at if scale_up else campaign.submitted_at
    entry = selectors.QueueEntry(campaign, tuple(dimensions), scale_up, waiting)
    result = selectors.capacity_checks([campaign], today=today)[campaign.pk] if dimensions else None
    away = selectors.away_covered_by(user, day=today) if user is not None and dimensions else []
    return _queue_row(entry, result, today=today, now=now, user=user, away=away)


# --------------------------------------------------------------------------- capacity use, next 14 days


def capacity_days(*, today: date, days: int = HORIZON_DAYS) -> list[DayTotals]:
    """Capacity use per day from `today`, network-wide: couriers (every lane) and dispatch
    (every warehouse), as `campaigns.selectors.capacity_use` counts it. One query, and four
    when the reference rows the process keeps are not used (this transaction wrote)."""
    end = today + timedelta(days=days - 1)
    return totals_by_day(selectors.capacity_use(start=today, end=end, cached=True), start=today, end=end)


# Geometry of the server-rendered SVG bar charts (viewBox units).
CHART_W, CHART_H = 760, 210
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 56, 8, 12, 40
CHART_LABELS = {"courier": "Courier pickups, all lanes", "dispatch": "Warehouse dispatch, all warehouses"}


def _nice_ceiling(value: int) -> int:
    """Round an axis maximum up to 1, 2 or 5 × a power of ten."""
    if value <= 0:
        return 10
    power = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


def capacity_chart(days: list[DayTotals], resource: str) -> dict:
    """Coordinates for one capacity chart (`resource` is "courier" or "dispatch"): per
    day a bar of business-as-usual orders under the orders campaigns hold, and a tick at
    that day's capacity. Each resource has its own scale: a warehouse's thousands would
    flatten a courier's hundreds. Pure arithmetic: no queries."""
    uses = [getattr(d, resource) for d in days]
    series = [
        {
            "day": use.day,
            "capacity": use.capacity,
            "baseline": use.usual,
            "held": use.held,
            "used": use.used,
            "percent": use.percent,
            "over": use.over,
        }
        for use in uses
    ]
    top = _nice_ceiling(max([1, *(max(p["capacity"], p["used"]) for p in series)]))
    plot_w = CHART_W - CHART_LEFT - CHART_RIGHT
    plot_h = CHART_H - CHART_TOP - CHART_BOTTOM
    base = CHART_TOP + plot_h
    slot = plot_w / max(len(series), 1)
    bar = max(4.0, slot * 0.5)

    def y(value: int) -> float:
        return round(base - plot_h * min(value, top) / top, 1)

    columns = []
    for i, point in enumerate(series):
        x = CHART_LEFT + i * slot + (slot - bar) / 2
        used = point["used"]
        columns.append(
            {
                **point,
                "x": round(x, 1),
                "w": round(bar, 1),
                "bau_y": y(point["baseline"]),
                "bau_h": round(base - y(point["baseline"]), 1),
                "held_y": y(used),
                "held_h": round(y(point["baseline"]) - y(used), 1),
                "cap_y": y(point["capacity"]),
                "cap_x1": round(x - 4, 1),
                "cap_x2": round(x + bar + 4, 1),
                "label_x": round(CHART_LEFT + i * slot + slot / 2, 1),
                "slot_x": round(CHART_LEFT + i * slot, 1),
                "slot_w": round(slot, 1),
                "weekend": point["day"].weekday() >= 5,
            }
        )
    ticks = [{"value": top * i // 4, "y": y(top * i // 4)} for i in range(5)]
    peak = max(series, key=lambda p: p["percent"] or 0, default=None)
    return {
        "resource": resource,
        "label": CHART_LABELS[resource],
        "width": CHART_W,
        "height": CHART_H,
        "left": CHART_LEFT,
        "right": CHART_W - CHART_RIGHT,
        "base": base,
        "label_y": base + 16,
        "weekday_y": base + 30,
        "top": CHART_TOP,
        "plot_h": plot_h,
        "columns": columns,
        "ticks": ticks,
        "over_days": [p["day"] for p in series if p["over"]],
        "peak": peak if peak and peak["percent"] else None,
        "first": series[0]["day"] if series else None,
        "last": series[-1]["day"] if series else None,
    }


# --------------------------------------------------------------------------- inventory at risk


@dataclass(frozen=True)
class StockRisk:
    """A featured SKU that may not last until a campaign ends.

    Days of cover = free stock (on hand − safety stock, all warehouses) ÷ daily demand,
    where daily demand is the average from today to the campaign's end of
    business-as-usual sell-through plus every campaign featuring the SKU in that time.
    """

    sku_code: str
    sku_name: str
    campaign: Campaign
    free_stock: int
    units_needed: int
    units_per_day: float
    days_of_cover: float
    days_to_end: int
    runs_out_on: date
    inbound_by_end: int
    next_inbound: tuple[date, int] | None

    @property
    def covered_by_inbound(self) -> bool:
        """Inbound arriving before the end would make up the shortfall (if it arrives in time)."""
        return self.free_stock + self.inbound_by_end >= self.units_needed


def _units_per_day(campaign: Campaign) -> dict[int, int]:
    """The campaign's units/day per SKU at the volume it holds (or plans), network-wide."""
    volume = campaign.approved_orders_per_day or campaign.orders_per_day
    plan = selectors.plan_for(campaign)
    return {line.sku_id: checks.daily_units(plan, line.share, Fraction(1), volume) for line in plan.skus}


def inventory_at_risk(campaigns: list[Campaign], *, today: date) -> list[StockRisk]:
    """Featured SKUs of `campaigns` whose days of cover fall short of a campaign's end.
    Two aggregate queries (stock on hand and inbound, per SKU) whatever the number of SKUs."""
    draws: dict[int, list[tuple[Campaign, int]]] = defaultdict(list)
    skus = {}
    for campaign in campaigns:
        units = _units_per_day(campaign)
        for line in campaign.sku_lines.all():
            draws[line.sku_id].append((campaign, units[line.sku_id]))
            skus[line.sku_id] = line.sku
    if not draws:
        return []
    horizon = max(c.ends_on for c in campaigns)
    on_hand = {
        row["sku_id"]: row["total"]
        for row in StockLevel.objects.filter(sku_id__in=list(draws))
        .values("sku_id")
        .annotate(total=Sum("on_hand"))
        .order_by()
    }
    inbound: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for row in (
        InboundShipment.objects.filter(sku_id__in=list(draws), expected_on__gte=today, expected_on__lte=horizon)
        .values("sku_id", "expected_on")
        .annotate(total=Sum("quantity"))
        .order_by("sku_id", "expected_on")
    ):
        inbound[row["sku_id"]].append((row["expected_on"], row["total"]))

    risks = []
    for sku_id, lines in draws.items():
        sku = skus[sku_id]
        free = max(0, on_hand.get(sku_id, 0) - sku.safety_stock)
        for campaign, _ in lines:
            days_to_end = (campaign.ends_on - today).days + 1
            needed = sku.baseline_units_per_day * days_to_end
            for other, units in lines:
                first = max(other.starts_on, today)
                overlap = (min(other.ends_on, campaign.ends_on) - first).days + 1
                needed += units * max(0, overlap)
            if needed <= free:
                continue
            per_day = needed / days_to_end
            cover = free / per_day
            arrivals = inbound.get(sku_id, [])
            risks.append(
                StockRisk(
                    sku_code=sku.code,
                    sku_name=sku.name,
                    campaign=campaign,
                    free_stock=free,
                    units_needed=needed,
                    units_per_day=round(per_day, 1),
                    days_of_cover=round(cover, 1),
                    days_to_end=days_to_end,
                    runs_out_on=today + timedelta(days=math.floor(cover)),
                    inbound_by_end=sum(qty for day, qty in arrivals if day <= campaign.ends_on),
                    next_inbound=arrivals[0] if arrivals else None,
                )
            )
    risks.sort(key=lambda r: (r.covered_by_inbound, r.days_of_cover - r.days_to_end, r.sku_code, r.campaign.pk))
    return risks


# --------------------------------------------------------------------------- the dashboard


@dataclass(frozen=True)
class PendingSignoff:
    campaign: Campaign
    dimensions: list[str]
    waiting_since: datetime | None
    scale_up: bool
    result: checks.CheckResult | None


@dataclass(frozen=True)
class RegionFlag:
    """A delivery risk the check found in a targeted region, with the campaigns it concerns."""

    region: str  # "Pune (PUN)"
    kind: str  # "ndr" | "slow"
    message: str
    campaigns: list[Campaign]


@dataclass
class Dashboard:
    today: date
    week_end: date
    launches_today: list[Campaign]
    launches_week: list[Campaign]
    pending: list[PendingSignoff]
    pending_total: int
    due_unapproved: list[Campaign]
    region_flags: list[RegionFlag]
    results: dict[int, checks.CheckResult]


PENDING_SHOWN = 10  # the most urgent sign-offs on the dashboard; the queue has them all


def dashboard(*, today: date | None = None) -> Dashboard:
    """The ten-minute morning view both teams share, in a fixed number of queries:
    what launches, what is due but not approved, what waits for sign-off and the
    delivery risks of the regions those plans target. Capacity use (`capacity_section`),
    inventory at risk (`stock_section`) and the shared metrics are sections of their own,
    each read by its own request.

    What it looks at is bounded by the morning's horizon, not by the size of the brand:
    campaigns running in the next HORIZON_DAYS days, and the PENDING_SHOWN most urgent
    plans waiting for sign-off (whenever they start). The check runs for those only."""
    today = today or timezone.localdate()
    week_end = today + timedelta(days=WEEK_DAYS - 1)
    horizon_end = today + timedelta(days=HORIZON_DAYS - 1)
    # The most urgent sign-offs, picked and counted (over all, before the limit) in one query.
    urgent = selectors.pending_signoffs().annotate(total=Window(Count("pk"))).order_by(*selectors.URGENT_FIRST, "pk")
    shown = {c.pk: c for c in urgent.only("pk")[:PENDING_SHOWN]}
    pending_total = next(iter(shown.values())).total if shown else 0
    campaigns = list(
        selectors.campaign_list()
        .filter(
            Q(status__in=DRAWING, ends_on__gte=today, starts_on__lte=horizon_end)
            | Q(pk__in=list(shown))
            | Q(status__in=NOT_APPROVED, starts_on__lte=today)
            | Q(status__in=Status.with_owner(), starts_on__gte=today, starts_on__lte=week_end)
        )
        .order_by("starts_on", "id")
    )
    drawing = [c for c in campaigns if c.status in DRAWING and c.ends_on >= today and c.starts_on <= horizon_end]
    by_pk = {c.pk: c for c in campaigns}
    waiting = [(by_pk[pk], found) for pk, found in shown.items() if pk in by_pk]  # unless deleted meanwhile
    # Ops decide the shown plans this morning: their regions' risks count too.
    checked = drawing + [c for c, _ in waiting if c not in drawing]
    checked.sort(key=lambda c: (c.starts_on, c.pk))
    results = selectors.capacity_checks(checked, today=today, cached=True)
    pending = [
        PendingSignoff(
            c, list(selectors.waiting_on(found)), found.waiting_since, c.status in Status.running(), results.get(c.pk)
        )
        for c, found in waiting
    ]

    return Dashboard(
        today=today,
        week_end=week_end,
        launches_today=[c for c in campaigns if c.starts_on == today],
        launches_week=[c for c in campaigns if today < c.starts_on <= week_end],
        pending=pending,
        pending_total=pending_total,
        due_unapproved=[c for c in campaigns if c.status in NOT_APPROVED and c.starts_on <= today],
        region_flags=region_flags(checked, results),
        results=results,
    )


def capacity_section(*, today: date) -> dict:
    """The dashboard's capacity use, next HORIZON_DAYS days: per day and as two charts."""
    use = capacity_days(today=today)
    return {
        "capacity": use,
        "charts": [capacity_chart(use, checks.COURIER), capacity_chart(use, checks.DISPATCH)],
        # Customer support's tickets, when it is a sign-off dimension (else none and no query).
        "support": support_use(start=today, end=today + timedelta(days=HORIZON_DAYS - 1)),
    }


def stock_section(*, today: date) -> dict:
    """The dashboard's inventory at risk, for the campaigns drawing on stock in the next
    HORIZON_DAYS days."""
    horizon_end = today + timedelta(days=HORIZON_DAYS - 1)
    drawing = Campaign.objects.filter(status__in=DRAWING, ends_on__gte=today, starts_on__lte=horizon_end)
    drawing = drawing.prefetch_related(
        Prefetch("sku_lines", queryset=CampaignSku.objects.select_related("sku")), "region_lines"
    )
    return {"stock_risks": inventory_at_risk(list(drawing.order_by("starts_on", "id")), today=today)}


def region_flags(campaigns: list[Campaign], results: dict[int, checks.CheckResult]) -> list[RegionFlag]:
    """NDR and delivery-time findings of the check, by region; the same sentence for
    several campaigns is shown once with all of them. No queries (lines are prefetched)."""
    names = {line.region.code: line.region.name for c in campaigns for line in c.region_lines.all()}
    grouped: dict[tuple[str, str, str], list[Campaign]] = defaultdict(list)
    for campaign in campaigns:
        for finding in results[campaign.pk].findings:
            if finding.code in RISK_CODES:
                grouped[(finding.subject, RISK_CODES[finding.code], finding.message)].append(campaign)
    flags = [
        RegionFlag(f"{names.get(code, code)} ({code})", kind, message, found)
        for (code, kind, message), found in grouped.items()
    ]
    flags.sort(key=lambda f: (f.region, f.kind, f.campaigns[0].starts_on, f.message))
    return flags
