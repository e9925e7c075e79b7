"""Bad input to the services raises InvalidInput with a message per field and changes nothing."""

import datetime as dt

import pytest

from campaigns import services
from campaigns.models import AuditEvent, Campaign
from mopsync.errors import InvalidInput
from tests.helpers import make_world, plan_data

pytestmark = pytest.mark.django_db

BAD_PLANS = [
    ("name", {"name": ""}),
    ("name", {"name": "bad\x00name"}),
    ("name", {"name": "x" * 201}),
    ("name", {"name": 42}),
    ("channel", {"channel": "tv"}),
    ("starts_on", {"starts_on": "28/11/2026"}),
    ("starts_on", {"starts_on": "1900-01-01"}),
    ("ends_on", {"ends_on": "9999-12-31"}),
    ("ends_on", {"starts_on": "2026-12-10", "ends_on": "2026-12-01"}),
    ("ends_on", {"starts_on": "2026-01-01", "ends_on": "2027-06-01"}),
    ("orders_per_day", {"orders_per_day": -5}),
    ("orders_per_day", {"orders_per_day": 0}),
    ("orders_per_day", {"orders_per_day": 10**30}),
    ("orders_per_day", {"orders_per_day": "12.5"}),
    ("orders_per_day", {"orders_per_day": True}),
    ("orders_per_day", {"orders_per_day": "NaN"}),
    ("orders_per_day", {"orders_per_day": None}),
    ("conversion_rate", {"orders_per_day": None, "sessions_per_day": 1000}),
    ("conversion_rate", {"orders_per_day": None, "sessions_per_day": 10, "conversion_rate": "0.01"}),
    ("conversion_rate", {"orders_per_day": None, "sessions_per_day": 1000, "conversion_rate": "1.5"}),
    ("units_per_order", {"units_per_order": "0"}),
    ("units_per_order", {"units_per_order": "1.234"}),
    ("cod_share", {"cod_share": "1.01"}),
    ("cod_share", {"cod_share": "-0.1"}),
    ("delivery_promise_days", {"delivery_promise_days": 0}),
    ("budget", {"budget": "-1"}),
    ("budget", {"budget": "1e40"}),
    ("expected_order_value", {"expected_order_value": "Infinity"}),
    ("auto_pause_on_stockout", {"auto_pause_on_stockout": "maybe"}),
    ("skus", {"skus": []}),
    ("skus", {"skus": "TEE-01"}),
    ("skus", {"skus": [{"sku": "NOPE", "share": "1"}]}),
    ("skus", {"skus": [{"sku": "TEE-01", "share": "0.5"}, {"sku": "TEE-01", "share": "0.5"}]}),
    ("skus", {"skus": [{"sku": "TEE-01", "share": "0.5"}, {"sku": "CAP-01", "share": "0.4"}]}),
    ("skus", {"skus": [{"sku": "TEE-01", "share": "1.5"}]}),
    ("skus", {"skus": [{"sku": "TEE-01", "share": "0"}, {"sku": "CAP-01", "share": "1"}]}),
    ("skus", {"skus": [{"sku": "TEE-01"}]}),
    ("skus", {"skus": ["TEE-01"]}),
    ("regions", {"regions": [{"region": "ATLANTIS", "share": "1"}]}),
    ("regions", {"regions": [{"region": "MUM\x00", "share": "1"}]}),
    ("colour", {"colour": "blue"}),
]


@pytest.mark.parametrize(("field", "change"), BAD_PLANS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_PLANS)])
def test_bad_plan_is_refused_with_a_field_message(maya, field, change):
    world = make_world()
    with pytest.raises(InvalidInput) as exc:
        services.campaign_create(actor=maya, data=plan_data(world, **change))
    assert field in exc.value.errors, exc.value.errors
    assert all(isinstance(m, str) and m for m in exc.value.errors[field])
    assert Campaign.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_shares_within_a_thousandth_of_one_are_accepted(maya):
    world = make_world()
    data = plan_data(world, skus=[{"sku": "TEE-01", "share": "0.3333"}, {"sku": "CAP-01", "share": "0.6666"}])
    assert services.campaign_create(actor=maya, data=data).sku_lines.count() == 2


def test_dates_accept_date_objects_and_iso_strings(maya):
    world = make_world()
    campaign = services.campaign_create(
        actor=maya, data=plan_data(world, starts_on="2026-12-01", ends_on=dt.date(2026, 12, 3))
    )
    assert campaign.days == 3


def test_not_a_mapping_is_refused(maya):
    with pytest.raises(InvalidInput):
        services.campaign_create(actor=maya, data=["not", "a", "plan"])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"dimension": "money", "decision": "approved"}, "dimension"),
        ({"dimension": "courier", "decision": "maybe"}, "decision"),
        ({"dimension": "courier", "decision": "rejected", "comment": "\x00"}, "comment"),
        ({"dimension": "courier", "decision": "approved", "comment": "x" * 5001}, "comment"),
        (
            {"dimension": "courier", "decision": "rejected", "comment": "no", "approved_orders_per_day": 5},
            "approved_orders_per_day",
        ),
    ],
)
def test_bad_sign_off_input_is_refused(maya, lata, kwargs, field):
    from tests.helpers import submitted

    campaign = submitted(make_world(), maya)
    with pytest.raises(InvalidInput) as exc:
        services.campaign_sign_off(campaign=campaign, actor=lata, **kwargs)
    assert field in exc.value.errors
    assert Campaign.objects.get(pk=campaign.pk).status == "submitted"
    assert not campaign.signoffs.exists()
