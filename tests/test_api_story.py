"""The whole story over HTTP, as an ad tool and a warehouse system would drive it."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.helpers import make_world

pytestmark = pytest.mark.django_db


def token_client(username: str) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": username, "password": "pw-" + username}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_plan_sign_off_go_live_pause_resume_with_an_audit_trail(maya, ishaan, lata, omar):
    make_world()
    today = timezone.localdate()
    marketing, inventory, logistics, lead = (token_client(u) for u in ("maya", "ishaan", "lata", "omar"))

    created = marketing.post(
        "/api/v1/campaigns/",
        {
            "name": "Winter hoodies",
            "channel": "google",
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=6)).isoformat(),
            "sessions_per_day": 8000,
            "conversion_rate": "0.025",
            "units_per_order": "1.2",
            "cod_share": "0.4",
            "delivery_promise_days": 4,
            "budget": "150000",
            "expected_order_value": "1499",
            "skus": [{"sku": "TEE-01", "share": "0.7"}, {"sku": "CAP-01", "share": "0.3"}],
            "regions": [{"region": "MUM", "share": "0.6"}, {"region": "PUN", "share": "0.4"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    campaign = created.json()
    assert (campaign["status"], campaign["orders_per_day"], campaign["owner"]) == ("draft", 200, "maya")
    url = f"/api/v1/campaigns/{campaign['id']}/"

    check = marketing.get(url + "capacity-check/").json()
    assert check["verdict"] in ("fits", "fits_with_warnings")
    assert check["max_orders_per_day"] >= 200

    submitted = marketing.post(url + "submit/")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["late_notice"] is True  # starts today: less than 72 hours' notice

    queue = inventory.get("/api/v1/approval-queue/").json()
    assert [(e["campaign"]["id"], e["dimensions"]) for e in queue["results"]] == [(campaign["id"], ["inventory"])]

    early = marketing.post(url + "go-live/")
    assert early.status_code == 409
    assert early.json()["code"] == "signoffs_missing"

    signed = inventory.post(url + "sign-offs/", {"dimension": "inventory", "decision": "approved"}, format="json")
    assert signed.status_code == 201, signed.content
    capped = logistics.post(
        url + "sign-offs/",
        {"dimension": "courier", "decision": "approved", "approved_orders_per_day": 150, "comment": "Pune is tight"},
        format="json",
    )
    assert capped.status_code == 201, capped.content
    detail = marketing.get(url).json()
    assert (detail["status"], detail["approved_orders_per_day"]) == ("approved", 150)
    assert detail["sign_offs"]["courier"]["approved_orders_per_day"] == 150

    assert marketing.post(url + "go-live/").json()["status"] == "live"
    assert lead.post(url + "pause/", {"comment": "Stock recount"}, format="json").json()["status"] == "paused"
    assert marketing.post(url + "resume/").json()["status"] == "live"

    events = marketing.get(url + "events/").json()["results"]
    assert [(e["action"], e["actor"], e["to_status"]) for e in events] == [
        ("create", "maya", "draft"),
        ("submit", "maya", "submitted"),
        ("sign_off", "ishaan", "submitted"),
        ("sign_off", "lata", "approved"),
        ("go_live", "maya", "live"),
        ("pause", "omar", "paused"),
        ("resume", "maya", "live"),
    ]
    assert events[3]["comment"] == "Pune is tight"


def test_unauthenticated_is_401_and_bad_token_is_401(db):
    assert APIClient().get("/api/v1/campaigns/").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/campaigns/").status_code == 401


def test_schema_and_docs_are_served_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/campaigns/{id}/sign-offs/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
