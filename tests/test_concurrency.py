"""Rule 2 under real concurrency: N ops users approve N competing campaigns at the same
moment and the capacity is never overbooked, whoever wins.

Row locks (`select_for_update`) are a no-op on SQLite, so these run on PostgreSQL
only (conftest skips the `postgres` marker on SQLite). Each test commits for real
(`transaction=True`) because the threads use their own connections; the flush after
each one also empties the role groups a data migration made; the user fixtures
(tests/conftest.py) create the groups again when they are missing.
"""

import datetime as dt
import threading
from collections import defaultdict

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, Status
from capacity.models import CourierLane, Reservation, SignOff, Warehouse
from mopsync.errors import CapacityTaken
from tests.helpers import make_world, submitted

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 8  # competing campaigns
K = 3  # how many of them the contested resource can hold
JOIN_TIMEOUT = 60


def race(campaigns, actor, dimension: str) -> dict[int, object]:
    """Every campaign's `dimension` approved by its own thread, all released at once.

    Returns campaign id → "approved" or the exception the sign-off raised.
    """
    barrier = threading.Barrier(len(campaigns))
    outcomes: dict[int, object] = {}

    def approve(campaign_id: int) -> None:
        try:
            # Read before the barrier so every thread has its connection open and
            # the sign-offs really start together.
            campaign = Campaign.objects.get(pk=campaign_id)
            user = User.objects.get(pk=actor.pk)
            barrier.wait(timeout=30)
            services.campaign_sign_off(campaign=campaign, actor=user, dimension=dimension, decision="approved")
            outcomes[campaign_id] = "approved"
        except Exception as exc:  # noqa: BLE001 - every outcome is asserted on by the test
            outcomes[campaign_id] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(c.pk,), name=f"signoff-{c.pk}") for c in campaigns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a sign-off never returned (lock wait or deadlock)"
    assert set(outcomes) == {c.pk for c in campaigns}
    return outcomes


def split(outcomes: dict[int, object]) -> tuple[set[int], set[int]]:
    """(approved ids, refused ids); fails on anything but a CapacityTaken refusal (deadlocks included)."""
    unexpected = {
        pk: f"{type(o).__name__}: {o}"
        for pk, o in outcomes.items()
        if o != "approved" and not isinstance(o, CapacityTaken)
    }
    assert not unexpected, f"sign-offs failed with something other than CapacityTaken: {unexpected}"
    assert not any("deadlock" in str(o).lower() for o in outcomes.values())
    won = {pk for pk, o in outcomes.items() if o == "approved"}
    return won, set(outcomes) - won


def sign_off_all(campaigns, actor, dimension: str) -> None:
    for campaign in campaigns:
        services.campaign_sign_off(campaign=campaign, actor=actor, dimension=dimension, decision="approved")


def assert_lanes_not_overbooked() -> None:
    capacity = dict(CourierLane.objects.values_list("id", "daily_capacity"))
    held = (
        Reservation.objects.filter(kind=Reservation.Kind.LANE).values("lane_id", "day").annotate(total=Sum("quantity"))
    )
    assert held, "no lane reservations were written"
    over = [(row["lane_id"], row["day"], row["total"]) for row in held if row["total"] > capacity[row["lane_id"]]]
    assert not over, f"lane overbooked (lane, day, reserved): {over}"


def assert_dispatch_not_overbooked() -> None:
    capacity = dict(Warehouse.objects.values_list("id", "daily_dispatch_capacity"))
    held = (
        Reservation.objects.filter(kind=Reservation.Kind.DISPATCH)
        .values("warehouse_id", "day")
        .annotate(total=Sum("quantity"))
    )
    over = [row for row in held if row["total"] > capacity[row["warehouse_id"]]]
    assert not over, f"dispatch overbooked: {over}"


def assert_outcome(campaigns, won: set[int], refused: set[int], dimension: str) -> None:
    statuses = dict(Campaign.objects.filter(pk__in=[c.pk for c in campaigns]).values_list("pk", "status"))
    assert {pk for pk, s in statuses.items() if s == Status.APPROVED} == won
    assert {pk for pk, s in statuses.items() if s == Status.SUBMITTED} == refused
    holders = set(Reservation.objects.filter(dimension=dimension).values_list("campaign_id", flat=True).distinct())
    assert holders == won, "exactly the approved campaigns hold reservations of the contested dimension"
    signed = set(
        SignOff.objects.filter(dimension=dimension, decision=SignOff.Decision.APPROVED).values_list(
            "campaign_id", flat=True
        )
    )
    assert signed == won, "a refused approval leaves no sign-off behind"


def test_concurrent_courier_approvals_fill_one_lane_exactly(maya, ishaan, lata):
    # One lane of 1,000 orders/day; 8 campaigns of 300/day on the same 5 days → exactly 3 fit.
    world = make_world(lane_capacity=1_000, dispatch=100_000)
    campaigns = [
        submitted(world, maya, name=f"Flash {i}", orders_per_day=300, regions=[{"region": "MUM", "share": "1"}])
        for i in range(N)
    ]
    sign_off_all(campaigns, ishaan, "inventory")  # plenty of stock: only the lane is contested

    won, refused = split(race(campaigns, lata, "courier"))

    assert len(won) == K, f"{len(won)} approvals went through, expected {K}"
    assert len(refused) == N - K
    assert_lanes_not_overbooked()
    assert_dispatch_not_overbooked()
    assert_outcome(campaigns, won, refused, "courier")
    per_day = (
        Reservation.objects.filter(lane=world.lane_mumbai).values("day").annotate(total=Sum("quantity")).order_by("day")
    )
    assert [row["total"] for row in per_day] == [K * 300] * 5


def test_concurrent_inventory_approvals_fill_one_skus_stock_exactly(maya, ishaan, lata):
    # 1,500 units of TEE-01; 8 campaigns of 100 orders/day × 5 days × 1 unit = 500 units → exactly 3 fit.
    world = make_world(stock=1_500, lane_capacity=1_000, dispatch=100_000)
    campaigns = [
        submitted(
            world,
            maya,
            name=f"Tee drop {i}",
            orders_per_day=100,
            units_per_order="1",
            skus=[{"sku": world.sku.code, "share": "1"}],
            regions=[{"region": "MUM", "share": "1"}],
        )
        for i in range(N)
    ]
    sign_off_all(campaigns, lata, "courier")  # 8 × 100 ≤ 1,000: only the stock is contested

    won, refused = split(race(campaigns, ishaan, "inventory"))

    assert len(won) == K, f"{len(won)} approvals went through, expected {K}"
    assert len(refused) == N - K
    held = Reservation.objects.filter(kind=Reservation.Kind.STOCK, sku=world.sku).aggregate(total=Sum("quantity"))
    assert held["total"] == K * 500
    assert held["total"] <= 1_500, "stock overbooked"
    assert not Reservation.objects.filter(kind=Reservation.Kind.STOCK, sku=world.sku2).exists()
    assert_outcome(campaigns, won, refused, "inventory")


def test_a_campaign_approved_later_cannot_take_stock_held_after_its_end(maya, ishaan, lata):
    # The one-after-another interleaving of the race above, with different end dates:
    # 16 units. A holds 4/day for 4 days (all 16); B wants 1 unit on A's first day only.
    # B ends before A's later holds, yet a unit B takes on day 1 is missing on day 4.
    world = make_world(stock=16, lane_capacity=1_000, dispatch=100_000)
    start = timezone.localdate() + dt.timedelta(days=10)
    line = {"skus": [{"sku": world.sku.code, "share": "1"}], "regions": [{"region": "MUM", "share": "1"}]}
    longer = submitted(
        world, maya, name="Long", orders_per_day=4, starts_on=start, ends_on=start + dt.timedelta(days=3), **line
    )
    shorter = submitted(world, maya, name="Short", orders_per_day=1, starts_on=start, ends_on=start, **line)
    services.campaign_sign_off(campaign=longer, actor=ishaan, dimension="inventory", decision="approved")

    with pytest.raises(CapacityTaken):
        services.campaign_sign_off(campaign=shorter, actor=ishaan, dimension="inventory", decision="approved")

    held = Reservation.objects.filter(kind=Reservation.Kind.STOCK, sku=world.sku).aggregate(total=Sum("quantity"))
    assert held["total"] == 16


def test_campaigns_competing_for_two_lanes_in_opposite_order_do_not_deadlock(maya, ishaan, lata):
    # Two lanes of 950/day. Half the campaigns send 60% of 500 orders/day to Mumbai and
    # 40% to Pune, the other half the reverse (their region lines come back in opposite
    # order). Any 3 campaigns use at most 900 of a lane; any 4 at least 1,000 → exactly 3
    # fit, whichever win.
    world = make_world(lane_capacity=950, dispatch=100_000)
    mumbai_first = [{"region": "MUM", "share": "0.6"}, {"region": "PUN", "share": "0.4"}]
    pune_first = [{"region": "PUN", "share": "0.6"}, {"region": "MUM", "share": "0.4"}]
    campaigns = [
        submitted(world, maya, name=f"Two cities {i}", orders_per_day=500, regions=[mumbai_first, pune_first][i % 2])
        for i in range(N)
    ]
    firsts = {c.pk: Campaign.objects.get(pk=c.pk).region_lines.first().region.code for c in campaigns}
    assert sorted(firsts.values()) == ["MUM"] * (N // 2) + ["PUN"] * (N // 2)
    sign_off_all(campaigns, ishaan, "inventory")

    won, refused = split(race(campaigns, lata, "courier"))

    assert len(won) == K, f"{len(won)} approvals went through, expected {K}"
    assert len(refused) == N - K
    assert_lanes_not_overbooked()
    assert_dispatch_not_overbooked()
    assert_outcome(campaigns, won, refused, "courier")
    lanes_held = defaultdict(set)
    for lane_id, campaign_id in Reservation.objects.filter(kind=Reservation.Kind.LANE).values_list(
        "lane_id", "campaign_id"
    ):
        lanes_held[campaign_id].add(lane_id)
    assert all(lanes_held[pk] == {world.lane_mumbai.pk, world.lane_pune.pk} for pk in won)


def test_capacity_locks_do_not_hold_up_rows_that_refer_to_the_capacity(maya):
    """Found by the soak: an approval locks its SKUs, warehouses and lanes, and another
    transaction's reservations refer to the same rows; their foreign keys are checked at
    COMMIT with FOR KEY SHARE. Under FOR UPDATE that commit waited for the approval, and an
    inventory approval and a courier approval deadlocked, each waiting for the other's
    rows. The locks are FOR NO KEY UPDATE: the referring commit goes through at once."""
    from django.db import transaction

    from campaigns import selectors

    world = make_world()
    holder = submitted(world, maya, name="Holds the locks")
    other = submitted(world, maya, name="Refers to the same capacity")
    plan = selectors.plan_for(holder)
    locked, release, committed = threading.Event(), threading.Event(), threading.Event()
    day = timezone.localdate() + dt.timedelta(days=10)

    def hold_locks() -> None:
        try:
            with transaction.atomic():
                services._lock_resources(plan, "inventory")
                services._lock_resources(plan, "courier")
                locked.set()
                release.wait(JOIN_TIMEOUT)
        finally:
            connection.close()

    def refer() -> None:
        try:
            with transaction.atomic():
                Reservation.objects.create(
                    campaign=other, dimension="inventory", kind="stock", day=day, quantity=1,
                    sku=world.sku, warehouse=world.warehouse,
                )  # fmt: skip
                Reservation.objects.create(
                    campaign=other, dimension="courier", kind="lane", day=day, quantity=1, lane=world.lane_mumbai
                )
                Reservation.objects.create(
                    campaign=other, dimension="courier", kind="dispatch", day=day, quantity=1, warehouse=world.warehouse
                )
            committed.set()
        finally:
            connection.close()

    holder_thread = threading.Thread(target=hold_locks, name="holds-locks")
    holder_thread.start()
    try:
        assert locked.wait(30), "the locks were never taken"
        referrer = threading.Thread(target=refer, name="refers")
        referrer.start()
        went_through = committed.wait(10)
    finally:
        release.set()
        holder_thread.join(JOIN_TIMEOUT)
    referrer.join(JOIN_TIMEOUT)
    assert went_through, "a commit referring to locked capacity waited for the approval's locks"
    assert Reservation.objects.filter(campaign=other).count() == 3
