"""The `returns` import: orders and returns of a SKU on a day, by channel and region.
Each SKU's return rate follows (over the `RETURN_RATE_WINDOW_DAYS` before its latest
returns day), which the capacity check's risk findings and net ROAS read: the import
writes reference rows (SKUs).

Files are large (a bench row: 100,000 rows at ≥ 20,000 rows/s), so this kind is
streamed: one pass reads the file a piece at a time, cleans it a batch at a time
(`Cleaner`) and hands the clean rows to a loader (`copy.LoadTable` on PostgreSQL,
`InMemory` elsewhere); repeated keys are reported after the pass; only a file without
an error is merged, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from array import array
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Max, Sum

from capacity.imports import base
from capacity.imports.base import Commit, ImportKind, Report, Shape, cells, channel, count, ref
from capacity.imports.copy import LoadTable
from capacity.models import ImportJob, Region, ReturnRecord, Sku
from mopsync import versions
from mopsync.channels import Channel
from mopsync.roles import OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS
from mopsync.validation import FieldErrors, clean_date

HEADER = ("date", "sku", "channel", "region", "orders", "returned")
RETURN_RATE_WINDOW_DAYS = 90
BATCH = 2000  # rows cleaned, looked up and written together
PROGRESS_SECONDS = 0.5  # at most this often: each progress write is a commit


def stream(job: ImportJob, report: Report, commit: Commit) -> dict:
    """Check the whole file in one pass (progress in `rows_done`), then, if it has no
    error, merge its rows and refresh the SKUs' return rates in one transaction."""
    cleaner = Cleaner()
    shape = Shape()
    load = LoadTable() if connection.vendor == "postgresql" else InMemory(job, cleaner)
    try:
        done, shown = 0, time.monotonic()
        for batch in batches(cells(job, HEADER, report, shape)):
            load.add(cleaner.clean(batch, report))
            done += len(batch)
            if time.monotonic() - shown >= PROGRESS_SECONDS:  # each write is a commit: not one per batch
                ImportJob.objects.filter(pk=job.pk).update(rows_done=done)
                shown = time.monotonic()
        found, total = load.repeats(base.MAX_ERRORS)
        for number, original in found:
            report.add(number, "date", f"Duplicate row: the same key as row {original}.")
        report.dropped += total - len(found)
        if found:
            report.errors.sort(key=lambda e: (e["row"] is None, e["row"] or 0))
        if report.errors or not shape.header_ok:
            return {}
        return commit(lambda: _write(load))
    finally:
        load.close()


def _write(load: LoadTable | InMemory) -> dict:
    counts = load.write()
    counts["skus_updated"] = refresh_return_rates(load.skus)
    return counts


def batches(rows, size: int | None = None):
    size = size or BATCH
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


_PLAIN_COUNTS = re.compile(r"[0-9]{1,9},[0-9]{1,9}").fullmatch  # two counts in plain ASCII digits


class Cleaner:
    """Cleans returns rows a batch at a time: SKU and region codes are looked up once
    per batch (only those not seen yet), dates and counts take a fast path for the
    common well-formed value and the general one (with its messages) otherwise."""

    def __init__(self) -> None:
        self.skus: dict[str, Any] = {}
        self.regions: dict[str, Any] = {}
        self.dates: dict[str, dt.date] = {}
        self.channels = frozenset(Channel.values)

    def _look_up(self, model, found: dict, codes: set[str]) -> None:
        missing = {c for c in codes if c not in found and c and "\x00" not in c}
        if missing:
            found.update({obj.code: obj.pk for obj in model.objects.filter(code__in=missing).only("id", "code")})

    def _date(self, value: str, errors: FieldErrors) -> dt.date | None:
        day = self.dates.get(value)
        if day is None:
            day = clean_date(value, field="date", errors=errors)
            if day is not None and len(self.dates) < 10_000:
                self.dates[value] = day
        return day

    @staticmethod
    def _count(value: str, column: str, errors: FieldErrors) -> int | None:
        if value.isascii() and value.isdigit() and len(value) < 10:
            return int(value)
        return count(value, column, errors)

    def clean(self, batch, report: Report) -> list[tuple[int, tuple]]:
        """(row number, (date, sku id, channel, region id, orders, returned)) of each clean
        row of `batch`, rows of cells in the order of the returns header (`base.cells`)."""
        self._look_up(Sku, self.skus, {cells[1] for _, cells in batch})
        self._look_up(Region, self.regions, {cells[3] for _, cells in batch})
        cleaned = []
        dates, skus, regions, channels = self.dates, self.skus, self.regions, self.channels
        for number, (raw_date, raw_sku, raw_channel, raw_region, raw_orders, raw_returned) in batch:
            # The common row, every value well-formed and known: no error collector, no call.
            day, sku, region = dates.get(raw_date), skus.get(raw_sku), regions.get(raw_region)
            if day and sku and region and raw_channel in channels and _PLAIN_COUNTS(raw_orders + "," + raw_returned):
                orders, returned = int(raw_orders), int(raw_returned)
                if returned <= orders:
                    cleaned.append((number, (day, sku, raw_channel, region, orders, returned)))
                    continue
            errors = FieldErrors()
            day = self._date(raw_date, errors)
            sku = ref(raw_sku, self.skus, column="sku", what="SKU", errors=errors)
            found_channel = raw_channel if raw_channel in self.channels else channel(raw_channel, "channel", errors)
            region = ref(raw_region, self.regions, column="region", what="region", errors=errors)
            orders = self._count(raw_orders, "orders", errors)
            returned = self._count(raw_returned, "returned", errors)
            if orders is not None and returned is not None and returned > orders:
                errors.add("returned", "Cannot be more than orders.")
            if errors:
                report.add_fields(number, errors)
            else:
                cleaned.append((number, (day, sku, found_channel, region, orders, returned)))
        return cleaned


# --------------------------------------------------------------------------- other databases


class _Packed:
    """Clean rows as columns of machine integers (about 40 bytes a row, the size of the
    text they came from): no object per row, so memory stays in step with the file."""

    def __init__(self, channels: list[str]) -> None:
        self.channels = channels
        self.channel_index = {c: i for i, c in enumerate(channels)}
        self.days, self.skus, self.channel, self.regions, self.orders, self.returned = (
            array("l"),
            array("q"),
            array("b"),
            array("q"),
            array("q"),
            array("q"),
        )

    def __len__(self) -> int:
        return len(self.days)

    def add(self, values: tuple) -> int:
        """Append a clean row; return its key (date, SKU, channel, region) packed in one int."""
        day, sku, channel, region, orders, returned = values
        ordinal, index = day.toordinal(), self.channel_index[channel]
        self.days.append(ordinal)
        self.skus.append(sku)
        self.channel.append(index)
        self.regions.append(region)
        self.orders.append(orders)
        self.returned.append(returned)
        return (((ordinal << 5 | index) << 40 | sku) << 40) | region

    def batches(self, size: int = BATCH):
        dates: dict[int, dt.date] = {}
        for start in range(0, len(self), size):
            end = start + size
            yield [
                (dates.get(o) or dates.setdefault(o, dt.date.fromordinal(o)), sku, self.channels[ch], region, n, r)
                for o, sku, ch, region, n, r in zip(
                    self.days[start:end], self.skus[start:end], self.channel[start:end],
                    self.regions[start:end], self.orders[start:end], self.returned[start:end], strict=True,
                )
            ]  # fmt: skip


class InMemory:
    """Other databases: clean rows packed in memory (`_Packed`, no object per row), repeats
    noticed by key as they come and named with a second pass over the file."""

    def __init__(self, job: ImportJob, cleaner: Cleaner) -> None:
        self.job, self.cleaner = job, cleaner
        self.packed = _Packed(sorted(cleaner.channels))
        self.seen: set[int] = set()
        self.repeated: dict[int, list[int]] = {}

    @property
    def skus(self) -> set[int]:
        return set(self.packed.skus)

    def add(self, cleaned: list[tuple[int, tuple]]) -> None:
        for number, values in cleaned:
            key = self.packed.add(values)
            if key in self.seen:
                self.repeated.setdefault(key, []).append(number)
            else:
                self.seen.add(key)

    def repeats(self, limit: int) -> tuple[list[tuple[int, int]], int]:
        """Every (row, the earlier row with its key) of the rows whose key an earlier row
        has (the report keeps as many as it keeps), and how many there are."""
        self.seen = set()
        if not self.repeated:
            return [], 0
        first: dict[int, int] = {}
        again = _Packed(self.packed.channels)
        for batch in batches(cells(self.job, HEADER, Report(), Shape())):
            for number, values in self.cleaner.clean(batch, Report()):
                key = again.add(values)
                if key in self.repeated and key not in first:
                    first[key] = number
        found = sorted((number, first[key]) for key, numbers in self.repeated.items() for number in numbers)
        return found, len(found)

    def write(self) -> dict:
        """A batch at a time, what the batch's keys hold is read in one query (locked), new
        rows inserted and changed rows updated with one statement each run for many rows."""
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        table = connection.ops.quote_name(ReturnRecord._meta.db_table)
        insert = (
            f"INSERT INTO {table} (date, sku_id, channel, region_id, orders, returned) "  # noqa: S608 - names, not input
            "VALUES (%s, %s, %s, %s, %s, %s)"
        )
        update = f"UPDATE {table} SET orders = %s, returned = %s WHERE id = %s"  # noqa: S608
        for rows in self.packed.batches():
            skus = {v[1] for v in rows}
            existing = {
                (day, sku, channel, region): (pk, orders, returned)
                for pk, day, sku, channel, region, orders, returned in ReturnRecord.objects.filter(
                    sku_id__in=skus, date__in={v[0] for v in rows}
                )
                .order_by()
                .select_for_update()
                .values_list("id", "date", "sku_id", "channel", "region_id", "orders", "returned")
            }
            new, changed = [], []
            for values in rows:
                found = existing.get(values[:4])
                if found is None:
                    new.append(values)
                elif found[1:] != values[4:]:
                    changed.append((values[4], values[5], found[0]))
            with connection.cursor() as cursor:
                if new:
                    cursor.executemany(insert, new)
                if changed:
                    cursor.executemany(update, changed)
            counts["created"] += len(new)
            counts["updated"] += len(changed)
            counts["unchanged"] += len(rows) - len(new) - len(changed)
        return counts

    def close(self) -> None:
        pass


def refresh_return_rates(sku_ids: Iterable[int]) -> int:
    """Each SKU's return rate: units returned ÷ ordered over the `RETURN_RATE_WINDOW_DAYS`
    up to its latest returns day (the check's return-rate finding and net ROAS read it).
    Aggregated in SQL: the latest day per SKU, then one sum per distinct latest day."""
    sku_ids = set(sku_ids)
    latest = dict(
        ReturnRecord.objects.filter(sku_id__in=sku_ids)
        .values("sku_id")
        .annotate(last=Max("date"))
        .order_by()
        .values_list("sku_id", "last")
    )
    by_last: dict[dt.date, list[int]] = {}
    for sku_id, last in latest.items():
        by_last.setdefault(last, []).append(sku_id)
    rates: dict[int, Decimal] = {}
    for last, ids in by_last.items():
        since = last - dt.timedelta(days=RETURN_RATE_WINDOW_DAYS - 1)
        for sku_id, orders, returned in (
            ReturnRecord.objects.filter(sku_id__in=ids, date__gte=since, date__lte=last)
            .values("sku_id")
            .annotate(orders=Sum("orders"), returned=Sum("returned"))
            .order_by()
            .values_list("sku_id", "orders", "returned")
        ):
            rate = Decimal(returned) / Decimal(orders) if orders else Decimal("0")
            rates[sku_id] = rate.quantize(Decimal("0.0001"))
    changed = []
    for sku in Sku.objects.filter(pk__in=rates).order_by("pk").select_for_update().only("id", "return_rate"):
        if sku.return_rate != rates[sku.pk]:
            sku.return_rate = rates[sku.pk]
            changed.append(sku)
    Sku.objects.bulk_update(changed, ["return_rate"], batch_size=500)
    return len(changed)


KIND = ImportKind(
    kind=ImportJob.Kind.RETURNS,
    header=HEADER,
    importers=frozenset({OPS_INVENTORY, OPS_LOGISTICS, OPS_LEAD}),
    changes=(versions.REF, versions.DATA),  # SKUs' return rates
    stream=stream,
)
