"""What pages keep between requests (`mopsync.versions`) is never stale: a write through
any door — a service, the admin, an import — is seen by the very next request, because
the service that writes says so (`versions.changed`), and a transaction that wrote reads
its own writes.

Committed for real (transaction=True): the versions count committed writes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign
from capacity import imports
from capacity import services as capacity_services
from capacity.models import Sku, StockLevel, Warehouse
from mopsync import versions
from tests.helpers import make_world, plan_data, submitted

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh():
    versions.clear()
    yield
    versions.clear()


@pytest.fixture
def world(db):
    return make_world()


def page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_second_request_reads_the_kept_page_and_a_service_write_is_seen_at_once(world, maya, omar):
    submitted(world, maya, name="First plan", starts_on=timezone.localdate())
    assert "First plan" in page(omar, "/")
    client = Client()
    client.force_login(omar)
    client.get("/")
    with CaptureQueriesContext(connection) as kept:
        client.get("/")
    assert len(kept) <= 3  # session, user, versions

    submitted(world, maya, name="Second plan", starts_on=timezone.localdate())

    assert "Second plan" in page(omar, "/")


def test_an_admin_edit_is_seen_at_once(world, maya, admin_user):
    assert "Cotton tee" in page(maya, "/campaigns/new/")
    sku = Sku.objects.get(code="TEE-01")
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        f"/admin/capacity/sku/{sku.pk}/change/",
        {
            "code": "TEE-01", "name": "Linen tee", "safety_stock": 0, "baseline_units_per_day": 0,
            "return_rate": "0", "is_active": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]

    html = page(maya, "/campaigns/new/")
    assert "Linen tee" in html and "Cotton tee" not in html


def test_an_import_is_seen_at_once(world, ishaan, omar):
    assert "100000" in page(omar, "/capacity/").replace(",", "")
    text = "sku,warehouse,on_hand,as_of\nTEE-01,BOM-WH,4321,2026-01-01\n"
    job = imports.import_create(actor=ishaan, kind="stock_levels", file_name="s.csv", data=text.encode())
    imports.import_process(job.pk)
    assert StockLevel.objects.get(sku__code="TEE-01").on_hand == 4321

    assert "4321" in page(omar, "/capacity/").replace(",", "")


def test_a_returns_import_changes_reference_data_and_data(world, ishaan):
    """On PostgreSQL its rows are merged by one statement that starts with WITH (the COPY
    path): the job's commit says what the kind changed, SKUs' return rates included."""
    before = versions.versions()
    text = "date,sku,channel,region,orders,returned\n2025-10-01,TEE-01,meta,MUM,100,25\n"
    job = imports.import_create(actor=ishaan, kind="returns", file_name="r.csv", data=text.encode())
    imports.import_process(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.errors

    after = versions.versions()
    assert after["ref"] > before["ref"] and after["data"] > before["data"]


def test_a_write_that_says_so_is_seen_at_once_and_one_that_does_not_is_kept(world, maya, omar):
    """The memo is real (a silent write is not seen) and explicit (saying so is enough)."""
    campaign = submitted(world, maya, name="Renamed later", starts_on=timezone.localdate())
    assert "Renamed later" in page(omar, "/")

    Campaign.objects.filter(pk=campaign.pk).update(name="Renamed silently")
    assert "Renamed later" in page(omar, "/")  # answered from what the process keeps

    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(name="Renamed now")
        versions.changed(versions.DATA)

    assert "Renamed now" in page(omar, "/")


def test_reference_data_is_kept_until_it_changes(world, maya, omar):
    page(maya, "/campaigns/new/")
    before = versions.versions()
    submitted(world, maya)  # campaign data, not reference data
    after = versions.versions()
    assert after["ref"] == before["ref"] and after["data"] > before["data"]

    warehouse = Warehouse.objects.get(code="BOM-WH")
    capacity_services.warehouse_save(
        actor=omar, warehouse=warehouse, code="BOM-WH", name="Bhiwandi North", daily_dispatch_capacity=9_000
    )

    assert versions.versions()["ref"] > after["ref"]
    assert "Bhiwandi North" in page(omar, "/capacity/")


def test_a_transaction_reads_its_own_writes_and_a_rollback_bumps_nothing(world, maya):
    def names() -> list[str]:
        return versions.memo("names", None, lambda: sorted(Campaign.objects.values_list("name", flat=True)))

    assert names() == []
    start = versions.versions()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.campaign_create(actor=maya, data=plan_data(world, name="Never committed"))
        assert names() == ["Never committed"]  # its own write, not the kept answer
        raise RuntimeError

    assert versions.versions() == start
    assert names() == []

    with transaction.atomic():
        services.campaign_create(actor=maya, data=plan_data(world, name="Committed"))
    assert names() == ["Committed"]


def test_the_calendar_and_the_queue_see_a_new_campaign_at_once(world, maya, omar):
    start = timezone.localdate() + dt.timedelta(days=3)
    month = f"/calendar/?month={start:%Y-%m}"
    page(omar, month)
    page(omar, "/approvals/")

    submitted(world, maya, name="Late entry", starts_on=start, ends_on=start)

    assert "Late entry" in page(omar, month)
    assert "Late entry" in page(omar, "/approvals/")
