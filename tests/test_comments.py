"""A discussion thread on each campaign (issue 17): anyone who can see it comments, an
@mention notifies the user named, the plan never changes, the page stays at a fixed
number of queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaigns import services
from campaigns.models import AuditEvent, Campaign, Comment, Notification
from capacity.models import Reservation
from mopsync.errors import InvalidInput, NotPermitted
from mopsync.tokens import token_create
from tests.helpers import approved, make_world, plan_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return make_world()


def _plan_state(campaign) -> tuple:
    campaign = Campaign.objects.get(pk=campaign.pk)
    return (
        campaign.status, campaign.plan_version, campaign.inventory_valid_from, campaign.courier_valid_from,
        campaign.orders_per_day, campaign.changes_since_signoff, Reservation.objects.filter(campaign=campaign).count(),
        AuditEvent.objects.filter(campaign=campaign).count(),
    )  # fmt: skip


def test_a_comment_mentions_notify_only_the_users_named_and_the_plan_is_unchanged(
    world, maya, ishaan, lata, omar, outsider
):
    campaign = approved(world, maya, ishaan, lata)
    before = _plan_state(campaign)
    Notification.objects.all().delete()

    comment = services.comment_add(
        actor=omar, campaign=campaign, body="@lata can Pune take it? cc @maya, @nobody and @outsider. @omar"
    )

    assert comment.body.startswith("@lata") and comment.author == omar
    mentions = Notification.objects.filter(kind="mention")
    assert sorted(n.recipient.username for n in mentions) == ["lata", "maya"]  # not the author, nor unknowns
    assert all(n.campaign_id == campaign.pk and "omar mentioned you" in n.subject for n in mentions)
    assert Notification.objects.exclude(kind="mention").count() == 0
    assert _plan_state(campaign) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "This field is required."), ("   ", "This field is required."), ("a\x00b", "Must not contain NUL"),
     ("x" * 5001, "At most 5000 characters."), (["list"], "Must be text.")],
)  # fmt: skip
def test_a_comment_is_checked(world, maya, body, message):
    campaign = services.campaign_create(actor=maya, data=plan_data(world))
    with pytest.raises(InvalidInput) as refused:
        services.comment_add(actor=maya, campaign=campaign, body=body)
    assert message in " ".join(refused.value.errors["body"])
    assert not Comment.objects.exists()


def test_a_user_without_a_role_cannot_comment(world, maya, outsider):
    campaign = services.campaign_create(actor=maya, data=plan_data(world))
    with pytest.raises(NotPermitted):
        services.comment_add(actor=outsider, campaign=campaign, body="hello")


def test_the_page_form_adds_a_comment_shown_escaped_on_the_timeline(client, world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    client.force_login(ishaan)

    response = client.post(f"/campaigns/{campaign.pk}/comments/", {"body": "<script>x()</script> @maya ok?"})

    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    timeline = page.split('id="timeline"', 1)[1].split("</section>", 1)[0]
    assert "&lt;script&gt;x()&lt;/script&gt; @maya ok?" in timeline and "<script>x()" not in page
    assert timeline.rindex("Signoff") < timeline.index("&lt;script&gt;")  # after the events before it
    assert Notification.objects.filter(kind="mention", recipient=maya).count() == 1


def test_the_page_form_refuses_an_empty_comment_with_htmx_and_without(client, world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    client.force_login(maya)

    plain = client.post(f"/campaigns/{campaign.pk}/comments/", {"body": "  "})
    htmx = client.post(f"/campaigns/{campaign.pk}/comments/", {"body": ""}, HTTP_HX_REQUEST="true")
    added = client.post(f"/campaigns/{campaign.pk}/comments/", {"body": "Looks good"}, HTTP_HX_REQUEST="true")

    assert plain.status_code == 400 and "This field is required." in plain.content.decode()
    assert htmx.status_code == 200 and b'role="alert"' in htmx.content and b"<html" not in htmx.content
    assert added.status_code == 200 and b"Looks good" in added.content and b'id="timeline"' in added.content
    assert Comment.objects.count() == 1


def test_the_api_lists_and_adds_comments(world, maya, ishaan, lata, omar):
    campaign = approved(world, maya, ishaan, lata)
    api = Client(HTTP_AUTHORIZATION=f"Token {token_create(user=lata)[1]}")
    url = f"/api/v1/campaigns/{campaign.pk}/comments/"
    before = _plan_state(campaign)

    created = api.post(url, {"body": "@omar fits"}, content_type="application/json")
    bad = api.post(url, {"body": ""}, content_type="application/json")
    nul = api.post(url, {"body": "a\x00"}, content_type="application/json")
    not_a_dict = api.post(url, ["x"], content_type="application/json")
    listed = api.get(url)

    assert created.status_code == 201 and created.json()["author"] == "lata" and created.json()["body"] == "@omar fits"
    assert bad.status_code == 400 and "body" in str(bad.json())
    assert nul.status_code == 400 and not_a_dict.status_code == 400
    assert [c["body"] for c in listed.json()["results"]] == ["@omar fits"]
    assert Notification.objects.filter(kind="mention").get().recipient == omar
    assert _plan_state(campaign) == before


def _page_queries(client, campaign) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/campaigns/{campaign.pk}/")
    assert response.status_code == 200
    return len(captured)


def test_the_campaign_page_runs_a_fixed_number_of_queries_with_many_comments(client, world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    client.force_login(maya)
    services.comment_add(actor=ishaan, campaign=campaign, body="first @maya")
    client.get(f"/campaigns/{campaign.pk}/")
    with_one = _page_queries(client, campaign)
    for n in range(30):
        services.comment_add(actor=[maya, ishaan, lata][n % 3], campaign=campaign, body=f"comment {n} @lata")
    client.get(f"/campaigns/{campaign.pk}/")
    with_many = _page_queries(client, campaign)

    assert with_one == with_many
    assert client.get(f"/campaigns/{campaign.pk}/").content.decode().count('class="comment"') == 31
