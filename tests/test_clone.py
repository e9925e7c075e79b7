"""Clone a campaign as a new draft (issue 17): through the page and the API."""

import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from campaigns import services
from campaigns.models import AuditEvent, Campaign
from capacity.models import Reservation, SignOff
from tests.helpers import approved, make_world, plan_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return make_world()


def _lines(campaign):
    return (
        sorted((line.sku.code, line.share) for line in campaign.sku_lines.all()),
        sorted((line.region.code, line.share) for line in campaign.region_lines.all()),
    )


def test_clone_button_makes_a_draft_owned_by_the_cloner_and_opens_its_edit_page(
    client, world, maya, mark, ishaan, lata
):
    source = approved(world, maya, ishaan, lata, name="Diwali tees", sessions_per_day=8000, conversion_rate="0.025")
    assert SignOff.objects.filter(campaign=source).exists() and Reservation.objects.filter(campaign=source).exists()
    client.force_login(mark)
    page = client.get(f"/campaigns/{source.pk}/").content.decode()
    assert f'action="/campaigns/{source.pk}/clone/"' in page and ">Clone</button>" in page

    response = client.post(f"/campaigns/{source.pk}/clone/")

    clone = Campaign.objects.exclude(pk=source.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{clone.pk}/edit/"
    assert clone.name == "Copy of Diwali tees"
    assert clone.owner == mark and clone.status == "draft" and clone.plan_version == 1
    assert (clone.starts_on, clone.ends_on) == (source.starts_on, source.ends_on)
    assert (clone.forecast_basis, clone.sessions_per_day, clone.conversion_rate, clone.orders_per_day) == (
        source.forecast_basis, source.sessions_per_day, source.conversion_rate, source.orders_per_day,
    )  # fmt: skip
    assert (clone.cod_share, clone.budget, clone.units_per_order) == (
        source.cod_share, source.budget, source.units_per_order,
    )  # fmt: skip
    assert _lines(clone) == _lines(source)
    assert clone.approved_orders_per_day is None and clone.submitted_at is None
    assert not SignOff.objects.filter(campaign=clone).exists()
    assert not Reservation.objects.filter(campaign=clone).exists()
    events = list(AuditEvent.objects.filter(campaign=clone))
    assert [(e.action, e.actor, e.to_status) for e in events] == [("create", mark, "draft")]
    assert "Diwali tees" in events[0].comment and events[0].changes == {"cloned_from": source.pk}
    # The source is untouched.
    assert Campaign.objects.get(pk=source.pk).status == "approved"
    edit = client.get(response["Location"]).content.decode()
    assert 'value="Copy of Diwali tees"' in edit


def test_clone_of_a_cancelled_campaign_is_allowed(client, world, maya):
    source = services.campaign_create(actor=maya, data=plan_data(world))
    services.campaign_cancel(campaign=source, actor=maya)
    client.force_login(maya)
    response = client.post(f"/campaigns/{source.pk}/clone/")
    clone = Campaign.objects.exclude(pk=source.pk).get()
    assert response["Location"] == f"/campaigns/{clone.pk}/edit/"
    assert clone.status == "draft"


def test_who_may_not_plan_sees_no_clone_button_and_is_refused(client, world, maya, ishaan):
    source = services.campaign_create(actor=maya, data=plan_data(world))
    client.force_login(ishaan)
    page = client.get(f"/campaigns/{source.pk}/").content.decode()
    assert f"/campaigns/{source.pk}/clone/" not in page
    response = client.post(f"/campaigns/{source.pk}/clone/")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{source.pk}/"
    assert ["Only marketing can plan campaigns."] == [m.message for m in get_messages(response.wsgi_request)]
    assert Campaign.objects.count() == 1
    assert client.get(f"/campaigns/{source.pk}/clone/").status_code == 405


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_clone_returns_201_with_the_new_draft(world, maya, mark, ishaan, lata):
    source = approved(world, maya, ishaan, lata, name="Winter caps")
    response = _api(mark).post(f"/api/v1/campaigns/{source.pk}/clone/")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] != source.pk and body["name"] == "Copy of Winter caps" and body["status"] == "draft"
    clone = Campaign.objects.get(pk=body["id"])
    assert clone.owner == mark and _lines(clone) == _lines(source)
    assert not SignOff.objects.filter(campaign=clone).exists()


def test_api_clone_of_a_cancelled_campaign(world, maya):
    source = services.campaign_create(actor=maya, data=plan_data(world))
    services.campaign_cancel(campaign=source, actor=maya)
    response = _api(maya).post(f"/api/v1/campaigns/{source.pk}/clone/")
    assert response.status_code == 201 and response.json()["status"] == "draft"


def test_api_clone_refuses_who_may_not_plan(world, maya, ishaan, outsider):
    source = services.campaign_create(actor=maya, data=plan_data(world))
    response = _api(ishaan).post(f"/api/v1/campaigns/{source.pk}/clone/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only marketing can plan campaigns.", "code": "not_permitted"}
    assert _api(outsider).post(f"/api/v1/campaigns/{source.pk}/clone/").status_code == 403
    assert _api(maya).post("/api/v1/campaigns/999999/clone/").status_code == 404
    assert Campaign.objects.count() == 1
