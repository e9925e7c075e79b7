"""Object-level access (no IDOR): for every object page and the endpoints the API matrix
does not cover, a user of another role or another owner gets exactly what DESIGN.md
allows, and a refused request changes nothing.

The API's role × endpoint table is tests/test_api_permissions.py; this module covers
the pages (campaign detail, edit, actions, sign-off, reservations and timeline, capacity
edit pages, imports, calendar, inbox, admin), other users' notifications, import status,
and the calendar feed token.

The rules: every role reads every plan, its reservations and its audit trail (and every
import: ops and marketing data are shared); an account with no role reads nothing (pages,
API and feed alike); only the owner in marketing edits, submits and scales up a plan; the
owner in marketing or an ops lead starts, pauses, resumes and cancels it; ops sign off their own
dimension and never a plan they own, marketing never; notifications are their
recipient's alone; capacity data is kept by the ops role that owns it; the admin is staff's.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from campaigns import calendar
from campaigns.models import Notification
from campaigns.ops_views import SECTIONS
from capacity.models import ImportJob, StockLevel
from tests.api_support import client_for, snapshot
from tests.helpers import approved, live, make_world, plan_data, submitted

pytestmark = pytest.mark.django_db

READERS = ["maya", "mark", "ishaan", "lata", "omar"]


@pytest.fixture
def everyone(maya, mark, ishaan, lata, omar, outsider):
    return {u.username: u for u in (maya, mark, ishaan, lata, omar, outsider)}


@pytest.fixture
def world(db):
    return make_world()


def as_user(username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def messages_of(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


def pages_of(campaign, job) -> list[str]:
    return [
        "/",
        *(f"/dashboard/{name}/" for name in SECTIONS),
        "/campaigns/",
        "/campaigns/export.csv",
        "/campaigns/new/",
        f"/campaigns/{campaign.pk}/",
        f"/campaigns/{campaign.pk}/edit/",
        "/calendar/",
        "/calendar/export.csv",
        "/capacity/",
        "/capacity/imports/",
        f"/capacity/imports/{job.pk}/",
        f"/capacity/imports/{job.pk}/errors.csv",
    ]


@pytest.fixture
def job(ishaan):
    errors = [{"row": 2, "column": "sku", "message": "Unknown SKU"}]
    return ImportJob.objects.create(
        kind="stock_levels", file_name="stock.csv", status="failed", created_by=ishaan, errors=errors
    )


# --------------------------------------------------------------------------- reading


def test_every_role_reads_every_plan_page(world, everyone, job):
    campaign = live(world, everyone["maya"], everyone["ishaan"], everyone["lata"])
    for username in READERS:
        client = as_user(username)
        for url in pages_of(campaign, job):
            assert client.get(url).status_code == 200, (username, url)


def test_the_campaign_page_shows_reservations_and_timeline_to_every_role(world, everyone):
    campaign = live(world, everyone["maya"], everyone["ishaan"], everyone["lata"])
    for username in READERS:
        page = as_user(username).get(f"/campaigns/{campaign.pk}/").content.decode()
        assert "TEE-01 at BOM-WH" in page and "Timeline" in page, username


def test_an_account_without_a_role_reads_nothing(world, everyone, job):
    campaign = submitted(world, everyone["maya"])
    client = as_user("outsider")
    for url in pages_of(campaign, job):
        assert client.get(url).status_code == 403, url
    assert client.get("/approvals/").status_code == 403
    assert client.get("/inbox/").status_code == 200  # their own (empty) inbox


def test_anonymous_is_sent_to_sign_in_everywhere(world, maya, job):
    campaign = submitted(world, maya)
    client = Client()
    for url in [*pages_of(campaign, job), "/approvals/", "/inbox/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


# --------------------------------------------------------------------------- another owner, another role


def campaign_state(campaign) -> tuple:
    campaign.refresh_from_db()
    return (campaign.status, campaign.plan_version, campaign.name, campaign.orders_per_day, campaign.updated_at)


def edit_post(world) -> dict:
    from tests.test_web_campaigns import form_post

    return form_post(world, name="Mark's now", orders_per_day="999")


# (state of maya's campaign, action, form data, who is refused, the words of the refusal)
REFUSED_ACTIONS = [
    ("draft", "submit", {}, ["mark", "ishaan", "lata", "omar"], "owner in marketing"),
    ("submitted", "cancel", {"comment": "not mine"}, ["mark", "ishaan", "lata"], "owner in marketing or an ops lead"),
    ("approved", "go-live", {}, ["mark", "ishaan", "lata"], "owner in marketing or an ops lead"),
    ("live", "pause", {"comment": "not mine"}, ["mark", "ishaan", "lata"], "owner in marketing or an ops lead"),
    ("live", "scale-up", {"orders_per_day": "500"}, ["mark", "ishaan", "lata", "omar"], "owner in marketing"),
]


def maya_campaign(state: str, world, everyone):
    maya, ishaan, lata = everyone["maya"], everyone["ishaan"], everyone["lata"]
    from campaigns import services

    if state == "draft":
        return services.campaign_create(actor=maya, data=plan_data(world))
    if state == "submitted":
        return submitted(world, maya)
    today = timezone.localdate()
    if state == "approved":
        return approved(world, maya, ishaan, lata, starts_on=today, ends_on=today)
    return live(world, maya, ishaan, lata)


@pytest.mark.parametrize(
    ("state", "action", "data", "refused", "words"), REFUSED_ACTIONS, ids=[a[1] for a in REFUSED_ACTIONS]
)
def test_only_who_the_rules_name_acts_on_a_campaign_page(world, everyone, state, action, data, refused, words):
    campaign = maya_campaign(state, world, everyone)
    before, rows = campaign_state(campaign), snapshot()
    for username in refused:
        response = as_user(username).post(f"/campaigns/{campaign.pk}/{action}/", data)
        assert response.status_code == 302, username
        assert any(words in m for m in messages_of(response)), (username, messages_of(response))
    assert campaign_state(campaign) == before
    assert snapshot() == rows
    # ...and the owner may.
    response = as_user("maya").post(f"/campaigns/{campaign.pk}/{action}/", data)
    assert not any(words in m for m in messages_of(response)), messages_of(response)


def test_another_marketer_cannot_edit_maya_plan_from_the_form(world, everyone):
    campaign = submitted(world, everyone["maya"])
    before, rows = campaign_state(campaign), snapshot()
    for username in ("mark", "omar", "ishaan"):
        response = as_user(username).post(f"/campaigns/{campaign.pk}/edit/", edit_post(world))
        assert response.status_code == 200
        assert "Only the campaign&#x27;s owner in marketing can edit it." in response.content.decode(), username
    assert campaign_state(campaign) == before
    assert snapshot() == rows


def test_the_page_offers_no_action_to_whom_the_rules_refuse(world, everyone):
    campaign = live(world, everyone["maya"], everyone["ishaan"], everyone["lata"])
    page = as_user("mark").get(f"/campaigns/{campaign.pk}/").content.decode()
    for label in ("Edit plan", "Pause", "Cancel campaign", "Scale up"):
        assert label not in page, label


# (who signs, dimension, words of the refusal)
REFUSED_SIGNOFFS = [
    ("maya", "inventory", "Marketing can never sign off"),
    ("mark", "courier", "Marketing can never sign off"),
    ("ishaan", "courier", "needs the ops_logistics or ops_lead role"),
    ("lata", "inventory", "needs the ops_inventory or ops_lead role"),
]


@pytest.mark.parametrize(
    ("who", "dimension", "words"), REFUSED_SIGNOFFS, ids=[f"{w}-{d}" for w, d, _ in REFUSED_SIGNOFFS]
)
def test_sign_off_page_refuses_the_wrong_role_and_changes_nothing(world, everyone, who, dimension, words):
    campaign = submitted(world, everyone["maya"])
    rows = snapshot()
    response = as_user(who).post(
        f"/approvals/{campaign.pk}/sign-off/", {"dimension": dimension, "decision": "approved", "next": "/approvals/"}
    )
    assert response.status_code == 302
    assert any(words in m for m in messages_of(response)), messages_of(response)
    assert snapshot() == rows


def test_ops_lead_cannot_sign_off_a_plan_they_own(world, everyone):
    omar = everyone["omar"]
    omar.groups.add(Group.objects.get(name="marketing"))
    campaign = submitted(world, omar)
    rows = snapshot()
    response = as_user("omar").post(
        f"/approvals/{campaign.pk}/sign-off/", {"dimension": "inventory", "decision": "approved"}
    )
    assert any("never sign off" in m.lower() for m in messages_of(response)), messages_of(response)
    assert snapshot() == rows


# --------------------------------------------------------------------------- capacity edit pages

# page → the roles that keep that data (everyone else with a role gets 403)
KEEPERS = {
    "stock": {"ishaan", "omar"},
    "inbound": {"ishaan", "omar"},
    "lane": {"lata", "omar"},
    "warehouse": {"lata", "omar"},
    "constraint": {"ishaan", "lata", "omar"},
    "constraint_delete": {"ishaan", "lata", "omar"},
}


def edit_pages(world) -> dict[str, str]:
    from capacity.models import CapacityConstraint, InboundShipment

    today = timezone.localdate()
    shipment = InboundShipment.objects.create(sku=world.sku, warehouse=world.warehouse, quantity=5, expected_on=today)
    constraint = CapacityConstraint.objects.create(
        kind="warehouse_blackout", starts_on=today, ends_on=today, warehouse=world.warehouse
    )
    stock = StockLevel.objects.get(sku=world.sku, warehouse=world.warehouse)
    return {
        "stock": f"/capacity/stock/{stock.pk}/edit/",
        "inbound": f"/capacity/inbound/{shipment.pk}/edit/",
        "lane": f"/capacity/lanes/{world.lane_mumbai.pk}/edit/",
        "warehouse": f"/capacity/warehouses/{world.warehouse.pk}/edit/",
        "constraint": f"/capacity/constraints/{constraint.pk}/edit/",
        "constraint_delete": f"/capacity/constraints/{constraint.pk}/delete/",
    }


def test_capacity_edit_pages_open_only_for_their_keepers(world, everyone):
    pages = edit_pages(world)
    for username in [*READERS, "outsider"]:
        client = as_user(username)
        for page, url in pages.items():
            expected = 200 if username in KEEPERS[page] else 403
            assert client.get(url).status_code == expected, (username, page)


# --------------------------------------------------------------------------- notifications


@pytest.fixture
def notes(everyone):
    return {
        name: Notification.objects.create(recipient=everyone[name], kind="test", subject=f"For {name} only")
        for name in ("maya", "mark")
    }


def test_nobody_reads_or_marks_another_users_notification_over_the_api(notes):
    api = client_for("maya")
    listed = api.get("/api/v1/notifications/").json()["results"]
    assert [n["id"] for n in listed] == [notes["maya"].pk]

    assert api.post(f"/api/v1/notifications/{notes['mark'].pk}/read/").status_code == 404
    notes["mark"].refresh_from_db()
    assert notes["mark"].read_at is None
    assert api.post(f"/api/v1/notifications/{notes['maya'].pk}/read/").status_code == 200


def test_the_inbox_shows_and_marks_only_ones_own(notes):
    client = as_user("maya")
    page = client.get("/inbox/").content.decode()
    assert "For maya only" in page and "For mark only" not in page
    client.post("/inbox/")
    notes["maya"].refresh_from_db()
    notes["mark"].refresh_from_db()
    assert notes["maya"].read_at is not None and notes["mark"].read_at is None


# --------------------------------------------------------------------------- imports


def test_an_import_status_is_read_by_every_role_and_nobody_else(everyone, job):
    for username in READERS:  # ops and marketing data are shared; maya did not upload it
        response = client_for(username).get(f"/api/v1/imports/{job.pk}/")
        assert response.status_code == 200, username
        assert response.json()["errors"] == [{"row": 2, "column": "sku", "message": "Unknown SKU"}]
    assert client_for("outsider").get(f"/api/v1/imports/{job.pk}/").status_code == 403
    assert client_for(None).get(f"/api/v1/imports/{job.pk}/").status_code == 401
    assert client_for("maya").get(f"/api/v1/imports/{job.pk + 1000}/").status_code == 404


def test_an_import_file_is_never_served_back(everyone, ishaan):
    """Only status and errors: the uploaded content stays on the server."""
    job = ImportJob.objects.create(kind="stock_levels", file_name="s.csv", content="secret,rows\n", created_by=ishaan)
    body = client_for("maya").get(f"/api/v1/imports/{job.pk}/").content.decode()
    assert "secret,rows" not in body
    page = as_user("maya").get(f"/capacity/imports/{job.pk}/").content.decode()
    assert "secret,rows" not in page


# --------------------------------------------------------------------------- calendar feed


def test_a_feed_token_opens_only_its_owners_feed_and_regenerating_is_per_user(everyone):
    maya_token = calendar.calendar_feed_for(everyone["maya"]).token
    mark_token = calendar.calendar_feed_for(everyone["mark"]).token
    response = Client().get(f"/calendar/{maya_token}.ics")
    assert response.status_code == 200
    assert "mopsync — maya" in response.content.decode()

    as_user("mark").post("/calendar/feed/regenerate/")
    assert calendar.calendar_feed_for(everyone["maya"]).token == maya_token  # untouched
    assert calendar.calendar_feed_for(everyone["mark"]).token != mark_token
    assert Client().get(f"/calendar/{mark_token}.ics").status_code == 404
    assert Client().get(f"/calendar/{maya_token[:-1]}.ics").status_code == 404


def test_a_feed_stops_when_its_owner_loses_every_role(everyone):
    maya = everyone["maya"]
    token = calendar.calendar_feed_for(maya).token
    assert Client().get(f"/calendar/{token}.ics").status_code == 200
    maya.groups.clear()
    assert Client().get(f"/calendar/{token}.ics").status_code == 404
    outsider_token = calendar.calendar_feed_for(everyone["outsider"]).token
    assert Client().get(f"/calendar/{outsider_token}.ics").status_code == 404


# --------------------------------------------------------------------------- admin


def test_the_admin_is_for_staff_only(world, everyone):
    campaign = submitted(world, everyone["maya"])
    change = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    for username in [*READERS, "outsider"]:
        response = as_user(username).get(change)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), username

    clerk = User.objects.create_user("clerk", password="pw-clerk", is_staff=True)  # staff, no permissions
    assert as_user("clerk").get(change).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    assert as_user("clerk").get(change).status_code == 200
    rows = snapshot()
    response = as_user("clerk").post(change, {"name": "Renamed by a viewer"})
    assert response.status_code == 403
    assert snapshot() == rows
