"""Reads of capacity data shared by the check, the views, the API and the tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from django.conf import settings
from django.db import connections

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
from mopsync import sql, versions


def frac(value) -> Fraction:
    """Exact fraction of a Decimal/int model value (None → 0)."""
    return Fraction(0) if value is None else Fraction(value)


def load_snapshot(
    plan: checks.Plan, *, today: date, exclude_campaign_id: int | None = None, cached: bool = False
) -> checks.Snapshot:
    """Everything the check needs for `plan`, in six queries whatever its size (one when
    `cached`, see `load_snapshots`).

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
    that only stock, inbound and holds are read (one query) after a write of campaigns or
    stock.
    For pages only: a decision reads everything fresh, under its locks."""
    if not plans:
        return {}
    sku_ids = sorted({line.sku_id for plan in plans.values() for line in plan.skus})
    region_ids = sorted({line.region_id for plan in plans.values() for line in plan.regions})
    window_start = min(today, *(plan.starts_on for plan in plans.values()))
    window_end = max(plan.ends_on for plan in plans.values())
    ref = reference(sku_ids=sku_ids, region_ids=region_ids, start=window_start, end=window_end, cached=cached)
    skus, warehouses, regions, lanes, constraints = ref.skus, ref.warehouses, ref.regions, ref.lanes, ref.constraints
    campaign_ids = [key for key in plans if key is not None]
    single = len(plans) == 1 and not batch
    # One plan: its own holds are left out in SQL, not read apart and subtracted.
    rows = _capacity_rows(
        sku_ids=sku_ids,
        lane_ids=[lane.id for lane in lanes],
        today=today,
        start=window_start,
        end=window_end,
        exclude=campaign_ids if single else (),
        of_campaigns=() if single else campaign_ids,
    )
    on_hand, inbound, totals, own = _split_capacity_rows(rows)

    ndr = Fraction(str(settings.MOPSYNC_NDR_THRESHOLD))
    returns = Fraction(str(settings.MOPSYNC_RETURN_RATE_THRESHOLD))
    snapshots = {}
    for key in plans:
        own_stock, own_dispatch, own_lane = own.get(key) or ({}, {}, {})
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


_NO_ID, _NO_DAY = "CAST(NULL AS integer)", "CAST(NULL AS date)"


def _capacity_rows(
    *, sku_ids, lane_ids, today: date, start: date, end: date, exclude=(), of_campaigns=()
) -> list[tuple]:
    """What the check reads besides reference rows, in one query of rows
    (kind, campaign_id, sku_id, warehouse_id, lane_id, day, quantity):

    - `on_hand`: stock of these SKUs per warehouse;
    - `inbound`: their shipments due (no end date: stock is checked up to the last day
      other campaigns hold it, which may be after the plan ends, and later arrivals count
      towards those holds);
    - `stock`, `dispatch`, `lane`: what campaigns hold, summed per resource and day: stock
      of these SKUs from today on (it is used up, so later holds count), dispatch and these
      lanes in [start, end]; campaign_id NULL, `exclude` left out;
    - the same holds again for each of `of_campaigns` apart, with its campaign_id.

    One aggregate per kind, each grouped by its own keys, joined by UNION ALL: one round
    trip instead of four (issue 7), fetched at once as the driver returns it (thousands of
    rows; per-row ORM converters cost as much as the query)."""
    quote = connections["default"].ops.quote_name
    stock_t, inbound_t, held_t = (quote(m._meta.db_table) for m in (StockLevel, InboundShipment, Reservation))
    parts: list[str] = []
    params: list = []

    def read(query: str, *values) -> None:
        parts.append(query)
        params.extend(values)

    skus, sku_values = sql.one_of("sku_id", len(sku_ids)), sql.values_of(sku_ids)
    window = "day >= %s AND day <= %s"
    if sku_ids:
        stock = f"'on_hand', {_NO_ID}, sku_id, warehouse_id, {_NO_ID}, {_NO_DAY}, on_hand"
        read(f"SELECT {stock} FROM {stock_t} WHERE {skus}", *sku_values)  # noqa: S608
        due = f"'inbound', {_NO_ID}, sku_id, warehouse_id, {_NO_ID}, expected_on, quantity"
        read(f"SELECT {due} FROM {inbound_t} WHERE {skus}", *sku_values)  # noqa: S608
    holds = []  # kind, its columns (sku, warehouse, lane), the keys it is summed by, which rows, their parameters
    if sku_ids:
        by_sku = (f"sku_id, warehouse_id, {_NO_ID}", "sku_id, warehouse_id", f"{skus} AND day >= %s")
        holds.append((Reservation.Kind.STOCK, *by_sku, [*sku_values, today]))
    holds.append((Reservation.Kind.DISPATCH, f"{_NO_ID}, warehouse_id, {_NO_ID}", "warehouse_id", window, [start, end]))
    if lane_ids:
        by_lane = (f"{_NO_ID}, {_NO_ID}, lane_id", "lane_id", f"{sql.one_of('lane_id', len(lane_ids))} AND {window}")
        holds.append((Reservation.Kind.LANE, *by_lane, [*sql.values_of(lane_ids), start, end]))
    left_out = f" AND NOT ({sql.one_of('campaign_id', len(exclude))})" if exclude else ""
    for kind, columns, keys, condition, values in holds:
        rows = f"FROM {held_t} WHERE kind = '{kind.value}' AND {condition}"
        # All campaigns' holds together (but `exclude`'s), then each of `of_campaigns`' apart.
        total = f"SELECT '{kind.value}', {_NO_ID}, {columns}, day, SUM(quantity) {rows}{left_out}"  # noqa: S608
        read(f"{total} GROUP BY {keys}, day", *values, *(sql.values_of(exclude) if exclude else ()))
        if of_campaigns:
            own = f"SELECT '{kind.value}', campaign_id, {columns}, day, SUM(quantity) {rows}"  # noqa: S608
            of = f"{sql.one_of('campaign_id', len(of_campaigns))} GROUP BY campaign_id, {keys}, day"
            read(f"{own} AND {of}", *values, *sql.values_of(of_campaigns))
    with connections["default"].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()


def _split_capacity_rows(rows) -> tuple[dict, list, tuple[dict, dict, dict], dict[int, tuple[dict, dict, dict]]]:
    """`_capacity_rows` as the check takes them: on-hand stock by (sku, warehouse), the
    inbound shipments, all holds (stock, dispatch, lanes by resource and day) and each
    campaign's own. Dates may come back as ISO strings (SQLite)."""
    on_hand: dict[tuple[int, int], int] = {}
    inbound: list[tuple[int, int, date, int]] = []
    totals: tuple[dict, dict, dict] = ({}, {}, {})
    own: dict[int, tuple[dict, dict, dict]] = {}
    for kind, campaign_id, sku_id, warehouse_id, lane_id, day, quantity in rows:
        if isinstance(day, str):
            day = date.fromisoformat(day)
        if kind == "on_hand":
            on_hand[(sku_id, warehouse_id)] = quantity
            continue
        if kind == "inbound":
            inbound.append((sku_id, warehouse_id, day, quantity))
            continue
        stock, dispatch, lane = totals if campaign_id is None else own.setdefault(campaign_id, ({}, {}, {}))
        if kind == Reservation.Kind.STOCK:
            stock[(sku_id, warehouse_id, day)] = quantity
        elif kind == Reservation.Kind.DISPATCH:
            dispatch[(warehouse_id, day)] = quantity
        else:
            lane[(lane_id, day)] = quantity
    return on_hand, inbound, totals, own


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
