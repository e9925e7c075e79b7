"""Translation between JSON and the capacity models; SKUs, warehouses, regions and
couriers are referred to by `code`."""

from django.utils import timezone
from rest_framework import serializers

from capacity.models import (
    CapacityConstraint,
    Courier,
    CourierLane,
    InboundShipment,
    Region,
    Sku,
    StockLevel,
    Warehouse,
)

INT_MAX = 2_147_483_647  # PostgreSQL `integer`; SQLite would store more, so the API says no on every database


class CodeField(serializers.SlugRelatedField):
    """A reference by `code`. Refuses NUL bytes before they reach the database
    (PostgreSQL rejects them in a query, which would otherwise be a server error)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def code_field(model, **kwargs):
    return CodeField(slug_field="code", queryset=model.objects.all(), **kwargs)


class CapacitySerializer(serializers.ModelSerializer):
    """Integer columns are bounded at the edge: an integer beyond the column is a 400 for the
    field on every database, not a value stored on SQLite and a database error on PostgreSQL."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.IntegerField) and not kwargs.get("read_only"):
            kwargs["max_value"] = min(kwargs.get("max_value", INT_MAX), INT_MAX)
        return field_class, kwargs


class SkuSerializer(CapacitySerializer):
    class Meta:
        model = Sku
        fields = ["code", "name", "safety_stock", "baseline_units_per_day", "return_rate", "is_active"]


class WarehouseSerializer(CapacitySerializer):
    class Meta:
        model = Warehouse
        fields = ["code", "name", "daily_dispatch_capacity", "baseline_orders_per_day"]


class RegionSerializer(CapacitySerializer):
    warehouse = code_field(Warehouse, allow_null=True, required=False)

    class Meta:
        model = Region
        fields = ["code", "name", "warehouse"]


class CourierSerializer(CapacitySerializer):
    class Meta:
        model = Courier
        fields = ["code", "name", "is_active"]


class CourierLaneSerializer(CapacitySerializer):
    courier = code_field(Courier)
    region = code_field(Region)

    class Meta:
        model = CourierLane
        fields = [
            "id", "courier", "region", "daily_capacity", "baseline_orders_per_day", "avg_delivery_days", "ndr_rate",
            "cod_supported",
        ]  # fmt: skip
        validators = []  # one lane per courier × region: `validate` says so on the region field

    def validate(self, attrs):
        courier = attrs.get("courier", getattr(self.instance, "courier", None))
        region = attrs.get("region", getattr(self.instance, "region", None))
        clash = CourierLane.objects.filter(courier=courier, region=region)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"region": ["This courier already has a lane to this region."]})
        return attrs


class StockLevelSerializer(CapacitySerializer):
    sku = code_field(Sku)
    warehouse = code_field(Warehouse)
    as_of = serializers.DateTimeField(required=False)

    class Meta:
        model = StockLevel
        fields = ["id", "sku", "warehouse", "on_hand", "as_of"]
        validators = []  # one row per SKU × warehouse: a POST for an existing pair updates it

    def validate(self, attrs):
        attrs.setdefault("as_of", timezone.now())
        return attrs


class InboundShipmentSerializer(CapacitySerializer):
    sku = code_field(Sku)
    warehouse = code_field(Warehouse)
    quantity = serializers.IntegerField(min_value=1, max_value=INT_MAX)

    class Meta:
        model = InboundShipment
        fields = ["id", "sku", "warehouse", "quantity", "expected_on", "reference"]


class CapacityConstraintSerializer(CapacitySerializer):
    warehouse = code_field(Warehouse, allow_null=True, required=False)
    courier = code_field(Courier, allow_null=True, required=False)
    region = code_field(Region, allow_null=True, required=False)

    class Meta:
        model = CapacityConstraint
        fields = ["id", "kind", "starts_on", "ends_on", "warehouse", "courier", "region", "capacity_factor", "note"]

    def validate(self, attrs):
        merged = {
            name: attrs.get(name, getattr(self.instance, name, None))
            for name in ("kind", "starts_on", "ends_on", "warehouse", "courier", "region", "capacity_factor")
        }
        errors = {}
        if merged["starts_on"] and merged["ends_on"] and merged["ends_on"] < merged["starts_on"]:
            errors["ends_on"] = ["Must be on or after starts_on."]
        if merged["warehouse"] and (merged["courier"] or merged["region"]):
            errors["warehouse"] = ["A warehouse constraint cannot also name a courier or region."]
        if not (merged["warehouse"] or merged["courier"] or merged["region"]):
            errors["non_field_errors"] = ["Name the warehouse, courier or region it applies to."]
        if merged["kind"] == "warehouse_blackout" and not merged["warehouse"]:
            errors["warehouse"] = ["A warehouse blackout needs a warehouse."]
        if merged["kind"] == "courier_holiday" and not merged["courier"]:
            errors["courier"] = ["A courier holiday needs a courier."]
        if errors:
            raise serializers.ValidationError(errors)
        if merged["kind"] in ("warehouse_blackout", "courier_holiday") and "capacity_factor" not in attrs:
            attrs["capacity_factor"] = 0
        return attrs
