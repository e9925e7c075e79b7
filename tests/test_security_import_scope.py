"""Issue 18.9: imports of actual orders and spend write only the uploader's own campaigns'
figures (marketing); an ops lead imports for every campaign. A row naming someone else's
campaign is reported on its own row, and (as with any error) the file commits nothing."""

from __future__ import annotations

import pytest

from campaigns.models import ActualOrders, CampaignSpend
from capacity import imports
from capacity.models import ImportJob
from tests.helpers import live, make_world

pytestmark = pytest.mark.django_db

ORDERS_HEADER = "date,campaign,channel,sku,region,orders,revenue,fulfilment_cost\n"


def run(actor, kind: str, text: str) -> ImportJob:
    job = imports.import_create(actor=actor, kind=kind, file_name=f"{kind}.csv", data=text.encode())
    imports.import_process(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def mayas(db, maya, ishaan, lata):
    return live(make_world(), maya, ishaan, lata)


def test_marketing_cannot_write_spend_on_someone_elses_campaign(mayas, mark):
    job = run(mark, "campaign_spend", f"date,campaign,spend\n2026-12-01,{mayas.pk},15000\n2026-12-02,{mayas.pk},1\n")
    assert job.status == "failed"
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "campaign"), (3, "campaign")]
    assert "your own campaigns only" in job.errors[0]["message"]
    assert "maya" in job.errors[0]["message"]
    assert not CampaignSpend.objects.exists()


def test_marketing_cannot_write_orders_on_someone_elses_campaign(mayas, mark):
    rows = f"2026-12-01,{mayas.pk},meta,TEE-01,MUM,90,89910,5400\n2026-12-01,,google,CAP-01,PUN,10,4990.50,600\n"
    job = run(mark, "actual_orders", ORDERS_HEADER + rows)
    assert job.status == "failed"
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "campaign")]
    assert not ActualOrders.objects.exists()


def test_the_owner_imports_their_own_and_orders_no_campaign_brought(mayas, maya):
    rows = f"2026-12-01,{mayas.pk},meta,TEE-01,MUM,90,89910,5400\n2026-12-01,,google,CAP-01,PUN,10,4990.50,600\n"
    assert run(maya, "actual_orders", ORDERS_HEADER + rows).status == "succeeded"
    assert run(maya, "campaign_spend", f"date,campaign,spend\n2026-12-01,{mayas.pk},15000\n").status == "succeeded"
    assert ActualOrders.objects.count() == 2
    assert CampaignSpend.objects.get().spend == 15000


def test_an_ops_lead_imports_for_every_campaign(mayas, omar):
    assert run(omar, "campaign_spend", f"date,campaign,spend\n2026-12-01,{mayas.pk},15000\n").status == "succeeded"
    assert CampaignSpend.objects.filter(campaign=mayas).exists()
