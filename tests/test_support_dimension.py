"""Customer support, the third sign-off dimension (issue 19.1): the check, the switch,
who signs it, approval, reservations and rule 3, through the services, the API and the
approval queue's form."""

import datetime as dt
from fractions import Fraction

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import selectors, services, workflow
from campaigns.models import Campaign, Status
from capacity import checks
from capacity import services as capacity_services
from capacity.models import CapacityConstraint, CourierLane, Reservation, SignOff, SupportTeam
from capacity.selectors import active_dimensions, load_snapshot
from mopsync import versions
from mopsync.errors import CapacityTaken, InvalidInput, NotPermitted
from tests.conftest import _user
from tests.helpers import make_world, submitted

pytestmark = pytest.mark.django_db

THREE = ("inventory", "courier", "support")
TWO = ("inventory", "courier")


@pytest.fixture
def world(db):
    """The helpers' world, its lanes failing no delivery: 0.08 tickets an order, exactly."""
    found = make_world()
    CourierLane.objects.update(ndr_rate=0)
    return found


@pytest.fixture(autouse=True)
def fresh_memos():
    versions.clear()
    yield
    versions.clear()


def team(omar, *, agents=10, per_agent=50, usual=0, name="Chat (Pune)") -> SupportTeam:
    """A support team answering agents × per_agent − usual tickets a day (500 by default)."""
    return capacity_services.support_team_save(
        actor=omar,
        name=name,
        agents_per_day=agents,
        tickets_per_agent_per_day=per_agent,
        baseline_tickets_per_day=usual,
    )


def refresh(campaign) -> Campaign:
    return Campaign.objects.get(pk=campaign.pk)


def held(campaign, dimension) -> int:
    rows = Reservation.objects.filter(campaign=campaign, dimension=dimension)
    return rows.aggregate(total=Sum("quantity"))["total"] or 0


def sign(campaign, actor, dimension, **kw):
    return services.campaign_sign_off(campaign=campaign, actor=actor, dimension=dimension, decision="approved", **kw)


# --------------------------------------------------------------------------- the check, pure


def _plan(orders: int, start: dt.date, days: int = 3) -> checks.Plan:
    return checks.Plan(
        starts_on=start,
        ends_on=start + dt.timedelta(days=days - 1),
        orders_per_day=orders,
        units_per_order=Fraction(1),
        cod_share=Fraction(0),
        delivery_promise_days=4,
        budget=Fraction(0),
        expected_order_value=Fraction(0),
        skus=(checks.SkuLine(1, Fraction(1)),),
        regions=(checks.RegionLine(1, Fraction(1)),),
    )


def _snap(today: dt.date, **kw) -> checks.Snapshot:
    defaults = {
        "today": today,
        "skus": {1: checks.SkuInfo(1, "TEE", "Cotton tee")},
        "warehouses": {},
        "regions": {1: checks.RegionInfo(1, "MUM", "Mumbai", None)},
        "lanes": [],
        "support_on": True,
        "support_teams": [checks.SupportTeamInfo(7, "Chat", 10, 90)],  # 900 tickets a day
        "contact_rate": Fraction(1, 10),
    }
    return checks.Snapshot(**{**defaults, **kw})


def test_the_check_finds_the_day_tickets_exceed_support_and_says_so_in_plain_words():
    today = dt.date(2026, 12, 1)
    holiday = checks.ConstraintInfo(
        "support_holiday", dt.date(2026, 12, 12), dt.date(2026, 12, 12), Fraction(1, 2), note="Team offsite",
        support_team_id=7,
    )  # fmt: skip
    snap = _snap(today, constraints=[holiday])
    plan = _plan(6_000, dt.date(2026, 12, 11))  # 600 tickets a day: 450 can be answered on the 12th

    result = checks.run_check(plan, snap, dimensions=[checks.SUPPORT])

    [finding] = result.findings
    assert (finding.dimension, finding.code, finding.day) == ("support", "support_over", dt.date(2026, 12, 12))
    assert finding.message == "Support can answer 450 tickets on 12 Dec (Team offsite); the plan brings 600."
    assert result.verdict == checks.EXCEEDS
    assert result.max_by_dimension[checks.SUPPORT] == 4_500  # 450 tickets ÷ 0.1 a ticket
    assert result.binding()[0] == checks.SUPPORT
    assert not checks.run_check(plan.at_volume(4_500), snap, dimensions=[checks.SUPPORT]).errors()


def test_returns_and_failed_deliveries_bring_follow_up_tickets():
    today = dt.date(2026, 12, 1)
    skus = {1: checks.SkuInfo(1, "TEE", "Cotton tee", return_rate=Fraction(2, 10), contact_rate=Fraction(5, 100))}
    lanes = [checks.LaneInfo(1, 1, "BDT", 1, 1_000, ndr_rate=Fraction(1, 10))]
    snap = _snap(today, skus=skus, lanes=lanes)
    # 0.05 (the SKU's own rate, not the brand's 0.1) + 0.2 × 1/2 returns + 0.1 × 1/2 failed deliveries
    assert checks.tickets_per_order(_plan(1_000, today), snap) == Fraction(20, 100)
    assert checks.daily_tickets(_plan(1_000, today), snap) == 200


def test_support_holds_of_other_campaigns_count_and_own_do_not():
    today = dt.date(2026, 12, 1)
    plan = _plan(5_000, today)  # 500 tickets a day against 900
    held = {today + dt.timedelta(days=i): 500 for i in range(3)}
    assert checks.run_check(plan, _snap(today, reserved_support=held), dimensions=[checks.SUPPORT]).errors()
    mine = _snap(today, reserved_support=held, own_support=held)
    assert not checks.run_check(plan, mine, dimensions=[checks.SUPPORT]).errors()


def test_the_check_leaves_support_out_when_it_is_off():
    today = dt.date(2026, 12, 1)
    result = checks.run_check(_plan(60_000, today), _snap(today, support_on=False))
    assert checks.SUPPORT not in result.max_by_dimension
    assert not [f for f in result.findings if f.dimension == "support"]


# --------------------------------------------------------------------------- the switch


def test_off_means_two_sign_offs_even_with_a_team(settings, world, maya, omar):
    team(omar)
    settings.MOPSYNC_SUPPORT_SIGNOFF = "off"
    campaign = submitted(world, maya)
    assert active_dimensions() == TWO
    assert workflow.pending_dimensions(campaign) == list(TWO)


def test_auto_without_a_team_means_two_sign_offs(world, maya):
    campaign = submitted(world, maya)
    assert active_dimensions() == TWO
    assert workflow.pending_dimensions(campaign) == list(TWO)
    assert "support" not in services.selectors.campaign_capacity_check(campaign).max_by_dimension


def test_auto_with_an_active_team_means_three_and_on_means_three_without_one(settings, world, maya, omar):
    settings.MOPSYNC_SUPPORT_SIGNOFF = "on"
    assert active_dimensions() == THREE
    settings.MOPSYNC_SUPPORT_SIGNOFF = "auto"
    assert active_dimensions() == TWO
    created = team(omar)
    campaign = submitted(world, maya)
    assert active_dimensions() == THREE
    assert workflow.pending_dimensions(campaign) == list(THREE)
    assert set(selectors.waiting_on(selectors.pending_signoffs().get(pk=campaign.pk))) == set(THREE)
    capacity_services.support_team_save(
        actor=omar, team=created, name=created.name, agents_per_day=10, tickets_per_agent_per_day=50, is_active=False
    )
    assert active_dimensions() == TWO  # an inactive team does not switch it on


# --------------------------------------------------------------------------- who signs it


def test_ops_support_signs_support_and_nobody_else_but_a_lead(world, maya, ishaan, lata, omar, sana):
    team(omar)
    campaign = submitted(world, maya)
    with pytest.raises(NotPermitted, match="needs the ops_support or ops_lead role"):
        sign(campaign, ishaan, "support")
    with pytest.raises(NotPermitted, match="needs the ops_inventory or ops_lead role"):
        sign(campaign, sana, "inventory")
    with pytest.raises(NotPermitted, match="Marketing can never sign off"):
        sign(campaign, maya, "support")
    assert not SignOff.objects.exists()
    sign(campaign, sana, "support")
    assert SignOff.objects.get().actor == sana
    assert workflow.signable_by(sana) == ("support",)
    assert "support" in workflow.signable_by(omar)


def test_support_cannot_be_signed_while_it_is_off(world, maya, sana, omar):
    campaign = submitted(world, maya)
    with pytest.raises(NotPermitted) as refused:
        sign(campaign, omar, "support")
    assert refused.value.code == "dimension_off"
    with pytest.raises(InvalidInput):
        services.campaign_sign_off(campaign=campaign, actor=omar, dimension="returns", decision="approved")


def _token_client(username: str) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": username, "password": "pw-" + username}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_the_api_takes_dimension_support_from_ops_support_only(world, maya, ishaan, omar, sana):
    team(omar)
    campaign = submitted(world, maya)
    url = f"/api/v1/campaigns/{campaign.pk}/"
    body = {"dimension": "support", "decision": "approved"}

    assert _token_client("ishaan").post(url + "sign-offs/", body, format="json").status_code == 403
    assert _token_client("maya").post(url + "sign-offs/", body, format="json").status_code == 403
    support = _token_client("sana")
    signed = support.post(url + "sign-offs/", body, format="json")
    assert signed.status_code == 201, signed.content
    detail = support.get(url).json()
    assert detail["sign_offs"]["support"]["actor"] == "sana"
    assert set(detail["sign_offs"]) == set(THREE)
    check = support.get(url + "capacity-check/").json()
    assert "support" in check["max_by_dimension"]
    assert support.get("/api/v1/approval-queue/").json()["results"] == []  # nothing left for sana


def test_the_queue_form_signs_support(client, world, maya, ishaan, omar, sana):
    team(omar)
    campaign = submitted(world, maya)
    client.force_login(sana)
    page = client.get("/approvals/").content.decode()
    assert f'id="signoff-{campaign.pk}-support"' in page
    assert "customer support" in page
    assert f'id="signoff-{campaign.pk}-inventory"' not in page

    client.force_login(ishaan)
    refused = client.post(f"/approvals/{campaign.pk}/sign-off/", {"dimension": "support", "decision": "approved"})
    assert refused.status_code in (200, 302, 403)
    assert not SignOff.objects.exists()

    client.force_login(sana)
    response = client.post(
        f"/approvals/{campaign.pk}/sign-off/", {"dimension": "support", "decision": "approved", "next": "/approvals/"}
    )
    assert response.status_code == 302
    assert SignOff.objects.get().dimension == "support"
    detail = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'Customer support: <span class="status status-approved">approved</span> by sana' in detail


# --------------------------------------------------------------------------- approval and reservations


def test_approval_needs_all_three_and_holds_agent_capacity(world, maya, ishaan, lata, omar, sana):
    team(omar)
    campaign = submitted(world, maya)
    sign(campaign, ishaan, "inventory")
    sign(campaign, lata, "courier")
    assert refresh(campaign).status == Status.SUBMITTED  # support still waits
    with pytest.raises(Exception, match="support sign-off"):
        services.assert_can_go_live(refresh(campaign))
    sign(campaign, sana, "support")
    campaign = refresh(campaign)
    assert campaign.status == Status.APPROVED
    # 100 orders/day × (0.08 tickets per order, no returns or failed deliveries) = 8 tickets a day, 5 days
    rows = Reservation.objects.filter(campaign=campaign, dimension="support")
    assert {(r.kind, r.quantity, r.sku_id, r.lane_id, r.warehouse_id) for r in rows} == {
        ("support", 8, None, None, None)
    }
    assert rows.count() == campaign.days


def test_a_second_campaign_sees_the_capacity_the_first_holds(world, maya, omar, sana):
    team(omar, agents=10, per_agent=10)  # 100 tickets a day
    first = submitted(world, maya, name="First", orders_per_day=1_000)  # 80 tickets a day
    sign(first, sana, "support")
    assert held(first, "support") == 80 * refresh(first).days
    second = submitted(world, maya, name="Second", orders_per_day=500)  # 40 tickets a day, 20 free
    result = selectors.campaign_capacity_check(refresh(second))
    assert result.max_by_dimension["support"] == 250
    [finding] = [f for f in result.findings if f.dimension == "support"]
    assert finding.message.startswith("Support can answer 20 tickets on ")
    with pytest.raises(CapacityTaken):
        sign(second, sana, "support")
    sign(second, sana, "support", approved_orders_per_day=250)
    assert held(second, "support") == 20 * refresh(second).days


def test_a_support_holiday_cuts_the_capacity(world, maya, omar):
    chat = team(omar)
    start = timezone.localdate() + dt.timedelta(days=10)
    capacity_services.constraint_save(
        actor=omar, kind=CapacityConstraint.Kind.SUPPORT_HOLIDAY, starts_on=start, ends_on=start,
        support_team=chat.name, capacity_factor="0", note="Diwali",
    )  # fmt: skip
    campaign = submitted(world, maya, starts_on=start)
    [finding] = [f for f in selectors.campaign_capacity_check(campaign).findings if f.dimension == "support"]
    assert finding.message == f"Support can answer 0 tickets on {start.day} {start:%b} (Diwali); the plan brings 8."


def test_a_constraint_names_one_scope(omar, world):
    chat = team(omar)
    today = timezone.localdate()
    with pytest.raises(InvalidInput) as refused:
        capacity_services.constraint_save(
            actor=omar, kind="support_holiday", starts_on=today, ends_on=today, support_team=chat.pk,
            warehouse=world.warehouse.code,
        )  # fmt: skip
    assert "support_team" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        capacity_services.constraint_save(
            actor=omar, kind="support_holiday", starts_on=today, ends_on=today, warehouse=world.warehouse.code
        )
    assert "support_team" in refused.value.errors


def test_a_material_change_of_dates_voids_support(world, maya, ishaan, lata, omar, sana):
    team(omar)
    campaign = submitted(world, maya)
    for actor, dimension in ((ishaan, "inventory"), (lata, "courier"), (sana, "support")):
        sign(campaign, actor, dimension)
    assert refresh(campaign).status == Status.APPROVED
    start = campaign.starts_on + dt.timedelta(days=1)
    services.campaign_update(
        campaign=refresh(campaign), actor=maya, data={"starts_on": start, "ends_on": start + dt.timedelta(days=4)}
    )
    campaign = refresh(campaign)
    assert campaign.status == Status.SUBMITTED
    assert campaign.support_valid_from == campaign.plan_version == 2
    assert held(campaign, "support") == 0
    assert workflow.pending_dimensions(campaign) == list(THREE)


def test_a_change_of_cod_share_keeps_support(world, maya, ishaan, lata, omar, sana):
    team(omar)
    campaign = submitted(world, maya)
    for actor, dimension in ((ishaan, "inventory"), (lata, "courier"), (sana, "support")):
        sign(campaign, actor, dimension)
    services.campaign_update(campaign=refresh(campaign), actor=maya, data={"cod_share": "0.5"})
    campaign = refresh(campaign)
    assert workflow.pending_dimensions(campaign) == ["courier"]
    assert held(campaign, "support") > 0


def test_delegation_to_another_support_approver_or_a_lead(world, omar, sana):
    team(omar)
    other = _user("sam", "ops_support")
    inventory = _user("ivan", "ops_inventory")
    assert workflow.delegation_refusal(sana, other) is None
    assert workflow.delegation_refusal(sana, omar) is None
    assert workflow.delegation_refusal(sana, inventory) is not None


def test_a_support_team_is_kept_by_ops_support_or_a_lead(ishaan, sana, omar):
    with pytest.raises(NotPermitted):
        capacity_services.support_team_save(actor=ishaan, name="X", agents_per_day=1, tickets_per_agent_per_day=1)
    created = team(sana)
    with pytest.raises(InvalidInput) as refused:
        capacity_services.support_team_save(
            actor=omar, name=created.name, agents_per_day=-1, tickets_per_agent_per_day=1
        )
    assert {"name", "agents_per_day"} <= set(refused.value.errors)


def test_the_snapshot_reads_support_in_a_fixed_number_of_queries(world, maya, omar):
    team(omar)
    campaign = submitted(world, maya)
    plan = selectors.plan_for(campaign)

    def load():
        with CaptureQueriesContext(connection) as queries:
            snap = load_snapshot(plan, today=timezone.localdate())
        return snap, len(queries)

    snap, one_team = load()
    assert snap.support_on and [t.name for t in snap.support_teams] == ["Chat (Pune)"]
    assert snap.contact_rate == Fraction(8, 100)
    for i in range(3):
        team(omar, name=f"Phone {i}")
    snap, four_teams = load()
    assert len(snap.support_teams) == 4
    assert four_teams == one_team


# --------------------------------------------------------------------------- reference data over the API


def test_support_teams_over_the_api(world, omar, sana, ishaan):
    support = _token_client("sana")
    created = support.post(
        "/api/v1/support-teams/",
        {"name": "Chat (Pune)", "channel": "chat", "agents_per_day": 10, "tickets_per_agent_per_day": 60},
        format="json",
    )
    assert created.status_code == 201, created.content
    team_id = created.json()["id"]
    assert active_dimensions() == THREE
    duplicate = support.post(
        "/api/v1/support-teams/", {"name": "Chat (Pune)", "agents_per_day": 1, "tickets_per_agent_per_day": 1}
    )
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    bad = support.patch(f"/api/v1/support-teams/{team_id}/", {"agents_per_day": -3}, format="json")
    assert bad.status_code == 400 and "agents_per_day" in bad.json()
    assert support.patch(f"/api/v1/support-teams/{team_id}/", {"agents_per_day": 12}, format="json").status_code == 200
    assert SupportTeam.objects.get().agents_per_day == 12
    assert _token_client("ishaan").post("/api/v1/support-teams/", {"name": "X"}, format="json").status_code == 403
    today = timezone.localdate()
    holiday = support.post(
        "/api/v1/constraints/",
        {"kind": "support_holiday", "starts_on": str(today), "ends_on": str(today), "support_team": team_id},
        format="json",
    )
    assert holiday.status_code == 201, holiday.content
    assert holiday.json()["support_team"] == team_id


# --------------------------------------------------------------------------- report, dashboard, calendar


def test_report_dashboard_and_calendar_show_support_load_when_on(client, world, maya, ishaan, lata, omar, sana):
    from campaigns import calendar, reports
    from campaigns.dashboard_selectors import capacity_section

    today = timezone.localdate()
    assert reports.build_daily_report(today=today).support == []  # off: not in the report
    team(omar, agents=10, per_agent=10)  # 100 tickets a day
    campaign = submitted(world, maya, orders_per_day=1_000, starts_on=today + dt.timedelta(days=1))
    sign(campaign, sana, "support")

    report = reports.build_daily_report(today=today)
    day = today + dt.timedelta(days=1)
    [tomorrow] = [s for s in report.support if s.day == day]
    assert (tomorrow.capacity, tomorrow.held, tomorrow.percent) == (100, 80, 80)
    assert [s for s in capacity_section(today=today)["support"] if s.day == day] == [tomorrow]
    heat = calendar.heat_by_day(start=day, end=day)[day]
    assert "customer support at 80% of the tickets it answers" in heat.label
    assert heat.css == "heat-3"


def test_the_queue_keeps_a_fixed_number_of_queries_with_support_on(client, world, maya, omar, sana):
    from django.test.utils import CaptureQueriesContext

    team(omar)

    def count() -> int:
        client.get("/approvals/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/approvals/").status_code == 200
        return len(queries)

    client.force_login(sana)
    submitted(world, maya, name="One")
    one = count()
    for i in range(4):
        submitted(world, maya, name=f"More {i}")
    assert count() == one


def test_a_campaign_approved_before_support_was_switched_on_still_goes_live(world, maya, ishaan, lata, omar):
    today = timezone.localdate()
    campaign = submitted(world, maya, starts_on=today, ends_on=today + dt.timedelta(days=3))
    sign(campaign, ishaan, "inventory")
    sign(campaign, lata, "courier")
    assert refresh(campaign).status == Status.APPROVED
    team(omar)  # support switched on afterwards
    assert services.campaign_go_live(campaign=refresh(campaign), actor=maya, today=today).status == Status.LIVE
    # A plan still waiting for sign-off needs all three.
    waiting = submitted(world, maya, name="Later", starts_on=today, ends_on=today + dt.timedelta(days=3))
    sign(waiting, ishaan, "inventory")
    sign(waiting, lata, "courier")
    with pytest.raises(Exception, match="support sign-off"):
        services.campaign_go_live(campaign=refresh(waiting), actor=maya, today=today)


def test_a_support_holiday_through_the_capacity_page(client, world, sana, omar):
    from django.urls import reverse

    chat = team(omar)
    client.force_login(sana)
    today = timezone.localdate()
    form = {"kind": "support_holiday", "starts_on": today.isoformat(), "ends_on": today.isoformat(), "note": "Diwali"}
    refused = client.post(reverse("capacity:constraint_new"), form)
    assert refused.status_code == 200 and "A support holiday needs a support team." in refused.content.decode()
    saved = client.post(reverse("capacity:constraint_new"), {**form, "support_team": chat.pk})
    assert saved.status_code == 302
    assert CapacityConstraint.objects.get().support_team == chat
    page = client.get(reverse("capacity:home")).content.decode()
    assert "Customer support" in page and "Chat (Pune)" in page and "Support team Chat (Pune)" in page


def test_a_change_while_support_is_off_voids_and_notifies_only_the_two(world, maya, ishaan, lata, sana):
    from campaigns.models import Notification

    campaign = submitted(world, maya)
    sign(campaign, ishaan, "inventory")
    sign(campaign, lata, "courier")
    start = campaign.starts_on + dt.timedelta(days=1)
    services.campaign_update(
        campaign=refresh(campaign), actor=maya, data={"starts_on": start, "ends_on": start + dt.timedelta(days=4)}
    )
    campaign = refresh(campaign)
    assert (campaign.inventory_valid_from, campaign.courier_valid_from, campaign.support_valid_from) == (2, 2, 1)
    assert not Notification.objects.filter(recipient=sana, kind="plan_changed").exists()
    assert Notification.objects.filter(recipient=ishaan, kind="plan_changed").exists()


def test_without_the_support_sign_off_neither_the_scheduler_nor_the_admin_starts_it(
    client, world, maya, ishaan, lata, omar
):
    """Rule 1 with the third dimension, through the doors that start a campaign without a
    person at the page: the scheduled start and the admin's action."""
    team(omar)
    today = timezone.localdate()
    campaign = submitted(world, maya, starts_on=today, ends_on=today + dt.timedelta(days=2))
    sign(campaign, ishaan, "inventory")
    sign(campaign, lata, "courier")

    assert services.campaigns_go_live_due(today=today)["started"] == 0
    root = type(maya).objects.create_superuser("root", "root@example.com", "pw-root")
    client.force_login(root)
    client.post("/admin/campaigns/campaign/", {"action": "go_live", "_selected_action": [campaign.pk]})
    assert refresh(campaign).status == Status.SUBMITTED

    sign(campaign, omar, "support")  # an ops lead signs support too
    assert services.campaigns_go_live_due(today=today)["started"] == 1
    assert refresh(campaign).status == Status.LIVE
