"""The shared metrics: what the imported data says, in both teams' words (issue 6).

Each metric is a function of `Filters` returning a list of plain rows (JSON-ready),
at a fixed number of queries whatever the number of rows (noted on each). The API
serves them at `/api/v1/metrics/<name>/`; the dashboard and the daily report show
a few. Filters a metric does not use are ignored (`METRICS[name].filters` lists them).

Definitions (one place for each):
- NDR rate of a region: NDR count ÷ shipments of its lanes' performance periods that
  overlap the date range; regions without performance data fall back to their lanes'
  NDR rates weighted by capacity, as the capacity check does (`source` says which).
- Expected failed COD deliveries: orders of the campaigns targeting the region in the
  date range × the plan's COD share × the region's NDR rate.
- Return rate: units returned ÷ ordered, from the returns import.
- Days of cover: (on hand − safety stock) ÷ projected units/day (business as usual
  plus the approved and live campaigns running that day).
- Net-of-returns ROAS: gross ROAS × (1 − the campaign's return rate, its SKUs' return
  rates weighted by their shares), as the capacity check computes it.
- Delivered orders of a campaign: its actual orders less failed deliveries (orders ×
  COD share × the region's NDR rate) less returns (the rest × the SKU's return rate).
- CPA to delivery: a campaign's spend ÷ its delivered orders; by channel, the spend and
  delivered orders of the channel's campaigns (spend is per campaign: a campaign has one
  marketing channel).
- Customers of a campaign: the distinct `customer_ref` of its actual-order rows that
  carry one (rows without are not counted). Revenue per customer: their revenue ÷
  customers; repeat rate: customers with ≥ 2 orders ÷ customers.
- CSAT: the average score (1–5) of the answers and their count, by campaign (answers
  naming one) or by region (all answers).
- Support load: a campaign's tickets (rows of the `support_tickets` import naming it)
  per 100 of its actual orders, in the same days.
- Planned tickets of a campaign (`planned_tickets`): the capacity check's tickets a day
  at the campaign's volume × its days.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from campaigns.models import (
    ActualOrders,
    AuditEvent,
    Campaign,
    CampaignRegion,
    CampaignSku,
    CampaignSpend,
    Channel,
    Status,
)
from campaigns.selectors import plan_for
from capacity import checks
from capacity.models import (
    CourierLane,
    CsatResponse,
    LanePerformance,
    Region,
    ReturnRecord,
    SignOff,
    Sku,
    StockLevel,
    SupportTicketCount,
)
from capacity.selectors import active_dimensions, load_snapshot
from mopsync.errors import InvalidInput
from mopsync.validation import FieldErrors, clean_date, clean_int, clean_text

MAX_RANGE_DAYS = 3660


@dataclass(frozen=True)
class Filters:
    start: dt.date | None = None
    end: dt.date | None = None
    region: str | None = None
    sku: str | None = None
    channel: str | None = None
    campaign: int | None = None
    by: str | None = None  # the grouping, for the metrics that offer several (`Metric.groups`)

    def as_dict(self) -> dict:
        found = {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "region": self.region,
            "sku": self.sku,
            "channel": self.channel,
            "campaign": self.campaign,
        }
        if self.by:
            found["by"] = self.by
        return found


def clean_filters(params, groups: tuple[str, ...] = ()) -> Filters:
    """Filters from query-string values (`start`, `end`, `region`, `sku`, `channel`,
    `campaign`, and `by` among `groups` for a metric that offers groupings: the first is
    the default), or InvalidInput with a message per bad one."""
    errors = FieldErrors()
    values: dict = {}
    by = params.get("by")
    if groups:
        if by in (None, ""):
            values["by"] = groups[0]
        elif by in groups:
            values["by"] = by
        else:
            errors.add("by", f"Must be one of: {', '.join(groups)}.")
    elif by not in (None, ""):
        errors.add("by", "This metric has one grouping: leave out by.")
    for name in ("start", "end"):
        raw = params.get(name)
        values[name] = clean_date(raw, field=name, errors=errors) if raw not in (None, "") else None
    for name in ("region", "sku"):
        raw = params.get(name)
        values[name] = clean_text(raw, field=name, errors=errors, max_length=40, required=False) or None
    channel = params.get("channel")
    if channel not in (None, "") and channel not in Channel.values:
        errors.add("channel", f"Must be one of: {', '.join(Channel.values)}.")
    values["channel"] = channel if channel in Channel.values else None
    campaign = params.get("campaign")
    values["campaign"] = (
        clean_int(campaign, field="campaign", errors=errors, minimum=1, maximum=2_147_483_647)
        if campaign not in (None, "")
        else None
    )
    if values["start"] and values["end"]:
        if values["end"] < values["start"]:
            errors.add("end", "Must be on or after start.")
        elif (values["end"] - values["start"]).days > MAX_RANGE_DAYS:
            errors.add("end", f"A range of at most {MAX_RANGE_DAYS} days.")
    if errors:
        raise InvalidInput(dict(errors))
    return Filters(**values)


def _ids(campaigns) -> list[int]:
    """Campaign ids for an IN filter. Never empty: Django skips the query for an empty IN,
    and the pages pin their query counts whatever the data."""
    return [c.pk for c in campaigns] or [0]


def _in_range(queryset, f: Filters, field: str = "date"):
    """Rows whose `field` falls within the filters' start and end (either may be open)."""
    if f.start:
        queryset = queryset.filter(**{f"{field}__gte": f.start})
    if f.end:
        queryset = queryset.filter(**{f"{field}__lte": f.end})
    return queryset


def _rate(numerator, denominator, places: int = 4) -> float | None:
    if not denominator:
        return None
    return round(float(Fraction(numerator) / Fraction(denominator)), places)


def _round(value, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


def _volume(campaign: Campaign) -> int:
    """Orders/day a campaign runs at: what ops approved, or its plan before approval."""
    return campaign.approved_orders_per_day or campaign.orders_per_day


def _overlap_days(campaign: Campaign, f: Filters) -> int:
    start = max(campaign.starts_on, f.start) if f.start else campaign.starts_on
    end = min(campaign.ends_on, f.end) if f.end else campaign.ends_on
    return max((end - start).days + 1, 0)


def _overlapping(queryset, f: Filters, prefix: str = ""):
    """Campaign rows whose dates overlap the filter's range."""
    if f.start:
        queryset = queryset.filter(**{f"{prefix}ends_on__gte": f.start})
    if f.end:
        queryset = queryset.filter(**{f"{prefix}starts_on__lte": f.end})
    return queryset


# --------------------------------------------------------------------------- couriers


def _region_performance(f: Filters) -> tuple[dict[int, dict], dict[int, dict]]:
    """Per region: performance totals in the range, and the lanes' capacity-weighted rates (2 queries)."""
    perf = LanePerformance.objects.all()
    lanes = CourierLane.objects.filter(courier__is_active=True)
    if f.start:
        perf = perf.filter(period_end__gte=f.start)
    if f.end:
        perf = perf.filter(period_start__lte=f.end)
    if f.region:
        perf = perf.filter(lane__region__code=f.region)
        lanes = lanes.filter(region__code=f.region)
    found: dict[int, dict] = defaultdict(lambda: {"shipments": 0, "delivered": 0, "ndr_count": 0, "days_weight": 0})
    for row in perf.values("lane__region_id", "shipments", "delivered", "ndr_count", "avg_delivery_days"):
        totals = found[row["lane__region_id"]]
        totals["shipments"] += row["shipments"]
        totals["delivered"] += row["delivered"]
        totals["ndr_count"] += row["ndr_count"]
        totals["days_weight"] += Fraction(row["avg_delivery_days"]) * (row["delivered"] or 1)
        totals.setdefault("days_count", 0)
        totals["days_count"] += row["delivered"] or 1
    by_lanes: dict[int, dict] = defaultdict(lambda: {"ndr": Fraction(0), "days": Fraction(0), "weight": 0, "n": 0})
    for row in lanes.values("region_id", "ndr_rate", "avg_delivery_days", "daily_capacity"):
        acc = by_lanes[row["region_id"]]
        weight = row["daily_capacity"]
        acc["ndr"] += Fraction(row["ndr_rate"]) * (weight or 1)
        acc["days"] += Fraction(row["avg_delivery_days"]) * (weight or 1)
        acc["weight"] += weight or 1
    return dict(found), dict(by_lanes)


Rates = tuple[Fraction | None, Fraction | None, str | None]


def _region_rates(perf: dict[int, dict], lanes: dict[int, dict], region_id: int) -> Rates:
    """(NDR rate, average delivery days, source) of a region."""
    totals = perf.get(region_id)
    if totals and totals["shipments"]:
        ndr = Fraction(totals["ndr_count"], totals["shipments"])
        days = totals["days_weight"] / totals["days_count"]
        return ndr, days, "performance"
    acc = lanes.get(region_id)
    if acc and acc["weight"]:
        return acc["ndr"] / acc["weight"], acc["days"] / acc["weight"], "lanes"
    return None, None, None


def _regions(f: Filters) -> list[Region]:
    regions = Region.objects.order_by("code")
    return list(regions.filter(code=f.region) if f.region else regions)


def _targeting(f: Filters):
    """Region lines of planned campaigns overlapping the range (one query)."""
    lines = CampaignRegion.objects.filter(campaign__status__in=Status.planned()).select_related("campaign")
    lines = _overlapping(lines, f, "campaign__")
    if f.region:
        lines = lines.filter(region__code=f.region)
    if f.channel:
        lines = lines.filter(campaign__channel=f.channel)
    return lines.order_by("campaign__starts_on", "campaign_id")


def ndr_by_region(f: Filters) -> list[dict]:
    """NDR rate and expected failed COD deliveries by region. 4 queries."""
    perf, lanes = _region_performance(f)
    expected: dict[int, Fraction] = defaultdict(Fraction)
    cod: dict[int, Fraction] = defaultdict(Fraction)
    regions = _regions(f)
    rates = {r.pk: _region_rates(perf, lanes, r.pk) for r in regions}
    for line in _targeting(f):
        c = line.campaign
        orders = _volume(c) * _overlap_days(c, f) * Fraction(line.share) * Fraction(c.cod_share)
        cod[line.region_id] += orders
        ndr = rates.get(line.region_id, (None,))[0]
        if ndr is not None:
            expected[line.region_id] += orders * ndr
    rows = []
    for region in regions:
        ndr, _, source = rates[region.pk]
        totals = perf.get(region.pk, {})
        rows.append({
            "region": region.code,
            "name": region.name,
            "shipments": totals.get("shipments", 0),
            "delivered": totals.get("delivered", 0),
            "ndr_count": totals.get("ndr_count", 0),
            "ndr_rate": _round(ndr, 4),
            "source": source,
            "planned_cod_orders": round(cod[region.pk]),
            "expected_failed_cod_deliveries": round(expected[region.pk]),
        })  # fmt: skip
    return rows


def delivery_days_by_region(f: Filters) -> list[dict]:
    """Average delivery days by region vs the promises of the campaigns targeting it. 4 queries."""
    perf, lanes = _region_performance(f)
    promises: dict[int, list[dict]] = defaultdict(list)
    regions = _regions(f)
    rates = {r.pk: _region_rates(perf, lanes, r.pk) for r in regions}
    for line in _targeting(f):
        c = line.campaign
        days = rates.get(line.region_id, (None, None))[1]
        promises[line.region_id].append({
            "campaign": c.pk,
            "name": c.name,
            "status": c.status,
            "delivery_promise_days": c.delivery_promise_days,
            "breaks_promise": days is not None and days > c.delivery_promise_days,
        })  # fmt: skip
    rows = []
    for region in regions:
        _, days, source = rates[region.pk]
        rows.append({
            "region": region.code,
            "name": region.name,
            "avg_delivery_days": _round(days, 2),
            "source": source,
            "campaigns": promises[region.pk],
            "promises_broken": sum(1 for p in promises[region.pk] if p["breaks_promise"]),
        })  # fmt: skip
    return rows


# --------------------------------------------------------------------------- returns


def _returns(f: Filters):
    records = ReturnRecord.objects.all()
    records = _in_range(records, f)
    if f.region:
        records = records.filter(region__code=f.region)
    if f.sku:
        records = records.filter(sku__code=f.sku)
    if f.channel:
        records = records.filter(channel=f.channel)
    return records


def returns_by_sku(f: Filters) -> list[dict]:
    """Return rate by SKU, with each SKU's rate by channel (SKU × channel). 1 query."""
    rows = (
        _returns(f)
        .values("sku__code", "sku__name", "channel")
        .annotate(orders=Sum("orders"), returned=Sum("returned"))
        .order_by("sku__code", "channel")
    )
    skus: dict[str, dict] = {}
    for row in rows:
        sku = skus.setdefault(
            row["sku__code"],
            {"sku": row["sku__code"], "name": row["sku__name"], "orders": 0, "returned": 0, "by_channel": []},
        )
        sku["orders"] += row["orders"]
        sku["returned"] += row["returned"]
        sku["by_channel"].append({
            "channel": row["channel"],
            "orders": row["orders"],
            "returned": row["returned"],
            "return_rate": _rate(row["returned"], row["orders"]),
        })  # fmt: skip
    for sku in skus.values():
        sku["return_rate"] = _rate(sku["returned"], sku["orders"])
    return list(skus.values())


def returns_by_channel(f: Filters) -> list[dict]:
    """Return rate by marketing channel. 1 query."""
    rows = _returns(f).values("channel").annotate(orders=Sum("orders"), returned=Sum("returned")).order_by("channel")
    return [
        {
            "channel": row["channel"],
            "orders": row["orders"],
            "returned": row["returned"],
            "return_rate": _rate(row["returned"], row["orders"]),
        }
        for row in rows
    ]


# --------------------------------------------------------------------------- inventory


def days_of_cover(f: Filters) -> list[dict]:
    """Days of cover by SKU at the projected demand of the day (`start`, or today). 3 queries."""
    day = f.start or timezone.localdate()
    skus = Sku.objects.filter(is_active=True).order_by("code")
    if f.sku:
        skus = skus.filter(code=f.sku)
    skus = list(skus)
    ids = [s.pk for s in skus]
    on_hand = dict(
        StockLevel.objects.filter(sku_id__in=ids)
        .values("sku_id")
        .annotate(total=Sum("on_hand"))
        .order_by()
        .values_list("sku_id", "total")
    )
    demand: dict[int, Fraction] = defaultdict(Fraction)
    campaigns: dict[int, int] = defaultdict(int)
    lines = CampaignSku.objects.filter(
        sku_id__in=ids,
        campaign__status__in=Status.going_ahead(),
        campaign__starts_on__lte=day,
        campaign__ends_on__gte=day,
    ).select_related("campaign")
    for line in lines:
        c = line.campaign
        demand[line.sku_id] += _volume(c) * Fraction(c.units_per_order) * Fraction(line.share)
        campaigns[line.sku_id] += 1
    rows = []
    for sku in skus:
        units = demand[sku.pk] + sku.baseline_units_per_day
        available = max(on_hand.get(sku.pk, 0) - sku.safety_stock, 0)
        rows.append({
            "sku": sku.code,
            "name": sku.name,
            "as_of": day.isoformat(),
            "on_hand": on_hand.get(sku.pk, 0),
            "safety_stock": sku.safety_stock,
            "units_per_day": _round(units, 2),
            "campaigns": campaigns[sku.pk],
            "days_of_cover": _round(Fraction(available) / units, 1) if units else None,
        })  # fmt: skip
    return rows


# --------------------------------------------------------------------------- campaigns


def _campaigns(f: Filters, statuses=None):
    campaigns = Campaign.objects.order_by("starts_on", "id")
    if statuses:
        campaigns = campaigns.filter(status__in=statuses)
    if f.channel:
        campaigns = campaigns.filter(channel=f.channel)
    if f.campaign:
        campaigns = campaigns.filter(pk=f.campaign)
    if f.sku:
        campaigns = campaigns.filter(sku_lines__sku__code=f.sku)
    if f.region:
        campaigns = campaigns.filter(region_lines__region__code=f.region)
    return _overlapping(campaigns.distinct(), f)


def forecast_vs_actual(f: Filters) -> list[dict]:
    """Forecast vs actual orders per live (or paused) campaign, daily and to date. 2 queries."""
    today = timezone.localdate()
    campaigns = list(_campaigns(f, Status.running()))
    actual: dict[tuple[int, dt.date], int] = {}
    rows = ActualOrders.objects.filter(campaign_id__in=_ids(campaigns))
    rows = _in_range(rows, f)
    for row in rows.values("campaign_id", "date").annotate(orders=Sum("orders")).order_by():
        actual[(row["campaign_id"], row["date"])] = row["orders"]
    result = []
    for c in campaigns:
        start = max(c.starts_on, f.start) if f.start else c.starts_on
        end = min(c.ends_on, today, f.end) if f.end else min(c.ends_on, today)
        daily = []
        day = start
        while day <= end:
            daily.append({"date": day.isoformat(), "forecast": _volume(c), "actual": actual.get((c.pk, day), 0)})
            day += dt.timedelta(days=1)
        forecast_total = sum(d["forecast"] for d in daily)
        actual_total = sum(d["actual"] for d in daily)
        result.append({
            "campaign": c.pk,
            "name": c.name,
            "status": c.status,
            "forecast_orders_per_day": _volume(c),
            "to_date": {
                "forecast": forecast_total,
                "actual": actual_total,
                "actual_vs_forecast": _rate(actual_total, forecast_total, 3),
            },
            "daily": daily,
        })  # fmt: skip
    return result


def _return_rates(campaigns: list[Campaign]) -> dict[int, Fraction]:
    """Each campaign's return rate: its SKUs' return rates weighted by share (uses prefetched lines)."""
    return {
        c.pk: sum((Fraction(line.share) * Fraction(line.sku.return_rate) for line in c.sku_lines.all()), Fraction(0))
        for c in campaigns
    }


def _money_by_campaign(model, field: str, campaigns: list[Campaign], f: Filters) -> dict[int, Decimal]:
    rows = model.objects.filter(campaign_id__in=_ids(campaigns))
    rows = _in_range(rows, f)
    return dict(rows.values("campaign_id").annotate(total=Sum(field)).order_by().values_list("campaign_id", "total"))


REPORTED = (*Status.planned(), Status.COMPLETED)  # planned to run: not drafts, not rejected or cancelled


def _reported(f: Filters, statuses=REPORTED, limit: int | None = None) -> list[Campaign]:
    """Campaigns of `statuses` (by default all that were planned to run) in the range, by
    start; the first `limit` of them if given; with SKU lines (2 queries)."""
    campaigns = _campaigns(f, statuses)
    if limit is not None:
        campaigns = campaigns[:limit]
    return list(campaigns.prefetch_related("sku_lines__sku"))


def roas(f: Filters, *, statuses=REPORTED, limit: int | None = None) -> list[dict]:
    """Gross vs net-of-returns ROAS per campaign, planned and actual. 5 queries.
    `statuses` and `limit`: only the first `limit` campaigns of those statuses (a panel's few,
    computed alone rather than picked out of every campaign's)."""
    campaigns = _reported(f, statuses, limit)
    spend = _money_by_campaign(CampaignSpend, "spend", campaigns, f)
    revenue = _money_by_campaign(ActualOrders, "revenue", campaigns, f)
    returns = _return_rates(campaigns)
    rows = []
    for c in campaigns:
        planned_revenue = Fraction(c.orders_per_day * c.days) * Fraction(c.expected_order_value)
        budget = Fraction(c.budget)
        keep = 1 - returns[c.pk]
        spent = Fraction(spend.get(c.pk) or 0)
        earned = Fraction(revenue.get(c.pk) or 0)
        rows.append({
            "campaign": c.pk,
            "name": c.name,
            "status": c.status,
            "return_rate": _round(returns[c.pk], 4),
            "budget": _round(budget),
            "planned_revenue": _round(planned_revenue),
            "planned_gross_roas": _round(planned_revenue / budget) if budget else None,
            "planned_net_roas": _round(planned_revenue * keep / budget) if budget else None,
            "spend": _round(spent),
            "revenue": _round(earned),
            "gross_roas": _round(earned / spent) if spent else None,
            "net_roas": _round(earned * keep / spent) if spent else None,
        })  # fmt: skip
    return rows


def _delivery_totals(f: Filters) -> tuple[list[Campaign], dict[int, Decimal], dict[int, dict[str, Fraction]]]:
    """Campaigns planned to run in the range, their spend, and their orders, failed
    deliveries and returns (estimated, see "Delivered orders" above). 5 queries."""
    campaigns = list(_campaigns(f, REPORTED))
    spend = _money_by_campaign(CampaignSpend, "spend", campaigns, f)
    perf, lanes = _region_performance(Filters(start=f.start, end=f.end))
    rows = ActualOrders.objects.filter(campaign_id__in=_ids(campaigns)).select_related("sku")
    rows = _in_range(rows, f)
    totals: dict[int, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    by_id = {c.pk: c for c in campaigns}
    for row in rows.only("campaign_id", "region_id", "orders", "sku__return_rate"):
        c = by_id[row.campaign_id]
        ndr = _region_rates(perf, lanes, row.region_id)[0] or Fraction(0)
        failed = row.orders * Fraction(c.cod_share) * ndr
        returned = (row.orders - failed) * Fraction(row.sku.return_rate)
        acc = totals[c.pk]
        acc["orders"] += row.orders
        acc["failed"] += failed
        acc["returned"] += returned
    return campaigns, spend, totals


def cost_per_delivered_order(f: Filters) -> list[dict]:
    """Spend ÷ orders that were neither failed deliveries nor returned, per campaign. 5 queries."""
    campaigns, spend, totals = _delivery_totals(f)
    result = []
    for c in campaigns:
        acc = totals[c.pk]
        spent = Fraction(spend.get(c.pk) or 0)
        delivered = acc["orders"] - acc["failed"] - acc["returned"]
        result.append({
            "campaign": c.pk,
            "name": c.name,
            "status": c.status,
            "spend": _round(spent),
            "orders": int(acc["orders"]),
            "failed_deliveries": round(acc["failed"]),
            "returned": round(acc["returned"]),
            "delivered_orders": round(delivered),
            "cost_per_order": _round(spent / acc["orders"]) if acc["orders"] else None,
            "cost_per_delivered_order": _round(spent / delivered) if delivered > 0 else None,
        })  # fmt: skip
    return result


def fulfilment_cost_by_channel(f: Filters) -> list[dict]:
    """Fulfilment cost per order by channel, from actual orders. 1 query."""
    rows = ActualOrders.objects.all()
    rows = _in_range(rows, f)
    if f.region:
        rows = rows.filter(region__code=f.region)
    if f.sku:
        rows = rows.filter(sku__code=f.sku)
    if f.channel:
        rows = rows.filter(channel=f.channel)
    found = rows.values("channel").annotate(orders=Sum("orders"), cost=Sum("fulfilment_cost")).order_by("channel")
    return [
        {
            "channel": row["channel"],
            "orders": row["orders"],
            "fulfilment_cost": _round(row["cost"]),
            "cost_per_order": _round(Fraction(row["cost"]) / row["orders"]) if row["orders"] else None,
        }
        for row in found
    ]


def approval_cycle_time(f: Filters) -> list[dict]:
    """Hours from submission to each sign-off, by dimension (the ops SLA). 2 queries.

    A sign-off is timed from the latest submission (or scale-up request) of its
    campaign before it: a resubmission after changes restarts the clock."""
    signoffs = SignOff.objects.all()
    signoffs = _in_range(signoffs, f, "created_at__date")
    if f.channel:
        signoffs = signoffs.filter(campaign__channel=f.channel)
    if f.campaign:
        signoffs = signoffs.filter(campaign_id=f.campaign)
    signoffs = list(signoffs.values("campaign_id", "dimension", "decision", "created_at"))
    submitted: dict[int, list[dt.datetime]] = defaultdict(list)
    # The clock starts at a submission or a scale-up request (what ops are asked to sign off).
    events = AuditEvent.objects.filter(
        campaign_id__in={s["campaign_id"] for s in signoffs}, action__in=("submit", "scale_up")
    )
    for event in events.values("campaign_id", "created_at").order_by("created_at"):
        submitted[event["campaign_id"]].append(event["created_at"])
    hours: dict[str, list[float]] = defaultdict(list)
    for s in signoffs:
        before = [t for t in submitted[s["campaign_id"]] if t <= s["created_at"]]
        if before:
            hours[s["dimension"]].append((s["created_at"] - before[-1]).total_seconds() / 3600)
    return [
        {
            "dimension": dimension,
            "sign_offs": len(hours[dimension]),
            "avg_hours": _round(statistics.fmean(hours[dimension]), 1) if hours[dimension] else None,
            "median_hours": _round(statistics.median(hours[dimension]), 1) if hours[dimension] else None,
            "max_hours": _round(max(hours[dimension]), 1) if hours[dimension] else None,
        }
        for dimension in active_dimensions()
    ]


# --------------------------------------------------------------------------- shared metrics of issue 19


def cpa_to_delivery(f: Filters) -> list[dict]:
    """Acquisition cost (spend) per delivered, not returned order: by campaign (default)
    or by the campaigns' marketing channel (`by=channel`). 5 queries."""
    campaigns, spend, totals = _delivery_totals(f)
    groups: dict[str, dict] = {}
    for c in campaigns:
        acc = totals[c.pk]
        key = c.channel if f.by == "channel" else c.pk
        group = groups.setdefault(
            key, {"campaigns": [], "spend": Fraction(0), "orders": Fraction(0), "delivered": Fraction(0)}
        )  # noqa: E501
        group["campaigns"].append(c)
        group["spend"] += Fraction(spend.get(c.pk) or 0)
        group["orders"] += acc["orders"]
        group["delivered"] += acc["orders"] - acc["failed"] - acc["returned"]
    result = []
    for key in sorted(groups) if f.by == "channel" else groups:
        group = groups[key]
        if f.by == "channel":
            row = {"channel": key, "campaigns": len(group["campaigns"])}
        else:
            c = group["campaigns"][0]
            row = {"campaign": c.pk, "name": c.name, "status": c.status, "channel": c.channel}
        delivered = group["delivered"]
        result.append({
            **row,
            "spend": _round(group["spend"]),
            "orders": int(group["orders"]),
            "delivered_orders": round(delivered),
            "cpa_to_delivery": _round(group["spend"] / delivered) if delivered > 0 else None,
        })  # fmt: skip
    return result


def _customers(f: Filters) -> list[dict]:
    """Per campaign: customers (distinct `customer_ref`), their orders and revenue, and how
    many ordered twice or more; campaigns with customer rows only. Aggregated in SQL
    (nothing per customer is read): 2 queries."""
    rows = ActualOrders.objects.filter(campaign__isnull=False).exclude(customer_ref="")
    rows = _in_range(rows, f)
    if f.region:
        rows = rows.filter(region__code=f.region)
    if f.sku:
        rows = rows.filter(sku__code=f.sku)
    if f.channel:
        rows = rows.filter(channel=f.channel)
    if f.campaign:
        rows = rows.filter(campaign_id=f.campaign)
    totals = (
        rows.values("campaign_id", "campaign__name")
        .annotate(customers=Count("customer_ref", distinct=True), orders=Sum("orders"), revenue=Sum("revenue"))
        .order_by("campaign_id")
    )
    # Customers with ≥ 2 orders, counted per campaign over the grouped rows (a subquery).
    repeaters = rows.values("campaign_id", "customer_ref").annotate(n=Sum("orders")).filter(n__gte=2).order_by()
    inner, params = repeaters.values("campaign_id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT campaign_id, COUNT(*) FROM ({inner}) repeaters GROUP BY campaign_id", params)  # noqa: S608 - Django's SQL
        repeat = dict(cursor.fetchall())
    return [
        {
            "campaign": row["campaign_id"],
            "name": row["campaign__name"],
            "customers": row["customers"],
            "orders": row["orders"],
            "revenue": row["revenue"],
            "repeat_customers": repeat.get(row["campaign_id"], 0),
        }
        for row in totals
    ]


def revenue_per_customer(f: Filters) -> list[dict]:
    """Revenue per customer by campaign, from actual orders with a customer_ref. 2 queries."""
    return [
        {
            "campaign": acc["campaign"],
            "name": acc["name"],
            "customers": acc["customers"],
            "orders": acc["orders"],
            "revenue": _round(acc["revenue"]),
            "revenue_per_customer": _round(Fraction(acc["revenue"]) / acc["customers"]) if acc["customers"] else None,
        }
        for acc in _customers(f)
    ]


def repeat_rate(f: Filters) -> list[dict]:
    """Share of customers with two or more orders, by campaign. 2 queries."""
    return [
        {
            "campaign": acc["campaign"],
            "name": acc["name"],
            "customers": acc["customers"],
            "repeat_customers": acc["repeat_customers"],
            "repeat_rate": _rate(acc["repeat_customers"], acc["customers"]),
        }
        for acc in _customers(f)
    ]


def _csat_rows(f: Filters):
    rows = _in_range(CsatResponse.objects.all(), f, "day")
    if f.region:
        rows = rows.filter(region__code=f.region)
    if f.campaign:
        rows = rows.filter(campaign_id=f.campaign)
    return rows


def _average(points, responses) -> float | None:
    return _round(Fraction(points) / responses, 2) if responses else None


def csat(f: Filters) -> list[dict]:
    """Average CSAT score and answers, by campaign (default; answers naming a campaign) or
    by region (`by=region`; all answers). 1 query."""
    points = Sum(F("score") * F("responses"))
    if f.by == "region":
        found = (
            _csat_rows(f)
            .values("region__code", "region__name")
            .annotate(answers=Sum("responses"), points=points)
            .order_by("region__code")
        )
        return [
            {
                "region": row["region__code"],
                "name": row["region__name"],
                "responses": row["answers"],
                "average_score": _average(row["points"], row["answers"]),
            }
            for row in found
        ]
    found = (
        _csat_rows(f)
        .filter(campaign__isnull=False)
        .values("campaign_id", "campaign__name")
        .annotate(answers=Sum("responses"), points=points)
        .order_by("campaign_id")
    )
    return [
        {
            "campaign": row["campaign_id"],
            "name": row["campaign__name"],
            "responses": row["answers"],
            "average_score": _average(row["points"], row["answers"]),
        }
        for row in found
    ]


def _tickets_by_campaign(campaigns: list[Campaign], f: Filters) -> dict[int, int]:
    rows = _in_range(SupportTicketCount.objects.filter(campaign_id__in=_ids(campaigns)), f, "day")
    return dict(
        rows.values("campaign_id").annotate(total=Sum("tickets")).order_by().values_list("campaign_id", "total")
    )


def support_load(f: Filters) -> list[dict]:
    """Tickets naming a campaign per 100 of its actual orders, per campaign planned to run
    in the range. 3 queries."""
    campaigns = list(_campaigns(f, REPORTED))
    tickets = _tickets_by_campaign(campaigns, f)
    orders = dict(
        _in_range(ActualOrders.objects.filter(campaign_id__in=_ids(campaigns)), f)
        .values("campaign_id")
        .annotate(total=Sum("orders"))
        .order_by()
        .values_list("campaign_id", "total")
    )
    return [
        {
            "campaign": c.pk,
            "name": c.name,
            "status": c.status,
            "tickets": tickets.get(c.pk, 0),
            "orders": orders.get(c.pk, 0),
            "tickets_per_100_orders": _round(Fraction(tickets.get(c.pk, 0) * 100, orders[c.pk]), 2)
            if orders.get(c.pk)
            else None,
        }
        for c in campaigns
    ]


# --------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Metric:
    compute: Callable[[Filters], list[dict]]
    title: str
    filters: tuple[str, ...]
    groups: tuple[str, ...] = ()  # the values of `by` it takes, the default first


DATES = ("start", "end")
METRICS: dict[str, Metric] = {
    "ndr-by-region": Metric(ndr_by_region, "NDR rate and expected failed COD deliveries by region", (*DATES, "region", "channel")),  # noqa: E501
    "delivery-days-by-region": Metric(delivery_days_by_region, "Delivery days by region vs promises", (*DATES, "region", "channel")),  # noqa: E501
    "returns-by-sku": Metric(returns_by_sku, "Return rate by SKU (and SKU × channel)", (*DATES, "region", "sku", "channel")),  # noqa: E501
    "returns-by-channel": Metric(returns_by_channel, "Return rate by channel", (*DATES, "region", "sku", "channel")),
    "days-of-cover": Metric(days_of_cover, "Days of cover by SKU at projected demand", ("start", "sku")),
    "forecast-vs-actual": Metric(forecast_vs_actual, "Forecast vs actual orders per live campaign", (*DATES, "region", "sku", "channel", "campaign")),  # noqa: E501
    "roas": Metric(roas, "Gross vs net-of-returns ROAS per campaign", (*DATES, "region", "sku", "channel", "campaign")),  # noqa: E501
    "cost-per-delivered-order": Metric(cost_per_delivered_order, "Cost per delivered order per campaign", (*DATES, "region", "sku", "channel", "campaign")),  # noqa: E501
    "fulfilment-cost-by-channel": Metric(fulfilment_cost_by_channel, "Fulfilment cost per order by channel", (*DATES, "region", "sku", "channel")),  # noqa: E501
    "approval-cycle-time": Metric(approval_cycle_time, "Hours from submission to sign-off, by dimension", (*DATES, "channel", "campaign")),  # noqa: E501
    "cpa-to-delivery": Metric(cpa_to_delivery, "Acquisition cost per delivered, not returned order", (*DATES, "region", "sku", "channel", "campaign", "by"), ("campaign", "channel")),  # noqa: E501
    "revenue-per-customer": Metric(revenue_per_customer, "Revenue per customer by campaign", (*DATES, "region", "sku", "channel", "campaign")),  # noqa: E501
    "repeat-rate": Metric(repeat_rate, "Share of customers with two or more orders, by campaign", (*DATES, "region", "sku", "channel", "campaign")),  # noqa: E501
    "csat": Metric(csat, "Average CSAT score and answers, by campaign or region", (*DATES, "region", "campaign", "by"), ("campaign", "region")),  # noqa: E501
    "support-load": Metric(support_load, "Support tickets per 100 orders, by campaign", (*DATES, "region", "sku", "channel", "campaign")),  # noqa: E501
}  # fmt: skip


def compute(name: str, f: Filters) -> list[dict]:
    return METRICS[name].compute(f)


def metric_filters(name: str, params) -> Filters:
    """The filters of a query string for metric `name` (its groupings for `by`)."""
    return clean_filters(params, METRICS[name].groups)


# --------------------------------------------------------------------------- projection and review


PROJECTION_HEADER = ("date", "region", "region_name", "sku", "sku_name", "orders", "units")


def projection_days(campaign: Campaign, params) -> tuple[dt.date, dt.date]:
    """The days of a projection download: the campaign's, narrowed by `start`/`end` from
    the query string, or InvalidInput. At most `MOPSYNC_PROJECTION_MAX_ROWS` rows
    (days × regions × SKUs) are served at once, counted before any is written: a longer
    projection is asked for a range at a time (issue 18.8)."""
    errors = FieldErrors()
    first, last = campaign.starts_on, campaign.ends_on
    for name in ("start", "end"):
        raw = params.get(name)
        if raw not in (None, ""):
            day = clean_date(raw, field=name, errors=errors)
            if day is not None and name == "start":
                first = max(first, day)
            elif day is not None:
                last = min(last, day)
    if errors:
        raise InvalidInput(errors)
    rows = max(0, (last - first).days + 1) * len(campaign.region_lines.all()) * len(campaign.sku_lines.all())
    limit = settings.MOPSYNC_PROJECTION_MAX_ROWS
    if rows > limit:
        raise InvalidInput({"end": [
            f"The projection from {first} to {last} has {rows:,} rows (days × regions × SKUs); at most {limit:,} "
            "are served at once: ask for fewer days with start and end."
        ]})  # fmt: skip
    return first, last


def projection_rows(campaign: Campaign, first: dt.date | None = None, last: dt.date | None = None) -> Iterator[tuple]:
    """The campaign's volume by day × region × SKU, for ops: orders = orders/day (the
    approved volume once approved) × region share × SKU share; units = orders × units
    per order. Written a row at a time (the download streams it). Uses prefetched lines
    when present (2 queries otherwise), read before the first row is made."""
    volume = Fraction(_volume(campaign))
    per_order = Fraction(campaign.units_per_order)
    regions = sorted(campaign.region_lines.all(), key=lambda line: line.region.code)
    skus = sorted(campaign.sku_lines.all(), key=lambda line: line.sku.code)
    return _projection(volume, per_order, regions, skus, first or campaign.starts_on, last or campaign.ends_on)


def _projection(volume, per_order, regions, skus, day: dt.date, last: dt.date) -> Iterator[tuple]:
    while day <= last:
        for r in regions:
            for s in skus:
                orders = volume * Fraction(r.share) * Fraction(s.share)
                yield (
                    day.isoformat(), r.region.code, r.region.name, s.sku.code, s.sku.name,
                    f"{float(orders):.2f}", f"{float(orders * per_order):.2f}",
                )  # fmt: skip
        day += dt.timedelta(days=1)


def review_figures(campaign: Campaign) -> dict:
    """Actual orders, returns and failed deliveries of a campaign, for its post-campaign review."""
    found = cost_per_delivered_order(Filters(campaign=campaign.pk))
    if not found or not found[0]["orders"]:
        return {}
    row = found[0]
    return {
        "actual_orders": row["orders"],
        "returned_orders": row["returned"],
        "failed_deliveries": row["failed_deliveries"],
    }


CSAT_BEFORE_DAYS = 30


def planned_tickets(campaign: Campaign) -> int | None:
    """Support tickets the plan brings over its days, as the capacity check counts them
    (`capacity.checks.daily_tickets`: the SKUs' contact rates, or the brand's learned or
    set rate, plus return and failed-delivery follow-ups), at the volume the campaign runs
    at (the approved volume once approved). None when the plan has no volume."""
    volume = _volume(campaign)
    if not volume:
        return None
    plan = plan_for(campaign)
    snap = load_snapshot(plan, today=campaign.starts_on, exclude_campaign_id=campaign.pk)
    return checks.daily_tickets(plan, snap, volume) * campaign.days


def review_support(campaign: Campaign, region_ids: list[int] | None = None) -> dict:
    """The support part of a post-campaign review: tickets naming the campaign during its
    days vs `planned_tickets`, and CSAT in the campaign's regions during its days vs the
    `CSAT_BEFORE_DAYS` days before (all answers of those regions, whatever campaign they
    name, so the two periods compare). Computed when read: tickets and answers imported
    after the campaign ended count. `region_ids`: the campaign's regions if read already.
    3 queries (2 given the regions)."""
    if region_ids is None:
        region_ids = list(campaign.region_lines.values_list("region_id", flat=True))
    tickets = SupportTicketCount.objects.filter(
        campaign=campaign, day__gte=campaign.starts_on, day__lte=campaign.ends_on
    ).aggregate(total=Sum("tickets"))["total"]
    before_start = campaign.starts_on - dt.timedelta(days=CSAT_BEFORE_DAYS)
    during, before = Q(day__gte=campaign.starts_on, day__lte=campaign.ends_on), Q(day__lt=campaign.starts_on)
    points = F("score") * F("responses")
    found = CsatResponse.objects.filter(
        region_id__in=region_ids or [0], day__gte=before_start, day__lte=campaign.ends_on
    ).aggregate(
        during_answers=Sum("responses", filter=during),
        during_points=Sum(points, filter=during),
        before_answers=Sum("responses", filter=before),
        before_points=Sum(points, filter=before),
    )
    planned = planned_tickets(campaign)
    during_score = _average(found["during_points"] or 0, found["during_answers"] or 0)
    before_score = _average(found["before_points"] or 0, found["before_answers"] or 0)
    return {
        "tickets": tickets or 0,
        "tickets_planned": planned,
        "tickets_vs_plan": _rate(tickets or 0, planned, 3),
        "csat_during": during_score,
        "csat_during_responses": found["during_answers"] or 0,
        "csat_before": before_score,
        "csat_before_responses": found["before_answers"] or 0,
        "csat_change": _round(during_score - before_score, 2)
        if during_score is not None and before_score is not None
        else None,
        "csat_before_from": before_start.isoformat(),
    }


DASHBOARD_PANELS = ("ndr", "returns", "forecast", "roas", "cpa", "customers", "csat", "support")


def dashboard_panel(name: str, *, top: int = 5) -> list[dict]:
    """One of the shared metrics the dashboard shows (DASHBOARD_PANELS), its `top` rows:
    worst NDR regions, highest-return SKUs, forecast vs actual of live campaigns, ROAS
    gross vs net, CPA to delivery, revenue per customer and repeat rate, the lowest CSAT
    regions, the highest support loads. A fixed number of queries."""
    f = clean_filters({})
    if name == "ndr":
        return sorted((r for r in ndr_by_region(f) if r["ndr_rate"] is not None), key=lambda r: -r["ndr_rate"])[:top]
    if name == "returns":
        rows = (r for r in returns_by_sku(f) if r["return_rate"] is not None)
        return sorted(rows, key=lambda r: -r["return_rate"])[:top]
    if name == "forecast":
        return [{k: v for k, v in row.items() if k != "daily"} for row in forecast_vs_actual(f)][:top]
    if name == "roas":
        return roas(f, statuses=Status.went_ahead(), limit=top)[:top]
    if name == "cpa":
        return [r for r in cpa_to_delivery(f) if r["cpa_to_delivery"] is not None][:top]
    if name == "customers":
        repeat = {r["campaign"]: r for r in repeat_rate(f)}
        return [{**r, **repeat[r["campaign"]]} for r in revenue_per_customer(f)][:top]
    if name == "csat":
        return sorted(csat(clean_filters({"by": "region"}, ("region",))), key=lambda r: r["average_score"] or 0)[:top]
    if name == "support":
        rows = (r for r in support_load(f) if r["tickets_per_100_orders"] is not None)
        return sorted(rows, key=lambda r: -r["tickets_per_100_orders"])[:top]
    raise ValueError(f"no dashboard panel {name!r}")


def dashboard_panels(*, top: int = 5) -> dict[str, list[dict]]:
    """Every panel of `dashboard_panel`."""
    return {name: dashboard_panel(name, top=top) for name in DASHBOARD_PANELS}
