"""The outbox with a real Celery worker on Redis and PostgreSQL (DESIGN.md, "Background
work" and the engineering notes): delivered after commit; delivered later when the broker
was unreachable at the moment of the change; redelivered without a duplicate when the
worker is killed mid-send.

Each test starts `celery worker` as a subprocess against REDIS_URL and this test's
database (committed rows: `transaction=True`), and always stops it. Emails are counted
in a file by `tests.celery_support.CountingBackend`, which the worker loads by EMAIL_BACKEND. Waits
wake on the worker's output (`tests.celery_support.wait_for`); nothing sleeps or polls.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from campaigns import notifications, services, tasks
from campaigns.models import Campaign, Notification
from mopsync.celery import app as celery_app
from tests.celery_support import Worker, processes, sent_to, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real broker"),
]


@pytest.fixture
def sends(tmp_path) -> Path:
    path = tmp_path / "sends.txt"
    path.touch()
    return path


@pytest.fixture
def workers(tmp_path, sends):
    """Start workers with `workers.start()`; every one is stopped, whatever happens."""
    celery_app.conf.task_always_eager = False  # publish to the real broker (conftest runs tasks in-process)
    celery_app.control.purge()  # messages left by earlier runs are not this test's
    notifications._broker_down_until = 0.0
    with processes() as started:

        class Starter:
            def start(self, **kwargs) -> Worker:
                worker = Worker(tmp_path, sends, redis_url=settings.REDIS_URL, **kwargs)
                started.append(worker)
                return worker

        try:
            yield Starter()
        finally:
            notifications._broker_down_until = 0.0


@pytest.fixture
def team(maya, ishaan, lata, omar):
    for user in (maya, ishaan, lata, omar):
        user.email = f"{user.username}@example.test"
        user.save(update_fields=["email"])
    return {"maya": maya, "ishaan": ishaan, "lata": lata, "omar": omar}


@pytest.fixture
def draft(team):
    from tests.helpers import make_world, plan_data

    world = make_world()
    return services.campaign_create(actor=team["maya"], data=plan_data(world))


APPROVERS = ["ishaan@example.test", "lata@example.test", "omar@example.test"]


def submitted_rows():
    return Notification.objects.filter(kind="submitted")


def all_sent() -> bool:
    states = set(submitted_rows().values_list("state", flat=True))
    return states == {"sent"}


def test_a_submission_is_delivered_by_the_worker_after_commit(workers, sends, draft, team):
    worker = workers.start()

    services.campaign_submit(campaign=draft, actor=team["maya"])  # commits, then publishes

    wait_for(all_sent, "the outbox rows to be delivered")
    worker.drain()
    assert sent_to(sends) == Counter(APPROVERS)  # each approver once
    assert submitted_rows().filter(attempts=1).count() == 3


@pytest.fixture
def broker_unreachable():
    """Point this process's publisher at a closed port on 127.0.0.1 (a Redis that is down)."""
    conf = celery_app.conf

    def reset_pools():
        # Drop this app's cached pools (not close them: kombu keeps them by URL and
        # hands them out again when the URL comes back).
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    original = conf.broker_write_url
    conf.broker_write_url = "redis://127.0.0.1:1/0"
    reset_pools()

    def restore():
        conf.broker_write_url = original
        reset_pools()

    try:
        yield restore
    finally:
        restore()


def test_a_change_while_the_broker_is_down_is_delivered_later_by_the_sweep_exactly_once(
    workers, sends, draft, team, broker_unreachable, settings
):
    worker = workers.start()

    started = time.monotonic()
    services.campaign_submit(campaign=draft, actor=team["maya"])
    took = time.monotonic() - started

    # The user's action succeeded, without hanging on the broker; the rows wait.
    assert took < 5
    assert Campaign.objects.get(pk=draft.pk).status == "submitted"
    assert set(submitted_rows().values_list("state", flat=True)) == {"pending"}

    broker_unreachable()  # the broker is back
    notifications._broker_down_until = 0.0
    settings.MOPSYNC_NOTIFY_SWEEP_GRACE_SECONDS = 0
    assert tasks.sweep_outbox() == 3  # what beat runs every minute

    wait_for(all_sent, "the sweep's deliveries")
    assert tasks.sweep_outbox() == 0
    worker.drain()
    assert sent_to(sends) == Counter(APPROVERS)


def test_a_worker_killed_mid_send_is_redelivered_without_a_duplicate(workers, sends, draft, team, tmp_path, settings):
    gate = tmp_path / "gate"
    stuck = workers.start(gate=gate)

    services.campaign_submit(campaign=draft, actor=team["maya"])
    wait_for(lambda: Path(str(gate) + ".waiting").exists(), "the worker to be in the middle of a send")
    claimed = Notification.objects.get(kind="submitted", state="sending")
    stuck.kill()

    # The row it held is still claimed; the others were never started.
    assert Notification.objects.get(pk=claimed.pk).state == "sending"
    assert sent_to(sends) == Counter()

    worker = workers.start()
    # The killed worker's lease has run out (a lease of 0 s: the clock need not pass it,
    # and no wait depends on time), and the sweep runs once, as beat would.
    settings.MOPSYNC_NOTIFY_LEASE_SECONDS = 0
    settings.MOPSYNC_NOTIFY_SWEEP_GRACE_SECONDS = 0
    assert tasks.sweep_outbox() >= 1  # the lost send re-claimed and published again

    wait_for(all_sent, "the re-claimed send and the rest to be delivered")
    worker.drain()
    assert sent_to(sends) == Counter(APPROVERS)  # exactly once each, the killed send included
    claimed.refresh_from_db()
    assert claimed.attempts == 2  # the lost attempt counts
