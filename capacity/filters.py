import django_filters

from capacity.models import CapacityConstraint, CourierLane, InboundShipment, StockLevel


class CourierLaneFilter(django_filters.FilterSet):
    courier = django_filters.CharFilter(field_name="courier__code")
    region = django_filters.CharFilter(field_name="region__code")

    class Meta:
        model = CourierLane
        fields = ["courier", "region", "cod_supported"]


class StockLevelFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="sku__code")
    warehouse = django_filters.CharFilter(field_name="warehouse__code")

    class Meta:
        model = StockLevel
        fields = ["sku", "warehouse"]


class InboundShipmentFilter(StockLevelFilter):
    expected_from = django_filters.DateFilter(field_name="expected_on", lookup_expr="gte")
    expected_to = django_filters.DateFilter(field_name="expected_on", lookup_expr="lte")

    class Meta:
        model = InboundShipment
        fields = ["sku", "warehouse"]


class CapacityConstraintFilter(django_filters.FilterSet):
    warehouse = django_filters.CharFilter(field_name="warehouse__code")
    courier = django_filters.CharFilter(field_name="courier__code")
    region = django_filters.CharFilter(field_name="region__code")
    active_from = django_filters.DateFilter(field_name="ends_on", lookup_expr="gte")
    active_to = django_filters.DateFilter(field_name="starts_on", lookup_expr="lte")

    class Meta:
        model = CapacityConstraint
        fields = ["kind", "warehouse", "courier", "region"]
