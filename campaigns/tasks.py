"""Celery tasks: thin. Each takes ids or dates, calls a service, and is safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone

from campaigns import services
from campaigns.models import Notification

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@shared_task(acks_late=True)
def deliver_notifications(ids: list[int]) -> int:
    """Deliver pending outbox rows. A row is claimed with a conditional update, so a
    redelivered or concurrent task never sends it twice."""
    sent = 0
    for note in Notification.objects.filter(pk__in=ids, state=Notification.State.PENDING).select_related("recipient"):
        claimed = Notification.objects.filter(pk=note.pk, state=Notification.State.PENDING).update(
            state=Notification.State.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1
        )
        if not claimed:
            continue
        if note.recipient.email:
            try:
                send_mail(note.subject, note.body or note.subject, None, [note.recipient.email])
            except Exception:  # noqa: BLE001 - any channel failure is retried by the sweep
                failed = note.attempts + 1 >= MAX_ATTEMPTS
                Notification.objects.filter(pk=note.pk).update(
                    state=Notification.State.FAILED if failed else Notification.State.PENDING
                )
                log.warning("email to %s failed for notification %s", note.recipient_id, note.pk, exc_info=True)
                continue
        sent += 1
    log.info("delivered %d of %d notifications", sent, len(ids))
    return sent


@shared_task(acks_late=True)
def sweep_outbox() -> int:
    """Publish what is still pending (the broker may have been down at commit time)."""
    ids = list(Notification.objects.filter(state=Notification.State.PENDING).values_list("pk", flat=True)[:500])
    return deliver_notifications(ids) if ids else 0


@shared_task(acks_late=True)
def go_live_due() -> dict:
    """Rule 1 scheduler: approved campaigns go live on their start date, only through the guard."""
    return services.campaigns_go_live_due(today=timezone.localdate())


@shared_task(acks_late=True)
def complete_ended() -> int:
    return services.campaigns_complete_ended(today=timezone.localdate())
