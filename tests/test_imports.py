"""Imports (issue 6): every kind with a good, a bad and a repeated file.

A bad file commits nothing and reports each error with its row (the header is row 1)
and column; a good file is applied in one transaction; the same file twice changes
nothing the second time. Lane performance and returns feed the capacity check.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import selectors
from campaigns.models import ActualOrders, AlertLog, CampaignSpend, Notification
from capacity import imports
from capacity.imports import base, returns
from capacity.models import CourierLane, ImportJob, InboundShipment, LanePerformance, ReturnRecord, Sku, StockLevel
from mopsync import versions
from mopsync.errors import InvalidInput, NotPermitted
from tests.api_support import WATCHED
from tests.helpers import live, make_world, submitted

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"


def data() -> dict:
    """Every row the imports may write (not the jobs themselves)."""
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in WATCHED if m is not ImportJob}


def run(actor, kind: str, text: str) -> ImportJob:
    job = imports.import_create(actor=actor, kind=kind, file_name=f"{kind}.csv", data=text.encode())
    imports.import_process(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def world(db):
    return make_world()


# --------------------------------------------------------------------------- stock levels

STOCK = "sku,warehouse,on_hand,as_of\nTEE-01,BOM-WH,420,2025-11-01T09:30:00+05:30\nCAP-01,BOM-WH,0,2025-11-01\n"


def test_stock_levels_good_file_sets_counts(world, ishaan):
    job = run(ishaan, "stock_levels", STOCK)

    assert (job.status, job.rows_total, job.rows_done, job.errors) == ("succeeded", 2, 2, [])
    assert StockLevel.objects.get(sku=world.sku).on_hand == 420
    assert StockLevel.objects.get(sku=world.sku2).on_hand == 0
    assert job.summary["updated"] == 2


def test_stock_levels_bad_file_commits_nothing_and_reports_rows_and_columns(world, ishaan):
    before = data()
    text = (
        "sku,warehouse,on_hand,as_of\n"
        "TEE-01,BOM-WH,420,2025-11-01\n"  # good, but the file is bad: not applied
        "NOPE,BOM-WH,1,2025-11-01\n"
        "CAP-01,BOM-WH,-3,2025-11-01\n"
        "CAP-01,BOM-WH,5,1st Nov\n"
        "TEE-01,BOM-WH,7,2025-11-02\n"
    )
    job = run(ishaan, "stock_levels", text)

    assert job.status == "failed"
    assert data() == before
    assert {(e["row"], e["column"]) for e in job.errors} == {(3, "sku"), (4, "on_hand"), (5, "as_of"), (6, "sku")}
    assert any("Duplicate row" in e["message"] and "row 2" in e["message"] for e in job.errors)
    assert any("Unknown SKU 'NOPE'" in e["message"] for e in job.errors)


def test_stock_levels_same_file_twice_changes_nothing(world, ishaan):
    run(ishaan, "stock_levels", STOCK)
    before = data()

    job = run(ishaan, "stock_levels", STOCK)

    assert job.status == "succeeded"
    assert job.summary == {"created": 0, "updated": 0, "unchanged": 2}
    assert data() == before


# --------------------------------------------------------------------------- inbound shipments

INBOUND = "sku,warehouse,quantity,expected_on\nTEE-01,BOM-WH,500,2025-12-01\nCAP-01,BOM-WH,80,2025-12-03\n"


def test_inbound_good_file_creates_shipments_and_a_new_quantity_updates_them(world, ishaan):
    job = run(ishaan, "inbound_shipments", INBOUND)
    assert job.status == "succeeded"
    assert InboundShipment.objects.get(sku=world.sku, expected_on=dt.date(2025, 12, 1)).quantity == 500

    job = run(ishaan, "inbound_shipments", INBOUND.replace(",500,", ",650,"))

    assert job.summary == {"created": 0, "updated": 1, "unchanged": 1}
    assert InboundShipment.objects.filter(sku=world.sku).count() == 1
    assert InboundShipment.objects.get(sku=world.sku).quantity == 650


def test_inbound_bad_file_commits_nothing(world, ishaan):
    before = data()
    job = run(ishaan, "inbound_shipments", INBOUND + "TEE-01,NOWHERE,0,2025-13-01\n")

    assert job.status == "failed"
    assert {(e["row"], e["column"]) for e in job.errors} == {(4, "warehouse"), (4, "quantity"), (4, "expected_on")}
    assert data() == before


def test_inbound_same_file_twice_changes_nothing(world, ishaan):
    run(ishaan, "inbound_shipments", INBOUND)
    before = data()
    assert run(ishaan, "inbound_shipments", INBOUND).status == "succeeded"
    assert data() == before


# --------------------------------------------------------------------------- lane performance


def _lanes(world) -> str:
    courier = world.lane_mumbai.courier.code
    return (
        "courier,region,period_start,period_end,shipments,delivered,ndr_count,avg_delivery_days\n"
        f"{courier},MUM,2025-10-01,2025-10-31,1000,680,320,6.5\n"
        f"{courier},MUM,2025-09-01,2025-09-30,1000,900,100,3.0\n"
        f"{courier},PUN,2025-10-01,2025-10-31,400,390,10,2.5\n"
    )


def test_lane_performance_sets_the_lanes_rates_from_the_latest_period(world, lata):
    job = run(lata, "lane_performance", _lanes(world))

    assert job.status == "succeeded", job.errors
    assert LanePerformance.objects.count() == 3
    mumbai = CourierLane.objects.get(pk=world.lane_mumbai.pk)
    assert (mumbai.ndr_rate, mumbai.avg_delivery_days) == (Decimal("0.3200"), Decimal("6.50"))
    pune = CourierLane.objects.get(pk=world.lane_pune.pk)
    assert (pune.ndr_rate, pune.avg_delivery_days) == (Decimal("0.0250"), Decimal("2.50"))


def test_lane_performance_feeds_the_checks_risk_findings(world, lata, maya):
    run(lata, "lane_performance", _lanes(world))
    campaign = submitted(world, maya)  # 30% COD, promises 4 days

    codes = {
        (f["code"], f["subject"]) for f in [f.as_dict() for f in selectors.campaign_capacity_check(campaign).findings]
    }

    assert ("ndr_risk", "MUM") in codes
    assert ("slow_delivery", "MUM") in codes
    assert ("ndr_risk", "PUN") not in codes


def test_lane_performance_bad_file_commits_nothing(world, lata):
    courier = world.lane_mumbai.courier.code
    before = data()
    text = _lanes(world) + (
        f"{courier},DEL,2025-10-01,2025-10-31,10,5,5,2\n"  # unknown region
        f"{courier},PUN,2025-11-30,2025-11-01,10,11,12,x\n"
    )
    job = run(lata, "lane_performance", text)

    assert job.status == "failed"
    assert data() == before
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (5, "region"), (6, "period_end"), (6, "delivered"), (6, "ndr_count"), (6, "avg_delivery_days"),
    }  # fmt: skip


def test_lane_performance_same_file_twice_changes_nothing(world, lata):
    run(lata, "lane_performance", _lanes(world))
    before = data()
    job = run(lata, "lane_performance", _lanes(world))
    assert job.summary == {"created": 0, "updated": 0, "unchanged": 3, "lanes_updated": 0}
    assert data() == before


# --------------------------------------------------------------------------- returns

RETURNS = (
    "date,sku,channel,region,orders,returned\n"
    "2025-10-01,TEE-01,meta,MUM,100,25\n"
    "2025-10-01,TEE-01,google,MUM,100,15\n"
    "2025-10-02,CAP-01,meta,PUN,50,2\n"
)


def test_returns_set_each_skus_return_rate(world, ishaan):
    job = run(ishaan, "returns", RETURNS)

    assert job.status == "succeeded", job.errors
    assert ReturnRecord.objects.count() == 3
    assert Sku.objects.get(pk=world.sku.pk).return_rate == Decimal("0.2000")
    assert Sku.objects.get(pk=world.sku2.pk).return_rate == Decimal("0.0400")


def test_returns_feed_the_checks_return_rate_finding(world, ishaan, maya, settings):
    settings.MOPSYNC_RETURN_RATE_THRESHOLD = 0.15
    run(ishaan, "returns", RETURNS)
    campaign = submitted(world, maya)

    findings = [f.as_dict() for f in selectors.campaign_capacity_check(campaign).findings]

    assert ("return_rate", "TEE-01") in {(f["code"], f["subject"]) for f in findings}


def test_returns_bad_file_commits_nothing(world, ishaan):
    before = data()
    job = run(ishaan, "returns", RETURNS + "2025-10-03,TEE-01,tv,MUM,10,11\n")
    assert job.status == "failed"
    assert {(e["row"], e["column"]) for e in job.errors} == {(5, "channel"), (5, "returned")}
    assert data() == before


def test_returns_same_file_twice_changes_nothing(world, ishaan):
    run(ishaan, "returns", RETURNS)
    before = data()
    assert run(ishaan, "returns", RETURNS).summary["unchanged"] == 3
    assert data() == before


def test_returns_again_creates_updates_and_leaves_rows_by_their_key(world, ishaan):
    """PostgreSQL merges through a loading table and ON CONFLICT, other databases batch
    by batch: the counts and the rows must come out the same on both."""
    run(ishaan, "returns", RETURNS)
    again = (
        "date,sku,channel,region,orders,returned\n"
        "2025-10-01,TEE-01,meta,MUM,100,25\n"  # unchanged
        "2025-10-01,TEE-01,google,MUM,120,15\n"  # changed
        "2025-10-03,CAP-01,meta,PUN,40,4\n"  # new
    )
    job = run(ishaan, "returns", again)

    assert job.status == "succeeded", job.errors
    assert {k: job.summary[k] for k in ("created", "updated", "unchanged")} == {
        "created": 1, "updated": 1, "unchanged": 1,
    }  # fmt: skip
    rows = set(ReturnRecord.objects.values_list("date", "channel", "orders", "returned"))
    assert rows == {
        (dt.date(2025, 10, 1), "meta", 100, 25), (dt.date(2025, 10, 1), "google", 120, 15),
        (dt.date(2025, 10, 2), "meta", 50, 2), (dt.date(2025, 10, 3), "meta", 40, 4),
    }  # fmt: skip


def test_returns_repeated_keys_name_the_first_row_with_that_key(world, ishaan):
    """Found in SQL on PostgreSQL (the loading table), by key in memory elsewhere: the
    report is the same, sorted by row with the file's other errors."""
    before = data()
    text = RETURNS + (
        "2025-10-01,TEE-01,google,MUM,90,1\n"  # row 5: row 3's key
        "2025-10-04,TEE-01,tv,MUM,10,1\n"  # row 6: a bad channel
        "2025-10-01,TEE-01,meta,MUM,100,25\n"  # row 7: row 2's key
    )
    job = run(ishaan, "returns", text)

    assert job.status == "failed"
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (5, "date", "Duplicate row: the same key as row 3."),
        (6, "channel", job.errors[1]["message"]),
        (7, "date", "Duplicate row: the same key as row 2."),
    ]
    assert data() == before


def test_returns_more_repeats_than_the_report_keeps_are_counted(world, ishaan, monkeypatch):
    monkeypatch.setattr(base, "MAX_ERRORS", 2)
    text = RETURNS + "2025-10-02,CAP-01,meta,PUN,50,2\n" * 5  # rows 5-9 repeat row 4

    job = run(ishaan, "returns", text)

    assert [e["row"] for e in job.errors] == [5, 6, None]
    assert job.errors[-1]["message"] == "…and 3 more errors."


def test_the_worker_reads_a_file_from_the_database_a_piece_at_a_time(world, ishaan, monkeypatch):
    """The worker never loads a file whole: only pieces of `READ_CHARS` characters of it,
    joined across lines cut in two, CRLF kept, the last line without its newline."""
    monkeypatch.setattr(base, "READ_CHARS", 16)
    text = RETURNS.replace("\n", "\r\n").rstrip("\r\n")
    job = imports.import_create(actor=ishaan, kind="returns", file_name="r.csv", data=text.encode())
    with CaptureQueriesContext(connection) as ctx:
        imports.import_process(job.pk)
    job.refresh_from_db()

    assert job.status == "succeeded", job.errors
    assert ReturnRecord.objects.count() == 3
    reads = [q["sql"] for q in ctx.captured_queries if '"content"' in q["sql"]]
    assert len(reads) == len(text) // 16 + 1  # a query per piece, until one comes back short
    assert all(re.search(r'SUBSTR(ING)?\("capacity_importjob"\."content", \d+, 16\)', sql) for sql in reads), reads


@pytest.mark.parametrize(("seconds", "writes"), [(0, 3), (3600, 0)])
def test_a_streamed_file_writes_its_progress_at_most_every_progress_seconds(
    world, ishaan, monkeypatch, seconds, writes
):
    monkeypatch.setattr(returns, "BATCH", 1)
    monkeypatch.setattr(returns, "PROGRESS_SECONDS", seconds)
    job = imports.import_create(actor=ishaan, kind="returns", file_name="r.csv", data=RETURNS.encode())
    with CaptureQueriesContext(connection) as ctx:
        imports.import_process(job.pk)

    progress = [
        q["sql"] for q in ctx.captured_queries if re.match(r'UPDATE "capacity_importjob" SET "rows_done"', q["sql"])
    ]
    assert len(progress) == writes
    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("succeeded", 3)


# --------------------------------------------------------------------------- actual orders and spend


@pytest.fixture
def running(world, maya, ishaan, lata):
    return live(world, maya, ishaan, lata)  # 100 orders/day approved


def _orders(campaign, day: dt.date, orders: int = 90) -> str:
    return (
        "date,campaign,channel,sku,region,orders,revenue,fulfilment_cost\n"
        f"{day},{campaign.pk},meta,TEE-01,MUM,{orders},{orders * 999},{orders * 60}\n"
        f"{day},,google,CAP-01,PUN,10,4990.50,600\n"
    )


def test_actual_orders_good_file(running, maya):
    job = run(maya, "actual_orders", _orders(running, timezone.localdate()))
    assert job.status == "succeeded", job.errors
    assert ActualOrders.objects.filter(campaign=running).get().orders == 90
    assert ActualOrders.objects.get(campaign=None).revenue == Decimal("4990.50")


def test_actual_orders_bad_file_commits_nothing(running, maya):
    before = data()
    text = _orders(running, timezone.localdate()) + "2025-10-01,999999,meta,TEE-01,MUM,1.5,abc,1.005\n"
    job = run(maya, "actual_orders", text)
    assert job.status == "failed"
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (4, "campaign"), (4, "orders"), (4, "revenue"), (4, "fulfilment_cost"),
    }  # fmt: skip
    assert data() == before


def test_actual_orders_same_file_twice_changes_nothing(running, maya):
    text = _orders(running, timezone.localdate())
    run(maya, "actual_orders", text)
    before = data()
    assert run(maya, "actual_orders", text).summary["unchanged"] == 2
    assert data() == before


def test_orders_above_the_sign_off_alert_ops_and_the_owner_once(running, maya, omar, settings):
    settings.MOPSYNC_OUTGROWING_MARGIN = 0.2
    today = timezone.localdate()
    Notification.objects.all().delete()

    job = run(maya, "actual_orders", _orders(running, today, orders=121))

    assert job.summary["outgrowing_alerts"] == 1
    notes = Notification.objects.filter(kind="outgrowing")
    assert {n.recipient.username for n in notes} >= {"maya", "omar", "ishaan", "lata"}
    assert "21% above" in notes.first().subject
    run(maya, "actual_orders", _orders(running, today, orders=130))
    assert AlertLog.objects.filter(kind="outgrowing").count() == 1


def test_orders_within_the_margin_alert_nobody(running, maya):
    Notification.objects.all().delete()
    job = run(maya, "actual_orders", _orders(running, timezone.localdate(), orders=120))
    assert job.summary["outgrowing_alerts"] == 0
    assert not Notification.objects.filter(kind="outgrowing").exists()


def test_campaign_spend_good_bad_and_repeated(running, maya):
    good = f"date,campaign,spend\n2025-10-01,{running.pk},15000\n2025-10-02,{running.pk},12000.50\n"
    assert run(maya, "campaign_spend", good).status == "succeeded"
    assert CampaignSpend.objects.filter(campaign=running).count() == 2
    before = data()

    assert run(maya, "campaign_spend", good).summary["unchanged"] == 2
    bad = run(maya, "campaign_spend", good + "2025-10-03,,-1\n")

    assert bad.status == "failed"
    assert {(e["row"], e["column"]) for e in bad.errors} == {(4, "campaign"), (4, "spend")}
    assert data() == before


# --------------------------------------------------------------------------- what an import changed


@pytest.fixture
def changed(monkeypatch):
    """The scopes of each `versions.changed` call, in order (the calls still do their work)."""
    calls = []
    real = versions.changed

    def spy(*scopes):
        calls.append(scopes)
        real(*scopes)

    monkeypatch.setattr(versions, "changed", spy)
    return calls


def test_a_committed_import_declares_what_its_kind_writes(world, ishaan, lata, changed):
    run(ishaan, "stock_levels", STOCK)
    assert changed[-1] == (versions.DATA,)
    run(ishaan, "inbound_shipments", INBOUND)
    assert changed[-1] == (versions.DATA,)
    run(lata, "lane_performance", _lanes(world))
    assert changed[-1] == (versions.REF, versions.DATA)  # lanes' rates: reference rows
    run(ishaan, "returns", RETURNS)
    assert changed[-1] == (versions.REF, versions.DATA)  # SKUs' return rates: reference rows


def test_campaigns_imports_declare_data_changed(running, maya, changed):
    run(maya, "actual_orders", _orders(running, timezone.localdate()))
    # and the reference rows: the contact rate learned from tickets ÷ orders is kept with them
    assert changed[-1] == (versions.REF, versions.DATA)
    run(maya, "campaign_spend", f"date,campaign,spend\n2025-10-01,{running.pk},15000\n")
    assert changed[-1] == (versions.DATA,)


def test_a_refused_file_declares_nothing_changed(world, ishaan, changed):
    run(ishaan, "returns", RETURNS + "2025-10-01,TEE-01,meta,MUM,1,1\n")  # row 2's key again
    run(ishaan, "stock_levels", STOCK + "TEE-01,NOWHERE,1,2025-11-01\n")
    assert changed == []


# --------------------------------------------------------------------------- the file itself


def test_a_wrong_header_fails_on_row_1(world, ishaan):
    job = run(ishaan, "stock_levels", "sku,warehouse,qty,as_of\nTEE-01,BOM-WH,1,2025-01-01\n")
    assert job.status == "failed"
    assert job.errors == [
        {"row": 1, "column": None, "message": "The header must be exactly: sku,warehouse,on_hand,as_of."}
    ]


def test_a_row_with_missing_columns_is_reported(world, ishaan):
    job = run(ishaan, "stock_levels", "sku,warehouse,on_hand,as_of\nTEE-01,BOM-WH\n")
    assert job.errors == [{"row": 2, "column": None, "message": "Expected 4 columns, found 2."}]


def test_a_file_over_the_limit_is_refused_with_a_clear_message(world, ishaan, settings):
    settings.MOPSYNC_IMPORT_MAX_BYTES = 100
    with pytest.raises(InvalidInput) as refused:
        imports.import_create(actor=ishaan, kind="stock_levels", file_name="big.csv", data=b"x" * 101)
    assert "at most 100 bytes" in refused.value.errors["file"][0]
    assert not ImportJob.objects.exists()


def test_marketing_cannot_import_ops_data(world, maya):
    with pytest.raises(NotPermitted):
        imports.import_create(actor=maya, kind="stock_levels", file_name="s.csv", data=STOCK.encode())
    assert not ImportJob.objects.exists()


def test_a_job_is_processed_once(world, ishaan):
    job = imports.import_create(actor=ishaan, kind="stock_levels", file_name="s.csv", data=STOCK.encode())
    assert imports.import_process(job.pk) is not None
    assert imports.import_process(job.pk) is None  # already claimed: a redelivered task does nothing


@pytest.mark.parametrize("kind", list(imports.HEADERS))
def test_each_sample_file_has_exactly_the_kinds_header(kind):
    text = (SAMPLES / f"{kind}.csv").read_text()
    assert text.splitlines()[0] == ",".join(imports.HEADERS[kind])


# --------------------------------------------------------------------------- the web page


def test_upload_page_applies_a_file_and_shows_progress(world, ishaan, client, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(ishaan)
    page = client.get("/capacity/imports/")
    assert page.status_code == 200
    assert b'name="file"' in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/capacity/imports/", {"kind": "stock_levels", "file": SimpleUploadedFile("s.csv", STOCK.encode())}
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/capacity/imports/{job.pk}/"
    detail = client.get(response["Location"])
    assert b"Succeeded" in detail.content and b"2 of 2 rows" in detail.content
    fragment = client.get(response["Location"], headers={"HX-Request": "true"})
    assert fragment.content.lstrip().startswith(b'<section id="import-status"')


def test_a_pending_import_polls_for_progress(world, ishaan, client):
    client.force_login(ishaan)
    job = imports.import_create(actor=ishaan, kind="stock_levels", file_name="s.csv", data=STOCK.encode())
    assert b'hx-trigger="every 2s"' in client.get(f"/capacity/imports/{job.pk}/").content


def test_marketing_cannot_upload_ops_data_on_the_page(world, maya, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(maya)
    response = client.post(
        "/capacity/imports/", {"kind": "stock_levels", "file": SimpleUploadedFile("s.csv", STOCK.encode())}
    )
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_the_error_report_csv_neutralises_formulas(world, ishaan, client):
    client.force_login(ishaan)
    job = run(ishaan, "stock_levels", "sku,warehouse,on_hand,as_of\n=1+2,BOM-WH,1,2025-01-01\n")

    text = client.get(f"/capacity/imports/{job.pk}/errors.csv").content.decode()

    assert "\n2,sku,Unknown SKU '=1+2'." in text  # the cell starts with a letter: nothing to neutralise


def test_a_formula_at_the_start_of_a_cell_is_quoted():
    from mopsync.csv_export import csv_text

    text = csv_text(("a", "b"), [("=cmd", "-1"), ("@x", "\tx"), ("+1", "ok")])
    assert text.splitlines() == ["a,b", "'=cmd,'-1", "'@x,'\tx", "'+1,ok"]


def test_sample_files_download(world, maya, client):
    client.force_login(maya)
    response = client.get("/capacity/imports/samples/returns.csv")
    assert response.status_code == 200
    assert response.content.decode().splitlines()[0] == "date,sku,channel,region,orders,returned"
    assert client.get("/capacity/imports/samples/nope.csv").status_code == 404
