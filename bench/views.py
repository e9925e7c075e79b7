"""Benchmark-only views: the limit of the work a page does, in plain Django.

Wired into `mopsync/urls.py` only when `MOPSYNC_BENCH_VIEWS` is on (never in
production): `bench/run.py` compares the API's campaign list against this.
"""

from django.http import JsonResponse
from django.utils import timezone

from campaigns.models import Campaign, CampaignRegion, CampaignSku
from capacity.models import SignOff
from mopsync.models import ApiToken
from mopsync.tokens import digest

FIELDS = (
    "id", "name", "brief", "channel", "owner__username", "starts_on", "ends_on", "forecast_basis", "orders_per_day",
    "sessions_per_day", "conversion_rate", "units_per_order", "cod_share", "delivery_promise_days", "budget",
    "expected_order_value", "auto_pause_on_stockout", "status", "plan_version", "approved_orders_per_day",
    "scale_up_pending", "late_notice", "submitted_at", "signoff_due_at", "created_at", "updated_at",
)  # fmt: skip


def campaigns(request):
    """The API list's first 50 campaigns, their lines and approvals, with `.values()`: the
    same rows, a token check (one query), no serializer, no permissions, no page count."""
    key = request.headers.get("Authorization", "").removeprefix("Token ")
    live = {"revoked_at__isnull": True, "expires_at__gt": timezone.now(), "user__is_active": True}
    if not ApiToken.objects.filter(digest=digest(key), **live).exists():
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    size = min(int(request.GET.get("page_size", 50)), 200)
    rows = list(Campaign.objects.order_by("starts_on", "id").values(*FIELDS)[:size])
    ids = [row["id"] for row in rows]
    skus, regions = {}, {}
    for line in CampaignSku.objects.filter(campaign_id__in=ids).values("campaign_id", "sku__code", "share"):
        skus.setdefault(line["campaign_id"], []).append({"sku": line["sku__code"], "share": str(line["share"])})
    for line in CampaignRegion.objects.filter(campaign_id__in=ids).values("campaign_id", "region__code", "share"):
        region = {"region": line["region__code"], "share": str(line["share"])}
        regions.setdefault(line["campaign_id"], []).append(region)
    signoffs = {}
    approved = SignOff.objects.filter(campaign_id__in=ids, decision="approved").order_by("plan_version")
    for so in approved.values("campaign_id", "dimension", "decision", "plan_version", "actor__username", "created_at"):
        signoffs.setdefault(so["campaign_id"], {})[so["dimension"]] = so
    for row in rows:
        row["sign_offs"] = signoffs.get(row["id"], {})
        row["skus"] = skus.get(row["id"], [])
        row["regions"] = regions.get(row["id"], [])
    return JsonResponse({"results": rows})
