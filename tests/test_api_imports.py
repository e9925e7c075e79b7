"""`/api/v1/imports/`, `/api/v1/metrics/<name>/` and `/api/v1/campaigns/{id}/projection.csv`.

Only ops roles import ops data (stock_levels, inbound_shipments, lane_performance,
returns); marketing or the ops lead import actual_orders and campaign_spend. Uploads
answer 202 `{id, status}`; the worker's result is read at `imports/{id}/`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns import metrics
from capacity.models import ImportJob, Sku, StockLevel
from tests.api_support import client_for
from tests.helpers import make_world, submitted

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/"
STOCK = b"sku,warehouse,on_hand,as_of\nTEE-01,BOM-WH,420,2025-11-01\n"


@pytest.fixture
def world(db):
    return make_world()


def upload(username: str, kind: str, content: bytes, name: str = "file.csv"):
    return client_for(username).post(
        URL, {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="text/csv")}, format="multipart"
    )


def test_upload_answers_202_and_the_job_reports_success(world, ishaan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload("ishaan", "stock_levels", STOCK)

    assert response.status_code == 202
    assert response.json() == {"id": response.json()["id"], "status": "pending"}
    job = client_for("ishaan").get(f"{URL}{response.json()['id']}/").json()
    assert job == {
        "id": response.json()["id"],
        "kind": "stock_levels",
        "status": "succeeded",
        "rows_total": 1,
        "rows_done": 1,
        "errors": [],
    }
    assert StockLevel.objects.get(sku=world.sku).on_hand == 420


def test_a_bad_file_ends_failed_with_its_row_level_report(world, ishaan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload("ishaan", "stock_levels", STOCK + b"TEE-99,BOM-WH,1,2025-11-01\n")

    job = client_for("ishaan").get(f"{URL}{response.json()['id']}/").json()
    assert job["status"] == "failed"
    assert job["errors"] == [{"row": 3, "column": "sku", "message": "Unknown SKU 'TEE-99'."}]
    assert StockLevel.objects.get(sku=world.sku).on_hand == 100_000


@pytest.mark.parametrize(
    ("username", "kind"),
    [
        ("maya", "stock_levels"),
        ("maya", "inbound_shipments"),
        ("maya", "lane_performance"),
        ("maya", "returns"),
        ("lata", "stock_levels"),
        ("ishaan", "lane_performance"),
        ("ishaan", "actual_orders"),
        ("lata", "campaign_spend"),
    ],
)
def test_roles_that_do_not_keep_the_data_are_refused_and_nothing_is_stored(world, maya, ishaan, lata, username, kind):
    response = upload(username, kind, STOCK)

    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    assert not ImportJob.objects.exists()


def test_an_outsider_and_anonymous_are_refused(world, outsider):
    assert upload("outsider", "stock_levels", STOCK).status_code == 403
    assert upload("anonymous", "stock_levels", STOCK).status_code == 401


def test_a_file_over_the_limit_is_a_400_with_a_clear_message(world, ishaan, settings):
    settings.MOPSYNC_IMPORT_MAX_BYTES = 10

    response = upload("ishaan", "stock_levels", STOCK)

    assert response.status_code == 400
    assert "at most 10 bytes" in response.json()["file"][0]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "stock_levels"}, "file"),
        ({"kind": "nope", "file": SimpleUploadedFile("a.csv", STOCK)}, "kind"),
        ({"kind": "stock_levels", "file": SimpleUploadedFile("a.csv", b"\xff\xfe\x00bad")}, "file"),
        ({"kind": "stock_levels", "file": SimpleUploadedFile("a.csv", b"")}, "file"),
    ],
    ids=["no file", "unknown kind", "not utf-8", "empty"],
)
def test_bad_uploads_are_400s(world, ishaan, body, field):
    response = client_for("ishaan").post(URL, body, format="multipart")
    assert response.status_code == 400
    assert field in response.json()
    assert not ImportJob.objects.exists()


def test_list_and_unknown_ids(world, ishaan):
    upload("ishaan", "stock_levels", STOCK)
    listing = client_for("ishaan").get(URL).json()
    assert listing["count"] == 1
    assert set(listing["results"][0]) == {"id", "kind", "status", "rows_total", "rows_done", "errors"}
    for bad in ("999999", "abc", "0.5", "99999999999999"):
        assert client_for("ishaan").get(f"{URL}{bad}/").status_code == 404


def test_the_list_query_count_does_not_grow_with_jobs(world, ishaan):
    upload("ishaan", "stock_levels", STOCK)
    client = client_for("ishaan")
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for _ in range(5):
        upload("ishaan", "stock_levels", STOCK)
    with CaptureQueriesContext(connection) as six:
        client.get(URL)
    assert len(six) == len(one)


# --------------------------------------------------------------------------- metrics


@pytest.mark.parametrize("name", list(metrics.METRICS))
def test_every_metric_answers_with_its_results(world, maya, name):
    response = client_for("maya").get(f"/api/v1/metrics/{name}/", {"start": "2025-01-01", "end": "2025-12-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == name
    assert body["filters"]["start"] == "2025-01-01"
    assert isinstance(body["results"], list)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"start": "2025-02-01", "end": "2025-01-01"}, "end"),
        ({"channel": "tv"}, "channel"),
        ({"region": "MUM\x00"}, "region"),
        ({"campaign": "1e99"}, "campaign"),
    ],
)
def test_bad_metric_filters_are_400s(world, maya, query, field):
    response = client_for("maya").get("/api/v1/metrics/roas/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_an_unknown_metric_is_a_404(world, maya):
    assert client_for("maya").get("/api/v1/metrics/vibes/").status_code == 404


# --------------------------------------------------------------------------- projection


def test_the_projection_csv_matches_the_plan(world, maya):
    campaign = submitted(world, maya)  # 100 orders/day; MUM/PUN 50/50; TEE-01 60%, CAP-01 40%; 5 days

    response = client_for("maya").get(f"/api/v1/campaigns/{campaign.pk}/projection.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 5 * 2 * 2
    first_day = [r for r in rows if r["date"] == campaign.starts_on.isoformat()]
    assert {(r["region"], r["sku"], r["orders"], r["units"]) for r in first_day} == {
        ("MUM", "CAP-01", "20.00", "20.00"),
        ("MUM", "TEE-01", "30.00", "30.00"),
        ("PUN", "CAP-01", "20.00", "20.00"),
        ("PUN", "TEE-01", "30.00", "30.00"),
    }
    assert sum(float(r["orders"]) for r in rows) == campaign.orders_per_day * campaign.days


def test_the_projection_csv_neutralises_formulas_in_names(world, maya):
    Sku.objects.filter(pk=world.sku.pk).update(name='=HYPERLINK("http://evil","x")')
    world.mumbai.name = "+cmd|' /C calc'!A0"
    world.mumbai.save()
    campaign = submitted(world, maya)

    text = b"".join(
        client_for("maya").get(f"/api/v1/campaigns/{campaign.pk}/projection.csv").streaming_content
    ).decode()

    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["sku_name"] for r in rows if r["sku"] == "TEE-01"} == {'\'=HYPERLINK("http://evil","x")'}
    assert {r["region_name"] for r in rows if r["region"] == "MUM"} == {"'+cmd|' /C calc'!A0"}


def test_the_projection_of_an_unknown_campaign_is_a_404(world, maya):
    assert client_for("maya").get("/api/v1/campaigns/424242/projection.csv").status_code == 404


def test_the_projection_is_streamed_and_narrowed_by_start_and_end(world, maya):
    campaign = submitted(world, maya)  # 5 days × 2 regions × 2 SKUs
    day2 = campaign.starts_on + dt.timedelta(days=1)
    response = client_for("maya").get(
        f"/api/v1/campaigns/{campaign.pk}/projection.csv", {"start": day2.isoformat(), "end": day2.isoformat()}
    )
    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["date"] for r in rows} == {day2.isoformat()} and len(rows) == 4


def test_a_projection_over_the_row_cap_is_a_400_before_any_row(world, maya, settings):
    settings.MOPSYNC_PROJECTION_MAX_ROWS = 19
    campaign = submitted(world, maya)  # 20 rows
    response = client_for("maya").get(f"/api/v1/campaigns/{campaign.pk}/projection.csv")
    assert response.status_code == 400
    assert "has 20 rows" in response.json()["end"][0] and "at most 19" in response.json()["end"][0]
    fewer = client_for("maya").get(
        f"/api/v1/campaigns/{campaign.pk}/projection.csv",
        {"end": (campaign.ends_on - dt.timedelta(days=1)).isoformat()},
    )
    assert fewer.status_code == 200


def test_a_bad_projection_date_is_a_400(world, maya):
    campaign = submitted(world, maya)
    response = client_for("maya").get(f"/api/v1/campaigns/{campaign.pk}/projection.csv", {"start": "soon"})
    assert response.status_code == 400
    assert "start" in response.json()
