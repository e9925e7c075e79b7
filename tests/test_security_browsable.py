"""Issue 18.7: the browsable API never answers 500, whatever the Accept header.

DRF's HTML renderer asks each permission whether to show a form for POST/PATCH; a domain
refusal raised there (marketing may not sign off, ops may not plan) must read as DRF's
own PermissionDenied, so that the renderer leaves the form out instead of failing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import make_world, submitted

pytestmark = pytest.mark.django_db

HTML = "text/html"


@pytest.fixture
def world(db):
    return make_world()


def _html_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["maya", "ishaan", "lata", "omar"])
def test_campaign_pages_of_the_browsable_api_render_for_every_role(world, maya, who, request):
    user = request.getfixturevalue(who)
    campaign = submitted(world, maya)
    client = _html_client(user)
    for url in (
        "/api/v1/campaigns/",
        f"/api/v1/campaigns/{campaign.pk}/",
        f"/api/v1/campaigns/{campaign.pk}/sign-offs/",
        f"/api/v1/campaigns/{campaign.pk}/events/",
    ):
        response = client.get(url, HTTP_ACCEPT=HTML)
        assert response.status_code == 200, (url, response.status_code)
        assert response["Content-Type"].startswith(HTML)


def test_a_refusal_keeps_its_shape_in_json(world, ishaan):
    """The 403 an ops user gets for planning is still {detail, code: not_permitted}."""
    client = _html_client(ishaan)
    response = client.post("/api/v1/campaigns/", {}, content_type="application/json", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert response.json()["detail"]


def test_a_refusal_renders_as_html_too(world, maya):
    """Marketing posting a sign-off with Accept: text/html gets the 403 page, not a 500."""
    campaign = submitted(world, maya)
    client = _html_client(maya)
    response = client.post(
        f"/api/v1/campaigns/{campaign.pk}/sign-offs/",
        {"dimension": "inventory", "decision": "approved"},
        HTTP_ACCEPT=HTML,
    )
    assert response.status_code == 403


ACCEPTS = [HTML, "text/html;q=0.9,*/*;q=0.8", "application/json", "*/*", "text/csv", "application/xml", "image/png"]


@pytest.mark.parametrize("who", ["maya", "ishaan", "lata", "omar", "outsider"])
def test_no_accept_header_makes_any_endpoint_answer_500(world, maya, who, request):
    """Every list and object endpoint, as every role, under every Accept header: a page,
    a 403/404 or a 406, never a 500."""
    campaign = submitted(world, maya)
    user = request.getfixturevalue(who)
    client = _html_client(user)
    urls = [
        "/api/v1/", "/api/v1/me/", "/api/v1/approval-queue/", "/api/v1/calendar/?start=2026-12-01&end=2026-12-31",
        "/api/v1/imports/", "/api/v1/notifications/", "/api/v1/promo-windows/", "/api/v1/skus/",
        "/api/v1/warehouses/", "/api/v1/regions/", "/api/v1/couriers/", "/api/v1/courier-lanes/",
        "/api/v1/stock-levels/", "/api/v1/inbound-shipments/", "/api/v1/constraints/",
        "/api/v1/campaigns/", f"/api/v1/campaigns/{campaign.pk}/",
        f"/api/v1/campaigns/{campaign.pk}/capacity-check/", f"/api/v1/campaigns/{campaign.pk}/sign-offs/",
        f"/api/v1/campaigns/{campaign.pk}/events/", f"/api/v1/skus/{world.sku.code}/",
    ]  # fmt: skip
    for url in urls:
        for accept in ACCEPTS:
            response = client.get(url, HTTP_ACCEPT=accept)
            assert response.status_code < 500, (url, accept, response.status_code)
