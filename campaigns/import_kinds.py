"""The imports whose rows are campaigns' data: `actual_orders` (day × campaign × channel ×
SKU × region; a campaign may be blank for orders no campaign brought) and
`campaign_spend` (campaign × day).

They are built on `capacity.imports.base` and registered with `capacity.imports.register`
by campaigns' app config: the one way the two apps meet over imports (`capacity` runs
the jobs and never imports `campaigns`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from campaigns.models import ActualOrders, Campaign, CampaignSpend
from campaigns.triggers import alert_outgrowing
from capacity.imports.base import ImportKind, Tally, channel, check_rows, codes, count, money, ref, upsert
from capacity.models import ImportJob, Region, Sku
from mopsync import versions
from mopsync.roles import MARKETING, OPS_LEAD, user_roles
from mopsync.validation import FieldErrors, clean_date

# Marketing data, sent by marketing (or the ops lead, who sees both sides).
IMPORTERS = frozenset({MARKETING, OPS_LEAD})


def _campaigns(raws: Iterable[dict[str, str]]) -> dict[str, Any]:
    ids = {raw["campaign"] for raw in raws if raw["campaign"].isascii() and raw["campaign"].isdigit()}
    ids = {value for value in ids if len(value.lstrip("0")) < 10}
    return {str(c.pk): c for c in Campaign.objects.filter(pk__in=[int(i) for i in ids]).select_related("owner")}


def _for_anyone(job) -> bool:
    """Whether the uploader may send figures for any campaign: an ops lead may; marketing
    sends its own campaigns' figures only (issue 18.9), whoever else's campaign a row names.
    Asked when the job runs, so a role lost since the upload counts."""
    return OPS_LEAD in user_roles(job.created_by)


def _campaign_ref(value: str, found: dict, errors: FieldErrors, *, required: bool, job):
    if not value:
        if required:
            errors.add("campaign", "This field is required.")
        return None
    value = value.lstrip("0") or "0"
    campaign = found.get(value)
    if campaign is None:
        errors.add("campaign", f"Unknown campaign id '{value[:20]}'.")
    elif campaign.owner_id != job.created_by_id and not _for_anyone(job):
        errors.add(
            "campaign",
            f"Campaign {campaign.pk} is {campaign.owner.get_username()}'s: you can import figures for your own "
            "campaigns only (an ops lead can import for any).",
        )
        return None
    return campaign


# --------------------------------------------------------------------------- actual orders


def check_actual_orders(job, rows, report):
    raws = [raw for _, raw in rows]
    skus, regions, campaigns = codes(Sku, raws, "sku"), codes(Region, raws, "region"), _campaigns(raws)

    def clean(raw, errors):
        return {
            "date": clean_date(raw["date"], field="date", errors=errors),
            "campaign": _campaign_ref(raw["campaign"], campaigns, errors, required=False, job=job),
            "channel": channel(raw["channel"], "channel", errors),
            "sku": ref(raw["sku"], skus, column="sku", what="SKU", errors=errors),
            "region": ref(raw["region"], regions, column="region", what="region", errors=errors),
            "orders": count(raw["orders"], "orders", errors),
            "revenue": money(raw["revenue"], "revenue", errors),
            "fulfilment_cost": money(raw["fulfilment_cost"], "fulfilment_cost", errors),
        }

    return check_rows(job, rows, report, clean, _actuals_key, "date")


def _actuals_key(v: dict) -> tuple:
    return (v["date"], v["campaign"].pk if v["campaign"] else None, v["channel"], v["sku"].pk, v["region"].pk)


def apply_actual_orders(job, rows, report):
    """Write the rows, then alert on the live campaigns they show outgrowing their sign-off."""
    tally = Tally()
    dates = {v["date"] for _, v in rows}
    existing = {
        (a.date, a.campaign_id, a.channel, a.sku_id, a.region_id): a
        for a in ActualOrders.objects.filter(date__in=dates).select_for_update()
    }
    for _, v in rows:
        lookup = {k: v[k] for k in ("date", "campaign", "channel", "sku", "region")}
        values = {k: v[k] for k in ("orders", "revenue", "fulfilment_cost")}
        upsert(ActualOrders, existing, _actuals_key(v), lookup, values, tally)
    counts = tally.counts
    campaigns = {v["campaign"].pk: v["campaign"] for _, v in rows if v["campaign"]}
    counts["outgrowing_alerts"] = alert_outgrowing(campaigns.values(), dates)
    return counts


ACTUAL_ORDERS = ImportKind(
    kind=ImportJob.Kind.ACTUAL_ORDERS,
    header=("date", "campaign", "channel", "sku", "region", "orders", "revenue", "fulfilment_cost"),
    importers=IMPORTERS,
    changes=(versions.DATA,),
    check=check_actual_orders,
    apply=apply_actual_orders,
)


# --------------------------------------------------------------------------- spend


def check_campaign_spend(job, rows, report):
    campaigns = _campaigns(raw for _, raw in rows)

    def clean(raw, errors):
        return {
            "date": clean_date(raw["date"], field="date", errors=errors),
            "campaign": _campaign_ref(raw["campaign"], campaigns, errors, required=True, job=job),
            "spend": money(raw["spend"], "spend", errors),
        }

    return check_rows(job, rows, report, clean, lambda v: (v["campaign"].pk, v["date"]), "date")


def apply_campaign_spend(job, rows, report):
    tally = Tally()
    existing = {
        (s.campaign_id, s.date): s
        for s in CampaignSpend.objects.filter(campaign_id__in={v["campaign"].pk for _, v in rows}).select_for_update()
    }
    for _, v in rows:
        lookup = {"campaign": v["campaign"], "date": v["date"]}
        upsert(CampaignSpend, existing, (v["campaign"].pk, v["date"]), lookup, {"spend": v["spend"]}, tally)
    return tally.counts


CAMPAIGN_SPEND = ImportKind(
    kind=ImportJob.Kind.CAMPAIGN_SPEND,
    header=("date", "campaign", "spend"),
    importers=IMPORTERS,
    changes=(versions.DATA,),
    check=check_campaign_spend,
    apply=apply_campaign_spend,
)
