"""What every import kind is built on: the description of a kind (`ImportKind`), the
stored file read as rows, the row-level error report, the cleaning helpers and the
write of a row by its natural key.

This is the interface a kind is written against, in `capacity` (stock, inbound, lane
performance, returns) and in `campaigns.import_kinds` (actual orders, spend), which
registers its kinds with `capacity.imports.register` from its app config: `capacity`
never imports `campaigns`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models.functions import Substr
from django.utils import timezone

from capacity import services
from capacity.models import ImportJob
from mopsync.channels import Channel
from mopsync.validation import FieldErrors, clean_decimal, clean_int

MAX_ERRORS = 500  # stored per job; a file this broken needs fixing at the source anyway
PROGRESS_EVERY = 500  # rows between progress writes
READ_CHARS = 1 << 20  # characters of a stored file read from the database at a time
MAX_MONEY = Decimal("999999999999.99")

Rows = list[tuple[int, dict[str, str]]]  # (row number, {column: text}); the header is row 1
Cleaned = list[tuple[int, dict]]  # (row number, {column: clean value})
# Runs a write in the import's one transaction and returns its summary ({} if refused).
Commit = Callable[[Callable[[], dict]], dict]


@dataclass(frozen=True)
class ImportKind:
    """One kind of file: its exact header, the roles that may send it, the versions scopes
    its write changes (`mopsync.versions`: REF and DATA when it writes reference rows),
    and how it is processed: either `check` (clean the rows, read whole, report their
    errors) and `apply` (write the clean rows), or `stream` (read the file itself, a
    piece at a time, and hand the write to `commit`)."""

    kind: str  # an ImportJob.Kind
    header: tuple[str, ...]
    importers: frozenset[str]
    changes: tuple[str, ...]
    check: Callable[[ImportJob, Rows, Report], Cleaned] | None = None
    apply: Callable[[ImportJob, Cleaned, Report], dict] | None = None
    stream: Callable[[ImportJob, Report, Commit], dict] | None = None
    # Trailing columns of `header` a file may leave out (read as blank), e.g. actual
    # orders' `customer_ref`: files written before the column existed still import.
    optional: tuple[str, ...] = ()
    # Rewrites the uploaded text before it is stored (e.g. hashes customer ids): what a
    # kind must never keep raw never reaches the database, not even on the job.
    redact: Callable[[str], str] | None = None


# --------------------------------------------------------------------------- the error report


@dataclass
class Report:
    """A job's errors, `[{row, column, message}]`: the first `MAX_ERRORS`, then a count."""

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


# --------------------------------------------------------------------------- reading the file


def lines(text: str, start: int = 0, size: int | None = None):
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


def file_lines(job: ImportJob):
    """The lines of the job's file, read from the database `READ_CHARS` at a time, so a
    worker holds about one piece of the file, never all of it (the job is loaded without
    its `content`; a job that has it loaded is read from memory)."""
    if "content" not in job.get_deferred_fields():
        yield from lines(job.content)
        return
    found = ImportJob.objects.filter(pk=job.pk)
    start, rest = 1, ""
    while True:
        piece = found.annotate(piece=Substr("content", start, READ_CHARS)).values_list("piece", flat=True).get()
        if not piece:
            break
        start += READ_CHARS
        text = rest + piece
        end = text.rfind("\n") + 1  # the last whole line; what follows waits for the next piece
        yield from lines(text, 0, end)
        rest = text[end:]
        if len(piece) < READ_CHARS:
            break
    if rest:
        yield rest


@dataclass
class Shape:
    header_ok: bool = False
    rows: int = 0  # data rows (not blank), well-formed or not


def read(job: ImportJob, header: tuple[str, ...], report: Report, optional: tuple[str, ...] = ()) -> Rows | None:
    """The file's data rows as (row number, {column: text}), or None if its shape is wrong."""
    shape = Shape()
    found = list(rows(job, header, report, shape, optional))
    return found if shape.header_ok else None


def rows(job: ImportJob, header: tuple[str, ...], report: Report, shape: Shape, optional: tuple[str, ...] = ()):
    """The file's data rows as (row number, {column: text}), one at a time, as they are
    read: header and column-count problems go to `report`; `shape` says at the end
    whether the header was right and how many data rows there were (it corrects
    `rows_total` when the upload's count differs). The `optional` trailing columns of
    `header` may be missing from the file: they read as blank."""
    for number, found in cells(job, header, report, shape, optional):
        yield number, dict(zip(header, found, strict=True))


def _header_message(header: tuple[str, ...], optional: tuple[str, ...]) -> str:
    message = f"The header must be exactly: {','.join(header)}."
    if optional:
        message += f" The last column{'s' if len(optional) > 1 else ''} ({', '.join(optional)}) may be left out."
    return message


def cells(job: ImportJob, header: tuple[str, ...], report: Report, shape: Shape, optional: tuple[str, ...] = ()):
    """What `rows` reads, as (row number, [stripped cell, …]) in the header's order:
    no dict per row, for the importers that read rows by position."""
    shortest = header[: len(header) - len(optional)]
    width, missing = len(header), 0
    reader = csv.reader(file_lines(job))
    header_row = None
    try:
        for number, line in enumerate(reader, start=1):
            found = [cell.strip() for cell in line]
            if not any(found):
                continue
            if header_row is None:
                header_row = number
                given = tuple(found)
                if given != header and not (len(shortest) <= len(given) and header[: len(given)] == given):
                    report.add(number, None, _header_message(header, optional))
                    return
                width, missing = len(given), len(header) - len(given)
                shape.header_ok = True
                continue
            shape.rows += 1
            if len(found) != width:
                report.add(number, None, f"Expected {width} columns, found {len(found)}.")
                continue
            yield number, found + [""] * missing if missing else found
    except csv.Error as exc:
        report.add(None, None, f"Not a readable CSV file: {exc}.")
        shape.header_ok = False
        return
    if header_row is None:
        report.add(1, None, f"The file is empty; the header must be: {','.join(header)}.")
        return
    if shape.rows == 0:
        report.add(None, None, "The file has a header and no rows.")
    if job.rows_total != shape.rows:
        ImportJob.objects.filter(pk=job.pk).update(rows_total=shape.rows)
        job.rows_total = shape.rows


def progress(job: ImportJob, done: int) -> None:
    if done % PROGRESS_EVERY == 0:
        ImportJob.objects.filter(pk=job.pk).update(rows_done=done)


# --------------------------------------------------------------------------- cleaning


def codes(model, raws: Iterable[dict[str, str]], column: str) -> dict[str, Any]:
    """Instances of `model` by code, for the codes in `column` of `raws` (one query)."""
    found = {raw[column] for raw in raws if raw[column] and "\x00" not in raw[column]}
    return {obj.code: obj for obj in model.objects.filter(code__in=found)} if found else {}


def ref(value: str, found: dict, *, column: str, what: str, errors: FieldErrors):
    if not value:
        errors.add(column, "This field is required.")
        return None
    obj = found.get(value)
    if obj is None:
        errors.add(column, f"Unknown {what} '{value[:40]}'.")
    return obj


def count(value: str, column: str, errors: FieldErrors, *, minimum: int = 0) -> int | None:
    return clean_int(value, field=column, errors=errors, minimum=minimum, maximum=services.MAX_COUNT)


def money(value: str, column: str, errors: FieldErrors) -> Decimal | None:
    return clean_decimal(value, field=column, errors=errors, minimum=Decimal("0"), maximum=MAX_MONEY, places=2)


def channel(value: str, column: str, errors: FieldErrors) -> str | None:
    if value not in Channel.values:
        errors.add(column, f"Must be one of: {', '.join(Channel.values)}.")
        return None
    return value


def moment(value: str, column: str, errors: FieldErrors) -> dt.datetime | None:
    """An ISO 8601 date or date and time; a date is its midnight, naive times are the organisation's."""
    try:
        found = dt.datetime.fromisoformat(value)
    except ValueError:
        errors.add(column, "A date or date and time in ISO 8601 form (YYYY-MM-DD[THH:MM]) is required.")
        return None
    if not 2000 <= found.year <= 2100:
        errors.add(column, "Must be between the years 2000 and 2100.")
        return None
    if timezone.is_naive(found):
        found = timezone.make_aware(found)
    return found


def check_rows(
    job: ImportJob,
    raws: Rows,
    report: Report,
    clean: Callable[[dict[str, str], FieldErrors], dict | None],
    key: Callable[[dict], tuple],
    key_column: str,
) -> Cleaned:
    """Clean each row, report its errors by column, and refuse repeated natural keys."""
    cleaned: Cleaned = []
    seen: dict[tuple, int] = {}
    for done, (number, raw) in enumerate(raws, start=1):
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
        progress(job, done)
    return cleaned


# --------------------------------------------------------------------------- writing


class Tally:
    def __init__(self) -> None:
        self.counts = {"created": 0, "updated": 0, "unchanged": 0}

    def __call__(self, what: str) -> None:
        self.counts[what] += 1


def upsert(model, existing: dict[tuple, Any], natural: tuple, lookup: dict, values: dict, tally: Tally):
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
