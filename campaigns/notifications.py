"""Queueing notifications: one outbox row per recipient, in the caller's transaction.

The rows are published to the worker after commit. If the broker is down the rows
stay `pending` and the periodic sweep (`campaigns.tasks.sweep_outbox`) sends them,
so a change never loses its notification.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction

from campaigns.models import Campaign, Notification
from mopsync.roles import MARKETING, OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS

log = logging.getLogger(__name__)

APPROVERS = {"inventory": (OPS_INVENTORY, OPS_LEAD), "courier": (OPS_LOGISTICS, OPS_LEAD)}
BOTH_TEAMS = (MARKETING, OPS_INVENTORY, OPS_LOGISTICS, OPS_LEAD)


def queue_notification(
    *,
    kind: str,
    subject: str,
    body: str = "",
    campaign: Campaign | None = None,
    roles: Iterable[str] = (),
    users: Iterable = (),
) -> list[Notification]:
    """Write outbox rows for every active user in `roles` plus `users` (deduplicated)."""
    User = get_user_model()
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    roles = tuple(roles)
    if roles:
        for user in User.objects.filter(is_active=True, groups__name__in=roles).distinct():
            recipients.setdefault(user.pk, user)
    rows = Notification.objects.bulk_create(
        [
            Notification(recipient=user, campaign=campaign, kind=kind, subject=subject[:250], body=body)
            for _, user in sorted(recipients.items())
        ]
    )
    ids = [row.pk for row in rows if row.pk is not None]
    if ids:
        transaction.on_commit(lambda: publish(ids))
    return rows


def publish(ids: list[int]) -> None:
    """Hand outbox rows to the worker; on any broker failure the sweep retries later."""
    from campaigns.tasks import deliver_notifications

    try:
        deliver_notifications.apply_async(args=[ids], retry=False)
    except Exception:  # noqa: BLE001 - the broker being down must never fail the user's action
        log.warning("broker unavailable; %d notifications left for the outbox sweep", len(ids), exc_info=True)
