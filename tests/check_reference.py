"""The capacity check as it was before the fast path (commit f39250b), kept unchanged as the
oracle for tests/test_check_fast_path.py: a straightforward day-by-day walk that is slow
but easy to read. Not used by the app."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from fractions import Fraction

# The types are the app's own (the oracle re-implements only the check, not its vocabulary).
from capacity.check_types import (
    COURIER,
    DISPATCH,
    ERROR,
    EXCEEDS,
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
    Plan,
    ReservationLine,
    Snapshot,
    WarehouseInfo,
)

# --------------------------------------------------------------------------- helpers


def _ceil(value: Fraction) -> int:
    return math.ceil(value)


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
        if warehouse_id is not None and c.warehouse_id == warehouse_id:
            hit = True
        elif courier_id is not None and c.courier_id == courier_id:
            hit = c.region_id is None or c.region_id == region_id
        elif region_id is not None and c.courier_id is None and c.warehouse_id is None:
            hit = c.region_id == region_id
        else:
            hit = False
        if hit and c.factor < best:
            best, why = c.factor, (c.note or c.kind.replace("_", " "))
    return best, why


def lane_capacity(lane: LaneInfo, day: date, constraints: Iterable[ConstraintInfo]) -> int:
    """Orders a lane can take on `day` for campaigns: capacity × constraints − business as usual."""
    factor, _ = constraint_factor(constraints, day, courier_id=lane.courier_id, region_id=lane.region_id)
    return math.floor(lane.daily_capacity * factor) - lane.baseline_orders_per_day


def dispatch_capacity(warehouse: WarehouseInfo, day: date, constraints: Iterable[ConstraintInfo]) -> tuple[int, str]:
    """Orders a warehouse can dispatch on `day` for campaigns, and the constraint that limits it."""
    factor, why = constraint_factor(constraints, day, warehouse_id=warehouse.id)
    capacity = math.floor(warehouse.daily_dispatch_capacity * factor) - warehouse.baseline_orders_per_day
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

    def factor(self, day: date, *, warehouse_id=None, courier_id=None, region_id=None) -> tuple[Fraction, str]:
        return constraint_factor(
            self.snap.constraints, day, warehouse_id=warehouse_id, courier_id=courier_id, region_id=region_id
        )

    def lane_free(self, lane: LaneInfo, day: date) -> int:
        return lane_capacity(lane, day, self.snap.constraints) - self.snap.lane_held(lane.id, day)

    def dispatch_free(self, warehouse: WarehouseInfo, day: date) -> tuple[int, str]:
        capacity, why = dispatch_capacity(warehouse, day, self.snap.constraints)
        return capacity - self.snap.dispatch_held(warehouse.id, day), why


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


def run_check(plan: Plan, snap: Snapshot, dimensions: Iterable[str] = SIGN_OFF_DIMENSIONS) -> CheckResult:
    """Check `plan` against `snap` for the given sign-off dimensions."""
    dimensions = tuple(dimensions)
    ctx = _Context(plan, snap)
    findings: list[Finding] = []
    bounds: dict[str, int] = {}
    if INVENTORY in dimensions:
        found, bound = _check_inventory(ctx, plan.orders_per_day)
        findings += found
        bounds[INVENTORY] = _confirm(bound, lambda v: not _check_inventory(ctx, v)[0])
    if COURIER in dimensions:
        found_d, bound_d = _check_dispatch(ctx, plan.orders_per_day)
        found_c, bound_c = _check_courier(ctx, plan.orders_per_day)
        findings += found_d + found_c
        bounds[COURIER] = _confirm(
            min(bound_d, bound_c),
            lambda v: not _check_dispatch(ctx, v)[0] and not _check_courier(ctx, v)[0],
        )
    if SUPPORT in dimensions:
        found, bound = _check_support(ctx, plan.orders_per_day)
        findings += found
        bounds[SUPPORT] = _confirm(bound, lambda v: not _check_support(ctx, v)[0])
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
    )


_UNBOUNDED = 10**9


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


def _check_inventory(ctx: _Context, volume: int) -> tuple[list[Finding], int]:
    plan, snap = ctx.plan, ctx.snap
    findings: list[Finding] = []
    bound = _UNBOUNDED
    if not ctx.active_days:
        return findings, bound
    first_active, last_active = ctx.active_days[0], ctx.active_days[-1]
    # Stock is used up: a unit this plan takes now is missing for what other campaigns
    # already hold later, so look as far as the last day anything is held.
    last_held: dict[int, date] = {}
    for sku_id, _, day in snap.reserved_stock:
        if day > last_held.get(sku_id, day - timedelta(days=1)):
            last_held[sku_id] = day
    inbound_by = defaultdict(int)
    for sku_id, wh_id, expected_on, qty in snap.inbound:
        inbound_by[(sku_id, wh_id, max(expected_on, snap.today))] += qty
    for line in plan.skus:
        sku = snap.skus[line.sku_id]
        pools = {pool: share for pool, share in ctx.pool_share.items() if share > 0}
        units = {pool: daily_units(plan, line.share, share, volume) for pool, share in pools.items()}
        coeff = {pool: plan.units_per_order * line.share * share for pool, share in pools.items()}
        # Running availability per warehouse pool, and for the whole network.
        avail = {pool: snap.on_hand.get((sku.id, pool), 0) for pool in pools if pool is not NETWORK}
        network = sum(q for (s, _), q in snap.on_hand.items() if s == sku.id) - sku.safety_stock
        shortfall: dict[int | None, tuple[date, int, int]] = {}
        network_short: tuple[date, int, int] | None = None
        active = 0
        for day in _days(snap.today, max(plan.ends_on, last_held.get(sku.id, plan.ends_on))):
            for wh_id in snap.warehouses:
                arrived = inbound_by.get((sku.id, wh_id, day), 0)
                network += arrived
                if wh_id in avail:
                    avail[wh_id] += arrived
            network -= sku.baseline_units_per_day
            network -= sum(snap.stock_held(sku.id, pool, day) for pool in _stock_pools(snap))
            for wh_id in avail:
                avail[wh_id] -= snap.stock_held(sku.id, wh_id, day)
            if first_active <= day <= last_active:
                active += 1
            if active == 0:
                continue
            for wh_id, available in avail.items():
                needed = units[wh_id] * active
                if wh_id not in shortfall and needed > available:
                    shortfall[wh_id] = (day, needed, available)
                bound = min(bound, _volume_bound(available, active, coeff[wh_id]))
            needed_network = sum(units.values()) * active
            if network_short is None and needed_network > network:
                network_short = (day, needed_network, network)
            bound = min(bound, _volume_bound(network, active, sum(coeff.values(), Fraction(0))))
        for wh_id, (day, needed, available) in shortfall.items():
            wh = snap.warehouses[wh_id]
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
            day, needed, available = network_short
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


def _stock_pools(snap: Snapshot) -> list[int | None]:
    return [*snap.warehouses.keys(), NETWORK]


def _volume_bound(available: int, days: int, coeff: Fraction) -> int:
    """Largest volume V with days × ceil(V × coeff) ≤ available."""
    if coeff <= 0:
        return _UNBOUNDED
    if available < 0:
        return 0
    return math.floor(Fraction(available // days) / coeff)


def _check_dispatch(ctx: _Context, volume: int) -> tuple[list[Finding], int]:
    plan, snap = ctx.plan, ctx.snap
    findings: list[Finding] = []
    bound = _UNBOUNDED
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
    for day in ctx.active_days:
        network_free = -snap.dispatch_held(NETWORK, day)
        for wh_id, wh in snap.warehouses.items():
            free, why = ctx.dispatch_free(wh, day)
            network_free += max(free, 0)
            if wh_id in demand:
                network_free -= demand[wh_id]
                if demand[wh_id] > free:
                    short.setdefault(wh_id, [day, demand[wh_id], max(free, 0), why, 0])[4] += 1
                bound = min(bound, _volume_bound(free, 1, ctx.pool_share[wh_id]))
        # Warehouse-specific and pooled demand together must fit what the network
        # can still dispatch (pooled holds are not tied to one warehouse).
        own = sum(demand.values())
        if pooled > network_free and (network_matters or snap.dispatch_held(NETWORK, day) > 0):
            short.setdefault(NETWORK, [day, pooled + own, max(network_free + own, 0), "", 0])[4] += 1
        bound = min(bound, _volume_bound(network_free + own, 1, sum(ctx.pool_share.values(), Fraction(0))))
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


def _check_courier(ctx: _Context, volume: int) -> tuple[list[Finding], int]:
    plan, snap = ctx.plan, ctx.snap
    findings: list[Finding] = []
    bound = _UNBOUNDED
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
            bound = 0 if ctx.active_days else bound
            continue
        first_short = first_cod_short = None
        short_days = cod_short_days = 0
        for day in ctx.active_days:
            frees = [(lane, max(ctx.lane_free(lane, day), 0)) for lane in lanes]
            total = sum(f for _, f in frees)
            cod_total = sum(f for lane, f in frees if lane.cod_supported)
            if needed > total:
                short_days += 1
                first_short = first_short or (day, total)
            if needed_cod > cod_total:
                cod_short_days += 1
                first_cod_short = first_cod_short or (day, cod_total)
            bound = min(bound, _volume_bound(total, 1, line.share))
            if plan.cod_share > 0:
                # ceil(ceil(V·s)·c) ≤ G  ⇔  V·s ≤ floor(G / c)
                bound = min(bound, _volume_bound(math.floor(Fraction(cod_total) / plan.cod_share), 1, line.share))
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


def plan_reservations(plan: Plan, snap: Snapshot, dimension: str, volume: int) -> list[ReservationLine]:
    """The rows an approval of `dimension` at `volume` orders/day holds.

    Stock is held per SKU and warehouse (network-wide for regions without one);
    courier orders per lane, filling cash-on-delivery orders into lanes that
    collect cash first; dispatch slots per warehouse.
    """
    ctx = _Context(plan, snap)
    rows: list[ReservationLine] = []
    if volume <= 0:
        return rows
    if dimension == SUPPORT:
        tickets = _ceil(volume * _tickets_per_order(plan, snap))
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


# --------------------------------------------------------------------------- customer support (issue 19.1)


def _tickets_per_order(plan: Plan, snap: Snapshot) -> Fraction:
    """Contact (the SKU's rate or the brand's) and return follow-ups, per unit of SKU share;
    failed-delivery follow-ups by the regions' lanes' capacity-weighted NDR."""
    shares = sum((line.share for line in plan.skus), Fraction(0))
    per_sku = Fraction(0)
    for line in plan.skus:
        sku = snap.skus[line.sku_id]
        rate = snap.contact_rate if sku.contact_rate is None else sku.contact_rate
        per_sku += line.share * (rate + sku.return_rate * snap.return_contact_factor)
    per_sku = per_sku / shares if shares else per_sku
    failed = Fraction(0)
    for line in plan.regions:
        ndr = _weighted((lane.ndr_rate, lane.daily_capacity) for lane in snap.lanes if lane.region_id == line.region_id)
        failed += line.share * (ndr or 0)
    return per_sku + failed * snap.ndr_contact_factor


def _support_free(snap: Snapshot, day: date) -> tuple[int, str]:
    """Tickets the teams can still answer on `day`, and the first team constraint that cuts it."""
    total, why = 0, ""
    for team in snap.support_teams:
        factor, reason = Fraction(1), ""
        for c in snap.constraints:
            if c.support_team_id == team.id and c.starts_on <= day <= c.ends_on and c.factor < factor:
                factor, reason = c.factor, (c.note or c.kind.replace("_", " "))
        total += math.floor(team.agents_per_day * team.tickets_per_agent_per_day * factor)
        total -= team.baseline_tickets_per_day
        why = why or reason
    return total - snap.support_held(day), why


def _check_support(ctx: _Context, volume: int) -> tuple[list[Finding], int]:
    snap = ctx.snap
    if not ctx.active_days:
        return [], _UNBOUNDED
    per_order = _tickets_per_order(ctx.plan, snap)
    needed = _ceil(volume * per_order)
    frees = [(day, *_support_free(snap, day)) for day in ctx.active_days]
    bound = min(_volume_bound(max(free, 0), 1, per_order) for _, free, _ in frees)
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
