"""The workflow's one table (`campaigns.workflow`) against the services that enforce it.

For every state × person × action, what the pages offer (`available_actions`,
`signable_dimensions`) is exactly what the service lets through: each service is
called for real, inside a transaction that is rolled back. The world is set so that
dates, input and capacity never refuse (a plan starting today, ample stock and lanes),
so that every refusal is the workflow's: who (NotPermitted) or the state
(TransitionNotAllowed), asked in that order, in the table's words; beyond the table
only a dimension decided already (`workflow.pending_dimensions`) and a go-live before
approval, which says which sign-off is missing.

People: maya owns the campaign (marketing), mark is another marketer, ishaan is
ops_inventory, lata ops_logistics, omar ops_lead, and None is the scheduler.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from campaigns import services, workflow
from campaigns.models import Campaign, Status
from campaigns.workflow import DIMENSIONS
from mopsync.errors import DomainError, NotPermitted, TransitionNotAllowed
from mopsync.roles import ALL_ROLES, MARKETING, OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS
from tests.helpers import approved, live, make_world, plan_data, submitted

pytestmark = pytest.mark.django_db

PEOPLE = ("maya", "mark", "ishaan", "lata", "omar", "scheduler")
# The states a campaign is put in (a name for each case) and the status each has.
STATES = {
    "draft": Status.DRAFT,
    "submitted": Status.SUBMITTED,
    "half_approved": Status.SUBMITTED,  # inventory approved, courier to decide
    "changes_requested": Status.CHANGES_REQUESTED,
    "resubmitted": Status.SUBMITTED,  # inventory's approval still covers version 2; courier to decide
    "approved": Status.APPROVED,
    "rejected": Status.REJECTED,
    "live": Status.LIVE,
    "scaling": Status.LIVE,  # a scale-up waits for both sign-offs
    "paused": Status.PAUSED,
    "paused_scaling": Status.PAUSED,
    "completed": Status.COMPLETED,
    "cancelled": Status.CANCELLED,
}


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def people(maya, mark, ishaan, lata, omar) -> dict:
    return {"maya": maya, "mark": mark, "ishaan": ishaan, "lata": lata, "omar": omar, "scheduler": None}


def today() -> dt.date:
    return timezone.localdate()


def campaign_in(state: str, world, people) -> Campaign:
    """maya's campaign in `state`, moved there by the services; it starts today."""
    maya, ishaan, lata = people["maya"], people["ishaan"], people["lata"]
    dates = {"starts_on": today(), "ends_on": today() + dt.timedelta(days=4)}
    if state == "draft":
        return services.campaign_create(actor=maya, data=plan_data(world, **dates))
    if state == "cancelled":
        return services.campaign_cancel(campaign=campaign_in("draft", world, people), actor=maya)
    if state == "submitted":
        return submitted(world, maya, **dates)
    if state in ("half_approved", "changes_requested", "rejected"):
        campaign = submitted(world, maya, **dates)
        dimension, decision, who = {
            "half_approved": ("inventory", "approved", ishaan),
            "changes_requested": ("inventory", "changes_requested", ishaan),
            "rejected": ("courier", "rejected", lata),
        }[state]
        services.campaign_sign_off(campaign=campaign, actor=who, dimension=dimension, decision=decision, comment="No")
        return Campaign.objects.get(pk=campaign.pk)
    if state == "resubmitted":
        campaign = campaign_in("half_approved", world, people)
        services.campaign_sign_off(
            campaign=campaign, actor=lata, dimension="courier", decision="changes_requested", comment="Pune is full"
        )
        return services.campaign_submit(campaign=campaign, actor=maya)
    if state == "approved":
        return approved(world, maya, ishaan, lata, **dates)
    campaign = live(world, maya, ishaan, lata, **dates)
    if state in ("scaling", "paused_scaling"):
        campaign = services.campaign_scale_up(campaign=campaign, actor=maya, orders_per_day=150)
    if state in ("paused", "paused_scaling"):
        campaign = services.campaign_pause(campaign=campaign, actor=maya)
    if state == "completed":
        campaign = services.campaign_complete(
            campaign=campaign, actor=None, today=campaign.ends_on + dt.timedelta(days=1)
        )
    return campaign


# Each action as its service takes it, with input that is always valid.
CALLS = {
    "edit": lambda c, who: services.campaign_update(campaign=c, actor=who, data={"name": "Diwali tees, renamed"}),
    "submit": lambda c, who: services.campaign_submit(campaign=c, actor=who),
    "go_live": lambda c, who: services.campaign_go_live(campaign=c, actor=who, today=today()),
    "pause": lambda c, who: services.campaign_pause(campaign=c, actor=who, reason="Checking stock"),
    "resume": lambda c, who: services.campaign_resume(campaign=c, actor=who, today=today()),
    "scale_up": lambda c, who: services.campaign_scale_up(campaign=c, actor=who, orders_per_day=c.orders_per_day + 50),
    "complete": lambda c, who: services.campaign_complete(
        campaign=c, actor=who, today=c.ends_on + dt.timedelta(days=1)
    ),
    "cancel": lambda c, who: services.campaign_cancel(campaign=c, actor=who, comment="Budget moved"),
    **{
        f"sign_off:{d}": lambda c, who, d=d: services.campaign_sign_off(
            campaign=c, actor=who, dimension=d, decision="approved"
        )
        for d in DIMENSIONS
    },
}


class _RolledBack(Exception):
    pass


def attempt(call, campaign: Campaign, actor) -> tuple[DomainError | None, str]:
    """Call the service and roll back whatever it did: (its refusal or None, the status it left)."""
    try:
        with transaction.atomic():
            call(campaign, actor)
            status = Campaign.objects.get(pk=campaign.pk).status
            raise _RolledBack
    except _RolledBack:
        return None, status
    except DomainError as exc:
        return exc, campaign.status


def offered(campaign: Campaign, actor, action: str) -> bool:
    """What the pages derive from the table for this action."""
    if action.startswith("sign_off:"):
        return action.split(":")[1] in workflow.signable_dimensions(campaign, actor)
    step = workflow.ACTIONS[action]
    if step.label:
        return step.label in workflow.available_actions(campaign, actor)
    return workflow.allows(actor, campaign, action)  # complete: the scheduler's, on no page


def table_refusal(campaign: Campaign, actor, action: str) -> DomainError | None:
    name, _, dimension = action.partition(":")
    try:
        workflow.ensure_allowed(actor, campaign, name, dimension=dimension or None)
    except DomainError as exc:
        return exc
    return None


@pytest.mark.parametrize("state", STATES)
def test_the_pages_offer_exactly_what_the_services_allow(state, world, people):
    campaign = campaign_in(state, world, people)
    assert campaign.status == STATES[state]
    mismatches = []
    for person in PEOPLE:
        actor = people[person]
        for action, call in CALLS.items():
            refused, status_after = attempt(call, campaign, actor)
            cell = f"{state} / {person} / {action}"
            shown = offered(campaign, actor, action)
            if shown != (refused is None):
                said = refused.message if refused else "done"
                mismatches.append(f"{cell}: offered {shown}, the service said {said!r}")
            if refused is None:
                to_state = workflow.ACTIONS[action.partition(":")[0]].to_state
                assert status_after == (to_state or status_after), cell
                continue
            # Only the table refuses here, in its own words: who first, then the state.
            assert isinstance(refused, NotPermitted | TransitionNotAllowed), (cell, refused.message)
            expected = table_refusal(campaign, actor, action)
            if expected is None:
                continue  # the table lets it through: the dimension was decided already (pending_dimensions)
            before_approval = campaign.status in Status.before_approval()
            if isinstance(expected, TransitionNotAllowed) and action == "go_live" and before_approval:
                assert refused.code == "signoffs_missing", cell  # it says which sign-off is missing
                continue
            assert (type(refused), refused.message, refused.code) == (
                type(expected), expected.message, expected.code
            ), cell  # fmt: skip
    assert not mismatches, "\n".join(mismatches)


# --------------------------------------------------------------------------- named cases


def test_owner_who_left_marketing_cannot_submit(world, maya):
    campaign = services.campaign_create(actor=maya, data=plan_data(world))
    maya.groups.remove(Group.objects.get(name=MARKETING))
    maya = type(maya).objects.get(pk=maya.pk)  # roles are cached on the user object

    with pytest.raises(NotPermitted, match="Only the campaign's owner in marketing can submit it."):
        services.campaign_submit(campaign=campaign, actor=maya)
    assert "submit" not in workflow.available_actions(campaign, maya)
    assert Campaign.objects.get(pk=campaign.pk).status == Status.DRAFT


def test_owner_who_left_marketing_can_no_longer_change_or_run_the_campaign(world, maya, ishaan, lata):
    """Changing, starting, pausing, resuming and cancelling a plan is its owner's while in
    marketing: the role they hold now (issue 18.10; tests/test_security_current_role.py
    goes through every door)."""
    campaign = live(world, maya, ishaan, lata)
    maya.groups.remove(Group.objects.get(name=MARKETING))
    maya = type(maya).objects.get(pk=maya.pk)

    assert workflow.available_actions(campaign, maya) == []
    with pytest.raises(NotPermitted, match="can edit it"):
        services.campaign_update(campaign=campaign, actor=maya, data={"name": "Mine still"})
    with pytest.raises(NotPermitted, match="can scale it up"):
        services.campaign_scale_up(campaign=campaign, actor=maya, orders_per_day=200)
    with pytest.raises(NotPermitted, match="owner in marketing or an ops lead can pause it"):
        services.campaign_pause(campaign=campaign, actor=maya)


def test_an_owner_who_moved_to_ops_cannot_sign_off_their_own_plan(world, maya):
    campaign = submitted(world, maya)
    maya.groups.set([Group.objects.get_or_create(name=OPS_LEAD)[0]])
    maya = type(maya).objects.get(pk=maya.pk)

    assert workflow.signable_dimensions(campaign, maya) == []
    with pytest.raises(NotPermitted, match="Nobody signs off a campaign they own.") as refused:
        services.campaign_sign_off(campaign=campaign, actor=maya, dimension="inventory", decision="approved")
    assert refused.value.code == "segregation_of_duties"


def test_who_is_asked_before_the_state(world, people):
    """A refusal for role or ownership is the same whatever the state: mark hears that the
    campaign is not his, not that it has ended."""
    campaign = campaign_in("completed", world, people)
    with pytest.raises(NotPermitted, match="Only the campaign's owner in marketing or an ops lead can cancel it."):
        services.campaign_cancel(campaign=campaign, actor=people["mark"])
    with pytest.raises(TransitionNotAllowed, match="Cannot cancel a campaign that is completed."):
        services.campaign_cancel(campaign=campaign, actor=people["maya"])


def test_the_scheduler_starts_pauses_and_completes_and_nothing_else(world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    with pytest.raises(NotPermitted, match="The scheduler cannot cancel a campaign."):
        services.campaign_cancel(campaign=campaign, actor=None)
    with pytest.raises(NotPermitted, match="Only the campaign's owner in marketing can edit it."):
        services.campaign_update(campaign=campaign, actor=None, data={"name": "Robot's"})
    with pytest.raises(NotPermitted, match="Only operations sign off capacity."):
        services.campaign_sign_off(campaign=campaign, actor=None, dimension="inventory", decision="approved")
    paused = services.campaign_pause(campaign=campaign, actor=None, reason="Stock-out")
    with pytest.raises(NotPermitted, match="The scheduler cannot resume a campaign."):
        services.campaign_resume(campaign=paused, actor=None)
    with pytest.raises(NotPermitted, match="Campaigns complete on their end date, by the scheduler."):
        services.campaign_complete(campaign=paused, actor=maya, today=paused.ends_on + dt.timedelta(days=1))


def test_only_marketing_plans(world, maya, ishaan, omar, outsider):
    assert workflow.permits(maya, None, "create")
    for person in (ishaan, omar, outsider, None):
        assert not workflow.permits(person, None, "create")
        with pytest.raises(NotPermitted, match="Only marketing can plan campaigns."):
            services.campaign_create(actor=person, data=plan_data(world))
    assert services.campaign_create(actor=maya, data=plan_data(world)).status == workflow.ACTIONS["create"].to_state


def test_each_dimension_is_signed_by_its_team_or_the_lead(maya, mark, ishaan, lata, omar, outsider):
    assert workflow.signable_by(ishaan) == ("inventory",)
    assert workflow.signable_by(lata) == ("courier",)
    assert workflow.signable_by(omar) == ("inventory", "courier")
    for person in (maya, mark, outsider, None):
        assert workflow.signable_by(person) == ()
    assert workflow.signers(["inventory"]) == sorted([OPS_INVENTORY, OPS_LEAD])
    assert workflow.signers(["courier", "inventory"]) == sorted([OPS_INVENTORY, OPS_LOGISTICS, OPS_LEAD])
    assert workflow.signers([]) == []


def test_marketing_never_signs_off_even_as_ops(world, maya, mark, omar):
    """Segregation of duties comes before the ops role: an ops lead who is also in
    marketing signs off nothing."""
    omar.groups.add(Group.objects.get(name=MARKETING))
    omar = type(omar).objects.get(pk=omar.pk)
    campaign = submitted(world, maya)
    assert workflow.signable_by(omar) == ()
    assert workflow.signable_dimensions(campaign, omar) == []
    with pytest.raises(NotPermitted, match="Marketing can never sign off capacity."):
        services.campaign_sign_off(campaign=campaign, actor=omar, dimension="courier", decision="approved")


def test_a_second_scale_up_waits_for_the_first(world, maya, ishaan, lata):
    campaign = services.campaign_scale_up(campaign=live(world, maya, ishaan, lata), actor=maya, orders_per_day=150)
    assert "scale-up" not in workflow.available_actions(campaign, maya)
    with pytest.raises(TransitionNotAllowed, match="A scale-up is already waiting for sign-off.") as refused:
        services.campaign_scale_up(campaign=campaign, actor=maya, orders_per_day=200)
    assert refused.value.code == "scale_up_pending"


# --------------------------------------------------------------------------- the table itself


def test_every_state_and_person_in_the_table_is_real():
    kinds = {workflow.MARKETER, workflow.OWNER, workflow.LEAD, workflow.SIGNER}
    for name, step in workflow.ACTIONS.items():
        assert set(step.from_states) <= set(Status.values), name
        assert step.to_state is None or step.to_state in Status.values, name
        assert set(step.who) <= kinds | {workflow.SCHEDULER}, name
        assert not set(step.from_states) & set(Status.final()), f"{name} starts from a final state"
    assert set(workflow.SIGNOFF_ROLES) == set(DIMENSIONS)
    assert workflow.BOTH_TEAMS == ALL_ROLES


def test_the_status_groups_partition_as_their_names_say():
    final, open_ = set(Status.final()), set(Status.open())
    assert final | open_ == set(Status.values) and not final & open_
    assert set(Status.before_approval()) == set(Status.with_owner()) | set(Status.not_approved())
    assert set(Status.in_progress()) == set(Status.not_approved()) | {Status.APPROVED} | set(Status.running())
    assert set(Status.planned()) == set(Status.in_progress()) - {Status.CHANGES_REQUESTED}
    assert set(Status.going_ahead()) == {Status.APPROVED, Status.LIVE}
    assert set(Status.went_ahead()) == set(Status.planned()) - {Status.SUBMITTED} | {Status.COMPLETED}
    for group in (Status.planned, Status.in_progress, Status.running, Status.going_ahead, Status.not_approved):
        assert set(group()) <= open_, group.__name__
