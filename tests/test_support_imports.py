"""Support data imports (issue 19): `support_tickets` and `csat`, the hashed `customer_ref`
of actual orders, and the contact rate learned from ticket counts."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from fractions import Fraction

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns.import_kinds import customer_key
from campaigns.models import ActualOrders
from capacity import imports
from capacity.models import CsatResponse, ImportJob, SupportTicketCount
from capacity.support_data import learned_contact_rate
from mopsync.errors import NotPermitted
from tests.helpers import live, make_world

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 11, 1)


def run(actor, kind: str, text: str) -> ImportJob:
    job = imports.import_create(actor=actor, kind=kind, file_name=f"{kind}.csv", data=text.encode())
    imports.import_process(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def running(world, maya, ishaan, lata):
    return live(world, maya, ishaan, lata)


def errors(job) -> set[tuple]:
    return {(e["row"], e["column"]) for e in job.errors}


# --------------------------------------------------------------------------- support tickets


def test_support_tickets_good_file_with_and_without_campaign(running, lata):
    text = f"date,channel,tickets,campaign\n{DAY},chat,120,{running.pk}\n{DAY},email,45,\n{DAY},chat,7,\n"
    job = run(lata, "support_tickets", text)

    assert (job.status, job.summary["created"]) == ("succeeded", 3), job.errors
    stored = {(t.channel, t.campaign_id): t.tickets for t in SupportTicketCount.objects.all()}
    assert stored == {("chat", running.pk): 120, ("email", None): 45, ("chat", None): 7}


def test_support_tickets_row_errors_name_row_and_column_and_commit_nothing(running, lata):
    text = (
        f"date,channel,tickets,campaign\n{DAY},chat,10,\n2025-02-30,fax,-1,999999\n{DAY},phone,1.5,abc\n{DAY},chat,3,\n"
    )
    job = run(lata, "support_tickets", text)

    assert job.status == "failed"
    assert errors(job) == {
        (3, "date"), (3, "channel"), (3, "tickets"), (3, "campaign"),
        (4, "tickets"), (4, "campaign"),
        (5, "date"),  # the same day × channel × (no) campaign as row 2
    }  # fmt: skip
    assert "chat, email, phone" in next(e["message"] for e in job.errors if e["column"] == "channel")
    assert not SupportTicketCount.objects.exists()


def test_support_tickets_reimport_replaces_the_same_day_channel_and_campaign(running, lata):
    first = f"date,channel,tickets,campaign\n{DAY},chat,120,{running.pk}\n{DAY},email,45,\n"
    run(lata, "support_tickets", first)
    assert run(lata, "support_tickets", first).summary == {"created": 0, "updated": 0, "unchanged": 2}

    job = run(lata, "support_tickets", f"date,channel,tickets,campaign\n{DAY},chat,150,{running.pk}\n")

    assert job.summary == {"created": 0, "updated": 1, "unchanged": 0}
    assert SupportTicketCount.objects.get(campaign=running).tickets == 150
    assert SupportTicketCount.objects.get(campaign=None).tickets == 45  # not in the file: kept


def test_support_data_is_sent_by_ops_not_marketing(running, maya):
    with pytest.raises(NotPermitted):
        imports.import_create(
            actor=maya, kind="support_tickets", file_name="t.csv", data=b"date,channel,tickets,campaign\n"
        )
    with pytest.raises(NotPermitted):
        imports.import_create(actor=maya, kind="csat", file_name="c.csv", data=b"date,region,score,campaign\n")


# --------------------------------------------------------------------------- CSAT


def test_csat_answers_are_stored_as_counts_by_day_region_campaign_and_score(running, lata):
    text = (
        "date,region,score,campaign\n"
        f"{DAY},MUM,5,{running.pk}\n{DAY},MUM,5,{running.pk}\n{DAY},MUM,3,{running.pk}\n{DAY},PUN,4,\n"
    )
    job = run(lata, "csat", text)

    assert job.status == "succeeded", job.errors
    assert job.summary["answers"] == 4 and job.summary["created"] == 3
    stored = {(c.region.code, c.campaign_id, c.score): c.responses for c in CsatResponse.objects.all()}
    assert stored == {("MUM", running.pk, 5): 2, ("MUM", running.pk, 3): 1, ("PUN", None, 4): 1}


def test_csat_row_errors_name_row_and_column(running, lata):
    job = run(lata, "csat", f"date,region,score,campaign\n{DAY},MUM,6,\n{DAY},XXX,0,\n2025-13-01,PUN,4.5,0\n")

    assert job.status == "failed"
    assert errors(job) == {(2, "score"), (3, "region"), (3, "score"), (4, "date"), (4, "score"), (4, "campaign")}
    assert not CsatResponse.objects.exists()


def test_csat_reimport_replaces_the_answers_of_each_day_and_region_it_holds(running, lata):
    other = DAY + dt.timedelta(days=1)
    first = f"date,region,score,campaign\n{DAY},MUM,5,\n{DAY},MUM,2,\n{DAY},PUN,4,\n{other},MUM,1,\n"
    run(lata, "csat", first)
    again = run(lata, "csat", first)
    assert (again.summary["created"], again.summary["updated"], again.summary["deleted"]) == (0, 0, 0)

    job = run(lata, "csat", f"date,region,score,campaign\n{DAY},MUM,5,\n{DAY},MUM,5,\n")

    assert (job.summary["updated"], job.summary["deleted"]) == (1, 1)  # score 5 now 2 answers; score 2 gone
    stored = {(c.day, c.region.code, c.score): c.responses for c in CsatResponse.objects.all()}
    # PUN on DAY and MUM on the other day are not in the file: kept.
    assert stored == {(DAY, "MUM", 5): 2, (DAY, "PUN", 4): 1, (other, "MUM", 1): 1}


# --------------------------------------------------------------------------- customer_ref


ORDERS_HEADER = "date,campaign,channel,sku,region,orders,revenue,fulfilment_cost,customer_ref\n"


def test_customer_ref_is_stored_as_a_keyed_hash_never_raw(running, maya):
    digest = "AB" * 32
    text = (
        ORDERS_HEADER
        + f"{DAY},{running.pk},meta,TEE-01,MUM,2,1998,120,Asha@Example.com\n"
        + f"{DAY},{running.pk},meta,TEE-01,MUM,1,999,60,CUST-42\n"
        + f"{DAY},{running.pk},meta,TEE-01,MUM,1,999,60,{digest}\n"
        + f"{DAY},{running.pk},meta,TEE-01,MUM,5,4995,300,\n"
    )
    job = run(maya, "actual_orders", text)

    assert job.status == "succeeded", job.errors
    expected = hmac.new(settings.SECRET_KEY.encode(), b"asha@example.com", hashlib.sha256).hexdigest()
    refs = set(ActualOrders.objects.values_list("customer_ref", flat=True))
    assert refs == {expected, customer_key("CUST-42"), digest.lower(), ""}
    assert customer_key("CUST-42") == hmac.new(settings.SECRET_KEY.encode(), b"CUST-42", hashlib.sha256).hexdigest()
    # Nowhere raw: not on the rows, not in the stored file.
    stored = ImportJob.objects.get(pk=job.pk).content
    for raw in ("Asha@Example.com", "asha@example.com", "CUST-42"):
        assert raw not in stored
        assert not ActualOrders.objects.filter(customer_ref__icontains=raw).exists()
    assert expected in stored


def test_customer_ref_column_is_optional_and_same_customer_rows_are_keyed_apart(running, maya):
    old = "date,campaign,channel,sku,region,orders,revenue,fulfilment_cost\n"
    assert run(maya, "actual_orders", old + f"{DAY},{running.pk},meta,TEE-01,MUM,9,900,0\n").status == "succeeded"

    text = (
        ORDERS_HEADER
        + f"{DAY},{running.pk},meta,TEE-01,MUM,2,200,0,c1\n{DAY},{running.pk},meta,TEE-01,MUM,2,200,0,c1\n"
    )
    job = run(maya, "actual_orders", text)

    assert job.status == "failed" and errors(job) == {(3, "date")}  # the same customer's row twice
    good = run(maya, "actual_orders", ORDERS_HEADER + f"{DAY},{running.pk},meta,TEE-01,MUM,2,200,0,c1\n")
    assert good.summary["created"] == 1
    assert ActualOrders.objects.filter(campaign=running).count() == 2  # the aggregate row and c1's


def test_a_wrong_header_still_says_what_it_must_be(running, maya):
    job = run(maya, "actual_orders", "date,campaign\n2025-11-01,1\n")
    assert job.status == "failed"
    assert "customer_ref) may be left out" in job.errors[0]["message"]


# --------------------------------------------------------------------------- learned contact rate


def _orders(world, day, orders):
    ActualOrders.objects.create(
        date=day, campaign=None, channel="meta", sku=world.sku, region=world.mumbai, orders=orders, revenue=0,
        fulfilment_cost=0,
    )  # fmt: skip


def test_learned_contact_rate_over_days_with_both_tickets_and_orders(world):
    today = timezone.localdate()
    d1, d2, d3 = (today - dt.timedelta(days=n) for n in (1, 2, 3))
    old = today - dt.timedelta(days=91)
    assert learned_contact_rate(today=today) is None  # no ticket data

    SupportTicketCount.objects.create(day=d1, channel="chat", tickets=30)
    SupportTicketCount.objects.create(day=d1, channel="email", tickets=10)
    SupportTicketCount.objects.create(day=d2, channel="chat", tickets=20)
    SupportTicketCount.objects.create(day=d3, channel="chat", tickets=999)  # no orders that day: left out
    SupportTicketCount.objects.create(day=old, channel="chat", tickets=999)  # outside the 90 days
    SupportTicketCount.objects.create(day=today, channel="chat", tickets=999)  # today is not before today
    assert learned_contact_rate(today=today) is None  # tickets, but no day with orders

    _orders(world, d1, 400)
    _orders(world, d2, 200)
    _orders(world, old, 1)
    _orders(world, today, 1)
    _orders(world, today - dt.timedelta(days=5), 5000)  # orders without tickets: left out

    assert learned_contact_rate(today=today) == Fraction(60, 600)


def test_ticket_imports_change_the_reference_version_the_learned_rate_is_kept_with(world, lata, monkeypatch):
    """The learned contact rate is kept between writes with the reference rows
    (`capacity.selectors.load_snapshots`), so the imports it learns from must bump them."""
    from mopsync import versions

    calls = []
    real = versions.changed
    monkeypatch.setattr(versions, "changed", lambda *scopes: (calls.append(scopes), real(*scopes)))
    day = timezone.localdate() - dt.timedelta(days=3)
    assert run(lata, "support_tickets", f"date,channel,tickets,campaign\n{day},chat,12,\n").status == "succeeded"
    assert calls[-1] == (versions.REF, versions.DATA)
