"""Factories for capacity data and campaigns. Campaigns are moved through states
with the real services (see `tests.helpers`), never by setting `status`."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from capacity import models as cap
from mopsync import versions


class _Factory(factory.django.DjangoModelFactory):
    """Writes reference and stock rows as the services would, announcing the change
    (`mopsync.versions`) so that a page read afterwards does not answer from its memo."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        versions.changed(versions.REF, versions.DATA)
        return super()._create(model_class, *args, **kwargs)


class SkuFactory(_Factory):
    class Meta:
        model = cap.Sku

    code = factory.Sequence(lambda n: f"SKU-{n:03d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    safety_stock = 0


class WarehouseFactory(_Factory):
    class Meta:
        model = cap.Warehouse

    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    daily_dispatch_capacity = 10_000


class RegionFactory(_Factory):
    class Meta:
        model = cap.Region

    code = factory.Sequence(lambda n: f"R{n:02d}")
    name = factory.Sequence(lambda n: f"City {n}")
    warehouse = factory.SubFactory(WarehouseFactory)


class CourierFactory(_Factory):
    class Meta:
        model = cap.Courier

    code = factory.Sequence(lambda n: f"C{n}")
    name = factory.Sequence(lambda n: f"Courier {n}")


class LaneFactory(_Factory):
    class Meta:
        model = cap.CourierLane

    courier = factory.SubFactory(CourierFactory)
    region = factory.SubFactory(RegionFactory)
    daily_capacity = 1_000
    avg_delivery_days = Decimal("3")
    ndr_rate = Decimal("0.05")


class StockFactory(_Factory):
    class Meta:
        model = cap.StockLevel

    sku = factory.SubFactory(SkuFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    on_hand = 100_000
    as_of = factory.LazyFunction(timezone.now)


class InboundFactory(_Factory):
    class Meta:
        model = cap.InboundShipment

    sku = factory.SubFactory(SkuFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    quantity = 100
    expected_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=3))
