"""Fault: two beat schedulers running by mistake (issue 8).

Every scheduled task must be safe to run twice at the same moment: no campaign goes
live twice (one audit event, one set of notifications), no "due and not approved"
alert twice, no campaign completed twice, no daily report sent twice.

First the scheduled tasks are called from several threads at once (each its own
PostgreSQL connection), released together by a barrier: the sharpest race. Then the
real thing: two `celery beat` processes firing every second, two workers taking the
tasks concurrently, and every email counted.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from campaigns import notifications, tasks
from campaigns.models import AlertLog, AuditEvent, Campaign, Notification, PostCampaignReview, Status
from mopsync.celery import app as celery_app
from tests.celery_support import Beat, Worker, drain_all, processes, sent_lines, wait_for
from tests.helpers import approved, live, make_world, submitted

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SCHEDULED = ["campaigns.tasks.go_live_due", "campaigns.tasks.complete_ended", "campaigns.tasks.send_daily_report"]


@pytest.fixture
def team(maya, ishaan, lata, omar):
    for user in (maya, ishaan, lata, omar):
        user.email = f"{user.username}@example.test"
        user.save(update_fields=["email"])
    return {"maya": maya, "ishaan": ishaan, "lata": lata, "omar": omar}


@pytest.fixture
def due(team):
    """Three approved campaigns starting today, one submitted one starting today (not
    approved: alerted), and a live one whose end date has passed (completed)."""
    world = make_world()
    today = timezone.localdate()
    maya, ishaan, lata = team["maya"], team["ishaan"], team["lata"]
    starting = [
        approved(world, maya, ishaan, lata, name=f"Launch {n}", starts_on=today, ends_on=today + dt.timedelta(days=3))
        for n in range(3)
    ]
    unapproved = submitted(world, maya, name="Not signed", starts_on=today, ends_on=today + dt.timedelta(days=3))
    ended = live(world, maya, ishaan, lata, name="Ended")
    Campaign.objects.filter(pk=ended.pk).update(
        starts_on=today - dt.timedelta(days=3), ends_on=today - dt.timedelta(days=1)
    )
    return {"starting": starting, "unapproved": unapproved, "ended": ended}


def assert_each_effect_once(due) -> None:
    for campaign in due["starting"]:
        assert Campaign.objects.get(pk=campaign.pk).status == Status.LIVE
        assert AuditEvent.objects.filter(campaign=campaign, action="go_live").count() == 1
        live_rows = Notification.objects.filter(campaign=campaign, kind="live")
        assert live_rows.count() == live_rows.values("recipient").distinct().count() > 0  # one set
    unapproved = due["unapproved"]
    assert AuditEvent.objects.filter(campaign=unapproved, action="due_not_approved").count() == 1
    alert_rows = Notification.objects.filter(campaign=unapproved, kind="due_not_approved")
    assert alert_rows.count() == alert_rows.values("recipient").distinct().count() > 0
    ended = due["ended"]
    assert Campaign.objects.get(pk=ended.pk).status == Status.COMPLETED
    assert AuditEvent.objects.filter(campaign=ended, action="complete").count() == 1
    assert PostCampaignReview.objects.filter(campaign=ended).count() == 1
    assert Notification.objects.filter(campaign=ended, kind="completed").count() == 1
    assert AlertLog.objects.filter(kind="daily_report").count() == 1
    report_rows = Notification.objects.filter(kind="daily_report")
    assert report_rows.count() == report_rows.values("recipient").distinct().count() > 0


THREADS = 4


def test_scheduled_tasks_run_at_the_same_moment_take_effect_once(due):
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            Campaign.objects.exists()  # open this thread's connection before the barrier
            barrier.wait(timeout=30)
            tasks.go_live_due()
            tasks.complete_ended()
            tasks.send_daily_report()
            tasks.sla_reminders()
            tasks.inventory_triggers()
        except BaseException as exc:  # noqa: BLE001 - asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler, name=f"beat-{n}") for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert_each_effect_once(due)
    # The unapproved campaign starts today: one SLA reminder and one escalation, not four.
    assert AlertLog.objects.filter(kind="sla", campaign=due["unapproved"]).count() == 1
    escalations = Notification.objects.filter(campaign=due["unapproved"], kind="sla_escalation")
    assert escalations.count() == escalations.values("recipient").distinct().count() > 0


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real broker")
def test_two_beats_and_two_workers_go_live_and_report_once(due, tmp_path):
    sends = tmp_path / "sends.txt"
    sends.touch()
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    notifications._broker_down_until = 0.0
    redis_url = settings.REDIS_URL
    # The set-up's rows were sent in-process; count the ones the scheduled runs write.
    before = Notification.objects.order_by("pk").values_list("pk", flat=True).last() or 0
    with processes() as started:
        workers = [Worker(tmp_path, sends, redis_url=redis_url) for _ in range(2)]
        started.extend(workers)
        beats = [Beat(tmp_path, sends, redis_url=redis_url, every=1, tasks=SCHEDULED) for _ in range(2)]
        started.extend(beats)

        def done() -> bool:
            return (
                not Campaign.objects.filter(pk__in=[c.pk for c in due["starting"]]).exclude(status="live").exists()
                and AlertLog.objects.filter(kind="daily_report").exists()
                and Campaign.objects.get(pk=due["ended"].pk).status == Status.COMPLETED
            )

        wait_for(done, "the scheduled effects")
        # Keep both beats firing well past the effects: every later run must change nothing.
        enough = 3 * len(SCHEDULED)
        wait_for(lambda: all(beat.sent() >= enough for beat in beats), "both beats to fire each task 3 times")
        for beat in beats:
            beat.stop()
        fired = sum(beat.sent() for beat in beats)
        wait_for(lambda: sum(w.succeeded(name) for w in workers for name in SCHEDULED) >= fired, "every run to finish")
        assert sum(w.succeeded(name) for w in workers for name in SCHEDULED) == fired
        # Both workers competed for the runs (which one takes a given task is the broker's
        # choice: over every scheduled task, not one, so a busy machine does not decide it).
        assert all(sum(w.succeeded(name) for name in SCHEDULED) for w in workers), "both workers took scheduled runs"
        wait_for(lambda: not Notification.objects.exclude(state="sent").exists(), "every notification to be sent")
        drain_all(workers)

    assert_each_effect_once(due)
    # Every outbox row the scheduled runs wrote was emailed exactly once: nothing lost, nothing doubled.
    rows = Notification.objects.filter(pk__gt=before).select_related("recipient")
    expected = Counter((note.recipient.email, note.subject) for note in rows if note.recipient.email)
    assert rows.exists() and set(rows.values_list("state", flat=True)) == {"sent"}
    assert sent_lines(sends) == expected
    assert all(n == 1 for n in expected.values())
