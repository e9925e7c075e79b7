"""The approval queue as it was before it moved to SQL (commit bb695c6), kept unchanged as
the oracle for tests/test_queue.py: every candidate campaign loaded with its sign-offs,
its pending dimensions worked out and the list sorted in Python. Slow but easy to read.
Not used by the app."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign, Status
from capacity import checks
from mopsync.roles import MARKETING, OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS, user_roles


@dataclass(frozen=True)
class QueueEntry:
    campaign: Campaign
    dimensions: tuple[str, ...]
    scale_up: bool
    waiting_since: object


def pending_dimensions(campaign: Campaign) -> list[str]:
    """Dimensions that still need a decision for the campaign's current plan version."""
    if campaign.status == Status.SUBMITTED:
        approvals = campaign.current_approvals()
        decided = {s.dimension for s in campaign.signoffs.all() if s.plan_version == campaign.plan_version}
        return [d for d in checks.SIGN_OFF_DIMENSIONS if d not in approvals and d not in decided]
    if campaign.scale_up_pending and campaign.status in (Status.LIVE, Status.PAUSED):
        decided = {s.dimension for s in campaign.signoffs.all() if s.plan_version == campaign.plan_version}
        return [d for d in checks.SIGN_OFF_DIMENSIONS if d not in decided]
    return []


SIGNOFF_ROLES = {checks.INVENTORY: {OPS_INVENTORY, OPS_LEAD}, checks.COURIER: {OPS_LOGISTICS, OPS_LEAD}}


def _candidates():
    return Campaign.objects.prefetch_related("signoffs").filter(
        Q(status=Status.SUBMITTED) | Q(status__in=[Status.LIVE, Status.PAUSED], scale_up_pending=True)
    )


def approval_queue(user) -> list[QueueEntry]:
    """What `user` can sign off, most urgent first: late notice, then the earliest
    sign-off deadline, then the longest wait. Segregation of duties applies: marketing
    and owners see nothing to sign."""
    roles = user_roles(user)
    if MARKETING in roles or not roles & {OPS_INVENTORY, OPS_LOGISTICS, OPS_LEAD}:
        return []
    entries = []
    for campaign in _candidates().exclude(owner=user):
        mine = tuple(d for d in pending_dimensions(campaign) if roles & SIGNOFF_ROLES[d])
        if mine:
            waiting = campaign.submitted_at if campaign.status == Status.SUBMITTED else campaign.updated_at
            entries.append(QueueEntry(campaign, mine, campaign.status != Status.SUBMITTED, waiting))
    far = timezone.now() + timedelta(days=36500)
    entries.sort(
        key=lambda e: (
            not e.campaign.late_notice,
            e.campaign.signoff_due_at or far,
            e.campaign.starts_on,
            e.waiting_since or far,
            e.campaign.pk,
        )
    )
    return entries


def everyone_pending() -> list[QueueEntry]:
    """Every sign-off still awaited, whoever decides it, most urgent first (late notice,
    then deadline, then pk): the dashboard's and the daily report's list."""
    entries = []
    for campaign in _candidates():
        dimensions = tuple(pending_dimensions(campaign))
        if dimensions:
            waiting = campaign.submitted_at if campaign.status == Status.SUBMITTED else campaign.updated_at
            entries.append(QueueEntry(campaign, dimensions, campaign.status != Status.SUBMITTED, waiting))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    entries.sort(key=lambda e: (not e.campaign.late_notice, e.campaign.signoff_due_at or far, e.campaign.pk))
    return entries
