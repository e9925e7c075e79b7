"""How a campaign becomes the API's JSON: from `.values()` rows, not model instances.

`CampaignSerializer` declares the shape (and the OpenAPI schema). Building its output
through model instances, prefetch caches and DRF's attribute lookup per field took most
of a 50-campaign list's time (issue 7: a page of 50 campaigns with ~800 lines and their
sign-offs was ~1,100 model instances). Here a page is three flat queries — campaigns,
their lines, approvals — and each value is formatted as the field the
serializer declares for it formats it (its own `to_representation`, or for decimals and
date-times a shortcut with the same output), so the JSON is the serializer's, byte for
byte: tests/test_campaign_json.py compares the two on varied campaigns and timezones.

Kept because the list misses its make bench rows without it ("campaign list ÷ /me/"
≥ 35%: 33% when the page went through the serializer; "÷ plain view" ≥ 60%: 64% then,
83% now) and the approval queue's ("queue ÷ /me/" ≥ 25%: 23% then).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache, partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from rest_framework import ISO_8601
from rest_framework import fields as drf
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings

from campaigns import selectors
from campaigns.models import VALID_FROM, Campaign, Status, covering_approvals
from campaigns.serializers import CampaignSerializer, SignOffSerializer
from campaigns.verdicts import check_json
from capacity.models import Dimension, SignOff, SignOffLine
from capacity.selectors import active_dimensions
from mopsync.sql import fetch, names, one_of, values_of

# The field of each serializer that shows a user (`<relation>.get_username`): read into
# the row as "<field>_name".
USER_FIELD = {CampaignSerializer: "owner", SignOffSerializer: "actor"}
# Values this module builds itself and puts in the row under the field's name.
BUILT = ("skus", "regions", "sign_offs", "dropped_lines")
DIMENSIONS = tuple(Dimension.values)  # every dimension there is; `sign_offs` has the active ones

# Fields whose `to_representation` gives back a database value unchanged: `int()` of an
# int, `str()` of a str, a choice's own string, a bool. Skipping the call is the same output.
AS_READ = (drf.IntegerField, drf.CharField, drf.ChoiceField, drf.BooleanField)


@cache
def _columns(serializer_class: type[Serializer]) -> tuple[str, ...]:
    """The model columns to read for `serializer_class`: its fields but the user's name and
    the values built here."""
    skip = {*BUILT, USER_FIELD[serializer_class]}
    return tuple(name for name in serializer_class().fields if name not in skip)


@lru_cache(maxsize=64)
def _formats(serializer_class: type[Serializer], tz) -> tuple[tuple[str, str, Callable | None], ...]:
    """The serializer's fields in order, each as (name, key in the row, the function that
    renders the row's value as the field's `to_representation` does, or None where the
    value is already what it renders)."""
    user = USER_FIELD[serializer_class]
    formats = []
    for name, field in serializer_class().fields.items():
        if name == user:
            formats.append((name, f"{user}_name", None))
        elif name in BUILT or type(field) in AS_READ:
            formats.append((name, name, None))
        else:
            formats.append((name, name, _formatter(field, tz)))
    return tuple(formats)


def _formatter(field: drf.Field, tz) -> Callable:
    """`field.to_representation`, or a shortcut with the same output for what the database
    gives back, where DRF's general path was most of a page's rendering: decimals (already
    at the field's places) and aware date-times (DRF looks the current timezone up again
    for each; here it is `tz`, looked up once per page)."""
    if type(field) is drf.DecimalField and _prints_plain(field):
        exponent = Decimal(1).scaleb(-field.decimal_places)
        return lambda value: format(value.quantize(exponent), "f")
    if type(field) is drf.DateTimeField and tz is not None and _iso_8601(field):
        return partial(_datetime_text, tz=tz)
    return field.to_representation


def _prints_plain(field: drf.DecimalField) -> bool:
    coerce = getattr(field, "coerce_to_string", None)
    as_string = api_settings.COERCE_DECIMAL_TO_STRING if coerce is None else coerce
    return as_string and field.decimal_places is not None and not field.localize and not field.normalize_output


def _iso_8601(field: drf.DateTimeField) -> bool:
    output = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return isinstance(output, str) and output.lower() == ISO_8601


def _datetime_text(value: datetime, tz) -> str:
    """DRF's DateTimeField output for an aware date-time: ISO 8601 in `tz`, "Z" for UTC."""
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _render(row: dict, serializer_class: type[Serializer], tz) -> dict:
    """`row` as `serializer_class` renders it: same keys in the same order; None stays None."""
    return {
        name: value if value is None or to_json is None else to_json(value)
        for name, key, to_json in _formats(serializer_class, tz)
        for value in (row[key],)
    }


def _current_timezone():
    """What DRF's `DateTimeField.default_timezone` answers now."""
    return timezone.get_current_timezone() if settings.USE_TZ else None


def campaign_rows(campaigns: QuerySet[Campaign], *extra: str) -> QuerySet:
    """`campaigns` (filtered and ordered; any prefetching dropped) as the rows that
    `campaigns_json` renders: paginate these, then render the page.

    The owner's name is a subquery, not a join, so that the paginator's COUNT(*) reads
    the campaigns alone (Django leaves an unused annotation out of a count, not a join).
    `extra`: more columns or annotations of `campaigns` to read into each row."""
    users = get_user_model().objects
    owner_name = Subquery(users.filter(pk=OuterRef("owner_id")).values(users.model.USERNAME_FIELD))
    rows = campaigns.prefetch_related(None).values(*_columns(CampaignSerializer), *VALID_FROM.values(), *extra)
    return rows.annotate(owner_name=owner_name)


def campaigns_json(rows: Iterable[dict], lines: dict | None = None) -> list[dict]:
    """Rows of `campaign_rows` as `CampaignSerializer` renders them, in two more queries
    (one when their `campaigns.selectors.campaign_lines` are given)."""
    rows = list(rows)
    ids = [row["id"] for row in rows]
    lines = selectors.campaign_lines(ids) if lines is None else lines
    approvals = _approvals(ids)
    tz = _current_timezone()
    for row in rows:
        skus, regions = lines.get(row["id"], ((), ()))
        row["skus"] = [{"sku": code, "share": str(share)} for _, code, _, share in skus]
        row["regions"] = [{"region": code, "share": str(share)} for _, code, _, share in regions]
        row["sign_offs"] = _sign_offs(row, approvals.get(row["id"], ()), tz)
    inventory = {row["id"]: _covering_inventory(row, approvals.get(row["id"], ())) for row in rows}
    dropped = _dropped_lines([approval.id for approval in inventory.values() if approval and approval.dropped])
    for row in rows:
        approval = inventory[row["id"]]
        row["dropped_lines"] = dropped.get(approval.id, []) if approval else []
    return [_render(row, CampaignSerializer, tz) for row in rows]


def campaign_json(campaign_id: int) -> dict:
    """One campaign as `CampaignSerializer` renders it (the detail and every action's answer)."""
    return campaigns_json(campaign_rows(Campaign.objects.filter(pk=campaign_id)))[0]


# The approvals of a page are read by hand-written SQL (`mopsync.sql`), as its lines are
# (`campaigns.selectors.campaign_lines`): a fixed-shape read by campaign id, where building
# and compiling the ORM query cost as much as running it (issue 7: about half a millisecond
# of a 50-row page).


@cache
def _approval_row() -> type:
    """The named row of an approval: the serializer's columns, the actor's name, the campaign."""
    return namedtuple("Approval", [*_columns(SignOffSerializer), "actor_name", "campaign_id", "dropped"])


def _approvals(campaign_ids: list[int]) -> dict[int, list]:
    """The campaigns' approved sign-offs (no other decision covers a dimension) by campaign
    id, as named rows that `covering_approvals` reads like model instances."""
    found: dict[int, list] = {}
    if not campaign_ids:
        return found
    sql = _approvals_sql(len(campaign_ids), connection.vendor)
    fields = (*(SignOff._meta.get_field(name) for name in _columns(SignOffSerializer)), None, None, None)
    row_type = _approval_row()
    approved = SignOff.Decision.APPROVED.value  # a sign-off's and a line's "approved" alike
    for values in fetch(sql, [approved, *values_of(campaign_ids), approved], fields):
        row = row_type._make(values)
        found.setdefault(row.campaign_id, []).append(row)
    return found


@lru_cache(maxsize=64)
def _approvals_sql(n: int, vendor: str) -> str:
    signoff, user, line = names(SignOff), names(get_user_model()), names(SignOffLine)
    columns = ", ".join(f"s.{signoff(name)}" for name in _columns(SignOffSerializer))
    of_campaigns = one_of("s." + signoff("campaign"), n)
    # Whether it refused or capped SKU lines (`_dropped_lines` reads them only then).
    dropped = (
        f"CASE WHEN EXISTS (SELECT 1 FROM {line()} l WHERE l.{line('signoff')} = s.{signoff('pk')} "  # noqa: S608
        f"AND l.{line('decision')} <> %s) THEN 1 ELSE 0 END"
    )
    # Names from the models' _meta, values as parameters:
    return (
        f"SELECT {columns}, u.{user(get_user_model().USERNAME_FIELD)}, s.{signoff('campaign')}, {dropped} "  # noqa: S608
        f"FROM {signoff()} s INNER JOIN {user()} u ON u.{user('pk')} = s.{signoff('actor')} "
        f"WHERE {of_campaigns} AND s.{signoff('decision')} = %s"
    )


def _sign_offs(campaign: dict, approvals: Iterable, tz) -> dict[str, dict | None]:
    """`sign_offs` of a campaign row: per dimension, the approval that covers it, or None."""
    covering = covering_approvals(approvals, lambda dimension: campaign[VALID_FROM[dimension]])
    return {
        dimension: _render(covering[dimension]._asdict(), SignOffSerializer, tz) if dimension in covering else None
        for dimension in active_dimensions()
    }


def _covering_inventory(campaign: dict, approvals: Iterable):
    """The inventory approval (a named row of `_approvals`) covering a campaign row, or None."""
    covering = covering_approvals(approvals, lambda dimension: campaign[VALID_FROM[dimension]])
    return covering.get(Dimension.INVENTORY)


def _dropped_lines(ids: list[int]) -> dict[int, list[dict]]:
    """The refused and capped lines of these sign-offs (covering inventory approvals that
    have some), by sign-off id, as `CampaignSerializer.get_dropped_lines` renders them:
    one query, none when no approval of the page dropped a line."""
    found: dict[int, list[dict]] = {}
    if not ids:
        return found
    lines = (
        SignOffLine.objects.filter(signoff_id__in=ids)
        .exclude(decision=SignOffLine.Decision.APPROVED)
        .order_by("sku__code")
        .values_list("signoff_id", "sku__code", "decision", "approved_units_per_day", "comment")
    )
    for signoff_id, code, decision, units, comment in lines:
        found.setdefault(signoff_id, []).append(
            {"sku": code, "decision": decision, "approved_units_per_day": units, "comment": comment}
        )
    return found


def queue_rows(queue: QuerySet[Campaign]) -> QuerySet:
    """`campaigns.selectors.approval_queue` as rows for `queue_json`: paginate these."""
    pending = (f"pending_{dimension}" for dimension in DIMENSIONS)
    return campaign_rows(queue, "waiting_since", *pending, "changes_since_signoff")


def queue_json(
    rows: Iterable[dict], results: dict, lines: dict | None = None, *, user=None, away: list | None = None
) -> list[dict]:
    """A page of `queue_rows` as `QueueEntrySerializer` renders it, with each campaign's
    check from `results` (campaign id → `CheckResult`). A check's `check_json` is already
    what `CapacityCheckSerializer` renders (tests/test_queue.py compares the two).
    `away`: whom `user` covers for today (`selectors.away_covered_by`), for `on_behalf_of`."""
    rows = list(rows)
    waiting_since = _formatter(drf.DateTimeField(), _current_timezone())
    entries = []
    for row, campaign in zip(rows, campaigns_json(rows, lines), strict=True):
        dimensions = [dimension for dimension in DIMENSIONS if row.get(f"pending_{dimension}")]
        behalf = selectors.on_behalf(user, dimensions, away) if user is not None and away else {}
        entries.append(
            {
                "campaign": campaign,
                "dimensions": dimensions,
                "scale_up": row["status"] != Status.SUBMITTED,
                "waiting_since": None if row["waiting_since"] is None else waiting_since(row["waiting_since"]),
                "check": check_json(results[row["id"]], row),
                "on_behalf_of": {dimension: absent.get_username() for dimension, absent in behalf.items()},
                "changes_since_signoff": [change.as_dict() for change in selectors.changes_since_signoff(row)],
            }
        )
    return entries
