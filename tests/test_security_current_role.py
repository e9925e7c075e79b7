"""Issue 18.10: every transition checks the actor's role now, not when they planned.

An owner who has left marketing (moved to an ops team, say) no longer starts, pauses,
resumes or cancels their campaigns, through any door (service, page, API, admin action);
nothing changes when they try, and the page does not offer the buttons. An ops lead still can.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from campaigns import services, workflow
from campaigns.models import Campaign, Status
from mopsync.errors import NotPermitted
from mopsync.roles import MARKETING, OPS_INVENTORY
from tests.helpers import approved, live, make_world

pytestmark = pytest.mark.django_db


def _leave_marketing(user):
    user.groups.remove(Group.objects.get(name=MARKETING))
    user.groups.add(Group.objects.get(name=OPS_INVENTORY))
    user.__dict__.pop("_mopsync_roles", None)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def running(world, maya, ishaan, lata):
    """maya's live campaign, then maya moves to the inventory team."""
    campaign = live(world, maya, ishaan, lata)
    _leave_marketing(maya)
    return campaign


def test_the_service_refuses_every_transition(running, maya):
    for call in (services.campaign_pause, services.campaign_cancel):
        with pytest.raises(NotPermitted, match="owner in marketing or an ops lead"):
            call(campaign=running, actor=maya)
    assert Campaign.objects.get(pk=running.pk).status == Status.LIVE


def test_the_page_offers_no_transition_and_refuses_a_post(running, maya):
    client = _client(maya)
    assert workflow.available_actions(running, maya) == []
    page = client.get(f"/campaigns/{running.pk}/")
    assert page.status_code == 200
    assert f"/campaigns/{running.pk}/pause/" not in page.content.decode()
    client.post(f"/campaigns/{running.pk}/pause/", {"comment": "stop"})
    client.post(f"/campaigns/{running.pk}/cancel/", {"comment": "stop"})
    assert Campaign.objects.get(pk=running.pk).status == Status.LIVE


@pytest.mark.parametrize("action", ["pause", "cancel"])
def test_the_api_answers_403_and_changes_nothing(running, maya, action):
    response = _client(maya).post(f"/api/v1/campaigns/{running.pk}/{action}/", {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert Campaign.objects.get(pk=running.pk).status == Status.LIVE


def test_resume_and_go_live_too(world, maya, ishaan, lata, omar):
    paused = services.campaign_pause(campaign=live(world, maya, ishaan, lata), actor=maya)
    start = timezone.localdate()
    scheduled = approved(world, maya, ishaan, lata, starts_on=start, ends_on=start + dt.timedelta(days=3))
    _leave_marketing(maya)
    client = _client(maya)
    assert client.post(f"/api/v1/campaigns/{paused.pk}/resume/").status_code == 403
    assert client.post(f"/api/v1/campaigns/{scheduled.pk}/go-live/").status_code == 403
    assert Campaign.objects.get(pk=paused.pk).status == Status.PAUSED
    assert Campaign.objects.get(pk=scheduled.pk).status == Status.APPROVED
    # An ops lead still runs them.
    services.campaign_resume(campaign=paused, actor=omar)
    services.campaign_go_live(campaign=scheduled, actor=omar)
    assert Campaign.objects.get(pk=paused.pk).status == Status.LIVE
    assert Campaign.objects.get(pk=scheduled.pk).status == Status.LIVE


def test_the_admin_action_refuses_too(running, maya):
    maya.is_staff = True
    maya.save()
    maya.user_permissions.add(
        Permission.objects.get(codename="view_campaign"), Permission.objects.get(codename="change_campaign")
    )
    response = _client(maya).post(
        "/admin/campaigns/campaign/", {"action": "pause", "_selected_action": [running.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "owner in marketing or an ops lead" in response.content.decode()
    assert Campaign.objects.get(pk=running.pk).status == Status.LIVE
