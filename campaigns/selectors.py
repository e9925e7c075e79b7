"""Reads shared by the web views, the API and the tasks."""

from django.db.models import Prefetch, QuerySet

from campaigns.models import Campaign, CampaignRegion, CampaignSku


def campaign_list() -> QuerySet[Campaign]:
    """Campaigns with everything a list row shows, at a fixed number of queries."""
    return Campaign.objects.select_related("owner").prefetch_related(
        Prefetch("sku_lines", queryset=CampaignSku.objects.select_related("sku")),
        Prefetch("region_lines", queryset=CampaignRegion.objects.select_related("region__warehouse")),
        "signoffs",
    )
