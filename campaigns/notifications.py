"""The notification outbox: queueing in the caller's transaction, delivery, retries.

`queue_notification` writes one row per recipient in the caller's transaction and
publishes the row ids to the worker after commit. The row itself is the in-app
inbox entry; `deliver` sends the other channels: email to the recipient and, for
one row of each event, a post to the team's Slack-compatible webhook.

One event, one row per recipient: a caller that tells several audiences about the
same event (a late submission used to tell the approvers and, again, the ops leads)
makes one call, with the message that carries everything, so nobody gets two.

Each recipient's preferences (`Preference.channels`, edited on the notification
settings page) choose, per kind (`KINDS`), the channels they want:

- in-app: the row shows in their inbox (and counts as unread) — else it is kept for
  the outbox only (`in_app` false);
- email: the row is emailed to them — else not (`by_email` false);
- Slack: Slack is the team's channel, not a personal one, so a post is per event,
  never per person: the event is posted once if at least one of its recipients wants
  Slack for its kind (their row carries the post), and not at all if none does.

A recipient who wants no channel for a kind gets no row for it. A kind absent from
someone's preferences gets every channel (`DEFAULT_CHANNELS`).

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

from campaigns.models import Campaign, Delegation, Notification, Preference

log = logging.getLogger(__name__)

PUBLISH_CHUNK = 50  # ids per task message: a backlog spreads over the workers
SWEEP_LIMIT = 1000  # rows per sweep; the next sweep takes the rest
BROKER_PAUSE_SECONDS = 30  # after a failed publish, leave new rows to the sweep this long
SLACK_TEXT_LIMIT = 3500

State = Notification.State

IN_APP, EMAIL, SLACK = "in_app", "email", "slack"
CHANNELS = {IN_APP: "In the inbox", EMAIL: "Email", SLACK: "Slack (team channel)"}
DEFAULT_CHANNELS = frozenset(CHANNELS)

# Every kind of notification mopsync sends, in the order the settings page and the
# inbox's filter list them, with what a person reads for it.
KINDS = {
    "submitted": "A plan waits for sign-off (late notice included)",
    "plan_changed": "A signed-off plan changed and needs sign-off again",
    "scale_up": "A running campaign asks to scale up",
    "sla_reminder": "Reminder: a sign-off is overdue",
    "sla_escalation": "Escalation: a sign-off is overdue",
    "signoff_approved": "A sign-off on my plan: approved",
    "signoff_changes_requested": "A sign-off on my plan: changes requested",
    "signoff_rejected": "A sign-off on my plan: rejected",
    "approved": "A campaign is approved",
    "due_not_approved": "A campaign due to start is not approved",
    "live": "A campaign went live",
    "paused": "A campaign was paused",
    "resumed": "A campaign was resumed",
    "cancelled": "A campaign was cancelled",
    "completed": "My campaign ended",
    "inventory_alert": "Stock risk for a campaign",
    "outgrowing": "A campaign took more orders than signed off",
}
# Kinds the inbox can still hold but nothing sends any more, or that have a setting
# of their own (the daily report): filterable, not in the per-kind settings.
OTHER_KINDS = {"daily_report": "The daily report", "late_notice": "Late notice (before one message per event)"}


def kind_label(kind: str) -> str:
    return KINDS.get(kind) or OTHER_KINDS.get(kind) or kind.replace("_", " ").capitalize()


def clean_channels(value) -> dict[str, list[str]]:
    """A `Preference.channels` map as stored: known kinds to known channels, in order."""
    if not isinstance(value, dict):
        return {}
    return {
        kind: [channel for channel in CHANNELS if channel in chosen]
        for kind, chosen in value.items()
        if kind in KINDS and isinstance(chosen, list | tuple)
    }


def channels_for(preferences: dict | None, kind: str) -> frozenset[str]:
    """The channels a person wants for `kind`, from their `Preference.channels`."""
    chosen = (preferences or {}).get(kind)
    if chosen is None or not isinstance(chosen, list | tuple):
        return DEFAULT_CHANNELS
    return frozenset(channel for channel in chosen if channel in CHANNELS)


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
    exclude_users: Iterable = (),
    exclude_roles: Iterable[str] = (),
    routed: bool = False,
    day: date | None = None,
) -> list[Notification]:
    """Write outbox rows for every active user in `roles` plus `users` (deduplicated:
    one row per person and event), in the caller's transaction, as each recipient's
    preferences for `kind` say; they are published to the worker after it commits.

    With `slack`, the row of the first recipient who wants Slack for `kind` carries
    the event's one post to the team channel. `routed`: work that waits for an approver
    (sign-offs needed, reminders, escalations) goes to the delegate of a recipient away on
    `day` (today by default) instead of them."""
    User = get_user_model()
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    roles = tuple(roles)
    if roles:
        for user in User.objects.filter(is_active=True, groups__name__in=roles).distinct():
            recipients.setdefault(user.pk, user)
    for user in exclude_users:
        if user is not None:
            recipients.pop(user.pk, None)
    exclude_roles = tuple(exclude_roles)
    if exclude_roles and recipients:
        excluded = User.objects.filter(pk__in=list(recipients), groups__name__in=exclude_roles).values_list(
            "pk", flat=True
        )
        for pk in set(excluded):
            recipients.pop(pk, None)
    if routed and recipients:
        recipients = route_to_delegates(recipients, day=day or timezone.localdate())
    preferences = (
        dict(Preference.objects.filter(user_id__in=list(recipients)).values_list("user_id", "channels"))
        if recipients
        else {}
    )
    # One line, whatever the names in it held: a CR or LF in an email subject is refused by
    # the mail library (BadHeaderError), and a subject is a line in the inbox and Slack too.
    subject = " ".join(subject.split())[:250]
    notes, posted = [], not slack
    for pk, user in sorted(recipients.items()):
        wanted = channels_for(preferences.get(pk), kind)
        carries_post = not posted and SLACK in wanted
        posted = posted or carries_post
        if not (carries_post or IN_APP in wanted or EMAIL in wanted):
            continue
        notes.append(
            Notification(
                recipient=user,
                campaign=campaign,
                kind=kind,
                subject=subject,
                body=body,
                html_body=html_body,
                post_to_slack=carries_post,
                in_app=IN_APP in wanted,
                by_email=EMAIL in wanted,
            )
        )
    rows = Notification.objects.bulk_create(notes)
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
    # Each channel on its own: one channel's failure (a subject the mail server refuses, a
    # Slack outage) never keeps the other from being sent. A sent channel is stamped at
    # once and skipped on a retry; the row is sent when no channel is left to do.
    failures = []
    for channel, due_now, send, stamp in (
        ("email", note.by_email and note.email_sent_at is None and note.recipient.email, send_email, "email_sent_at"),
        ("slack", note.post_to_slack and note.slack_sent_at is None and settings.SLACK_WEBHOOK_URL, send_slack,
         "slack_sent_at"),
    ):  # fmt: skip
        if not due_now:
            continue
        try:
            send(note)
        except Exception as exc:  # noqa: BLE001 - any channel failure is retried with backoff
            failures.append(f"{channel}: {type(exc).__name__}: {exc}")
        else:
            mine.update(**{stamp: timezone.now()})
    if failures:
        _record_failure(note, mine, "; ".join(failures))
        return False
    return bool(mine.update(state=State.SENT, sent_at=timezone.now(), claimed_at=None, next_attempt_at=None))


def _record_failure(note: Notification, mine, error: str) -> None:
    error = error[:2000]
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


def slack_escape(text: str) -> str:
    """What people wrote (campaign names, comments), as Slack shows it and nothing more:
    `&`, `<` and `>` escaped as Slack asks, so `<!channel>` pings nobody and
    `<https://…|Open in mopsync>` is no disguised link (issue 18.6)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(note: Notification) -> dict:
    """A Slack-compatible incoming-webhook message (`text` with mrkdwn and a link); only
    the link is ours to mark up, everything else is escaped."""
    text = f"*{slack_escape(note.subject)}*"
    if note.body:
        body = note.body if len(note.body) <= SLACK_TEXT_LIMIT else note.body[:SLACK_TEXT_LIMIT] + "…"
        text += f"\n{slack_escape(body)}"
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
