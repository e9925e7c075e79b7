"""The campaign list and the calendar as CSV (issue 17, "Export"): the rows the pages
show, in people's words, for `mopsync.csv_export`. Reads are the pages' own, at a fixed
number of queries whatever the number of rows; the rows are made while they are sent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from campaigns import calendar
from campaigns.models import Campaign, CampaignRegion, CampaignSku, Channel
from campaigns.selectors import calendar_entries
from mopsync.forms import percent_of

CAMPAIGN_HEADER = (
    "Campaign",
    "Status",
    "Channel",
    "Owner",
    "Starts on",
    "Ends on",
    "Days",
    "Orders/day planned",
    "Orders/day approved",
    f"Budget ({settings.CURRENCY})",
    f"Expected order value ({settings.CURRENCY})",
    "Cash on delivery (%)",
    "SKUs (share of units)",
    "Regions (share of orders)",
    "Late notice",
    "Link",
)
CAMPAIGN_NUMERIC = (6, 7, 8, 9, 10, 11)


def campaigns_for_export(campaigns: QuerySet[Campaign]) -> list[Campaign]:
    """The campaigns with their owner and lines, read now: three queries in all."""
    return list(
        campaigns.select_related("owner").prefetch_related(
            Prefetch("sku_lines", queryset=CampaignSku.objects.select_related("sku")),
            Prefetch("region_lines", queryset=CampaignRegion.objects.select_related("region")),
        )
    )


def _lines(lines, attribute: str) -> str:
    return "; ".join(f"{getattr(line, attribute).code} {percent_of(line.share)}%" for line in lines)


def campaign_rows(campaigns: list[Campaign]) -> Iterator[tuple]:
    for c in campaigns:
        yield (
            c.name,
            c.get_status_display(),
            c.get_channel_display(),
            c.owner.get_username(),
            c.starts_on.isoformat(),
            c.ends_on.isoformat(),
            (c.ends_on - c.starts_on).days + 1,
            c.orders_per_day,
            c.approved_orders_per_day,
            c.budget,
            c.expected_order_value,
            percent_of(c.cod_share),
            _lines(c.sku_lines.all(), "sku"),
            _lines(c.region_lines.all(), "region"),
            "yes" if c.late_notice else "no",
            settings.MOPSYNC_BASE_URL + reverse("campaigns:detail", args=[c.pk]),
        )


CALENDAR_HEADER = (
    "Starts on",
    "Ends on",
    "Kind",
    "Title",
    "Status",
    "Channel",
    "Details",
    "Courier capacity use (%)",
    "Orders/day used",
    "Orders/day courier capacity",
    "Orders/day asked, waiting for sign-off",
    "Link",
)
CALENDAR_NUMERIC = (7, 8, 9, 10)


@dataclass(frozen=True)
class CalendarExport:
    """A range of days of the calendar, read: its entries and each day's capacity use."""

    start: date
    end: date
    region: str | None
    entries: list
    heat: dict


def calendar_for_export(*, start: date, end: date, **filters) -> CalendarExport:
    """Every entry overlapping [start, end] with the calendar page's filters (one query)
    and the courier capacity use of each day (at most four)."""
    entries = calendar_entries(start=start, end=end, **filters)
    heat = calendar.heat_by_day(start=start, end=end, region=filters.get("region"), cached=True)
    return CalendarExport(start, end, filters.get("region"), entries, heat)


def _details(entry) -> str:
    if entry.kind == "campaign":
        notes = []
        if entry.late_notice:
            notes.append("late notice")
        if entry.scale_up_pending:
            notes.append("scale-up waiting for sign-off")
        return ", ".join(notes)
    if entry.kind == "promo_window":
        return "" if entry.channel else "all channels"
    return ""


def calendar_rows(export: CalendarExport) -> Iterator[tuple]:
    """Day by day: the day's courier capacity use, then the entries starting that day
    (an entry that started before the range comes on its first day)."""
    where = f"region {export.region}" if export.region else "the whole network"
    by_day: dict[date, list] = {}
    for entry in export.entries:
        by_day.setdefault(max(entry.starts_on, export.start), []).append(entry)
    day = export.start
    while day <= export.end:
        use = export.heat[day].use
        yield (
            day.isoformat(),
            day.isoformat(),
            "Courier capacity",
            f"Courier capacity of {where}",
            "",
            "",
            f"{export.heat[day].label}; {use.usual} business as usual, {use.held} held by approved campaigns",
            use.percent,
            use.used,
            use.capacity,
            use.asked,
            "",
        )
        for entry in sorted(by_day.get(day, ()), key=calendar.importance):
            channel = Channel(entry.channel).label if entry.channel in Channel.values else ""
            yield (
                entry.starts_on.isoformat(),
                entry.ends_on.isoformat(),
                calendar.KIND_LABELS.get(entry.kind, entry.kind),
                entry.title,
                calendar.status_label(entry),
                channel,
                _details(entry),
                None,
                None,
                None,
                None,
                settings.MOPSYNC_BASE_URL + entry.url if entry.url else "",
            )
        day += timedelta(days=1)
