"""Delegation while an approver is away (issue 17): the rules of `services.delegation_set`,
the routing (queue marks, reminders, escalations, sign-off requests) and the record of a
sign-off made on behalf of the approver away, through the web form and the API."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import selectors, services, tasks, workflow
from campaigns.models import AuditEvent, Delegation, Notification
from capacity.models import SignOff
from mopsync.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from tests.helpers import make_world, submitted

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def _user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, first_name=username.title())
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def ines(db):
    """A second inventory approver."""
    return _user("ines", "ops_inventory")


@pytest.fixture
def olga(db):
    """A second ops lead."""
    return _user("olga", "ops_lead")


def fresh(user: User) -> User:
    """The user as a new request reads it (no roles cached on the object)."""
    return User.objects.get(pk=user.pk)


def away(user, delegate, first=0, last=3) -> Delegation:
    return services.delegation_set(
        actor=fresh(user), delegate=delegate.username, starts_on=days(first), ends_on=days(last)
    )


# --------------------------------------------------------------------------- the rules


def test_an_inventory_approver_delegates_to_another_inventory_approver_or_a_lead(ishaan, ines, omar):
    first = away(ishaan, ines, 0, 2)
    assert (first.user, first.delegate, first.starts_on, first.ends_on) == (ishaan, ines, days(0), days(2))
    later = away(ishaan, omar, 5, 6)  # another absence, later: no overlap
    assert later.delegate == omar


def test_a_courier_approver_delegates_to_a_lead(lata, omar):
    assert away(lata, omar).delegate == omar


@pytest.mark.parametrize(
    ("who", "to", "needs"),
    [
        ("ishaan", "lata", "ops_inventory role or ops_lead"),  # logistics cannot sign inventory
        ("lata", "ishaan", "ops_logistics role or ops_lead"),
        ("omar", "ishaan", "the ops_lead role"),  # a lead only to a lead
        ("ishaan", "maya", "ops_inventory role or ops_lead"),  # marketing never signs
        ("ishaan", "outsider", "ops_inventory role or ops_lead"),
    ],
)
def test_delegation_cannot_give_a_right_its_holder_lacks(ishaan, lata, omar, maya, outsider, who, to, needs):
    users = {u.username: u for u in (ishaan, lata, omar, maya, outsider)}
    with pytest.raises(TransitionNotAllowed) as refused:
        away(users[who], users[to])
    assert refused.value.code == "delegate_lacks_role"
    assert needs in refused.value.message
    assert not Delegation.objects.exists()


def test_an_approver_of_both_teams_delegates_to_both_or_a_lead(ishaan, omar):
    both = _user("bea", "ops_inventory", "ops_logistics")
    with pytest.raises(TransitionNotAllowed, match="ops_inventory and ops_logistics"):
        away(both, ishaan)
    assert away(both, omar).delegate == omar
    assert workflow.delegation_refusal(fresh(omar), fresh(both)) is not None  # a lead only to a lead


def test_only_ops_approvers_delegate(maya, outsider, omar):
    for user in (maya, outsider):
        with pytest.raises(NotPermitted):
            away(user, omar)


@pytest.mark.parametrize(
    ("delegate", "first", "last", "field", "message"),
    [
        ("ishaan", 0, 1, "delegate", "You cannot delegate to yourself"),
        ("nobody", 0, 1, "delegate", "There is no active user nobody"),
        ("", 0, 1, "delegate", "Choose who takes your sign-offs"),
        ("omar", 3, 2, "ends_on", "on or after the first day away"),
        ("omar", -1, 2, "starts_on", "cannot be in the past"),
        ("omar", "soon", 2, "starts_on", "A date in YYYY-MM-DD form"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_why(ishaan, omar, delegate, first, last, field, message):
    starts_on = first if isinstance(first, str) else days(first)
    with pytest.raises(InvalidInput) as refused:
        services.delegation_set(actor=fresh(ishaan), delegate=delegate, starts_on=starts_on, ends_on=days(last))
    assert message in " ".join(refused.value.errors[field])
    assert not Delegation.objects.exists()


def test_an_inactive_delegate_is_refused(ishaan, ines):
    ines.is_active = False
    ines.save()
    with pytest.raises(InvalidInput) as refused:
        away(ishaan, ines)
    assert "no active user" in refused.value.errors["delegate"][0]


def test_no_overlap_with_ones_other_delegation(ishaan, ines, omar):
    away(ishaan, ines, 0, 5)
    with pytest.raises(TransitionNotAllowed) as refused:
        away(ishaan, omar, 5, 8)  # shares day 5
    assert refused.value.code == "delegation_overlaps"
    assert away(ishaan, omar, 6, 8).starts_on == days(6)  # the day after is fine


def test_no_chains_a_delegate_away_themselves_cannot_cover(ishaan, ines, omar):
    away(ines, omar, 3, 6)
    with pytest.raises(TransitionNotAllowed) as refused:
        away(ishaan, ines, 0, 3)
    assert refused.value.code == "delegate_away"
    assert "ines is away themselves" in refused.value.message
    assert away(ishaan, ines, 0, 2).delegate == ines  # before she leaves: fine


def test_no_chains_someone_covering_cannot_be_away_then(ishaan, omar, olga):
    away(ishaan, omar, 0, 4)
    with pytest.raises(TransitionNotAllowed) as refused:
        away(omar, olga, 2, 9)
    assert refused.value.code == "covering_for_others"
    assert "covering for ishaan" in refused.value.message
    assert away(omar, olga, 5, 9).delegate == olga


def test_only_its_owner_clears_a_delegation(ishaan, ines, omar):
    delegation = away(ishaan, ines)
    with pytest.raises(NotPermitted):
        services.delegation_clear(actor=fresh(omar), delegation=delegation)
    services.delegation_clear(actor=fresh(ishaan), delegation=delegation)
    assert not Delegation.objects.exists()


# --------------------------------------------------------------------------- the queue


def test_the_delegates_queue_marks_the_away_approvers_items(client, maya, ishaan, lata, omar):
    world = make_world()
    campaign = submitted(world, maya)
    away(ishaan, omar)
    client.force_login(omar)
    response = client.get("/approvals/")
    html = response.content.decode()
    (row,) = response.context["rows"]
    assert row.campaign == campaign
    assert row.on_behalf == {"inventory": "ishaan"}  # courier: omar decides it in his own right
    assert "on behalf of ishaan" in html
    assert "You are covering for ishaan today" in html
    # ishaan's own queue still lists it (he may look in), unmarked
    client.force_login(ishaan)
    assert "on behalf of" not in client.get("/approvals/").content.decode()


def test_an_inventory_delegate_sees_the_away_approvers_items(client, maya, ishaan, ines):
    world = make_world()
    submitted(world, maya)
    away(ishaan, ines)
    rows = selectors.approval_queue(fresh(ines))
    assert [selectors.waiting_on(c) for c in rows] == [("inventory",)]
    client.force_login(ines)
    assert "on behalf of ishaan" in client.get("/approvals/").content.decode()


def test_outside_the_window_nothing_is_marked(client, maya, ishaan, omar):
    world = make_world()
    submitted(world, maya)
    away(ishaan, omar, 1, 3)  # from tomorrow
    client.force_login(omar)
    response = client.get("/approvals/")
    assert response.context["rows"][0].on_behalf == {}
    assert "on behalf of" not in response.content.decode()
    with time_machine.travel(timezone.make_aware(dt.datetime.combine(days(1), dt.time(9))), tick=False):
        assert client.get("/approvals/").context["rows"][0].on_behalf == {"inventory": "ishaan"}
    with time_machine.travel(timezone.make_aware(dt.datetime.combine(days(4), dt.time(9))), tick=False):
        assert client.get("/approvals/").context["rows"][0].on_behalf == {}


def _queue_queries(client) -> int:
    client.get("/approvals/")  # warm up
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/approvals/").status_code == 200
    return len(captured)


def test_the_queue_runs_a_fixed_number_of_queries_with_a_delegation(client, maya, ishaan, lata, omar, olga):
    world = make_world()
    for i in range(2):
        submitted(world, maya, name=f"Submitted {i}", starts_on=days(5 + i), ends_on=days(7 + i))
    client.force_login(omar)
    without = _queue_queries(client)
    away(ishaan, omar)
    away(lata, omar)
    with_two = _queue_queries(client)
    for i in range(2, 10):
        submitted(world, maya, name=f"Submitted {i}", starts_on=days(5 + i), ends_on=days(7 + i))
    _user("ivan", "ops_inventory")
    with_ten = _queue_queries(client)
    rows = client.get("/approvals/").context["rows"]
    assert len(rows) == 10
    assert all(row.on_behalf == {"inventory": "ishaan", "courier": "lata"} for row in rows)
    assert with_two == with_ten == without + 1  # whom he covers for: one query, only when he does


# --------------------------------------------------------------------------- reminders and escalations


TZ = timezone.get_default_timezone()
MONDAY_9AM = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


def test_a_reminder_goes_to_the_delegate_not_the_away_approver(settings, maya, ishaan, ines, lata, omar, olga):
    with time_machine.travel(MONDAY_9AM, tick=False) as clock:
        world = make_world()
        campaign = submitted(world, maya)
        today = timezone.localdate()
        services.delegation_set(actor=fresh(ishaan), delegate="ines", starts_on=today, ends_on=today)
        services.delegation_set(actor=fresh(omar), delegate="olga", starts_on=today, ends_on=today)
        clock.shift(dt.timedelta(hours=settings.MOPSYNC_SLA_HOURS + 1))  # Tuesday 10:00
        # The window was Monday only: on Tuesday nothing is routed.
        assert tasks.sla_reminders() == {"reminded": 1}
        reminders = Notification.objects.filter(kind="sla_reminder", campaign=campaign)
        # ines is an inventory approver herself: she is reminded too, on any day
        assert sorted(reminders.values_list("recipient__username", flat=True)) == ["ines", "ishaan", "lata"]
        escalations = Notification.objects.filter(kind="sla_escalation", campaign=campaign)
        assert sorted(escalations.values_list("recipient__username", flat=True)) == ["olga", "omar"]

        # Away on Wednesday: Wednesday's reminder and escalation go to the delegates.
        clock.shift(dt.timedelta(days=1))
        wednesday = timezone.localdate()
        services.delegation_set(actor=fresh(ishaan), delegate="ines", starts_on=wednesday, ends_on=wednesday)
        services.delegation_set(actor=fresh(omar), delegate="olga", starts_on=wednesday, ends_on=wednesday)
        Notification.objects.all().delete()
        assert tasks.sla_reminders() == {"reminded": 1}
        reminders = Notification.objects.filter(kind="sla_reminder", campaign=campaign)
        assert sorted(reminders.values_list("recipient__username", flat=True)) == ["ines", "lata"]
        escalations = Notification.objects.filter(kind="sla_escalation", campaign=campaign)
        assert list(escalations.values_list("recipient__username", flat=True)) == ["olga"]  # once, not twice


def test_a_sign_off_request_goes_to_the_delegate(maya, ishaan, lata, omar):
    world = make_world()
    away(lata, omar)
    campaign = submitted(world, maya)
    asked = Notification.objects.filter(kind="submitted", campaign=campaign)
    assert sorted(asked.values_list("recipient__username", flat=True)) == ["ishaan", "omar"]


def test_no_routing_outside_the_window(maya, ishaan, lata, omar):
    world = make_world()
    away(lata, omar, 1, 2)
    campaign = submitted(world, maya)
    asked = Notification.objects.filter(kind="submitted", campaign=campaign)
    assert sorted(asked.values_list("recipient__username", flat=True)) == ["ishaan", "lata", "omar"]


# --------------------------------------------------------------------------- signing on behalf


def test_signing_on_behalf_records_both_from_the_web_form(client, maya, ishaan, lata, omar):
    world = make_world()
    campaign = submitted(world, maya)
    away(ishaan, omar)
    client.force_login(omar)
    for dimension in ("inventory", "courier"):
        response = client.post(
            f"/approvals/{campaign.pk}/sign-off/",
            {"dimension": dimension, "decision": "approved", "next": "/approvals/"},
        )
        assert response.status_code == 302
    inventory = SignOff.objects.get(campaign=campaign, dimension="inventory")
    courier = SignOff.objects.get(campaign=campaign, dimension="courier")
    assert (inventory.actor, inventory.on_behalf_of) == (omar, ishaan)
    assert (courier.actor, courier.on_behalf_of) == (omar, None)  # lata is here: omar signs in his own right
    events = AuditEvent.objects.filter(campaign=campaign, action="sign_off").order_by("id")
    assert [(e.actor, e.changes.get("on_behalf_of")) for e in events] == [(omar, "ishaan"), (omar, None)]
    assert events[0].changes["on_behalf_of_id"] == ishaan.pk
    told = Notification.objects.get(kind="signoff_approved", campaign=campaign, subject__contains="inventory")
    assert "by omar on behalf of ishaan" in told.subject


def test_signing_on_behalf_from_the_queue_with_htmx_keeps_the_mark(client, maya, ishaan, lata, omar):
    world = make_world()
    campaign = submitted(world, maya)
    away(lata, omar)
    client.force_login(omar)
    response = client.post(
        f"/approvals/{campaign.pk}/sign-off/",
        {"dimension": "inventory", "decision": "approved", "next": "/approvals/"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "on behalf of lata" in response.content.decode()  # courier, still his to decide for her


def test_signing_on_behalf_records_both_through_the_api(maya, ishaan, lata, ines):
    world = make_world()
    campaign = submitted(world, maya)
    away(ishaan, ines)
    api = APIClient()
    api.force_authenticate(fresh(ines))
    url = f"/api/v1/campaigns/{campaign.pk}/sign-offs/"
    response = api.post(url, {"dimension": "inventory", "decision": "approved"}, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["actor"], response.json()["on_behalf_of"]) == ("ines", "ishaan")
    listed = api.get(url).json()["results"]
    assert [(s["actor"], s["on_behalf_of"]) for s in listed] == [("ines", "ishaan")]
    event = AuditEvent.objects.get(campaign=campaign, action="sign_off")
    assert (event.actor, event.changes["on_behalf_of"]) == (ines, "ishaan")


def test_outside_the_window_a_sign_off_is_in_ones_own_right(maya, ishaan, lata, omar):
    world = make_world()
    campaign = submitted(world, maya)
    away(ishaan, omar, 1, 3)
    signoff = services.campaign_sign_off(
        campaign=campaign, actor=fresh(omar), dimension="inventory", decision="approved"
    )
    assert signoff.on_behalf_of is None
    assert "on_behalf_of" not in AuditEvent.objects.get(campaign=campaign, action="sign_off").changes


# --------------------------------------------------------------------------- the page and the API


def test_the_availability_page_sets_lists_and_clears(client, ishaan, ines, lata, omar):
    client.force_login(ishaan)
    page = client.get("/availability/")
    assert page.status_code == 200
    offered = [u.username for u in page.context["choices"]]
    assert offered == ["ines", "omar"]  # not lata: she cannot sign inventory
    assert 'href="/availability/"' in page.content.decode()  # linked from the navigation

    response = client.post("/availability/", {"delegate": "omar", "starts_on": f"{days(1)}", "ends_on": f"{days(4)}"})
    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.user, delegation.delegate) == (ishaan, omar)
    html = client.get("/availability/").content.decode()
    assert "omar" in html and f"{days(1):%-d %b %Y}" in html

    client.force_login(omar)
    assert "You cover for" in client.get("/availability/").content.decode()

    client.force_login(ishaan)
    assert client.post("/availability/", {"clear": delegation.pk}).status_code == 302
    assert not Delegation.objects.exists()


def test_the_availability_page_explains_a_refusal(client, ishaan, lata):
    client.force_login(ishaan)
    response = client.post("/availability/", {"delegate": "ishaan", "starts_on": f"{days(3)}", "ends_on": f"{days(1)}"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "You cannot delegate to yourself" in html
    assert "must be on or after the first day away" in html
    assert f'value="{days(3)}"' in html  # what was typed, in ISO for the date input
    response = client.post("/availability/", {"delegate": "lata", "starts_on": f"{days(1)}", "ends_on": f"{days(2)}"})
    assert response.status_code == 409
    assert "lata cannot take your sign-offs" in response.content.decode()


def test_someone_elses_delegation_cannot_be_cleared_from_the_page(client, ishaan, ines, omar):
    delegation = away(ishaan, ines)
    client.force_login(omar)
    assert client.post("/availability/", {"clear": delegation.pk}).status_code == 404
    assert Delegation.objects.filter(pk=delegation.pk).exists()


def test_the_api_sets_lists_and_clears_delegations(ishaan, ines, lata, omar, maya):
    api = APIClient()
    api.force_authenticate(fresh(ishaan))
    url = "/api/v1/me/delegations/"
    body = {"delegate": "ines", "starts_on": f"{days(0)}", "ends_on": f"{days(2)}"}
    created = api.post(url, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json() | {"id": 0, "created_at": ""} == {
        "id": 0, "user": "ishaan", "delegate": "ines", "starts_on": f"{days(0)}", "ends_on": f"{days(2)}",
        "active": True, "created_at": "",
    }  # fmt: skip
    assert [d["delegate"] for d in api.get(url).json()["results"]] == ["ines"]

    overlap = api.post(url, body | {"delegate": "omar"}, format="json")
    assert (overlap.status_code, overlap.json()["code"]) == (409, "delegation_overlaps")
    lacking = api.post(
        url, body | {"delegate": "lata", "starts_on": f"{days(5)}", "ends_on": f"{days(6)}"}, format="json"
    )
    assert (lacking.status_code, lacking.json()["code"]) == (409, "delegate_lacks_role")
    bad = api.post(url, {"delegate": "ishaan", "starts_on": f"{days(5)}", "ends_on": f"{days(4)}"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) >= {"delegate", "ends_on"}
    assert api.post(url, {"starts_on": "tomorrow"}, format="json").status_code == 400

    delegate_view = APIClient()
    delegate_view.force_authenticate(fresh(ines))
    assert [d["user"] for d in delegate_view.get(url).json()["results"]] == ["ishaan"]  # whom she covers for
    pk = created.json()["id"]
    assert delegate_view.delete(f"{url}{pk}/").status_code == 404  # not hers to clear
    assert delegate_view.delete(f"{url}99999999999999999999/").status_code == 404

    marketing = APIClient()
    marketing.force_authenticate(fresh(maya))
    assert marketing.post(url, body | {"delegate": "omar"}, format="json").status_code == 403

    assert api.delete(f"{url}{pk}/").status_code == 204
    assert not Delegation.objects.exists()


def test_the_delegation_endpoints_are_in_the_schema(client, omar):
    client.force_login(omar)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/me/delegations/" in schema
    assert "/api/v1/me/delegations/{id}/" in schema
    assert "delegate_lacks_role" in schema


def test_a_courier_reminder_goes_to_a_lead_covering_who_would_not_get_it_otherwise(settings, maya, ishaan, lata, omar):
    with time_machine.travel(MONDAY_9AM, tick=False) as clock:
        world = make_world()
        campaign = submitted(world, maya)
        services.campaign_sign_off(campaign=campaign, actor=fresh(ishaan), dimension="inventory", decision="approved")
        clock.shift(dt.timedelta(hours=settings.MOPSYNC_SLA_HOURS + 1))
        tuesday = timezone.localdate()
        services.delegation_set(actor=fresh(lata), delegate="omar", starts_on=tuesday, ends_on=tuesday)
        assert tasks.sla_reminders() == {"reminded": 1}
        reminders = Notification.objects.filter(kind="sla_reminder", campaign=campaign)
        assert list(reminders.values_list("recipient__username", flat=True)) == ["omar"]  # not lata, away


def test_the_admin_sets_a_delegation_through_the_same_rules(client, ishaan, lata, omar):
    root = User.objects.create_superuser("root", "root@example.com", "pw-root")
    client.force_login(root)
    url = "/admin/campaigns/delegation/add/"
    form = {"user": ishaan.pk, "delegate": lata.pk, "starts_on": f"{days(1)}", "ends_on": f"{days(2)}"}
    refused = client.post(url, form)
    assert refused.status_code == 200  # the form again, with the rule that refused
    assert "lata cannot take your sign-offs" in refused.content.decode()
    assert not Delegation.objects.exists()
    assert client.post(url, form | {"delegate": omar.pk}).status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.user, delegation.delegate) == (ishaan, omar)


def test_the_queue_api_marks_the_away_approvers_items(maya, ishaan, lata, omar):
    world = make_world()
    submitted(world, maya)
    api = APIClient()
    api.force_authenticate(fresh(omar))
    assert api.get("/api/v1/approval-queue/").json()["results"][0]["on_behalf_of"] == {}
    away(ishaan, omar)
    (entry,) = api.get("/api/v1/approval-queue/").json()["results"]
    assert entry["dimensions"] == ["inventory", "courier"]
    assert entry["on_behalf_of"] == {"inventory": "ishaan"}
