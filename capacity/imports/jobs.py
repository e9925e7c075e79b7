"""An import job's life: who may import what, the upload (`import_create`), the hand-off
to a worker (`publish`, `sweep`), the processing (`import_process`) and the reads.

The kinds are registered here (`register`): capacity's own by `capacity.imports`,
campaigns' by its app config. This module knows a kind only by its `ImportKind`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from capacity.imports import base
from capacity.imports.base import ImportKind, Report
from capacity.models import ImportJob
from mopsync import versions
from mopsync.errors import DomainError, InvalidInput, NotPermitted
from mopsync.roles import user_roles

log = logging.getLogger(__name__)

Kind = ImportJob.Kind
Status = ImportJob.Status

# The registered kinds, and their headers and importers, in the order of `ImportJob.Kind`.
KINDS: dict[str, ImportKind] = {}
HEADERS: dict[str, tuple[str, ...]] = {}
# Who may import each kind: ops data by the ops role that keeps it, marketing data by
# marketing (or the ops lead, who sees both sides).
IMPORTERS: dict[str, frozenset[str]] = {}


def register(*kinds: ImportKind) -> None:
    """Make `kinds` importable (a kind registered again replaces itself). `KINDS`,
    `HEADERS` and `IMPORTERS` are updated in place, in the order of `ImportJob.Kind`
    whatever the order of registration."""
    found = {**KINDS, **{Kind(kind.kind): kind for kind in kinds}}
    ordered = [(name, found[name]) for name in Kind if name in found]
    KINDS.clear()
    KINDS.update(ordered)
    HEADERS.clear()
    HEADERS.update((name, kind.header) for name, kind in ordered)
    IMPORTERS.clear()
    IMPORTERS.update((name, kind.importers) for name, kind in ordered)


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
    redact = KINDS[kind].redact
    if redact is not None:
        text = redact(text)
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


# --------------------------------------------------------------------------- hand-off to a worker


_broker_down_until = 0.0  # monotonic; per process


def publish(job_id: int) -> None:
    """Hand a job to the worker; a broker failure leaves it `pending` for `sweep` (the
    upload has committed and must neither fail nor hang)."""
    global _broker_down_until
    # Imported here: `capacity.tasks` imports this module (its task calls `import_process`),
    # so the task is looked up when a job is published, as `campaigns.notifications.publish` does.
    from capacity.tasks import process_import

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
    report = Report()
    summary: dict = {}
    try:
        if not can_import(job.created_by, job.kind):
            report.add(None, None, "Whoever uploaded this file no longer has a role that may import it.")
        else:
            kind = KINDS[job.kind]
            if kind.stream is not None:
                summary = kind.stream(job, report, lambda write: _commit(kind, write, report))
            else:
                rows = base.read(job, kind.header, report, kind.optional)
                if rows is not None:
                    cleaned = kind.check(job, rows, report)
                    if not report.errors:
                        summary = _commit(kind, lambda: kind.apply(job, cleaned, report), report)
    except Exception:
        _finish(job, Status.FAILED, report, {}, message="The import stopped on an internal error; nothing was saved.")
        raise
    _finish(job, Status.FAILED if report.errors else Status.SUCCEEDED, report, summary)
    return job


def _commit(kind: ImportKind, write: Callable[[], dict], report: Report) -> dict:
    """Run `write` in one transaction; any refusal rolls all of it back. A write that
    commits has changed the kind's data: memos read before it are stale."""
    try:
        with transaction.atomic():
            summary = write()
            if report.errors:
                raise _Rollback
            versions.changed(*kind.changes)
    except _Rollback:
        return {}
    except DomainError as exc:  # e.g. the uploader lost the role a service asks for
        report.add(None, None, exc.message)
        return {}
    return summary


def _finish(job: ImportJob, status: str, report: Report, summary: dict, *, message: str = "") -> None:
    if message:
        report.add(None, None, message)
    job.status = status
    job.errors = report.as_list()
    job.summary = summary
    job.finished_at = timezone.now()
    if status == Status.SUCCEEDED:
        job.rows_done = job.rows_total
    job.save(update_fields=["status", "errors", "summary", "finished_at", "rows_done"])


# --------------------------------------------------------------------------- reads


def import_list():
    return ImportJob.objects.select_related("created_by").defer("content")


def error_report(job: ImportJob) -> list[dict]:
    return list(job.errors or [])
