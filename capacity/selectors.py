"""Reads of capacity data shared by the check, the views, the API and the tasks."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from django.conf import settings
from django.db import connections
from django.db.models import Case, DecimalField, Exists, F, IntegerField, OuterRef, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Coalesce

from capacity import checks
from capacity.checks import COURIER, DISPATCH
from capacity.models import (
    CapacityConstraint,
    CourierLane,
    InboundShipment,
    Region,
    Reservation,
    Sku,
    StockLevel,
    SupportTeam,
    Warehouse,
)
from capacity.support_data import learned_contact_rate
from mopsync import sql, versions

SUPPORT_MODES = ("auto", "on", "off")


def support_on() -> bool:
    """Whether customer support is a sign-off dimension: setting `MOPSYNC_SUPPORT_SIGNOFF`
    "off" never, "on" always, "auto" (or anything else) when the brand has an active support
    team. Kept until reference data changes: no query on a warm page."""
    mode = settings.MOPSYNC_SUPPORT_SIGNOFF
    if mode == "off":
        return False
    if mode == "on":
        return True
    # The signed-in user's row brings it (mopsync.auth.SUPPORT_TEAMS): no query of its own.
    return versions.request_kept("_mopsync_support_teams", _any_support_team)


def _any_support_team() -> bool:
    return versions.memo(
        "support_on", None, lambda: SupportTeam.objects.filter(is_active=True).exists(), scope=versions.REF
    )


def active_dimensions() -> tuple[str, ...]:
    """The sign-off dimensions a campaign needs now, in the registry's order: the ones
    always required, and customer support when it is on. Everything that asks "which
    dimensions does a campaign need" (workflow, services, queue, pages, API) asks this."""
    return checks.ALL_DIMENSIONS if support_on() else checks.SIGN_OFF_DIMENSIONS


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
    support = support_on()
    teams: list[checks.SupportTeamInfo] = []
    contact = Fraction(str(settings.MOPSYNC_SUPPORT_CONTACT_RATE))
    if support:  # one more query, only when support is a sign-off dimension
        teams = support_team_infos(cached=cached)
        learned = (
            # Kept with the reference rows (the imports it learns from bump REF): without it the
            # campaign page and the dashboard run 9 queries after a write ("4. queries" rows).
            versions.memo("learned_contact_rate", today, lambda: learned_contact_rate(today=today), scope=versions.REF)
            if cached
            else learned_contact_rate(today=today)
        )
        contact = contact if learned is None else learned
    snapshots = {}
    for key in plans:
        own_stock, own_dispatch, own_lane, own_support = own.get(key) or ({}, {}, {}, {})
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
            support_on=support,
            support_teams=teams,
            contact_rate=contact,
            reserved_support=totals[3],
            own_support=own_support,
        )
    return snapshots


def support_team_infos(*, cached: bool = False) -> list[checks.SupportTeamInfo]:
    """The active support teams in the check's terms (one query, none when `cached` and kept)."""
    if cached:
        return versions.memo("support_teams", None, _support_team_infos, scope=versions.REF)
    return _support_team_infos()


def _support_team_infos() -> list[checks.SupportTeamInfo]:
    columns = ("id", "name", "agents_per_day", "tickets_per_agent_per_day", "baseline_tickets_per_day")
    return [
        checks.SupportTeamInfo(*row)
        for row in SupportTeam.objects.filter(is_active=True).order_by("id").values_list(*columns)
    ]


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
    campaigns and stock, and takes what it needs. A decision reads them fresh. Without
    it, the pages that check capacity read 13 queries after a write of campaigns or stock
    (make bench rows "4. queries": ≤ 8 after a write)."""
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
            s.id: checks.SkuInfo(
                s.id,
                s.code,
                s.name,
                s.safety_stock,
                s.baseline_units_per_day,
                frac(s.return_rate),
                None if s.contact_rate is None else frac(s.contact_rate),
            )
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
    rows; per-row ORM converters cost as much as the query). Kept for the make bench rows
    "check ÷ SQL baseline" (≤ 3×: 3.3× at 4× before) and "4. queries" after a write (≤ 8)."""
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
    # Support tickets: one pool, summed by day only (`day` is among the keys already).
    holds.append((Reservation.Kind.SUPPORT, f"{_NO_ID}, {_NO_ID}, {_NO_ID}", "", window, [start, end]))
    left_out = f" AND NOT ({sql.one_of('campaign_id', len(exclude))})" if exclude else ""
    for kind, columns, keys, condition, values in holds:
        rows = f"FROM {held_t} WHERE kind = '{kind.value}' AND {condition}"
        # All campaigns' holds together (but `exclude`'s), then each of `of_campaigns`' apart.
        total = f"SELECT '{kind.value}', {_NO_ID}, {columns}, day, SUM(quantity) {rows}{left_out}"  # noqa: S608
        by = f"{keys}, day" if keys else "day"
        read(f"{total} GROUP BY {by}", *values, *(sql.values_of(exclude) if exclude else ()))
        if of_campaigns:
            own = f"SELECT '{kind.value}', campaign_id, {columns}, day, SUM(quantity) {rows}"  # noqa: S608
            of = f"{sql.one_of('campaign_id', len(of_campaigns))} GROUP BY campaign_id, {by}"
            read(f"{own} AND {of}", *values, *sql.values_of(of_campaigns))
    with connections["default"].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()


def _split_capacity_rows(rows) -> tuple[dict, list, tuple[dict, ...], dict[int, tuple[dict, ...]]]:
    """`_capacity_rows` as the check takes them: on-hand stock by (sku, warehouse), the
    inbound shipments, all holds (stock, dispatch, lanes by resource and day, support
    tickets by day) and each campaign's own. Dates may come back as ISO strings (SQLite)."""
    on_hand: dict[tuple[int, int], int] = {}
    inbound: list[tuple[int, int, date, int]] = []
    totals: tuple[dict, ...] = ({}, {}, {}, {})
    own: dict[int, tuple[dict, ...]] = {}
    for kind, campaign_id, sku_id, warehouse_id, lane_id, day, quantity in rows:
        if isinstance(day, str):
            day = date.fromisoformat(day)
        if kind == "on_hand":
            on_hand[(sku_id, warehouse_id)] = quantity
            continue
        if kind == "inbound":
            inbound.append((sku_id, warehouse_id, day, quantity))
            continue
        stock, dispatch, lane, support = (
            totals if campaign_id is None else own.setdefault(campaign_id, ({}, {}, {}, {}))
        )
        if kind == Reservation.Kind.STOCK:
            stock[(sku_id, warehouse_id, day)] = quantity
        elif kind == Reservation.Kind.DISPATCH:
            dispatch[(warehouse_id, day)] = quantity
        elif kind == Reservation.Kind.SUPPORT:
            support[day] = quantity
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
    columns = (
        "kind", "starts_on", "ends_on", "capacity_factor", "warehouse_id", "courier_id", "region_id", "note",
        "support_team_id",
    )  # fmt: skip
    return [
        checks.ConstraintInfo(kind, starts, ends, frac(factor), warehouse, courier, region, note, team)
        for kind, starts, ends, factor, warehouse, courier, region, note, team in constraints.order_by(
            "starts_on", "id"
        ).values_list(*columns)
    ]


# --------------------------------------------------------------------------- capacity use


# Not frozen: a month of a big brand's lanes is tens of thousands of rows, and a frozen
# dataclass takes three times as long to build. Read them; nothing changes them.
@dataclass(slots=True)
class UseRow:
    """Capacity use of one resource on one day, in orders/day: what a day's capacity is
    after constraints, and how much of it business-as-usual load and approved campaigns
    take (DESIGN.md: "free after business-as-usual load, constraints and other campaigns'
    reservations"). Use = (business as usual + held) ÷ capacity after constraints; what
    campaigns waiting for sign-off ask is shown apart, not in the use.

    `resource` is `checks.COURIER`, a lane (`lane_id`, in `region_id`), or
    `checks.DISPATCH`, a warehouse (`warehouse_id`). Two kinds of row have no capacity of
    their own: a courier row without a lane holds what waiting campaigns ask of a region
    (orders are asked of a region; only an approval places them on its lanes), and a
    dispatch row without a warehouse what is held in, and asked of, the network pool that
    regions without a warehouse draw on. A sum of rows (`totals_by_day`) has no ids."""

    day: date
    resource: str
    lane_id: int | None = None
    region_id: int | None = None
    warehouse_id: int | None = None
    gross: int = 0  # capacity with no constraint in force
    reduction: int = 0  # what the constraints in force take away
    usual: int = 0  # business-as-usual orders
    held: int = 0  # held by campaigns (reservations, written when ops approve the courier sign-off)
    asked: int = 0  # asked by campaigns waiting for sign-off, beyond what they hold

    @property
    def capacity(self) -> int:
        """Capacity after constraints."""
        return self.gross - self.reduction

    @property
    def used(self) -> int:
        return self.usual + self.held

    @property
    def free(self) -> int:
        """What campaigns can still be given (negative: over capacity)."""
        return self.capacity - self.used

    @property
    def percent(self) -> int | None:
        """Use in percent, rounded half up; None when there is no capacity that day."""
        if self.capacity <= 0:
            return None
        return (200 * self.used + self.capacity) // (2 * self.capacity)  # floor(100 × used ÷ capacity + ½)

    @property
    def over(self) -> bool:
        return self.used > self.capacity


@dataclass(frozen=True)
class DayTotals:
    """The rows of one day summed: every lane and what is asked of every region
    (`courier`), every warehouse and the network pool (`dispatch`)."""

    day: date
    courier: UseRow
    dispatch: UseRow


def totals_by_day(rows: Iterable[UseRow], *, start: date, end: date) -> list[DayTotals]:
    """`rows` (of `capacity_use`) summed per day and resource, for every day of [start, end]."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    sums = {(day, resource): [0] * 5 for day in days for resource in (COURIER, DISPATCH)}
    for row in rows:
        found = sums.get((row.day, row.resource))
        if found is not None:
            found[0] += row.gross
            found[1] += row.reduction
            found[2] += row.usual
            found[3] += row.held
            found[4] += row.asked
    return [
        DayTotals(
            day,
            UseRow(day, COURIER, None, None, None, *sums[(day, COURIER)]),
            UseRow(day, DISPATCH, None, None, None, *sums[(day, DISPATCH)]),
        )
        for day in days
    ]


def capacity_use(
    *, start: date, end: date, waiting: QuerySet, region: str | None = None, cached: bool = False
) -> list[UseRow]:
    """Capacity use for every day of [start, end] (`UseRow`): a row per lane of an active
    courier and day, a row per warehouse and day, and the rows of what is asked of a
    region or held in the network pool. The dashboard, the calendar and the daily report
    show these figures and compute none of their own.

    Capacity after constraints is the check's (`checks.lane_capacity`,
    `checks.dispatch_capacity`), so that what a row shows free is what the check finds
    free. `waiting`: the campaigns waiting for the courier sign-off, by the marketing
    side's rule (`campaigns.selectors.capacity_use` passes it; capacity does not import
    campaigns). `region` (a code): only that region's lanes and what is asked of it, no
    dispatch rows (dispatch is by warehouse, not by region).

    Queries, whatever the number of days, lanes, warehouses or campaigns: with `cached`
    (pages) one, the reference rows coming from what the process keeps (`reference`)
    unless this transaction has written; else four (lanes, constraints, warehouses, then
    holds and asks in one)."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if cached and not versions.dirty():
        ref = reference(start=start, end=end, cached=True)
        lanes = [lane for lane in ref.lanes if region is None or ref.regions[lane.region_id].code == region]
        warehouses = list(ref.warehouses.values()) if region is None else []
        constraints = ref.constraints
    else:
        lanes = lane_infos(region_code=region)
        warehouses = warehouse_infos() if region is None else []
        constraints = constraint_infos(start=start, end=end)
    held, lane_regions, asked = _held_and_asked(start=start, end=end, region=region, waiting=waiting)

    rows = []
    for lane in lanes:
        # Only constraints scoped to the lane's courier or region can apply (checks._applies),
        # and only on the days they cover: elsewhere the lane has its whole capacity.
        mine = [c for c in constraints if c.courier_id == lane.courier_id or c.region_id == lane.region_id]
        covered = _covered(mine, start, end)
        gross, usual, on_lane = lane.daily_capacity, lane.baseline_orders_per_day, held.pop((COURIER, lane.id), {})
        for day in days:
            capacity = checks.lane_capacity(lane, day, mine) + usual if day in covered else gross
            rows.append(
                UseRow(day, COURIER, lane.id, lane.region_id, None, gross, gross - capacity, usual, on_lane.get(day, 0))
            )
    for warehouse in warehouses:
        mine = [c for c in constraints if c.warehouse_id == warehouse.id]
        covered = _covered(mine, start, end)
        gross, usual = warehouse.daily_dispatch_capacity, warehouse.baseline_orders_per_day
        at_warehouse, asked_of = held.pop((DISPATCH, warehouse.id), {}), asked.pop((DISPATCH, warehouse.id), {})
        for day in days:
            capacity = checks.dispatch_capacity(warehouse, day, mine)[0] + usual if day in covered else gross
            rows.append(
                UseRow(day, DISPATCH, None, None, warehouse.id, gross, gross - capacity, usual,
                       at_warehouse.get(day, 0), asked_of.get(day, 0))
            )  # fmt: skip
    # What is left has no capacity here: holds on the lanes of a courier made inactive,
    # what is asked of regions, and what is held in and asked of the network pool.
    for (resource, key), by_day in held.items():
        for day, quantity in by_day.items():
            if resource == COURIER:
                rows.append(UseRow(day, resource, lane_id=key, region_id=lane_regions.get(key), held=quantity))
            else:
                also = asked.get((resource, key), {}).pop(day, 0)
                rows.append(UseRow(day, resource, warehouse_id=key, held=quantity, asked=also))
    for (resource, key), by_day in asked.items():
        for day, quantity in by_day.items():
            if resource == COURIER:
                rows.append(UseRow(day, resource, region_id=key, asked=quantity))
            else:
                rows.append(UseRow(day, resource, warehouse_id=key, asked=quantity))
    return rows


def _covered(constraints: list[checks.ConstraintInfo], start: date, end: date) -> set[date]:
    """The days of [start, end] that any of `constraints` covers."""
    covered: set[date] = set()
    for c in constraints:
        first, last = max(c.starts_on, start), min(c.ends_on, end)
        covered.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return covered


def _held_and_asked(*, start: date, end: date, region: str | None, waiting: QuerySet) -> tuple[dict, dict, dict]:
    """In one query: what campaigns hold on each lane and warehouse per day of [start, end]
    (`(resource, lane or warehouse id, day)`: orders, and each held lane's region), and what
    campaigns waiting for a courier sign-off ask beyond what they hold
    (`(COURIER, region id, day)` and `(DISPATCH, warehouse id or None,
    day)`: orders). `region` (a code): only its lanes and what is asked of it.

    `waiting` are the campaigns waiting for the courier sign-off; each asks its plan's orders/day, less what it
    holds when it holds lanes already (a scale-up waits for the orders above the volume
    approved), of each of its regions by its share and of each dispatch pool by its
    regions' shares, rounded up as the check rounds them (`checks.region_orders`)."""
    # Typed NULLs: PostgreSQL takes a bare NULL of a set operation's branch for text.
    no_id, no_share = Cast(Value(None), IntegerField()), Cast(Value(None), DecimalField(max_digits=5, decimal_places=4))
    columns = ("row_kind", "row_a", "row_b", "row_pool", "row_first", "row_last", "row_orders", "row_share")
    window = Reservation.objects.filter(day__gte=start, day__lte=end)
    lanes = window.filter(kind=Reservation.Kind.LANE)
    if region:
        lanes = lanes.filter(lane__region__code=region)
    lanes = lanes.values("lane_id", "day").annotate(
        row_kind=Value(COURIER), row_a=F("lane_id"), row_b=F("lane__region_id"), row_pool=no_id,
        row_first=F("day"), row_last=F("day"), row_orders=Sum("quantity"), row_share=no_share,
    )  # fmt: skip
    parts = [lanes.values_list(*columns).order_by()]
    if region is None:
        dispatch = window.filter(kind=Reservation.Kind.DISPATCH).values("warehouse_id", "day").annotate(
            row_kind=Value(DISPATCH), row_a=F("warehouse_id"), row_b=no_id, row_pool=no_id, row_first=F("day"),
            row_last=F("day"), row_orders=Sum("quantity"), row_share=no_share,
        )  # fmt: skip
        parts.append(dispatch.values_list(*columns).order_by())
    holds_lanes = Exists(Reservation.objects.filter(campaign_id=OuterRef("pk"), kind=Reservation.Kind.LANE))
    not_held = Case(
        When(holds_lanes, then=F("orders_per_day") - Coalesce("approved_orders_per_day", 0)),
        default=F("orders_per_day"),
        output_field=IntegerField(),
    )
    waiting = waiting.filter(starts_on__lte=end, ends_on__gte=start)
    if region:
        waiting = waiting.filter(region_lines__region__code=region)
    asks = waiting.annotate(
        row_kind=Value("ask"), row_a=F("pk"), row_b=F("region_lines__region_id"),
        row_pool=F("region_lines__region__warehouse_id"), row_first=F("starts_on"), row_last=F("ends_on"),
        row_orders=not_held, row_share=F("region_lines__share"),
    )  # fmt: skip
    parts.append(asks.values_list(*columns).order_by())

    held: dict[tuple, dict[date, int]] = defaultdict(dict)
    lane_regions: dict[int, int] = {}
    asks: dict[int, list] = defaultdict(list)  # by campaign
    first_part, *others = parts
    for kind, key, region_id, pool, first, last, orders, share in first_part.union(*others, all=True):
        if kind == "ask":
            if orders > 0 and region_id is not None:
                # str(): SQLite returns a decimal as a float (0.3333), PostgreSQL as a Decimal.
                asks[key].append((region_id, pool, max(first, start), min(last, end), orders, Fraction(str(share))))
            continue
        held[(kind, key)][first] = orders
        if kind == COURIER:
            lane_regions[key] = region_id
    asked: dict[tuple, dict[date, int]] = defaultdict(dict)
    for lines in asks.values():
        first, last, orders = lines[0][2], lines[0][3], lines[0][4]
        by_pool: dict[int | None, Fraction] = defaultdict(Fraction)
        per_resource: dict[tuple, int] = defaultdict(int)
        for region_id, pool, _, _, _, share in lines:
            by_pool[pool] += share
            per_resource[(COURIER, region_id)] += math.ceil(orders * share)
        if region is None:
            for pool, share in by_pool.items():
                per_resource[(DISPATCH, pool)] += math.ceil(orders * share)
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            for resource, quantity in per_resource.items():
                on_day = asked[resource]
                on_day[day] = on_day.get(day, 0) + quantity
    return held, lane_regions, asked


# --------------------------------------------------------------------------- customer support use


@dataclass(frozen=True)
class SupportDay:
    """Customer-support use on one day, in tickets: what the active teams answer after their
    holidays and reduced days (`capacity`), how much business as usual and approved
    campaigns take (`usual`, `held`), and why a constraint cuts it (`why`)."""

    day: date
    capacity: int
    usual: int
    held: int
    why: str = ""

    @property
    def used(self) -> int:
        return self.usual + self.held

    @property
    def free(self) -> int:
        return self.capacity - self.used

    @property
    def percent(self) -> int | None:
        """Use in %, None when the teams answer nothing that day."""
        return round(100 * self.used / self.capacity) if self.capacity > 0 else None


def support_use(*, start: date, end: date) -> list[SupportDay]:
    """Support use per day from `start` to `end` (three queries; none and an empty list
    when customer support is not a sign-off dimension)."""
    if not support_on() or end < start:
        return []
    teams = _support_team_infos()
    constraints = _constraint_infos(
        CapacityConstraint.objects.filter(support_team__isnull=False, starts_on__lte=end, ends_on__gte=start)
    )
    held = dict(
        Reservation.objects.filter(kind=Reservation.Kind.SUPPORT, day__gte=start, day__lte=end)
        .values("day")
        .annotate(total=Sum("quantity"))
        .values_list("day", "total")
        .order_by()
    )
    usual = sum(team.baseline_tickets_per_day for team in teams)
    found = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        free, why = checks.support_capacity(teams, day, constraints)
        found.append(SupportDay(day, free + usual, usual, held.get(day, 0), why))
    return found
