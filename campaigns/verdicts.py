"""A campaign's capacity verdict in words: `capacity.verdicts.describe` with what the
campaign was approved at. Every page that shows a verdict comes here (through the
`verdict` template filter, or the queue's rows); the API adds the same words."""

from __future__ import annotations

from campaigns.models import Campaign, Status
from capacity import verdicts
from capacity.checks import CheckResult


def campaign_fields(campaign) -> dict:
    """What `describe` needs of a campaign: a model instance, or a row of its columns."""
    get = campaign.get if isinstance(campaign, dict) else lambda name: getattr(campaign, name)
    return {
        "approved_orders_per_day": get("approved_orders_per_day"),
        "status": get("status"),
        "scale_up": bool(get("scale_up_pending")) and get("status") in Status.running(),
    }


def campaign_verdict(result: CheckResult | None, campaign: Campaign | None = None) -> verdicts.Verdict | None:
    """The one wording of a check, for a campaign (or, with none, for a plan not saved yet)."""
    if not isinstance(result, CheckResult):
        return None
    if not isinstance(campaign, Campaign | dict):
        return verdicts.describe(result)
    return verdicts.describe(result, **campaign_fields(campaign))


def check_json(result: CheckResult, campaign=None) -> dict:
    """A check as the API renders it: its numbers and findings, and the verdict in words."""
    extra = verdicts.api_fields(result, **(campaign_fields(campaign) if campaign is not None else {}))
    return {**result.as_dict(), **extra}
