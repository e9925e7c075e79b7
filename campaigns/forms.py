"""Web forms: they collect and type the input, in planners' units (percentages);
the services decide what is allowed."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils.functional import cached_property

from campaigns import notifications
from campaigns.models import Channel, ForecastBasis, Status
from campaigns.validation import MAX_LINES
from capacity.models import Region, Sku
from mopsync.forms import date_field, percent_field, percent_of, rate_of


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    brief = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10_000)
    channel = forms.ChoiceField(choices=Channel.choices)
    starts_on = date_field()
    ends_on = date_field(help_text="Inclusive.")
    forecast_basis = forms.ChoiceField(
        choices=ForecastBasis.choices, widget=forms.RadioSelect, initial=ForecastBasis.ORDERS, label="Forecast as"
    )
    orders_per_day = forms.IntegerField(min_value=1, max_value=1_000_000, required=False, label="Orders per day")
    sessions_per_day = forms.IntegerField(min_value=1, max_value=100_000_000, required=False, label="Sessions per day")
    # The rate is kept to 5 decimals (0.02345): its percent to 3, so it opens as entered.
    conversion_percent = percent_field(
        "Conversion rate (%)", required=False, help_text="3 means 3% of sessions order.", decimal_places=3
    )
    units_per_order = forms.DecimalField(min_value=Decimal("0.01"), max_value=100, decimal_places=2, initial=1)
    cod_percent = percent_field("Cash on delivery (%)", help_text="Share of orders paid on delivery.")
    delivery_promise_days = forms.IntegerField(min_value=1, max_value=60, initial=4, label="Delivery promise (days)")
    budget = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, initial=0, label="Budget")
    expected_order_value = forms.DecimalField(
        min_value=0, max_digits=12, decimal_places=2, initial=0, label="Expected order value"
    )
    auto_pause_on_stockout = forms.BooleanField(required=False, label="Pause automatically if a featured SKU runs low")

    def clean(self):
        data = super().clean()
        if data.get("forecast_basis") == ForecastBasis.SESSIONS:
            if not data.get("sessions_per_day"):
                self.add_error("sessions_per_day", "Give sessions per day.")
            if not data.get("conversion_percent"):
                self.add_error("conversion_percent", "Give the conversion rate.")
        elif not data.get("orders_per_day"):
            self.add_error("orders_per_day", "Give orders per day.")
        return data

    def service_data(self) -> dict:
        d = self.cleaned_data
        data = {
            key: d[key]
            for key in (
                "name", "brief", "channel", "starts_on", "ends_on", "units_per_order", "delivery_promise_days",
                "budget", "expected_order_value", "auto_pause_on_stockout",
            )
        }  # fmt: skip
        data["cod_share"] = rate_of(d["cod_percent"], "0.0001")
        if d.get("forecast_basis") == ForecastBasis.SESSIONS:
            data["sessions_per_day"] = d["sessions_per_day"]
            data["conversion_rate"] = rate_of(d["conversion_percent"], "0.00001")
        else:
            data["orders_per_day"] = d["orders_per_day"]
        return data

    @classmethod
    def initial_from(cls, campaign) -> dict:
        initial = {name: getattr(campaign, name) for name in cls.base_fields if hasattr(campaign, name)}
        initial["cod_percent"] = percent_of(campaign.cod_share)
        if campaign.conversion_rate is not None:
            initial["conversion_percent"] = percent_of(campaign.conversion_rate)
        return initial


class SkuLineForm(forms.Form):
    sku = forms.ModelChoiceField(queryset=Sku.objects.filter(is_active=True), to_field_name="code", label="SKU")
    share_percent = percent_field("Share of units (%)")


class RegionLineForm(forms.Form):
    region = forms.ModelChoiceField(queryset=Region.objects.all(), to_field_name="code")
    share_percent = percent_field("Share of orders (%)")


class SharedChoicesFormSet(BaseFormSet):
    """Lines whose forms offer the same options (SKUs, regions): read once for the
    formset, not once per form (a fixed number of queries however many lines)."""

    choice_field = ""

    @cached_property
    def shared_choices(self) -> list:
        field = self.form.base_fields[self.choice_field]
        # What ModelChoiceField renders (value: the code, label: str()), in one query for
        # every line of the formset.
        return [("", field.empty_label), *((obj.code, str(obj)) for obj in field.queryset.all())]

    def _share(self, form):
        form.fields[self.choice_field].choices = self.shared_choices
        return form

    def _construct_form(self, i, **kwargs):
        return self._share(super()._construct_form(i, **kwargs))

    @property
    def empty_form(self):
        return self._share(super().empty_form)


class SkuLineBaseFormSet(SharedChoicesFormSet):
    choice_field = "sku"


class RegionLineBaseFormSet(SharedChoicesFormSet):
    choice_field = "region"


SkuLineFormSet = formset_factory(SkuLineForm, SkuLineBaseFormSet, extra=3, can_delete=True, max_num=MAX_LINES)
RegionLineFormSet = formset_factory(RegionLineForm, RegionLineBaseFormSet, extra=3, can_delete=True, max_num=MAX_LINES)
LINE_SETS = {"skus": SkuLineFormSet, "regions": RegionLineFormSet}


def with_one_more_line(data, prefix: str):
    """The posted plan with one more empty line in the `prefix` formset ("Add line"):
    a copy of `data` whose TOTAL_FORMS is one higher (up to the most lines a plan has)."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = max(int(data.get(key, "0")), 0)
    except ValueError:
        total = 0
    data[key] = str(min(total + 1, MAX_LINES))
    return data


def share_total(formset) -> Decimal:
    """The shares of the lines as typed (posted or initial), in percent, for the running
    total; lines marked for removal and what is not a number count as nothing."""
    total = Decimal("0")
    for form in formset.forms:
        raw = form["share_percent"].value()
        if form["DELETE"].value() or raw in (None, ""):
            continue
        try:
            share = Decimal(str(raw).strip())
        except ArithmeticError:
            continue
        if share.is_finite():
            total += share
    return total


def percent_text(percent: Decimal) -> str:
    """A percent as people write it: 100, 90, 33.5 (not 100.00 or 1E+2)."""
    percent = percent.normalize()
    return str(percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent)


def lines_data(formset, key: str) -> list[dict]:
    return [
        {
            key: form.cleaned_data[key].code,
            "share": rate_of(form.cleaned_data["share_percent"], "0.0001"),
        }
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get(key)
    ]


class CampaignFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False)
    region = forms.CharField(required=False, max_length=40)
    sku = forms.CharField(required=False, max_length=40, label="SKU")
    active_from = date_field(required=False, label="From")
    active_to = date_field(required=False, label="To")


class ScaleUpForm(forms.Form):
    orders_per_day = forms.IntegerField(min_value=1, max_value=1_000_000, label="New orders per day")
    comment = forms.CharField(required=False, max_length=5000)


class CommentForm(forms.Form):
    comment = forms.CharField(required=False, max_length=5000)


class InboxFilterForm(forms.Form):
    """The inbox's filters (query string; works without JavaScript)."""

    kind = forms.ChoiceField(required=False, label="Kind")
    unread = forms.BooleanField(required=False, label="Unread only")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = {**notifications.KINDS, **notifications.OTHER_KINDS}
        self.fields["kind"].choices = [("", "All kinds"), *kinds.items()]


class NotificationSettingsForm(forms.Form):
    """Per notification kind, the channels a person wants; and the daily report."""

    daily_report = forms.BooleanField(required=False, label="The daily report by email, at 06:00")

    def __init__(self, *args, preference=None, **kwargs):
        chosen = preference.channels if preference is not None else {}
        super().__init__(*args, **kwargs)
        for kind, label in notifications.KINDS.items():
            self.fields[kind] = forms.MultipleChoiceField(
                choices=list(notifications.CHANNELS.items()),
                required=False,
                label=label,
                widget=forms.CheckboxSelectMultiple,
                initial=sorted(notifications.channels_for(chosen, kind)),
            )
        self.fields["daily_report"].initial = preference.daily_report if preference is not None else True

    def rows(self):
        """(label, field name, {channel: ticked}) per kind, for the settings table."""
        value = self.data if self.is_bound else None
        for kind, label in notifications.KINDS.items():
            ticked = value.getlist(kind) if value is not None else self.fields[kind].initial
            yield {
                "kind": kind,
                "label": label,
                "channels": [(c, name, c in ticked) for c, name in notifications.CHANNELS.items()],
                "errors": self.errors.get(kind, []) if self.is_bound else [],
            }

    def service_data(self) -> dict:
        return {
            "channels": {kind: self.cleaned_data[kind] for kind in notifications.KINDS},
            "daily_report": self.cleaned_data["daily_report"],
        }


def signoff_lines_typed(data) -> list[dict]:
    """The per-SKU rows of the inventory sign-off form (templates/campaigns/_signoff_form.html)
    as typed: parallel `line_sku`, `line_decision`, `line_units`, `line_comment` fields, one
    of each per row (a plain POST, no JavaScript needed)."""
    columns = [data.getlist(name) for name in ("line_sku", "line_decision", "line_units", "line_comment")]
    width = max((len(column) for column in columns), default=0)
    columns = [[*column, *[""] * (width - len(column))] for column in columns]
    return [
        {"sku": sku, "decision": decision or "approved", "approved_units_per_day": units.strip(), "comment": comment}
        for sku, decision, units, comment in zip(*columns, strict=True)
    ]


def signoff_lines_input(typed: list[dict]) -> list[dict] | None:
    """What the service takes from the typed rows: only rows that say something (a refusal,
    a cap, or a reason); the others are approved as planned. None when no row does."""
    lines = [
        {**row, "approved_units_per_day": row["approved_units_per_day"] or None}
        for row in typed
        if row["decision"] != "approved" or row["approved_units_per_day"] or row["comment"].strip()
    ]
    return lines or None
