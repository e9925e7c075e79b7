"""Capacity use (`capacity.selectors.capacity_use`): one definition for the dashboard, the
calendar heat and the daily report (issue 16).

Use = (business as usual + orders held by approved campaigns) ÷ capacity after the
constraints in force; what campaigns waiting for sign-off ask is shown apart.

Time is frozen on Monday 16 Nov 2026 (Asia/Kolkata); the campaigns run 3–5 Dec 2026.
"""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import dashboard_selectors as dashboard
from campaigns import reports, services
from campaigns.selectors import capacity_use
from capacity import checks
from capacity.models import CapacityConstraint
from capacity.selectors import UseRow, constraint_infos, lane_infos, totals_by_day
from tests.helpers import approved, live, make_world, submitted

NOW = dt.datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Kolkata"))
DEC = {day: dt.date(2026, 12, day) for day in range(1, 32)}
MUMBAI_ONLY = {"regions": [{"region": "MUM", "share": "1"}]}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def mumbai_lane():
    """Mumbai with one courier lane of 1,000 orders/day, 200 of them business as usual,
    and the network's one warehouse (10,000 dispatches a day)."""
    world = make_world(lane_capacity=1_000)
    world.lane_pune.delete()
    world.lane_mumbai.baseline_orders_per_day = 200
    world.lane_mumbai.save()
    return world


def lane_row(rows: list[UseRow], lane, day: dt.date) -> UseRow:
    (row,) = [r for r in rows if r.resource == checks.COURIER and r.lane_id == lane.pk and r.day == day]
    return row


def figures(row: UseRow) -> tuple:
    return (row.gross, row.reduction, row.capacity, row.usual, row.held, row.asked, row.free, row.percent, row.over)


# --------------------------------------------------------------------------- the figures


def test_use_is_business_as_usual_and_holds_over_capacity(mumbai_lane, maya, ishaan, lata):
    # Given 1,000 orders/day, 200 of them business as usual, and an approval holding 400,
    approved(mumbai_lane, maya, ishaan, lata, orders_per_day=400, starts_on=DEC[3], ends_on=DEC[5], **MUMBAI_ONLY)

    rows = capacity_use(start=DEC[2], end=DEC[6])

    # the lane is 60% used on the campaign's days: (200 + 400) ÷ 1,000, 400 still free,
    lane = mumbai_lane.lane_mumbai
    assert figures(lane_row(rows, lane, DEC[4])) == (1_000, 0, 1_000, 200, 400, 0, 400, 60, False)
    # and 20% on the days around them (business as usual alone).
    assert figures(lane_row(rows, lane, DEC[2])) == (1_000, 0, 1_000, 200, 0, 0, 800, 20, False)
    # The warehouse dispatches the same 400 orders.
    (dispatch,) = [r for r in rows if r.resource == checks.DISPATCH and r.day == DEC[4]]
    assert (dispatch.warehouse_id, dispatch.capacity, dispatch.held, dispatch.percent) == (
        mumbai_lane.warehouse.pk,
        10_000,
        400,
        4,
    )


def test_a_reduced_capacity_constraint_takes_its_share_of_gross_capacity(mumbai_lane, maya, ishaan, lata):
    approved(mumbai_lane, maya, ishaan, lata, orders_per_day=400, starts_on=DEC[3], ends_on=DEC[5], **MUMBAI_ONLY)
    CapacityConstraint.objects.create(
        kind=CapacityConstraint.Kind.REDUCED_CAPACITY,
        courier=mumbai_lane.lane_mumbai.courier,
        starts_on=DEC[5],
        ends_on=DEC[5],
        capacity_factor=Decimal("0.5"),
    )

    rows = capacity_use(start=DEC[4], end=DEC[5])

    # Half of 1,000 is left on the 5th: 600 orders on 500 is 120%, 100 over.
    lane = mumbai_lane.lane_mumbai
    assert figures(lane_row(rows, lane, DEC[5])) == (1_000, 500, 500, 200, 400, 0, -100, 120, True)
    assert figures(lane_row(rows, lane, DEC[4])) == (1_000, 0, 1_000, 200, 400, 0, 400, 60, False)
    # The free figure is the check's: capacity × factor − business as usual − holds.
    (info,) = lane_infos()
    assert checks.lane_capacity(info, DEC[5], constraint_infos(start=DEC[5], end=DEC[5])) - 400 == -100


def test_a_blackout_leaves_no_capacity_and_no_percentage(mumbai_lane):
    CapacityConstraint.objects.create(
        kind=CapacityConstraint.Kind.COURIER_HOLIDAY, courier=mumbai_lane.lane_mumbai.courier,
        starts_on=DEC[3], ends_on=DEC[3],
    )  # fmt: skip
    CapacityConstraint.objects.create(
        kind=CapacityConstraint.Kind.WAREHOUSE_BLACKOUT, warehouse=mumbai_lane.warehouse,
        starts_on=DEC[3], ends_on=DEC[3],
    )  # fmt: skip

    rows = capacity_use(start=DEC[3], end=DEC[3])

    # Closed: all 1,000 taken away; the business-as-usual orders of the day cannot go.
    lane = lane_row(rows, mumbai_lane.lane_mumbai, DEC[3])
    assert figures(lane) == (1_000, 1_000, 0, 200, 0, 0, -200, None, True)
    (dispatch,) = [r for r in rows if r.resource == checks.DISPATCH]
    assert (dispatch.gross, dispatch.reduction, dispatch.capacity, dispatch.percent, dispatch.over) == (
        10_000,
        10_000,
        0,
        None,
        False,
    )


def test_what_a_waiting_campaign_asks_is_shown_apart(mumbai_lane, maya, ishaan, lata):
    approved(mumbai_lane, maya, ishaan, lata, orders_per_day=400, starts_on=DEC[3], ends_on=DEC[5], **MUMBAI_ONLY)
    # A plan waiting for sign-off asks 300/day of Mumbai on the 4th and 5th; a draft asks nothing.
    submitted(mumbai_lane, maya, orders_per_day=300, starts_on=DEC[4], ends_on=DEC[5], **MUMBAI_ONLY)
    services.campaign_create(
        actor=maya,
        data={"name": "Idea", "channel": "other", "starts_on": DEC[4], "ends_on": DEC[4], "orders_per_day": 900,
              "skus": [{"sku": "TEE-01", "share": "1"}], **MUMBAI_ONLY},
    )  # fmt: skip

    rows = capacity_use(start=DEC[3], end=DEC[5])
    days = {d.day: d for d in totals_by_day(rows, start=DEC[3], end=DEC[5])}

    # The ask is the region's, not a lane's: a row of Mumbai with no lane and no capacity.
    asks = [r for r in rows if r.resource == checks.COURIER and r.lane_id is None]
    assert {(r.day, r.region_id, r.asked, r.capacity) for r in asks} == {
        (DEC[4], mumbai_lane.mumbai.pk, 300, 0),
        (DEC[5], mumbai_lane.mumbai.pk, 300, 0),
    }
    # The use stays 60%; the 300 asked are beside it, on couriers and dispatch alike.
    assert [(days[d].courier.percent, days[d].courier.asked) for d in (DEC[3], DEC[4], DEC[5])] == [
        (60, 0), (60, 300), (60, 300)
    ]  # fmt: skip
    assert (days[DEC[4]].dispatch.held, days[DEC[4]].dispatch.asked) == (400, 300)


def test_a_scale_up_asks_only_for_the_orders_above_what_it_holds(maya, ishaan, lata):
    world = make_world()
    with time_machine.travel(dt.datetime(2026, 12, 3, 9, tzinfo=ZoneInfo("Asia/Kolkata")), tick=False):
        running = live(world, maya, ishaan, lata, orders_per_day=100, starts_on=DEC[3], ends_on=DEC[5])
        services.campaign_scale_up(campaign=running, actor=maya, orders_per_day=160)

        (day,) = totals_by_day(capacity_use(start=DEC[4], end=DEC[4]), start=DEC[4], end=DEC[4])

    # It holds 100 (50 per region) and asks for the 60 more, 30 of each region.
    assert (day.courier.held, day.courier.asked) == (100, 60)


def test_one_region_counts_its_lanes_and_its_share_of_what_is_asked(maya, ishaan, lata):
    world = make_world()
    approved(world, maya, ishaan, lata, orders_per_day=300, starts_on=DEC[3], ends_on=DEC[3])
    submitted(world, maya, orders_per_day=301, starts_on=DEC[3], ends_on=DEC[3])

    rows = capacity_use(start=DEC[3], end=DEC[3], region="MUM")

    assert {r.region_id for r in rows} == {world.mumbai.pk}
    assert not [r for r in rows if r.resource == checks.DISPATCH]
    (day,) = totals_by_day(rows, start=DEC[3], end=DEC[3])
    # Half of each plan, rounded up as the check rounds a region's orders.
    assert (day.courier.capacity, day.courier.held, day.courier.asked, day.courier.percent) == (1_000, 150, 151, 15)


def test_capacity_use_reads_a_fixed_number_of_queries(maya, ishaan, lata):
    world = make_world()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            capacity_use(start=DEC[1], end=DEC[31])
        return len(queries)

    approved(world, maya, ishaan, lata, starts_on=DEC[3], ends_on=DEC[5])
    few = count()
    for i in range(5):
        approved(world, maya, ishaan, lata, orders_per_day=10, starts_on=DEC[3 + i], ends_on=DEC[10 + i])
        submitted(world, maya, orders_per_day=10, starts_on=DEC[5 + i], ends_on=DEC[20])
    CapacityConstraint.objects.create(
        kind="reduced_capacity", region=world.pune, starts_on=DEC[6], ends_on=DEC[8], capacity_factor="0.5"
    )
    # Lanes, constraints, warehouses, then holds and asks in one (the reference rows come
    # from what the process keeps when a page asks for them: `cached`).
    assert few == count() == 4


# --------------------------------------------------------------------------- one figure on every surface


def test_the_dashboard_the_calendar_and_the_daily_report_show_the_same_use(
    client, mumbai_lane, maya, ishaan, lata, omar
):
    # Given the Mumbai lane (1,000/day, 200 business as usual) with 400 held on Friday 20 Nov
    # and a plan waiting for sign-off that asks 100 more,
    friday = dt.date(2026, 11, 20)
    approved(mumbai_lane, maya, ishaan, lata, orders_per_day=400, starts_on=friday, ends_on=friday, **MUMBAI_ONLY)
    submitted(mumbai_lane, maya, orders_per_day=100, starts_on=friday, ends_on=friday, **MUMBAI_ONLY)
    (use,) = totals_by_day(capacity_use(start=friday, end=friday), start=friday, end=friday)
    assert (use.courier.used, use.courier.capacity, use.courier.percent, use.courier.asked) == (600, 1_000, 60, 100)
    client.force_login(omar)

    # the dashboard's capacity table,
    board = client.get("/dashboard/capacity/").content.decode()
    row = re.search(r'<th scope="row">Fri 20 Nov</th>(.*?)</tr>', board, flags=re.S)[1]
    courier = re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)[:4]
    assert courier == ["1000", "200", "400", "60%"]
    # the calendar's heat for that day,
    month = client.get("/calendar/?month=2026-11").content.decode()
    cell = re.search(r'<td data-day="2026-11-20"[^>]*>(.*?)</td>', month, flags=re.S)[1]
    assert '<span aria-hidden="true">60% +100</span>' in cell
    assert "Capacity use: 60% of courier capacity, busy; 100 more orders asked" in cell
    # and the daily report, in text and HTML, all say 60% (600 of 1,000), the ask apart.
    rendered = reports.render_daily_report(reports.build_daily_report(today=NOW.date()))
    assert f"{'Fri 20 Nov':12}{'600/1000 (60%)':22}{'400/10000 (4%)':22}+100 orders/day\n" in rendered.text
    html_row = re.search(r">Fri 20 Nov</th>(.*?)</tr>", rendered.html, flags=re.S)[1]
    assert re.findall(r'<td style="[^"]*">([^<]*)</td>', html_row) == [
        "600/1000 (60%)",
        "400/10000 (4%)",
        "+100 orders/day",
    ]
    # The same figures as the dashboard's section reads them.
    (first,) = [d for d in dashboard.capacity_days(today=NOW.date()) if d.day == friday]
    assert first.courier == use.courier
