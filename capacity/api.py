"""REST endpoints for capacity reference data (translation only: the serializers read and
type the JSON, `capacity.services` decides and writes)."""

from rest_framework import mixins, status, viewsets
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response

from capacity import filters, serializers, services
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
from mopsync.api import ANY_SEGMENT, whole_row, writers
from mopsync.roles import OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS, OPS_SUPPORT

INVENTORY_WRITERS = writers(OPS_INVENTORY, OPS_LEAD)
LOGISTICS_WRITERS = writers(OPS_LOGISTICS, OPS_LEAD)
SUPPORT_WRITERS = writers(OPS_SUPPORT, OPS_LEAD)
OPS_WRITERS = writers(OPS_INVENTORY, OPS_LOGISTICS, OPS_SUPPORT, OPS_LEAD)


# POST and PATCH call `service`, a function of `capacity.services` (looked up when called),
# with the serializer's validated data; a PATCH names the row by `row_keyword`. (A comment,
# not a docstring: the API's published docs would show it for every operation.)
class ServiceWrites:
    service: str
    row_keyword: str

    def write(self, **data):
        return getattr(services, self.service)(actor=self.request.user, **data)

    def perform_create(self, serializer):
        serializer.instance = self.write(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.write(**{self.row_keyword: serializer.instance}, **whole_row(serializer))


class CreateListUpdate(
    ServiceWrites, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """GET, POST, PATCH (no PUT, no DELETE): reference data is kept, not removed."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [*viewsets.GenericViewSet.filter_backends, SearchFilter, OrderingFilter]
    lookup_value_regex = ANY_SEGMENT


class ByCode(CreateListUpdate):
    lookup_field = "code"
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]


class SkuViewSet(ByCode):
    queryset = Sku.objects.all()
    serializer_class = serializers.SkuSerializer
    permission_classes = [INVENTORY_WRITERS]
    filterset_fields = ["is_active"]
    service, row_keyword = "sku_save", "sku"


class WarehouseViewSet(ByCode):
    queryset = Warehouse.objects.all()
    serializer_class = serializers.WarehouseSerializer
    permission_classes = [LOGISTICS_WRITERS]
    service, row_keyword = "warehouse_save", "warehouse"


class RegionViewSet(ByCode):
    queryset = Region.objects.select_related("warehouse")
    serializer_class = serializers.RegionSerializer
    permission_classes = [LOGISTICS_WRITERS]
    service, row_keyword = "region_save", "region"


class CourierViewSet(ByCode):
    queryset = Courier.objects.all()
    serializer_class = serializers.CourierSerializer
    permission_classes = [LOGISTICS_WRITERS]
    filterset_fields = ["is_active"]
    service, row_keyword = "courier_save", "courier"


class CourierLaneViewSet(CreateListUpdate):
    queryset = CourierLane.objects.select_related("courier", "region")
    serializer_class = serializers.CourierLaneSerializer
    permission_classes = [LOGISTICS_WRITERS]
    filterset_class = filters.CourierLaneFilter
    ordering_fields = ["daily_capacity", "ndr_rate", "avg_delivery_days"]
    ordering = ["region__code", "courier__code"]
    service, row_keyword = "lane_save", "lane"


class SupportTeamViewSet(CreateListUpdate):
    queryset = SupportTeam.objects.all()
    serializer_class = serializers.SupportTeamSerializer
    permission_classes = [SUPPORT_WRITERS]
    filterset_fields = ["is_active", "channel"]
    search_fields = ["name"]
    ordering_fields = ["name", "agents_per_day"]
    ordering = ["name"]
    service, row_keyword = "support_team_save", "team"


class StockLevelViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    lookup_value_regex = ANY_SEGMENT
    queryset = StockLevel.objects.select_related("sku", "warehouse")
    serializer_class = serializers.StockLevelSerializer
    permission_classes = [INVENTORY_WRITERS]
    filterset_class = filters.StockLevelFilter
    filter_backends = [*viewsets.GenericViewSet.filter_backends, OrderingFilter]
    ordering_fields = ["on_hand", "as_of"]
    ordering = ["sku__code", "warehouse__code"]

    def create(self, request, *args, **kwargs):
        """A stock count: creates the SKU × warehouse row, or updates it (200) if it exists."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = StockLevel.objects.filter(sku=data["sku"], warehouse=data["warehouse"]).exists()
        row = services.stock_level_set(actor=request.user, **data)
        return Response(
            self.get_serializer(row).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )


class InboundShipmentViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    lookup_value_regex = ANY_SEGMENT
    queryset = InboundShipment.objects.select_related("sku", "warehouse")
    serializer_class = serializers.InboundShipmentSerializer
    permission_classes = [INVENTORY_WRITERS]
    filterset_class = filters.InboundShipmentFilter
    filter_backends = [*viewsets.GenericViewSet.filter_backends, OrderingFilter]
    ordering_fields = ["expected_on", "quantity"]
    ordering = ["expected_on", "id"]

    def perform_create(self, serializer):
        serializer.instance = services.inbound_create(actor=self.request.user, **serializer.validated_data)


class CapacityConstraintViewSet(ServiceWrites, viewsets.ModelViewSet):
    lookup_value_regex = ANY_SEGMENT
    queryset = CapacityConstraint.objects.select_related("warehouse", "courier", "region", "support_team")
    serializer_class = serializers.CapacityConstraintSerializer
    permission_classes = [OPS_WRITERS]
    filterset_class = filters.CapacityConstraintFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends = [*viewsets.GenericViewSet.filter_backends, OrderingFilter]
    ordering_fields = ["starts_on", "ends_on"]
    ordering = ["starts_on", "id"]
    service, row_keyword = "constraint_save", "constraint"

    def perform_destroy(self, instance):
        services.constraint_delete(actor=self.request.user, constraint=instance)
