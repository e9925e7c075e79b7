"""Admin for the operations side.

Reference data (SKUs, warehouses, regions, couriers, lanes, stock, inbound,
constraints) is configuration that ops keep current, so it is editable here.
Sign-offs and reservations are written only by `campaigns.services` (rule 2: under
row locks, with the check re-run), so the admin shows them read-only.
"""

from django.contrib import admin

from capacity.models import (
    CapacityConstraint,
    Courier,
    CourierLane,
    ImportJob,
    InboundShipment,
    LanePerformance,
    Region,
    Reservation,
    ReturnRecord,
    SignOff,
    Sku,
    StockLevel,
    Warehouse,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the workflow writes: viewable, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --------------------------------------------------------------------------- reference data


@admin.register(Sku)
class SkuAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "safety_stock", "baseline_units_per_day", "return_rate", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    ordering = ["code"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "daily_dispatch_capacity", "baseline_orders_per_day"]
    search_fields = ["code", "name"]
    ordering = ["code"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "warehouse"]
    list_filter = ["warehouse"]
    search_fields = ["code", "name"]
    ordering = ["code"]
    list_select_related = ["warehouse"]
    autocomplete_fields = ["warehouse"]


@admin.register(Courier)
class CourierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    ordering = ["code"]


@admin.register(CourierLane)
class CourierLaneAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "courier",
        "region",
        "daily_capacity",
        "baseline_orders_per_day",
        "avg_delivery_days",
        "ndr_rate",
        "cod_supported",
    ]
    list_filter = ["courier", "cod_supported"]
    search_fields = ["courier__code", "courier__name", "region__code", "region__name"]
    ordering = ["region__code", "courier__code"]
    list_select_related = ["courier", "region"]
    autocomplete_fields = ["courier", "region"]


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    list_display = ["sku", "warehouse", "on_hand", "as_of"]
    list_filter = ["warehouse"]
    search_fields = ["sku__code", "sku__name", "warehouse__code"]
    ordering = ["sku__code", "warehouse__code"]
    list_select_related = ["sku", "warehouse"]
    autocomplete_fields = ["sku", "warehouse"]


@admin.register(InboundShipment)
class InboundShipmentAdmin(admin.ModelAdmin):
    list_display = ["expected_on", "sku", "warehouse", "quantity", "reference"]
    list_filter = ["warehouse", "expected_on"]
    search_fields = ["sku__code", "sku__name", "warehouse__code", "reference"]
    ordering = ["expected_on", "sku__code"]
    date_hierarchy = "expected_on"
    list_select_related = ["sku", "warehouse"]
    autocomplete_fields = ["sku", "warehouse"]


@admin.register(CapacityConstraint)
class CapacityConstraintAdmin(admin.ModelAdmin):
    list_display = ["kind", "starts_on", "ends_on", "warehouse", "courier", "region", "capacity_factor", "note"]
    list_filter = ["kind", "warehouse", "courier"]
    search_fields = ["note", "warehouse__code", "courier__code", "region__code", "region__name"]
    ordering = ["-starts_on", "id"]
    date_hierarchy = "starts_on"
    list_select_related = ["warehouse", "courier", "region"]
    autocomplete_fields = ["warehouse", "courier", "region"]


# --------------------------------------------------------------------------- written by the workflow


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "campaign",
        "dimension",
        "decision",
        "approved_orders_per_day",
        "plan_version",
        "verdict",
        "actor",
    ]
    list_filter = ["dimension", "decision"]
    search_fields = ["campaign__name", "actor__username", "comment"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    list_select_related = ["campaign", "actor"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    """Per-day holds; filter one campaign's with `?campaign__id__exact=<id>` (linked from the campaign)."""

    list_display = ["day", "campaign", "dimension", "kind", "quantity", "sku", "warehouse", "lane"]
    list_filter = ["dimension", "kind"]
    search_fields = ["campaign__name", "sku__code", "warehouse__code", "lane__courier__code", "lane__region__code"]
    ordering = ["day", "kind", "id"]
    date_hierarchy = "day"
    list_select_related = ["campaign", "sku", "warehouse", "lane__courier", "lane__region"]


# --------------------------------------------------------------------------- written by imports


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Uploaded files and their error reports; imports are made at /capacity/imports/ or the API."""

    list_display = ["created_at", "kind", "status", "file_name", "rows_total", "rows_done", "created_by"]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "created_by__username"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    list_select_related = ["created_by"]
    exclude = ["content"]


@admin.register(LanePerformance)
class LanePerformanceAdmin(ReadOnlyAdmin):
    """Written by the lane_performance import, which also keeps the lanes' rates in step."""

    list_display = ["lane", "period_start", "period_end", "shipments", "delivered", "ndr_count", "avg_delivery_days"]
    list_filter = ["lane__courier"]
    search_fields = ["lane__courier__code", "lane__region__code", "lane__region__name"]
    ordering = ["-period_end", "lane_id"]
    list_select_related = ["lane__courier", "lane__region"]


@admin.register(ReturnRecord)
class ReturnRecordAdmin(ReadOnlyAdmin):
    """Written by the returns import, which also keeps the SKUs' return rates in step."""

    list_display = ["date", "sku", "channel", "region", "orders", "returned"]
    list_filter = ["channel"]
    search_fields = ["sku__code", "sku__name", "region__code"]
    ordering = ["-date", "sku_id"]
    date_hierarchy = "date"
    list_select_related = ["sku", "region"]
