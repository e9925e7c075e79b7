"""Celery tasks: thin. Each takes ids or nothing, calls a service or a job function,
and is safe to run twice (acks_late redelivers a message whose worker was lost).

The schedule is `CELERY_BEAT_SCHEDULE` in settings; times are the organisation's. The
imports' tasks are in `capacity/tasks.py` (under the names they had here).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from campaigns import notifications, reports, services, triggers

log = logging.getLogger(__name__)


@shared_task
def deliver_notifications(ids: list[int]) -> int:
    """Deliver outbox rows (email, Slack); each row is claimed before it is sent, so a
    redelivered or concurrent task never sends it twice."""
    sent = notifications.deliver(ids)
    log.info("delivered %d of %d notifications", sent, len(ids))
    return sent


@shared_task
def sweep_outbox() -> int:
    """Publish what is still pending: rows the broker never got, retries whose backoff
    has passed, and rows whose worker died mid-send."""
    return notifications.sweep()


@shared_task
def go_live_due() -> dict:
    """Rule 1 scheduler: approved campaigns go live on their start date, only through
    the guard; due campaigns that are not approved are reported to both teams."""
    return services.campaigns_go_live_due(today=timezone.localdate())


@shared_task
def complete_ended() -> int:
    """Live or paused campaigns whose end date has passed are completed (and reviewed)."""
    return services.campaigns_complete_ended(today=timezone.localdate())


@shared_task
def inventory_triggers() -> dict:
    """Alert on featured SKUs at risk; auto-pause the live campaigns that asked for it."""
    return triggers.inventory_triggers(today=timezone.localdate())


@shared_task
def sla_reminders() -> dict:
    """Remind approvers about submissions waiting too long or launching soon unsigned."""
    return triggers.sla_reminders(now=timezone.now())


@shared_task
def send_daily_report() -> int:
    """The shared daily report, once per day (a second run the same day sends nothing)."""
    return reports.send_daily_report(today=timezone.localdate()).recipients
