"""Hypothesis over the CSV importers (capacity/imports/): hostile files never crash them.

For each of the six kinds, files made of arbitrary bytes, of arbitrary text under the
kind's header, and of rows mixing valid values (known codes, dates, numbers) with
hostile ones (control characters, quotes, separators, huge or negative numbers, bad
dates, formulas), written as proper CSV or as raw malformed lines:
- the upload is either refused with field errors (size, encoding, NUL) or accepted, and
  an accepted file's import ends `succeeded` or `failed`, never with an exception;
- a failed import reports every error with a row (or none, for the whole file), a
  column (or none) and a message, and changed nothing;
- a succeeded import, run again with the same file, succeeds and changes nothing.

Each example runs in a savepoint that is rolled back, so every example starts from the
same world. Derandomized, so CI runs are reproducible; MOPSYNC_IMPORT_FUZZ_EXAMPLES
(default 40) sets the examples per test and kind.
"""

from __future__ import annotations

import csv
import io
import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from campaigns.models import Channel
from capacity import imports
from capacity.models import ImportJob, SupportChannel
from mopsync.errors import InvalidInput
from tests.api_support import WATCHED
from tests.helpers import live, make_world

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("MOPSYNC_IMPORT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
KINDS = list(imports.HEADERS)


def stored() -> dict:
    """Every row an import may write (not the jobs themselves)."""
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in WATCHED if m is not ImportJob}


@pytest.fixture
def world(db, maya, ishaan, lata):
    world = make_world()
    campaign = live(world, maya, ishaan, lata)
    return {
        "sku": [world.sku.code, world.sku2.code],
        "warehouse": [world.warehouse.code],
        "region": [world.mumbai.code, world.pune.code],
        "courier": [world.lane_mumbai.courier.code],
        "campaign": [str(campaign.pk)],
        "channel": list(Channel.values),
        "score": ["1", "2", "3", "4", "5"],
        "customer_ref": ["", "CUST-42", "asha@example.com", "ab" * 32],
    }


def columns_of(world: dict, kind: str) -> dict:
    """`world`'s valid values as `kind` reads them: support tickets' channels are support's."""
    if kind == "support_tickets":
        return {**world, "channel": list(SupportChannel.values)}
    return world


# --------------------------------------------------------------------------- values

HOSTILE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "1e9",
            "1E+999999",
            "NaN",
            "Infinity",
            "-0",
            "0x10",
            "1_000",
            "１２",
            " 12 ",
            "3.5",
            "99999999999999999999",
            "2147483648",
            "=1+1",
            "+SUM(A1)",
            "@cmd",
            '"quoted"',
            "a,b",
            "line\nbreak",
            "2025-02-30",
            "2025-13-01",
            "1999-12-31",
            "2101-01-01",
            "9999-12-31",
            "0001-01-01",
            "2025-11-01T25:00",
            "2025-11-01T09:30:00+14:00",
            "2025-11-01T09:30:00-12:00",
            "tomorrow",
            "\u202e",
            "\x7f",
            "\r",
            "TEE-01 ",
            "tee-01",
            "MUM\t",
        ]
    ),  # fmt: skip
)


def valid_value(world: dict, column: str) -> st.SearchStrategy[str]:
    """A value that passes the column's own check (a row can still fail as a whole)."""
    if column in world:
        pool = [*world[column], ""] if column == "campaign" else world[column]
        return st.sampled_from(pool)
    if column in ("as_of",):
        return st.one_of(
            st.dates(min_value=dt_date(2000), max_value=dt_date(2100)).map(str),
            st.sampled_from(["2025-11-01T09:30:00+05:30", "2025-11-01T09:30", "2026-01-01T00:00:00Z"]),
        )
    if column in ("expected_on", "period_start", "period_end", "date"):
        return st.dates(min_value=dt_date(2024), max_value=dt_date(2027)).map(str)
    if column in ("revenue", "fulfilment_cost", "spend"):
        return st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False).map(str)
    if column == "avg_delivery_days":
        return st.decimals(min_value=0, max_value=999, places=2, allow_nan=False, allow_infinity=False).map(str)
    # counts: small ones most of the time, sometimes the largest the database holds
    return st.one_of(st.integers(0, 500), st.integers(0, 2_147_483_647)).map(str)


def dt_date(year: int):
    import datetime as dt

    return dt.date(year, 1, 1)


@st.composite
def csv_rows(draw, world: dict, kind: str) -> list[list[str]]:
    """Rows of `kind`: most all-valid, some with hostile cells, some of the wrong width."""
    header = list(imports.HEADERS[kind])
    world = columns_of(world, kind)
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        style = draw(st.sampled_from(["valid", "valid", "valid", "mixed", "width"]))
        if style == "width":
            rows.append(draw(st.lists(HOSTILE, max_size=len(header) + 2)))
            continue
        row = {}
        for column in header:
            hostile = style == "mixed" and draw(st.booleans())
            row[column] = draw(HOSTILE if hostile else valid_value(world, column))
        rows.append(list(coherent(row).values()))
    return rows


def coherent(row: dict[str, str]) -> dict[str, str]:
    """Valid cells of one row that also agree with each other (delivered ≤ shipments, ...),
    so that all-valid rows import; a hostile cell is left as it is."""

    def number(column):
        value = row.get(column, "")
        return int(value) if value.isascii() and value.isdigit() else None

    pairs = [("delivered", "shipments"), ("ndr_count", "shipments"), ("returned", "orders")]
    for small, big in pairs:
        if number(small) is not None and number(big) is not None and number(small) > number(big):
            row[small], row[big] = row[big], row[small]
    if number("quantity") == 0:
        row["quantity"] = "1"
    start, end = row.get("period_start", ""), row.get("period_end", "")
    if len(start) == len(end) == 10 and start[:4].isdigit() and end[:4].isdigit() and start > end:
        row["period_start"], row["period_end"] = end, start
    return row


def as_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


# --------------------------------------------------------------------------- invariants


def import_once(actor, kind: str, data: bytes) -> ImportJob | None:
    """Upload and process `data`; None when the upload itself is refused (400 material)."""
    try:
        job = imports.import_create(actor=actor, kind=kind, file_name="fuzz.csv", data=data)
    except InvalidInput as exc:
        assert set(exc.errors) == {"file"}, exc.errors
        return None
    imports.import_process(job.pk)
    job.refresh_from_db()
    return job


def assert_import_holds(actor, kind: str, data: bytes) -> str | None:
    """The invariants of one file, inside a savepoint that is rolled back. Returns the status."""
    with transaction.atomic():
        before = stored()
        job = import_once(actor, kind, data)
        status = job.status if job else None
        if job is not None:
            assert job.status in ("succeeded", "failed")
            if job.status == "failed":
                assert job.errors, "a failed import says why"
                for error in job.errors:
                    assert set(error) == {"row", "column", "message"}
                    assert error["row"] is None or isinstance(error["row"], int)
                    assert error["column"] is None or error["column"] in imports.HEADERS[kind]
                    assert isinstance(error["message"], str) and error["message"]
                assert stored() == before, "a failed import changed something"
            else:
                assert job.errors == []
                after = stored()
                again = import_once(actor, kind, data)
                assert again is not None and again.status == "succeeded", again.errors if again else None
                assert again.summary["created"] == again.summary["updated"] == 0, again.summary
                assert stored() == after, "importing the same file again changed something"
        transaction.set_rollback(True)
    return status


def fuzz_import(actor, kind: str, data: bytes) -> None:
    """`assert_import_holds` inside a Hypothesis test, tallying the outcomes
    (pytest --hypothesis-show-statistics shows how many failed, succeeded or were refused)."""
    status = assert_import_holds(actor, kind, data)
    event(f"import {status or 'refused at upload'}")


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.binary(max_size=300))
def test_any_bytes_are_refused_or_imported_never_a_crash(world, omar, kind, data):
    fuzz_import(omar, kind, data)


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(text=st.text(max_size=300), header=st.booleans())
def test_any_text_under_the_header_never_crashes(world, omar, kind, text, header):
    prefix = ",".join(imports.HEADERS[kind]) + "\n" if header else ""
    fuzz_import(omar, kind, (prefix + text).encode())


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(data=st.data(), raw=st.booleans())
def test_rows_of_good_and_hostile_values_fail_cleanly_or_import_idempotently(world, omar, kind, data, raw):
    rows = data.draw(csv_rows(world, kind))
    header = ",".join(imports.HEADERS[kind])
    # raw: cells joined by commas with no quoting at all, as a hand-made file would be
    body = "".join(",".join(row) + "\n" for row in rows) if raw else as_csv(rows)
    fuzz_import(omar, kind, (header + "\n" + body).encode())


@pytest.mark.parametrize("kind", KINDS)
def test_the_sample_rows_of_each_kind_import_idempotently(world, omar, kind):
    """The fuzzing above must reach the succeeded branch: all-valid rows do."""
    rows = [[valid_example(columns_of(world, kind), column) for column in imports.HEADERS[kind]]]
    text = ",".join(imports.HEADERS[kind]) + "\n" + as_csv(rows)
    assert assert_import_holds(omar, kind, text.encode()) == "succeeded"


def valid_example(world: dict, column: str) -> str:
    if column in world:
        return world[column][0]
    return {
        "as_of": "2025-11-01",
        "expected_on": "2025-12-01",
        "period_start": "2025-10-01",
        "period_end": "2025-10-31",
        "date": "2025-11-01",
        "avg_delivery_days": "3.5",
        "revenue": "1000.00",
        "fulfilment_cost": "50.00",
        "spend": "4500.00",
        "shipments": "100",
        "delivered": "90",
        "ndr_count": "10",
        "orders": "40",
        "returned": "4",
    }.get(column, "5")
