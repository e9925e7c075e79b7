"""The capacity check: a pure function of a campaign plan and a capacity snapshot.

No database access happens here. `capacity.selectors.load_snapshot` gathers the
data in a fixed number of queries; `run_check` compares, for every day of the
plan, projected demand with what is free after business-as-usual load,
constraints and other campaigns' reservations.

Demand is linear in the plan's orders/day, so the largest volume that fits is
found analytically and then confirmed by one more evaluation. Per-day demand is
rounded up to whole units/orders with exact fractions (never floats), so the
reservations written for an approval are exactly the demand the check accepted.

Cost: what does not depend on the volume (free stock over time, free lane and
dispatch capacity per day) is computed once per check and shared by every volume
tried. Free stock is kept per SKU and pool as a step function of the days on which
something arrives or is held (`_StockSeries`), not walked day by day to the last
hold; comparisons use integers (cross-multiplied) where a Fraction would be exact
but slow. tests/check_reference.py keeps the day-by-day check this replaced, and
tests/test_check_fast_path.py shows both give the same results.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache

from capacity.check_types import (
    ALL_DIMENSIONS,
    COURIER,
    DISPATCH,
    ERROR,
    EXCEEDS,
    FINDING_DIMENSIONS,
    FITS,
    FITS_WITH_WARNINGS,
    INFO,
    INVENTORY,
    NETWORK,
    RISK,
    SIGN_OFF_DIMENSIONS,
    SUPPORT,
    WARNING,
    CheckResult,
    ConstraintInfo,
    Finding,
    LaneInfo,
    Limit,
    Plan,
    RegionInfo,
    RegionLine,
    ReservationLine,
    SkuInfo,
    SkuLine,
    Snapshot,
    SupportTeamInfo,
    WarehouseInfo,
)

# The types are part of this module's interface: callers write `checks.Plan`, `checks.ERROR`.
__all__ = [
    "INVENTORY",
    "COURIER",
    "DISPATCH",
    "SUPPORT",
    "RISK",
    "SIGN_OFF_DIMENSIONS",
    "ALL_DIMENSIONS",
    "FINDING_DIMENSIONS",
    "FITS",
    "FITS_WITH_WARNINGS",
    "EXCEEDS",
    "ERROR",
    "WARNING",
    "INFO",
    "NETWORK",
    "SkuLine",
    "RegionLine",
    "Plan",
    "SkuInfo",
    "WarehouseInfo",
    "RegionInfo",
    "LaneInfo",
    "ConstraintInfo",
    "SupportTeamInfo",
    "Snapshot",
    "Finding",
    "CheckResult",
    "Limit",
    "ReservationLine",
    "run_check",
    "plan_reservations",
    "lane_capacity",
    "dispatch_capacity",
    "daily_units",
    "region_orders",
    "cod_orders",
    "constraint_factor",
    "support_capacity",
    "tickets_per_order",
    "daily_tickets",
]

# --------------------------------------------------------------------------- helpers


def _ceil(value: Fraction) -> int:
    return math.ceil(value)


@lru_cache(maxsize=1024)  # a big plan's findings name the same few days thousands of times
def _day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _weighted(values: Iterable[tuple[Fraction, int]]) -> Fraction | None:
    pairs = list(values)
    if not pairs:
        return None
    weight = sum(w for _, w in pairs)
    if weight <= 0:
        return sum((v for v, _ in pairs), Fraction(0)) / len(pairs)
    return sum((v * w for v, w in pairs), Fraction(0)) / weight


def constraint_factor(
    constraints: Iterable[ConstraintInfo], day: date, *, warehouse_id=None, courier_id=None, region_id=None
) -> tuple[Fraction, str]:
    """The smallest capacity factor of the constraints in force on `day` for a resource,
    and why. Warehouse constraints scale dispatch; courier constraints scale that
    courier's lanes (all, or one region's); region constraints scale every lane there."""
    best, why = Fraction(1), ""
    for c in constraints:
        if not c.covers(day):
            continue
        if _applies(c, warehouse_id, courier_id, region_id) and c.factor < best:
            best, why = c.factor, (c.note or c.kind.replace("_", " "))
    return best, why


def _applies(c: ConstraintInfo, warehouse_id, courier_id, region_id) -> bool:
    """Whether constraint `c` limits the resource, on the days it covers."""
    if warehouse_id is not None and c.warehouse_id == warehouse_id:
        return True
    if courier_id is not None and c.courier_id == courier_id:
        return c.region_id is None or c.region_id == region_id
    if region_id is not None and c.courier_id is None and c.warehouse_id is None:
        return c.region_id == region_id
    return False


def lane_capacity(lane: LaneInfo, day: date, constraints: Iterable[ConstraintInfo]) -> int:
    """Orders a lane can take on `day` for campaigns: capacity × constraints − business as usual."""
    factor, _ = constraint_factor(constraints, day, courier_id=lane.courier_id, region_id=lane.region_id)
    # floor(capacity × factor), in integers
    return lane.daily_capacity * factor.numerator // factor.denominator - lane.baseline_orders_per_day


def dispatch_capacity(warehouse: WarehouseInfo, day: date, constraints: Iterable[ConstraintInfo]) -> tuple[int, str]:
    """Orders a warehouse can dispatch on `day` for campaigns, and the constraint that limits it."""
    factor, why = constraint_factor(constraints, day, warehouse_id=warehouse.id)
    capacity = warehouse.daily_dispatch_capacity * factor.numerator // factor.denominator
    capacity -= warehouse.baseline_orders_per_day
    return capacity, (why if factor < 1 else "")


class _Context:
    """Per-plan derived data that does not depend on the volume."""

    def __init__(self, plan: Plan, snap: Snapshot):
        self.plan = plan
        self.snap = snap
        start = max(plan.starts_on, snap.today)
        self.active_days = _days(start, plan.ends_on) if start <= plan.ends_on else []
        # Region share by stock/dispatch pool (warehouse id, or NETWORK).
        self.pool_share: dict[int | None, Fraction] = defaultdict(Fraction)
        for line in plan.regions:
            region = snap.regions[line.region_id]
            self.pool_share[region.warehouse_id] += line.share
        self.lanes_by_region: dict[int, list[LaneInfo]] = defaultdict(list)
        for lane in snap.lanes:
            self.lanes_by_region[lane.region_id].append(lane)
        for lanes in self.lanes_by_region.values():
            lanes.sort(key=lambda lane: lane.id)
        # Volume-independent data, built on first use and shared by every volume tried.
        self.stock: list[_SkuStock] | None = None
        self._dispatch_days: list | None = None
        self._region_free: dict[int, list[tuple[date, int, int]]] = {}
        self._lane_holds: dict[int, list[tuple[int, int]]] | None = None
        self._dispatch_holds: dict[int | None, list[tuple[int, int]]] | None = None
        self._constraints: dict[tuple, list[ConstraintInfo]] = {}
        self._scopes: dict[tuple[str, int], list[tuple[int, ConstraintInfo]]] | None = None
        self._support_days: list[tuple[date, int, str]] | None = None

    def constraints_for(self, *, warehouse_id=None, courier_id=None, region_id=None) -> list[ConstraintInfo]:
        """The snapshot's constraints that apply to a resource (in their order, so the
        factor and its reason come out as from all of them)."""
        key = (warehouse_id, courier_id, region_id)
        found = self._constraints.get(key)
        if found is None:
            # Only the constraints scoped to one of the resource's ids can apply: a brand's
            # thousands of constraints are not all tested against each of its lanes.
            by_scope = self._constraints_by_scope()
            candidates = {
                *by_scope.get(("warehouse", warehouse_id), ()),
                *by_scope.get(("courier", courier_id), ()),
                *by_scope.get(("region", region_id), ()),
            }
            found = self._constraints[key] = [
                c for _, c in sorted(candidates) if _applies(c, warehouse_id, courier_id, region_id)
            ]
        return found

    def _constraints_by_scope(self) -> dict[tuple[str, int], list[tuple[int, ConstraintInfo]]]:
        """(position, constraint) by each id a constraint is scoped to."""
        if self._scopes is None:
            self._scopes = defaultdict(list)
            for position, c in enumerate(self.snap.constraints):
                for scope, key in (("warehouse", c.warehouse_id), ("courier", c.courier_id), ("region", c.region_id)):
                    if key is not None:
                        self._scopes[(scope, key)].append((position, c))
        return self._scopes

    def factor(self, day: date, *, warehouse_id=None, courier_id=None, region_id=None) -> tuple[Fraction, str]:
        return constraint_factor(
            self.snap.constraints, day, warehouse_id=warehouse_id, courier_id=courier_id, region_id=region_id
        )

    def lane_free(self, lane: LaneInfo, day: date) -> int:
        constraints = self.constraints_for(courier_id=lane.courier_id, region_id=lane.region_id)
        return lane_capacity(lane, day, constraints) - self.snap.lane_held(lane.id, day)

    def dispatch_free(self, warehouse: WarehouseInfo, day: date) -> tuple[int, str]:
        capacity, why = dispatch_capacity(warehouse, day, self.constraints_for(warehouse_id=warehouse.id))
        return capacity - self.snap.dispatch_held(warehouse.id, day), why

    def dispatch_days(self) -> list[tuple[date, int, list[tuple[int, int, str]]]]:
        """Per active day: what the whole network can still dispatch before this plan (every
        warehouse's free orders, less the pooled holds of others), and (warehouse, free,
        why) for each warehouse the plan ships from, in the snapshot's order.

        Built once per plan: whatever volume is tried, only the plan's own warehouses are
        looked at again, not every warehouse of the brand on every day."""
        if self._dispatch_days is None:
            days = self.active_days
            network = [-self.snap.dispatch_held(NETWORK, day) for day in days]
            ships_from = {wh_id for wh_id, share in self.pool_share.items() if wh_id is not NETWORK and share > 0}
            own: dict[int, list[tuple[int, str]]] = {}
            for wh_id, wh in self.snap.warehouses.items():
                frees = self._warehouse_free(wh)
                network = [total + free if free > 0 else total for total, (free, _) in zip(network, frees, strict=True)]
                if wh_id in ships_from:
                    own[wh_id] = frees
            self._dispatch_days = [
                (day, network[j], [(wh_id, *frees[j]) for wh_id, frees in own.items()]) for j, day in enumerate(days)
            ]
        return self._dispatch_days

    def _warehouse_free(self, warehouse: WarehouseInfo) -> list[tuple[int, str]]:
        """`dispatch_free` on every active day, with the constraint lookups only on the days
        a constraint covers and the holds looked up only where there are any."""
        days = self.active_days
        constraints = self.constraints_for(warehouse_id=warehouse.id)
        usual = warehouse.daily_dispatch_capacity - warehouse.baseline_orders_per_day
        free = [(usual, "")] * len(days)
        for c in constraints if days else []:
            for day in _days(max(c.starts_on, days[0]), min(c.ends_on, days[-1])):
                free[(day - days[0]).days] = dispatch_capacity(warehouse, day, constraints)
        for j, q in self.dispatch_holds().get(warehouse.id, ()):
            capacity, why = free[j]
            free[j] = (capacity - q, why)
        return free

    def dispatch_holds(self) -> dict[int | None, list[tuple[int, int]]]:
        """Per dispatch pool: (active day index, orders others hold) for each active day with holds."""
        if self._dispatch_holds is None:
            self._dispatch_holds = self._holds_by_day(self.snap.reserved_dispatch, self.snap.own_dispatch)
        return self._dispatch_holds

    def lane_holds(self) -> dict[int, list[tuple[int, int]]]:
        """Per lane: (active day index, orders others hold) for each active day with holds."""
        if self._lane_holds is None:
            self._lane_holds = self._holds_by_day(self.snap.reserved_lane, self.snap.own_lane)
        return self._lane_holds

    def _holds_by_day(self, reserved: dict, own: dict) -> dict:
        """{resource: [(active day index, held by others)]} from holds keyed (resource, day),
        in one pass, so that the free capacity of a lane or warehouse touches only the days
        that have holds instead of looking every day up."""
        index = {day: j for j, day in enumerate(self.active_days)}
        holds: dict = defaultdict(list)
        for source, sign in ((reserved, 1), (own, -1)):
            for (resource, day), q in source.items():
                j = index.get(day)
                if j is not None:
                    holds[resource].append((j, sign * q))
        return holds

    def region_free(self, region_id: int) -> list[tuple[date, int, int]]:
        """Per active day: orders the region's lanes can still take, all and cash-on-delivery."""
        found = self._region_free.get(region_id)
        if found is None:
            days = self.active_days
            totals, cod_totals = [0] * len(days), [0] * len(days)
            holds = self.lane_holds()
            for lane in self.lanes_by_region.get(region_id, []):
                # lane_free for every day: capacity less business as usual, constraints on
                # the days they cover, less what others hold
                free = [lane.daily_capacity - lane.baseline_orders_per_day] * len(days)
                constraints = self.constraints_for(courier_id=lane.courier_id, region_id=lane.region_id)
                for c in constraints if days else []:
                    for day in _days(max(c.starts_on, days[0]), min(c.ends_on, days[-1])):
                        j = (day - days[0]).days
                        free[j] = lane_capacity(lane, day, constraints)
                for j, q in holds.get(lane.id, ()):
                    free[j] -= q
                totals = [t + f if f > 0 else t for t, f in zip(totals, free, strict=True)]
                if lane.cod_supported:
                    cod_totals = [t + f if f > 0 else t for t, f in zip(cod_totals, free, strict=True)]
            found = self._region_free[region_id] = list(zip(days, totals, cod_totals, strict=True))
        return found


# --------------------------------------------------------------------------- demand


def daily_units(plan: Plan, sku_share: Fraction, pool_share: Fraction, volume: int | None = None) -> int:
    volume = plan.orders_per_day if volume is None else volume
    return _ceil(volume * plan.units_per_order * sku_share * pool_share)


def region_orders(plan: Plan, share: Fraction, volume: int | None = None) -> int:
    volume = plan.orders_per_day if volume is None else volume
    return _ceil(volume * share)


def cod_orders(plan: Plan, orders: int) -> int:
    return _ceil(orders * plan.cod_share)


# --------------------------------------------------------------------------- the check


def run_check(plan: Plan, snap: Snapshot, dimensions: Iterable[str] | None = None) -> CheckResult:
    """Check `plan` against `snap` for the given sign-off dimensions (None: the snapshot's,
    customer support only when it is on)."""
    dimensions = snap.dimensions if dimensions is None else tuple(dimensions)
    ctx = _Context(plan, snap)
    findings: list[Finding] = []
    bounds: dict[str, int] = {}
    limits: dict[str, Limit] = {}
    if INVENTORY in dimensions:
        found, bound = _check_inventory(ctx, plan.orders_per_day)
        findings += found
        bounds[INVENTORY] = _confirm(bound.value, lambda v: _inventory_fits(ctx, v))
        if bound.limit is not None:
            limits[INVENTORY] = bound.limit
    if COURIER in dimensions:
        found_d, bound_d = _check_dispatch(ctx, plan.orders_per_day)
        found_c, bound_c = _check_courier(ctx, plan.orders_per_day)
        findings += found_d + found_c
        bound = bound_d if bound_d.value <= bound_c.value else bound_c
        bounds[COURIER] = _confirm(
            bound.value,
            lambda v: not _check_dispatch(ctx, v)[0] and not _check_courier(ctx, v)[0],
        )
        if bound.limit is not None:
            limits[COURIER] = bound.limit
    if SUPPORT in dimensions:
        found, bound = _check_support(ctx, plan.orders_per_day)
        findings += found
        bounds[SUPPORT] = _confirm(bound.value, lambda v: not _check_support(ctx, v)[0])
        if bound.limit is not None:
            limits[SUPPORT] = bound.limit
    risk, gross, net = _check_risk(ctx)
    findings += risk
    if any(f.severity == ERROR for f in findings):
        verdict = EXCEEDS
    elif any(f.severity == WARNING for f in findings):
        verdict = FITS_WITH_WARNINGS
    else:
        verdict = FITS
    return CheckResult(
        verdict=verdict,
        orders_per_day=plan.orders_per_day,
        max_orders_per_day=min(bounds.values()) if bounds else plan.orders_per_day,
        max_by_dimension=bounds,
        findings=tuple(findings),
        gross_roas=gross,
        net_roas=net,
        limits=limits,
    )


_UNBOUNDED = 10**9


class _Bound:
    """The smallest volume bound offered so far and what set it (a `Limit`, made only
    when it is the smallest yet: `describe` is called then)."""

    __slots__ = ("value", "limit")

    def __init__(self) -> None:
        self.value = _UNBOUNDED
        self.limit: Limit | None = None

    def offer(self, value: int, describe) -> None:
        if value < self.value:
            self.value, self.limit = value, describe()


def _confirm(bound: int, fits) -> int:
    """The analytic bound is exact per constraint; sums of rounded terms can make it
    overshoot by a few units. Fitting is monotonic in the volume, so step down
    exponentially to a volume that fits, then binary-search the largest one."""
    bound = max(0, min(bound, _UNBOUNDED))
    if bound >= _UNBOUNDED or bound == 0 or fits(bound):
        return bound
    failing, step, low = bound, 1, bound - 1
    while low > 0 and not fits(low):
        failing, step = low, step * 2
        low = max(0, bound - step)
    while failing - low > 1:
        middle = (low + failing) // 2
        if fits(middle):
            low = middle
        else:
            failing = middle
    return low


def _stock_pools(snap: Snapshot) -> list[int | None]:
    return [*snap.warehouses.keys(), NETWORK]


def _volume_bound(available: int, days: int, coeff: Fraction) -> int:
    """Largest volume V with days × ceil(V × coeff) ≤ available."""
    if coeff <= 0:
        return _UNBOUNDED
    if available < 0:
        return 0
    # floor((available // days) / coeff), in integers.
    return (available // days) * coeff.denominator // coeff.numerator


def _ceil_times(volume: int, coeff: Fraction) -> int:
    """ceil(volume × coeff) in integers (what `daily_units` computes with fractions)."""
    return -(-volume * coeff.numerator // coeff.denominator)


class _StockSeries:
    """Free stock of one SKU in one pool over the days that matter to a plan.

    Day indices count from the snapshot's today. The series runs from the plan's
    first active day `a0` to `last` (the last day anything is held). Free stock is
    a step function (arrivals and holds change it on some days) less `slope` units
    every day (business as usual, network only); the plan has used `needed × k`
    units by day i, where k grows by one a day while the plan runs and then stays
    at `n` (its active days). So the series is kept as segments of constant steps;
    within one, free ÷ k and free − needed × k are monotonic, and their endpoints
    decide every day in between.
    """

    __slots__ = ("a0", "n", "slope", "last", "first_value", "cuts", "events", "floor_min", "floor_day")

    def __init__(self, start: int, events: dict[int, int], slope: int, a0: int, n: int, last: int):
        """`start` free before any event, `events` day index → change (not changed afterwards)."""
        self.a0, self.n, self.slope, self.last, self.events = a0, n, slope, last, events
        tail = a0 + n
        value = start
        cuts = []
        for i in sorted(events):
            if i <= a0:
                value += events[i]  # in the free stock of the first active day
            elif i <= last:
                cuts.append(i)
            else:
                break
        if a0 < tail <= last and tail not in events:
            bisect.insort(cuts, tail)  # where the plan stops adding to what it needs
        self.first_value, self.cuts = value, cuts
        # min over days of floor(free / k): fits at a daily need u ⇔ u ≤ floor_min. On a
        # segment [s, e] of constant steps c, free = c − slope × (i + 1). While the plan
        # runs, k = i − a0 + 1 and free ÷ k = (c − slope × a0) ÷ k − slope; afterwards k = n.
        # Either way the minimum is at one end of the segment, known from the signs.
        best = None
        s, c = a0, value
        for cut in [*cuts, last + 1]:
            e = cut - 1
            if s < tail:
                i = e if c >= slope * a0 else s
                q = (c - slope * (i + 1)) // (i - a0 + 1)
            else:
                i = e if slope >= 0 else s
                q = (c - slope * (i + 1)) // n
            if best is None or q < best:
                best, best_day = q, i
            c += events.get(cut, 0)
            s = cut
        self.floor_min = best
        self.floor_day = best_day  # the day index on which it binds

    def segments(self):
        """(first day, last day, steps) of each run of days with no event."""
        s, c = self.a0, self.first_value
        for cut in self.cuts:
            yield s, cut - 1, c
            c += self.events.get(cut, 0)
            s = cut
        yield s, self.last, c

    def k(self, i: int) -> int:
        return min(i - self.a0 + 1, self.n)

    def first_short(self, needed: int) -> tuple[int, int, int] | None:
        """The first day index on which `needed` a day does not fit, with the units
        needed by then and the free stock then; None when every day fits."""
        if needed <= self.floor_min:
            return None
        slope, tail = self.slope, self.a0 + self.n
        for s, e, c in self.segments():
            gap_s = c - slope * (s + 1) - needed * self.k(s)
            if gap_s < 0:
                i = s
            else:
                gap_e = c - slope * (e + 1) - needed * self.k(e)
                if gap_e >= 0:
                    continue
                drop = slope + (needed if s < tail else 0)  # the gap shrinks by this a day
                i = s + gap_s // drop + 1
            return i, needed * self.k(i), c - slope * (i + 1)
        return None  # pragma: no cover - floor_min says some day is short


class _SkuStock:
    """Per-SKU-line stock data of the inventory check that does not depend on the volume."""

    __slots__ = ("sku", "pools", "total", "series", "network")

    def __init__(self, sku: SkuInfo, pools: list[tuple[int | None, Fraction]], total: Fraction, series, network):
        self.sku = sku
        self.pools = pools  # (pool, units per order of the plan in it), pools with a share
        self.total = total  # the sum of those units per order, all pools
        self.series = series  # warehouse pool -> _StockSeries
        self.network = network  # _StockSeries


def _inventory_data(ctx: _Context) -> list[_SkuStock]:
    """Built once per context: the check at any volume only compares with it."""
    if ctx.stock is not None:
        return ctx.stock
    plan, snap = ctx.plan, ctx.snap
    today = snap.today
    a0 = (ctx.active_days[0] - today).days
    n = len(ctx.active_days)
    plan_last = (plan.ends_on - today).days
    wanted = {line.sku_id for line in plan.skus}
    pool_shares = [(pool, share) for pool, share in ctx.pool_share.items() if share > 0]
    total_share = sum((share for _, share in pool_shares), Fraction(0))
    plan_pools = {pool for pool, _ in pool_shares if pool is not NETWORK}
    stock_pools = set(_stock_pools(snap))
    # Changes of free stock by day index (from today): per SKU for the whole network,
    # and per SKU and warehouse for the warehouses the plan ships from.
    network_events: dict[int, dict[int, int]] = {s: defaultdict(int) for s in wanted}
    pool_events = {(s, p): defaultdict(int) for s in wanted for p in plan_pools}
    # Stock is used up: a unit this plan takes now is missing for what other campaigns
    # already hold later, so look as far as the last day anything is held.
    last_held: dict[int, date] = {}
    index: dict[date, int] = {}
    for source, sign in ((snap.reserved_stock, -1), (snap.own_stock, 1)):
        for (sku_id, pool, day), q in source.items():
            if sku_id not in wanted:
                continue
            if sign < 0 and (sku_id not in last_held or day > last_held[sku_id]):
                last_held[sku_id] = day
            i = index.get(day)
            if i is None:
                i = index[day] = (day - today).days
            if i < 0:
                continue
            if pool in stock_pools:
                network_events[sku_id][i] += sign * q
            if pool in plan_pools:
                pool_events[(sku_id, pool)][i] += sign * q
    for sku_id, wh_id, expected_on, qty in snap.inbound:
        if sku_id in wanted and wh_id in snap.warehouses:
            i = (max(expected_on, today) - today).days
            network_events[sku_id][i] += qty
            if wh_id in plan_pools:
                pool_events[(sku_id, wh_id)][i] += qty
    total_on_hand: dict[int, int] = defaultdict(int)
    for (sku_id, _), q in snap.on_hand.items():
        total_on_hand[sku_id] += q
    by_sku: dict[int, tuple[dict, _StockSeries]] = {}
    out = []
    for line in plan.skus:
        sku = snap.skus[line.sku_id]
        if sku.id not in by_sku:
            last = max(plan_last, (last_held[sku.id] - today).days if sku.id in last_held else plan_last)
            series = {
                pool: _StockSeries(snap.on_hand.get((sku.id, pool), 0), pool_events[(sku.id, pool)], 0, a0, n, last)
                for pool, _ in pool_shares
                if pool is not NETWORK
            }
            start = total_on_hand[sku.id] - sku.safety_stock
            network = _StockSeries(start, network_events[sku.id], sku.baseline_units_per_day, a0, n, last)
            by_sku[sku.id] = (series, network)
        series, network = by_sku[sku.id]
        per_order = plan.units_per_order * line.share
        pools = [(pool, per_order * share) for pool, share in pool_shares]
        out.append(_SkuStock(sku, pools, per_order * total_share, series, network))
    ctx.stock = out
    return out


def _inventory_fits(ctx: _Context, volume: int) -> bool:
    """Whether `volume` raises no inventory finding (what `_check_inventory` would say)."""
    if not ctx.active_days:
        return True
    for item in _inventory_data(ctx):
        total = 0
        for pool, coeff in item.pools:
            units = _ceil_times(volume, coeff)
            total += units
            if pool is not NETWORK and units > item.series[pool].floor_min:
                return False
        if total > item.network.floor_min:
            return False
    return True


def _check_inventory(ctx: _Context, volume: int) -> tuple[list[Finding], _Bound]:
    snap = ctx.snap
    findings: list[Finding] = []
    bound = _Bound()
    if not ctx.active_days:
        return findings, bound
    for item in _inventory_data(ctx):
        sku = item.sku
        units = {pool: _ceil_times(volume, coeff) for pool, coeff in item.pools}
        shortfalls = []
        for order, (pool, coeff) in enumerate(item.pools):
            if pool is NETWORK:
                continue
            series = item.series[pool]
            short = series.first_short(units[pool])
            if short is not None:
                shortfalls.append((short[0], order, pool, short))
            bound.offer(
                _volume_bound(series.floor_min, 1, coeff),
                lambda sku=sku, pool=pool, series=series: Limit(
                    INVENTORY, sku.code, f"{sku.name} stock at {snap.warehouses[pool].name}", _on(snap, series)
                ),
            )
        network_short = item.network.first_short(sum(units.values()))
        bound.offer(
            _volume_bound(item.network.floor_min, 1, item.total),
            lambda sku=sku, series=item.network: Limit(
                INVENTORY, sku.code, f"{sku.name} stock across the network", _on(snap, series)
            ),
        )
        for _, _, wh_id, (i, needed, available) in sorted(shortfalls, key=lambda s: s[:2]):
            wh = snap.warehouses[wh_id]
            day = snap.today + timedelta(days=i)
            findings.append(
                Finding(
                    INVENTORY,
                    ERROR,
                    "stock_out",
                    sku.code,
                    f"{sku.name} runs out at {wh.name} on {_day_label(day)}: the plan needs {needed} units "
                    f"by then and {max(available, 0)} are free.",
                    day,
                    needed,
                    max(available, 0),
                )
            )
        if network_short is not None:
            i, needed, available = network_short
            day = snap.today + timedelta(days=i)
            findings.append(
                Finding(
                    INVENTORY,
                    ERROR,
                    "stock_out",
                    sku.code,
                    f"{sku.name} runs out on {_day_label(day)}: the plan needs {needed} units by then and "
                    f"{max(available, 0)} are free across the network after safety stock and other campaigns.",
                    day,
                    needed,
                    max(available, 0),
                )
            )
    return findings, bound


def _on(snap: Snapshot, series: _StockSeries) -> date:
    """The day a stock series binds (its least free stock per day of the plan)."""
    return snap.today + timedelta(days=series.floor_day)


def _check_dispatch(ctx: _Context, volume: int) -> tuple[list[Finding], _Bound]:
    plan, snap = ctx.plan, ctx.snap
    findings: list[Finding] = []
    bound = _Bound()
    pooled_share = ctx.pool_share.get(NETWORK, Fraction(0))
    demand = {
        wh_id: region_orders(plan, share, volume)
        for wh_id, share in ctx.pool_share.items()
        if wh_id is not NETWORK and share > 0
    }
    pooled = region_orders(plan, pooled_share, volume) if pooled_share > 0 else 0
    # pool -> [first day short, needed, available, why, days short]
    short: dict[int | None, list] = {}
    # With one warehouse and no pooled regions the network total is that warehouse's:
    # checking it again would only repeat the same finding.
    network_matters = pooled_share > 0 or len(snap.warehouses) > 1
    lowest: dict[int, tuple[int, date, str]] = {}  # warehouse -> least free, its day and why
    lowest_network: int | None = None
    lowest_network_day: date | None = None
    highest: dict[int, int] = {}  # warehouse -> most free: the same as the least, no day binds
    highest_network: int | None = None
    for day, network_free, frees in ctx.dispatch_days():
        held_network = snap.dispatch_held(NETWORK, day)
        for wh_id, free, why in frees:
            network_free -= demand[wh_id]
            if demand[wh_id] > free:
                short.setdefault(wh_id, [day, demand[wh_id], max(free, 0), why, 0])[4] += 1
            if wh_id not in lowest or free < lowest[wh_id][0]:
                lowest[wh_id] = (free, day, why)
            highest[wh_id] = max(highest.get(wh_id, free), free)
        # Warehouse-specific and pooled demand together must fit what the network
        # can still dispatch (pooled holds are not tied to one warehouse).
        own = sum(demand.values())
        if pooled > network_free and (network_matters or held_network > 0):
            short.setdefault(NETWORK, [day, pooled + own, max(network_free + own, 0), "", 0])[4] += 1
        if lowest_network is None or network_free + own < lowest_network:
            lowest_network, lowest_network_day = network_free + own, day
        if highest_network is None or network_free + own > highest_network:
            highest_network = network_free + own
    # The volume bound grows with what is free: the day with least free capacity sets it.
    for wh_id, (free, day, why) in lowest.items():
        wh = snap.warehouses[wh_id]
        bound.offer(
            _volume_bound(free, 1, ctx.pool_share[wh_id]),
            lambda wh=wh, day=day if free < highest[wh_id] else None, why=why: Limit(
                DISPATCH, wh.code, f"{wh.name} dispatch", day, why
            ),
        )
    if lowest_network is not None:
        bound.offer(
            _volume_bound(lowest_network, 1, sum(ctx.pool_share.values(), Fraction(0))),
            lambda: Limit(
                DISPATCH,
                "network",
                "what the warehouses together can dispatch",
                lowest_network_day if lowest_network < highest_network else None,
            ),
        )
    for wh_id, (day, needed, available, why, count) in short.items():
        more = f" (and {count - 1} more day{'s' if count > 2 else ''})" if count > 1 else ""
        if wh_id is NETWORK:
            message = (
                f"The warehouses together can dispatch {available} more orders on {_day_label(day)}; "
                f"the plan needs {needed}{more}."
            )
            subject = "network"
        else:
            wh = snap.warehouses[wh_id]
            subject = wh.code
            if why:
                message = (
                    f"{wh.name} can dispatch {max(available, 0)} orders on {_day_label(day)} ({why}); "
                    f"the plan sends it {needed}{more}."
                )
            else:
                message = (
                    f"{wh.name} can dispatch {max(available, 0)} more orders/day; the plan needs {needed} on "
                    f"{_day_label(day)}{more}."
                )
        findings.append(Finding(DISPATCH, ERROR, "dispatch_over", subject, message, day, needed, max(available, 0)))
    return findings, bound


def _check_courier(ctx: _Context, volume: int) -> tuple[list[Finding], _Bound]:
    plan, snap = ctx.plan, ctx.snap
    findings: list[Finding] = []
    bound = _Bound()
    for line in plan.regions:
        region = snap.regions[line.region_id]
        lanes = ctx.lanes_by_region.get(region.id, [])
        needed = region_orders(plan, line.share, volume)
        needed_cod = cod_orders(plan, needed)
        if not lanes:
            if ctx.active_days and needed > 0:
                findings.append(
                    Finding(
                        COURIER,
                        ERROR,
                        "no_lanes",
                        region.code,
                        f"No courier delivers to {region.name}.",
                        ctx.active_days[0],
                        needed,
                        0,
                    )
                )
            if ctx.active_days:
                bound.offer(
                    0, lambda region=region: Limit(COURIER, region.code, f"no courier delivers to {region.name}")
                )
            continue
        first_short = first_cod_short = None
        short_days = cod_short_days = 0
        frees = ctx.region_free(region.id)
        for day, total, cod_total in frees:
            if needed > total:
                short_days += 1
                first_short = first_short or (day, total)
            if needed_cod > cod_total:
                cod_short_days += 1
                first_cod_short = first_cod_short or (day, cod_total)
        if frees:
            # The volume bound grows with what is free: the day with least free capacity sets it.
            least_day, least, _ = min(frees, key=lambda f: f[1])
            varies = least < max(total for _, total, _ in frees)
            bound.offer(
                _volume_bound(least, 1, line.share),
                lambda region=region, day=least_day if varies else None: Limit(
                    COURIER, region.code, f"couriers to {region.name}", day, _lane_why(ctx, region.id, day)
                ),
            )
            if plan.cod_share > 0:
                # ceil(ceil(V·s)·c) ≤ G  ⇔  V·s ≤ floor(G / c)
                cod_day, _, cod_total = min(frees, key=lambda f: f[2])
                cod_day = cod_day if cod_total < max(cod for _, _, cod in frees) else None
                cod_fit = cod_total * plan.cod_share.denominator // plan.cod_share.numerator
                bound.offer(
                    _volume_bound(cod_fit, 1, line.share),
                    lambda region=region, day=cod_day: Limit(
                        COURIER,
                        region.code,
                        f"couriers that collect cash in {region.name}",
                        day,
                        _lane_why(ctx, region.id, day),
                    ),
                )
        if first_short:
            day, total = first_short
            more = f" (short on {short_days} days)" if short_days > 1 else ""
            findings.append(
                Finding(
                    COURIER,
                    ERROR,
                    "courier_over",
                    region.code,
                    f"{region.name} can take {total} orders/day; the plan needs {needed} on {_day_label(day)}{more}.",
                    day,
                    needed,
                    total,
                )
            )
        if first_cod_short:
            day, total = first_cod_short
            findings.append(
                Finding(
                    COURIER,
                    ERROR,
                    "cod_over",
                    region.code,
                    f"Couriers that collect cash in {region.name} can take {total} COD orders/day; the plan needs "
                    f"{needed_cod} on {_day_label(day)}.",
                    day,
                    needed_cod,
                    total,
                )
            )
    return findings, bound


def tickets_per_order(plan: Plan, snap: Snapshot) -> Fraction:
    """Support tickets an order of the plan brings: its SKUs' contact rates (a SKU's own,
    else the brand's), weighted by their shares, plus the follow-ups of the orders that
    come back (return rate × `return_contact_factor`) and of the deliveries that fail
    (the plan's regions' lanes' NDR rate × `ndr_contact_factor`)."""
    total_share = sum((line.share for line in plan.skus), Fraction(0)) or Fraction(1)
    contact = returns = Fraction(0)
    for line in plan.skus:
        sku = snap.skus[line.sku_id]
        contact += line.share * (snap.contact_rate if sku.contact_rate is None else sku.contact_rate)
        returns += line.share * sku.return_rate
    ndr = Fraction(0)
    for line in plan.regions:
        lanes = [lane for lane in snap.lanes if lane.region_id == line.region_id]
        rate = _weighted((lane.ndr_rate, lane.daily_capacity) for lane in lanes)
        if rate is not None:
            ndr += line.share * rate
    return (contact + returns * snap.return_contact_factor) / total_share + ndr * snap.ndr_contact_factor


def daily_tickets(plan: Plan, snap: Snapshot, volume: int | None = None, *, per_order: Fraction | None = None) -> int:
    """Tickets a day the plan brings at `volume` orders/day (rounded up)."""
    volume = plan.orders_per_day if volume is None else volume
    per_order = tickets_per_order(plan, snap) if per_order is None else per_order
    return _ceil(volume * per_order)


def support_capacity(
    teams: Iterable[SupportTeamInfo], day: date, constraints: Iterable[ConstraintInfo]
) -> tuple[int, str]:
    """Tickets the active support teams can answer on `day` for campaigns: agents × tickets
    per agent × the team's constraint factor that day (a holiday, a reduced day), less
    business as usual; and the constraint that cuts it, if one does."""
    constraints = list(constraints)
    total, why = 0, ""
    for team in teams:
        factor, reason = Fraction(1), ""
        for c in constraints:
            if c.support_team_id == team.id and c.covers(day) and c.factor < factor:
                factor, reason = c.factor, (c.note or c.kind.replace("_", " "))
        gross = team.agents_per_day * team.tickets_per_agent_per_day
        total += gross * factor.numerator // factor.denominator - team.baseline_tickets_per_day
        why = why or reason
    return total, why


def _support_free(ctx: _Context) -> list[tuple[date, int, str]]:
    """Per active day: tickets support can still answer before this plan, and why it is cut."""
    snap = ctx.snap
    found = ctx._support_days
    if found is None:
        constraints = [c for c in snap.constraints if c.support_team_id is not None]
        found = []
        for day in ctx.active_days:
            capacity, why = support_capacity(snap.support_teams, day, constraints)
            found.append((day, capacity - snap.support_held(day), why))
        ctx._support_days = found
    return found


def _check_support(ctx: _Context, volume: int) -> tuple[list[Finding], _Bound]:
    """Days on which the plan's tickets exceed what support can answer."""
    plan, snap = ctx.plan, ctx.snap
    bound = _Bound()
    frees = _support_free(ctx)
    if not frees:
        return [], bound
    per_order = tickets_per_order(plan, snap)
    needed = daily_tickets(plan, snap, volume, per_order=per_order)
    least_day, least, least_why = min(frees, key=lambda f: f[1])
    varies = least < max(free for _, free, _ in frees)
    bound.offer(
        _volume_bound(max(least, 0), 1, per_order),
        lambda: Limit(SUPPORT, "support", "what support can answer", least_day if varies else None, least_why),
    )
    short = [(day, free, why) for day, free, why in frees if needed > max(free, 0)]
    if not short:
        return [], bound
    day, free, why = short[0]
    more = f" (and {len(short) - 1} more day{'s' if len(short) > 2 else ''})" if len(short) > 1 else ""
    reason = f" ({why})" if why else ""
    message = (
        f"Support can answer {max(free, 0):,} tickets on {_day_label(day)}{reason}; the plan brings {needed:,}{more}."
    )
    return [Finding(SUPPORT, ERROR, "support_over", "support", message, day, needed, max(free, 0))], bound


def _lane_why(ctx: _Context, region_id: int, day: date | None) -> str:
    """The constraint that cuts a region's lanes on `day`, if one does (a courier holiday)."""
    if day is None:
        return ""
    for lane in ctx.lanes_by_region.get(region_id, []):
        factor, why = ctx.factor(day, courier_id=lane.courier_id, region_id=region_id)
        if factor < 1:
            return why
    return ""


def _check_risk(ctx: _Context) -> tuple[list[Finding], float | None, float | None]:
    plan, snap = ctx.plan, ctx.snap
    findings: list[Finding] = []
    days = plan.days
    for line in plan.regions:
        region = snap.regions[line.region_id]
        lanes = ctx.lanes_by_region.get(region.id, [])
        if not lanes:
            continue
        ndr = _weighted((lane.ndr_rate, lane.daily_capacity) for lane in lanes)
        delivery = _weighted((lane.avg_delivery_days, lane.daily_capacity) for lane in lanes)
        orders = region_orders(plan, line.share) * days
        if plan.cod_share > 0 and ndr is not None and ndr > snap.ndr_threshold:
            failed = round(orders * plan.cod_share * ndr)
            findings.append(
                Finding(
                    RISK,
                    WARNING,
                    "ndr_risk",
                    region.code,
                    f"{round(float(ndr) * 100)}% of deliveries fail in {region.name}; expect about {failed} failed "
                    f"COD deliveries out of {orders} orders.",
                    None,
                    failed,
                    None,
                )
            )
        if delivery is not None and delivery > plan.delivery_promise_days:
            findings.append(
                Finding(
                    RISK,
                    WARNING,
                    "slow_delivery",
                    region.code,
                    f"Couriers to {region.name} average {float(delivery):.1f} days; the plan promises "
                    f"{plan.delivery_promise_days}.",
                )
            )
    weighted_returns = Fraction(0)
    for line in plan.skus:
        sku = snap.skus[line.sku_id]
        weighted_returns += line.share * sku.return_rate
        if sku.return_rate > snap.return_rate_threshold:
            findings.append(
                Finding(
                    RISK,
                    WARNING,
                    "return_rate",
                    sku.code,
                    f"{round(float(sku.return_rate) * 100)}% of {sku.name} units come back.",
                )
            )
    gross = net = None
    if plan.budget > 0:
        revenue = plan.orders_per_day * days * plan.expected_order_value
        gross = round(float(revenue / plan.budget), 2)
        net = round(float(revenue * (1 - weighted_returns) / plan.budget), 2)
        if revenue > 0:
            findings.append(
                Finding(
                    RISK,
                    WARNING if net < 1 <= gross else INFO,
                    "roas",
                    "roas",
                    f"ROAS is {gross:.1f}x on gross revenue and {net:.1f}x after "
                    f"{round(float(weighted_returns) * 100)}% returns.",
                )
            )
    return findings, gross, net


# --------------------------------------------------------------------------- reservations


def approved_plan(plan: Plan, caps: dict[int, int]) -> Plan:
    """The plan as an inventory approval with per-SKU decisions lets it run (issue 19).

    `caps`: per SKU id, the units/day ops approved (0: refused); SKUs not in it are
    approved as planned. Orders that would come from the units ops dropped do not
    happen, so the approved plan runs at the planned orders/day times the share of
    units still approved, rounded down: orders × Σ(approved share) / Σ(share), where a
    refused line's approved share is 0 and a capped line's is its share × cap ÷ its
    planned units/day (orders × units per order × share). The SKU mix is renormalised
    over what remains, so at the approved volume each approved line gets its planned
    units/day and each capped line at most its cap; refused lines are gone. With no
    line refused or capped it is the plan itself.
    """
    kept: list[SkuLine] = []
    for line in plan.skus:
        cap = caps.get(line.sku_id)
        if cap is None:
            kept.append(line)
            continue
        planned = plan.orders_per_day * plan.units_per_order * line.share
        if cap <= 0 or planned <= 0:
            continue
        kept.append(SkuLine(line.sku_id, line.share * min(Fraction(1), Fraction(cap) / planned)))
    total = sum((line.share for line in plan.skus), Fraction(0))
    left = sum((line.share for line in kept), Fraction(0))
    if total <= 0 or left == total:
        return plan
    if left <= 0:
        return replace(plan, orders_per_day=0, skus=())
    ratio = left / total
    return replace(
        plan,
        orders_per_day=math.floor(plan.orders_per_day * ratio),
        skus=tuple(SkuLine(line.sku_id, line.share / ratio) for line in kept),
    )


def planned_units(plan: Plan, sku_share: Fraction) -> int:
    """A SKU's units/day in the plan at its orders/day (what a capped line must stay below)."""
    return daily_units(plan, sku_share, Fraction(1))


def plan_reservations(plan: Plan, snap: Snapshot, dimension: str, volume: int) -> list[ReservationLine]:
    """The rows an approval of `dimension` at `volume` orders/day holds.

    Stock is held per SKU and warehouse (network-wide for regions without one);
    support tickets per day; courier orders per lane, filling cash-on-delivery orders into lanes that
    collect cash first; dispatch slots per warehouse.
    """
    ctx = _Context(plan, snap)
    rows: list[ReservationLine] = []
    if volume <= 0:
        return rows
    if dimension == SUPPORT:
        tickets = daily_tickets(plan, snap, volume)
        return [ReservationLine("support", d, tickets) for d in ctx.active_days] if tickets > 0 else []
    if dimension == INVENTORY:
        for line in plan.skus:
            for pool, share in sorted(ctx.pool_share.items(), key=lambda p: (p[0] is None, p[0] or 0)):
                qty = daily_units(plan, line.share, share, volume)
                if qty > 0:
                    rows += [
                        ReservationLine("stock", d, qty, sku_id=line.sku_id, warehouse_id=pool) for d in ctx.active_days
                    ]
        return rows
    for pool, share in sorted(ctx.pool_share.items(), key=lambda p: (p[0] is None, p[0] or 0)):
        qty = region_orders(plan, share, volume)
        if qty > 0:
            rows += [ReservationLine("dispatch", d, qty, warehouse_id=pool) for d in ctx.active_days]
    for line in plan.regions:
        needed = region_orders(plan, line.share, volume)
        cod = cod_orders(plan, needed)
        lanes = ctx.lanes_by_region.get(line.region_id, [])
        for day in ctx.active_days:
            free = {lane.id: max(ctx.lane_free(lane, day), 0) for lane in lanes}
            taken: dict[int, int] = defaultdict(int)
            # COD orders only on lanes that collect cash; the rest prefer the other lanes.
            cod_lanes = sorted((lane for lane in lanes if lane.cod_supported), key=lambda ln: (-free[ln.id], ln.id))
            other_lanes = sorted(lanes, key=lambda ln: (ln.cod_supported, -free[ln.id], ln.id))
            for group, amount in ((cod_lanes, cod), (other_lanes, needed - cod)):
                for lane in group:
                    if amount <= 0:
                        break
                    take = min(amount, free[lane.id] - taken[lane.id])
                    if take > 0:
                        taken[lane.id] += take
                        amount -= take
                if amount > 0 and group:  # over capacity: the check refuses before this is written
                    taken[group[0].id] += amount
            rows += [ReservationLine("lane", day, q, lane_id=lane_id) for lane_id, q in sorted(taken.items()) if q]
    return rows
