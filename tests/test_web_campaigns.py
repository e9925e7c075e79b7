"""Campaign pages: list, plan form with the live check, detail and its actions, inbox."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import AuditEvent, Campaign, Notification
from tests.helpers import approved, live, make_world, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return make_world()


def messages_of(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


def form_post(world, **overrides) -> dict:
    start = timezone.localdate() + dt.timedelta(days=10)
    data = {
        "name": "Monsoon sale",
        "brief": "Rain jackets",
        "channel": "meta",
        "starts_on": start.isoformat(),
        "ends_on": (start + dt.timedelta(days=4)).isoformat(),
        "forecast_basis": "orders",
        "orders_per_day": "120",
        "units_per_order": "1",
        "cod_percent": "30",
        "delivery_promise_days": "4",
        "budget": "50000",
        "expected_order_value": "999",
        "skus-TOTAL_FORMS": "3",
        "skus-INITIAL_FORMS": "0",
        "skus-0-sku": world.sku.code,
        "skus-0-share_percent": "60",
        "skus-1-sku": world.sku2.code,
        "skus-1-share_percent": "40",
        "regions-TOTAL_FORMS": "3",
        "regions-INITIAL_FORMS": "0",
        "regions-0-region": world.mumbai.code,
        "regions-0-share_percent": "100",
    }
    data.update(overrides)
    return data


def test_pages_need_login(client, world):
    for url in ("/campaigns/", "/campaigns/new/", "/inbox/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_login_page_and_whoami(client, maya):
    assert client.get("/accounts/login/").status_code == 200
    assert client.post("/accounts/login/", {"username": "maya", "password": "pw-maya"}).status_code == 302
    page = client.get("/campaigns/").content.decode()
    assert "Signed in as <strong>maya</strong> · marketing" in page


def test_list_filters_and_search(client, world, maya, ishaan, lata):
    submitted(world, maya, name="Diwali tees")
    approved(world, maya, ishaan, lata, name="Winter caps", channel="google")
    client.force_login(ishaan)
    page = client.get("/campaigns/", {"status": "approved"}).content.decode()
    assert "Winter caps" in page and "Diwali tees" not in page
    page = client.get("/campaigns/", {"q": "diwali"}).content.decode()
    assert "Diwali tees" in page and "Winter caps" not in page
    page = client.get("/campaigns/", {"channel": "google", "region": "MUM"}).content.decode()
    assert "Winter caps" in page and "Diwali tees" not in page


def test_list_ignores_bad_filters_without_a_500(client, world, maya):
    submitted(world, maya)
    client.force_login(maya)
    response = client.get("/campaigns/", {"active_from": "not-a-date", "status": "bogus", "page": "x"})
    assert response.status_code == 200
    assert "Diwali tees" in response.content.decode()


def test_list_uses_a_fixed_number_of_queries(client, world, maya):
    client.force_login(maya)
    submitted(world, maya, name="One")
    with CaptureQueriesContext(connection) as few:
        client.get("/campaigns/")
    for i in range(6):
        submitted(world, maya, name=f"More {i}")
    with CaptureQueriesContext(connection) as many:
        client.get("/campaigns/")
    assert len(many) == len(few)


def test_marketer_plans_and_submits_a_campaign(client, world, maya):
    client.force_login(maya)
    assert client.get("/campaigns/new/").status_code == 200
    response = client.post("/campaigns/new/", {**form_post(world), "submit": "1"})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.status, campaign.orders_per_day, str(campaign.cod_share)) == ("submitted", 120, "0.3000")
    assert [str(s) for s in campaign.sku_lines.order_by("sku__code").values_list("share", flat=True)] == [
        "0.4000",
        "0.6000",
    ]


def test_forecast_in_sessions(client, world, maya):
    client.force_login(maya)
    data = form_post(world, forecast_basis="sessions", orders_per_day="", sessions_per_day="10000",
                     conversion_percent="3")  # fmt: skip
    client.post("/campaigns/new/", data)
    assert Campaign.objects.get().orders_per_day == 300


def test_form_errors_sit_next_to_fields_and_keep_input(client, world, maya):
    client.force_login(maya)
    data = form_post(world, name="Keep me", ends_on="2000-01-01", **{"skus-1-share_percent": "10"})
    response = client.post("/campaigns/new/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Keep me"' in page
    assert "Ends on must be on or after Starts on." in page or "SKU shares must add up to 100%" in page
    assert Campaign.objects.count() == 0


def test_shares_not_adding_up_are_shown_on_the_lines(client, world, maya):
    client.force_login(maya)
    response = client.post("/campaigns/new/", form_post(world, **{"skus-1-share_percent": "10"}))
    assert "SKU shares must add up to 100% (they add up to 70%)." in response.content.decode()
    assert Campaign.objects.count() == 0


def test_outsider_cannot_plan(client, world, outsider, ishaan):
    client.force_login(outsider)  # no role: not even the form (tests/test_security_access.py)
    assert client.post("/campaigns/new/", form_post(world)).status_code == 403
    client.force_login(ishaan)
    response = client.post("/campaigns/new/", form_post(world))
    assert response.status_code == 200
    assert "Only marketing can plan campaigns." in response.content.decode()
    assert Campaign.objects.count() == 0


def test_live_check_panel_reports_verdict_and_findings(client, world, maya):
    client.force_login(maya)
    response = client.post("/campaigns/check/", form_post(world, orders_per_day="5000"), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Exceeds capacity" in page
    assert "Mumbai can take 1000 orders/day; the plan needs 5000" in page
    response = client.post("/campaigns/check/", {"name": ""}, HTTP_HX_REQUEST="true")
    assert "Fill in the dates" in response.content.decode()


def test_edit_after_approval_voids_the_touched_dimension(client, world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    client.force_login(maya)
    assert client.get(f"/campaigns/{campaign.pk}/edit/").status_code == 200
    data = form_post(
        world,
        name=campaign.name,
        starts_on=campaign.starts_on.isoformat(),
        ends_on=campaign.ends_on.isoformat(),
        orders_per_day="100",
        **{"skus-0-share_percent": "60", "skus-1-share_percent": "40", "regions-0-share_percent": "50",
           "regions-1-region": "PUN", "regions-1-share_percent": "50"},
    )  # fmt: skip
    data["skus-0-share_percent"], data["skus-1-share_percent"] = "50", "50"
    response = client.post(f"/campaigns/{campaign.pk}/edit/", data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.status, campaign.plan_version) == ("submitted", 2)
    assert list(campaign.current_approvals()) == ["courier"]


def test_detail_shows_check_sign_offs_reservations_and_timeline(client, world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    client.force_login(maya)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    for text in ("Capacity check", "Inventory: <span class=\"status status-approved\">approved</span> by ishaan",
                 "TEE-01 at BOM-WH", "Timeline", "Sign off", "Go live"):  # fmt: skip
        assert text.replace("Sign off", "Sign-offs") in page


def test_detail_offers_only_allowed_actions(client, world, maya, mark, ishaan):
    campaign = submitted(world, maya)
    client.force_login(mark)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Edit plan" not in page and "Cancel campaign" not in page
    client.force_login(ishaan)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'name="dimension" value="inventory"' in page
    assert 'name="dimension" value="courier"' not in page


def test_go_live_refusal_is_a_message_not_a_500(client, world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    client.force_login(maya)
    response = client.post(f"/campaigns/{campaign.pk}/go-live/")
    assert response.status_code == 302
    assert any("cannot go live before then" in m for m in messages_of(response))
    assert Campaign.objects.get(pk=campaign.pk).status == "approved"


def test_actions_pause_resume_cancel_and_scale_up(client, world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)
    client.force_login(maya)
    client.post(f"/campaigns/{campaign.pk}/pause/", {"comment": "check stock"})
    assert Campaign.objects.get(pk=campaign.pk).status == "paused"
    client.post(f"/campaigns/{campaign.pk}/resume/")
    assert Campaign.objects.get(pk=campaign.pk).status == "live"
    response = client.post(f"/campaigns/{campaign.pk}/scale-up/", {"orders_per_day": "abc"})
    assert messages_of(response)[-1] == "New orders per day: Enter a whole number."
    client.post(f"/campaigns/{campaign.pk}/scale-up/", {"orders_per_day": "150"})
    assert Campaign.objects.get(pk=campaign.pk).scale_up_pending is True
    client.post(f"/campaigns/{campaign.pk}/cancel/", {"comment": "budget"})
    assert Campaign.objects.get(pk=campaign.pk).status == "cancelled"


def test_unknown_action_or_campaign_is_404_and_get_is_405(client, world, maya):
    campaign = submitted(world, maya)
    client.force_login(maya)
    assert client.post(f"/campaigns/{campaign.pk}/explode/").status_code == 404
    assert client.post("/campaigns/999999/pause/").status_code == 404
    assert client.get(f"/campaigns/{campaign.pk}/pause/").status_code == 405


def test_someone_elses_campaign_cannot_be_cancelled(client, world, maya, mark):
    campaign = submitted(world, maya)
    client.force_login(mark)
    response = client.post(f"/campaigns/{campaign.pk}/cancel/")
    assert any("owner in marketing or an ops lead" in m for m in messages_of(response))
    assert Campaign.objects.get(pk=campaign.pk).status == "submitted"
    assert not AuditEvent.objects.filter(campaign=campaign, action="cancel").exists()


def test_csrf_is_enforced_on_actions(world, maya):
    from django.test import Client

    campaign = submitted(world, maya)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(maya)
    assert strict.post(f"/campaigns/{campaign.pk}/cancel/").status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == "submitted"


def test_inbox_lists_and_marks_read(client, world, maya, ishaan):
    submitted(world, maya)
    client.force_login(ishaan)
    page = client.get("/inbox/").content.decode()
    assert "Sign-off needed: Diwali tees" in page
    client.post("/inbox/")
    assert not Notification.objects.filter(recipient=ishaan, read_at__isnull=True).exists()
