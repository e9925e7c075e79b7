"""What changed since the last sign-off (issue 17): a resubmitted plan shows its changes,
field by field in both teams' words, on the approval queue, the campaign page, its
timeline and the API, at a fixed number of queries."""

import datetime as dt
import html

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import plan_changes, selectors, services
from campaigns.models import Campaign
from mopsync.tokens import token_create
from tests.factories import LaneFactory, RegionFactory, SkuFactory, StockFactory
from tests.helpers import approved, make_world, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    world = make_world()
    cap2 = SkuFactory(code="CAP-02", name="Snapback cap")
    StockFactory(sku=cap2, warehouse=world.warehouse, on_hand=100_000)
    delhi = RegionFactory(code="DEL", name="Delhi", warehouse=world.warehouse)
    LaneFactory(region=delhi, daily_capacity=1_000, courier=world.lane_mumbai.courier)
    return world


def _day(date: dt.date) -> str:
    return f"{date.day} {date:%b}"


def _resubmit_with_changes(world, maya, campaign) -> tuple[Campaign, list[str]]:
    """Edit an approved (or submitted) plan: volume, SKU shares, regions and the start. Returns
    the campaign and the words each change must read as."""
    start = campaign.starts_on
    new_start = start + dt.timedelta(days=2)
    campaign = services.campaign_update(
        campaign=campaign,
        actor=maya,
        data={
            "orders_per_day": 150,
            "starts_on": new_start,
            "skus": [
                {"sku": "TEE-01", "share": "0.4"},
                {"sku": "CAP-01", "share": "0.4"},
                {"sku": "CAP-02", "share": "0.2"},
            ],
            "regions": [{"region": "PUN", "share": "0.7"}, {"region": "DEL", "share": "0.3"}],
        },
    )
    expected = [
        f"Starts on: {_day(start)} → {_day(new_start)}",
        "Orders per day: 100 → 150",
        "SKU lines: TEE-01 60% → 40%, added CAP-02 20%",
        "Regions: Pune 50% → 70%, removed Mumbai, added Delhi 30%",
    ]
    return Campaign.objects.get(pk=campaign.pk), expected


def test_an_edited_approved_plan_lists_its_changes_since_the_sign_off(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    assert selectors.changes_since_signoff(campaign) == []

    campaign, expected = _resubmit_with_changes(world, maya, campaign)

    assert campaign.status == "submitted" and campaign.plan_version == 2
    assert [c.text for c in selectors.changes_since_signoff(campaign)] == expected
    assert [c.label for c in selectors.changes_since_signoff(campaign)] == [
        "Starts on", "Orders per day", "SKU lines", "Regions",
    ]  # fmt: skip


def test_changes_are_counted_from_the_last_sign_off_and_an_edit_back_shows_none(world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    campaign = services.campaign_update(campaign=campaign, actor=maya, data={"orders_per_day": 140})
    campaign = services.campaign_update(campaign=campaign, actor=maya, data={"orders_per_day": 160})
    assert [c.text for c in selectors.changes_since_signoff(campaign)] == ["Orders per day: 100 → 160"]

    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")
    campaign = Campaign.objects.get(pk=campaign.pk)
    assert selectors.changes_since_signoff(campaign) == []  # ops decided on it: nothing new since
    campaign = services.campaign_update(campaign=campaign, actor=maya, data={"cod_share": "0.25"})
    assert [c.text for c in selectors.changes_since_signoff(campaign)] == ["Cash on delivery: 30% → 25%"]
    campaign = services.campaign_update(campaign=campaign, actor=maya, data={"cod_share": "0.3"})
    assert selectors.changes_since_signoff(campaign) == []


def test_before_any_sign_off_changes_count_from_the_submission_and_a_draft_has_none(world, maya):
    from tests.helpers import plan_data

    draft = services.campaign_create(actor=maya, data=plan_data(world))
    draft = services.campaign_update(campaign=draft, actor=maya, data={"orders_per_day": 120})
    assert selectors.changes_since_signoff(draft) == []

    campaign = submitted(world, maya)
    campaign = services.campaign_update(campaign=campaign, actor=maya, data={"delivery_promise_days": 3})
    assert [c.text for c in selectors.changes_since_signoff(campaign)] == ["Delivery promise: 4 days → 3 days"]


def test_changes_requested_then_resubmitted_shows_what_changed_since_ops_asked(world, maya, ishaan):
    campaign = submitted(world, maya)
    services.campaign_sign_off(
        campaign=campaign, actor=ishaan, dimension="inventory", decision="changes_requested", comment="Less CAP-01"
    )
    campaign = services.campaign_update(
        campaign=Campaign.objects.get(pk=campaign.pk),
        actor=maya,
        data={"skus": [{"sku": "TEE-01", "share": "0.8"}, {"sku": "CAP-01", "share": "0.2"}]},
    )
    campaign = services.campaign_submit(campaign=campaign, actor=maya)

    assert [c.text for c in selectors.changes_since_signoff(Campaign.objects.get(pk=campaign.pk))] == [
        "SKU lines: CAP-01 40% → 20%, TEE-01 60% → 80%"
    ]


def test_the_formatter_speaks_both_teams_words():
    words = [
        plan_changes.field_change("orders_per_day", 400, 550).text,
        plan_changes.field_change("skus", {"TEE-01": "0.6"}, {"TEE-01": "0.4", "CAP-02": "0.2"}).text,
        plan_changes.field_change("regions", {"DEL": "1"}, {"PUN": "0.3"}, {"DEL": "Delhi", "PUN": "Pune"}).text,
        plan_changes.field_change("starts_on", "2026-12-10", "2026-12-12").text,
        plan_changes.field_change("ends_on", "2026-12-30", "2027-01-02").text,
        plan_changes.field_change("conversion_rate", "0.025", "0.03").text,
        plan_changes.field_change("sessions_per_day", None, 20000).text,
        plan_changes.field_change("channel", "meta", "google").text,
        plan_changes.field_change("auto_pause_on_stockout", False, True).text,
        plan_changes.field_change("brief", "a" * 3000, "b").text,
    ]
    assert words == [
        "Orders per day: 400 → 550",
        "SKU lines: TEE-01 60% → 40%, added CAP-02 20%",
        "Regions: removed Delhi, added Pune 30%",
        "Starts on: 10 Dec → 12 Dec",
        "Ends on: 30 Dec 2026 → 2 Jan 2027",
        "Conversion rate: 2.5% → 3%",
        "Sessions per day: — → 20000",
        "Channel: Meta → Google",
        "Pause when stock runs out: no → yes",
        "Brief: edited",
    ]


def test_the_queue_row_the_campaign_page_and_the_timeline_show_each_change(client, world, maya, ishaan, lata, omar):
    campaign = approved(world, maya, ishaan, lata, name="Diwali <tees>")
    campaign, expected = _resubmit_with_changes(world, maya, campaign)
    client.force_login(omar)

    queue = client.get("/approvals/").content.decode()
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()

    row = queue.split(f'id="entry-{campaign.pk}"', 1)[1].split("</article>", 1)[0]
    assert "Changed since sign-off" in row
    changes_card = page.split('id="changes-since-signoff"', 1)[1].split("</section>", 1)[0]
    timeline = page.split('id="timeline"', 1)[1].split("</section>", 1)[0]
    for text in expected:
        assert html.escape(text) in row
        assert html.escape(text) in changes_card
        assert html.escape(text) in timeline  # the edit's own changes, on its line of the timeline
    assert "Diwali &lt;tees&gt;" in page and "Diwali <tees>" not in page


def test_the_api_queue_and_events_carry_the_changes(world, maya, ishaan, lata, omar):
    campaign = approved(world, maya, ishaan, lata)
    campaign, expected = _resubmit_with_changes(world, maya, campaign)
    api = Client(HTTP_AUTHORIZATION=f"Token {token_create(user=omar)[1]}")

    entry = api.get("/api/v1/approval-queue/").json()["results"][0]
    events = api.get(f"/api/v1/campaigns/{campaign.pk}/events/").json()["results"]

    assert [c["text"] for c in entry["changes_since_signoff"]] == expected
    orders = next(c for c in entry["changes_since_signoff"] if c["field"] == "orders_per_day")
    assert orders == {
        "field": "orders_per_day", "label": "Orders per day", "before": 100, "after": 150,
        "text": "Orders per day: 100 → 150",
    }  # fmt: skip
    edit = next(e for e in events if e["action"] == "edit")
    assert [c["text"] for c in edit["plan_changes"]] == expected


def _queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/approvals/")
    assert response.status_code == 200
    return len(captured)


def test_the_queue_shows_changes_at_a_fixed_number_of_queries(client, world, maya, ishaan, lata, omar):
    client.force_login(omar)
    start = timezone.localdate() + dt.timedelta(days=10)

    def resubmitted(n: int) -> None:
        for _ in range(n):
            campaign = approved(world, maya, ishaan, lata, starts_on=start, ends_on=start + dt.timedelta(days=2))
            _resubmit_with_changes(world, maya, campaign)

    resubmitted(1)
    client.get("/approvals/")
    with_one = _queue_queries(client)
    resubmitted(4)
    client.get("/approvals/")
    with_five = _queue_queries(client)

    assert with_one == with_five
    assert client.get("/approvals/").content.decode().count("Orders per day: 100 → 150") == 5
