"""The workflow of DESIGN.md through the service layer: every transition allowed and
refused, each role and the owner rule, rules 1–6."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db.models import Sum
from django.utils import timezone

from campaigns import services
from campaigns.models import AuditEvent, Campaign, Notification, PostCampaignReview
from capacity.models import Reservation, SignOff
from mopsync.errors import CapacityTaken, InvalidInput, NotPermitted, TransitionNotAllowed
from tests.helpers import approved, live, make_world, plan_data, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return make_world()


def refresh(campaign) -> Campaign:
    return Campaign.objects.get(pk=campaign.pk)


def held(campaign, dimension=None, kind=None) -> int:
    rows = Reservation.objects.filter(campaign=campaign)
    if dimension:
        rows = rows.filter(dimension=dimension)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.aggregate(total=Sum("quantity"))["total"] or 0


class Snapshot:
    """What a refused call must leave untouched."""

    def __init__(self, campaign):
        self.campaign = campaign
        self.state = self.read()

    def read(self):
        c = refresh(self.campaign)
        return (
            c.status,
            c.plan_version,
            c.orders_per_day,
            c.approved_orders_per_day,
            SignOff.objects.filter(campaign=c).count(),
            list(Reservation.objects.filter(campaign=c).values_list("kind", "day", "quantity").order_by("pk")),
            AuditEvent.objects.filter(campaign=c).count(),
            Notification.objects.filter(campaign=c).count(),
        )

    def assert_unchanged(self):
        assert self.read() == self.state


# --------------------------------------------------------------------------- create and submit


def test_only_marketing_creates_campaigns(world, ishaan, outsider):
    for actor in (ishaan, outsider):
        with pytest.raises(NotPermitted):
            services.campaign_create(actor=actor, data=plan_data(world))
    assert Campaign.objects.count() == 0


def test_create_records_a_draft_with_lines_and_an_audit_event(world, maya):
    campaign = services.campaign_create(actor=maya, data=plan_data(world))
    assert (campaign.status, campaign.plan_version, campaign.owner) == ("draft", 1, maya)
    assert sorted(campaign.sku_lines.values_list("sku__code", flat=True)) == ["CAP-01", "TEE-01"]
    assert list(AuditEvent.objects.filter(campaign=campaign).values_list("action", "actor")) == [("create", maya.pk)]


def test_forecast_in_sessions_becomes_orders(world, maya):
    data = plan_data(world, orders_per_day=None, sessions_per_day=10_000, conversion_rate="0.03")
    campaign = services.campaign_create(actor=maya, data=data)
    assert (campaign.orders_per_day, campaign.forecast_basis) == (300, "sessions")


def test_submit_notifies_both_approvers_and_sets_the_deadline(world, maya, ishaan, lata, omar):
    campaign = submitted(world, maya)
    assert campaign.status == "submitted"
    assert campaign.late_notice is False
    start = timezone.make_aware(dt.datetime.combine(campaign.starts_on, dt.time.min))
    assert campaign.signoff_due_at == start - dt.timedelta(hours=24)
    recipients = set(Notification.objects.filter(kind="submitted").values_list("recipient__username", flat=True))
    assert recipients == {"ishaan", "lata", "omar"}


def test_late_notice_submission_is_marked_and_escalated_to_ops_lead(world, maya, omar):
    campaign = submitted(world, maya, starts_on=timezone.localdate() + dt.timedelta(days=2))
    assert campaign.late_notice is True
    # One message for the event (issue 17): the submission's, flagged late, escalated to the lead.
    [note] = Notification.objects.filter(campaign=campaign, recipient=omar)
    assert note.kind == "submitted" and note.subject.startswith("Late notice")
    assert campaign.signoff_due_at <= timezone.make_aware(dt.datetime.combine(campaign.starts_on, dt.time.min))


def test_lead_time_is_configurable(world, maya, settings):
    settings.MOPSYNC_LEAD_TIME_HOURS = 24 * 30
    assert submitted(world, maya).late_notice is True


@pytest.mark.parametrize("who", ["mark", "ishaan", "omar"])
def test_only_the_owner_submits(world, maya, mark, ishaan, omar, who):
    campaign = services.campaign_create(actor=maya, data=plan_data(world))
    before = Snapshot(campaign)
    with pytest.raises(NotPermitted):
        services.campaign_submit(campaign=campaign, actor={"mark": mark, "ishaan": ishaan, "omar": omar}[who])
    before.assert_unchanged()


def test_submit_twice_is_refused(world, maya):
    campaign = submitted(world, maya)
    before = Snapshot(campaign)
    with pytest.raises(TransitionNotAllowed):
        services.campaign_submit(campaign=campaign, actor=maya)
    before.assert_unchanged()


def test_submit_refuses_a_start_in_the_past(world, maya):
    campaign = services.campaign_create(
        actor=maya, data=plan_data(world, starts_on=timezone.localdate() - dt.timedelta(days=1))
    )
    with pytest.raises(InvalidInput) as exc:
        services.campaign_submit(campaign=campaign, actor=maya)
    assert "starts_on" in exc.value.errors
    assert refresh(campaign).status == "draft"


# --------------------------------------------------------------------------- sign-offs


def test_one_dimension_approved_keeps_it_submitted_and_holds_only_its_capacity(world, maya, ishaan):
    campaign = submitted(world, maya)
    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
    campaign = refresh(campaign)
    assert campaign.status == "submitted"
    assert held(campaign, "inventory", "stock") == 100 * 5  # 100 orders × 1 unit × 5 days
    assert held(campaign, "courier") == 0


def test_both_dimensions_approved_makes_it_approved(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    assert (campaign.status, campaign.approved_orders_per_day) == ("approved", 100)
    assert held(campaign, "courier", "lane") == 100 * 5
    assert held(campaign, "courier", "dispatch") == 100 * 5
    assert set(Notification.objects.filter(kind="approved").values_list("recipient__username", flat=True)) >= {
        "maya",
        "ishaan",
        "lata",
    }


def test_ops_lead_signs_off_both_dimensions(world, maya, omar):
    campaign = submitted(world, maya)
    for dimension in ("inventory", "courier"):
        services.campaign_sign_off(campaign=campaign, actor=omar, dimension=dimension, decision="approved")
    assert refresh(campaign).status == "approved"


@pytest.mark.parametrize(
    ("who", "dimension"),
    [
        ("maya", "inventory"),
        ("mark", "courier"),
        ("ishaan", "courier"),
        ("lata", "inventory"),
        ("outsider", "inventory"),
    ],
)
def test_sign_off_needs_the_dimension_role(world, maya, mark, ishaan, lata, outsider, who, dimension):
    actor = {"maya": maya, "mark": mark, "ishaan": ishaan, "lata": lata, "outsider": outsider}[who]
    campaign = submitted(world, maya)
    before = Snapshot(campaign)
    with pytest.raises(NotPermitted):
        services.campaign_sign_off(campaign=campaign, actor=actor, dimension=dimension, decision="approved")
    before.assert_unchanged()


def test_marketing_can_never_sign_off_even_with_an_ops_role(world, maya, mark):
    mark.groups.add(Group.objects.get(name="ops_lead"))
    campaign = submitted(world, maya)
    with pytest.raises(NotPermitted, match="Marketing can never sign off"):
        services.campaign_sign_off(campaign=campaign, actor=mark, dimension="inventory", decision="approved")


def test_approve_with_a_cap_reserves_the_cap(world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    services.campaign_sign_off(
        campaign=campaign, actor=lata, dimension="courier", decision="approved", approved_orders_per_day=60
    )
    assert held(campaign, "courier", "dispatch") == 60 * 5
    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
    campaign = refresh(campaign)
    assert (campaign.status, campaign.orders_per_day, campaign.approved_orders_per_day) == ("approved", 100, 60)
    # Inventory was approved at the plan's 100/day; the campaign runs at 60, so it holds 60.
    assert held(campaign, "inventory", "stock") == 60 * 5


@pytest.mark.parametrize("cap", [0, 101, "many", True])
def test_cap_must_be_within_the_plan(world, maya, lata, cap):
    campaign = submitted(world, maya)
    before = Snapshot(campaign)
    with pytest.raises(InvalidInput) as exc:
        services.campaign_sign_off(
            campaign=campaign, actor=lata, dimension="courier", decision="approved", approved_orders_per_day=cap
        )
    assert "approved_orders_per_day" in exc.value.errors
    before.assert_unchanged()


def test_approval_refused_when_capacity_was_taken_meanwhile(maya, ishaan, lata):
    world = make_world(lane_capacity=80)
    first = submitted(world, maya)
    second = submitted(world, maya, name="Second")
    services.campaign_sign_off(campaign=first, actor=lata, dimension="courier", decision="approved")
    before = Snapshot(second)
    with pytest.raises(CapacityTaken) as exc:
        services.campaign_sign_off(campaign=second, actor=lata, dimension="courier", decision="approved")
    assert exc.value.max_orders_per_day == 60  # 30 free per lane, 50% of orders each
    assert {f["code"] for f in exc.value.findings} == {"courier_over"}
    before.assert_unchanged()
    # ...and approving at the cap the refusal named works.
    services.campaign_sign_off(
        campaign=second, actor=lata, dimension="courier", decision="approved", approved_orders_per_day=60
    )


def test_deciding_a_dimension_twice_is_refused(world, maya, ishaan, omar):
    campaign = submitted(world, maya)
    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
    before = Snapshot(campaign)
    with pytest.raises(TransitionNotAllowed):
        services.campaign_sign_off(
            campaign=campaign, actor=omar, dimension="inventory", decision="rejected", comment="x"
        )
    before.assert_unchanged()


def test_sign_off_of_a_draft_is_refused(world, maya, ishaan):
    campaign = services.campaign_create(actor=maya, data=plan_data(world))
    with pytest.raises(TransitionNotAllowed):
        services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")


@pytest.mark.parametrize("decision", ["changes_requested", "rejected"])
def test_refusals_need_a_comment(world, maya, lata, decision):
    campaign = submitted(world, maya)
    with pytest.raises(InvalidInput) as exc:
        services.campaign_sign_off(campaign=campaign, actor=lata, dimension="courier", decision=decision)
    assert "comment" in exc.value.errors


def test_changes_requested_then_edit_and_resubmit_asks_only_that_dimension(world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
    services.campaign_sign_off(
        campaign=campaign, actor=lata, dimension="courier", decision="changes_requested", comment="Drop Pune"
    )
    campaign = refresh(campaign)
    assert campaign.status == "changes_requested"
    assert held(campaign, "inventory") == 500  # inventory's approval stands
    services.campaign_update(campaign=campaign, actor=maya, data={"regions": [{"region": "MUM", "share": "1"}]})
    campaign = services.campaign_submit(campaign=refresh(campaign), actor=maya)
    assert campaign.plan_version == 2
    assert list(campaign.current_approvals()) == ["inventory"]
    services.campaign_sign_off(campaign=campaign, actor=lata, dimension="courier", decision="approved")
    assert refresh(campaign).status == "approved"


def test_resubmit_without_edits_is_a_new_version_for_the_open_dimension(world, maya, lata):
    campaign = submitted(world, maya)
    services.campaign_sign_off(
        campaign=campaign, actor=lata, dimension="courier", decision="changes_requested", comment="Check dates"
    )
    campaign = services.campaign_submit(campaign=campaign, actor=maya)
    assert campaign.plan_version == 2
    services.campaign_sign_off(campaign=campaign, actor=lata, dimension="courier", decision="approved")


def test_rejection_is_final_and_releases_everything(world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
    services.campaign_sign_off(campaign=campaign, actor=lata, dimension="courier", decision="rejected", comment="No")
    campaign = refresh(campaign)
    assert campaign.status == "rejected"
    assert held(campaign) == 0
    for call in (
        lambda: services.campaign_submit(campaign=campaign, actor=maya),
        lambda: services.campaign_cancel(campaign=campaign, actor=maya),
        lambda: services.campaign_update(campaign=campaign, actor=maya, data={"name": "again"}),
    ):
        with pytest.raises(TransitionNotAllowed):
            call()


# --------------------------------------------------------------------------- rule 1: going live


def test_go_live_refused_without_courier_signoff(world, maya, ishaan):
    today = timezone.localdate()
    campaign = submitted(world, maya, starts_on=today, ends_on=today + dt.timedelta(days=3))
    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
    before = Snapshot(campaign)
    with pytest.raises(TransitionNotAllowed) as exc:
        services.campaign_go_live(campaign=campaign, actor=maya)
    assert exc.value.code == "signoffs_missing"
    assert "courier" in exc.value.message
    before.assert_unchanged()


def test_guard_holds_even_if_status_was_forced(world, maya):
    today = timezone.localdate()
    campaign = submitted(world, maya, starts_on=today)
    Campaign.objects.filter(pk=campaign.pk).update(status="approved")
    with pytest.raises(TransitionNotAllowed) as exc:
        services.campaign_go_live(campaign=campaign, actor=None)
    assert exc.value.code == "signoffs_missing"
    assert refresh(campaign).status == "approved"


def test_go_live_before_the_start_date_is_refused(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    with pytest.raises(TransitionNotAllowed) as exc:
        services.campaign_go_live(campaign=campaign, actor=maya)
    assert exc.value.code == "too_early"
    assert refresh(campaign).status == "approved"


@pytest.mark.parametrize("who", ["owner", "ops_lead", "scheduler"])
def test_go_live_on_the_start_date(world, maya, ishaan, lata, omar, who):
    today = timezone.localdate()
    campaign = approved(world, maya, ishaan, lata, starts_on=today)
    actor = {"owner": maya, "ops_lead": omar, "scheduler": None}[who]
    services.campaign_go_live(campaign=campaign, actor=actor)
    campaign = refresh(campaign)
    assert campaign.status == "live"
    event = AuditEvent.objects.filter(campaign=campaign, action="go_live").get()
    assert (event.from_status, event.to_status, event.actor) == ("approved", "live", actor)


@pytest.mark.parametrize("who", ["mark", "lata"])
def test_go_live_by_others_is_refused(world, maya, ishaan, lata, mark, who):
    campaign = approved(world, maya, ishaan, lata, starts_on=timezone.localdate())
    with pytest.raises(NotPermitted):
        services.campaign_go_live(campaign=campaign, actor={"mark": mark, "lata": lata}[who])
    assert refresh(campaign).status == "approved"


def test_scheduler_starts_due_campaigns_and_alerts_once_about_unapproved(world, maya, ishaan, lata):
    today = timezone.localdate()
    due = approved(world, maya, ishaan, lata, starts_on=today, name="Due")
    future = approved(world, maya, ishaan, lata, name="Future")
    unapproved = submitted(world, maya, starts_on=today, name="Unsigned")
    assert services.campaigns_go_live_due(today=today) == {"started": 1, "alerted": 1}
    assert (refresh(due).status, refresh(future).status, refresh(unapproved).status) == (
        "live",
        "approved",
        "submitted",
    )
    assert Notification.objects.filter(kind="due_not_approved", campaign=unapproved).exists()
    # Running again (a second beat, a retry) starts nothing twice and alerts nothing twice.
    assert services.campaigns_go_live_due(today=today) == {"started": 0, "alerted": 0}
    assert AuditEvent.objects.filter(campaign=due, action="go_live").count() == 1


# --------------------------------------------------------------------------- running, pausing, ending


def test_pause_and_resume_keep_the_reservations(world, maya, ishaan, lata, omar):
    campaign = live(world, maya, ishaan, lata)
    holds = held(campaign)
    services.campaign_pause(campaign=campaign, actor=omar, reason="Stock check")
    assert (refresh(campaign).status, held(campaign)) == ("paused", holds)
    services.campaign_resume(campaign=campaign, actor=maya)
    assert (refresh(campaign).status, held(campaign)) == ("live", holds)


def test_inventory_trigger_pauses_as_the_system(world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    services.campaign_pause(campaign=campaign, actor=None, reason="TEE-01 below safety stock")
    assert refresh(campaign).status == "paused"
    assert AuditEvent.objects.get(campaign=campaign, action="pause").actor is None


@pytest.mark.parametrize("action", ["pause", "cancel"])
def test_logistics_cannot_pause_or_cancel(world, maya, ishaan, lata, action):
    campaign = live(world, maya, ishaan, lata)
    before = Snapshot(campaign)
    with pytest.raises(NotPermitted):
        getattr(services, f"campaign_{action}")(campaign=campaign, actor=lata)
    before.assert_unchanged()


def test_resume_of_a_live_campaign_is_refused(world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    with pytest.raises(TransitionNotAllowed):
        services.campaign_resume(campaign=campaign, actor=maya)


@pytest.mark.parametrize("stage", ["draft", "submitted", "approved", "live"])
def test_cancel_releases_reservations_from_any_open_state(world, maya, ishaan, lata, omar, stage):
    if stage == "draft":
        campaign = services.campaign_create(actor=maya, data=plan_data(world))
    elif stage == "submitted":
        campaign = submitted(world, maya)
        services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
    elif stage == "approved":
        campaign = approved(world, maya, ishaan, lata)
    else:
        campaign = live(world, maya, ishaan, lata)
    services.campaign_cancel(campaign=campaign, actor=omar, comment="Budget cut")
    campaign = refresh(campaign)
    assert campaign.status == "cancelled"
    assert held(campaign) == 0
    assert AuditEvent.objects.filter(campaign=campaign, action="cancel", actor=omar).count() == 1


def test_complete_after_the_end_date_opens_the_review(world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    with pytest.raises(TransitionNotAllowed):
        services.campaign_complete(campaign=campaign, today=campaign.ends_on)
    assert services.campaigns_complete_ended(today=campaign.ends_on + dt.timedelta(days=1)) == 1
    assert refresh(campaign).status == "completed"
    assert PostCampaignReview.objects.get(campaign=campaign).forecast_orders == 100 * 5
    with pytest.raises(TransitionNotAllowed):
        services.campaign_cancel(campaign=campaign, actor=maya)


def test_people_cannot_complete_campaigns(world, maya, ishaan, lata, omar):
    campaign = live(world, maya, ishaan, lata)
    with pytest.raises(NotPermitted):
        services.campaign_complete(campaign=campaign, actor=omar, today=campaign.ends_on + dt.timedelta(days=1))


# --------------------------------------------------------------------------- rule 3: edits


def test_cosmetic_edit_keeps_everything(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    holds = held(campaign)
    services.campaign_update(campaign=campaign, actor=maya, data={"name": "Diwali tees II", "brief": "New copy"})
    campaign = refresh(campaign)
    assert (campaign.status, campaign.plan_version, held(campaign)) == ("approved", 1, holds)
    event = AuditEvent.objects.filter(campaign=campaign, action="edit").get()
    assert event.changes["changed"]["name"] == ["Diwali tees", "Diwali tees II"]
    assert event.changes["voided"] == []


def test_sku_share_change_voids_only_inventory(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    courier_holds = held(campaign, "courier")
    services.campaign_update(
        campaign=campaign,
        actor=maya,
        data={"skus": [{"sku": "TEE-01", "share": "0.5"}, {"sku": "CAP-01", "share": "0.5"}]},
    )
    campaign = refresh(campaign)
    assert (campaign.status, campaign.plan_version) == ("submitted", 2)
    assert list(campaign.current_approvals()) == ["courier"]
    assert (held(campaign, "inventory"), held(campaign, "courier")) == (0, courier_holds)
    assert AuditEvent.objects.get(campaign=campaign, action="edit").changes["voided"] == ["inventory"]
    assert set(Notification.objects.filter(kind="plan_changed").values_list("recipient__username", flat=True)) == {
        "ishaan"
    }


@pytest.mark.parametrize("change", [{"cod_share": "0.5"}, {"regions": [{"region": "MUM", "share": "1"}]}])
def test_region_or_cod_change_voids_only_courier(world, maya, ishaan, lata, change):
    campaign = approved(world, maya, ishaan, lata)
    services.campaign_update(campaign=campaign, actor=maya, data=change)
    campaign = refresh(campaign)
    assert list(campaign.current_approvals()) == ["inventory"]
    assert held(campaign, "courier") == 0
    assert held(campaign, "inventory") > 0


@pytest.mark.parametrize("change", [{"orders_per_day": 120}, "dates"])
def test_dates_or_volume_up_void_both(world, maya, ishaan, lata, change):
    campaign = approved(world, maya, ishaan, lata)
    if change == "dates":
        change = {"ends_on": campaign.ends_on + dt.timedelta(days=1)}
    services.campaign_update(campaign=campaign, actor=maya, data=change)
    campaign = refresh(campaign)
    assert (campaign.status, campaign.current_approvals(), held(campaign)) == ("submitted", {}, 0)


def test_volume_down_keeps_sign_offs_and_shrinks_reservations(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    services.campaign_update(campaign=campaign, actor=maya, data={"orders_per_day": 40})
    campaign = refresh(campaign)
    assert (campaign.status, campaign.plan_version, campaign.approved_orders_per_day) == ("approved", 1, 40)
    assert held(campaign, "courier", "dispatch") == 40 * 5
    assert held(campaign, "inventory", "stock") == 40 * 5


def test_only_the_owner_edits(world, maya, mark, omar):
    campaign = submitted(world, maya)
    for actor in (mark, omar):
        with pytest.raises(NotPermitted):
            services.campaign_update(campaign=campaign, actor=actor, data={"name": "Mine now"})
    assert refresh(campaign).name == "Diwali tees"


def test_live_campaign_takes_no_material_edits(world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    before = Snapshot(campaign)
    with pytest.raises(TransitionNotAllowed):
        services.campaign_update(campaign=campaign, actor=maya, data={"regions": [{"region": "MUM", "share": "1"}]})
    before.assert_unchanged()


def test_bad_edit_changes_nothing(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    before = Snapshot(campaign)
    with pytest.raises(InvalidInput) as exc:
        services.campaign_update(
            campaign=campaign, actor=maya, data={"name": "ok", "ends_on": campaign.starts_on - dt.timedelta(days=1)}
        )
    assert "ends_on" in exc.value.errors
    before.assert_unchanged()
    assert refresh(campaign).name == "Diwali tees"


# --------------------------------------------------------------------------- rule 4: scale-up


def test_scale_up_runs_at_the_old_volume_until_both_approve_the_delta(world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    services.campaign_scale_up(campaign=campaign, actor=maya, orders_per_day=150)
    campaign = refresh(campaign)
    assert (campaign.status, campaign.plan_version, campaign.scale_up_pending) == ("live", 2, True)
    assert (campaign.orders_per_day, campaign.approved_orders_per_day) == (150, 100)
    assert held(campaign, "courier", "dispatch") == 100 * 5
    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
    campaign = refresh(campaign)
    assert campaign.approved_orders_per_day == 100
    assert held(campaign, "inventory") == 150 * 5
    services.campaign_sign_off(campaign=campaign, actor=lata, dimension="courier", decision="approved")
    campaign = refresh(campaign)
    assert (campaign.status, campaign.approved_orders_per_day, campaign.scale_up_pending) == ("live", 150, False)
    assert held(campaign, "courier", "dispatch") == 150 * 5


def test_rejected_scale_up_withdraws_the_delta_and_keeps_running(world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    services.campaign_scale_up(campaign=campaign, actor=maya, orders_per_day=150)
    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
    services.campaign_sign_off(campaign=campaign, actor=lata, dimension="courier", decision="rejected", comment="Full")
    campaign = refresh(campaign)
    assert (campaign.status, campaign.orders_per_day, campaign.scale_up_pending) == ("live", 100, False)
    assert held(campaign, "inventory") == 100 * 5


def test_scale_up_rules(world, maya, mark, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    with pytest.raises(NotPermitted):
        services.campaign_scale_up(campaign=campaign, actor=mark, orders_per_day=200)
    with pytest.raises(InvalidInput):
        services.campaign_scale_up(campaign=campaign, actor=maya, orders_per_day=50)
    with pytest.raises(InvalidInput):
        services.campaign_scale_up(campaign=campaign, actor=maya, orders_per_day="lots")
    services.campaign_scale_up(campaign=campaign, actor=maya, orders_per_day=200)
    with pytest.raises(TransitionNotAllowed):
        services.campaign_scale_up(campaign=campaign, actor=maya, orders_per_day=300)
    approved_only = approved(world, maya, ishaan, lata, name="Not live")
    with pytest.raises(TransitionNotAllowed):
        services.campaign_scale_up(campaign=approved_only, actor=maya, orders_per_day=300)


def test_sign_off_of_a_live_campaign_without_scale_up_is_refused(world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    with pytest.raises(TransitionNotAllowed):
        services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")


# --------------------------------------------------------------------------- rule 5: audit and notifications


def test_every_transition_writes_one_audit_event_with_its_actor(world, maya, ishaan, lata, omar):
    campaign = live(world, maya, ishaan, lata)
    services.campaign_pause(campaign=campaign, actor=omar)
    services.campaign_resume(campaign=campaign, actor=maya)
    events = list(AuditEvent.objects.filter(campaign=campaign).values_list("action", "actor__username", "to_status"))
    assert events == [
        ("create", "maya", "draft"),
        ("submit", "maya", "submitted"),
        ("sign_off", "ishaan", "submitted"),
        ("sign_off", "lata", "approved"),
        ("go_live", "maya", "live"),
        ("pause", "omar", "paused"),
        ("resume", "maya", "live"),
    ]


def test_audit_events_are_append_only(world, maya):
    campaign = services.campaign_create(actor=maya, data=plan_data(world))
    event = AuditEvent.objects.get(campaign=campaign)
    event.comment = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(campaign=campaign).update(comment="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(campaign=campaign).delete()


def test_notifications_are_published_after_commit(world, maya, ishaan, django_capture_on_commit_callbacks, settings):
    from mopsync.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True  # deliver in-process, as the embedded default does
    campaign = services.campaign_create(actor=maya, data=plan_data(world))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.campaign_submit(campaign=campaign, actor=maya)
    assert len(callbacks) == 1
    # Eager in tests: the outbox rows were delivered by the task.
    assert set(Notification.objects.filter(kind="submitted").values_list("state", flat=True)) == {"sent"}


def test_a_refusal_queues_nothing(world, maya, ishaan, django_capture_on_commit_callbacks):
    campaign = submitted(world, maya)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(NotPermitted):
        services.campaign_sign_off(campaign=campaign, actor=maya, dimension="inventory", decision="approved")
    assert callbacks == []
