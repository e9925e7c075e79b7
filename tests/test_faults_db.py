"""Fault: the database connection drops in the middle of a transition (issue 8).

Each test lets a transition run up to a point inside its transaction (after the
sign-off row or the reservations are written, after the status is saved), then kills
the transaction's own PostgreSQL backend from a second connection
(`pg_terminate_backend`) or raises `OperationalError` there. The campaign must be
left exactly as it was: no sign-off without its reservations, no reservations
without their sign-off, no status change without its audit event, no outbox rows.
Then the same action, retried on a fresh connection, goes through whole.

Real PostgreSQL (the backend really dies), committed rows (`transaction=True`).
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from campaigns import services
from campaigns.models import AuditEvent, Campaign, Notification, Status
from capacity.models import Reservation, SignOff
from tests.helpers import approved, live, make_world, submitted

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def terminate_own_backend() -> None:
    """Kill this connection's server process from another connection, as a crashed
    PostgreSQL backend, a failover or a dropped TCP connection would."""
    pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]


def fail_after(monkeypatch, target: str, how: str) -> dict:
    """Let `campaigns.services.<target>` run, then drop the connection (`terminate`)
    or raise OperationalError (`raise`); only on its first call."""
    original = getattr(services, target)
    calls = {"n": 0}

    def faulty(*args, **kwargs):
        result = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            if how == "terminate":
                terminate_own_backend()
                # The next statement of the transaction meets the dead connection.
                Campaign.objects.exists()
            else:
                raise OperationalError("server closed the connection unexpectedly")
        return result

    monkeypatch.setattr(services, target, faulty)
    return calls


def snapshot(campaign: Campaign) -> dict:
    fresh = Campaign.objects.get(pk=campaign.pk)
    return {
        "status": fresh.status,
        "plan_version": fresh.plan_version,
        "approved_orders_per_day": fresh.approved_orders_per_day,
        "signoffs": sorted(SignOff.objects.filter(campaign=campaign).values_list("dimension", "decision")),
        "reservations": sorted(
            Reservation.objects.filter(campaign=campaign).values_list("dimension", "kind", "day", "quantity")
        ),
        "audit": list(AuditEvent.objects.filter(campaign=campaign).order_by("pk").values_list("action", "to_status")),
        "notifications": Notification.objects.filter(campaign=campaign).count(),
    }


def assert_consistent(campaign: Campaign) -> None:
    """The invariants a half-done transition would break."""
    fresh = Campaign.objects.get(pk=campaign.pk)
    approvals = fresh.current_approvals()
    held = set(Reservation.objects.filter(campaign=campaign).values_list("dimension", flat=True))
    if fresh.status in (Status.SUBMITTED, Status.APPROVED, Status.LIVE, Status.PAUSED):
        assert held == set(approvals), "reservations are held exactly for the approved dimensions"
    last = AuditEvent.objects.filter(campaign=campaign).order_by("pk").last()
    assert last is not None and last.to_status == fresh.status, "the status is the one the last audit event records"


def drop_mid_transition(monkeypatch, campaign, target, how, action):
    before = snapshot(campaign)
    calls = fail_after(monkeypatch, target, how)
    with pytest.raises(OperationalError):
        action()
    assert calls["n"] == 1, f"the fault was injected inside the transition (after {target})"
    connection.close()  # what Django does at the end of a request whose connection broke
    assert snapshot(campaign) == before, "the campaign is left entirely in its old state"
    assert_consistent(campaign)
    monkeypatch.undo()
    return before


def faults(*targets: str) -> list[tuple[str, str]]:
    """Each target with the connection terminated; the first one also with OperationalError raised."""
    return [(target, "terminate") for target in targets] + [(targets[0], "raise")]


@pytest.mark.parametrize(("target", "how"), faults("_audit", "_reserve"))
def test_first_approval_is_all_or_nothing(monkeypatch, how, target, maya, ishaan):
    """`_reserve`: reservations written, sign-off not yet; `_audit`: sign-off and
    reservations written, the audit event not yet."""
    campaign = submitted(make_world(), maya)

    def approve():
        services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")

    drop_mid_transition(monkeypatch, campaign, target, how, approve)

    approve()  # retried on a fresh connection: whole
    after = snapshot(campaign)
    assert after["signoffs"] == [("inventory", "approved")]
    assert {r[0] for r in after["reservations"]} == {"inventory"}
    assert after["audit"][-1] == ("sign_off", Status.SUBMITTED)
    assert_consistent(campaign)


@pytest.mark.parametrize(("target", "how"), faults("_audit", "_shrink", "queue_notification"))
def test_the_approval_that_approves_the_campaign_is_all_or_nothing(monkeypatch, how, target, maya, ishaan, lata):
    """The second sign-off, capped lower than the first: it reserves, shrinks the first
    dimension's reservations, approves the campaign, audits and queues notifications."""
    campaign = submitted(make_world(), maya)
    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")

    def approve():
        services.campaign_sign_off(
            campaign=campaign, actor=lata, dimension="courier", decision="approved", approved_orders_per_day=60
        )

    before = drop_mid_transition(monkeypatch, campaign, target, how, approve)
    assert before["status"] == Status.SUBMITTED

    approve()
    after = snapshot(campaign)
    assert after["status"] == Status.APPROVED and after["approved_orders_per_day"] == 60
    assert {r[0] for r in after["reservations"]} == {"inventory", "courier"}
    assert after["audit"][-1] == ("sign_off", Status.APPROVED)
    assert after["notifications"] > before["notifications"]
    assert_consistent(campaign)


@pytest.mark.parametrize(("target", "how"), faults("_audit", "queue_notification"))
def test_go_live_is_all_or_nothing(monkeypatch, how, target, maya, ishaan, lata):
    today = timezone.localdate()
    campaign = approved(make_world(), maya, ishaan, lata, starts_on=today, ends_on=today + dt.timedelta(days=3))

    def go_live():
        services.campaign_go_live(campaign=campaign, actor=None, today=today)

    before = drop_mid_transition(monkeypatch, campaign, target, how, go_live)
    assert before["status"] == Status.APPROVED

    go_live()
    after = snapshot(campaign)
    assert after["status"] == Status.LIVE
    assert [a for a in after["audit"] if a[0] == "go_live"] == [("go_live", Status.LIVE)]
    assert after["reservations"] == before["reservations"]  # going live keeps what was approved
    assert_consistent(campaign)


@pytest.mark.parametrize(("target", "how"), faults("_audit", "queue_notification"))
def test_pause_is_all_or_nothing(monkeypatch, how, target, maya, ishaan, lata, omar):
    campaign = live(make_world(), maya, ishaan, lata)

    def pause():
        services.campaign_pause(campaign=campaign, actor=omar, reason="stock count")

    before = drop_mid_transition(monkeypatch, campaign, target, how, pause)
    assert before["status"] == Status.LIVE

    pause()
    after = snapshot(campaign)
    assert after["status"] == Status.PAUSED
    assert after["audit"][-1] == ("pause", Status.PAUSED)
    assert after["reservations"] == before["reservations"]  # a paused campaign keeps its capacity
    assert_consistent(campaign)
