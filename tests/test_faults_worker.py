"""Fault: a worker is killed (SIGKILL) in the middle of a task other than delivering
notifications (that one is in tests/test_celery_integration.py) (issue 8).

The worker is caught inside the task's transaction (a gate in `tests.celery_proc`
blocks it right after a chosen function returns), killed with its process group, and
a second worker is started with a short Redis visibility timeout: with
`acks_late` + `reject_on_worker_lost` the message was never acknowledged, so Redis
gives it back and the second worker runs it. The killed run's transaction rolled
back with its connection; the effect happens once.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from campaigns import notifications, tasks
from campaigns.models import AlertLog, Notification
from capacity import imports
from capacity.imports import jobs
from capacity.models import ImportJob, StockLevel
from mopsync.celery import app as celery_app
from tests.celery_support import Worker, processes, sent_to, wait_for
from tests.helpers import make_world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real broker"),
]

# The second worker gets an unacknowledged message back after 2 s, and looks every second.
SHORT_VISIBILITY = {"visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
STOCK = "sku,warehouse,on_hand,as_of\nTEE-01,BOM-WH,420,2025-11-01T09:30:00+05:30\nCAP-01,BOM-WH,7,2025-11-01\n"


@pytest.fixture
def sends(tmp_path) -> Path:
    path = tmp_path / "sends.txt"
    path.touch()
    return path


@pytest.fixture
def start(tmp_path, sends):
    """`start(**kwargs)` starts a worker on this test's database; all are killed at the end."""
    celery_app.conf.task_always_eager = False  # publish to the real broker
    celery_app.control.purge()
    jobs._broker_down_until = notifications._broker_down_until = 0.0
    with processes() as started:

        def starter(**kwargs) -> Worker:
            worker = Worker(tmp_path, sends, redis_url=settings.REDIS_URL, **kwargs)
            started.append(worker)
            return worker

        yield starter


def task_id(worker: Worker, name: str) -> str:
    found = re.search(rf"Task {re.escape(name)}\[([0-9a-f-]+)\] received", worker.output())
    assert found, f"{name} was not received by {worker.name}"
    return found.group(1)


def caught_mid_task(start, tmp_path, after: str) -> tuple[Worker, Path]:
    gate = tmp_path / "gate"
    return start(gate=gate, gate_after=after), gate


def test_an_import_killed_mid_apply_is_redelivered_and_applied_once(start, tmp_path, ishaan):
    world = make_world()  # stock of 100,000 each
    stuck, gate = caught_mid_task(start, tmp_path, "capacity.services:stock_level_set")

    job = imports.import_create(actor=ishaan, kind="stock_levels", file_name="stock.csv", data=STOCK.encode())
    wait_for(lambda: Path(f"{gate}.waiting").exists(), "the worker to be in the middle of the import")
    original = task_id(stuck, "campaigns.tasks.process_import")
    stuck.kill()  # one row written inside the apply transaction, not committed

    job.refresh_from_db()
    assert job.status == "running"
    assert set(StockLevel.objects.values_list("on_hand", flat=True)) == {100_000}  # nothing applied

    # The lease on the claim runs out at once here (in production: after the task time limit).
    worker = start(transport=SHORT_VISIBILITY, env={"MOPSYNC_IMPORT_LEASE_SECONDS": "1"})
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == "succeeded", "the redelivered import to finish")
    worker.drain()

    assert f"Task campaigns.tasks.process_import[{original}] succeeded" in worker.output()  # the same message
    assert worker.succeeded("campaigns.tasks.process_import") == 1
    job.refresh_from_db()
    # Applied by one run, whole: a second committed run would have found the rows unchanged.
    assert (job.summary, job.errors, job.rows_done) == ({"created": 0, "updated": 2, "unchanged": 0}, [], 2)
    assert StockLevel.objects.get(sku=world.sku).on_hand == 420
    assert StockLevel.objects.get(sku=world.sku2).on_hand == 7
    assert imports.sweep(older_than_seconds=0) == 0  # nothing left behind


def test_a_daily_report_killed_mid_send_is_redelivered_and_sent_once(start, tmp_path, sends, maya, ishaan, lata):
    team = [maya, ishaan, lata]
    for user in team:
        user.email = f"{user.username}@example.test"
        user.save(update_fields=["email"])
    stuck, gate = caught_mid_task(start, tmp_path, "campaigns.triggers:first_today")

    tasks.send_daily_report.apply_async()
    wait_for(lambda: Path(f"{gate}.waiting").exists(), "the worker to be in the middle of the report")
    original = task_id(stuck, "campaigns.tasks.send_daily_report")
    stuck.kill()  # the day's send record written inside the transaction, not committed

    assert not AlertLog.objects.filter(kind="daily_report").exists()
    assert not Notification.objects.filter(kind="daily_report").exists()

    worker = start(transport=SHORT_VISIBILITY)
    wait_for(lambda: AlertLog.objects.filter(kind="daily_report").exists(), "the redelivered report")
    rows = Notification.objects.filter(kind="daily_report")
    wait_for(lambda: set(rows.values_list("state", flat=True)) == {"sent"}, "the report's emails")
    worker.drain()

    assert f"Task campaigns.tasks.send_daily_report[{original}] succeeded" in worker.output()
    assert AlertLog.objects.filter(kind="daily_report").count() == 1
    assert rows.count() == len(team)
    assert sent_to(sends) == Counter(f"{user.username}@example.test" for user in team)  # each once
