"""The fast capacity check gives exactly the results of the straightforward one.

`tests/check_reference.py` is the check before it was made fast (a day-by-day walk
to the last day anything is held, a Fraction per comparison, a full re-run per
volume tried while confirming the maximum). On random worlds, with holds running
past the plan's end, the campaign's own holds inside the totals and arrivals late or
early, both must agree on everything: verdict, maxima, every finding's day, numbers
and wording, and the rows an approval would hold.
"""

from dataclasses import replace
from datetime import timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from capacity import checks
from tests import check_reference as reference
from tests.test_check_properties import HORIZON, TODAY, amount, worlds

LATER = [TODAY + timedelta(days=i) for i in range(-3, 90)]  # holds and arrivals well past any plan


@st.composite
def busy_worlds(draw):
    """A world of the property tests, with more holds (some long after the plan), some of
    them the checked campaign's own, and sometimes a SKU whose baseline sales are negative."""
    plan, snap = draw(worlds())
    sku_ids, pools = sorted(snap.skus), [*snap.warehouses, None]
    reserved_stock = dict(snap.reserved_stock)
    for q in draw(st.lists(amount(2_000, low=1), max_size=12)):
        key = (draw(st.sampled_from(sku_ids)), draw(st.sampled_from(pools)), draw(st.sampled_from(LATER)))
        reserved_stock[key] = reserved_stock.get(key, 0) + q
    own_stock = {}
    for key, q in reserved_stock.items():
        if draw(st.integers(0, 3)) == 0:
            own_stock[key] = draw(st.integers(0, q))
    if draw(st.booleans()):  # an own hold the totals do not include (negative held)
        key = (draw(st.sampled_from(sku_ids)), draw(st.sampled_from(pools)), draw(st.sampled_from(HORIZON)))
        own_stock[key] = own_stock.get(key, 0) + draw(st.integers(1, 500))
    own_dispatch = {key: draw(st.integers(0, q)) for key, q in snap.reserved_dispatch.items() if draw(st.booleans())}
    own_lane = {key: draw(st.integers(0, q)) for key, q in snap.reserved_lane.items() if draw(st.booleans())}
    inbound = [
        *snap.inbound,
        *(
            (
                draw(st.sampled_from(sku_ids)),
                draw(st.sampled_from([*snap.warehouses, 99])),
                draw(st.sampled_from(LATER)),
                q,
            )
            for q in draw(st.lists(st.integers(1, 5_000), max_size=3))
        ),
    ]
    skus = dict(snap.skus)
    if draw(st.integers(0, 4)) == 0:
        sku_id = draw(st.sampled_from(sku_ids))
        skus[sku_id] = replace(skus[sku_id], baseline_units_per_day=-draw(st.integers(1, 40)))
    snap = replace(
        snap,
        skus=skus,
        inbound=inbound,
        reserved_stock=reserved_stock,
        own_stock=own_stock,
        own_dispatch=own_dispatch,
        own_lane=own_lane,
    )
    days = draw(st.integers(1, 40))
    plan = replace(plan, ends_on=plan.starts_on + timedelta(days=days - 1)) if draw(st.booleans()) else plan
    return plan, snap


def reference_snapshot(snap: checks.Snapshot) -> reference.Snapshot:
    return reference.Snapshot(**{name: getattr(snap, name) for name in snap.__dataclass_fields__})


@settings(max_examples=400, deadline=None)
@given(
    world=busy_worlds(), dimensions=st.sampled_from([checks.SIGN_OFF_DIMENSIONS, [checks.INVENTORY], [checks.COURIER]])
)
def test_the_fast_check_equals_the_reference(world, dimensions):
    plan, snap = world
    expected = reference.run_check(plan, reference_snapshot(snap), dimensions).as_dict()
    assert checks.run_check(plan, snap, dimensions).as_dict() == expected
    # At the maximum found and just above it too (where findings start).
    for dimension, top in expected["max_by_dimension"].items():
        for volume in {max(top, 1), top + 1} if top < 10**9 else ():
            at = plan.at_volume(volume)
            want = reference.run_check(at, reference_snapshot(snap), [dimension]).as_dict()
            assert checks.run_check(at, snap, [dimension]).as_dict() == want


@settings(max_examples=200, deadline=None)
@given(world=busy_worlds(), dimension=st.sampled_from(checks.SIGN_OFF_DIMENSIONS), volume=amount(3_000, low=1))
def test_reservations_equal_the_reference(world, dimension, volume):
    plan, snap = world
    expected = reference.plan_reservations(plan, reference_snapshot(snap), dimension, volume)
    assert [vars(r) for r in checks.plan_reservations(plan, snap, dimension, volume)] == [vars(r) for r in expected]


@st.composite
def support_worlds(draw):
    """A busy world with customer support on: teams, their holidays and reduced days, and
    tickets other campaigns (and some of the checked one's own) hold."""
    plan, snap = draw(busy_worlds())
    teams = [
        checks.SupportTeamInfo(i, f"Team {i}", draw(st.integers(0, 30)), draw(st.integers(0, 80)), draw(amount(400)))
        for i in range(1, draw(st.integers(0, 3)) + 1)
    ]
    constraints = list(snap.constraints)
    for team in teams:
        for _ in range(draw(st.integers(0, 2))):
            first = draw(st.sampled_from(HORIZON))
            factor = draw(st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(3, 4)]))
            note = draw(st.sampled_from(["", "Offsite"]))
            constraints.append(
                checks.ConstraintInfo(
                    "support_holiday",
                    first,
                    first + timedelta(days=draw(st.integers(0, 3))),
                    factor,
                    note=note,
                    support_team_id=team.id,
                )  # fmt: skip
            )
    reserved = {day: draw(amount(300)) for day in draw(st.lists(st.sampled_from(HORIZON), max_size=6))}
    own = {day: draw(st.integers(0, q)) for day, q in reserved.items() if draw(st.booleans())}
    skus = {
        key: replace(sku, contact_rate=draw(st.sampled_from([None, Fraction(0), Fraction(3, 100), Fraction(1, 5)])))
        for key, sku in snap.skus.items()
    }
    snap = replace(
        snap,
        skus=skus,
        constraints=constraints,
        support_on=True,
        support_teams=teams,
        contact_rate=draw(st.sampled_from([Fraction(0), Fraction(8, 100), Fraction(1, 3)])),
        reserved_support=reserved,
        own_support=own,
    )
    return plan, snap


@settings(max_examples=300, deadline=None)
@given(world=support_worlds(), dimensions=st.sampled_from([checks.ALL_DIMENSIONS, [checks.SUPPORT]]))
def test_the_support_check_equals_the_reference(world, dimensions):
    plan, snap = world
    expected = reference.run_check(plan, reference_snapshot(snap), dimensions).as_dict()
    assert checks.run_check(plan, snap, dimensions).as_dict() == expected
    top = expected["max_by_dimension"][checks.SUPPORT]
    for volume in {max(top, 1), top + 1} if top < 10**9 else ():
        at = plan.at_volume(volume)
        want = reference.run_check(at, reference_snapshot(snap), [checks.SUPPORT]).as_dict()
        assert checks.run_check(at, snap, [checks.SUPPORT]).as_dict() == want
    volume = max(top, 1) if top < 10**9 else plan.orders_per_day
    rows = checks.plan_reservations(plan, snap, checks.SUPPORT, volume)
    assert [vars(r) for r in rows] == [
        vars(r) for r in reference.plan_reservations(plan, reference_snapshot(snap), checks.SUPPORT, volume)
    ]
