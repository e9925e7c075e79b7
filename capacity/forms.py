"""Web forms for the capacity pages: they collect and type the input, in ops' units
(NDR and capacity left as percentages); `capacity.services` decides what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from capacity.models import CapacityConstraint, Courier, Region, Sku, SupportTeam, Warehouse, code_validator
from capacity.services import MAX_COUNT
from mopsync.forms import date_field, form_message, percent_field, percent_of, rate_of, says_its_field


class CodeChoiceField(forms.ModelChoiceField):
    """Choose a SKU, warehouse, courier or region by its code. NUL characters are
    refused here, before the lookup: PostgreSQL cannot compare them."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="code", **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def count_field(label: str, *, minimum: int = 0, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=minimum, max_value=MAX_COUNT, **kwargs)


def baseline_field() -> forms.IntegerField:
    return count_field(
        "Baseline (business-as-usual orders/day)", required=False, initial=0, help_text="Empty means none."
    )


class ServiceForm(forms.Form):
    """A form whose cleaned data is the keyword arguments of one service call. A
    refusal's field messages go back next to the fields (`ALIASES` maps service
    names to form names); messages for no field go on top of the form."""

    ALIASES: dict[str, str] = {}
    # The service's fields this form asks in percent (its messages say percent too).
    PERCENT: tuple[str, ...] = ()

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    def clean_baseline_orders_per_day(self):
        return self.cleaned_data.get("baseline_orders_per_day") or 0

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """The service's messages in this form's words (its labels, percent), each its own."""
        labels = {name: str(self[name].label) for name in self.fields}
        labels.update({service: labels[name] for service, name in self.ALIASES.items() if name in labels})
        for field, msgs in errors.items():
            name = self.ALIASES.get(field, field)
            for msg in msgs:
                text = form_message(msg, field=field, labels=labels, percent=self.PERCENT)
                if name in self.fields:
                    self.add_error(name, text)
                elif field in labels or field == "non_field_errors" or says_its_field(msg):
                    self.add_error(None, text)
                else:
                    self.add_error(None, f"{field.replace('_', ' ').capitalize()}: {text}")


class StockLevelForm(ServiceForm):
    sku = CodeChoiceField(Sku.objects.all(), label="SKU")
    warehouse = CodeChoiceField(Warehouse.objects.all())
    on_hand = count_field("Units on hand", help_text="As counted now; replaces the last count for this SKU here.")

    def __init__(self, *args, fixed_pair: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_pair:  # editing a row: the SKU and warehouse are what the row is
            self.fields["sku"].disabled = True
            self.fields["warehouse"].disabled = True


class InboundForm(ServiceForm):
    sku = CodeChoiceField(Sku.objects.all(), label="SKU")
    warehouse = CodeChoiceField(Warehouse.objects.all())
    quantity = count_field("Quantity (units)", minimum=1)
    expected_on = date_field(label="Expected on")
    reference = forms.CharField(max_length=100, required=False, help_text="Purchase order or ASN number.")

    @staticmethod
    def initial_from(shipment) -> dict[str, Any]:
        return {
            "sku": shipment.sku,
            "warehouse": shipment.warehouse,
            "quantity": shipment.quantity,
            "expected_on": shipment.expected_on,
            "reference": shipment.reference,
        }


class WarehouseForm(ServiceForm):
    code = forms.CharField(max_length=40, validators=[code_validator], help_text="Used in the API and CSV files.")
    name = forms.CharField(max_length=200)
    daily_dispatch_capacity = count_field("Dispatch capacity (orders/day)")
    baseline_orders_per_day = baseline_field()

    @staticmethod
    def initial_from(warehouse) -> dict[str, Any]:
        return {
            "code": warehouse.code,
            "name": warehouse.name,
            "daily_dispatch_capacity": warehouse.daily_dispatch_capacity,
            "baseline_orders_per_day": warehouse.baseline_orders_per_day,
        }


class LaneForm(ServiceForm):
    ALIASES = {"ndr_rate": "ndr_percent"}
    PERCENT = ("ndr_rate",)

    courier = CodeChoiceField(Courier.objects.all())
    region = CodeChoiceField(Region.objects.all())
    daily_capacity = count_field("Pickup capacity (orders/day)")
    baseline_orders_per_day = baseline_field()
    avg_delivery_days = forms.DecimalField(label="Average delivery days", min_value=0, max_digits=5, decimal_places=2)
    ndr_percent = percent_field("NDR (%)", help_text="Share of deliveries that fail, mostly cash on delivery.")
    cod_supported = forms.BooleanField(required=False, initial=True, label="Takes cash on delivery")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["ndr_rate"] = rate_of(data.pop("ndr_percent"), "0.0001")
        return data

    @staticmethod
    def initial_from(lane) -> dict[str, Any]:
        return {
            "courier": lane.courier,
            "region": lane.region,
            "daily_capacity": lane.daily_capacity,
            "baseline_orders_per_day": lane.baseline_orders_per_day,
            "avg_delivery_days": lane.avg_delivery_days,
            "ndr_percent": percent_of(lane.ndr_rate),
            "cod_supported": lane.cod_supported,
        }


class ConstraintForm(ServiceForm):
    ALIASES = {"capacity_factor": "capacity_percent"}
    PERCENT = ("capacity_factor",)

    kind = forms.ChoiceField(choices=CapacityConstraint.Kind.choices)
    starts_on = date_field(label="From")
    ends_on = date_field(label="To", help_text="Inclusive.")
    warehouse = CodeChoiceField(Warehouse.objects.all(), required=False, help_text="On its own: no courier or region.")
    courier = CodeChoiceField(Courier.objects.all(), required=False, help_text="Everywhere, or in the region below.")
    region = CodeChoiceField(Region.objects.all(), required=False, help_text="On its own, or with a courier.")
    support_team = forms.ModelChoiceField(
        SupportTeam.objects.all(), required=False, help_text="A support team's holiday or reduced day: on its own."
    )
    capacity_percent = percent_field(
        "Capacity left (%)", required=False, help_text="Share of normal capacity left; empty means 0 (closed)."
    )
    note = forms.CharField(max_length=200, required=False)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["capacity_factor"] = rate_of(data.pop("capacity_percent"), "0.001")
        return data

    @staticmethod
    def initial_from(constraint) -> dict[str, Any]:
        return {
            "kind": constraint.kind,
            "starts_on": constraint.starts_on,
            "ends_on": constraint.ends_on,
            "warehouse": constraint.warehouse,
            "courier": constraint.courier,
            "region": constraint.region,
            "support_team": constraint.support_team,
            "capacity_percent": percent_of(constraint.capacity_factor),
            "note": constraint.note,
        }


# --------------------------------------------------------------------------- list filters

SEARCH = forms.TextInput(attrs={"placeholder": "code or name", "type": "search"})
WHEN = [("upcoming", "Upcoming"), ("past", "Past"), ("all", "All")]


class StockFilterForm(forms.Form):
    sku = forms.CharField(required=False, max_length=100, label="SKU", widget=SEARCH)
    warehouse = CodeChoiceField(Warehouse.objects.all(), required=False, empty_label="Any warehouse")


class InboundFilterForm(StockFilterForm):
    when = forms.ChoiceField(choices=WHEN, required=False, label="Expected")


class LaneFilterForm(forms.Form):
    courier = CodeChoiceField(Courier.objects.all(), required=False, empty_label="Any courier")
    region = forms.CharField(required=False, max_length=100, widget=SEARCH)
    flagged = forms.BooleanField(required=False, label="Only flagged lanes")


class WarehouseFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search", widget=SEARCH)


class ConstraintFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Any kind"), *CapacityConstraint.Kind.choices], required=False)
    when = forms.ChoiceField(choices=WHEN, required=False)
