"""What must never be stored is refused by the database itself, whatever wrote it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import CampaignSku
from capacity.models import CapacityConstraint, CourierLane, Reservation, SignOff
from tests.factories import LaneFactory, WarehouseFactory
from tests.helpers import make_world, submitted

pytestmark = pytest.mark.django_db


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_shares_outside_zero_to_one_are_refused(maya):
    campaign = submitted(make_world(), maya)
    line = campaign.sku_lines.first()
    assert refused(lambda: CampaignSku.objects.filter(pk=line.pk).update(share=Decimal("1.5")))
    assert refused(lambda: CampaignSku.objects.filter(pk=line.pk).update(share=Decimal("0")))


def test_negative_capacity_and_rates_out_of_range_are_refused():
    lane = LaneFactory()
    assert refused(lambda: CourierLane.objects.filter(pk=lane.pk).update(daily_capacity=-1))
    assert refused(lambda: CourierLane.objects.filter(pk=lane.pk).update(ndr_rate=Decimal("1.2")))


def test_end_before_start_is_refused(maya):
    campaign = submitted(make_world(), maya)
    assert refused(lambda: type(campaign).objects.filter(pk=campaign.pk).update(ends_on=dt.date(2000, 1, 1)))
    warehouse = WarehouseFactory()
    assert refused(
        lambda: CapacityConstraint.objects.create(
            kind="warehouse_blackout", starts_on=dt.date(2026, 12, 2), ends_on=dt.date(2026, 12, 1), warehouse=warehouse
        )
    )


def test_constraint_needs_exactly_one_scope():
    assert refused(
        lambda: CapacityConstraint.objects.create(
            kind="reduced_capacity", starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 1)
        )
    )


def test_two_sign_offs_of_one_dimension_for_one_version_are_refused(maya, ishaan, omar):
    campaign = submitted(make_world(), maya)
    SignOff.objects.create(campaign=campaign, dimension="inventory", decision="approved", actor=ishaan, plan_version=1)
    assert refused(
        lambda: SignOff.objects.create(
            campaign=campaign, dimension="inventory", decision="rejected", actor=omar, plan_version=1
        )
    )


def test_reservation_needs_a_positive_quantity_and_one_resource(maya):
    world = make_world()
    campaign = submitted(world, maya)
    day = dt.date(2026, 12, 1)
    assert refused(
        lambda: Reservation.objects.create(
            campaign=campaign, dimension="inventory", kind="stock", sku=world.sku, day=day, quantity=0
        )
    )
    assert refused(
        lambda: Reservation.objects.create(
            campaign=campaign, dimension="courier", kind="lane", sku=world.sku, day=day, quantity=5
        )
    )
