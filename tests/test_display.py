"""Money and time as people read them (issue 17): the brand's currency with its
grouping (₹2,00,000 for INR), and times with their zone ("5 Dec 2026, 14:05 IST"),
through one filter each (`mopsync.display`) on every page and email that shows them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

from campaigns import services
from capacity.models import ImportJob
from mopsync.display import group_digits, money, when
from tests.helpers import make_world, plan_data

UTC = dt.UTC


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "₹0"),
        (999, "₹999"),
        (1000, "₹1,000"),
        (99999, "₹99,999"),
        (100000, "₹1,00,000"),
        (200000, "₹2,00,000"),
        (Decimal("200000.00"), "₹2,00,000"),  # a DecimalField's whole amount: no paise
        (12345678.5, "₹1,23,45,678.50"),
        (Decimal("10000000"), "₹1,00,00,000"),  # one crore
        ("2.475", "₹2.48"),
        (-1, "-₹1"),
        (-1234567, "-₹12,34,567"),
        (Decimal("-100000.5"), "-₹1,00,000.50"),
    ],
)
def test_inr_uses_lakh_and_crore_grouping(value, shown, settings):
    settings.MOPSYNC_CURRENCY = "INR"
    assert money(value) == shown


def test_two_decimals_on_request_and_nothing_for_no_number(settings):
    settings.MOPSYNC_CURRENCY = "INR"
    assert money(2000, 2) == "₹2,000.00"
    assert money(None) == money("") == money("abc") == money(float("nan")) == money(True) == ""


@pytest.mark.parametrize(
    ("code", "value", "shown"),
    [
        ("USD", 200000, "$200,000"),
        ("USD", 12345678.5, "$12,345,678.50"),
        ("EUR", -1234.5, "-€1,234.50"),
        ("GBP", 999, "£999"),
        ("CHF", 1000000, "CHF 1,000,000"),  # no symbol known: the code
    ],
)
def test_other_currencies_group_by_three_with_their_symbol(code, value, shown, settings):
    settings.MOPSYNC_CURRENCY = code
    assert money(value) == shown


def test_group_digits():
    assert group_digits("1", "INR") == "1"
    assert group_digits("123456789", "INR") == "12,34,56,789"
    assert group_digits("123456789", "USD") == "123,456,789"


def test_when_shows_the_organisation_zone(settings):
    assert settings.TIME_ZONE == "Asia/Kolkata"
    moment = dt.datetime(2026, 12, 5, 8, 35, tzinfo=UTC)
    assert when(moment) == "5 Dec 2026, 14:05 IST"
    assert when(moment, "D j M") == "Sat 5 Dec, 14:05 IST"
    assert when(None) == ""


def test_when_follows_the_time_zone_setting(settings):
    settings.TIME_ZONE = "America/New_York"
    assert when(dt.datetime(2026, 7, 1, 16, 0, tzinfo=UTC)) == "1 Jul 2026, 12:00 EDT"
    assert when(dt.datetime(2026, 12, 1, 17, 0, tzinfo=UTC)) == "1 Dec 2026, 12:00 EST"


def test_the_filters_need_no_load_tag(settings):
    settings.MOPSYNC_CURRENCY = "INR"
    rendered = Template("{{ a|money }} / {{ t|when }}").render(
        Context({"a": 150000, "t": dt.datetime(2026, 12, 5, 8, 35, tzinfo=UTC)})
    )
    assert rendered == "₹1,50,000 / 5 Dec 2026, 14:05 IST"


# --------------------------------------------------------------------------- on the pages


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_campaign_page_shows_money_grouped_and_times_with_their_zone(maya, settings, time_machine):
    settings.MOPSYNC_CURRENCY = "INR"
    time_machine.move_to(dt.datetime(2026, 12, 5, 8, 35, tzinfo=UTC), tick=False)
    world = make_world()
    data = plan_data(world, budget=Decimal("200000"), expected_order_value=Decimal("1234.50"))
    campaign = services.campaign_create(actor=maya, data=data)

    html = web(maya).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "₹2,00,000 · ₹1,234.50" in html
    assert "INR 200000" not in html
    assert ">5 Dec 2026, 14:05 IST</time>" in html  # the timeline


@pytest.mark.django_db
def test_another_currency_shows_its_symbol_on_the_page(maya, settings):
    settings.MOPSYNC_CURRENCY = "USD"
    world = make_world()
    campaign = services.campaign_create(
        actor=maya, data=plan_data(world, budget=Decimal("200000"), expected_order_value=Decimal("40"))
    )
    html = web(maya).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "$200,000 · $40" in html


@pytest.mark.django_db
def test_imports_show_times_with_their_zone(omar, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 5, 8, 35, tzinfo=UTC), tick=False)
    job = ImportJob.objects.create(kind="stock", file_name="stock.csv", created_by=omar)
    assert job.created_at == timezone.now()
    assert "5 Dec 2026, 14:05 IST" in web(omar).get("/capacity/imports/").content.decode()
    assert "5 Dec 2026, 14:05 IST" in web(omar).get(f"/capacity/imports/{job.pk}/").content.decode()


@pytest.mark.django_db
def test_the_sign_off_deadline_shows_its_zone(maya, omar, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 5, 8, 35, tzinfo=UTC), tick=False)
    world = make_world()
    campaign = services.campaign_create(actor=maya, data=plan_data(world))
    services.campaign_submit(campaign=campaign, actor=maya)
    campaign.refresh_from_db()
    due = when(campaign.signoff_due_at, "D j M")
    assert due.endswith(" IST")
    assert f"sign-off due {due}" in web(omar).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert due in web(omar).get("/approvals/").content.decode()
