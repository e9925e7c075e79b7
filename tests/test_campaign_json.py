"""The API renders campaigns from rows (campaigns.api_json) exactly as
CampaignSerializer renders model instances: same keys in the same order, same decimals,
same date-times in the current timezone, same covering approvals (issue 7).

CampaignSerializer stays the declared shape (and the schema); this is the proof that the
fast path says the same thing, byte for byte, on varied campaigns.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from campaigns import api_json, selectors, services
from campaigns.models import Campaign
from campaigns.serializers import CampaignSerializer
from capacity.models import SignOff
from tests.api_support import API, client_for
from tests.helpers import approved, live, make_world, plan_data, submitted

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# A DST change in each zone (London: 2026-03-29 and 10-25; New York: 03-08 and 11-01), the
# hour repeated when clocks go back, microseconds, and midnight UTC.
TIMES = [
    dt.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),
    dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    dt.datetime(2026, 11, 1, 5, 30, 12, 5, tzinfo=UTC),
    dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    dt.datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
    dt.datetime(2026, 7, 4, 23, 59, 59, tzinfo=ZoneInfo("America/New_York")),
]
ZONES = ["Asia/Kolkata", "UTC", "Europe/London", "America/New_York"]


def as_serializer(campaigns) -> bytes:
    """What CampaignSerializer renders for these campaigns (the reference)."""
    instances = {c.pk: c for c in selectors.campaign_list().filter(pk__in=[c.pk for c in campaigns])}
    return JSONRenderer().render([CampaignSerializer(instances[c.pk]).data for c in campaigns])


def as_rows(campaigns) -> bytes:
    rows = api_json.campaign_rows(Campaign.objects.filter(pk__in=[c.pk for c in campaigns]).order_by("pk"))
    return JSONRenderer().render(api_json.campaigns_json(rows))


@pytest.fixture
def varied(maya, mark, ishaan, lata, omar) -> list[Campaign]:
    """Campaigns in every state the JSON can show: no sign-offs, one, both, approvals voided by
    a plan change and given again, a scale-up, refusals, null forecasts, odd decimals, times
    on both sides of DST changes."""
    world = make_world()
    rng = random.Random(7)
    made = [
        services.campaign_create(actor=maya, data=plan_data(world, name="Draft")),
        services.campaign_create(
            actor=mark,
            data=plan_data(
                world,
                name="Sessions basis, odd decimals ✓",
                brief="",
                orders_per_day=None,
                sessions_per_day=123_457,
                conversion_rate="0.00001",
                units_per_order="0.01",
                cod_share="1",
                budget="999999999999.99",
                expected_order_value="0",
                skus=[
                    {"sku": world.sku.code, "share": "0.3333"},
                    {"sku": world.sku2.code, "share": "0.6667"},
                ],
                regions=[{"region": world.mumbai.code, "share": "1"}],
            ),
        ),
        submitted(world, maya, name="Submitted, nothing decided"),
        approved(world, maya, ishaan, lata, name="Approved"),
        live(world, maya, ishaan, lata, name="Live"),
    ]

    one = submitted(world, maya, name="Inventory approved, courier sent back")
    services.campaign_sign_off(campaign=one, actor=ishaan, dimension="inventory", decision="approved")
    services.campaign_sign_off(
        campaign=one, actor=lata, dimension="courier", decision="changes_requested", comment="Lane full"
    )
    made.append(one)

    # Rule 3: new regions void the courier approval (valid_from moves), then it is given again.
    voided = approved(world, maya, ishaan, omar, name="Plan changed after approval")
    regions = [{"region": world.pune.code, "share": "1"}]
    voided = services.campaign_update(campaign=voided, actor=maya, data={"regions": regions})
    made.append(voided)
    again = approved(world, maya, ishaan, lata, name="Voided and approved again")
    again = services.campaign_update(campaign=again, actor=maya, data={"regions": regions})
    services.campaign_sign_off(
        campaign=again, actor=omar, dimension="courier", decision="approved", approved_orders_per_day=60
    )
    made.append(again)

    # Rule 4: a scale-up is a new plan version; the old approvals still cover until new ones come.
    scaled = live(world, maya, ishaan, lata, name="Scaled up, one new approval")
    scaled = services.campaign_scale_up(campaign=scaled, actor=maya, orders_per_day=150)
    services.campaign_sign_off(campaign=scaled, actor=ishaan, dimension="inventory", decision="approved")
    made.append(scaled)

    for i in range(12):  # volumes and money with every number of decimal places
        made.append(
            services.campaign_create(
                actor=rng.choice([maya, mark]),
                data=plan_data(
                    world,
                    name=f"Random {i}",
                    orders_per_day=rng.randint(1, 100_000),
                    units_per_order=str(Decimal(rng.randint(1, 9_999)).scaleb(-rng.randint(0, 2)).min(Decimal(100))),
                    cod_share=str(Decimal(rng.randint(0, 10_000)).scaleb(-4)),
                    budget=str(Decimal(rng.randint(0, 10**11)).scaleb(-rng.randint(0, 2))),
                    expected_order_value=str(Decimal(rng.randint(0, 10**9)).scaleb(-rng.randint(0, 2))),
                ),
            )
        )

    campaigns = list(Campaign.objects.order_by("pk"))
    for i, campaign in enumerate(campaigns):  # times across DST changes; some stay null
        Campaign.objects.filter(pk=campaign.pk).update(
            created_at=TIMES[i % len(TIMES)],
            updated_at=TIMES[(i + 3) % len(TIMES)],
            submitted_at=TIMES[(i + 1) % len(TIMES)] if i % 3 else None,
            signoff_due_at=TIMES[(i + 5) % len(TIMES)] if i % 4 else None,
            late_notice=bool(i % 2),
        )
    for i, signoff in enumerate(SignOff.objects.order_by("pk")):
        SignOff.objects.filter(pk=signoff.pk).update(created_at=TIMES[(i + 2) % len(TIMES)])
    return campaigns


@pytest.mark.parametrize("zone", ZONES)
def test_rows_render_as_the_serializer_does(varied, zone):
    with timezone.override(ZoneInfo(zone)):
        assert as_rows(varied) == as_serializer(varied)


def test_the_cases_are_there(varied):
    """The fixture covers what the comparison is about (else it proves little)."""
    data = [CampaignSerializer(c).data for c in selectors.campaign_list().order_by("pk")]
    by_name = {row["name"]: row for row in data}
    assert by_name["Draft"]["sign_offs"] == {"inventory": None, "courier": None}
    assert by_name["Plan changed after approval"]["sign_offs"]["courier"] is None
    assert by_name["Plan changed after approval"]["sign_offs"]["inventory"] is not None
    again = by_name["Voided and approved again"]["sign_offs"]["courier"]
    assert again["actor"] == "omar" and again["approved_orders_per_day"] == 60 and again["plan_version"] == 2
    scaled = by_name["Scaled up, one new approval"]
    assert scaled["scale_up_pending"] and scaled["sign_offs"]["inventory"]["plan_version"] == 2
    assert scaled["sign_offs"]["courier"]["plan_version"] == 1
    assert by_name["Sessions basis, odd decimals ✓"]["conversion_rate"] == "0.00001"
    assert by_name["Draft"]["conversion_rate"] is None and by_name["Draft"]["submitted_at"] is None
    with timezone.override(ZoneInfo("Europe/London")):
        stamps = {CampaignSerializer(c).data["created_at"][-6:] for c in selectors.campaign_list()}
    assert {"+01:00"} < stamps and any(s.endswith("Z") for s in stamps)


def test_one_campaign_renders_as_the_serializer_does(varied):
    for campaign in varied:
        expected = as_serializer([campaign])
        assert JSONRenderer().render([api_json.campaign_json(campaign.pk)]) == expected


def test_the_api_answers_the_serializers_json(varied):
    """List (filtered, ordered, paged) and detail answer what CampaignSerializer renders."""
    client = client_for("omar")
    listed = client.get(API + "campaigns/?page_size=7&page=2&ordering=-orders_per_day").json()
    order = Campaign.objects.order_by("-orders_per_day")
    assert listed["count"] == len(varied) and listed["previous"] and listed["next"]
    page = list(order[7:14])
    assert JSONRenderer().render(listed["results"]) == as_serializer(page)

    filtered = client.get(API + "campaigns/?status=submitted&owner=maya").json()
    expected = Campaign.objects.filter(status="submitted", owner__username="maya").order_by("starts_on", "id")
    assert [row["id"] for row in filtered["results"]] == [c.pk for c in expected]
    assert JSONRenderer().render(filtered["results"]) == as_serializer(list(expected))

    sku = varied[0].sku_lines.first().sku.code  # a filter that joins lines (DISTINCT), another order
    by_sku = client.get(API + f"campaigns/?sku={sku}&search=a&ordering=-name").json()
    expected = Campaign.objects.filter(sku_lines__sku__code=sku, name__icontains="a").distinct().order_by("-name")
    assert by_sku["count"] == len(expected) > 1
    assert JSONRenderer().render(by_sku["results"]) == as_serializer(list(expected))

    campaign = varied[-1]
    detail = client.get(API + f"campaigns/{campaign.pk}/").json()
    assert JSONRenderer().render([detail]) == as_serializer([campaign])
