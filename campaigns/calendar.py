"""The shared promo calendar (DESIGN.md, "Screens"): month and week grids, per-day
courier capacity use, and each user's private iCalendar feed.

Reads are bounded: a grid costs the entry queries of `selectors.calendar_entries`
plus at most four for capacity use (`campaigns.selectors.capacity_use`), whatever the
number of campaigns or days shown. So is what a page shows: a crowded day shows its few
most important entries and how many more there are, listed in full on the day's own page.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from django.db import transaction
from django.utils import timezone
from icalendar import Calendar, Event

from campaigns import selectors
from campaigns.models import CalendarFeed, Channel, Status
from campaigns.selectors import CALENDAR_KINDS, CalendarEntry, calendar_entries
from capacity.models import CapacityConstraint
from capacity.selectors import SupportDay, UseRow, support_use, totals_by_day
from mopsync.roles import can_read

# Years a calendar page may show: far enough for any plan, and prev/next never leave `date`'s range.
MIN_YEAR, MAX_YEAR = 1900, 2999

# (lower bound in %, css class, words): the heat scale is never colour alone.
HEAT_LEVELS = (
    (90, "heat-4", "near full"),
    (75, "heat-3", "high"),
    (50, "heat-2", "busy"),
    (25, "heat-1", "moderate"),
    (0, "heat-0", "light"),
)
HEAT_LEGEND = (
    ("heat-0", "light: under 25%"),
    ("heat-1", "moderate: 25–49%"),
    ("heat-2", "busy: 50–74%"),
    ("heat-3", "high: 75–89%"),
    ("heat-4", "near full: 90–100%"),
    ("heat-over", "over capacity: above 100%"),
)

FEED_DAYS_BACK, FEED_DAYS_AHEAD = 90, 365
FEED_KINDS = ("campaign", "promo_window", "constraint")


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """What a calendar page shows: a month (grid of whole weeks), one ISO week, or one day
    (the full list behind a cell's "+N more")."""

    kind: str  # "month" | "week" | "day"
    first: date
    last: date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls("month", first, following - timedelta(days=1))

    @classmethod
    def week(cls, year: int, week: int) -> Period:
        monday = date.fromisocalendar(year, week, 1)
        return cls("week", monday, monday + timedelta(days=6))

    @classmethod
    def day_of(cls, day: date) -> Period:
        return cls("day", day, day)

    @classmethod
    def month_of(cls, day: date) -> Period:
        return cls.month(day.year, day.month)

    @classmethod
    def week_of(cls, day: date) -> Period:
        year, week, _ = day.isocalendar()
        return cls.week(year, week)

    @property
    def grid_start(self) -> date:
        return self.first - timedelta(days=self.first.weekday())

    @property
    def grid_end(self) -> date:
        return self.last + timedelta(days=6 - self.last.weekday())

    @property
    def param(self) -> dict[str, str]:
        """The query parameter that bookmarks this period."""
        if self.kind == "month":
            return {"month": f"{self.first:%Y-%m}"}
        if self.kind == "day":
            return {"day": self.first.isoformat()}
        return {"week": iso_week(self.first)}

    @property
    def title(self) -> str:
        if self.kind == "month":
            return f"{self.first:%B %Y}"
        if self.kind == "day":
            return f"{self.first:%A} {self.first.day} {self.first:%B %Y}"
        year, week, _ = self.first.isocalendar()
        return f"Week {week}, {year} ({_span(self.first, self.last)})"

    def previous(self) -> Period | None:
        return self._within(self._same_kind_of(self.first - timedelta(days=1)))

    def next(self) -> Period | None:
        return self._within(self._same_kind_of(self.last + timedelta(days=1)))

    def _same_kind_of(self, day: date) -> Period:
        return {"month": Period.month_of, "week": Period.week_of, "day": Period.day_of}[self.kind](day)

    @staticmethod
    def _within(period: Period) -> Period | None:
        return period if MIN_YEAR <= period.first.year and period.last.year <= MAX_YEAR else None


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _span(first: date, last: date) -> str:
    if first.month == last.month:
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


_MONTH = re.compile(r"(\d{4})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-[Ww](\d{1,2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_month(value: str) -> Period | None:
    """`2026-12` → that month; None for anything else (2026-13, abc, year 0001)."""
    match = _MONTH.fullmatch(value)
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return Period.month(year, month)


def parse_day(value: str) -> Period | None:
    """`2026-12-03` → that day; None for anything else."""
    if not _DAY.fullmatch(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return Period._within(Period.day_of(day))


def parse_week(value: str) -> Period | None:
    """`2026-W49` (ISO week) → that week; None for anything else (W54, W53 of a 52-week year)."""
    match = _WEEK.fullmatch(value)
    if not match:
        return None
    year, week = int(match[1]), int(match[2])
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        period = Period.week(year, week)
    except ValueError:
        return None
    return Period._within(period)


# --------------------------------------------------------------------------- capacity use


@dataclass(frozen=True)
class Heat:
    """A day's courier capacity use (`capacity.selectors.UseRow`, the network's or one
    region's) as the calendar shows it: a colour, and words that say the same; what plans
    waiting for sign-off ask is said beside it, not counted in it. With customer support a
    sign-off dimension, its tickets that day (`support`) count too: the hotter of the two."""

    use: UseRow
    support: SupportDay | None = None

    @property
    def css(self) -> str:
        support = self.support
        if self.use.over or (support is not None and support.free < 0):
            return "heat-over"
        percents = [p for p in (self.use.percent, support.percent if support else None) if p is not None]
        if not percents:
            return "heat-closed"
        return next(css for floor, css, _ in HEAT_LEVELS if max(percents) >= floor)

    @property
    def label(self) -> str:
        """Words that say what the colour says."""
        use = self.use
        if use.percent is None:
            words = "no courier capacity" + (f" for {use.used} orders" if use.used else "")
        else:
            level = "over capacity" if use.over else next(w for floor, _, w in HEAT_LEVELS if use.percent >= floor)
            words = f"{use.percent}% of courier capacity, {level}"
        if use.asked:
            words += f"; {use.asked} more orders asked by plans waiting for sign-off"
        if self.support is not None:
            support = self.support
            if support.percent is None:
                words += "; no customer support that day"
            else:
                over = ", over capacity" if support.free < 0 else ""
                words += f"; customer support at {support.percent}% of the tickets it answers{over}"
        return words


def heat_by_day(*, start: date, end: date, region: str | None = None, cached: bool = False) -> dict[date, Heat]:
    """Courier capacity use for every day of [start, end], network-wide or for one region
    (by code), as `campaigns.selectors.capacity_use` counts it (`cached`: for pages)."""
    rows = selectors.capacity_use(start=start, end=end, region=region, cached=cached)
    support = {s.day: s for s in support_use(start=start, end=end)}  # none while support is off
    return {d.day: Heat(d.courier, support.get(d.day)) for d in totals_by_day(rows, start=start, end=end)}


# --------------------------------------------------------------------------- grids

KIND_LABELS = {
    "campaign": "Campaign",
    "promo_window": "Promo window",
    "constraint": "Ops constraint",
    "stock_arrival": "Stock arrival",
}
SHORT_KIND_LABELS = {"campaign": "Campaign", "promo_window": "Promo", "constraint": "Ops", "stock_arrival": "Stock"}


def status_label(entry: CalendarEntry) -> str:
    """Campaign status, or the kind of an ops constraint, in words."""
    if entry.kind == "campaign" and entry.status in Status.values:
        return Status(entry.status).label
    if entry.kind == "constraint" and entry.status in CapacityConstraint.Kind.values:
        return CapacityConstraint.Kind(entry.status).label
    return ""


@dataclass(frozen=True)
class DayEntry:
    """A calendar item as shown on one of the days it covers."""

    entry: CalendarEntry
    day: date

    @property
    def continues_before(self) -> bool:
        return self.entry.starts_on < self.day

    @property
    def continues_after(self) -> bool:
        return self.entry.ends_on > self.day

    @property
    def day_of(self) -> int:
        return (self.day - self.entry.starts_on).days + 1

    @property
    def length(self) -> int:
        return (self.entry.ends_on - self.entry.starts_on).days + 1

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.entry.kind, self.entry.kind)

    @property
    def short_kind_label(self) -> str:
        return SHORT_KIND_LABELS.get(self.entry.kind, self.entry.kind)

    @property
    def status_label(self) -> str:
        return status_label(self.entry)

    @property
    def channel_label(self) -> str:
        return Channel(self.entry.channel).label if self.entry.channel in Channel.values else ""

    @property
    def span(self) -> str:
        if self.length == 1:
            return f"{self.entry.starts_on.day} {self.entry.starts_on:%b %Y}"
        return _span(self.entry.starts_on, self.entry.ends_on)


# Entries shown in one day of a grid; the rest are counted and listed on the day's page.
# A month cell has room for about four chips; the week view shows details, so more.
DAY_CAPS = {"month": 4, "week": 10}
DAY_PAGE_SIZE = 50

# What a planner and an ops lead must see first on a crowded day, most important first:
# ops constraints (they cut what the couriers and warehouses can take that day) and promo
# windows (the few marketing seasons everything else is planned around); then campaigns
# waiting for a sign-off (submitted, or running with a scale-up), which decide whether
# the day goes over capacity; then what runs or will run (live, paused, approved), which
# fills the couriers; then what is still being planned; finished and dropped work last.
CAMPAIGN_RANKS = {
    Status.SUBMITTED: 2,
    Status.LIVE: 3,
    Status.PAUSED: 3,
    Status.APPROVED: 4,
    Status.CHANGES_REQUESTED: 6,
    Status.DRAFT: 7,
    Status.COMPLETED: 8,
    Status.REJECTED: 9,
    Status.CANCELLED: 9,
}
KIND_RANKS = {"constraint": 0, "promo_window": 1, "stock_arrival": 5}
KIND_ORDER = {kind: index for index, kind in enumerate(CALENDAR_KINDS)}


def importance(entry: CalendarEntry) -> tuple:
    """Sort key of an entry on a crowded day, most important first (see CAMPAIGN_RANKS);
    a late-notice plan comes first within its rank. Ties go to the earliest start, so
    multi-day spans keep the same relative order on every day they cover."""
    if entry.kind == "campaign":
        scale_up = entry.scale_up_pending and entry.status in Status.running()
        rank = CAMPAIGN_RANKS[Status.SUBMITTED] if scale_up else CAMPAIGN_RANKS.get(entry.status, 7)
    else:
        rank = KIND_RANKS.get(entry.kind, 5)
    return (rank, not entry.late_notice, entry.starts_on, KIND_ORDER.get(entry.kind, 0), entry.id)


@dataclass(frozen=True)
class CalendarDay:
    day: date
    in_period: bool
    is_today: bool
    heat: Heat
    entries: list[DayEntry] = field(default_factory=list)  # the most important, at most the cap
    more: int = 0  # entries covering the day that are not shown


@dataclass(frozen=True)
class CalendarWeek:
    param: str  # ISO week, e.g. 2026-W49
    number: int
    days: list[CalendarDay]


@dataclass(frozen=True)
class CalendarGrid:
    period: Period
    weeks: list[CalendarWeek]
    total: int  # entries in the grid's days


def most_important_by_day(
    entries: list[CalendarEntry], *, start: date, end: date, cap: int
) -> tuple[list[list[CalendarEntry]], list[int]]:
    """For each day of [start, end]: the `cap` most important entries covering it (in
    order of importance) and how many entries cover it in all.

    The work is bounded by the entries plus days × cap, not entries × days: entries are
    taken most important first, each fills the days of its span that still have room,
    and full days are skipped through a "next day with room" pointer (a disjoint-set
    forest with path halving); the totals are a running sum of where spans start and end.
    """
    days = (end - start).days + 1
    shown: list[list[CalendarEntry]] = [[] for _ in range(days)]
    starts_minus_ends = [0] * (days + 1)
    room = list(range(days + 1))  # room[i] leads to the first day at or after i with room; `days`: none

    def with_room(i: int) -> int:
        while room[i] != i:
            room[i] = room[room[i]]
            i = room[i]
        return i

    for entry in sorted(entries, key=importance):
        first = max((entry.starts_on - start).days, 0)
        last = min((entry.ends_on - start).days, days - 1)
        if first > last:
            continue
        starts_minus_ends[first] += 1
        starts_minus_ends[last + 1] -= 1
        i = with_room(first)
        while i <= last:
            shown[i].append(entry)
            if len(shown[i]) == cap:
                room[i] = i + 1
            i = with_room(i + 1)
    return shown, list(accumulate(starts_minus_ends[:days]))


def calendar_grid(
    period: Period,
    *,
    today: date,
    region: str | None = None,
    sku: str | None = None,
    channel: str | None = None,
    status: str | None = None,
) -> CalendarGrid:
    """The weeks of `period`, each day with its most important entries (at most
    `DAY_CAPS[period.kind]`, the number of the others in `more`) and its courier
    capacity use. Filters narrow the entries; capacity use is the network's, or the
    region's when a region is chosen (a channel, SKU or status does not change how
    full the couriers are)."""
    start, end = period.grid_start, period.grid_end
    entries = calendar_entries(start=start, end=end, region=region, sku=sku, channel=channel, status=status)
    heat = heat_by_day(start=start, end=end, region=region, cached=True)
    shown, covering = most_important_by_day(entries, start=start, end=end, cap=DAY_CAPS[period.kind])
    weeks = []
    for monday_index in range(0, len(shown), 7):
        days = []
        for index in range(monday_index, monday_index + 7):
            day = start + timedelta(days=index)
            days.append(
                CalendarDay(
                    day=day,
                    in_period=period.first <= day <= period.last,
                    is_today=day == today,
                    heat=heat[day],
                    entries=[DayEntry(e, day) for e in shown[index]],
                    more=covering[index] - len(shown[index]),
                )
            )
        year, number, _ = days[0].day.isocalendar()
        weeks.append(CalendarWeek(f"{year}-W{number:02d}", number, days))
    return CalendarGrid(period, weeks, len(entries))


@dataclass(frozen=True)
class CalendarDayList:
    """One day in full: its capacity use and every entry covering it, most important first."""

    period: Period
    heat: Heat
    entries: list[DayEntry]


def calendar_day(
    period: Period,
    *,
    region: str | None = None,
    sku: str | None = None,
    channel: str | None = None,
    status: str | None = None,
) -> CalendarDayList:
    """Everything on the day of `period` (the page behind a grid cell's "+N more"),
    with the same filters and order of importance as the grids."""
    day = period.first
    entries = calendar_entries(start=day, end=day, region=region, sku=sku, channel=channel, status=status)
    return CalendarDayList(
        period,
        heat_by_day(start=day, end=day, region=region, cached=True)[day],
        [DayEntry(entry, day) for entry in sorted(entries, key=importance)],
    )


# --------------------------------------------------------------------------- private feed


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def calendar_feed_for(user) -> CalendarFeed:
    """The user's private feed, created with a random token on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user, defaults={"token": _new_token()})
    return feed


def calendar_feed_regenerate(*, user) -> CalendarFeed:
    """Give `user` a new feed token: the old URL stops working at once (a leaked URL
    is revoked by regenerating it). The token is never logged."""
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(
            user=user, defaults={"token": _new_token()}
        )
        if not created:
            feed.token = _new_token()
            feed.save(update_fields=["token", "created_at"])
    return feed


def calendar_feed_owner(token: str):
    """The active user whose feed `token` is, or None. A user who may not read plans (no
    role any more, not staff) has no feed: the URL stops working with the role."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    return feed.user if feed and can_read(feed.user) else None


ICS_STATUS = {
    Status.DRAFT: "TENTATIVE",
    Status.SUBMITTED: "TENTATIVE",
    Status.CHANGES_REQUESTED: "TENTATIVE",
    Status.APPROVED: "CONFIRMED",
    Status.LIVE: "CONFIRMED",
    Status.PAUSED: "CONFIRMED",
    Status.COMPLETED: "CONFIRMED",
    Status.REJECTED: "CANCELLED",
    Status.CANCELLED: "CANCELLED",
}


def calendar_ics(*, user, today: date, absolute: Callable[[str], str]) -> bytes:
    """The iCalendar feed of `user`: campaigns, promo windows and ops constraints from
    90 days back to a year ahead, as all-day events (DTEND is exclusive: the day after
    the last day). UIDs are stable (`campaign-<id>@mopsync`), so calendar apps update
    events in place. `absolute` turns a path into a full URL."""
    name = user.get_full_name() or user.get_username()
    cal = Calendar()
    cal.add("prodid", "-//mopsync//promo calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"mopsync — {name}")
    cal.add("x-wr-caldesc", "Campaigns, promo windows and ops constraints from mopsync")
    cal.add("x-published-ttl", "PT1H")
    stamp = timezone.now()
    entries = calendar_entries(
        start=today - timedelta(days=FEED_DAYS_BACK), end=today + timedelta(days=FEED_DAYS_AHEAD), kinds=FEED_KINDS
    )
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.kind.replace('_', '-')}-{entry.id}@mopsync")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.starts_on)
        event.add("dtend", entry.ends_on + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        event.add("categories", [KIND_LABELS.get(entry.kind, entry.kind)])
        label = status_label(entry)
        if entry.kind == "campaign":
            event.add("summary", f"{entry.title} ({label})")
            event.add("status", ICS_STATUS.get(entry.status, "TENTATIVE"))
            event.add("url", absolute(entry.url))
            channel = Channel(entry.channel).label if entry.channel in Channel.values else entry.channel
            event.add("description", f"Campaign on {channel}, {label.lower()}.\n{absolute(entry.url)}")
        elif entry.kind == "promo_window":
            event.add("summary", f"Promo window: {entry.title}")
        else:
            event.add("summary", f"Ops: {entry.title}")
        cal.add_component(event)
    return cal.to_ical()
