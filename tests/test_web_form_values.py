"""Edit forms open with what was saved and save it back unchanged (issue 17): dates
go into `<input type=date>` in ISO (YYYY-MM-DD) whatever the language's date format,
and a conversion rate shows as entered (2.5%, not 2%).

maya is marketing (owns plans), ishaan keeps stock and inbound, lata keeps lanes.
"""

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from campaigns import services as campaign_services
from campaigns.models import Campaign
from capacity.models import CapacityConstraint, InboundShipment
from tests.factories import InboundFactory
from tests.helpers import make_world, plan_data

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 10)


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture(autouse=True)
def before_the_dates(time_machine):
    # Every date of these tests is still ahead, so the plans can be edited and submitted.
    time_machine.move_to(dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC))


class FormValues(HTMLParser):
    """What a browser posts back, unchanged, from each <form method=post> of a page:
    each named input's value (checked boxes only), each select's selected option and
    each textarea's text."""

    ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.data: dict[str, str] | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.data = {}
            self.forms.append(self.data)
        if self.data is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
            elif a.get("type") == "date":
                # A browser's date input keeps only an ISO value; anything else is blank.
                value = a.get("value") or ""
                self.data[name] = value if self.ISO_DATE.fullmatch(value) else ""
            elif a.get("type") != "submit":
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self.select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.data = None

    def handle_data(self, data):
        if self.textarea and self.data is not None:
            self.data[self.textarea] += data


def form_values(html: str) -> dict[str, str]:
    """The page's edit form (its largest form; the header's sign-out form is a button)."""
    parser = FormValues()
    parser.feed(html)
    return max(parser.forms, key=len)


def field_input(html: str, name: str) -> str:
    """The rendered <input> of the field `name`."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name!r} in the page"
    return match.group(0)


def signed_in(request, name: str) -> Client:
    client = Client()
    client.force_login(request.getfixturevalue(name))
    return client


def a_plan(world, owner, **overrides) -> Campaign:
    data = plan_data(world, starts_on=DAY, ends_on=DAY + dt.timedelta(days=4), **overrides)
    return campaign_services.campaign_create(actor=owner, data=data)


# --------------------------------------------------------------------------- dates


def test_campaign_edit_opens_with_its_dates_in_iso_and_saves_them_back(request, world, maya):
    campaign = a_plan(world, maya)
    client = signed_in(request, "maya")
    url = reverse("campaigns:edit", args=[campaign.pk])

    page = client.get(url).content.decode()

    assert 'value="2026-12-10"' in field_input(page, "starts_on")
    assert 'value="2026-12-14"' in field_input(page, "ends_on")
    assert 'type="date"' in field_input(page, "starts_on")
    response = client.post(url, form_values(page))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.starts_on, campaign.ends_on) == (DAY, DAY + dt.timedelta(days=4))


def test_the_live_check_of_an_opened_edit_form_has_its_dates(request, world, maya):
    campaign = a_plan(world, maya)
    client = signed_in(request, "maya")
    page = client.get(reverse("campaigns:edit", args=[campaign.pk])).content.decode()

    check = client.post("/campaigns/check/", form_values(page), HTTP_HX_REQUEST="true").content.decode()

    assert "Fill in the dates" not in check


def test_constraint_edit_opens_with_its_dates_in_iso_and_saves_them_back(request, world):
    constraint = CapacityConstraint.objects.create(
        kind="warehouse_blackout", starts_on=DAY, ends_on=DAY + dt.timedelta(days=1), warehouse=world.warehouse,
        note="Stock take",
    )  # fmt: skip
    client = signed_in(request, "lata")
    url = reverse("capacity:constraint_edit", args=[constraint.pk])

    page = client.get(url).content.decode()

    assert 'value="2026-12-10"' in field_input(page, "starts_on")
    assert 'value="2026-12-11"' in field_input(page, "ends_on")
    assert client.post(url, form_values(page)).status_code == 302
    constraint.refresh_from_db()
    assert (constraint.starts_on, constraint.ends_on, constraint.note) == (
        DAY,
        DAY + dt.timedelta(days=1),
        "Stock take",
    )


def test_inbound_edit_opens_with_its_date_in_iso_and_saves_it_back(request, world):
    shipment = InboundFactory(sku=world.sku, warehouse=world.warehouse, expected_on=DAY, quantity=40)
    client = signed_in(request, "ishaan")
    url = reverse("capacity:inbound_edit", args=[shipment.pk])

    page = client.get(url).content.decode()

    assert 'value="2026-12-10"' in field_input(page, "expected_on")
    assert client.post(url, form_values(page)).status_code == 302
    shipment = InboundShipment.objects.get(pk=shipment.pk)
    assert (shipment.expected_on, shipment.quantity) == (DAY, 40)


def test_the_campaign_list_filter_keeps_its_dates_in_iso(request, world):
    page = signed_in(request, "maya").get("/campaigns/?active_from=2026-12-10").content.decode()

    assert 'value="2026-12-10"' in field_input(page, "active_from")


# --------------------------------------------------------------------------- conversion rate


@pytest.mark.parametrize(("rate", "shown"), [("0.025", "2.5"), ("0.03", "3"), ("0.02345", "2.345")])
def test_the_conversion_rate_shows_as_entered(request, world, maya, rate, shown):
    campaign = a_plan(world, maya, sessions_per_day=10_000, conversion_rate=rate, orders_per_day=None)
    client = signed_in(request, "maya")

    detail = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    edit = client.get(reverse("campaigns:edit", args=[campaign.pk])).content.decode()

    assert f"10000 sessions/day × {shown}% conversion" in detail
    assert f'value="{shown}"' in field_input(edit, "conversion_percent")


def test_a_conversion_rate_opened_and_saved_unchanged_stays_as_entered(request, world, maya):
    campaign = a_plan(world, maya, sessions_per_day=10_000, conversion_rate="0.02345", orders_per_day=None)
    client = signed_in(request, "maya")
    url = reverse("campaigns:edit", args=[campaign.pk])

    assert client.post(url, form_values(client.get(url).content.decode())).status_code == 302

    campaign.refresh_from_db()
    assert (campaign.conversion_rate, campaign.orders_per_day) == (Decimal("0.02345"), 234)


def test_cod_and_line_shares_show_as_entered(request, world, maya):
    campaign = a_plan(
        world, maya, cod_share="0.025",
        skus=[{"sku": world.sku.code, "share": "0.125"}, {"sku": world.sku2.code, "share": "0.875"}],
    )  # fmt: skip

    detail = signed_in(request, "maya").get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()

    assert "2.5% of orders" in detail
    assert "TEE-01 Cotton tee — 12.5% of units" in detail
    assert "CAP-01 Cap — 87.5% of units" in detail
