"""Translation between JSON and the capacity models; SKUs, warehouses, regions and
couriers are referred to by `code`.

The serializers read and type a body (the fields, their types and bounds, as the models
declare them); the rules between fields — one lane per courier × region, a constraint's
one scope and its dates in order, a stock count replacing the last — are
`capacity.services`', which the viewsets hand the validated data to."""

from rest_framework import serializers

from capacity.models import (
    CapacityConstraint,
    Courier,
    CourierLane,
    InboundShipment,
    Region,
    Sku,
    StockLevel,
    SupportTeam,
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
        fields = ["code", "name", "safety_stock", "baseline_units_per_day", "return_rate", "contact_rate", "is_active"]


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
        validators = []  # one lane per courier × region: `services.lane_save` says so on the region field


class StockLevelSerializer(CapacitySerializer):
    sku = code_field(Sku)
    warehouse = code_field(Warehouse)
    as_of = serializers.DateTimeField(required=False)

    class Meta:
        model = StockLevel
        fields = ["id", "sku", "warehouse", "on_hand", "as_of"]
        validators = []  # one row per SKU × warehouse: `services.stock_level_set` updates an existing pair


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
    support_team = serializers.PrimaryKeyRelatedField(
        queryset=SupportTeam.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = CapacityConstraint
        fields = [
            "id", "kind", "starts_on", "ends_on", "warehouse", "courier", "region", "support_team",
            "capacity_factor", "note",
        ]  # fmt: skip


class SupportTeamSerializer(CapacitySerializer):
    class Meta:
        model = SupportTeam
        fields = [
            "id", "name", "channel", "agents_per_day", "tickets_per_agent_per_day", "baseline_tickets_per_day",
            "is_active",
        ]  # fmt: skip
        # The name's uniqueness is the service's rule (a 400 for `name`), not the serializer's.
        extra_kwargs = {"name": {"validators": []}}
