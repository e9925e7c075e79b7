"""Issue 18.5 and 18.6: what people type cannot silence or forge a notification.

- A single-line field (names, codes, references) refuses line breaks and control
  characters at every door; a brief or a comment may hold line breaks.
- A subject is one line whatever it was given; each channel is sent on its own, so an
  email the server refuses never keeps the Slack post from going out.
- Slack gets `&`, `<` and `>` escaped: `<!channel>` pings nobody, `<https://evil|...>` is
  no disguised link.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from campaigns import notifications, tasks
from campaigns.models import Campaign, Notification
from capacity.models import Sku
from tests.api_support import client_for
from tests.helpers import make_world, plan_data
from tests.test_background import SlackServer

pytestmark = pytest.mark.django_db

CONTROLS = ["Diwali\r\nBcc: everyone@example.com", "Diwali\nsale", "Diwali\tsale", "Diwali\x1b[2J", "Diwali\u2028sale"]


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def slack(settings):
    server = SlackServer()
    settings.SLACK_WEBHOOK_URL = server.url
    yield server
    server.close()


@pytest.mark.parametrize("name", CONTROLS, ids=["crlf", "lf", "tab", "escape", "line-separator"])
def test_a_campaign_name_with_a_control_character_is_refused_by_the_api(world, maya, name):
    response = client_for("maya").post("/api/v1/campaigns/", {**plan_data(world), "name": name}, format="json")
    assert response.status_code == 400
    assert "control characters" in response.json()["name"][0]
    assert not Campaign.objects.exists()


def test_a_campaign_name_with_a_line_break_is_refused_by_the_form(world, maya):
    client = Client()
    client.force_login(maya)
    data = {
        "name": "Diwali\r\nsale", "channel": "meta", "starts_on": "2030-01-10", "ends_on": "2030-01-14",
        "forecast_basis": "orders", "orders_per_day": "100", "units_per_order": "1", "cod_percent": "0",
        "delivery_promise_days": "4", "budget": "0", "expected_order_value": "0",
        "skus-TOTAL_FORMS": "1", "skus-INITIAL_FORMS": "0", "skus-0-sku": "TEE-01", "skus-0-share_percent": "100",
        "regions-TOTAL_FORMS": "1", "regions-INITIAL_FORMS": "0", "regions-0-region": "MUM",
        "regions-0-share_percent": "100",
    }  # fmt: skip
    response = client.post("/campaigns/new/", data)
    assert response.status_code in (200, 400)
    assert "control characters" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_brief_may_hold_line_breaks(world, maya):
    response = client_for("maya").post(
        "/api/v1/campaigns/", {**plan_data(world), "brief": "Line one\r\nLine two\tindented"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Campaign.objects.get().brief == "Line one\r\nLine two\tindented"


def test_a_code_or_name_of_reference_data_refuses_them_too(world, omar):
    response = client_for("omar").post("/api/v1/skus/", {"code": "NEW\n01", "name": "New"}, format="json")
    assert response.status_code == 400 and "code" in response.json()
    response = client_for("omar").post("/api/v1/skus/", {"code": "NEW-01", "name": "New\r\nBcc: x"}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert not Sku.objects.filter(code__startswith="NEW").exists()


def test_a_subject_is_folded_onto_one_line(ishaan):
    [note] = notifications.queue_notification(kind="test", subject="Stock\r\n  is\tlow\n", users=[ishaan], slack=False)
    assert note.subject == "Stock is low"


def test_an_email_failure_does_not_keep_the_slack_post_from_going_out(ishaan, slack, settings):
    settings.EMAIL_BACKEND = "tests.test_background.FailingBackend"  # an SMTP server that is down
    ishaan.email = "ishaan@example.test"
    ishaan.save()
    note = Notification.objects.create(recipient=ishaan, kind="test", subject="Hello", post_to_slack=True)

    assert tasks.deliver_notifications([note.pk]) == 0
    note.refresh_from_db()
    assert note.slack_sent_at is not None and note.email_sent_at is None
    assert note.state == "pending" and note.last_error.startswith("email: ConnectionRefusedError")
    assert len(slack.posts) == 1

    # The retry sends the email and does not post to Slack again.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.filter(pk=note.pk).update(next_attempt_at=None)
    assert tasks.deliver_notifications([note.pk]) == 1
    note.refresh_from_db()
    assert note.state == "sent" and note.email_sent_at is not None
    assert len(slack.posts) == 1 and len(mail.outbox) == 1


def test_a_slack_failure_does_not_keep_the_email_from_going_out(ishaan, slack):
    slack.status = 500
    ishaan.email = "ishaan@example.test"
    ishaan.save()
    note = Notification.objects.create(recipient=ishaan, kind="test", subject="Hello", post_to_slack=True)
    assert tasks.deliver_notifications([note.pk]) == 0
    note.refresh_from_db()
    assert note.email_sent_at is not None and note.slack_sent_at is None
    assert note.last_error.startswith("slack:")
    assert len(mail.outbox) == 1


def test_slack_gets_what_people_wrote_escaped(ishaan, slack):
    note = Notification.objects.create(
        recipient=ishaan,
        kind="test",
        subject="<!channel> Diwali & more",
        body="Click <https://evil.example|Open in mopsync> now",
        post_to_slack=True,
    )
    tasks.deliver_notifications([note.pk])
    [post] = slack.posts
    text = post["body"]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt; Diwali &amp; more" in text
    assert "<https://evil.example|" not in text and "&lt;https://evil.example|Open in mopsync&gt;" in text
    link = text.splitlines()[-1]  # the one piece of markup that is ours
    assert link.startswith("<http://") and link.endswith("|Open in mopsync>")
