"""Tasks are thin: they call the services and are safe to run twice."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from campaigns import tasks
from campaigns.models import AuditEvent, Campaign, Notification
from capacity import tasks as capacity_tasks
from mopsync.celery import app as celery_app
from tests.helpers import approved, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager():
    """Tasks the sweep publishes run in this process, whichever broker the suite uses."""
    was = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = was


def test_go_live_task_starts_due_campaigns_through_the_guard(maya, ishaan, lata):
    world = make_world()
    campaign = approved(world, maya, ishaan, lata)
    assert tasks.go_live_due() == {"started": 0, "alerted": 0}
    start = timezone.make_aware(dt.datetime.combine(campaign.starts_on, dt.time(0, 5)))
    with time_machine.travel(start, tick=False):
        assert tasks.go_live_due()["started"] == 1
        assert tasks.go_live_due()["started"] == 0
    assert Campaign.objects.get(pk=campaign.pk).status == "live"
    assert AuditEvent.objects.get(campaign=campaign, action="go_live").actor is None
    after = timezone.make_aware(dt.datetime.combine(campaign.ends_on + dt.timedelta(days=1), dt.time(1)))
    with time_machine.travel(after, tick=False):
        assert tasks.complete_ended() == 1
        assert tasks.complete_ended() == 0
    assert Campaign.objects.get(pk=campaign.pk).status == "completed"


def test_outbox_delivery_is_idempotent(maya, ishaan):
    note = Notification.objects.create(recipient=ishaan, kind="test", subject="hello")
    assert tasks.deliver_notifications([note.pk]) == 1
    assert tasks.deliver_notifications([note.pk]) == 0
    note.refresh_from_db()
    assert (note.state, note.attempts) == ("sent", 1)


def test_sweep_sends_what_the_broker_missed(maya, ishaan, mailoutbox, settings):
    ishaan.email = "ishaan@example.test"
    ishaan.save()
    Notification.objects.create(recipient=ishaan, kind="test", subject="left behind")
    # Fresh rows are left to the publish after commit for a grace period; then the sweep sends them.
    later = timezone.now() + dt.timedelta(seconds=settings.MOPSYNC_NOTIFY_SWEEP_GRACE_SECONDS)
    with time_machine.travel(later, tick=False):
        assert tasks.sweep_outbox() == 1
        assert [m.subject for m in mailoutbox] == ["left behind"]
        assert tasks.sweep_outbox() == 0


def test_the_import_tasks_keep_the_names_queued_messages_and_beat_use():
    """They moved from campaigns.tasks to capacity.tasks; messages name a task by its name."""
    assert capacity_tasks.process_import.name == "campaigns.tasks.process_import"
    assert capacity_tasks.sweep_imports.name == "campaigns.tasks.sweep_imports"


def test_every_scheduled_task_is_registered(settings):
    celery_app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_app.tasks, entry
