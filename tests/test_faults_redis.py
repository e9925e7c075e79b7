"""Fault: Redis (broker and cache) stops during traffic (issue 8).

A private `redis-server` (never the shared one) is the broker and the cache for this
process and for a real worker. While it is stopped, people sign off, go live, pause,
upload an import and open pages through the web client: every request succeeds
quickly (the outbox rows and the import job are written in the action's transaction;
the publish after commit fails fast and is left to the sweeps; the cache misses).
When Redis is back, the sweeps publish what waited and the worker delivers every
notification exactly once and runs the import once.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from campaigns import notifications, services, tasks
from campaigns.models import Campaign, Notification, Status
from capacity import imports
from capacity.imports import jobs
from capacity.models import ImportJob, StockLevel
from mopsync.celery import app as celery_app
from tests.celery_support import RedisServer, Worker, free_port_from, processes, sent_lines, wait_for
from tests.helpers import make_world, plan_data

PRIVATE_PORTS = range(6391, 6396)
FAST = 5  # seconds: no request may hang on the dead Redis
RECOVERY = 60  # seconds for the worker to reconnect and deliver the backlog


def resilient_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "mopsync.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_the_cache_degrades_to_misses_when_redis_is_unreachable(settings):
    """Runs anywhere (nothing listens on port 1): reads miss, writes are dropped, no error."""
    settings.CACHES = resilient_cache("redis://127.0.0.1:1/0")
    started = time.monotonic()
    assert cache.get("k", "default") == "default"
    cache.set("k", "v")
    assert cache.add("k", "v") is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    assert cache.set_many({"a": 1}) == ["a"]
    assert time.monotonic() - started < FAST


@pytest.fixture
def redis(tmp_path, settings):
    """A private Redis as this process's broker and cache; stopped (killed) at the end,
    and the broker configuration restored."""
    server = RedisServer(tmp_path, free_port_from(PRIVATE_PORTS))
    conf = celery_app.conf
    saved = {name: conf[name] for name in ("broker_url", "broker_read_url", "broker_write_url")}

    def reset_pools():
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    with processes() as started:
        server.start()
        started.append(server)
        for name in saved:
            conf[name] = server.url
        reset_pools()
        settings.REDIS_URL = server.url
        settings.CACHES = resilient_cache(server.url)
        conf.task_always_eager = False
        notifications._broker_down_until = jobs._broker_down_until = 0.0
        try:
            yield server, started, reset_pools
        finally:
            for name, value in saved.items():
                conf[name] = value
            reset_pools()
            notifications._broker_down_until = jobs._broker_down_until = 0.0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server for a private Redis to stop")
def test_actions_succeed_while_redis_is_down_and_everything_is_delivered_once_after(
    redis, client, tmp_path, settings, maya, ishaan, lata, omar
):
    server, started, reset_pools = redis
    team = [maya, ishaan, lata, omar]
    for user in team:
        user.email = f"{user.username}@example.test"
        user.save(update_fields=["email"])
    sends = tmp_path / "sends.txt"
    sends.touch()
    worker = Worker(tmp_path, sends, redis_url=server.url)
    started.append(worker)

    world = make_world()
    today = timezone.localdate()
    draft = services.campaign_create(
        actor=maya, data=plan_data(world, starts_on=today, ends_on=today + dt.timedelta(days=4))
    )
    services.campaign_submit(campaign=draft, actor=maya)  # Redis up: published and delivered at once
    wait_for(lambda: not Notification.objects.exclude(state="sent").exists(), "the submission's notifications")

    cache.set("probe", "up")
    assert cache.get("probe") == "up"  # the cache is this Redis

    server.stop()
    assert cache.get("probe") is None  # down: a miss, not an error
    down_at = Notification.objects.order_by("pk").values_list("pk", flat=True).last()

    def timed(request, *args, **kwargs):
        start = time.monotonic()
        response = request(*args, **kwargs)
        took = time.monotonic() - start
        assert response.status_code < 500, (args, response.status_code)
        assert took < FAST, f"{args[0]} took {took:.1f}s with Redis down"
        return response

    for user, dimension in ((ishaan, "inventory"), (lata, "courier")):
        client.force_login(user)
        timed(client.post, f"/approvals/{draft.pk}/sign-off/", {"dimension": dimension, "decision": "approved"})
        timed(client.get, "/")
        timed(client.get, "/approvals/")
    client.force_login(maya)
    timed(client.post, f"/campaigns/{draft.pk}/go-live/")
    timed(client.get, f"/campaigns/{draft.pk}/")
    timed(client.get, "/inbox/")
    timed(client.get, "/api/campaigns/")
    client.force_login(omar)
    timed(client.post, f"/campaigns/{draft.pk}/pause/", {"comment": "stock count"})
    stock = "sku,warehouse,on_hand,as_of\nTEE-01,BOM-WH,420,2025-11-01\n"
    job = imports.import_create(actor=ishaan, kind="stock_levels", file_name="stock.csv", data=stock.encode())

    # Every action took effect; what it asked of the worker waits in the database.
    assert Campaign.objects.get(pk=draft.pk).status == Status.PAUSED
    waiting = Notification.objects.filter(pk__gt=down_at)
    kinds = set(waiting.values_list("kind", flat=True))
    assert {"signoff_approved", "approved", "live", "paused"} <= kinds
    assert set(waiting.values_list("state", flat=True)) == {"pending"}
    assert ImportJob.objects.get(pk=job.pk).status == "pending"

    server.start()  # Redis is back, empty (it kept nothing)
    reset_pools()
    notifications._broker_down_until = jobs._broker_down_until = 0.0
    settings.MOPSYNC_NOTIFY_SWEEP_GRACE_SECONDS = 0
    assert tasks.sweep_outbox() == waiting.count()  # what beat runs every minute
    assert imports.sweep(older_than_seconds=0) == 1

    wait_for(
        lambda: (
            not Notification.objects.exclude(state="sent").exists()
            and ImportJob.objects.get(pk=job.pk).status == "succeeded"
        ),
        "the backlog to be delivered by the reconnected worker",
        deadline=RECOVERY,
    )
    assert tasks.sweep_outbox() == 0
    worker.drain()

    assert StockLevel.objects.get(sku=world.sku).on_hand == 420
    expected = {}
    for note in Notification.objects.select_related("recipient"):
        key = (note.recipient.email, note.subject)
        expected[key] = expected.get(key, 0) + 1
    mailed = sent_lines(sends)
    assert mailed == expected, "every notification emailed exactly once"
    assert waiting.filter(attempts=1).count() == waiting.count()
