"""CSV downloads of the campaign list (`/campaigns/export.csv`) and of the calendar
(`/calendar/export.csv`), with the pages' filters (issue 17, "Export").

Time is frozen on Monday 16 Nov 2026 (Asia/Kolkata)."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, PromoWindow
from capacity.models import CapacityConstraint
from tests.factories import InboundFactory
from tests.helpers import approved, make_world, session_queries, submitted

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Kolkata"))
DEC = {day: dt.date(2026, 12, day) for day in range(1, 32)}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def as_maya(client, maya):
    client.force_login(maya)
    return client


def download(response) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a streamed CSV download."""
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    text = b"".join(response.streaming_content).decode()
    assert text.endswith("\r\n")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    return reader.fieldnames, rows


def crowd(owner, n: int, **fields) -> list[Campaign]:
    defaults = {"channel": "meta", "status": "draft", "orders_per_day": 5, "starts_on": DEC[3], "ends_on": DEC[5]}
    return Campaign.objects.bulk_create(
        Campaign(owner=owner, **{"name": f"Crowd {i:03d}", **defaults, **fields}) for i in range(n)
    )


# --------------------------------------------------------------------------- campaigns


CAMPAIGN_HEADER = [
    "Campaign", "Status", "Channel", "Owner", "Starts on", "Ends on", "Days", "Orders/day planned",
    "Orders/day approved", "Budget (INR)", "Expected order value (INR)", "Cash on delivery (%)",
    "SKUs (share of units)", "Regions (share of orders)", "Late notice", "Link",
]  # fmt: skip


def test_the_campaign_list_downloads_with_its_filters(as_maya, world, maya, ishaan, lata):
    tees = approved(world, maya, ishaan, lata, name="Diwali tees", orders_per_day=120, starts_on=DEC[3], ends_on=DEC[7])
    submitted(world, maya, name="Diwali caps", channel="google", starts_on=DEC[3], ends_on=DEC[4])
    submitted(world, maya, name="Wedding tees", starts_on=DEC[10], ends_on=DEC[12])
    crowd(maya, 3, name="Old tees", status="draft")

    header, rows = download(as_maya.get("/campaigns/export.csv?status=approved&status=submitted&channel=meta&q=tees"))

    assert header == CAMPAIGN_HEADER
    assert [r["Campaign"] for r in rows] == ["Diwali tees", "Wedding tees"]  # the filters, in the list's order
    assert rows[0] == {
        "Campaign": "Diwali tees",
        "Status": "Approved",
        "Channel": "Meta",
        "Owner": "maya",
        "Starts on": "2026-12-03",
        "Ends on": "2026-12-07",
        "Days": "5",
        "Orders/day planned": "120",
        "Orders/day approved": "120",
        "Budget (INR)": "50000.00",
        "Expected order value (INR)": "999.00",
        "Cash on delivery (%)": "30",
        "SKUs (share of units)": "TEE-01 60%; CAP-01 40%",
        "Regions (share of orders)": "MUM 50%; PUN 50%",
        "Late notice": "no",
        "Link": f"{settings.MOPSYNC_BASE_URL}/campaigns/{tees.pk}/",
    }
    assert rows[1]["Orders/day approved"] == ""  # not approved: empty, not "None"


def test_the_campaign_list_links_to_its_download_with_the_same_filters(as_maya, maya):
    html = as_maya.get("/campaigns/?status=submitted&channel=meta&page=2").content.decode()
    assert 'href="/campaigns/export.csv?status=submitted&amp;channel=meta" download>Download CSV' in html
    assert 'href="/campaigns/export.csv" download>Download CSV' in as_maya.get("/campaigns/").content.decode()


def test_a_campaign_download_neutralises_formulas(as_maya, world, maya):
    crowd(maya, 1, name='=HYPERLINK("http://evil.example","click")')
    crowd(maya, 1, name="+1+cmd|' /C calc'!A0", starts_on=DEC[4])
    crowd(maya, 1, name="-2", starts_on=DEC[5], ends_on=DEC[6])

    _, rows = download(as_maya.get("/campaigns/export.csv"))

    assert [r["Campaign"] for r in rows] == [
        '\'=HYPERLINK("http://evil.example","click")',
        "'+1+cmd|' /C calc'!A0",
        "'-2",
    ]
    assert {r["Days"] for r in rows} == {"3", "2"}  # numbers stay numbers


@pytest.mark.parametrize(
    "query, words",
    [
        ("status=nope", "Status: Select a valid choice."),
        ("channel=fax", "Channel: Select a valid choice."),
        ("active_from=yesterday", "From: Enter a valid date."),
    ],
)
def test_a_campaign_download_with_a_filter_it_does_not_understand_is_a_400(as_maya, query, words):
    response = as_maya.get(f"/campaigns/export.csv?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert words in response.content.decode()


def test_a_campaign_download_reads_a_fixed_number_of_queries(as_maya, world, maya, ishaan, lata):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _, rows = download(as_maya.get("/campaigns/export.csv?channel=meta"))
        return len(queries), len(rows)

    approved(world, maya, ishaan, lata, starts_on=DEC[3], ends_on=DEC[7])
    few = count()
    for i in range(10):
        submitted(world, maya, name=f"More {i}", starts_on=DEC[1 + i], ends_on=DEC[10 + i])
    many = count()
    # The user with its roles; the campaigns with their owners; their SKU lines; their region lines.
    assert (few[1], many[1]) == (1, 11)
    assert few[0] == many[0] == 4 + session_queries()


# --------------------------------------------------------------------------- calendar


CALENDAR_HEADER = [
    "Starts on", "Ends on", "Kind", "Title", "Status", "Channel", "Details", "Courier capacity use (%)",
    "Orders/day used", "Orders/day courier capacity", "Orders/day asked, waiting for sign-off", "Link",
]  # fmt: skip


def test_the_calendar_downloads_a_range_with_its_filters(as_maya, world, maya, ishaan, lata):
    approved(world, maya, ishaan, lata, name="Diwali tees", orders_per_day=100, starts_on=DEC[1], ends_on=DEC[7])
    submitted(world, maya, name="Diwali caps", channel="google", starts_on=DEC[3], ends_on=DEC[4])
    submitted(world, maya, name="Too late", starts_on=DEC[9], ends_on=DEC[9])
    PromoWindow.objects.create(name="Holiday sale", starts_on=DEC[4], ends_on=DEC[6])
    courier = world.lane_mumbai.courier
    CapacityConstraint.objects.create(kind="courier_holiday", courier=courier, starts_on=DEC[4], ends_on=DEC[4])
    InboundFactory(sku=world.sku, warehouse=world.warehouse, quantity=500, expected_on=DEC[5])

    header, rows = download(as_maya.get("/calendar/export.csv?start=2026-12-03&end=2026-12-05"))

    assert header == CALENDAR_HEADER
    assert [(r["Starts on"], r["Kind"], r["Title"]) for r in rows] == [
        ("2026-12-03", "Courier capacity", "Courier capacity of the whole network"),
        ("2026-12-03", "Campaign", "Diwali caps"),  # waiting for sign-off, before what is approved
        ("2026-12-01", "Campaign", "Diwali tees"),  # started before the range: on its first day
        ("2026-12-04", "Courier capacity", "Courier capacity of the whole network"),
        ("2026-12-04", "Ops constraint", rows[4]["Title"]),
        ("2026-12-04", "Promo window", "Holiday sale"),
        ("2026-12-05", "Courier capacity", "Courier capacity of the whole network"),
        ("2026-12-05", "Stock arrival", "500 × TEE-01 arrive at BOM-WH"),
    ]
    capacity = rows[0]
    assert capacity["Orders/day courier capacity"] == "2000"  # two lanes of 1,000
    assert capacity["Orders/day used"] == "100"  # what the approved plan holds
    assert capacity["Courier capacity use (%)"] == "5"
    assert capacity["Orders/day asked, waiting for sign-off"] == "100"
    assert "5% of courier capacity, light" in capacity["Details"]
    tees = rows[2]
    assert (tees["Ends on"], tees["Status"], tees["Channel"]) == ("2026-12-07", "Approved", "Meta")
    assert tees["Link"].endswith("/campaigns/{}/".format(Campaign.objects.get(name="Diwali tees").pk))
    assert rows[4]["Title"].startswith("Courier holiday") and rows[4]["Status"] == "Courier holiday"
    assert rows[5]["Details"] == "all channels" and tees["Courier capacity use (%)"] == ""

    _, rows = download(as_maya.get("/calendar/export.csv?start=2026-12-01&end=2026-12-31&channel=google"))
    entries = [r["Title"] for r in rows if r["Kind"] != "Courier capacity"]
    assert entries == ["Diwali caps", "Holiday sale"]  # a promo window for every channel stays
    assert sum(r["Kind"] == "Courier capacity" for r in rows) == 31

    _, rows = download(as_maya.get("/calendar/export.csv?start=2026-12-01&end=2026-12-31&region=MUM&status=submitted"))
    assert [r["Title"] for r in rows if r["Kind"] == "Campaign"] == ["Diwali caps", "Too late"]
    assert rows[0]["Title"] == "Courier capacity of region MUM" and rows[0]["Orders/day courier capacity"] == "1000"


def test_the_calendar_download_takes_the_pages_period_and_defaults_to_this_month(as_maya, world, maya):
    crowd(maya, 1, starts_on=DEC[30], ends_on=dt.date(2027, 1, 2))

    _, week = download(as_maya.get("/calendar/export.csv?week=2026-W53&channel=meta"))
    assert [r["Starts on"] for r in week if r["Kind"] == "Courier capacity"] == [
        (dt.date(2026, 12, 28) + dt.timedelta(days=i)).isoformat() for i in range(7)
    ]
    assert [r["Title"] for r in week if r["Kind"] == "Campaign"] == ["Crowd 000"]
    _, november = download(as_maya.get("/calendar/export.csv"))
    assert len(november) == 30 and november[0]["Starts on"] == "2026-11-01"


def test_the_calendar_page_links_to_its_download_of_the_period_with_its_filters(as_maya, world):
    html = as_maya.get("/calendar/?month=2026-12&channel=meta&region=MUM").content.decode()
    assert 'href="/calendar/export.csv?start=2026-12-01&amp;end=2026-12-31&amp;channel=meta&amp;region=MUM"' in html
    html = as_maya.get("/calendar/?week=2026-W49").content.decode()
    assert 'href="/calendar/export.csv?start=2026-11-30&amp;end=2026-12-06" download>Download CSV' in html


def test_a_calendar_download_neutralises_formulas(as_maya, world, maya):
    crowd(maya, 1, name="@SUM(1+1)*cmd|' /C calc'!A0")
    PromoWindow.objects.create(name="=1+1", starts_on=DEC[3], ends_on=DEC[3])

    _, rows = download(as_maya.get("/calendar/export.csv?start=2026-12-03&end=2026-12-03"))

    assert {r["Title"] for r in rows} >= {"'@SUM(1+1)*cmd|' /C calc'!A0", "'=1+1"}


@pytest.mark.parametrize(
    "query, words",
    [
        ("start=2026-12-01&end=2026-13-01", "End: Use a date like 2026-12-01."),
        ("start=yesterday&end=2026-12-01", "Start: Use a date like 2026-12-01."),
        ("start=2026-12-01", "Dates: Give both a start and an end date, or neither."),
        ("start=2026-12-05&end=2026-12-01", "End: The end date is before the start date."),
        ("start=2026-01-01&end=2027-12-31", "End: At most 366 days in one download."),
        ("month=2026-13", "Month: That month was not understood (use e.g. 2026-12)."),
        ("start=2026-12-01&end=2026-12-31&region=NOWHERE", "Region: Select a valid choice."),
        ("start=2026-12-01&end=2026-12-31&status=lost", "Campaign status: Select a valid choice."),
    ],
)
def test_a_calendar_download_it_does_not_understand_is_a_400(as_maya, world, query, words):
    response = as_maya.get(f"/calendar/export.csv?{query}")
    assert response.status_code == 400
    assert words in response.content.decode()


def test_a_calendar_download_reads_a_fixed_number_of_queries(as_maya, world, maya, ishaan, lata):
    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            _, rows = download(as_maya.get("/calendar/export.csv?start=2026-12-01&end=2026-12-31&region=MUM"))
        return len(queries), len(rows)

    approved(world, maya, ishaan, lata, starts_on=DEC[3], ends_on=DEC[7])
    few = count()
    for i in range(8):
        submitted(world, maya, name=f"More {i}", starts_on=DEC[1 + i], ends_on=DEC[10 + i])
        CapacityConstraint.objects.create(
            kind="reduced_capacity",
            region=world.mumbai,
            capacity_factor="0.9",
            starts_on=DEC[1 + i],
            ends_on=DEC[2 + i],
        )
    many = count()
    assert (few[1], many[1]) == (31 + 1, 31 + 1 + 16)
    assert few[0] == many[0], (few, many)


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("path", ["/campaigns/export.csv", "/calendar/export.csv"])
def test_downloads_are_for_signed_in_users_with_a_role(client, outsider, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    assert client.get(path).status_code == 403
    assert client.post(path).status_code in (403, 405)
