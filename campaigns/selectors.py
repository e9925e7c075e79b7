"""Reads shared by the web views, the API and the tasks."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from campaigns.models import Campaign, CampaignRegion, CampaignSku, PromoWindow, Status
from capacity import checks
from capacity.models import CapacityConstraint, InboundShipment, Reservation, SignOff
from capacity.selectors import frac, load_snapshot, load_snapshots
from mopsync import versions
from mopsync.roles import MARKETING, OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS, user_roles


def campaign_list() -> QuerySet[Campaign]:
    """Campaigns with everything a list row shows, at a fixed number of queries."""
    return Campaign.objects.select_related("owner").prefetch_related(
        Prefetch("sku_lines", queryset=CampaignSku.objects.select_related("sku")),
        Prefetch("region_lines", queryset=CampaignRegion.objects.select_related("region__warehouse")),
        Prefetch("signoffs", queryset=SignOff.objects.select_related("actor")),
    )


def plan_for(campaign: Campaign) -> checks.Plan:
    """The campaign's current plan in the check's terms (uses prefetched lines)."""
    return checks.Plan(
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        orders_per_day=campaign.orders_per_day,
        units_per_order=frac(campaign.units_per_order),
        cod_share=frac(campaign.cod_share),
        delivery_promise_days=campaign.delivery_promise_days,
        budget=frac(campaign.budget),
        expected_order_value=frac(campaign.expected_order_value),
        skus=tuple(checks.SkuLine(line.sku_id, frac(line.share)) for line in campaign.sku_lines.all()),
        regions=tuple(checks.RegionLine(line.region_id, frac(line.share)) for line in campaign.region_lines.all()),
    )


def campaign_capacity_check(
    campaign: Campaign, *, today: date | None = None, dimensions=checks.SIGN_OFF_DIMENSIONS
) -> checks.CheckResult:
    """Run the check for a campaign against everything other campaigns hold."""
    plan = plan_for(campaign)
    snap = load_snapshot(plan, today=today or timezone.localdate(), exclude_campaign_id=campaign.pk)
    return checks.run_check(plan, snap, dimensions=dimensions)


def capacity_checks(campaigns, *, today: date | None = None, cached: bool = False) -> dict[int, checks.CheckResult]:
    """The check for many campaigns (a queue page, a dashboard) in a fixed number of queries.

    The campaigns must come from `campaign_list()` so that their lines are prefetched.
    `cached`: for pages, kept in the process until any data changes (`mopsync.versions`);
    never for a decision (services read fresh, under their locks).
    """
    today = today or timezone.localdate()
    campaigns = list(campaigns)

    def run() -> dict[int, checks.CheckResult]:
        plans = {campaign.pk: plan_for(campaign) for campaign in campaigns}
        snapshots = load_snapshots(plans, today=today, batch=True)
        return {key: checks.run_check(plan, snapshots[key]) for key, plan in plans.items()}

    if not cached:
        return run()
    return versions.memo("capacity_checks", (today, tuple(sorted(c.pk for c in campaigns))), run)


@dataclass(frozen=True)
class QueueEntry:
    campaign: Campaign
    dimensions: tuple[str, ...]
    scale_up: bool
    waiting_since: object


def pending_dimensions(campaign: Campaign) -> list[str]:
    """Dimensions that still need a decision for the campaign's current plan version."""
    if campaign.status == Status.SUBMITTED:
        approvals = campaign.current_approvals()
        decided = {s.dimension for s in campaign.signoffs.all() if s.plan_version == campaign.plan_version}
        return [d for d in checks.SIGN_OFF_DIMENSIONS if d not in approvals and d not in decided]
    if campaign.scale_up_pending and campaign.status in (Status.LIVE, Status.PAUSED):
        decided = {s.dimension for s in campaign.signoffs.all() if s.plan_version == campaign.plan_version}
        return [d for d in checks.SIGN_OFF_DIMENSIONS if d not in decided]
    return []


SIGNOFF_ROLES = {checks.INVENTORY: {OPS_INVENTORY, OPS_LEAD}, checks.COURIER: {OPS_LOGISTICS, OPS_LEAD}}


def approval_queue(user) -> list[QueueEntry]:
    """What `user` can sign off, most urgent first: late notice, then the earliest
    sign-off deadline, then the longest wait. Segregation of duties applies: marketing
    and owners see nothing to sign."""
    roles = user_roles(user)
    if MARKETING in roles or not roles & {OPS_INVENTORY, OPS_LOGISTICS, OPS_LEAD}:
        return []
    candidates = campaign_list().filter(
        Q(status=Status.SUBMITTED) | Q(status__in=[Status.LIVE, Status.PAUSED], scale_up_pending=True)
    )
    entries = []
    for campaign in candidates.exclude(owner=user):
        mine = tuple(d for d in pending_dimensions(campaign) if roles & SIGNOFF_ROLES[d])
        if mine:
            waiting = campaign.submitted_at if campaign.status == Status.SUBMITTED else campaign.updated_at
            entries.append(QueueEntry(campaign, mine, campaign.status != Status.SUBMITTED, waiting))
    far = timezone.now() + timedelta(days=36500)
    entries.sort(
        key=lambda e: (
            not e.campaign.late_notice,
            e.campaign.signoff_due_at or far,
            e.campaign.starts_on,
            e.waiting_since or far,
            e.campaign.pk,
        )
    )
    return entries


@dataclass(frozen=True)
class CalendarEntry:
    kind: str
    id: int
    title: str
    starts_on: date
    ends_on: date
    status: str = ""
    url: str = ""
    channel: str = ""
    # What makes a campaign urgent on the calendar (`campaigns.calendar.importance`).
    late_notice: bool = False
    scale_up_pending: bool = False


CALENDAR_KINDS = ("campaign", "promo_window", "constraint", "stock_arrival")


def calendar_entries(
    *,
    start: date,
    end: date,
    kinds=CALENDAR_KINDS,
    region: str | None = None,
    sku: str | None = None,
    channel: str | None = None,
    status: str | None = None,
) -> list[CalendarEntry]:
    """Every kind of calendar item overlapping [start, end], in four queries, ordered by
    first day, kind, id.

    A month of a large brand holds thousands of items, so each query reads only the
    columns an entry shows (`values_list`, no model instances); ops constraints, a
    handful, are read whole for their title.
    """
    entries: list[CalendarEntry] = []
    if "campaign" in kinds:
        campaigns = Campaign.objects.filter(starts_on__lte=end, ends_on__gte=start)
        if region:
            campaigns = campaigns.filter(region_lines__region__code=region)
        if sku:
            campaigns = campaigns.filter(sku_lines__sku__code=sku)
        if channel:
            campaigns = campaigns.filter(channel=channel)
        if status:
            campaigns = campaigns.filter(status=status)
        rows = (
            campaigns.distinct()
            .order_by()
            .values_list("id", "name", "starts_on", "ends_on", "status", "channel", "late_notice", "scale_up_pending")
        )
        entries += [
            CalendarEntry("campaign", pk, name, first, last, state, f"/campaigns/{pk}/", on, late, scale_up)
            for pk, name, first, last, state, on, late, scale_up in rows
        ]
    if "promo_window" in kinds and not (region or sku or status):
        windows = PromoWindow.objects.filter(starts_on__lte=end, ends_on__gte=start)
        if channel:
            windows = windows.filter(Q(channel=channel) | Q(channel=""))
        rows = windows.order_by().values_list("id", "name", "starts_on", "ends_on", "channel")
        entries += [
            CalendarEntry("promo_window", pk, name, first, last, channel=on) for pk, name, first, last, on in rows
        ]
    if "constraint" in kinds and not (sku or channel or status):
        constraints = CapacityConstraint.objects.filter(starts_on__lte=end, ends_on__gte=start).select_related(
            "warehouse", "courier", "region"
        )
        if region:
            constraints = constraints.filter(
                Q(region__code=region) | Q(warehouse__regions__code=region) | Q(courier__lanes__region__code=region)
            ).distinct()
        rows = constraints.order_by()
        entries += [CalendarEntry("constraint", c.pk, str(c), c.starts_on, c.ends_on, c.kind) for c in rows]
    if "stock_arrival" in kinds and not (channel or status or region):
        arrivals = InboundShipment.objects.filter(expected_on__gte=start, expected_on__lte=end)
        if sku:
            arrivals = arrivals.filter(sku__code=sku)
        rows = arrivals.order_by().values_list("id", "quantity", "sku__code", "warehouse__code", "expected_on")
        entries += [
            CalendarEntry("stock_arrival", pk, f"{quantity} × {code} arrive at {warehouse}", on, on)
            for pk, quantity, code, warehouse, on in rows
        ]
    order = {kind: index for index, kind in enumerate(CALENDAR_KINDS)}
    entries.sort(key=lambda e: (e.starts_on, order[e.kind], e.id))
    return entries


def plan_from_input(cleaned: dict, *, base: Campaign | None = None) -> checks.Plan:
    """A plan in the check's terms from `validation.clean_plan` output (a plan being
    typed in a form, not saved yet); `base` supplies the fields not given."""

    def pick(name, default):
        if name in cleaned and cleaned[name] is not None:
            return cleaned[name]
        return getattr(base, name) if base is not None else default

    skus = cleaned.get("skus") or ([(line.sku, line.share) for line in base.sku_lines.all()] if base else [])
    regions = cleaned.get("regions") or (
        [(line.region, line.share) for line in base.region_lines.all()] if base else []
    )
    return checks.Plan(
        starts_on=pick("starts_on", None),
        ends_on=pick("ends_on", None),
        orders_per_day=pick("orders_per_day", 0),
        units_per_order=frac(pick("units_per_order", 1)),
        cod_share=frac(pick("cod_share", 0)),
        delivery_promise_days=pick("delivery_promise_days", 4),
        budget=frac(pick("budget", 0)),
        expected_order_value=frac(pick("expected_order_value", 0)),
        skus=tuple(checks.SkuLine(sku.pk, frac(share)) for sku, share in skus),
        regions=tuple(checks.RegionLine(region.pk, frac(share)) for region, share in regions),
    )


def reservation_summary(campaign: Campaign) -> list[dict]:
    """What a campaign holds, per dimension, kind and resource: one aggregate query."""
    rows = (
        Reservation.objects.filter(campaign=campaign)
        .values("dimension", "kind", "sku__code", "warehouse__code", "lane__courier__code", "lane__region__code")
        .annotate(
            total=Sum("quantity"),
            days=Count("day", distinct=True),
            first=Min("day"),
            last=Max("day"),
            peak=Max("quantity"),
        )
        .order_by("dimension", "kind", "sku__code", "warehouse__code", "lane__region__code", "lane__courier__code")
    )
    summary = []
    for row in rows:
        if row["kind"] == "stock":
            resource = f"{row['sku__code']} at {row['warehouse__code'] or 'network'}"
            unit = "units"
        elif row["kind"] == "lane":
            resource = f"{row['lane__courier__code']} → {row['lane__region__code']}"
            unit = "orders"
        else:
            resource = f"dispatch at {row['warehouse__code'] or 'network'}"
            unit = "orders"
        summary.append({**row, "resource": resource, "unit": unit})
    return summary
