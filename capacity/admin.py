"""Admin for the operations side.

Reference data (SKUs, warehouses, regions, couriers, lanes, stock, inbound,
constraints) is configuration that ops keep current, so it is editable here, and
written, as from the pages and the API, by `capacity.services`: the admin's forms read
and type the input, the services decide (`ServiceAdmin`). Sign-offs and reservations
are written only by `campaigns.services` (rule 2: under row locks, with the check
re-run), so the admin shows them read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import actions as django_actions
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy

from capacity import services
from capacity.models import (
    CapacityConstraint,
    Courier,
    CourierLane,
    CsatResponse,
    ImportJob,
    InboundShipment,
    LanePerformance,
    Region,
    Reservation,
    ReturnRecord,
    SignOff,
    SignOffLine,
    Sku,
    StockLevel,
    SupportTeam,
    SupportTicketCount,
    Warehouse,
)
from mopsync.errors import DomainError, InvalidInput
from mopsync.view_guards import refusal_text

# Where a change form's POST keeps the service's refusal while the form is shown again.
REFUSAL = "_mopsync_service_refusal"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the workflow writes: viewable, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --------------------------------------------------------------------------- written by a service


class ServiceForm(forms.ModelForm):
    """An admin form that only reads and types the input. The model's own validation
    (unique codes, check constraints, field validators) is left to the service, which
    applies the same rules with the messages every other door shows; `refusal` holds
    the messages of a refusal when the form is shown again."""

    refusal: dict[str, list[str]] = {}

    def _post_clean(self):
        # Django's builds the instance and runs the model's validation: here the service
        # does both, from `cleaned_data` (`ServiceAdmin.save_model`).
        for field, msgs in self.refusal.items():
            for msg in msgs:
                self.add_error(field if field in self.fields else None, msg)


@admin.action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
def delete_selected(modeladmin, request, queryset):
    """Django's bulk delete, each row deleted by the service, all in one transaction: a
    row the service refuses to delete leaves every one of them (and says why)."""
    try:
        with transaction.atomic():
            return django_actions.delete_selected(modeladmin, request, queryset)
    except DomainError as exc:
        modeladmin.message_user(request, refusal_text(exc), messages.ERROR)
        return None


class ServiceAdmin(admin.ModelAdmin):
    """Adds, changes and deletes through a service: `write(actor, row, data)` (row None
    when adding; data: the form's typed values) and `remove(actor, row)`.

    A refusal never reaches the user as an error page: the admin's transaction rolls
    back, and the form is shown again with the service's messages next to the fields
    (a refused delete is a message)."""

    form = ServiceForm
    actions = [delete_selected]

    def write(self, actor, row, data: dict):
        raise NotImplementedError

    def remove(self, actor, row) -> None:
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, REFUSAL, None)
        return type(form.__name__, (form,), {"refusal": refusal}) if refusal else form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            # Nothing was written (the view's transaction rolled back): the same POST again,
            # its form now carrying the refusal, renders what was typed with the messages.
            errors = (exc.errors if isinstance(exc, InvalidInput) else None) or {"non_field_errors": [exc.message]}
            setattr(request, REFUSAL, errors)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, refusal_text(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        saved = self.write(request.user, obj if change else None, dict(form.cleaned_data))
        if saved is not obj:
            # A new row: the admin goes on with `obj` (its log entry, its redirect).
            for field in obj._meta.concrete_fields:
                setattr(obj, field.attname, getattr(saved, field.attname))
            obj._state.adding = False
            obj._state.db = saved._state.db

    def delete_model(self, request, obj):
        self.remove(request.user, obj)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            self.remove(request.user, row)


# --------------------------------------------------------------------------- reference data


@admin.register(Sku)
class SkuAdmin(ServiceAdmin):
    list_display = ["code", "name", "safety_stock", "baseline_units_per_day", "return_rate", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    ordering = ["code"]

    def write(self, actor, row, data):
        return services.sku_save(actor=actor, sku=row, **data)

    def remove(self, actor, row):
        services.sku_delete(actor=actor, sku=row)


@admin.register(Warehouse)
class WarehouseAdmin(ServiceAdmin):
    list_display = ["code", "name", "daily_dispatch_capacity", "baseline_orders_per_day"]
    search_fields = ["code", "name"]
    ordering = ["code"]

    def write(self, actor, row, data):
        return services.warehouse_save(actor=actor, warehouse=row, **data)

    def remove(self, actor, row):
        services.warehouse_delete(actor=actor, warehouse=row)


@admin.register(Region)
class RegionAdmin(ServiceAdmin):
    list_display = ["code", "name", "warehouse"]
    list_filter = ["warehouse"]
    search_fields = ["code", "name"]
    ordering = ["code"]
    list_select_related = ["warehouse"]
    autocomplete_fields = ["warehouse"]

    def write(self, actor, row, data):
        return services.region_save(actor=actor, region=row, **data)

    def remove(self, actor, row):
        services.region_delete(actor=actor, region=row)


@admin.register(Courier)
class CourierAdmin(ServiceAdmin):
    list_display = ["code", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    ordering = ["code"]

    def write(self, actor, row, data):
        return services.courier_save(actor=actor, courier=row, **data)

    def remove(self, actor, row):
        services.courier_delete(actor=actor, courier=row)


@admin.register(CourierLane)
class CourierLaneAdmin(ServiceAdmin):
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

    def write(self, actor, row, data):
        return services.lane_save(actor=actor, lane=row, **data)

    def remove(self, actor, row):
        services.lane_delete(actor=actor, lane=row)


@admin.register(StockLevel)
class StockLevelAdmin(ServiceAdmin):
    list_display = ["sku", "warehouse", "on_hand", "as_of"]
    list_filter = ["warehouse"]
    search_fields = ["sku__code", "sku__name", "warehouse__code"]
    ordering = ["sku__code", "warehouse__code"]
    list_select_related = ["sku", "warehouse"]
    autocomplete_fields = ["sku", "warehouse"]

    def write(self, actor, row, data):
        return services.stock_level_set(actor=actor, stock_level=row, **data)

    def remove(self, actor, row):
        services.stock_level_delete(actor=actor, stock_level=row)


@admin.register(InboundShipment)
class InboundShipmentAdmin(ServiceAdmin):
    list_display = ["expected_on", "sku", "warehouse", "quantity", "reference"]
    list_filter = ["warehouse", "expected_on"]
    search_fields = ["sku__code", "sku__name", "warehouse__code", "reference"]
    ordering = ["expected_on", "sku__code"]
    date_hierarchy = "expected_on"
    list_select_related = ["sku", "warehouse"]
    autocomplete_fields = ["sku", "warehouse"]

    def write(self, actor, row, data):
        if row is None:
            return services.inbound_create(actor=actor, **data)
        return services.inbound_update(actor=actor, shipment=row, **data)

    def remove(self, actor, row):
        services.inbound_delete(actor=actor, shipment=row)


@admin.register(SupportTeam)
class SupportTeamAdmin(ServiceAdmin):
    list_display = [
        "name", "channel", "agents_per_day", "tickets_per_agent_per_day", "baseline_tickets_per_day", "is_active",
    ]  # fmt: skip
    list_filter = ["channel", "is_active"]
    search_fields = ["name"]
    ordering = ["name"]

    def write(self, actor, row, data):
        return services.support_team_save(actor=actor, team=row, **data)

    def remove(self, actor, row):
        services.support_team_delete(actor=actor, team=row)


@admin.register(CapacityConstraint)
class CapacityConstraintAdmin(ServiceAdmin):
    list_display = [
        "kind", "starts_on", "ends_on", "warehouse", "courier", "region", "support_team", "capacity_factor", "note",
    ]  # fmt: skip
    list_filter = ["kind", "warehouse", "courier"]
    search_fields = ["note", "warehouse__code", "courier__code", "region__code", "region__name"]
    ordering = ["-starts_on", "id"]
    date_hierarchy = "starts_on"
    list_select_related = ["warehouse", "courier", "region", "support_team"]
    autocomplete_fields = ["warehouse", "courier", "region", "support_team"]

    def write(self, actor, row, data):
        return services.constraint_save(actor=actor, constraint=row, **data)

    def remove(self, actor, row):
        services.constraint_delete(actor=actor, constraint=row)


# --------------------------------------------------------------------------- written by the workflow


class SignOffLineInline(admin.TabularInline):
    """An inventory approval's per-SKU decisions (issue 19), read-only as the sign-off."""

    model = SignOffLine
    fields = readonly_fields = ["sku", "decision", "approved_units_per_day", "comment"]
    extra = 0
    can_delete = False
    verbose_name = "SKU decision"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sku")


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    inlines = [SignOffLineInline]
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


@admin.register(SignOffLine)
class SignOffLineAdmin(ReadOnlyAdmin):
    """Per-SKU decisions of inventory approvals (also inline on their sign-off)."""

    list_display = ["signoff", "campaign", "sku", "decision", "approved_units_per_day", "comment"]
    list_filter = ["decision"]
    search_fields = ["sku__code", "signoff__campaign__name", "comment"]
    ordering = ["-signoff__created_at", "sku__code"]
    list_select_related = ["signoff__campaign", "sku"]

    @admin.display(description="campaign")
    def campaign(self, obj):
        return obj.signoff.campaign


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


@admin.register(SupportTicketCount)
class SupportTicketCountAdmin(ReadOnlyAdmin):
    """Written by the support_tickets import."""

    list_display = ["day", "channel", "tickets", "campaign"]
    list_filter = ["channel"]
    search_fields = ["campaign__name"]
    ordering = ["-day", "channel"]
    date_hierarchy = "day"
    list_select_related = ["campaign"]


@admin.register(CsatResponse)
class CsatResponseAdmin(ReadOnlyAdmin):
    """Written by the csat import: answers counted by day × region × campaign × score."""

    list_display = ["day", "region", "campaign", "score", "responses"]
    list_filter = ["score"]
    search_fields = ["region__code", "campaign__name"]
    ordering = ["-day", "region_id", "score"]
    date_hierarchy = "day"
    list_select_related = ["region", "campaign"]
