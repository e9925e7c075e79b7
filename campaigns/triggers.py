"""Alerts (DESIGN.md, "Background work"): inventory triggers and SLA reminders, scheduled;
campaigns outgrowing their sign-off, when the actual orders are imported.

Each job has a read (`inventory_risks`, `sla_overdue`: what is wrong now, also shown
in the daily report) and a run (`inventory_triggers`, `sla_reminders`: alert, at most
once per subject per day, recorded in `AlertLog`). State changes go through the
services: the inventory trigger pauses a live campaign with
`services.campaign_pause(actor=None, reason=...)`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from campaigns import selectors, services
from campaigns.models import ActualOrders, AlertLog, Campaign, Status
from campaigns.notifications import queue_notification
from campaigns.workflow import BOTH_TEAMS, DIMENSION_TEAM, needed_dimensions, signers
from capacity import checks
from capacity.models import Sku, StockLevel
from capacity.selectors import load_snapshots
from mopsync.display import when
from mopsync.errors import TransitionNotAllowed
from mopsync.roles import OPS_LEAD

log = logging.getLogger(__name__)

# Campaigns whose featured SKUs are watched: scheduled (approved) or running.
WATCHED = Status.going_ahead()
# Who is reminded about a pending dimension; ops leads get the escalation instead.
REMINDED = DIMENSION_TEAM


def first_today(*, kind: str, key: str, day: dt.date, campaign: Campaign | None = None) -> bool:
    """Record that `kind`/`key` was sent on `day`; False if it already was (also when
    another run recorded it concurrently: the unique constraint decides)."""
    try:
        with transaction.atomic():
            AlertLog.objects.create(kind=kind, key=key, day=day, campaign=campaign)
    except IntegrityError:
        return False
    return True


# --------------------------------------------------------------------------- inventory


@dataclass(frozen=True)
class InventoryRisk:
    campaign: Campaign
    sku: Sku
    on_hand: int
    below_safety_stock: bool
    stock_out_day: dt.date | None
    message: str


def inventory_risks(*, today: dt.date) -> list[InventoryRisk]:
    """Featured SKUs of approved and live campaigns that are below their safety stock
    across the network, or that the inventory check projects to run out before the
    campaign ends (at the volume the campaign runs at), in a fixed number of queries."""
    campaigns = list(
        selectors.campaign_list()
        .prefetch_related("signoffs__lines")
        .filter(status__in=WATCHED, ends_on__gte=today)
        .order_by("starts_on", "id")
    )
    if not campaigns:
        return []
    # The plan they run: only the SKU lines inventory approved (a refused line's stock-out
    # is why it was refused, not a risk to the campaign), capped ones at their cap.
    plans = {}
    for c in campaigns:
        plan = selectors.approved_plan_for(c, c.current_approvals().get(checks.INVENTORY))
        plans[c.pk] = plan.at_volume(c.approved_orders_per_day or plan.orders_per_day)
    snapshots = load_snapshots(plans, today=today)
    sku_ids = {line.sku_id for c in campaigns for line in c.sku_lines.all()}
    on_hand = dict(
        StockLevel.objects.filter(sku_id__in=sku_ids)
        .values("sku_id")
        .annotate(total=Sum("on_hand"))
        .values_list("sku_id", "total")
        .order_by()
    )
    risks = []
    for campaign in campaigns:
        result = checks.run_check(plans[campaign.pk], snapshots[campaign.pk], dimensions=[checks.INVENTORY])
        first_out: dict[str, checks.Finding] = {}
        for finding in result.findings:
            if finding.code == "stock_out" and finding.day is not None:
                known = first_out.get(finding.subject)
                if known is None or finding.day < known.day:
                    first_out[finding.subject] = finding
        running = {line.sku_id for line in plans[campaign.pk].skus}
        for line in campaign.sku_lines.all():
            if line.sku_id not in running:
                continue
            sku = line.sku
            total = on_hand.get(sku.id, 0)
            below = total < sku.safety_stock
            stock_out = first_out.get(sku.code)
            if not below and stock_out is None:
                continue
            problems = []
            if below:
                problems.append(
                    f"{sku.name} ({sku.code}) is below its safety stock: {total} on hand, {sku.safety_stock} kept back."
                )
            if stock_out is not None:
                problems.append(stock_out.message)
            risks.append(
                InventoryRisk(
                    campaign=campaign,
                    sku=sku,
                    on_hand=total,
                    below_safety_stock=below,
                    stock_out_day=stock_out.day if stock_out else None,
                    message=" ".join(problems),
                )
            )
    return risks


def inventory_triggers(*, today: dt.date) -> dict[str, int]:
    """Alert both teams, once per campaign, SKU and day, when a featured SKU of an
    approved or live campaign is at risk; pause a live campaign that asked for it
    (`auto_pause_on_stockout`) through the pause service, as the inventory trigger."""
    alerted = paused = 0
    for risk in inventory_risks(today=today):
        campaign, sku = risk.campaign, risk.sku
        with transaction.atomic():
            if not first_today(kind="inventory", key=f"{campaign.pk}:{sku.code}", day=today, campaign=campaign):
                continue
            queue_notification(
                kind="inventory_alert",
                campaign=campaign,
                subject=f"Stock risk for {campaign.name}: {sku.code}",
                body=risk.message,
                roles=BOTH_TEAMS,
            )
            alerted += 1
            if campaign.status == Status.LIVE and campaign.auto_pause_on_stockout:
                try:
                    services.campaign_pause(campaign=campaign, actor=None, reason=f"Auto-paused: {risk.message}")
                except TransitionNotAllowed:
                    continue  # paused meanwhile (another SKU, or a person): nothing more to do
                paused += 1
    if alerted:
        log.info("inventory triggers: %d alerts, %d campaigns paused", alerted, paused)
    return {"alerted": alerted, "paused": paused}


# --------------------------------------------------------------------------- SLA


@dataclass(frozen=True)
class SlaItem:
    campaign: Campaign
    dimensions: tuple[str, ...]
    reasons: tuple[str, ...]


def sla_overdue(*, now: dt.datetime) -> list[SlaItem]:
    """Submissions (and scale-ups) still waiting for a sign-off that have waited longer
    than MOPSYNC_SLA_HOURS, or that launch within MOPSYNC_SLA_LAUNCH_HOURS."""
    waited = dt.timedelta(hours=settings.MOPSYNC_SLA_HOURS)
    soon = dt.timedelta(hours=settings.MOPSYNC_SLA_LAUNCH_HOURS)
    items = []
    for campaign in selectors.pending_signoffs().order_by("starts_on", "id"):
        reasons = []
        since = campaign.waiting_since
        if since is not None and now - since > waited:
            hours = int((now - since).total_seconds() // 3600)
            reasons.append(f"waiting for sign-off for {hours} hours (the SLA is {settings.MOPSYNC_SLA_HOURS})")
        start = timezone.make_aware(dt.datetime.combine(campaign.starts_on, dt.time.min))
        if campaign.status == Status.SUBMITTED and start - now <= soon:
            reasons.append(f"launches {campaign.starts_on:%a %d %b} without both sign-offs")
        if reasons:
            items.append(SlaItem(campaign, selectors.waiting_on(campaign), tuple(reasons)))
    return items


def sla_reminders(*, now: dt.datetime) -> dict[str, int]:
    """Remind the approvers of each overdue submission's pending dimensions and
    escalate it to ops leads, once per campaign per day."""
    today = timezone.localtime(now).date()
    reminded = 0
    for item in sla_overdue(now=now):
        campaign = item.campaign
        with transaction.atomic():
            if not first_today(kind="sla", key=str(campaign.pk), day=today, campaign=campaign):
                continue
            why = "; ".join(item.reasons)
            needs = " and ".join(item.dimensions)
            body = f"{campaign.name} needs the {needs} sign-off: {why}."
            if campaign.signoff_due_at:
                body += f" Sign-off was due by {when(campaign.signoff_due_at, 'D j M')}."
            queue_notification(
                kind="sla_reminder",
                campaign=campaign,
                subject=f"Reminder: sign off {campaign.name} ({needs})",
                body=body,
                roles=sorted(REMINDED[d] for d in item.dimensions),
                exclude_roles=[OPS_LEAD],  # an approver who is also a lead gets the escalation only
                slack=False,  # the escalation below is the channel's post
                routed=True,  # an approver away: their delegate is reminded instead
                day=today,
            )
            queue_notification(
                kind="sla_escalation",
                campaign=campaign,
                subject=f"Escalation: {campaign.name} is waiting for the {needs} sign-off",
                body=body,
                roles=[OPS_LEAD],
                routed=True,
                day=today,
            )
            reminded += 1
    return {"reminded": reminded}


# --------------------------------------------------------------------------- outgrowing


def alert_outgrowing(campaigns: Iterable[Campaign], dates: Iterable[dt.date]) -> int:
    """Alert ops and the owner, once per campaign and day, when a live campaign's actual
    orders on a day run above its approved orders/day by `MOPSYNC_OUTGROWING_MARGIN`:
    it is outgrowing its sign-off, time for a scale-up request. Called by the actual
    orders import (`campaigns.import_kinds`) in its transaction, for the campaigns and
    days it wrote."""
    live = {c.pk: c for c in campaigns if c.status == Status.LIVE}
    dates = set(dates)
    if not live or not dates:
        return 0
    margin = Decimal(str(settings.MOPSYNC_OUTGROWING_MARGIN))
    totals = (
        ActualOrders.objects.filter(campaign_id__in=live, date__in=dates)
        .values("campaign_id", "date")
        .annotate(orders=Sum("orders"))
        .order_by("campaign_id", "date")
    )
    sent = 0
    for row in totals:
        campaign = live[row["campaign_id"]]
        approved = campaign.approved_orders_per_day or campaign.orders_per_day
        if row["orders"] <= approved * (1 + margin):
            continue
        key = str(campaign.pk)
        if AlertLog.objects.filter(kind="outgrowing", key=key, day=row["date"]).exists():
            continue
        AlertLog.objects.create(kind="outgrowing", key=key, day=row["date"], campaign=campaign)
        over = round((Decimal(row["orders"]) / approved - 1) * 100) if approved else 100
        queue_notification(
            kind="outgrowing",
            campaign=campaign,
            subject=f"{campaign.name} took {row['orders']} orders on {row['date']:%d %b}, {over}% above its sign-off",
            body=(
                f"Ops approved {approved} orders/day; {campaign.name} took {row['orders']} on "
                f"{row['date']:%d %b %Y}. Request a scale-up so ops can confirm the capacity, or hold the spend."
            ),
            roles=signers(needed_dimensions()),  # every ops team: the volume above the sign-off is theirs to confirm
            users=[campaign.owner],
        )
        sent += 1
    return sent
