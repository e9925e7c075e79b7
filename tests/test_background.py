"""Background work (DESIGN.md, "Background work"): the outbox's delivery, retries and
sweep; the scheduled jobs (inventory triggers, SLA reminders, the go-live guard);
the daily report; embedded mode. Time is frozen with time-machine; tasks run in this
process (eager), whichever broker the suite runs with."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import notifications, reports, services, tasks, triggers
from campaigns.models import (
    ActualOrders,
    AlertLog,
    AuditEvent,
    Campaign,
    CampaignSpend,
    Notification,
    PostCampaignReview,
    Preference,
)
from capacity.models import LanePerformance, ReturnRecord, Sku, StockLevel
from mopsync.celery import app as celery_app
from tests.helpers import approved, live, make_world, plan_data, submitted

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
MONDAY_9AM = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def eager(settings):
    """Tasks run in this process (as in embedded mode) even when REDIS_URL is set."""
    was = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    notifications._broker_down_until = 0.0
    settings.SLACK_WEBHOOK_URL = ""
    yield
    celery_app.conf.task_always_eager = was
    notifications._broker_down_until = 0.0


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def team(maya, ishaan, lata, omar):
    for user in (maya, ishaan, lata, omar):
        user.email = f"{user.username}@example.test"
        user.save(update_fields=["email"])
    return {"maya": maya, "ishaan": ishaan, "lata": lata, "omar": omar}


class FailingBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


class SlackServer:
    """A Slack-compatible incoming webhook on 127.0.0.1 that records what it is sent."""

    def __init__(self):
        self.posts: list[dict] = []
        self.status = 200
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers["Content-Length"])
                server.posts.append(
                    {"body": json.loads(self.rfile.read(length)), "content_type": self.headers["Content-Type"]}
                )
                self.send_response(server.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/services/T000/B000/XXXX"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def slack(settings):
    server = SlackServer()
    settings.SLACK_WEBHOOK_URL = server.url
    yield server
    server.close()


def note_for(user, **fields) -> Notification:
    return Notification.objects.create(recipient=user, kind="test", subject=fields.pop("subject", "hello"), **fields)


def refresh(obj):
    obj.refresh_from_db()
    return obj


# --------------------------------------------------------------------------- outbox delivery


def test_a_row_is_claimed_sent_once_and_marked_per_channel(team, clock):
    note = note_for(team["ishaan"], body="Stock is low.")

    assert tasks.deliver_notifications([note.pk]) == 1
    assert tasks.deliver_notifications([note.pk]) == 0  # redelivered message: nothing twice

    note = refresh(note)
    assert (note.state, note.attempts, note.claimed_at) == ("sent", 1, None)
    assert note.sent_at == note.email_sent_at == timezone.now()
    [message] = mail.outbox
    assert message.to == ["ishaan@example.test"]
    assert "Stock is low." in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "Stock is low." in html


def test_a_row_claimed_by_another_worker_is_left_alone(team, clock):
    note = note_for(team["ishaan"], state="sending", claimed_at=timezone.now(), attempts=1)

    assert tasks.deliver_notifications([note.pk]) == 0

    assert refresh(note).state == "sending"
    assert mail.outbox == []


def test_without_an_email_address_the_inbox_row_is_the_delivery(maya, clock):
    note = note_for(maya)
    assert tasks.deliver_notifications([note.pk]) == 1
    note = refresh(note)
    assert (note.state, note.email_sent_at) == ("sent", None)
    assert mail.outbox == []


def test_a_channel_failure_retries_with_exponential_backoff_then_fails(team, clock, settings):
    settings.EMAIL_BACKEND = "tests.test_background.FailingBackend"
    note = note_for(team["ishaan"])
    start = timezone.now()

    waits = []
    assert tasks.deliver_notifications([note.pk]) == 0
    for _ in range(settings.MOPSYNC_NOTIFY_MAX_ATTEMPTS - 1):
        note = refresh(note)
        assert note.state == "pending" and note.sent_at is None
        assert note.last_error == "email: ConnectionRefusedError: smtp down"
        wait = note.next_attempt_at - timezone.now()
        waits.append(wait.total_seconds())
        # Not before its time, whoever asks.
        assert tasks.deliver_notifications([note.pk]) == 0
        clock.shift(wait - dt.timedelta(seconds=1))
        assert tasks.sweep_outbox() == 0
        clock.shift(dt.timedelta(seconds=1))
        assert tasks.sweep_outbox() == 1  # published again, and failed again

    assert waits == [60, 120, 240, 480]
    note = refresh(note)
    assert (note.state, note.attempts, note.sent_at, note.next_attempt_at) == ("failed", 5, None, None)
    assert timezone.now() - start == dt.timedelta(seconds=60 + 120 + 240 + 480)
    clock.shift(dt.timedelta(days=1))
    assert tasks.sweep_outbox() == 0  # failed rows wait for an admin's retry


def test_max_attempts_is_a_setting(team, clock, settings):
    settings.EMAIL_BACKEND = "tests.test_background.FailingBackend"
    settings.MOPSYNC_NOTIFY_MAX_ATTEMPTS = 1
    note = note_for(team["ishaan"])
    tasks.deliver_notifications([note.pk])
    assert refresh(note).state == "failed"


def test_a_retry_does_not_repeat_the_channel_that_worked(team, clock, slack):
    note = note_for(team["ishaan"], post_to_slack=True)
    slack.status = 500

    assert tasks.deliver_notifications([note.pk]) == 0
    note = refresh(note)
    assert note.state == "pending" and note.email_sent_at is not None and note.slack_sent_at is None
    assert note.last_error.startswith("slack: HTTPError")

    slack.status = 200
    clock.shift(dt.timedelta(minutes=2))
    assert tasks.sweep_outbox() == 1
    assert refresh(note).state == "sent"
    assert len(mail.outbox) == 1  # email once, though the row was tried twice
    assert len(slack.posts) == 2  # the failed post and the good one


def test_one_slack_post_per_event_with_subject_body_and_link(team, clock, slack, settings):
    world = make_world()
    campaign = submitted(world, team["maya"])
    rows = Notification.objects.filter(kind="submitted", campaign=campaign)
    assert [row.post_to_slack for row in rows.order_by("recipient_id")] == [True, False, False]

    assert tasks.deliver_notifications(list(rows.values_list("pk", flat=True))) == 3

    [post] = slack.posts
    assert post["content_type"] == "application/json"
    text = post["body"]["text"]
    assert text.startswith(f"*Sign-off needed: {campaign.name} starts")
    assert f"<{settings.MOPSYNC_BASE_URL}/campaigns/{campaign.pk}/|Open in mopsync>" in text
    assert len(mail.outbox) == 3


def test_links_in_emails_and_slack_posts_use_the_base_url_setting(team, clock, slack, settings):
    """`make run PORT=8123` sets MOPSYNC_BASE_URL to http://127.0.0.1:8123: links follow it,
    never a port of their own (issue 17)."""
    settings.MOPSYNC_BASE_URL = "http://127.0.0.1:8123"
    campaign = submitted(make_world(), team["maya"])
    rows = Notification.objects.filter(kind="submitted", campaign=campaign)

    assert tasks.deliver_notifications(list(rows.values_list("pk", flat=True))) == 3

    link = f"http://127.0.0.1:8123/campaigns/{campaign.pk}/"
    for message in mail.outbox:
        assert f"Open {campaign.name}: {link}" in message.body
        [(html, _)] = message.alternatives
        assert f'href="{link}"' in html and 'href="http://127.0.0.1:8123/inbox/"' in html
        assert ":8000" not in message.body + html
    [post] = slack.posts
    assert f"<{link}|Open in mopsync>" in post["body"]["text"]


def test_no_slack_post_without_a_webhook(team, clock, slack, settings):
    settings.SLACK_WEBHOOK_URL = ""
    note = note_for(team["ishaan"], post_to_slack=True)
    assert tasks.deliver_notifications([note.pk]) == 1
    assert slack.posts == []
    assert refresh(note).slack_sent_at is None


def test_slack_payload_truncates_long_bodies(maya):
    note = Notification(recipient=maya, subject="Daily report", body="x" * 10_000)
    text = notifications.slack_payload(note)["text"]
    assert len(text) < 3700 and "x…\n<" in text


def test_the_sweep_reclaims_a_row_whose_worker_died_mid_send(team, clock, settings):
    lease = dt.timedelta(seconds=settings.MOPSYNC_NOTIFY_LEASE_SECONDS)
    died = note_for(team["ishaan"], state="sending", claimed_at=timezone.now() - lease - dt.timedelta(seconds=1))
    working = note_for(team["lata"], state="sending", claimed_at=timezone.now() - lease + dt.timedelta(seconds=1))
    died.attempts = working.attempts = 1
    Notification.objects.filter(pk__in=[died.pk, working.pk]).update(attempts=1)

    assert tasks.sweep_outbox() == 1

    died, working = refresh(died), refresh(working)
    assert (died.state, died.attempts) == ("sent", 2)
    assert working.state == "sending"  # its lease still runs: not sent twice
    assert [m.to for m in mail.outbox] == [["ishaan@example.test"]]


def test_a_worker_lost_on_the_last_attempt_fails_the_row(team, clock, settings):
    long_ago = timezone.now() - dt.timedelta(hours=1)
    note = note_for(team["ishaan"], state="sending", claimed_at=long_ago)
    Notification.objects.filter(pk=note.pk).update(attempts=settings.MOPSYNC_NOTIFY_MAX_ATTEMPTS)
    assert tasks.sweep_outbox() == 0
    note = refresh(note)
    assert (note.state, note.last_error) == ("failed", "worker lost while sending (lease expired)")


def test_the_sweep_leaves_fresh_rows_to_the_publish_after_commit(team, clock, settings):
    note = note_for(team["ishaan"])
    assert tasks.sweep_outbox() == 0
    clock.shift(dt.timedelta(seconds=settings.MOPSYNC_NOTIFY_SWEEP_GRACE_SECONDS))
    assert tasks.sweep_outbox() == 1
    assert refresh(note).state == "sent"


def test_a_broker_that_is_down_fails_nothing_and_the_sweep_delivers_later(
    team, clock, monkeypatch, django_capture_on_commit_callbacks
):
    world = make_world()
    campaign = services.campaign_create(actor=team["maya"], data=plan_data(world))
    calls = []

    def broker_down(*args, **kwargs):
        calls.append(args)
        raise ConnectionRefusedError("redis down")

    monkeypatch.setattr(tasks.deliver_notifications, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_submit(campaign=campaign, actor=team["maya"])
    # The user's action stands; the rows wait in the outbox.
    assert Campaign.objects.get(pk=campaign.pk).status == "submitted"
    rows = Notification.objects.filter(kind="submitted")
    assert set(rows.values_list("state", flat=True)) == {"pending"}
    assert len(calls) == 1

    # Within the pause after a failure, this process does not wait on the broker again.
    notifications.publish([rows[0].pk])
    assert len(calls) == 1

    monkeypatch.undo()
    notifications._broker_down_until = 0.0
    clock.shift(dt.timedelta(minutes=1))
    assert tasks.sweep_outbox() == 3
    assert set(rows.values_list("state", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == ["ishaan@example.test", "lata@example.test", "omar@example.test"]


def test_publish_splits_large_batches(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.deliver_notifications, "apply_async", lambda args, **kw: sent.append(args[0]))
    notifications.publish(list(range(1, 121)))
    assert [len(chunk) for chunk in sent] == [50, 50, 20]


def test_broker_timeouts_are_short():
    """A publish to a Redis that is down gives up in seconds (DESIGN.md, engineering notes)."""
    conf = celery_app.conf
    assert conf.broker_connection_timeout <= 2
    assert conf.broker_transport_options["socket_timeout"] <= 2
    assert conf.broker_transport_options["socket_connect_timeout"] <= 2
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert conf.task_acks_late and conf.task_reject_on_worker_lost


# --------------------------------------------------------------------------- scheduler


def at(day: dt.date, hour: int = 6, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def test_go_live_task_refuses_an_unapproved_campaign_and_alerts_once(team, clock):
    world = make_world()
    campaign = submitted(world, team["maya"])
    clock.move_to(at(campaign.starts_on, 0, 15))

    assert tasks.go_live_due() == {"started": 0, "alerted": 1}
    assert tasks.go_live_due() == {"started": 0, "alerted": 0}

    assert Campaign.objects.get(pk=campaign.pk).status == "submitted"
    assert not AuditEvent.objects.filter(campaign=campaign, action="go_live").exists()
    alerted = Notification.objects.filter(kind="due_not_approved").values_list("recipient__username", flat=True)
    assert sorted(alerted) == ["ishaan", "lata", "maya", "omar"]


def test_complete_task_completes_once_and_opens_the_review(team, clock):
    world = make_world()
    campaign = live(world, team["maya"], team["ishaan"], team["lata"])
    clock.move_to(at(campaign.ends_on + dt.timedelta(days=1), 0, 5))
    assert tasks.complete_ended() == 1
    assert tasks.complete_ended() == 0
    assert Campaign.objects.get(pk=campaign.pk).status == "completed"
    assert PostCampaignReview.objects.get(campaign=campaign).forecast_orders == 100 * 5


def run_out_of(sku, units: int) -> None:
    StockLevel.objects.filter(sku=sku).update(on_hand=units)


def test_inventory_trigger_alerts_both_teams_once_per_campaign_sku_and_day(team, clock):
    world = make_world()
    campaign = approved(world, team["maya"], team["ishaan"], team["lata"])
    assert tasks.inventory_triggers() == {"alerted": 0, "paused": 0}

    run_out_of(world.sku, 100)  # the plan needs 60 TEE-01 a day for 5 days
    assert tasks.inventory_triggers() == {"alerted": 1, "paused": 0}
    assert tasks.inventory_triggers() == {"alerted": 0, "paused": 0}

    alerts = Notification.objects.filter(kind="inventory_alert")
    assert sorted(alerts.values_list("recipient__username", flat=True)) == ["ishaan", "lata", "maya", "omar"]
    assert alerts[0].subject == f"Stock risk for {campaign.name}: TEE-01"
    assert "Cotton tee runs out" in alerts[0].body
    assert Campaign.objects.get(pk=campaign.pk).status == "approved"

    clock.shift(dt.timedelta(days=1))
    assert tasks.inventory_triggers()["alerted"] == 1  # still at risk the next day: told again


def test_inventory_trigger_on_stock_below_safety_stock(team, clock):
    world = make_world()
    approved(world, team["maya"], team["ishaan"], team["lata"])
    world.sku2.safety_stock = 150_000
    world.sku2.save()

    assert tasks.inventory_triggers()["alerted"] == 1
    [risk] = triggers.inventory_risks(today=timezone.localdate())
    assert risk.sku == world.sku2 and risk.below_safety_stock
    assert risk.message.startswith("Cap (CAP-01) is below its safety stock: 100000 on hand, 150000 kept back.")


def test_inventory_trigger_auto_pauses_a_live_campaign_that_asked_for_it(team, clock):
    world = make_world()
    guarded = live(world, team["maya"], team["ishaan"], team["lata"], auto_pause_on_stockout=True)
    unguarded = live(world, team["maya"], team["ishaan"], team["lata"], name="No auto-pause")
    run_out_of(world.sku, 100)

    assert tasks.inventory_triggers() == {"alerted": 2, "paused": 1}
    assert tasks.inventory_triggers() == {"alerted": 0, "paused": 0}

    assert Campaign.objects.get(pk=guarded.pk).status == "paused"
    assert Campaign.objects.get(pk=unguarded.pk).status == "live"
    pause = AuditEvent.objects.get(campaign=guarded, action="pause")
    assert pause.actor is None and pause.comment.startswith("Auto-paused: Cotton tee runs out")
    assert Notification.objects.filter(kind="paused", campaign=guarded).count() == 4


def test_two_overlapping_runs_alert_once(team, clock):
    world = make_world()
    campaign = approved(world, team["maya"], team["ishaan"], team["lata"])
    today = timezone.localdate()
    assert triggers.first_today(kind="inventory", key=f"{campaign.pk}:TEE-01", day=today, campaign=campaign)
    run_out_of(world.sku, 100)
    assert tasks.inventory_triggers()["alerted"] == 0  # the other run already told them today


def test_sla_reminds_approvers_and_escalates_to_leads_once_a_day(team, clock, settings):
    world = make_world()
    campaign = submitted(world, team["maya"])  # starts in 10 days
    clock.shift(dt.timedelta(hours=settings.MOPSYNC_SLA_HOURS))
    assert tasks.sla_reminders() == {"reminded": 0}

    clock.shift(dt.timedelta(hours=1))
    assert tasks.sla_reminders() == {"reminded": 1}
    assert tasks.sla_reminders() == {"reminded": 0}

    reminders = Notification.objects.filter(kind="sla_reminder", campaign=campaign)
    escalations = Notification.objects.filter(kind="sla_escalation", campaign=campaign)
    assert sorted(reminders.values_list("recipient__username", flat=True)) == ["ishaan", "lata"]
    assert list(escalations.values_list("recipient__username", flat=True)) == ["omar"]
    assert "waiting for sign-off for 25 hours" in escalations[0].body

    clock.shift(dt.timedelta(days=1))
    assert tasks.sla_reminders() == {"reminded": 1}


def test_sla_reminds_only_the_dimension_still_pending(team, clock, settings):
    world = make_world()
    campaign = submitted(world, team["maya"])
    services.campaign_sign_off(campaign=campaign, actor=team["ishaan"], dimension="inventory", decision="approved")
    clock.shift(dt.timedelta(hours=settings.MOPSYNC_SLA_HOURS + 1))
    tasks.sla_reminders()
    reminders = Notification.objects.filter(kind="sla_reminder")
    assert list(reminders.values_list("recipient__username", flat=True)) == ["lata"]


def test_sla_reminds_about_a_launch_within_48_hours_unsigned(team, clock):
    world = make_world()
    soon = timezone.localdate() + dt.timedelta(days=3)
    submitted(world, team["maya"], starts_on=soon, ends_on=soon + dt.timedelta(days=3))
    assert tasks.sla_reminders() == {"reminded": 0}  # 63 hours before its start
    clock.move_to(at(soon - dt.timedelta(days=2), 0, 0))  # 48 hours before
    assert tasks.sla_reminders() == {"reminded": 1}
    assert "without both sign-offs" in Notification.objects.get(kind="sla_escalation").body


def test_no_sla_reminder_once_signed_off(team, clock, settings):
    world = make_world()
    approved(world, team["maya"], team["ishaan"], team["lata"])
    clock.shift(dt.timedelta(hours=settings.MOPSYNC_SLA_HOURS * 3))
    assert tasks.sla_reminders() == {"reminded": 0}


def test_every_scheduled_job_is_a_registered_task_and_the_report_runs_at_six():
    celery_app.loader.import_default_modules()
    schedule = celery_app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} <= set(celery_app.tasks)
    report = schedule["daily-report"]["schedule"]
    assert (report.hour, report.minute) == ({6}, {0})
    assert str(celery_app.conf.timezone) == str(TZ)


# --------------------------------------------------------------------------- daily report


@pytest.fixture
def busy_world(team, clock):
    """A live campaign, one launching today, one submitted for this week, a risky region
    and SKU, and one that ended last week with a review."""
    world = make_world()
    world.lane_mumbai.ndr_rate = Decimal("0.35")
    world.lane_mumbai.save()
    world.sku2.return_rate = Decimal("0.30")
    world.sku2.save()
    today = timezone.localdate()
    running = live(world, team["maya"], team["ishaan"], team["lata"], name="Running tees")
    launching = approved(
        world, team["maya"], team["ishaan"], team["lata"], name="Launch today", starts_on=today, ends_on=today
    )
    waiting = submitted(world, team["maya"], name="Weekend caps", starts_on=today + dt.timedelta(days=5))
    with time_machine.travel(MONDAY_9AM - dt.timedelta(days=10), tick=False):
        old = live(world, team["maya"], team["ishaan"], team["lata"], name="Last week's drop")
    services.campaign_complete(campaign=old, actor=None)
    PostCampaignReview.objects.filter(campaign=old).update(actual_orders=380)
    return {"world": world, "running": running, "launching": launching, "waiting": waiting, "old": old}


def test_the_daily_report_shows_what_both_teams_need_this_morning(busy_world, settings):
    run_out_of(busy_world["world"].sku, 100)
    report = reports.build_daily_report(today=timezone.localdate())
    text = reports.render_daily_report(report).text

    assert text.startswith("mopsync daily report, Monday 23 November 2026\n")
    assert (
        "LAUNCHES TODAY\n"
        "- Running tees (Meta), 23 Nov to 27 Nov: live, 100 orders/day\n"
        "- Launch today (Meta), 23 Nov to 23 Nov: approved, 100 orders/day\n"
    ) in text
    assert "LAUNCHING THIS WEEK (to Sun 29 Nov)\n- Sat 28 Nov: Weekend caps (Meta), submitted, 100 orders/day\n" in text
    assert (  # times say their zone (issue 17)
        "PENDING SIGN-OFFS\n- Weekend caps, starts Sat 28 Nov: needs inventory and courier, due Fri 27 Nov, 00:00 IST\n"
        in text
    )
    assert "DUE BUT NOT APPROVED\n- None." in text
    # Capacity for 14 days: what approvals hold of the two lanes' 2000 orders and the
    # warehouse's 10000 dispatches, and what waits for sign-off.
    assert len(report.capacity) == 14
    assert "Mon 23 Nov  200/2000 (10%)        200/10000 (2%)        -\n" in text
    assert "Sat 28 Nov  0/2000 (0%)           0/10000 (0%)          +100 orders/day\n" in text
    # TEE-01 no longer covers the scheduled and the running campaign.
    assert "INVENTORY ALERTS\n- Running tees (live), TEE-01: Cotton tee runs out at Bhiwandi on 23 Nov" in text
    assert "- Launch today (approved), TEE-01: Cotton tee runs out" in text
    assert (
        "- Mumbai (MUM): 35% of deliveries fail, with cash-on-delivery orders planned. "
        "Campaigns: Running tees, Launch today, Weekend caps\n"
    ) in text
    assert "- Cap (CAP-01): 30% come back. Featured by: Running tees, Launch today, Weekend caps\n" in text
    assert "- Running tees (live, 23 Nov to 27 Nov): first day today, forecast 100/day\n" in text
    assert (
        "- Last week's drop (completed, 13 Nov to 17 Nov): forecast 500 orders over 5 days (100/day); "
        "actual 380 (-24%)\n"
    ) in text
    html = reports.render_daily_report(report).html
    assert "first day today, forecast 100/day</li>" in html
    assert f'href="{settings.MOPSYNC_BASE_URL}/campaigns/{busy_world["running"].pk}/"' in html


def test_the_daily_report_carries_the_shared_metrics(busy_world, team):
    """Imported courier performance, returns, orders and spend become the report's shared
    metrics; the running campaign's forecast is compared with its imported orders."""
    world, running = busy_world["world"], busy_world["running"]
    today = timezone.localdate()
    Sku.objects.filter(pk=world.sku.pk).update(return_rate=Decimal("0.10"))  # campaign: 0.6×10% + 0.4×30% = 18%
    LanePerformance.objects.create(
        lane=world.lane_mumbai, period_start=today - dt.timedelta(days=20), period_end=today - dt.timedelta(days=1),
        shipments=1000, delivered=680, ndr_count=320, avg_delivery_days=Decimal("3.5"),
    )  # fmt: skip
    ReturnRecord.objects.create(
        date=today - dt.timedelta(days=2), sku=world.sku, channel="meta", region=world.mumbai, orders=200, returned=30
    )
    ActualOrders.objects.create(
        date=today, campaign=running, channel="meta", sku=world.sku, region=world.mumbai, orders=40,
        revenue=Decimal("40000"), fulfilment_cost=Decimal("2000"),
    )  # fmt: skip
    CampaignSpend.objects.create(campaign=running, date=today, spend=Decimal("10000"))
    # Live since Friday in Pune: its forecast runs through yesterday, when the last orders came in.
    friday = today - dt.timedelta(days=3)
    with time_machine.travel(MONDAY_9AM - dt.timedelta(days=3), tick=False):
        started = live(
            world, team["maya"], team["ishaan"], team["lata"],
            name="Since Friday", starts_on=friday, ends_on=today + dt.timedelta(days=2),
            regions=[{"region": world.pune.code, "share": "1"}],
        )  # fmt: skip
    for offset, n in enumerate((90, 100, 80, 500)):  # Friday to Sunday, and this morning's, not counted yet
        ActualOrders.objects.create(
            date=friday + dt.timedelta(days=offset), campaign=started, channel="meta", sku=world.sku2,
            region=world.pune, orders=n, revenue=Decimal(n * 999), fulfilment_cost=Decimal(0),
        )  # fmt: skip

    rendered = reports.render_daily_report(reports.build_daily_report(today=today))
    text = rendered.text

    assert "- Running tees (live, 23 Nov to 27 Nov): first day today, forecast 100/day\n" in text
    assert (
        "- Since Friday (live, 20 Nov to 25 Nov): forecast 300 orders over 3 days (100/day); actual 270 (-10%)\n"
        in text
    )
    assert "SHARED METRICS, 25 OCT TO 23 NOV (from imported courier performance, returns, orders and spend)\n" in text
    # 30 COD orders planned in Mumbai today (two campaigns × 100 × ½ × 30%) at 32% NDR.
    assert (
        "- Mumbai (MUM): 32% of 1000 shipments not delivered; "
        "10 failed cash-on-delivery orders expected from planned campaigns\n"
    ) in text
    assert "Returns by channel:\n- Meta: 15% of 200 orders came back\n" in text
    # 4.0x gross and 4.0 × 82% net; the plan: 500 × 999 / 50,000. Delivered and kept: 40 less
    # 40 × 30% COD × 32% NDR failed, less 10% of the rest returned = 32.544 → 10,000 / 32.544.
    assert (
        "- Running tees: ROAS 4.0x gross, 3.28x net of returns (plan 9.99x / 8.19x); "
        "₹307.28 per delivered order (33 of 40 delivered and kept)\n"
    ) in text
    assert "Fulfilment cost per order by channel:\n- Meta: ₹2.47 over 810 orders\n" in text  # 2,000 / 810
    assert "- Inventory: 4 sign-offs, median 0.0 h, longest 0.0 h\n" in text
    html = rendered.html
    assert "Shared metrics, 25 Oct to 23 Nov</h2>" in html
    assert f'/campaigns/{running.pk}/">Running tees</a>' in html and "₹307.28" in html


def test_a_report_without_imports_says_so(busy_world):
    text = reports.render_daily_report(reports.build_daily_report(today=timezone.localdate())).text
    assert "SHARED METRICS, 25 OCT TO 23 NOV" in text
    assert "- Nothing imported for these days yet.\nApproval cycle time" in text


def test_dry_run_prints_the_report_and_sends_nothing(busy_world):
    out = io.StringIO()
    call_command("send_daily_report", "--dry-run", stdout=out)
    printed = out.getvalue()
    assert printed.startswith("Subject: mopsync daily report, Mon 23 Nov 2026\n(dry run: would go to 4 people)\n")
    assert "LAUNCHES TODAY" in printed and "FORECAST VS ACTUAL" in printed
    assert not Notification.objects.filter(kind="daily_report").exists()
    assert not AlertLog.objects.exists()

    out = io.StringIO()
    call_command("send_daily_report", "--dry-run", "--html", stdout=out)
    assert out.getvalue().lstrip().startswith("<!doctype html>")


def test_the_daily_report_is_sent_once_a_day_as_html_and_text(busy_world):
    out = io.StringIO()
    call_command("send_daily_report", stdout=out)
    assert "queued for 4 people" in out.getvalue()
    out = io.StringIO()
    call_command("send_daily_report", stdout=out)
    assert "was already sent; nothing sent" in out.getvalue()
    assert tasks.send_daily_report() == 0

    rows = Notification.objects.filter(kind="daily_report")
    assert rows.count() == 4
    assert AlertLog.objects.filter(kind="daily_report", day=timezone.localdate()).count() == 1
    tasks.deliver_notifications(list(rows.values_list("pk", flat=True)))
    reports_sent = [m for m in mail.outbox if m.subject == "mopsync daily report, Mon 23 Nov 2026"]
    assert len(reports_sent) == 4
    message = reports_sent[0]
    assert message.body.startswith("mopsync daily report, Monday 23 November 2026\n\nLAUNCHES TODAY")
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "<h1" in html and "Launch today" in html


def test_the_daily_report_goes_to_active_users_with_a_role_who_have_not_opted_out(busy_world, team, outsider):
    Preference.objects.create(user=team["lata"], daily_report=False)
    Preference.objects.create(user=team["omar"], daily_report=True)
    User.objects.filter(pk=team["ishaan"].pk).update(is_active=False)

    tasks.send_daily_report()

    rows = Notification.objects.filter(kind="daily_report")
    assert sorted(rows.values_list("recipient__username", flat=True)) == ["maya", "omar"]


def test_the_beat_task_sends_the_report_for_the_organisations_day(team):
    # 06:00 in Kolkata is 00:30 UTC: the report is for the local day.
    with time_machine.travel(dt.datetime(2026, 11, 24, 0, 30, tzinfo=dt.UTC), tick=False):
        assert tasks.send_daily_report() == 4
    assert AlertLog.objects.get(kind="daily_report").day == dt.date(2026, 11, 24)


def test_an_empty_report_says_so(team, clock):
    text = reports.render_daily_report(reports.build_daily_report(today=timezone.localdate())).text
    assert "LAUNCHES TODAY\n- None." in text
    assert "PENDING SIGN-OFFS\n- None waiting." in text
    assert "INVENTORY ALERTS\n- None" in text
    assert "FORECAST VS ACTUAL\n- No live or recently ended campaigns." in text


# --------------------------------------------------------------------------- embedded mode


def test_run_embedded_refuses_when_a_broker_is_configured():
    celery_app.conf.task_always_eager = False
    with pytest.raises(CommandError, match="REDIS_URL is set"):
        call_command("run_embedded", "--noreload")


def test_the_report_reads_a_fixed_number_of_queries(busy_world, team):
    today = timezone.localdate()

    def render():
        with CaptureQueriesContext(connection) as queries:
            reports.render_daily_report(reports.build_daily_report(today=today))
        return len(queries)

    before = render()
    world = busy_world["world"]
    for n in range(3):
        live(world, team["maya"], team["ishaan"], team["lata"], name=f"More {n}")
        submitted(world, team["maya"], name=f"Waiting {n}", starts_on=today + dt.timedelta(days=3 + n))
    assert render() == before
