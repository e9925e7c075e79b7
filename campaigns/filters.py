import django_filters

from campaigns.models import Campaign, Channel, PromoWindow, Status


class CampaignFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    owner = django_filters.CharFilter(field_name="owner__username")
    sku = django_filters.CharFilter(field_name="sku_lines__sku__code", distinct=True)
    region = django_filters.CharFilter(field_name="region_lines__region__code", distinct=True)
    active_from = django_filters.DateFilter(field_name="ends_on", lookup_expr="gte", label="Runs on or after")
    active_to = django_filters.DateFilter(field_name="starts_on", lookup_expr="lte", label="Runs on or before")
    late_notice = django_filters.BooleanFilter()
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Campaign
        fields = ["status", "channel", "owner", "sku", "region", "active_from", "active_to", "late_notice"]


class PromoWindowFilter(django_filters.FilterSet):
    active_from = django_filters.DateFilter(field_name="ends_on", lookup_expr="gte")
    active_to = django_filters.DateFilter(field_name="starts_on", lookup_expr="lte")

    class Meta:
        model = PromoWindow
        fields = ["channel", "active_from", "active_to"]
