"""Reads shared by the web views, the API and the tasks."""

import dataclasses
import functools
from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone

from campaigns import plan_changes, workflow
from campaigns.models import (
    VALID_FROM,
    AuditEvent,
    Campaign,
    CampaignRegion,
    CampaignSku,
    Comment,
    Delegation,
    PromoWindow,
    Status,
)
from capacity import checks
from capacity import selectors as capacity_selectors
from capacity.models import CapacityConstraint, Dimension, InboundShipment, Reservation, SignOff, SignOffLine
from capacity.selectors import UseRow, active_dimensions, frac, load_snapshot, load_snapshots
from mopsync import sql, versions
from mopsync.auth import COVERING, COVERING_DAY
from mopsync.roles import remember_roles


def campaign_page() -> QuerySet[Campaign]:
    """Campaigns with their owner and sign-offs (each with `dropped_count`, how many SKU
    lines it refused or capped: `dropped_lines_of` reads them only when some did); the page
    reads the plan's lines apart, in one query (`campaign_lines`)."""
    dropped = (
        SignOffLine.objects.filter(signoff=OuterRef("pk"))
        .exclude(decision=SignOffLine.Decision.APPROVED)
        .order_by()
        .values("signoff")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Campaign.objects.select_related("owner").prefetch_related(
        Prefetch(
            "signoffs",
            queryset=SignOff.objects.select_related("actor").annotate(dropped_count=Coalesce(Subquery(dropped), 0)),
        )
    )


def campaign_list() -> QuerySet[Campaign]:
    """Campaigns with everything a list row shows, at a fixed number of queries."""
    return Campaign.objects.select_related("owner").prefetch_related(
        Prefetch("sku_lines", queryset=CampaignSku.objects.select_related("sku")),
        Prefetch("region_lines", queryset=CampaignRegion.objects.select_related("region__warehouse")),
        Prefetch("signoffs", queryset=SignOff.objects.select_related("actor")),
    )


def changes_since_signoff(campaign) -> list[plan_changes.FieldChange]:
    """What changed in a campaign's plan since ops last decided on it (a sign-off of any
    dimension; before any, since it was submitted), field by field, in people's words.

    `campaign`: a campaign, or a row of its fields with `changes_since_signoff`. The
    services keep the changes on the campaign's row as they write (`plan_changes.diff`
    of the plan last signed off and the current one), so any list of campaigns shows
    them at no query of its own: the approval queue keeps its fixed count."""
    stored = campaign["changes_since_signoff"] if isinstance(campaign, dict) else campaign.changes_since_signoff
    return plan_changes.changes_of(stored)


@dataclass(frozen=True)
class TimelineItem:
    """An audit event or a comment on a campaign's timeline. A comment has no action,
    states or version; its `text` is its body, `who` its author."""

    kind: str  # "event" or "comment"
    pk: int
    at: datetime
    action: str
    from_status: str
    to_status: str
    plan_version: int
    text: str  # an event's comment, a comment's body
    changes: dict  # an event's recorded changes
    who: str | None  # the actor's or author's username; None: the scheduler
    plan_changes: tuple = ()  # an event's changes of the plan, in words


TIMELINE_COLUMNS = ("t_kind", "t_id", "t_at", "t_action", "t_from", "t_to", "t_version", "t_text", "t_changes", "t_who")


def campaign_timeline(campaign: Campaign) -> list[TimelineItem]:
    """A campaign's audit events and discussion comments, oldest first, interleaved by
    time: one query (UNION ALL of both), whatever their number; the campaign page stays
    within its budget of queries (tests/test_query_budget.py)."""
    username = f"__{get_user_model().USERNAME_FIELD}"
    text = Cast(Value(""), CharField())

    def rows(queryset, kind: int, **given):
        columns = {"t_kind": Value(kind), "t_id": F("id"), "t_at": F("created_at"), **given}
        return queryset.order_by().annotate(**columns).values_list(*TIMELINE_COLUMNS)

    events = rows(
        AuditEvent.objects.filter(campaign=campaign), 0, t_action=F("action"), t_from=F("from_status"),
        t_to=F("to_status"), t_version=F("plan_version"), t_text=F("comment"), t_changes=F("changes"),
        t_who=F("actor" + username),
    )  # fmt: skip
    comments = rows(
        Comment.objects.filter(campaign=campaign), 1, t_action=text, t_from=text, t_to=text,
        t_version=Cast(Value(0), IntegerField()), t_text=F("body"),
        t_changes=Cast(Value(None), AuditEvent._meta.get_field("changes")), t_who=F("author" + username),
    )  # fmt: skip
    items = []
    for kind, pk, at, action, from_status, to_status, version, body, changes, who in events.union(
        comments, all=True
    ).order_by("t_at", "t_kind", "t_id"):
        item = TimelineItem(
            "comment" if kind else "event", pk, at, action, from_status, to_status, version, body,
            changes if isinstance(changes, dict) else {}, who,
        )  # fmt: skip
        if not kind:
            item = dataclasses.replace(item, plan_changes=tuple(plan_changes.event_changes(item)))
        items.append(item)
    return items


# A line of a plan: the SKU's or region's id, code and name, and its share.
Line = namedtuple("Line", "id code name share")


def campaign_lines(ids) -> dict[int, tuple[list[Line], list[Line]]]:
    """The SKU lines and region lines of these campaigns, by campaign id, each in the
    lines' own order (share down, then code: as the API and the pages list them).

    One query of both kinds (UNION ALL), by hand-written SQL (`mopsync.sql`): a page
    reads its lines once, for its JSON and for its checks alike. Kept for the make bench
    rows "4. queries" after a write (the queue API read 15 before, 6 with it; ≤ 8)."""
    ids = list(ids)
    found: dict[int, tuple[list[Line], list[Line]]] = {}
    if not ids:
        return found
    share = CampaignSku._meta.get_field("share")  # CampaignRegion's is the same field
    rows = sql.fetch(_lines_sql(len(ids), connection.vendor), sql.values_of(ids) * 2, (None,) * 5 + (share,))
    for kind, campaign_id, ref_id, code, name, line_share in rows:
        lines = found.get(campaign_id)
        if lines is None:
            lines = found[campaign_id] = ([], [])
        lines[kind].append(Line(ref_id, code, name, line_share))
    return found


@functools.lru_cache(maxsize=64)
def _lines_sql(n: int, vendor: str) -> str:
    parts = []
    for kind, (model, reference) in enumerate(((CampaignSku, "sku"), (CampaignRegion, "region"))):
        line, ref = sql.names(model), sql.names(model._meta.get_field(reference).related_model)
        parts.append(
            f"SELECT {kind}, l.{line('campaign')}, r.{ref('pk')}, r.{ref('code')}, r.{ref('name')}, l.{line('share')} "  # noqa: S608
            f"FROM {line()} l INNER JOIN {ref()} r ON r.{ref('pk')} = l.{line(reference)} "
            f"WHERE {sql.one_of('l.' + line('campaign'), n)}"
        )
    return " UNION ALL ".join(parts) + " ORDER BY 6 DESC, 4 ASC"


def plan_of(fields, skus, regions) -> checks.Plan:
    """A saved plan in the check's terms: `fields` is a campaign, or a row of its fields
    (`.values()`), `skus` and `regions` its lines as `Line`s."""
    get = fields.__getitem__ if isinstance(fields, dict) else functools.partial(getattr, fields)
    return checks.Plan(
        starts_on=get("starts_on"),
        ends_on=get("ends_on"),
        orders_per_day=get("orders_per_day"),
        units_per_order=frac(get("units_per_order")),
        cod_share=frac(get("cod_share")),
        delivery_promise_days=get("delivery_promise_days"),
        budget=frac(get("budget")),
        expected_order_value=frac(get("expected_order_value")),
        skus=tuple(checks.SkuLine(line.id, frac(line.share)) for line in skus),
        regions=tuple(checks.RegionLine(line.id, frac(line.share)) for line in regions),
    )


def plan_for(campaign: Campaign) -> checks.Plan:
    """The campaign's current plan in the check's terms (uses prefetched lines)."""
    skus = [Line(line.sku_id, None, None, line.share) for line in campaign.sku_lines.all()]
    regions = [Line(line.region_id, None, None, line.share) for line in campaign.region_lines.all()]
    return plan_of(campaign, skus, regions)


def line_caps(signoff: SignOff | None) -> dict[int, int]:
    """An inventory approval's refused and capped SKUs: per SKU id the units/day approved
    (0: refused). Empty: every SKU approved as planned. Uses prefetched `lines`."""
    if signoff is None:
        return {}
    return {
        line.sku_id: (line.approved_units_per_day or 0)
        for line in signoff.lines.all()
        if line.decision != SignOffLine.Decision.APPROVED
    }


def approved_plan_for(campaign: Campaign, inventory: SignOff | None = None) -> checks.Plan:
    """The plan the inventory approval `inventory` lets run (`capacity.checks.approved_plan`:
    only its approved SKUs, capped ones at their cap, orders/day cut by the share dropped).
    Without one, the plan itself."""
    return checks.approved_plan(plan_for(campaign), line_caps(inventory))


def dropped_lines_of(signoffs) -> dict[int, list[SignOffLine]]:
    """The refused and capped lines of these sign-offs by sign-off id, by SKU code: one
    query, none when no sign-off of them (`campaign_page`'s `dropped_count`) has any."""
    ids = [s.pk for s in signoffs if getattr(s, "dropped_count", 1)]
    found: dict[int, list[SignOffLine]] = {}
    if not ids:
        return found
    lines = SignOffLine.objects.filter(signoff_id__in=ids).exclude(decision=SignOffLine.Decision.APPROVED)
    for line in lines.select_related("sku").order_by("sku__code"):
        found.setdefault(line.signoff_id, []).append(line)
    return found


def dropped_lines(campaign: Campaign) -> list[SignOffLine]:
    """The refused and capped SKU lines of the inventory approval covering the campaign's
    current plan, by SKU code: what marketing sees as dropped, and may ask for again.
    Derived from the sign-off, so a plan change that voids inventory (rule 3) clears them.
    Uses the prefetched `signoffs` and `signoffs__lines` (`campaign_page`)."""
    inventory = campaign.current_approvals().get(Dimension.INVENTORY)
    if inventory is None:
        return []
    lines = [line for line in inventory.lines.all() if line.decision != SignOffLine.Decision.APPROVED]
    return sorted(lines, key=lambda line: line.sku.code)


def campaign_capacity_check(
    campaign: Campaign,
    *,
    today: date | None = None,
    dimensions=None,
    cached: bool = False,
    lines: tuple[list[Line], list[Line]] | None = None,
) -> checks.CheckResult:
    """Run the check for a campaign against everything other campaigns hold. `cached`:
    for a page, with the reference rows the process keeps (`capacity.selectors.reference`).
    `lines`: its `campaign_lines`, when read already (else its prefetched lines)."""
    plan = plan_for(campaign) if lines is None else plan_of(campaign, *lines)
    snap = load_snapshot(plan, today=today or timezone.localdate(), exclude_campaign_id=campaign.pk, cached=cached)
    return checks.run_check(plan, snap, dimensions=dimensions)


def capacity_checks(campaigns, *, today: date | None = None, cached: bool = False) -> dict[int, checks.CheckResult]:
    """The check for many campaigns (a queue page, a dashboard) in a fixed number of queries.

    Their lines are loaded here (one query) unless they come with them (`campaign_list()`):
    a page that shows no lines loads them only when the check is not kept already.
    `cached`: for pages, kept in the process until any data changes (`mopsync.versions`),
    and computed with the reference rows the process keeps; never for a decision
    (services read fresh, under their locks).
    """
    campaigns = list(campaigns)

    def plans() -> dict[int, checks.Plan]:
        bare = {c.pk for c in campaigns if not {"sku_lines", "region_lines"} <= _prefetched(c)}
        lines = campaign_lines(bare)
        return {c.pk: plan_of(c, *lines.get(c.pk, ([], []))) if c.pk in bare else plan_for(c) for c in campaigns}

    return _capacity_checks([c.pk for c in campaigns], plans, today=today, cached=cached)


def _prefetched(campaign: Campaign) -> set[str]:
    return set(getattr(campaign, "_prefetched_objects_cache", ()))


def capacity_checks_of_rows(
    rows: list[dict], lines: dict, *, today: date | None = None, cached: bool = False
) -> dict[int, checks.CheckResult]:
    """`capacity_checks` of a page read as rows (with the plan's fields) and its `campaign_lines`:
    no queries but the check's own."""
    ids = [row["id"] for row in rows]
    return _capacity_checks(
        ids,
        lambda: {row["id"]: plan_of(row, *lines.get(row["id"], ([], []))) for row in rows},
        today=today,
        cached=cached,
    )


def _capacity_checks(ids: list[int], plans, *, today: date | None, cached: bool) -> dict[int, checks.CheckResult]:
    today = today or timezone.localdate()

    def run() -> dict[int, checks.CheckResult]:
        found = plans()
        snapshots = load_snapshots(found, today=today, batch=True, cached=cached)
        return {key: checks.run_check(plan, snapshots[key]) for key, plan in found.items()}

    if not cached:
        return run()
    # Kept until campaigns or stock change: without it the approval queue checks its whole
    # page on every request (make bench, 2026-12-05: "queue ÷ /me/" 2% against a target of
    # 25%, the calendar and dashboard pages likewise).
    return versions.memo("capacity_checks", (today, tuple(sorted(ids))), run)


@dataclass(frozen=True)
class QueueEntry:
    campaign: Campaign
    dimensions: tuple[str, ...]
    scale_up: bool
    waiting_since: object


# Plans whose sign-offs are awaited at all: submitted ones, and scale-ups of running ones.
AWAITING = Q(status=Status.SUBMITTED) | Q(status__in=Status.running(), scale_up_pending=True)


@functools.cache  # built once per process: each query that uses it works on a copy
def _settled(dimension: str) -> Exists:
    """Whether a sign-off settles `dimension` of the campaign's current plan: any decision
    on the current version or, while the plan is submitted, an approval that still covers
    it (given at or after the dimension's `valid_from` version, see
    `Campaign.current_approvals`). The rule of `workflow.pending_dimensions`, as one EXISTS: per
    campaign, a probe of the sign-off index, whatever the number of sign-offs."""
    covering = Q(
        Exact(OuterRef("status"), Status.SUBMITTED),
        decision=SignOff.Decision.APPROVED,
        plan_version__gte=OuterRef(VALID_FROM[dimension]),
    )
    settling = Q(plan_version=OuterRef("plan_version")) | covering
    return Exists(SignOff.objects.filter(settling, campaign=OuterRef("pk"), dimension=dimension))


def pending_signoffs(dimensions=None, *, campaigns: QuerySet | None = None) -> QuerySet[Campaign]:
    """`campaigns` (all by default) waiting for a decision on any of `dimensions` (None:
    every one a campaign needs now, `active_dimensions`), found in SQL by the rule of
    `workflow.pending_dimensions`; unordered.

    Each comes annotated with `pending_<dimension>` for every sign-off dimension (false
    for those not asked about) and `waiting_since` (when it was submitted or, for a
    scale-up, last changed): `waiting_on` reads the dimensions back."""
    campaigns = Campaign.objects.all() if campaigns is None else campaigns
    dimensions = active_dimensions() if dimensions is None else dimensions
    # Every campaign returned awaits sign-offs (the filter below), so a flag needs only
    # the dimension's own test; the filter asks for AWAITING once, not once per flag.
    flags = {f"pending_{d}": ~_settled(d) if d in dimensions else Value(False) for d in checks.ALL_DIMENSIONS}
    waiting = Case(When(status=Status.SUBMITTED, then=F("submitted_at")), default=F("updated_at"))
    campaigns = campaigns.annotate(**flags, waiting_since=waiting)
    if not dimensions:
        return campaigns.none()
    waits = Q()
    for d in dimensions:
        waits |= Q(**{f"pending_{d}": True})
    return campaigns.filter(AWAITING & waits)


def waiting_on(campaign: Campaign) -> tuple[str, ...]:
    """The pending dimensions of a campaign read by `pending_signoffs`."""
    return tuple(d for d in checks.ALL_DIMENSIONS if getattr(campaign, f"pending_{d}"))


# Most urgent first: late notice, then the earliest sign-off deadline (none: last).
URGENT_FIRST = (F("late_notice").desc(), F("signoff_due_at").asc(nulls_last=True))
# The queue breaks ties by the earliest start, then the longest wait (none: last).
QUEUE_ORDER = (*URGENT_FIRST, F("starts_on").asc(), F("waiting_since").asc(nulls_last=True), F("pk").asc())


def approval_queue(user, *, campaigns: QuerySet | None = None) -> QuerySet[Campaign]:
    """What `user` can sign off, most urgent first (`QUEUE_ORDER`), as a query: count it
    (`queue_counts`) and take a page in SQL, then make the page's entries (`queue_entries`).

    Segregation of duties applies: marketing sees nothing, a user without an ops role
    nothing, and nobody their own campaigns; only the dimensions the user's roles decide
    count. `campaigns` says what comes with each campaign of the page (by default
    `campaign_list()`: everything its JSON shows)."""
    queue = pending_signoffs(workflow.signable_by(user), campaigns=campaign_list() if campaigns is None else campaigns)
    return queue.exclude(owner=user).order_by(*QUEUE_ORDER)


def queue_entries(campaigns) -> list[QueueEntry]:
    """Entries of campaigns read through `approval_queue` (a page of it)."""
    return [QueueEntry(c, waiting_on(c), c.status != Status.SUBMITTED, c.waiting_since) for c in campaigns]


def signoff_overdue(campaign: Campaign, *, now: datetime) -> bool:
    """Whether a submission's sign-off deadline (`signoff_due_at`) has passed without
    the sign-offs. Said once, here, for the queue, the dashboard and the daily report.

    A scale-up has no deadline of its own. A late-notice plan whose deadline had come
    by the moment it was submitted (submitted on its start day: the deadline is the
    start) is late notice, not overdue: ops never had time to miss it."""
    due = campaign.signoff_due_at
    if campaign.status != Status.SUBMITTED or due is None or due >= now:
        return False
    submitted = campaign.submitted_at
    return not (campaign.late_notice and submitted is not None and due <= submitted)


def queue_counts(queue: QuerySet[Campaign]) -> dict[str, int]:
    """How many entries `approval_queue` holds and how many of them are late-notice
    submissions (not scale-ups), in one query."""
    late = Q(late_notice=True, status=Status.SUBMITTED)
    return queue.aggregate(total=Count("pk"), late=Count("pk", filter=late))


@dataclass(frozen=True)
class CalendarEntry:
    kind: str
    id: int
    title: str
    starts_on: date
    ends_on: date
    status: str = ""
    url: str = ""
    channel: str = ""
    # What makes a campaign urgent on the calendar (`campaigns.calendar.importance`).
    late_notice: bool = False
    scale_up_pending: bool = False


CALENDAR_KINDS = ("campaign", "promo_window", "constraint", "stock_arrival")


def calendar_entries(**query) -> list[CalendarEntry]:
    """Every kind of calendar item overlapping [start, end], ordered by first day, kind,
    id: `calendar_rows` (the same arguments) read whole, in one query."""
    return calendar_entries_of(calendar_rows(**query))


# The columns of a calendar row, whatever its kind: the kind's place in CALENDAR_KINDS, the
# item's id, title, first and last day, status, channel, urgency flags, for a stock
# arrival its SKU, warehouse and quantity, and for a constraint what it limits.
CALENDAR_COLUMNS = (
    "cal_kind", "cal_id", "cal_title", "cal_first", "cal_last", "cal_status", "cal_channel", "cal_late",
    "cal_scale_up", "cal_sku", "cal_warehouse", "cal_quantity", "cal_scope_code", "cal_scope_name",
)  # fmt: skip


def calendar_rows(
    *,
    start: date,
    end: date,
    kinds=CALENDAR_KINDS,
    region: str | None = None,
    sku: str | None = None,
    channel: str | None = None,
    status: str | None = None,
) -> QuerySet:
    """Every kind of calendar item overlapping [start, end] as one query of rows
    (`CALENDAR_COLUMNS`) in the calendar's order, first day, kind, id: the API counts it
    and reads one page in SQL (a month of a large brand holds thousands of items);
    `calendar_entries_of` makes the rows read into entries. Only the columns an entry
    shows are read, no model instances."""
    text, number = Cast(Value(None), CharField()), Cast(Value(None), IntegerField())
    no = Value(False, output_field=BooleanField())

    def rows(queryset, kind, *, first="starts_on", last="ends_on", **given):
        """`queryset` as calendar rows: the `given` columns (named without "cal_"), the rest empty."""
        columns = {
            "kind": Value(CALENDAR_KINDS.index(kind)), "id": F("id"), "title": text, "first": F(first),
            "last": F(last), "status": Value(""), "channel": Value(""), "late": no, "scale_up": no, "sku": text,
            "warehouse": text, "quantity": number, "scope_code": text, "scope_name": text, **given,
        }  # fmt: skip
        named = {f"cal_{name}": value for name, value in columns.items()}
        return queryset.order_by().annotate(**named).values_list(*CALENDAR_COLUMNS)

    parts = []
    if "campaign" in kinds:
        campaigns = Campaign.objects.filter(starts_on__lte=end, ends_on__gte=start)
        if region:
            campaigns = campaigns.filter(region_lines__region__code=region)
        if sku:
            campaigns = campaigns.filter(sku_lines__sku__code=sku)
        if channel:
            campaigns = campaigns.filter(channel=channel)
        if status:
            campaigns = campaigns.filter(status=status)
        if region or sku:
            campaigns = campaigns.distinct()  # joined to its lines: one row per matching line
        flags = {"late": F("late_notice"), "scale_up": F("scale_up_pending")}
        parts.append(rows(campaigns, "campaign", title=F("name"), status=F("status"), channel=F("channel"), **flags))
    if "promo_window" in kinds and not (region or sku or status):
        windows = PromoWindow.objects.filter(starts_on__lte=end, ends_on__gte=start)
        if channel:
            windows = windows.filter(Q(channel=channel) | Q(channel=""))
        parts.append(rows(windows, "promo_window", title=F("name"), channel=F("channel")))
    if "constraint" in kinds and not (sku or channel or status):
        constraints = CapacityConstraint.objects.filter(starts_on__lte=end, ends_on__gte=start)
        if region:
            constraints = constraints.filter(
                Q(region__code=region) | Q(warehouse__regions__code=region) | Q(courier__lanes__region__code=region)
            ).distinct()
        # What it limits, as `CapacityConstraint.__str__` names it: its warehouse, else its
        # courier, else its region (`calendar_entries_of` writes the title).
        scope = {
            f"scope_{column}": Coalesce(F(f"warehouse__{column}"), F(f"courier__{column}"), F(f"region__{column}"))
            for column in ("code", "name")
        }
        parts.append(rows(constraints, "constraint", status=F("kind"), **scope))
    if "stock_arrival" in kinds and not (channel or status or region):
        arrivals = InboundShipment.objects.filter(expected_on__gte=start, expected_on__lte=end)
        if sku:
            arrivals = arrivals.filter(sku__code=sku)
        arrival = {"sku": F("sku__code"), "warehouse": F("warehouse__code"), "quantity": F("quantity")}
        on_the_day = {"first": "expected_on", "last": "expected_on"}
        parts.append(rows(arrivals, "stock_arrival", **on_the_day, **arrival))
    if not parts:
        return rows(Campaign.objects.none(), "campaign")
    found = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return found.order_by("cal_first", "cal_kind", "cal_id")


def calendar_entries_of(rows) -> list[CalendarEntry]:
    """Rows of `calendar_rows` (a page of them, or all) as entries."""
    kinds = dict(CapacityConstraint._meta.get_field("kind").flatchoices)
    entries = []
    for kind, pk, title, first, last, state, on, late, scale_up, sku, warehouse, quantity, code, where in rows:
        name = CALENDAR_KINDS[kind]
        if name == "campaign":
            entries.append(CalendarEntry(name, pk, title, first, last, state, f"/campaigns/{pk}/", on, late, scale_up))
        elif name == "promo_window":
            entries.append(CalendarEntry(name, pk, title, first, last, channel=on))
        elif name == "constraint":  # titled as `CapacityConstraint.__str__` titles it
            title = f"{kinds.get(state, state)} {code} — {where} {first}–{last}"
            entries.append(CalendarEntry(name, pk, title, first, last, state))
        else:
            entries.append(CalendarEntry(name, pk, f"{quantity} × {sku} arrive at {warehouse}", first, last))
    return entries


def plan_from_input(cleaned: dict, *, base: Campaign | None = None) -> checks.Plan:
    """A plan in the check's terms from `validation.clean_plan` output (a plan being
    typed in a form, not saved yet); `base` supplies the fields not given."""

    def pick(name, default):
        if name in cleaned and cleaned[name] is not None:
            return cleaned[name]
        return getattr(base, name) if base is not None else default

    skus = cleaned.get("skus") or ([(line.sku, line.share) for line in base.sku_lines.all()] if base else [])
    regions = cleaned.get("regions") or (
        [(line.region, line.share) for line in base.region_lines.all()] if base else []
    )
    return checks.Plan(
        starts_on=pick("starts_on", None),
        ends_on=pick("ends_on", None),
        orders_per_day=pick("orders_per_day", 0),
        units_per_order=frac(pick("units_per_order", 1)),
        cod_share=frac(pick("cod_share", 0)),
        delivery_promise_days=pick("delivery_promise_days", 4),
        budget=frac(pick("budget", 0)),
        expected_order_value=frac(pick("expected_order_value", 0)),
        skus=tuple(checks.SkuLine(sku.pk, frac(share)) for sku, share in skus),
        regions=tuple(checks.RegionLine(region.pk, frac(share)) for region, share in regions),
    )


def reservation_summary(campaign: Campaign) -> list[dict]:
    """What a campaign holds, per dimension, kind and resource: one aggregate query."""
    rows = (
        Reservation.objects.filter(campaign=campaign)
        .values("dimension", "kind", "sku__code", "warehouse__code", "lane__courier__code", "lane__region__code")
        .annotate(
            total=Sum("quantity"),
            days=Count("day", distinct=True),
            first=Min("day"),
            last=Max("day"),
            peak=Max("quantity"),
        )
        .order_by("dimension", "kind", "sku__code", "warehouse__code", "lane__region__code", "lane__courier__code")
    )
    summary = []
    for row in rows:
        if row["kind"] == "stock":
            resource = f"{row['sku__code']} at {row['warehouse__code'] or 'network'}"
            unit = "units"
        elif row["kind"] == "lane":
            resource = f"{row['lane__courier__code']} → {row['lane__region__code']}"
            unit = "orders"
        else:
            resource = f"dispatch at {row['warehouse__code'] or 'network'}"
            unit = "orders"
        summary.append({**row, "resource": resource, "unit": unit})
    return summary


def capacity_use(*, start: date, end: date, region: str | None = None, cached: bool = False) -> list[UseRow]:
    """Capacity use per day and lane / warehouse (`capacity.selectors.capacity_use`), what
    waits for the courier sign-off asked apart: the one figure the dashboard, the calendar
    and the daily report show."""
    return capacity_selectors.capacity_use(
        start=start, end=end, region=region, cached=cached, waiting=pending_signoffs((checks.COURIER,))
    )


# --------------------------------------------------------------------------- delegation


def delegations_on(day: date) -> QuerySet[Delegation]:
    """The delegations in force on `day` (both ends included)."""
    return Delegation.objects.filter(starts_on__lte=day, ends_on__gte=day)


def away_covered_by(delegate, *, day: date | None = None) -> list:
    """The users away on `day` (today by default) who sent their sign-offs to `delegate`,
    in the order their delegations were set, each with its roles known (`user_roles`
    asks no more): one query, whatever their number. Inactive users are left out."""
    if delegate is None or not delegate.is_authenticated:
        return []
    day = day or timezone.localdate()
    if getattr(delegate, COVERING_DAY, None) == day and not getattr(delegate, COVERING):
        return []  # read with the request's user (`mopsync.auth`): covers for nobody today
    User = get_user_model()
    fields = ("user_id", f"user__{User.USERNAME_FIELD}", "user__first_name", "user__last_name", "user__is_superuser")
    rows = (
        delegations_on(day)
        .filter(delegate=delegate, user__is_active=True)
        .order_by("created_at", "id")
        .values_list(*fields, "user__groups__name")
    )
    found: dict[int, tuple] = {}
    for pk, username, first, last, superuser, group in rows:
        user, groups = found.setdefault(
            pk,
            (User(pk=pk, **{User.USERNAME_FIELD: username}, first_name=first, last_name=last,
                  is_superuser=superuser, is_active=True), []),
        )  # fmt: skip
        if group:
            groups.append(group)
    for user, groups in found.values():
        remember_roles(user, groups)
    return [user for user, _ in found.values()]


def on_behalf(user, dimensions, away: list) -> dict[str, object]:
    """Of `dimensions`, those `user` decides for someone away (`away_covered_by`): dimension → away user."""
    found = {}
    for dimension in dimensions:
        absent = workflow.signing_for(user, dimension, away)
        if absent is not None:
            found[dimension] = absent
    return found


def delegations_of(user) -> QuerySet[Delegation]:
    """`user`'s delegations that have not ended, and those where they cover for someone, soonest first."""
    today = timezone.localdate()
    return (
        Delegation.objects.filter(Q(user=user) | Q(delegate=user), ends_on__gte=today)
        .select_related("user", "delegate")
        .order_by("starts_on", "id")
    )
