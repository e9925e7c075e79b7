"""The imports whose rows are campaigns' data: `actual_orders` (day × campaign × channel ×
SKU × region × customer; a campaign may be blank for orders no campaign brought, a
customer blank for aggregate rows), `campaign_spend` (campaign × day), and the support
data (issue 19): `support_tickets` (day × support channel × campaign) and `csat` (one row
per answer: day, region, score, campaign; stored as counts per day × region × campaign ×
score, a file replacing the answers of each day × region it holds).

`customer_ref` of actual orders: the file may hold raw customer ids or emails; the upload
is rewritten before it is stored (`redact_actual_orders`) so that only the keyed hash
(`customer_key`: HMAC-SHA256 with SECRET_KEY, hex) is ever kept, on the job as on the
rows. A value that already is a 64-hex digest is kept as it is (lower case).

They are built on `capacity.imports.base` and registered with `capacity.imports.register`
by campaigns' app config: the one way the two apps meet over imports (`capacity` runs
the jobs and never imports `campaigns`).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from campaigns.models import ActualOrders, Campaign, CampaignSpend
from campaigns.triggers import alert_outgrowing
from capacity.imports.base import ImportKind, Tally, channel, check_rows, codes, count, money, progress, ref, upsert
from capacity.models import CsatResponse, ImportJob, Region, Sku, SupportChannel, SupportTicketCount
from mopsync import versions
from mopsync.errors import InvalidInput
from mopsync.roles import MARKETING, OPS_LEAD, OPS_LOGISTICS, OPS_SUPPORT, user_roles
from mopsync.validation import FieldErrors, clean_date, clean_int

# Marketing data, sent by marketing (or the ops lead, who sees both sides).
IMPORTERS = frozenset({MARKETING, OPS_LEAD})
# Support data (tickets, CSAT), sent by ops: logistics (who handle NDR follow-ups) or the lead.
SUPPORT_IMPORTERS = frozenset({OPS_SUPPORT, OPS_LOGISTICS, OPS_LEAD})


def _campaigns(raws: Iterable[dict[str, str]]) -> dict[str, Any]:
    ids = {raw["campaign"] for raw in raws if raw["campaign"].isascii() and raw["campaign"].isdigit()}
    ids = {value for value in ids if len(value.lstrip("0")) < 10}
    return {str(c.pk): c for c in Campaign.objects.filter(pk__in=[int(i) for i in ids]).select_related("owner")}


def _for_anyone(job) -> bool:
    """Whether the uploader may send figures for any campaign: an ops lead may; marketing
    sends its own campaigns' figures only (issue 18.9), whoever else's campaign a row names.
    Asked when the job runs, so a role lost since the upload counts."""
    return OPS_LEAD in user_roles(job.created_by)


def _campaign_ref(value: str, found: dict, errors: FieldErrors, *, required: bool, job, own_only: bool = True):
    """The campaign a row names by id. `own_only`: marketing's figures (orders, spend) name
    the uploader's own campaigns only; ops' support data may name any campaign."""
    if not value:
        if required:
            errors.add("campaign", "This field is required.")
        return None
    value = value.lstrip("0") or "0"
    campaign = found.get(value)
    if campaign is None:
        errors.add("campaign", f"Unknown campaign id '{value[:20]}'.")
    elif own_only and campaign.owner_id != job.created_by_id and not _for_anyone(job):
        errors.add(
            "campaign",
            f"Campaign {campaign.pk} is {campaign.owner.get_username()}'s: you can import figures for your own "
            "campaigns only (an ops lead can import for any).",
        )
        return None
    return campaign


# --------------------------------------------------------------------------- customer keys


_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def customer_key(value: str) -> str:
    """The stored form of a customer id or email: its HMAC-SHA256 keyed with SECRET_KEY,
    hex; an email is lower-cased first (one customer, one key); a value that already is a
    64-hex digest is kept (lower-cased); blank stays blank. Never the raw value."""
    value = value.strip()
    if not value:
        return ""
    if _DIGEST.fullmatch(value):
        return value.lower()
    if "@" in value:
        value = value.lower()
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def redact_actual_orders(text: str) -> str:
    """The uploaded file with each `customer_ref` cell replaced by its `customer_key`,
    before the file is stored: the raw ids never reach the database. A file without that
    column is kept as it is; one that is not readable CSV is refused."""
    if "customer_ref" not in text:
        return text
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    column = None
    try:
        for line in csv.reader(io.StringIO(text)):
            cells = [cell.strip() for cell in line]
            if column is None and any(cells):
                if "customer_ref" not in cells:
                    return text
                column = cells.index("customer_ref")
            elif column is not None and len(line) > column:
                line = [*line[:column], customer_key(line[column]), *line[column + 1 :]]
            writer.writerow(line)
    except csv.Error as exc:  # kept raw, the file would hold the ids: refused instead
        raise InvalidInput({"file": [f"Not a readable CSV file: {exc}."]}) from None
    return out.getvalue()


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
            # Hashed at upload (`redact_actual_orders`); hashed again here if a job was stored otherwise.
            "customer_ref": customer_key(raw["customer_ref"]),
        }

    return check_rows(job, rows, report, clean, _actuals_key, "date")


def _actuals_key(v: dict) -> tuple:
    campaign = v["campaign"].pk if v["campaign"] else None
    return (v["date"], campaign, v["channel"], v["sku"].pk, v["region"].pk, v["customer_ref"])


def apply_actual_orders(job, rows, report):
    """Write the rows, then alert on the live campaigns they show outgrowing their sign-off."""
    tally = Tally()
    dates = {v["date"] for _, v in rows}
    existing = {
        (a.date, a.campaign_id, a.channel, a.sku_id, a.region_id, a.customer_ref): a
        for a in ActualOrders.objects.filter(date__in=dates).select_for_update()
    }
    for _, v in rows:
        lookup = {k: v[k] for k in ("date", "campaign", "channel", "sku", "region", "customer_ref")}
        values = {k: v[k] for k in ("orders", "revenue", "fulfilment_cost")}
        upsert(ActualOrders, existing, _actuals_key(v), lookup, values, tally)
    counts = tally.counts
    campaigns = {v["campaign"].pk: v["campaign"] for _, v in rows if v["campaign"]}
    counts["outgrowing_alerts"] = alert_outgrowing(campaigns.values(), dates)
    return counts


ACTUAL_ORDERS = ImportKind(
    kind=ImportJob.Kind.ACTUAL_ORDERS,
    header=("date", "campaign", "channel", "sku", "region", "orders", "revenue", "fulfilment_cost", "customer_ref"),
    importers=IMPORTERS,
    changes=(versions.REF, versions.DATA),  # REF: the contact rate learned from tickets ÷ orders
    check=check_actual_orders,
    apply=apply_actual_orders,
    optional=("customer_ref",),
    redact=redact_actual_orders,
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


# --------------------------------------------------------------------------- support tickets


def check_support_tickets(job, rows, report):
    campaigns = _campaigns(raw for _, raw in rows)

    def clean(raw, errors):
        found = raw["channel"]
        if found not in SupportChannel.values:
            errors.add("channel", f"Must be one of: {', '.join(SupportChannel.values)}.")
        return {
            "day": clean_date(raw["date"], field="date", errors=errors),
            "channel": found,
            "tickets": count(raw["tickets"], "tickets", errors),
            "campaign": _campaign_ref(raw["campaign"], campaigns, errors, required=False, job=job, own_only=False),
        }

    return check_rows(job, rows, report, clean, _tickets_key, "date")


def _tickets_key(v: dict) -> tuple:
    return (v["day"], v["channel"], v["campaign"].pk if v["campaign"] else None)


def apply_support_tickets(job, rows, report):
    """A row replaces the count stored for its day × channel × campaign."""
    tally = Tally()
    existing = {
        (t.day, t.channel, t.campaign_id): t
        for t in SupportTicketCount.objects.filter(day__in={v["day"] for _, v in rows}).select_for_update()
    }
    for _, v in rows:
        lookup = {k: v[k] for k in ("day", "channel", "campaign")}
        upsert(SupportTicketCount, existing, _tickets_key(v), lookup, {"tickets": v["tickets"]}, tally)
    return tally.counts


SUPPORT_TICKETS = ImportKind(
    kind=ImportJob.Kind.SUPPORT_TICKETS,
    header=("date", "channel", "tickets", "campaign"),
    importers=SUPPORT_IMPORTERS,
    changes=(versions.REF, versions.DATA),  # REF: the contact rate learned from tickets ÷ orders
    check=check_support_tickets,
    apply=apply_support_tickets,
)


# --------------------------------------------------------------------------- CSAT


def check_csat(job, rows, report):
    """One row per answer: repeated rows are answers, not an error."""
    raws = [raw for _, raw in rows]
    regions, campaigns = codes(Region, raws, "region"), _campaigns(raws)
    cleaned = []
    for done, (number, raw) in enumerate(rows, start=1):
        errors = FieldErrors()
        values = {
            "day": clean_date(raw["date"], field="date", errors=errors),
            "region": ref(raw["region"], regions, column="region", what="region", errors=errors),
            "score": clean_int(raw["score"], field="score", errors=errors, minimum=1, maximum=5),
            "campaign": _campaign_ref(raw["campaign"], campaigns, errors, required=False, job=job, own_only=False),
        }
        if errors:
            report.add_fields(number, errors)
        else:
            cleaned.append((number, values))
        progress(job, done)
    return cleaned


def apply_csat(job, rows, report):
    """The file holds the answers of each day × region it names: their counts by campaign
    and score replace what was stored for those days and regions (counts no longer in
    the file are deleted), so importing the same file twice changes nothing."""
    counts: dict[tuple, int] = {}
    for _, v in rows:
        key = (v["day"], v["region"].pk, v["campaign"].pk if v["campaign"] else None, v["score"])
        counts[key] = counts.get(key, 0) + 1
    covered = {(day, region) for day, region, _, _ in counts}
    existing = {
        (c.day, c.region_id, c.campaign_id, c.score): c
        for c in CsatResponse.objects.filter(
            day__in={day for day, _ in covered}, region_id__in={region for _, region in covered}
        ).select_for_update()
        if (c.day, c.region_id) in covered
    }
    tally = Tally()
    for (day, region, campaign, score), responses in counts.items():
        lookup = {"day": day, "region_id": region, "campaign_id": campaign, "score": score}
        upsert(CsatResponse, existing, (day, region, campaign, score), lookup, {"responses": responses}, tally)
    gone = [row.pk for key, row in existing.items() if key not in counts]
    CsatResponse.objects.filter(pk__in=gone).delete()
    # A count per day × region × campaign × score: rows_total counts answers, the tally counts rows.
    return {**tally.counts, "answers": len(rows), "deleted": len(gone)}


CSAT = ImportKind(
    kind=ImportJob.Kind.CSAT,
    header=("date", "region", "score", "campaign"),
    importers=SUPPORT_IMPORTERS,
    changes=(versions.DATA,),
    check=check_csat,
    apply=apply_csat,
)
