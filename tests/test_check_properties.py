"""Properties of the pure capacity check (`capacity.checks.run_check`), on small random
worlds built directly as `checks.Snapshot` and `checks.Plan` (no database).

Only the capacity part of a result is compared: the error findings (by dimension,
code and subject; their day and numbers may move) and `max_orders_per_day`. Risk
findings are warnings whose wording depends on volume (ROAS), not capacity.

Numbers are drawn small as often as large: tight fits and rounding live there.
Each property also runs on pinned worlds (`@example`) that once broke it.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from capacity import checks

TODAY = date(2026, 11, 23)
HORIZON = [TODAY + timedelta(days=i) for i in range(-3, 22)]  # every day a plan below can touch
SKU_IDS = (1, 2, 3)
WAREHOUSE_IDS = (11, 12)
REGION_IDS = (21, 22, 23)
COURIER_IDS = (31, 32)
LANE_IDS = (41, 42, 43)
FACTORS = [Fraction(0), Fraction(1, 4), Fraction(1, 2), Fraction(4, 5), Fraction(1)]
UNBOUNDED = 10**9

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


def amount(high: int, low: int = 0):
    """Small numbers as often as large ones."""
    return st.one_of(st.integers(low, 60), st.integers(low, high))


def baseline(high: int):
    return st.one_of(st.just(0), st.integers(0, 60), st.integers(0, high))


# --------------------------------------------------------------------------- strategies


@st.composite
def snapshots(draw, *, reservations: bool = True) -> checks.Snapshot:
    """1–3 SKUs, 1–2 warehouses, 1–3 regions, 1–3 lanes, constraints and other campaigns' holds."""
    sku_ids = SKU_IDS[: draw(st.integers(1, 3))]
    wh_ids = WAREHOUSE_IDS[: draw(st.integers(1, 2))]
    region_ids = REGION_IDS[: draw(st.integers(1, 3))]
    lane_ids = LANE_IDS[: draw(st.integers(1, 3))]
    skus = {
        i: checks.SkuInfo(
            i,
            f"SKU{i}",
            f"Product {i}",
            safety_stock=draw(amount(300)),
            baseline_units_per_day=draw(baseline(50)),
            return_rate=draw(st.sampled_from([Fraction(0), Fraction(1, 10), Fraction(3, 10)])),
        )
        for i in sku_ids
    }
    warehouses = {
        i: checks.WarehouseInfo(
            i,
            f"WH{i}",
            f"Warehouse {i}",
            daily_dispatch_capacity=draw(amount(3_000)),
            baseline_orders_per_day=draw(baseline(200)),
        )
        for i in wh_ids
    }
    regions = {
        i: checks.RegionInfo(i, f"R{i}", f"City {i}", draw(st.sampled_from([*wh_ids, None]))) for i in region_ids
    }
    lanes = []
    for n, i in enumerate(lane_ids):
        courier_id = draw(st.sampled_from(COURIER_IDS))
        # Mostly the regions in turn (so that most regions have a lane); sometimes anywhere.
        region_id = region_ids[n % len(region_ids)] if draw(st.integers(0, 3)) else draw(st.sampled_from(region_ids))
        lanes.append(
            checks.LaneInfo(
                i,
                courier_id,
                f"C{courier_id}",
                region_id,
                daily_capacity=draw(amount(2_000)),
                baseline_orders_per_day=draw(baseline(100)),
                avg_delivery_days=Fraction(draw(st.integers(1, 8))),
                ndr_rate=draw(st.sampled_from([Fraction(1, 20), Fraction(3, 10)])),
                cod_supported=draw(st.integers(0, 3)) > 0,
            )
        )
    on_hand = {(s, w): draw(amount(20_000)) for s in sku_ids for w in wh_ids if draw(st.booleans())}
    inbound = [
        (draw(st.sampled_from(sku_ids)), draw(st.sampled_from(wh_ids)), draw(st.sampled_from(HORIZON)), quantity)
        for quantity in draw(st.lists(st.integers(1, 5_000), max_size=3))
    ]
    constraints = []
    for _ in range(draw(st.integers(0, 3))):
        first = draw(st.sampled_from(HORIZON))
        scope = draw(st.sampled_from(["warehouse", "courier", "courier_region", "region"]))
        constraints.append(
            checks.ConstraintInfo(
                kind={"warehouse": "warehouse_blackout", "region": "reduced_capacity"}.get(scope, "courier_holiday"),
                starts_on=first,
                ends_on=first + timedelta(days=draw(st.integers(0, 5))),
                factor=draw(st.sampled_from(FACTORS)),
                warehouse_id=draw(st.sampled_from(wh_ids)) if scope == "warehouse" else None,
                courier_id=draw(st.sampled_from(COURIER_IDS)) if scope.startswith("courier") else None,
                region_id=draw(st.sampled_from(region_ids)) if scope in ("courier_region", "region") else None,
            )
        )
    snap = checks.Snapshot(
        today=TODAY,
        skus=skus,
        warehouses=warehouses,
        regions=regions,
        lanes=lanes,
        on_hand=on_hand,
        inbound=inbound,
        constraints=constraints,
    )
    if reservations:
        pools = [*wh_ids, None]
        days = st.sampled_from(HORIZON)
        held = st.lists(amount(1_000, low=1), max_size=4)
        for q in draw(held):
            snap.reserved_stock[(draw(st.sampled_from(sku_ids)), draw(st.sampled_from(pools)), draw(days))] = q
        for q in draw(held):
            snap.reserved_dispatch[(draw(st.sampled_from(pools)), draw(days))] = q
        for q in draw(held):
            snap.reserved_lane[(draw(st.sampled_from(lane_ids)), draw(days))] = q
    return snap


def _shares(draw, ids):
    """Random positive weights over a non-empty subset of `ids`, as exact shares summing to 1."""
    chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True))
    weights = [draw(st.integers(1, 10)) for _ in chosen]
    return [(i, Fraction(w, sum(weights))) for i, w in zip(chosen, weights, strict=True)]


@st.composite
def plans(draw, snap: checks.Snapshot) -> checks.Plan:
    """A plan of 1–14 days (starting up to 2 days ago) over some of the snapshot's SKUs and regions."""
    starts_on = TODAY + timedelta(days=draw(st.integers(-2, 5)))
    return checks.Plan(
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=draw(st.integers(1, 14)) - 1),
        orders_per_day=draw(amount(3_000, low=1)),
        units_per_order=draw(st.sampled_from([Fraction(1), Fraction(3, 2), Fraction(2), Fraction(3)])),
        cod_share=draw(st.sampled_from([Fraction(0), Fraction(1, 10), Fraction(3, 10), Fraction(1, 2), Fraction(1)])),
        delivery_promise_days=draw(st.integers(1, 7)),
        budget=Fraction(draw(st.sampled_from([0, 50_000]))),
        expected_order_value=Fraction(999),
        skus=tuple(checks.SkuLine(i, s) for i, s in _shares(draw, sorted(snap.skus))),
        regions=tuple(checks.RegionLine(i, s) for i, s in _shares(draw, sorted(snap.regions))),
    )


@st.composite
def worlds(draw) -> tuple[checks.Plan, checks.Snapshot]:
    snap = draw(snapshots())
    return draw(plans(snap)), snap


@st.composite
def more_capacity(draw, snap: checks.Snapshot) -> checks.Snapshot:
    """`snap` with (maybe) more stock and inbound, lane and dispatch capacity, and fewer reservations."""
    grow = st.one_of(st.just(0), st.integers(0, 60), st.integers(0, 5_000))
    on_hand = dict(snap.on_hand)
    for key in [(s, w) for s in snap.skus for w in snap.warehouses]:
        if draw(st.booleans()):
            on_hand[key] = on_hand.get(key, 0) + draw(grow)
    inbound = list(snap.inbound)
    if draw(st.booleans()):
        inbound.append(
            (
                draw(st.sampled_from(sorted(snap.skus))),
                draw(st.sampled_from(sorted(snap.warehouses))),
                draw(st.sampled_from(HORIZON)),
                draw(st.integers(1, 5_000)),
            )
        )

    def fewer(held: dict) -> dict:
        return {key: q - draw(st.integers(0, q)) for key, q in held.items()}

    return replace(
        snap,
        on_hand=on_hand,
        inbound=inbound,
        lanes=[replace(lane, daily_capacity=lane.daily_capacity + draw(grow)) for lane in snap.lanes],
        warehouses={
            i: replace(w, daily_dispatch_capacity=w.daily_dispatch_capacity + draw(grow))
            for i, w in snap.warehouses.items()
        },
        reserved_stock=fewer(snap.reserved_stock),
        reserved_dispatch=fewer(snap.reserved_dispatch),
        reserved_lane=fewer(snap.reserved_lane),
    )


@st.composite
def capacity_pairs(draw):
    plan, snap = draw(worlds())
    return plan, snap, draw(more_capacity(snap))


@st.composite
def competing_plans(draw):
    """A world without holds and 2–4 campaigns that will be approved one after another."""
    snap = draw(snapshots(reservations=False))
    return snap, draw(st.lists(plans(snap), min_size=2, max_size=4))


# --------------------------------------------------------------------------- pinned worlds


def _split_sku_world(stock: int) -> tuple[checks.Plan, checks.Snapshot]:
    """A SKU with a 1/10 share sent half to a warehouse's region and half to a region
    without one: per-pool rounding makes the analytic volume bound overshoot by ~10."""
    snap = checks.Snapshot(
        today=TODAY,
        skus={1: checks.SkuInfo(1, "TEE", "Tee"), 2: checks.SkuInfo(2, "CAP", "Cap")},
        warehouses={11: checks.WarehouseInfo(11, "BOM", "Bhiwandi", 10**6)},
        regions={21: checks.RegionInfo(21, "MUM", "Mumbai", 11), 22: checks.RegionInfo(22, "GOA", "Goa", None)},
        lanes=[checks.LaneInfo(41, 31, "C31", 21, 10**6), checks.LaneInfo(42, 31, "C31", 22, 10**6)],
        on_hand={(1, 11): stock, (2, 11): 10**6},
    )
    plan = checks.Plan(
        starts_on=TODAY,
        ends_on=TODAY,
        orders_per_day=100,
        units_per_order=Fraction(1),
        cod_share=Fraction(0),
        delivery_promise_days=4,
        budget=Fraction(0),
        expected_order_value=Fraction(0),
        skus=(checks.SkuLine(1, Fraction(1, 10)), checks.SkuLine(2, Fraction(9, 10))),
        regions=(checks.RegionLine(21, Fraction(1, 2)), checks.RegionLine(22, Fraction(1, 2))),
    )
    return plan, snap


def _shared_dispatch_world() -> tuple[checks.Snapshot, list[checks.Plan]]:
    """One warehouse dispatching 1,000 orders/day; Goa has no warehouse (draws on the
    network), Mumbai is served by the warehouse. Each campaign wants all 1,000."""
    snap = checks.Snapshot(
        today=TODAY,
        skus={1: checks.SkuInfo(1, "TEE", "Tee")},
        warehouses={11: checks.WarehouseInfo(11, "BOM", "Bhiwandi", 1_000)},
        regions={21: checks.RegionInfo(21, "MUM", "Mumbai", 11), 22: checks.RegionInfo(22, "GOA", "Goa", None)},
        lanes=[checks.LaneInfo(41, 31, "C31", 21, 10**6), checks.LaneInfo(42, 31, "C31", 22, 10**6)],
        on_hand={(1, 11): 10**6},
    )
    base = _split_sku_world(0)[0]
    goa = replace(
        base,
        orders_per_day=1_000,
        skus=(checks.SkuLine(1, Fraction(1)),),
        regions=(checks.RegionLine(22, Fraction(1)),),
    )
    mumbai = replace(goa, regions=(checks.RegionLine(21, Fraction(1)),))
    return snap, [goa, mumbai]


def _early_ender_world() -> tuple[checks.Snapshot, list[checks.Plan]]:
    """16 units free. The first campaign takes 4 a day for 4 days (all 16); the second
    wants 1 unit on the first day only, and ends before the first campaign does."""
    snap, [goa, _] = _shared_dispatch_world()
    snap = replace(snap, on_hand={(1, 11): 17}, skus={1: checks.SkuInfo(1, "TEE", "Tee", safety_stock=1)})
    mumbai = replace(goa, regions=(checks.RegionLine(21, Fraction(1)),))
    four_days = replace(mumbai, orders_per_day=4, ends_on=TODAY + timedelta(days=3))
    one_day = replace(mumbai, orders_per_day=1)
    return snap, [four_days, one_day]


# --------------------------------------------------------------------------- helpers


def error_keys(result: checks.CheckResult) -> set[tuple[str, str, str]]:
    return {(f.dimension, f.code, f.subject) for f in result.errors()}


def capacity_rank(result: checks.CheckResult) -> int:
    """fits (0) < exceeds (2), on capacity alone; warnings are risk, not capacity."""
    return 2 if result.errors() else 0


def hold(snap: checks.Snapshot, rows: list[checks.ReservationLine]) -> None:
    """Add an approval's rows to the snapshot, as other campaigns' holds."""
    for row in rows:
        if row.kind == "stock":
            held, key = snap.reserved_stock, (row.sku_id, row.warehouse_id, row.day)
        elif row.kind == "dispatch":
            held, key = snap.reserved_dispatch, (row.warehouse_id, row.day)
        else:
            held, key = snap.reserved_lane, (row.lane_id, row.day)
        held[key] = held.get(key, 0) + row.quantity


# --------------------------------------------------------------------------- properties


@PROPERTY_SETTINGS
@given(case=capacity_pairs())
@example(case=(*_split_sku_world(32), _split_sku_world(33)[1]))  # one more unit of stock
def test_more_capacity_never_makes_the_verdict_worse(case):
    plan, snap, bigger = case
    before, after = checks.run_check(plan, snap), checks.run_check(plan, bigger)
    assert error_keys(after) <= error_keys(before)
    assert capacity_rank(after) <= capacity_rank(before)
    for dimension, bound in before.max_by_dimension.items():
        assert after.max_by_dimension[dimension] >= bound, f"{dimension}: max dropped from {bound}"
    assert after.max_orders_per_day >= before.max_orders_per_day


@PROPERTY_SETTINGS
@given(world=worlds(), extra=amount(3_000, low=1))
def test_more_demand_never_makes_the_verdict_better(world, extra):
    plan, snap = world
    before = checks.run_check(plan, snap)
    after = checks.run_check(plan.at_volume(plan.orders_per_day + extra), snap)
    assert error_keys(after) >= error_keys(before)
    assert capacity_rank(after) >= capacity_rank(before)


@PROPERTY_SETTINGS
@given(world=worlds())
@example(world=_split_sku_world(33))
def test_max_orders_per_day_is_the_largest_volume_that_fits(world):
    plan, snap = world
    top = checks.run_check(plan, snap).max_orders_per_day
    if 0 < top < UNBOUNDED:
        at_max = checks.run_check(plan.at_volume(top), snap)
        assert not at_max.errors(), f"max {top} does not fit: {[f.message for f in at_max.errors()]}"
    if top < UNBOUNDED:
        assert checks.run_check(plan.at_volume(top + 1), snap).errors(), f"max is {top}, yet {top + 1} fits"


@PROPERTY_SETTINGS
@given(world=worlds(), dimension=st.sampled_from(checks.SIGN_OFF_DIMENSIONS))
@example(world=_split_sku_world(33), dimension=checks.INVENTORY)
def test_max_by_dimension_is_the_largest_volume_a_sign_off_can_approve(world, dimension):
    # campaign_sign_off checks one dimension and reports max_by_dimension[dimension].
    plan, snap = world
    top = checks.run_check(plan, snap, dimensions=[dimension]).max_by_dimension[dimension]
    if 0 < top < UNBOUNDED:
        assert not checks.run_check(plan.at_volume(top), snap, dimensions=[dimension]).errors(dimension)
    if top < UNBOUNDED:
        above = checks.run_check(plan.at_volume(top + 1), snap, dimensions=[dimension])
        assert above.errors(dimension), f"{dimension} max is {top}, yet {top + 1} fits"


@PROPERTY_SETTINGS
@given(world=worlds(), data=st.data())
def test_reservations_at_an_accepted_volume_stay_within_free_capacity(world, data):
    plan, snap = world
    top = checks.run_check(plan, snap, dimensions=[checks.COURIER]).max_orders_per_day
    if not 0 < top < UNBOUNDED:
        return  # nothing can be approved (or nothing limits it)
    volume = data.draw(st.integers(1, top), label="volume")
    if checks.run_check(plan.at_volume(volume), snap, dimensions=[checks.COURIER]).errors():
        return  # never approved, so never reserved (the max property covers volumes up to max)

    rows = checks.plan_reservations(plan, snap, checks.COURIER, volume)
    # Free capacity as the check sees it: constraints, baseline and others' holds applied.
    ctx = checks._Context(plan, snap)
    lanes = {lane.id: lane for lane in snap.lanes}
    per_lane: dict[tuple[int, date], int] = defaultdict(int)
    per_warehouse: dict[tuple[int, date], int] = defaultdict(int)
    for row in rows:
        assert row.quantity > 0 and row.day in ctx.active_days
        if row.kind == "lane":
            per_lane[(row.lane_id, row.day)] += row.quantity
        elif row.kind == "dispatch" and row.warehouse_id is not None:
            per_warehouse[(row.warehouse_id, row.day)] += row.quantity
    for (lane_id, day), quantity in per_lane.items():
        free = max(ctx.lane_free(lanes[lane_id], day), 0)
        assert quantity <= free, f"lane {lane_id} on {day}: reserves {quantity}, {free} free"
    for (wh_id, day), quantity in per_warehouse.items():
        free, _ = ctx.dispatch_free(snap.warehouses[wh_id], day)
        assert quantity <= free, f"warehouse {wh_id} on {day}: reserves {quantity}, {free} free"
    # ... and every region's orders are held, every active day.
    for line in plan.regions:
        region_lanes = {lane.id for lane in snap.lanes if lane.region_id == line.region_id}
        for day in ctx.active_days:
            held = sum(q for (lane_id, d), q in per_lane.items() if d == day and lane_id in region_lanes)
            assert held == checks.region_orders(plan, line.share, volume)


@PROPERTY_SETTINGS
@given(case=competing_plans())
@example(case=_shared_dispatch_world())
@example(case=_early_ender_world())
def test_approvals_one_after_another_never_overbook_the_network(case):
    """What rule 2 relies on: each approval checked against the holds of the ones before."""
    snap, campaigns = case
    empty = replace(snap, reserved_stock={}, reserved_dispatch={}, reserved_lane={})
    for plan in campaigns:
        for dimension in checks.SIGN_OFF_DIMENSIONS:
            top = checks.run_check(plan, snap, dimensions=[dimension]).max_by_dimension[dimension]
            volume = min(top, plan.orders_per_day)
            if volume > 0 and not checks.run_check(plan.at_volume(volume), snap, dimensions=[dimension]).errors():
                hold(snap, checks.plan_reservations(plan, snap, dimension, volume))

    first, last = TODAY, max(day for *_, day in [*snap.reserved_dispatch, *snap.reserved_lane, (TODAY,)])
    ctx = checks._Context(replace(campaigns[0], starts_on=first, ends_on=last), empty)
    for day in checks._days(first, last):
        for lane in snap.lanes:
            held, free = snap.reserved_lane.get((lane.id, day), 0), max(ctx.lane_free(lane, day), 0)
            assert held <= free, f"lane {lane.id} on {day}: {held} held, capacity {free}"
        dispatch = {wh_id: max(ctx.dispatch_free(wh, day)[0], 0) for wh_id, wh in snap.warehouses.items()}
        for wh_id, free in dispatch.items():
            held = snap.reserved_dispatch.get((wh_id, day), 0)
            assert held <= free, f"warehouse {wh_id} on {day}: {held} held, capacity {free}"
        held = sum(q for (_, d), q in snap.reserved_dispatch.items() if d == day)
        assert held <= sum(dispatch.values()), f"network dispatch on {day}: {held} held, capacity {dispatch}"
    # Stock: units held up to each day within what has arrived by then, less safety stock.
    # (Business-as-usual sell-through is left out: the check protects it only over the
    # days a campaign runs or holds overlap, not after every campaign has ended.)
    for sku in snap.skus.values():
        held_days = [d for (s, _, d) in snap.reserved_stock if s == sku.id]
        if not held_days:
            continue
        free = sum(q for (s, _), q in snap.on_hand.items() if s == sku.id) - sku.safety_stock
        held = 0
        for day in checks._days(TODAY, max(held_days)):
            free += sum(q for s, _, on, q in snap.inbound if s == sku.id and max(on, TODAY) == day)
            held += sum(q for (s, _, d), q in snap.reserved_stock.items() if s == sku.id and d == day)
            assert not held or held <= free, f"{sku.code}: {held} units held by {day}, {free} free"
