"""Reads shared by the web views, the API and the tasks."""

from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from campaigns.models import Campaign, CampaignRegion, CampaignSku
from capacity import checks
from capacity.selectors import frac, load_snapshot, load_snapshots


def campaign_list() -> QuerySet[Campaign]:
    """Campaigns with everything a list row shows, at a fixed number of queries."""
    return Campaign.objects.select_related("owner").prefetch_related(
        Prefetch("sku_lines", queryset=CampaignSku.objects.select_related("sku")),
        Prefetch("region_lines", queryset=CampaignRegion.objects.select_related("region__warehouse")),
        "signoffs",
    )


def plan_for(campaign: Campaign) -> checks.Plan:
    """The campaign's current plan in the check's terms (uses prefetched lines)."""
    return checks.Plan(
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        orders_per_day=campaign.orders_per_day,
        units_per_order=frac(campaign.units_per_order),
        cod_share=frac(campaign.cod_share),
        delivery_promise_days=campaign.delivery_promise_days,
        budget=frac(campaign.budget),
        expected_order_value=frac(campaign.expected_order_value),
        skus=tuple(checks.SkuLine(line.sku_id, frac(line.share)) for line in campaign.sku_lines.all()),
        regions=tuple(checks.RegionLine(line.region_id, frac(line.share)) for line in campaign.region_lines.all()),
    )


def campaign_capacity_check(
    campaign: Campaign, *, today: date | None = None, dimensions=checks.SIGN_OFF_DIMENSIONS
) -> checks.CheckResult:
    """Run the check for a campaign against everything other campaigns hold."""
    plan = plan_for(campaign)
    snap = load_snapshot(plan, today=today or timezone.localdate(), exclude_campaign_id=campaign.pk)
    return checks.run_check(plan, snap, dimensions=dimensions)


def capacity_checks(campaigns, *, today: date | None = None) -> dict[int, checks.CheckResult]:
    """The check for many campaigns (a queue page, a dashboard) in a fixed number of queries.

    The campaigns must come from `campaign_list()` so that their lines are prefetched.
    """
    plans = {campaign.pk: plan_for(campaign) for campaign in campaigns}
    snapshots = load_snapshots(plans, today=today or timezone.localdate())
    return {key: checks.run_check(plan, snapshots[key]) for key, plan in plans.items()}
