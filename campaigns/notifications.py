"""The notification outbox: queueing in the caller's transaction, delivery, retries.

`queue_notification` writes one row per recipient in the caller's transaction and
publishes the row ids to the worker after commit. The row itself is the in-app
inbox entry; `deliver` sends the other channels: email to the recipient and, for
one row of each event, a post to the team's Slack-compatible webhook.

Never lost: if the broker is down at commit time the rows stay `pending` and the
periodic `sweep` publishes them. Never doubled: a worker claims a row with a
conditional update (`pending` → `sending`, `claimed_at` its lease) before sending,
and records each channel as done, so a redelivered or concurrent task skips it;
a row whose worker died mid-send is re-claimed by the sweep once its lease
expires. A channel failure puts the row back to `pending` with an exponential
backoff (`next_attempt_at`); after `MOPSYNC_NOTIFY_MAX_ATTEMPTS` it is `failed`,
where admins see it (and can retry it) in the admin's outbox.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Delegation, Notification

log = logging.getLogger(__name__)

PUBLISH_CHUNK = 50  # ids per task message: a backlog spreads over the workers
SWEEP_LIMIT = 1000  # rows per sweep; the next sweep takes the rest
BROKER_PAUSE_SECONDS = 30  # after a failed publish, leave new rows to the sweep this long
SLACK_TEXT_LIMIT = 3500

State = Notification.State


# --------------------------------------------------------------------------- queueing


def queue_notification(
    *,
    kind: str,
    subject: str,
    body: str = "",
    html_body: str = "",
    campaign: Campaign | None = None,
    roles: Iterable[str] = (),
    users: Iterable = (),
    slack: bool = True,
    routed: bool = False,
    day: date | None = None,
) -> list[Notification]:
    """Write outbox rows for every active user in `roles` plus `users` (deduplicated),
    in the caller's transaction; they are published to the worker after it commits.

    With `slack`, the first row carries the event's one post to the team channel.
    `routed`: work that waits for an approver (sign-offs needed, reminders, escalations)
    goes to the delegate of a recipient away on `day` (today by default) instead of them."""
    User = get_user_model()
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    roles = tuple(roles)
    if roles:
        for user in User.objects.filter(is_active=True, groups__name__in=roles).distinct():
            recipients.setdefault(user.pk, user)
    if routed and recipients:
        recipients = route_to_delegates(recipients, day=day or timezone.localdate())
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                campaign=campaign,
                kind=kind,
                subject=subject[:250],
                body=body,
                html_body=html_body,
                post_to_slack=slack and index == 0,
            )
            for index, (_, user) in enumerate(sorted(recipients.items()))
        ]
    )
    ids = [row.pk for row in rows if row.pk is not None]
    if ids:
        transaction.on_commit(lambda: publish(ids))
    return rows


def route_to_delegates(recipients: dict, *, day: date) -> dict:
    """`recipients` (id → user) with each one away on `day` replaced by their delegate
    (`campaigns.models.Delegation`), deduplicated: one query."""
    away = {
        d.user_id: d.delegate
        for d in Delegation.objects.filter(
            user_id__in=list(recipients), starts_on__lte=day, ends_on__gte=day, delegate__is_active=True
        ).select_related("delegate")
    }
    routed: dict = {}
    for pk, user in recipients.items():
        target = away.get(pk, user)
        routed.setdefault(target.pk, target)
    return routed


_broker_down_until = 0.0  # monotonic time; per process


def publish(ids: list[int]) -> None:
    """Hand outbox rows to the worker. On any broker failure the rows stay pending for
    the sweep: the user's action has already committed and must not fail or hang
    (the broker's socket timeouts are 2 s; after a failure this process skips the
    broker for BROKER_PAUSE_SECONDS rather than pay them on every request)."""
    global _broker_down_until
    from campaigns.tasks import deliver_notifications

    if time.monotonic() < _broker_down_until:
        log.warning("broker recently unavailable; %d notifications left for the outbox sweep", len(ids))
        return
    for start in range(0, len(ids), PUBLISH_CHUNK):
        chunk = ids[start : start + PUBLISH_CHUNK]
        try:
            deliver_notifications.apply_async(args=[chunk], retry=False)
        except Exception:  # noqa: BLE001 - the broker being down must never fail the user's action
            _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
            log.warning(
                "broker unavailable; %d notifications left for the outbox sweep", len(ids) - start, exc_info=True
            )
            return


# --------------------------------------------------------------------------- delivery


def deliver(ids: Iterable[int]) -> int:
    """Deliver the given outbox rows that are pending and due; returns how many were
    sent. Safe to run twice, concurrently, or for rows already sent."""
    return sum(deliver_one(pk) for pk in sorted(set(ids)))


def deliver_one(pk: int) -> bool:
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    # The claim: only one worker moves a row from pending to sending. The attempt is
    # counted here, so a row that kills its worker every time still ends up failed.
    claimed = Notification.objects.filter(due, pk=pk, state=State.PENDING).update(
        state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    note = Notification.objects.select_related("recipient", "campaign").filter(pk=pk).first()
    if note is None:  # deleted with its recipient or campaign meanwhile
        return False
    # Every later write is conditional on still holding this claim: a worker whose
    # lease expired (and was re-claimed by the sweep) changes nothing.
    mine = Notification.objects.filter(pk=pk, state=State.SENDING, claimed_at=now)
    channel = "email"
    try:
        if note.email_sent_at is None and note.recipient.email:
            send_email(note)
            mine.update(email_sent_at=timezone.now())
        channel = "slack"
        if note.post_to_slack and note.slack_sent_at is None and settings.SLACK_WEBHOOK_URL:
            send_slack(note)
            mine.update(slack_sent_at=timezone.now())
    except Exception as exc:  # noqa: BLE001 - any channel failure is retried with backoff
        _record_failure(note, mine, channel, exc)
        return False
    return bool(mine.update(state=State.SENT, sent_at=timezone.now(), claimed_at=None, next_attempt_at=None))


def _record_failure(note: Notification, mine, channel: str, exc: Exception) -> None:
    error = f"{channel}: {type(exc).__name__}: {exc}"[:2000]
    if note.attempts >= settings.MOPSYNC_NOTIFY_MAX_ATTEMPTS:
        mine.update(state=State.FAILED, claimed_at=None, next_attempt_at=None, last_error=error)
        log.error("notification %s failed for good after %d attempts: %s", note.pk, note.attempts, error)
        return
    retry_at = timezone.now() + backoff(note.attempts)
    mine.update(state=State.PENDING, claimed_at=None, next_attempt_at=retry_at, last_error=error)
    log.warning("notification %s attempt %d failed (%s); retry at %s", note.pk, note.attempts, error, retry_at)


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones: 1, 2, 4, 8… × the base, capped."""
    seconds = settings.MOPSYNC_NOTIFY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.MOPSYNC_NOTIFY_BACKOFF_MAX_SECONDS))


def retry_failed(ids: Iterable[int]) -> list[int]:
    """An admin's retry: failed rows among `ids` get a fresh set of attempts and are
    published after commit. Returns the ids moved back to pending; a row another admin
    or a worker moved meanwhile is left alone (the update is conditional)."""
    ids = list(Notification.objects.filter(pk__in=list(ids), state=State.FAILED).values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids, state=State.FAILED).update(
        state=State.PENDING, attempts=0, next_attempt_at=None, claimed_at=None
    )
    if ids:
        transaction.on_commit(lambda: publish(ids))
    return ids


def sweep(now: datetime | None = None) -> int:
    """Re-claim rows whose worker died mid-send (lease expired), then publish every
    pending row that is due: those the broker never got (older than the grace left
    to the publish after commit) and those whose backoff has passed. Returns how
    many rows were published."""
    now = now or timezone.now()
    expired = Notification.objects.filter(
        state=State.SENDING, claimed_at__lt=now - timedelta(seconds=settings.MOPSYNC_NOTIFY_LEASE_SECONDS)
    )
    lost = "worker lost while sending (lease expired)"
    expired.filter(attempts__gte=settings.MOPSYNC_NOTIFY_MAX_ATTEMPTS).update(
        state=State.FAILED, claimed_at=None, last_error=lost
    )
    reclaimed = expired.update(state=State.PENDING, claimed_at=None, next_attempt_at=now, last_error=lost)
    if reclaimed:
        log.warning("re-claimed %d notifications whose worker was lost", reclaimed)
    grace = now - timedelta(seconds=settings.MOPSYNC_NOTIFY_SWEEP_GRACE_SECONDS)
    ids = list(
        Notification.objects.filter(state=State.PENDING)
        .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=grace))
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    if ids:
        publish(ids)
    return len(ids)


# --------------------------------------------------------------------------- channels


def link_for(note: Notification) -> str:
    if note.campaign_id:
        return settings.MOPSYNC_BASE_URL + reverse("campaigns:detail", args=[note.campaign_id])
    return settings.MOPSYNC_BASE_URL + reverse("campaigns:inbox")


def send_email(note: Notification) -> None:
    """Email the recipient: plain text and HTML (the row's own, or the standard template's)."""
    if note.html_body:  # a complete email of its own (the daily report)
        text, html = note.body, note.html_body
    else:
        context = {"note": note, "link": link_for(note), "base_url": settings.MOPSYNC_BASE_URL}
        text = render_to_string("email/notification.txt", context).strip() + "\n"
        html = render_to_string("email/notification.html", context)
    message = EmailMultiAlternatives(note.subject, text, None, [note.recipient.email])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)


def slack_payload(note: Notification) -> dict:
    """A Slack-compatible incoming-webhook message (`text` with mrkdwn and a link)."""
    text = f"*{note.subject}*"
    if note.body:
        body = note.body if len(note.body) <= SLACK_TEXT_LIMIT else note.body[:SLACK_TEXT_LIMIT] + "…"
        text += f"\n{body}"
    text += f"\n<{link_for(note)}|Open in mopsync>"
    return {"text": text}


def send_slack(note: Notification) -> None:
    """POST the event to the team channel's webhook; a non-2xx answer or a timeout raises."""
    url = settings.SLACK_WEBHOOK_URL
    if not url.startswith(("https://", "http://")):
        raise ValueError("SLACK_WEBHOOK_URL must be an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=json.dumps(slack_payload(note)).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=settings.SLACK_TIMEOUT_SECONDS) as response:  # noqa: S310
        if not 200 <= response.status < 300:
            raise OSError(f"Slack webhook answered {response.status}")
