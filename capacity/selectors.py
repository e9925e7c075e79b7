"""Reads of capacity data shared by the check, the views, the API and the tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from django.conf import settings
from django.db import connections
from django.db.models import CharField, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Cast

from capacity import checks
from capacity.models import (
    CapacityConstraint,
    CourierLane,
    InboundShipment,
    Region,
    Reservation,
    Sku,
    StockLevel,
    Warehouse,
)
from mopsync import versions


def frac(value) -> Fraction:
    """Exact fraction of a Decimal/int model value (None → 0)."""
    return Fraction(0) if value is None else Fraction(value)


def load_snapshot(
    plan: checks.Plan, *, today: date, exclude_campaign_id: int | None = None, cached: bool = False
) -> checks.Snapshot:
    """Everything the check needs for `plan`, in eight queries whatever its size (three
    when `cached`, see `load_snapshots`).

    Reservations of `exclude_campaign_id` are left out, so a campaign is checked
    against what other campaigns hold (its own holds are what it would replace).
    """
    return load_snapshots({exclude_campaign_id: plan}, today=today, cached=cached)[exclude_campaign_id]


def load_snapshots(
    plans: dict[int | None, checks.Plan], *, today: date, batch: bool = False, cached: bool = False
) -> dict[int | None, checks.Snapshot]:
    """Snapshots for many plans keyed by campaign id (None: a plan not saved yet), in
    a fixed number of queries however many plans: the data of all of them is read
    once, and each campaign's own holds are subtracted on lookup. `batch`: the same
    queries for one plan as for many (a page's count does not depend on its rows).

    `cached`: the reference rows come from what the process keeps (`reference`), so
    that only stock, inbound and holds are read after a write of campaigns or stock.
    For pages only: a decision reads everything fresh, under its locks."""
    if not plans:
        return {}
    sku_ids = sorted({line.sku_id for plan in plans.values() for line in plan.skus})
    region_ids = sorted({line.region_id for plan in plans.values() for line in plan.regions})
    window_start = min(today, *(plan.starts_on for plan in plans.values()))
    window_end = max(plan.ends_on for plan in plans.values())
    ref = reference(sku_ids=sku_ids, region_ids=region_ids, start=window_start, end=window_end, cached=cached)
    skus, warehouses, regions, lanes, constraints = ref.skus, ref.warehouses, ref.regions, ref.lanes, ref.constraints
    on_hand = {
        (sku_id, warehouse_id): quantity
        for sku_id, warehouse_id, quantity in StockLevel.objects.filter(sku_id__in=sku_ids).values_list(
            "sku_id", "warehouse_id", "on_hand"
        )
    }
    inbound = list(
        # No end date: stock is checked up to the last day other campaigns hold it, which
        # may be after this plan ends, and later arrivals count towards those holds.
        InboundShipment.objects.filter(sku_id__in=sku_ids).values_list(
            "sku_id", "warehouse_id", "expected_on", "quantity"
        )
    )
    holds = {
        "sku_ids": sku_ids,
        "lane_ids": [lane.id for lane in lanes],
        "today": today,
        "start": window_start,
        "end": window_end,
    }
    campaign_ids = [key for key in plans if key is not None]
    single = len(plans) == 1 and not batch
    # One plan: leave its own holds out in SQL and skip the per-campaign query.
    totals = _split_holds(_summed_holds(**holds, exclude=campaign_ids if single else ()))
    own: dict[int, tuple[dict, dict, dict]] = {key: ({}, {}, {}) for key in campaign_ids}
    if campaign_ids and not single:
        by_campaign: dict[int, list] = {}
        for campaign_id, *row in _summed_holds(**holds, of_campaigns=campaign_ids):
            by_campaign.setdefault(campaign_id, []).append(row)
        own.update({key: _split_holds(found) for key, found in by_campaign.items()})

    ndr = Fraction(str(settings.MOPSYNC_NDR_THRESHOLD))
    returns = Fraction(str(settings.MOPSYNC_RETURN_RATE_THRESHOLD))
    snapshots = {}
    for key in plans:
        own_stock, own_dispatch, own_lane = own.get(key, ({}, {}, {}))
        snapshots[key] = checks.Snapshot(
            today=today,
            skus=skus,
            warehouses=warehouses,
            regions=regions,
            lanes=lanes,
            on_hand=on_hand,
            inbound=inbound,
            constraints=constraints,
            reserved_stock=totals[0],
            reserved_dispatch=totals[1],
            reserved_lane=totals[2],
            own_stock=own_stock,
            own_dispatch=own_dispatch,
            own_lane=own_lane,
            ndr_threshold=ndr,
            return_rate_threshold=returns,
        )
    return snapshots


@dataclass(frozen=True)
class Reference:
    """The reference rows the check reads, in its terms: SKUs, warehouses, regions, the
    lanes of active couriers and the capacity constraints. Shared, never modified."""

    skus: dict[int, checks.SkuInfo]
    warehouses: dict[int, checks.WarehouseInfo]
    regions: dict[int, checks.RegionInfo]
    lanes: list[checks.LaneInfo]
    constraints: list[checks.ConstraintInfo]

    def subset(self, *, sku_ids, region_ids, start: date, end: date) -> Reference:
        """What a load for these SKUs, regions (None: all) and dates reads (all warehouses:
        dispatch is pooled)."""
        skus, regions, lanes = self.skus, self.regions, self.lanes
        if sku_ids is not None:
            skus = {key: skus[key] for key in sku_ids if key in skus}
        if region_ids is not None:
            wanted = set(region_ids)
            regions = {key: info for key, info in regions.items() if key in wanted}
            lanes = [lane for lane in lanes if lane.region_id in wanted]
        return Reference(
            skus=skus,
            warehouses=self.warehouses,
            regions=regions,
            lanes=lanes,
            constraints=[c for c in self.constraints if c.starts_on <= end and c.ends_on >= start],
        )


def reference(*, sku_ids=None, region_ids=None, start: date, end: date, cached: bool = False) -> Reference:
    """The reference rows for these SKUs and regions (None: all) and the constraints
    overlapping [start, end]: five queries, or none when `cached` and no reference row
    changed since this process last read them all.

    They change rarely (a catalogue, lane or constraint edit) and bump their own
    version (`mopsync.versions.REF`), so a page keeps all of them across writes of
    campaigns and stock, and takes what it needs. A decision reads them fresh."""
    if cached:
        every = versions.memo("capacity_reference", None, _every_reference, scope=versions.REF)
        return every.subset(sku_ids=sku_ids, region_ids=region_ids, start=start, end=end)
    skus, regions, lanes = Sku.objects.all(), Region.objects.all(), CourierLane.objects.all()
    if sku_ids is not None:
        skus = skus.filter(id__in=sku_ids)
    if region_ids is not None:
        regions, lanes = regions.filter(id__in=region_ids), lanes.filter(region_id__in=region_ids)
    return _read_reference(
        skus, regions, lanes, CapacityConstraint.objects.filter(starts_on__lte=end, ends_on__gte=start)
    )


def _every_reference() -> Reference:
    return _read_reference(
        Sku.objects.all(), Region.objects.all(), CourierLane.objects.all(), CapacityConstraint.objects.all()
    )


def _read_reference(skus, regions, lanes, constraints) -> Reference:
    return Reference(
        skus={
            s.id: checks.SkuInfo(s.id, s.code, s.name, s.safety_stock, s.baseline_units_per_day, frac(s.return_rate))
            for s in skus
        },
        warehouses={w.id: w for w in warehouse_infos()},
        regions={r.id: checks.RegionInfo(r.id, r.code, r.name, r.warehouse_id) for r in regions},
        lanes=_lane_infos(lanes),
        constraints=_constraint_infos(constraints),
    )


def _plain_rows(queryset) -> list[tuple]:
    """The rows of a values_list queryset, fetched at once as the driver returns them:
    the holds are thousands of rows, and Django's chunked iteration with per-row
    converters costs as much as the query. Dates may come back as ISO strings (SQLite)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _summed_holds(
    *, sku_ids, lane_ids, today: date, start: date, end: date, exclude=(), of_campaigns=None
) -> list[tuple]:
    """What campaigns hold, summed per resource and day, as rows (kind, sku_id,
    warehouse_id, lane_id, day, total): stock of these SKUs from today on (it is used up,
    so later holds count), dispatch in [start, end] and these lanes in [start, end].
    `exclude`: campaigns left out. `of_campaigns`: only these campaigns' holds, each apart,
    the rows prefixed by the campaign id.

    One aggregate per kind, joined by UNION ALL: each kind grouped by its own keys costs
    PostgreSQL a fifth less than one aggregate of all three over every key (issue 7)."""
    none = Cast(Value(None), IntegerField())
    kinds = (
        (Reservation.Kind.STOCK, Q(sku_id__in=sku_ids, day__gte=today), F("sku_id"), F("warehouse_id"), none),
        (Reservation.Kind.DISPATCH, Q(day__gte=start, day__lte=end), none, F("warehouse_id"), none),
        (Reservation.Kind.LANE, Q(lane_id__in=lane_ids, day__gte=start, day__lte=end), none, none, F("lane_id")),
    )
    keys = () if of_campaigns is None else ("campaign_id",)
    parts = []
    for kind, rows, sku, warehouse, lane in kinds:
        held = Reservation.objects.filter(rows, kind=kind)
        if exclude:
            held = held.exclude(campaign_id__in=exclude)
        if of_campaigns is not None:
            held = held.filter(campaign_id__in=of_campaigns)
        held = held.annotate(held_kind=Value(kind.value, output_field=CharField()), held_sku=sku)
        held = held.annotate(held_warehouse=warehouse, held_lane=lane)
        columns = (*keys, "held_kind", "held_sku", "held_warehouse", "held_lane", "day")
        parts.append(held.values_list(*columns).annotate(total=Sum("quantity")).order_by())
    return _plain_rows(parts[0].union(*parts[1:], all=True))


def _split_holds(rows) -> tuple[dict, dict, dict]:
    """(kind, sku_id, warehouse_id, lane_id, day, total) rows by kind and resource."""
    stock, dispatch, lane = {}, {}, {}
    if rows and isinstance(rows[0][4], str):
        rows = [(*row[:4], date.fromisoformat(row[4]), row[5]) for row in rows]
    for kind, sku_id, warehouse_id, lane_id, day, total in rows:
        if kind == Reservation.Kind.STOCK:
            stock[(sku_id, warehouse_id, day)] = total
        elif kind == Reservation.Kind.DISPATCH:
            dispatch[(warehouse_id, day)] = total
        else:
            lane[(lane_id, day)] = total
    return stock, dispatch, lane


def lane_infos(*, region_code: str | None = None) -> list[checks.LaneInfo]:
    """Active couriers' lanes in the check's terms (one query)."""
    lanes = CourierLane.objects.all()
    if region_code:
        lanes = lanes.filter(region__code=region_code)
    return _lane_infos(lanes)


def _lane_infos(lanes) -> list[checks.LaneInfo]:
    return [
        checks.LaneInfo(
            lane.id,
            lane.courier_id,
            lane.courier.code,
            lane.region_id,
            lane.daily_capacity,
            lane.baseline_orders_per_day,
            frac(lane.avg_delivery_days),
            frac(lane.ndr_rate),
            lane.cod_supported,
        )  # fmt: skip
        for lane in lanes.filter(courier__is_active=True).select_related("courier")
    ]


def warehouse_infos() -> list[checks.WarehouseInfo]:
    return [
        checks.WarehouseInfo(w.id, w.code, w.name, w.daily_dispatch_capacity, w.baseline_orders_per_day)
        for w in Warehouse.objects.order_by("id")
    ]


def constraint_infos(*, start: date, end: date) -> list[checks.ConstraintInfo]:
    """Constraints overlapping [start, end] in the check's terms (one query)."""
    return _constraint_infos(CapacityConstraint.objects.filter(starts_on__lte=end, ends_on__gte=start))


def _constraint_infos(constraints) -> list[checks.ConstraintInfo]:
    # As rows, not model instances: a big brand has thousands in a plan's window.
    columns = ("kind", "starts_on", "ends_on", "capacity_factor", "warehouse_id", "courier_id", "region_id", "note")
    return [
        checks.ConstraintInfo(kind, starts, ends, frac(factor), warehouse, courier, region, note)
        for kind, starts, ends, factor, warehouse, courier, region, note in constraints.order_by(
            "starts_on", "id"
        ).values_list(*columns)
    ]
