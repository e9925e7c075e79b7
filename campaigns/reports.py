"""The shared daily report (DESIGN.md, "Background work"): built at 06:00 organisation
time and sent once per day to every active user with a role who has not opted out.

`build_daily_report` reads everything (a fixed number of queries), `render_daily_report`
turns it into a subject, plain text and HTML (templates/email/daily_report.*), and
`send_daily_report` queues it through the outbox, once per day (`AlertLog`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from campaigns import metrics, selectors, triggers
from campaigns.models import ActualOrders, Campaign, PostCampaignReview, Preference, Status
from campaigns.notifications import queue_notification
from capacity.models import CourierLane, Sku
from capacity.selectors import DayTotals, SupportDay, support_use, totals_by_day
from mopsync.roles import ALL_ROLES

CAPACITY_DAYS = 14
WEEK_DAYS = 7  # "this week": today and the six days after it
HIGHLIGHT_LIMIT = 10
RECENTLY_ENDED_DAYS = 7
METRICS_DAYS = 30  # the shared metrics look back this far
BUSY_PERCENT = 90  # capacity use flagged in the report
# Plans that are scheduled or running, or waiting for a decision.
UPCOMING = Status.in_progress()
NOT_APPROVED = Status.not_approved()


@dataclass(frozen=True)
class PendingSignoff:
    campaign: Campaign
    dimensions: tuple[str, ...]
    scale_up: bool
    overdue: bool


@dataclass(frozen=True)
class RegionHighlight:
    code: str
    name: str
    ndr_percent: int
    campaigns: tuple[str, ...]
    cod: bool


@dataclass(frozen=True)
class SkuHighlight:
    code: str
    name: str
    return_percent: int
    campaigns: tuple[str, ...]


@dataclass(frozen=True)
class ForecastRow:
    campaign: Campaign
    forecast_per_day: int
    days: int
    forecast_orders: int
    actual_orders: int | None

    @property
    def difference_percent(self) -> int | None:
        if self.actual_orders is None or self.forecast_orders <= 0:
            return None
        return round((self.actual_orders - self.forecast_orders) * 100 / self.forecast_orders)


@dataclass(frozen=True)
class SharedMetrics:
    """The shared metrics (campaigns.metrics) over the last METRICS_DAYS days: what the
    imported courier performance, returns, actual orders and spend say."""

    start: dt.date
    end: dt.date
    ndr_regions: list[dict] = field(default_factory=list)  # from courier performance, worst first
    returns_by_channel: list[dict] = field(default_factory=list)
    campaigns: list[dict] = field(default_factory=list)  # ROAS gross vs net, cost per delivered order
    approval_cycle: list[dict] = field(default_factory=list)  # hours from submission to sign-off
    fulfilment_by_channel: list[dict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.ndr_regions or self.returns_by_channel or self.campaigns or self.fulfilment_by_channel)


@dataclass
class DailyReport:
    today: dt.date
    launches_today: list[Campaign] = field(default_factory=list)
    launches_week: list[Campaign] = field(default_factory=list)
    pending: list[PendingSignoff] = field(default_factory=list)
    due_not_approved: list[Campaign] = field(default_factory=list)
    capacity: list[DayTotals] = field(default_factory=list)
    support: list[SupportDay] = field(default_factory=list)  # when customer support is a sign-off dimension
    inventory: list[triggers.InventoryRisk] = field(default_factory=list)
    ndr_regions: list[RegionHighlight] = field(default_factory=list)
    return_skus: list[SkuHighlight] = field(default_factory=list)
    more_return_skus: int = 0
    forecasts: list[ForecastRow] = field(default_factory=list)
    shared: SharedMetrics | None = None
    ndr_threshold_percent: int = 0
    return_threshold_percent: int = 0

    @property
    def week_end(self) -> dt.date:
        return self.today + dt.timedelta(days=WEEK_DAYS - 1)

    @property
    def busy_days(self) -> set[dt.date]:
        """Days at or above BUSY_PERCENT of courier or dispatch capacity (or with orders to
        ship and no capacity left), flagged in the capacity table."""
        return {
            d.day
            for d in self.capacity
            for use in (d.courier, d.dispatch)
            if use.used > 0 and (use.percent is None or use.percent >= BUSY_PERCENT)
        }


# --------------------------------------------------------------------------- build


def build_daily_report(*, today: dt.date, now: dt.datetime | None = None) -> DailyReport:
    """Everything the report shows for `today`, in a fixed number of queries."""
    report = DailyReport(
        today=today,
        ndr_threshold_percent=round(settings.MOPSYNC_NDR_THRESHOLD * 100),
        return_threshold_percent=round(settings.MOPSYNC_RETURN_RATE_THRESHOLD * 100),
    )
    week_end = report.week_end
    upcoming = list(
        selectors.campaign_list()
        .filter(status__in=UPCOMING, ends_on__gte=today, starts_on__lte=today + dt.timedelta(days=CAPACITY_DAYS - 1))
        .order_by("starts_on", "id")
    )
    report.launches_today = [c for c in upcoming if c.starts_on == today]
    report.launches_week = [c for c in upcoming if today < c.starts_on <= week_end]
    report.due_not_approved = [c for c in upcoming if c.status in NOT_APPROVED and c.starts_on <= today]
    report.pending = _pending(today=today, now=now)
    capacity_end = today + dt.timedelta(days=CAPACITY_DAYS - 1)
    report.capacity = totals_by_day(
        selectors.capacity_use(start=today, end=capacity_end), start=today, end=capacity_end
    )
    report.support = support_use(start=today, end=capacity_end)
    report.inventory = triggers.inventory_risks(today=today)
    report.ndr_regions = _ndr_regions(upcoming)
    report.return_skus, report.more_return_skus = _return_skus(upcoming)
    report.forecasts = _forecasts(today=today)
    report.shared = shared_metrics(today=today, campaigns=[f.campaign for f in report.forecasts])
    return report


def _pending(*, today: dt.date, now: dt.datetime | None) -> list[PendingSignoff]:
    """Every sign-off still awaited, most urgent first (late notice, then deadline)."""
    now = now or timezone.now()
    waiting = selectors.pending_signoffs().order_by(*selectors.URGENT_FIRST, "pk")
    return [
        PendingSignoff(
            campaign,
            selectors.waiting_on(campaign),
            campaign.status != Status.SUBMITTED,
            selectors.signoff_overdue(campaign, now=now),
        )
        for campaign in waiting
    ]


def _ndr_regions(upcoming: list[Campaign]) -> list[RegionHighlight]:
    """Regions targeted by upcoming campaigns whose couriers' NDR (weighted by lane
    capacity) is above the threshold."""
    targeted: dict[int, list[Campaign]] = defaultdict(list)
    regions = {}
    for campaign in upcoming:
        for line in campaign.region_lines.all():
            targeted[line.region_id].append(campaign)
            regions[line.region_id] = line.region
    if not targeted:
        return []
    weighted: dict[int, list[tuple[Fraction, int]]] = defaultdict(list)
    for lane in CourierLane.objects.filter(region_id__in=targeted, courier__is_active=True).values(
        "region_id", "ndr_rate", "daily_capacity"
    ):
        weighted[lane["region_id"]].append((Fraction(lane["ndr_rate"]), lane["daily_capacity"]))
    threshold = Fraction(str(settings.MOPSYNC_NDR_THRESHOLD))
    found = []
    for region_id, pairs in weighted.items():
        weight = sum(w for _, w in pairs)
        ndr = sum((v * w for v, w in pairs), Fraction(0)) / weight if weight > 0 else max(v for v, _ in pairs)
        if ndr > threshold:
            region = regions[region_id]
            campaigns = targeted[region_id]
            found.append(
                RegionHighlight(
                    region.code,
                    region.name,
                    round(float(ndr) * 100),
                    tuple(c.name for c in campaigns),
                    any(c.cod_share > 0 for c in campaigns),
                )
            )
    found.sort(key=lambda r: (-r.ndr_percent, r.code))
    return found


def _return_skus(upcoming: list[Campaign]) -> tuple[list[SkuHighlight], int]:
    """Active SKUs whose return rate is above the threshold, those featured by upcoming
    campaigns first; at most HIGHLIGHT_LIMIT, and how many more there are."""
    featured: dict[int, list[str]] = defaultdict(list)
    for campaign in upcoming:
        for line in campaign.sku_lines.all():
            featured[line.sku_id].append(campaign.name)
    threshold = settings.MOPSYNC_RETURN_RATE_THRESHOLD
    skus = list(
        Sku.objects.filter(is_active=True, return_rate__gt=threshold).values("id", "code", "name", "return_rate")
    )
    skus.sort(key=lambda s: (s["id"] not in featured, -s["return_rate"], s["code"]))
    rows = [
        SkuHighlight(s["code"], s["name"], round(float(s["return_rate"]) * 100), tuple(featured.get(s["id"], ())))
        for s in skus[:HIGHLIGHT_LIMIT]
    ]
    return rows, max(len(skus) - HIGHLIGHT_LIMIT, 0)


def _forecasts(*, today: dt.date) -> list[ForecastRow]:
    """Forecast vs actual orders for running campaigns, through yesterday (actual orders
    imported so far; "no actuals yet" before the first import), and for those that ended
    in the last week (from their post-campaign review)."""
    rows = []
    yesterday = today - dt.timedelta(days=1)
    running = list(Campaign.objects.filter(status__in=Status.running()).order_by("starts_on", "id"))
    actual = dict(
        ActualOrders.objects.filter(campaign_id__in=[c.pk for c in running] or [0], date__lte=yesterday)
        .values("campaign_id")
        .annotate(total=Sum("orders"))
        .order_by()
        .values_list("campaign_id", "total")
    )
    for campaign in running:
        per_day = campaign.approved_orders_per_day or campaign.orders_per_day
        # Through yesterday: at 06:00 today's orders are not in yet.
        days = max((min(yesterday, campaign.ends_on) - campaign.starts_on).days + 1, 0)
        rows.append(ForecastRow(campaign, per_day, days, per_day * days, actual.get(campaign.pk)))
    reviews = PostCampaignReview.objects.filter(
        campaign__status=Status.COMPLETED,
        campaign__ends_on__gte=today - dt.timedelta(days=RECENTLY_ENDED_DAYS),
        campaign__ends_on__lt=today,
    ).select_related("campaign")
    for review in reviews.order_by("campaign__ends_on", "campaign_id"):
        campaign = review.campaign
        per_day = campaign.approved_orders_per_day or campaign.orders_per_day
        rows.append(ForecastRow(campaign, per_day, campaign.days, review.forecast_orders, review.actual_orders))
    return rows


def shared_metrics(*, today: dt.date, campaigns: list[Campaign]) -> SharedMetrics:
    """The metrics both teams read, over the last METRICS_DAYS days to `today`: NDR by
    region from courier performance, returns and fulfilment cost by channel, approval
    cycle time, and money (ROAS gross vs net of returns, cost per delivered order) for
    `campaigns` (the live and recently ended ones). A fixed number of queries."""
    window = metrics.Filters(start=today - dt.timedelta(days=METRICS_DAYS - 1), end=today)
    ndr = [r for r in metrics.ndr_by_region(window) if r["source"] == "performance"]
    ndr.sort(key=lambda r: (-r["ndr_rate"], r["region"]))
    wanted = {c.pk for c in campaigns}
    money = {r["campaign"]: r for r in metrics.roas(window) if r["campaign"] in wanted}
    delivered = {r["campaign"]: r for r in metrics.cost_per_delivered_order(window) if r["campaign"] in wanted}
    rows = [
        {**money[c.pk], **{k: delivered[c.pk][k] for k in ("orders", "delivered_orders", "cost_per_delivered_order")}}
        for c in campaigns
        if c.pk in money and c.pk in delivered and (money[c.pk]["spend"] or delivered[c.pk]["orders"])
    ]
    return SharedMetrics(
        start=window.start,
        end=today,
        ndr_regions=ndr[:HIGHLIGHT_LIMIT],
        returns_by_channel=[r for r in metrics.returns_by_channel(window) if r["orders"]],
        campaigns=rows,
        approval_cycle=[r for r in metrics.approval_cycle_time(window) if r["sign_offs"]],
        fulfilment_by_channel=[r for r in metrics.fulfilment_cost_by_channel(window) if r["orders"]],
    )


# --------------------------------------------------------------------------- render and send


@dataclass(frozen=True)
class RenderedReport:
    subject: str
    text: str
    html: str


def render_daily_report(report: DailyReport) -> RenderedReport:
    context = {"report": report, "base_url": settings.MOPSYNC_BASE_URL, "currency": settings.CURRENCY}
    text = render_to_string("email/daily_report.txt", context)
    # Template tags leave blank lines and trailing spaces; the text part should read cleanly.
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return RenderedReport(
        subject=f"mopsync daily report, {report.today:%a %d %b %Y}",
        text=text,
        html=render_to_string("email/daily_report.html", context),
    )


def daily_report_recipients():
    """Active users with a role who have not opted out of the daily report."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=ALL_ROLES)
        .exclude(pk__in=Preference.objects.filter(daily_report=False).values("user_id"))
        .distinct()
        .order_by("pk")
    )


@dataclass(frozen=True)
class SendResult:
    day: dt.date
    recipients: int
    already_sent: bool
    rendered: RenderedReport


def send_daily_report(*, today: dt.date, dry_run: bool = False) -> SendResult:
    """Queue the day's report to every recipient through the outbox, once per day: a
    second run the same day (a retry, a second beat, a person) sends nothing."""
    rendered = render_daily_report(build_daily_report(today=today))
    if dry_run:
        return SendResult(today, daily_report_recipients().count(), False, rendered)
    with transaction.atomic():
        if not triggers.first_today(kind="daily_report", key="", day=today):
            return SendResult(today, 0, True, rendered)
        rows = queue_notification(
            kind="daily_report",
            subject=rendered.subject,
            body=rendered.text,
            html_body=rendered.html,
            users=list(daily_report_recipients()),
        )
    return SendResult(today, len(rows), False, rendered)
