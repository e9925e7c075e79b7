"""Imports: CSV files from the other systems, turned into mopsync's data (DESIGN.md,
"Background work"; issue 6).

Each kind has exactly one header (`HEADERS`); codes are the API's; dates ISO 8601.
An upload (`import_create`) checks who may send the kind and the file's size, stores
the text on an `ImportJob` and hands it to a worker after commit. The worker
(`import_process`) claims the job, checks every row first (progress: `rows_done`),
and only a file without a single error is applied, in one transaction: a bad file
commits nothing and ends `failed` with `[{row, column, message}]` (the header is row 1).

Rows are keyed by their natural key (SKU × warehouse; SKU × warehouse × expected day;
lane × period; day × SKU × channel × region; day × campaign × channel × SKU × region;
campaign × day): a row replaces what its key holds, and a row equal to what is stored
is not written, so importing the same file twice changes nothing. Two rows of one
file with the same key are an error.

What the data feeds: lane performance sets each lane's NDR rate and average delivery
days from its latest period, and returns set each SKU's return rate (over the
`RETURN_RATE_WINDOW_DAYS` before its latest returns day), which the capacity check's
risk findings read; actual orders alert ops and the owner when a live campaign runs
above its approved orders/day by `MOPSYNC_OUTGROWING_MARGIN`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import re
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from capacity import services
from capacity.models import (
    Courier,
    CourierLane,
    ImportJob,
    InboundShipment,
    LanePerformance,
    Region,
    ReturnRecord,
    Sku,
    StockLevel,
    Warehouse,
)
from mopsync import versions
from mopsync.errors import DomainError, InvalidInput, NotPermitted
from mopsync.roles import MARKETING, OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS, user_roles
from mopsync.validation import FieldErrors, clean_date, clean_decimal, clean_int

log = logging.getLogger(__name__)

Kind = ImportJob.Kind
Status = ImportJob.Status

HEADERS: dict[str, tuple[str, ...]] = {
    Kind.STOCK_LEVELS: ("sku", "warehouse", "on_hand", "as_of"),
    Kind.INBOUND_SHIPMENTS: ("sku", "warehouse", "quantity", "expected_on"),
    Kind.LANE_PERFORMANCE: (
        "courier",
        "region",
        "period_start",
        "period_end",
        "shipments",
        "delivered",
        "ndr_count",
        "avg_delivery_days",
    ),  # fmt: skip
    Kind.RETURNS: ("date", "sku", "channel", "region", "orders", "returned"),
    Kind.ACTUAL_ORDERS: ("date", "campaign", "channel", "sku", "region", "orders", "revenue", "fulfilment_cost"),
    Kind.CAMPAIGN_SPEND: ("date", "campaign", "spend"),
}

# Who may import each kind: ops data by the ops role that keeps it, marketing data by
# marketing (or the ops lead, who sees both sides).
IMPORTERS: dict[str, frozenset[str]] = {
    Kind.STOCK_LEVELS: services.INVENTORY_KEEPERS,
    Kind.INBOUND_SHIPMENTS: services.INVENTORY_KEEPERS,
    Kind.LANE_PERFORMANCE: services.LOGISTICS_KEEPERS,
    Kind.RETURNS: frozenset({OPS_INVENTORY, OPS_LOGISTICS, OPS_LEAD}),
    Kind.ACTUAL_ORDERS: frozenset({MARKETING, OPS_LEAD}),
    Kind.CAMPAIGN_SPEND: frozenset({MARKETING, OPS_LEAD}),
}

RETURN_RATE_WINDOW_DAYS = 90
MAX_ERRORS = 500  # stored per job; a file this broken needs fixing at the source anyway
PROGRESS_EVERY = 500  # rows between progress writes
PROGRESS_SECONDS = 0.5  # at most this often for a streamed (returns) file
MAX_MONEY = Decimal("999999999999.99")
MAX_DAYS = Decimal("999.99")


def max_bytes() -> int:
    return int(settings.MOPSYNC_IMPORT_MAX_BYTES)


def can_import(user, kind: str) -> bool:
    return bool(user_roles(user) & IMPORTERS.get(kind, frozenset()))


def kinds_for(user) -> list[str]:
    """The kinds `user` may import, in the order of `HEADERS`."""
    return [kind for kind in HEADERS if can_import(user, kind)]


def sample_csv(kind: str) -> str:
    return ",".join(HEADERS[kind]) + "\n"


# --------------------------------------------------------------------------- upload


# What a CSV upload may call itself. Browsers on Windows label .csv files as Excel's, and
# curl sends application/octet-stream unless told: the content is checked anyway.
CSV_EXTENSIONS = (".csv", ".txt")
CSV_CONTENT_TYPES = frozenset({
    "text/csv", "text/plain", "text/x-csv", "text/comma-separated-values", "application/csv",
    "application/x-csv", "application/vnd.ms-excel", "application/octet-stream",
})  # fmt: skip
# C0 control characters other than tab, line feed and carriage return: binary, not text.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_upload_type(*, file_name: str, content_type: str | None) -> None:
    """Refuse a file that says it is not CSV (by its name or its content type)."""
    suffix = PurePosixPath((file_name or "").replace("\\", "/")).suffix.lower()
    if suffix and suffix not in CSV_EXTENSIONS:
        raise InvalidInput({"file": [f"Only CSV files are accepted (.csv), not {suffix} files."]})
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type and media_type not in CSV_CONTENT_TYPES:
        raise InvalidInput({"file": [f"Only CSV files are accepted (text/csv), not {media_type}."]})


def import_create(*, actor, kind: Any, file_name: str, data: bytes, content_type: str | None = None) -> ImportJob:
    """Accept a CSV file of `kind` for processing in the background.

    Rules: only the roles of `IMPORTERS` send a kind (ops data from ops, marketing
    data from marketing or the ops lead); the file is at most
    `MOPSYNC_IMPORT_MAX_BYTES` of UTF-8 text, named and typed as CSV (`content_type`:
    what the client said, when it said anything), without NUL or other binary control
    characters. The job is published to a worker after commit; if the broker is down
    it stays `pending` for `sweep`.
    """
    if kind not in HEADERS:
        raise InvalidInput({"kind": [f"Must be one of: {', '.join(HEADERS)}."]})
    if not can_import(actor, kind):
        raise NotPermitted(f"Importing {kind} needs one of the roles: {', '.join(sorted(IMPORTERS[kind]))}.")
    check_upload_type(file_name=file_name, content_type=content_type)
    limit = max_bytes()
    if len(data) > limit:
        raise InvalidInput(
            {"file": [f"The file is {len(data):,} bytes; files of at most {limit:,} bytes are accepted. Split it."]}
        )
    if not data.strip():
        raise InvalidInput({"file": ["The file is empty."]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput({"file": ["The file must be CSV text in UTF-8."]}) from None
    if "\x00" in text:
        raise InvalidInput({"file": ["The file must not contain NUL characters."]})
    if _BINARY.search(text):
        raise InvalidInput({"file": ["The file holds binary data (control characters); it must be CSV text."]})
    file_name = (file_name or "").replace("\x00", "")[:255]
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            file_name=file_name,
            content=text,
            sha256=hashlib.sha256(data).hexdigest(),
            rows_total=_count_rows(text),
            created_by=actor,
        )
        transaction.on_commit(lambda: publish(job.pk))
    return job


def _count_rows(text: str) -> int:
    """Data rows, for the progress bar until the worker has read the file (it corrects
    this count when quoted line breaks or blank lines make it differ): counted as
    lines that are not blank, without parsing the CSV."""
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    blank = text.count("\n\n") + text.count("\n\r\n") + text.startswith("\n")
    return max(lines - blank - 1, 0)


def _lines(text: str, start: int = 0, size: int | None = None):
    """The lines of `text[start:size]` one at a time, each with its newline (what
    `csv.reader` reads from a file): never a copy of the whole, nor a list of lines."""
    size = len(text) if size is None else size
    while start < size:
        end = text.find("\n", start, size)
        if end < 0:
            yield text[start:size]
            return
        yield text[start : end + 1]
        start = end + 1


READ_CHARS = 1 << 20  # characters of a stored file read from the database at a time


def _file_lines(job: ImportJob):
    """The lines of the job's file, read from the database `READ_CHARS` at a time, so a
    worker holds about one piece of the file, never all of it (the job is loaded without
    its `content`; a job that has it loaded is read from memory)."""
    if "content" not in job.get_deferred_fields():
        yield from _lines(job.content)
        return
    rows = ImportJob.objects.filter(pk=job.pk)
    start, rest = 1, ""
    while True:
        piece = rows.annotate(piece=Substr("content", start, READ_CHARS)).values_list("piece", flat=True).get()
        if not piece:
            break
        start += READ_CHARS
        text = rest + piece
        end = text.rfind("\n") + 1  # the last whole line; what follows waits for the next piece
        yield from _lines(text, 0, end)
        rest = text[end:]
        if len(piece) < READ_CHARS:
            break
    if rest:
        yield rest


_broker_down_until = 0.0  # monotonic; per process


def publish(job_id: int) -> None:
    """Hand a job to the worker; a broker failure leaves it `pending` for `sweep` (the
    upload has committed and must neither fail nor hang)."""
    global _broker_down_until
    from campaigns.tasks import process_import

    if time.monotonic() < _broker_down_until:
        return
    try:
        process_import.apply_async(args=[job_id], retry=False)
    except Exception:  # noqa: BLE001 - the broker being down must never fail the upload
        _broker_down_until = time.monotonic() + 30
        log.warning("broker unavailable; import %s left for the sweep", job_id, exc_info=True)


def _abandoned(now: dt.datetime) -> Q:
    """Running jobs whose worker was lost (killed, its machine gone): claimed longer
    ago than `MOPSYNC_IMPORT_LEASE_SECONDS`, above the task time limit, so a worker
    still alive would have been stopped by now. Their apply transaction never
    committed, so they are simply run again."""
    lease = dt.timedelta(seconds=settings.MOPSYNC_IMPORT_LEASE_SECONDS)
    return Q(status=Status.RUNNING, started_at__lt=now - lease)


def sweep(*, older_than_seconds: int = 60) -> int:
    """Publish jobs still pending a while after upload (the broker was down), and jobs
    whose worker was lost mid-run."""
    now = timezone.now()
    cutoff = now - dt.timedelta(seconds=older_than_seconds)
    waiting = Q(status=Status.PENDING, created_at__lt=cutoff) | _abandoned(now)
    ids = list(ImportJob.objects.filter(waiting).values_list("pk", flat=True))
    for job_id in ids:
        publish(job_id)
    return len(ids)


# --------------------------------------------------------------------------- processing


@dataclass
class _Report:
    errors: list[dict] = field(default_factory=list)
    dropped: int = 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})
        else:
            self.dropped += 1

    def add_fields(self, row: int, errors: dict[str, list[str]]) -> None:
        for column, messages in errors.items():
            for message in messages:
                self.add(row, None if column == "non_field_errors" else column, message)

    def as_list(self) -> list[dict]:
        if self.dropped:
            return [*self.errors, {"row": None, "column": None, "message": f"…and {self.dropped} more errors."}]
        return self.errors


class _Rollback(Exception):
    """Raised inside the apply transaction when a row is refused: nothing is kept."""


def import_process(job_id: int) -> ImportJob | None:
    """Process one job: claim it (`pending` → `running`; a second run finds it claimed
    and does nothing, unless its worker was lost: see `_abandoned`), check every row,
    and apply a clean file in one transaction."""
    now = timezone.now()
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(Q(status=Status.PENDING) | _abandoned(now))
        .update(status=Status.RUNNING, started_at=now, rows_done=0)
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("created_by").defer("content").get(pk=job_id)
    report = _Report()
    summary: dict = {}
    try:
        if not can_import(job.created_by, job.kind):
            report.add(None, None, "Whoever uploaded this file no longer has a role that may import it.")
        else:
            importer = IMPORTS[job.kind]
            if job.kind == Kind.RETURNS:
                summary = _stream_returns(job, report)
                rows = None
            else:
                rows = _read(job, report)
            if rows is not None:
                cleaned = importer.check(job, rows, report)
                if not report.errors:
                    summary = _apply(importer, job, cleaned, report)
    except Exception:
        _finish(job, Status.FAILED, report, {}, message="The import stopped on an internal error; nothing was saved.")
        raise
    _finish(job, Status.FAILED if report.errors else Status.SUCCEEDED, report, summary)
    return job


def _apply(importer: Importer, job: ImportJob, rows: list[tuple[int, dict]], report: _Report) -> dict:
    """Apply checked rows in one transaction; any refusal rolls all of them back."""
    try:
        with transaction.atomic():
            summary = importer.apply(job, rows, report)
            if report.errors:
                raise _Rollback
            # Imports write figures pages show, reference ones included (lanes' NDR, SKUs' return rates).
            versions.changed(versions.REF, versions.DATA)
    except _Rollback:
        return {}
    except DomainError as exc:  # e.g. the uploader lost the role a service asks for
        report.add(None, None, exc.message)
        return {}
    return summary


def _finish(job: ImportJob, status: str, report: _Report, summary: dict, *, message: str = "") -> None:
    if message:
        report.add(None, None, message)
    job.status = status
    job.errors = report.as_list()
    job.summary = summary
    job.finished_at = timezone.now()
    if status == Status.SUCCEEDED:
        job.rows_done = job.rows_total
    job.save(update_fields=["status", "errors", "summary", "finished_at", "rows_done"])


def _read(job: ImportJob, report: _Report) -> list[tuple[int, dict[str, str]]] | None:
    """The file's data rows as (row number, {column: text}), or None if its shape is wrong."""
    shape = _Shape()
    rows = list(_rows(job, report, shape))
    return rows if shape.header_ok else None


@dataclass
class _Shape:
    header_ok: bool = False
    rows: int = 0  # data rows (not blank), well-formed or not


def _rows(job: ImportJob, report: _Report, shape: _Shape):
    """The file's data rows as (row number, {column: text}), one at a time, as they are
    read: header and column-count problems go to `report`; `shape` says at the end
    whether the header was right and how many data rows there were (it corrects
    `rows_total` when the upload's count differs)."""
    expected = HEADERS[job.kind]
    for number, cells in _cells(job, report, shape):
        yield number, dict(zip(expected, cells, strict=True))


def _cells(job: ImportJob, report: _Report, shape: _Shape):
    """What `_rows` reads, as (row number, [stripped cell, …]) in the header's order:
    no dict per row, for the importers that read rows by position."""
    expected = HEADERS[job.kind]
    width = len(expected)
    reader = csv.reader(_file_lines(job))
    header_row = None
    try:
        for number, line in enumerate(reader, start=1):
            cells = [cell.strip() for cell in line]
            if not any(cells):
                continue
            if header_row is None:
                header_row = number
                if tuple(cells) != expected:
                    report.add(number, None, f"The header must be exactly: {','.join(expected)}.")
                    return
                shape.header_ok = True
                continue
            shape.rows += 1
            if len(cells) != width:
                report.add(number, None, f"Expected {width} columns, found {len(cells)}.")
                continue
            yield number, cells
    except csv.Error as exc:
        report.add(None, None, f"Not a readable CSV file: {exc}.")
        shape.header_ok = False
        return
    if header_row is None:
        report.add(1, None, f"The file is empty; the header must be: {','.join(expected)}.")
        return
    if shape.rows == 0:
        report.add(None, None, "The file has a header and no rows.")
    if job.rows_total != shape.rows:
        ImportJob.objects.filter(pk=job.pk).update(rows_total=shape.rows)
        job.rows_total = shape.rows


def _progress(job: ImportJob, done: int) -> None:
    if done % PROGRESS_EVERY == 0:
        ImportJob.objects.filter(pk=job.pk).update(rows_done=done)


# --------------------------------------------------------------------------- cleaning


def _codes(model, rows: Iterable[dict[str, str]], column: str) -> dict[str, Any]:
    """Instances of `model` by code, for the codes in `column` of `rows` (one query)."""
    codes = {row[column] for row in rows if row[column] and "\x00" not in row[column]}
    return {obj.code: obj for obj in model.objects.filter(code__in=codes)} if codes else {}


def _ref(value: str, found: dict, *, column: str, what: str, errors: FieldErrors):
    if not value:
        errors.add(column, "This field is required.")
        return None
    obj = found.get(value)
    if obj is None:
        errors.add(column, f"Unknown {what} '{value[:40]}'.")
    return obj


def _count(value: str, column: str, errors: FieldErrors, *, minimum: int = 0) -> int | None:
    return clean_int(value, field=column, errors=errors, minimum=minimum, maximum=services.MAX_COUNT)


def _money(value: str, column: str, errors: FieldErrors) -> Decimal | None:
    return clean_decimal(value, field=column, errors=errors, minimum=Decimal("0"), maximum=MAX_MONEY, places=2)


def _channel(value: str, column: str, errors: FieldErrors) -> str | None:
    from campaigns.models import Channel

    if value not in Channel.values:
        errors.add(column, f"Must be one of: {', '.join(Channel.values)}.")
        return None
    return value


def _moment(value: str, column: str, errors: FieldErrors) -> dt.datetime | None:
    """An ISO 8601 date or date and time; a date is its midnight, naive times are the organisation's."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        errors.add(column, "A date or date and time in ISO 8601 form (YYYY-MM-DD[THH:MM]) is required.")
        return None
    if not 2000 <= moment.year <= 2100:
        errors.add(column, "Must be between the years 2000 and 2100.")
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _check_rows(
    job: ImportJob,
    rows: list[tuple[int, dict[str, str]]],
    report: _Report,
    clean: Callable[[dict[str, str], FieldErrors], dict | None],
    key: Callable[[dict], tuple],
    key_column: str,
) -> list[tuple[int, dict]]:
    """Clean each row, report its errors by column, and refuse repeated natural keys."""
    cleaned: list[tuple[int, dict]] = []
    seen: dict[tuple, int] = {}
    for done, (number, raw) in enumerate(rows, start=1):
        errors = FieldErrors()
        values = clean(raw, errors)
        if errors or values is None:
            report.add_fields(number, errors)
        else:
            natural = key(values)
            if natural in seen:
                report.add(number, key_column, f"Duplicate row: the same key as row {seen[natural]}.")
            else:
                seen[natural] = number
                cleaned.append((number, values))
        _progress(job, done)
    return cleaned


@dataclass(frozen=True)
class Importer:
    check: Callable[[ImportJob, list, _Report], list[tuple[int, dict]]]
    apply: Callable[[ImportJob, list[tuple[int, dict]], _Report], dict]


class _Tally:
    def __init__(self) -> None:
        self.counts = {"created": 0, "updated": 0, "unchanged": 0}

    def __call__(self, what: str) -> None:
        self.counts[what] += 1


def _upsert(model, existing: dict[tuple, Any], natural: tuple, lookup: dict, values: dict, tally: _Tally):
    """Create the row of `natural`, or update it; a row equal to what is stored is not written."""
    row = existing.get(natural)
    if row is None:
        row = model.objects.create(**lookup, **values)
        existing[natural] = row
        tally("created")
    elif any(getattr(row, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=list(values))
        tally("updated")
    else:
        tally("unchanged")
    return row


# --------------------------------------------------------------------------- stock levels


def _check_stock(job, rows, report):
    raws = [raw for _, raw in rows]
    skus, warehouses = _codes(Sku, raws, "sku"), _codes(Warehouse, raws, "warehouse")

    def clean(raw, errors):
        return {
            "sku": _ref(raw["sku"], skus, column="sku", what="SKU", errors=errors),
            "warehouse": _ref(raw["warehouse"], warehouses, column="warehouse", what="warehouse", errors=errors),
            "on_hand": _count(raw["on_hand"], "on_hand", errors),
            "as_of": _moment(raw["as_of"], "as_of", errors),
        }

    return _check_rows(job, rows, report, clean, lambda v: (v["sku"].pk, v["warehouse"].pk), "sku")


def _apply_stock(job, rows, report):
    tally = _Tally()
    existing = {
        (s.sku_id, s.warehouse_id): s
        for s in StockLevel.objects.filter(sku__in={v["sku"] for _, v in rows}).select_for_update()
    }
    for number, v in rows:
        row = existing.get((v["sku"].pk, v["warehouse"].pk))
        if row is not None and row.on_hand == v["on_hand"] and row.as_of == v["as_of"]:
            tally("unchanged")
            continue
        try:
            services.stock_level_set(
                actor=job.created_by, sku=v["sku"], warehouse=v["warehouse"], on_hand=v["on_hand"], as_of=v["as_of"]
            )
        except InvalidInput as exc:
            report.add_fields(number, exc.errors)
            continue
        tally("updated" if row is not None else "created")
    return tally.counts


# --------------------------------------------------------------------------- inbound shipments


def _check_inbound(job, rows, report):
    raws = [raw for _, raw in rows]
    skus, warehouses = _codes(Sku, raws, "sku"), _codes(Warehouse, raws, "warehouse")

    def clean(raw, errors):
        return {
            "sku": _ref(raw["sku"], skus, column="sku", what="SKU", errors=errors),
            "warehouse": _ref(raw["warehouse"], warehouses, column="warehouse", what="warehouse", errors=errors),
            "quantity": _count(raw["quantity"], "quantity", errors, minimum=1),
            "expected_on": clean_date(raw["expected_on"], field="expected_on", errors=errors),
        }

    return _check_rows(
        job, rows, report, clean, lambda v: (v["sku"].pk, v["warehouse"].pk, v["expected_on"]), "expected_on"
    )


def _apply_inbound(job, rows, report):
    """One shipment per SKU × warehouse × expected day: a row sets its quantity."""
    tally = _Tally()
    existing: dict[tuple, InboundShipment] = {}
    found = InboundShipment.objects.filter(sku__in={v["sku"] for _, v in rows}).order_by("pk").select_for_update()
    for shipment in found:
        existing.setdefault((shipment.sku_id, shipment.warehouse_id, shipment.expected_on), shipment)
    for number, v in rows:
        shipment = existing.get((v["sku"].pk, v["warehouse"].pk, v["expected_on"]))
        try:
            if shipment is None:
                services.inbound_create(actor=job.created_by, reference=f"import #{job.pk}", **v)
                tally("created")
            elif shipment.quantity == v["quantity"]:
                tally("unchanged")
            else:
                services.inbound_update(actor=job.created_by, shipment=shipment, reference=shipment.reference, **v)
                tally("updated")
        except InvalidInput as exc:
            report.add_fields(number, exc.errors)
    return tally.counts


# --------------------------------------------------------------------------- lane performance


def _check_lane_performance(job, rows, report):
    raws = [raw for _, raw in rows]
    couriers, regions = _codes(Courier, raws, "courier"), _codes(Region, raws, "region")
    lanes = {
        (lane.courier_id, lane.region_id): lane
        for lane in CourierLane.objects.filter(courier__in=couriers.values(), region__in=regions.values())
    }

    def clean(raw, errors):
        courier = _ref(raw["courier"], couriers, column="courier", what="courier", errors=errors)
        region = _ref(raw["region"], regions, column="region", what="region", errors=errors)
        values = {
            "period_start": clean_date(raw["period_start"], field="period_start", errors=errors),
            "period_end": clean_date(raw["period_end"], field="period_end", errors=errors),
            "shipments": _count(raw["shipments"], "shipments", errors),
            "delivered": _count(raw["delivered"], "delivered", errors),
            "ndr_count": _count(raw["ndr_count"], "ndr_count", errors),
            "avg_delivery_days": clean_decimal(
                raw["avg_delivery_days"],
                field="avg_delivery_days",
                errors=errors,
                minimum=Decimal("0"),
                maximum=MAX_DAYS,
                places=2,
            ),  # fmt: skip
        }
        if courier and region:
            values["lane"] = lanes.get((courier.pk, region.pk))
            if values["lane"] is None:
                errors.add("region", f"{courier.code} has no lane to {region.code}; add the lane first.")
        if values["period_start"] and values["period_end"] and values["period_end"] < values["period_start"]:
            errors.add("period_end", "Must be on or after period_start.")
        shipments = values["shipments"]
        if shipments is not None:
            for column in ("delivered", "ndr_count"):
                if values[column] is not None and values[column] > shipments:
                    errors.add(column, "Cannot be more than shipments.")
        return values

    return _check_rows(
        job, rows, report, clean, lambda v: (v["lane"].pk, v["period_start"], v["period_end"]), "period_start"
    )


def _apply_lane_performance(job, rows, report):
    tally = _Tally()
    lane_ids = {v["lane"].pk for _, v in rows}
    existing = {
        (p.lane_id, p.period_start, p.period_end): p
        for p in LanePerformance.objects.filter(lane_id__in=lane_ids).select_for_update()
    }
    for _, v in rows:
        lookup = {"lane": v["lane"], "period_start": v["period_start"], "period_end": v["period_end"]}
        values = {k: v[k] for k in ("shipments", "delivered", "ndr_count", "avg_delivery_days")}
        _upsert(LanePerformance, existing, (v["lane"].pk, v["period_start"], v["period_end"]), lookup, values, tally)
    counts = tally.counts
    counts["lanes_updated"] = refresh_lanes(lane_ids)
    return counts


def refresh_lanes(lane_ids: Iterable[int]) -> int:
    """Each lane's NDR rate and average delivery days from its latest performance period
    (the check's risk findings read them). Returns how many lanes changed."""
    latest: dict[int, LanePerformance] = {}
    for period in LanePerformance.objects.filter(lane_id__in=set(lane_ids)).order_by(
        "lane_id", "-period_end", "-period_start"
    ):
        latest.setdefault(period.lane_id, period)
    changed = 0
    for lane in CourierLane.objects.filter(pk__in=latest).order_by("pk").select_for_update():
        period = latest[lane.pk]
        ndr = Decimal(period.ndr_count) / Decimal(period.shipments) if period.shipments else Decimal("0")
        ndr = ndr.quantize(Decimal("0.0001"))
        if (lane.ndr_rate, lane.avg_delivery_days) != (ndr, period.avg_delivery_days):
            lane.ndr_rate, lane.avg_delivery_days = ndr, period.avg_delivery_days
            lane.save(update_fields=["ndr_rate", "avg_delivery_days"])
            changed += 1
    return changed


# --------------------------------------------------------------------------- returns


BATCH = 2000  # rows cleaned, looked up and written together


def _batches(rows, size: int | None = None):
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


class _ReturnsCleaner:
    """Cleans returns rows a batch at a time: SKU and region codes are looked up once
    per batch (only those not seen yet), dates and counts take a fast path for the
    common well-formed value and the general one (with its messages) otherwise."""

    def __init__(self) -> None:
        self.skus: dict[str, Any] = {}
        self.regions: dict[str, Any] = {}
        self.dates: dict[str, dt.date] = {}
        from campaigns.models import Channel

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
        return _count(value, column, errors)

    def clean(self, batch, report: _Report) -> list[tuple[int, tuple]]:
        """(row number, (date, sku id, channel, region id, orders, returned)) of each clean
        row of `batch`, rows of cells in the order of the returns header (`_cells`)."""
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
            sku = _ref(raw_sku, self.skus, column="sku", what="SKU", errors=errors)
            channel = raw_channel if raw_channel in self.channels else _channel(raw_channel, "channel", errors)
            region = _ref(raw_region, self.regions, column="region", what="region", errors=errors)
            orders = self._count(raw_orders, "orders", errors)
            returned = self._count(raw_returned, "returned", errors)
            if orders is not None and returned is not None and returned > orders:
                errors.add("returned", "Cannot be more than orders.")
            if errors:
                report.add_fields(number, errors)
            else:
                cleaned.append((number, (day, sku, channel, region, orders, returned)))
        return cleaned


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


def _stream_returns(job: ImportJob, report: _Report) -> dict:
    """A returns file, streamed: one pass reads it a piece at a time (`_file_lines`),
    checks every row (progress in `rows_done`) and hands the clean ones to a loader
    (`_LoadTable` on PostgreSQL, `_InMemory` elsewhere); repeated keys are reported
    after the pass; only if there is no error does the loader merge its rows, in one
    transaction."""
    cleaner = _ReturnsCleaner()
    shape = _Shape()
    load = _LoadTable() if connection.vendor == "postgresql" else _InMemory(sorted(cleaner.channels))
    try:
        done, shown = 0, time.monotonic()
        for batch in _batches(_cells(job, report, shape)):
            load.add(cleaner.clean(batch, report))
            done += len(batch)
            if time.monotonic() - shown >= PROGRESS_SECONDS:  # each write is a commit: not one per batch
                ImportJob.objects.filter(pk=job.pk).update(rows_done=done)
                shown = time.monotonic()
        if load.report_repeats(job, cleaner, report):
            report.errors.sort(key=lambda e: (e["row"] is None, e["row"] or 0))
        if report.errors or not shape.header_ok:
            return {}
        return _apply(Importer(None, lambda j, _, r: load.write()), job, [], report)
    finally:
        load.close()


def _repeat_error(report: _Report, number: int, original: int) -> None:
    report.add(number, "date", f"Duplicate row: the same key as row {original}.")


class _LoadTable:
    """PostgreSQL: clean rows are COPYed, a batch at a time as they are read, into a
    temporary table of the session with their row numbers; repeats are found and rows
    merged there, in SQL. The worker keeps no row in memory, whatever the file's size.
    The table outlives the pass's progress commits and is dropped at the end (or with
    the session, if the worker is lost)."""

    TABLE = "pg_temp.mopsync_returns_load"
    COLUMNS = "date, sku_id, channel, region_id, orders, returned"

    def __init__(self) -> None:
        self.rows = 0
        self.skus: set[int] = set()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.TABLE.split('.')[1]} (file_row integer, date date, "
                "sku_id bigint, channel varchar(20), region_id bigint, orders integer, returned integer)"
            )

    def add(self, cleaned: list[tuple[int, tuple]]) -> None:
        if not cleaned:
            return
        # COPY's text format written directly: every value is a number, a date or a channel
        # code (`Channel`: lower-case letters), none of which COPY would need escaped.
        text = "".join(
            f"{number}\t{day.isoformat()}\t{sku}\t{channel}\t{region}\t{orders}\t{returned}\n"
            for number, (day, sku, channel, region, orders, returned) in cleaned
        )
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {self.TABLE} (file_row, {self.COLUMNS}) FROM STDIN") as load,
        ):
            load.write(text)
        self.skus.update(values[1] for _, values in cleaned)
        self.rows += len(cleaned)

    def report_repeats(self, job: ImportJob, cleaner: _ReturnsCleaner, report: _Report) -> bool:
        """Each row whose key an earlier row has, naming the first (as many as the report
        keeps, and the count of the rest)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT file_row, first, COUNT(*) OVER () FROM (SELECT file_row, MIN(file_row) OVER "  # noqa: S608 - names, not input
                f"(PARTITION BY date, sku_id, channel, region_id) AS first FROM {self.TABLE}) AS keyed "
                "WHERE file_row <> first ORDER BY file_row LIMIT %s",
                [MAX_ERRORS],
            )
            found = cursor.fetchall()
        for number, original, _ in found:
            _repeat_error(report, number, original)
        if found:
            report.dropped += found[0][2] - len(found)
        return bool(found)

    def write(self) -> dict:
        """One INSERT … ON CONFLICT merges the rows by the table's unique key, updating
        only rows whose figures differ, and counts what it inserted (`xmax = 0`) and
        updated. The keys are distinct (repeats were refused), so no row is hit twice."""
        table = connection.ops.quote_name(ReturnRecord._meta.db_table)
        columns = self.COLUMNS
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH merged AS (INSERT INTO {table} ({columns}) SELECT {columns} FROM {self.TABLE} "  # noqa: S608 - names, not input
                "ON CONFLICT ON CONSTRAINT returns_unique_key DO UPDATE "
                "SET orders = EXCLUDED.orders, returned = EXCLUDED.returned "
                f"WHERE ({table}.orders, {table}.returned) IS DISTINCT FROM (EXCLUDED.orders, EXCLUDED.returned) "
                "RETURNING xmax = 0 AS created) "
                "SELECT COUNT(*) FILTER (WHERE created), COUNT(*) FILTER (WHERE NOT created) FROM merged"
            )
            created, updated = cursor.fetchone()
        versions.changed(versions.REF, versions.DATA)  # returns, and the SKUs' return rates refreshed below
        return {
            "created": created,
            "updated": updated,
            "unchanged": self.rows - created - updated,
            "skus_updated": refresh_return_rates(self.skus),
        }

    def close(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        except DatabaseError:  # the transaction has failed: the table goes with the session
            log.warning("could not drop %s", self.TABLE, exc_info=True)


class _InMemory:
    """Other databases: clean rows packed in memory (`_Packed`, no object per row), repeats
    noticed by key as they come and named with a second pass over the file."""

    def __init__(self, channels: list[str]) -> None:
        self.packed = _Packed(channels)
        self.seen: set[int] = set()
        self.repeated: dict[int, list[int]] = {}

    def add(self, cleaned: list[tuple[int, tuple]]) -> None:
        for number, values in cleaned:
            key = self.packed.add(values)
            if key in self.seen:
                self.repeated.setdefault(key, []).append(number)
            else:
                self.seen.add(key)

    def report_repeats(self, job: ImportJob, cleaner: _ReturnsCleaner, report: _Report) -> bool:
        self.seen = set()
        if not self.repeated:
            return False
        first: dict[int, int] = {}
        again = _Packed(self.packed.channels)
        for batch in _batches(_cells(job, _Report(), _Shape())):
            for number, values in cleaner.clean(batch, _Report()):
                key = again.add(values)
                if key in self.repeated and key not in first:
                    first[key] = number
        found = sorted((number, first[key]) for key, numbers in self.repeated.items() for number in numbers)
        for number, original in found:
            _repeat_error(report, number, original)
        return True

    def write(self) -> dict:
        counts = _upsert_returns_batched(self.packed)
        counts["skus_updated"] = refresh_return_rates(set(self.packed.skus))
        return counts

    def close(self) -> None:
        pass


def _upsert_returns_batched(packed: _Packed) -> dict:
    """Other databases: a batch at a time, what the batch's keys hold is read in one
    query (locked), new rows inserted and changed rows updated with one statement each
    run for many rows."""
    tally = _Tally()
    table = connection.ops.quote_name(ReturnRecord._meta.db_table)
    insert = (
        f"INSERT INTO {table} (date, sku_id, channel, region_id, orders, returned) "  # noqa: S608 - names, not input
        "VALUES (%s, %s, %s, %s, %s, %s)"
    )
    update = f"UPDATE {table} SET orders = %s, returned = %s WHERE id = %s"  # noqa: S608
    for rows in packed.batches():
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
        tally.counts["created"] += len(new)
        tally.counts["updated"] += len(changed)
        tally.counts["unchanged"] += len(rows) - len(new) - len(changed)
    return tally.counts


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


# --------------------------------------------------------------------------- actual orders and spend


def _campaigns(rows: Iterable[dict[str, str]]) -> dict[str, Any]:
    from campaigns.models import Campaign

    ids = {row["campaign"] for row in rows if row["campaign"].isascii() and row["campaign"].isdigit()}
    ids = {value for value in ids if len(value.lstrip("0")) < 10}
    return {str(c.pk): c for c in Campaign.objects.filter(pk__in=[int(i) for i in ids]).select_related("owner")}


def _campaign_ref(value: str, found: dict, errors: FieldErrors, *, required: bool):
    if not value:
        if required:
            errors.add("campaign", "This field is required.")
        return None
    value = value.lstrip("0") or "0"
    campaign = found.get(value)
    if campaign is None:
        errors.add("campaign", f"Unknown campaign id '{value[:20]}'.")
    return campaign


def _check_actual_orders(job, rows, report):
    raws = [raw for _, raw in rows]
    skus, regions, campaigns = _codes(Sku, raws, "sku"), _codes(Region, raws, "region"), _campaigns(raws)

    def clean(raw, errors):
        return {
            "date": clean_date(raw["date"], field="date", errors=errors),
            "campaign": _campaign_ref(raw["campaign"], campaigns, errors, required=False),
            "channel": _channel(raw["channel"], "channel", errors),
            "sku": _ref(raw["sku"], skus, column="sku", what="SKU", errors=errors),
            "region": _ref(raw["region"], regions, column="region", what="region", errors=errors),
            "orders": _count(raw["orders"], "orders", errors),
            "revenue": _money(raw["revenue"], "revenue", errors),
            "fulfilment_cost": _money(raw["fulfilment_cost"], "fulfilment_cost", errors),
        }

    return _check_rows(job, rows, report, clean, _actuals_key, "date")


def _actuals_key(v: dict) -> tuple:
    return (v["date"], v["campaign"].pk if v["campaign"] else None, v["channel"], v["sku"].pk, v["region"].pk)


def _apply_actual_orders(job, rows, report):
    from campaigns.models import ActualOrders

    tally = _Tally()
    dates = {v["date"] for _, v in rows}
    existing = {
        (a.date, a.campaign_id, a.channel, a.sku_id, a.region_id): a
        for a in ActualOrders.objects.filter(date__in=dates).select_for_update()
    }
    for _, v in rows:
        lookup = {k: v[k] for k in ("date", "campaign", "channel", "sku", "region")}
        values = {k: v[k] for k in ("orders", "revenue", "fulfilment_cost")}
        _upsert(ActualOrders, existing, _actuals_key(v), lookup, values, tally)
    counts = tally.counts
    campaigns = {v["campaign"].pk: v["campaign"] for _, v in rows if v["campaign"]}
    counts["outgrowing_alerts"] = alert_outgrowing(campaigns.values(), dates)
    return counts


def alert_outgrowing(campaigns: Iterable, dates: Iterable[dt.date]) -> int:
    """Alert ops and the owner, once per campaign and day, when a live campaign's actual
    orders on a day run above its approved orders/day by `MOPSYNC_OUTGROWING_MARGIN`:
    it is outgrowing its sign-off, time for a scale-up request."""
    from campaigns.models import ActualOrders, AlertLog, Status
    from campaigns.notifications import queue_notification

    live = {c.pk: c for c in campaigns if c.status == Status.LIVE}
    dates = set(dates)
    if not live or not dates:
        return 0
    margin = Decimal(str(settings.MOPSYNC_OUTGROWING_MARGIN))
    totals = (
        ActualOrders.objects.filter(campaign_id__in=live, date__in=dates)
        .values("campaign_id", "date")
        .annotate(orders=Sum("orders"))
        .order_by("campaign_id", "date")
    )
    sent = 0
    for row in totals:
        campaign = live[row["campaign_id"]]
        approved = campaign.approved_orders_per_day or campaign.orders_per_day
        if row["orders"] <= approved * (1 + margin):
            continue
        key = str(campaign.pk)
        if AlertLog.objects.filter(kind="outgrowing", key=key, day=row["date"]).exists():
            continue
        AlertLog.objects.create(kind="outgrowing", key=key, day=row["date"], campaign=campaign)
        over = round((Decimal(row["orders"]) / approved - 1) * 100) if approved else 100
        queue_notification(
            kind="outgrowing",
            campaign=campaign,
            subject=f"{campaign.name} took {row['orders']} orders on {row['date']:%d %b}, {over}% above its sign-off",
            body=(
                f"Ops approved {approved} orders/day; {campaign.name} took {row['orders']} on "
                f"{row['date']:%d %b %Y}. Request a scale-up so ops can confirm the capacity, or hold the spend."
            ),
            roles=(OPS_INVENTORY, OPS_LOGISTICS, OPS_LEAD),
            users=[campaign.owner],
        )
        sent += 1
    return sent


def _check_campaign_spend(job, rows, report):
    campaigns = _campaigns(raw for _, raw in rows)

    def clean(raw, errors):
        return {
            "date": clean_date(raw["date"], field="date", errors=errors),
            "campaign": _campaign_ref(raw["campaign"], campaigns, errors, required=True),
            "spend": _money(raw["spend"], "spend", errors),
        }

    return _check_rows(job, rows, report, clean, lambda v: (v["campaign"].pk, v["date"]), "date")


def _apply_campaign_spend(job, rows, report):
    from campaigns.models import CampaignSpend

    tally = _Tally()
    existing = {
        (s.campaign_id, s.date): s
        for s in CampaignSpend.objects.filter(campaign_id__in={v["campaign"].pk for _, v in rows}).select_for_update()
    }
    for _, v in rows:
        lookup = {"campaign": v["campaign"], "date": v["date"]}
        _upsert(CampaignSpend, existing, (v["campaign"].pk, v["date"]), lookup, {"spend": v["spend"]}, tally)
    return tally.counts


IMPORTS: dict[str, Importer] = {
    Kind.STOCK_LEVELS: Importer(_check_stock, _apply_stock),
    Kind.INBOUND_SHIPMENTS: Importer(_check_inbound, _apply_inbound),
    Kind.LANE_PERFORMANCE: Importer(_check_lane_performance, _apply_lane_performance),
    Kind.RETURNS: Importer(None, None),  # streamed: _stream_returns
    Kind.ACTUAL_ORDERS: Importer(_check_actual_orders, _apply_actual_orders),
    Kind.CAMPAIGN_SPEND: Importer(_check_campaign_spend, _apply_campaign_spend),
}


# --------------------------------------------------------------------------- reads


def import_list():
    return ImportJob.objects.select_related("created_by").defer("content")


def error_report(job: ImportJob) -> list[dict]:
    return list(job.errors or [])
