import django_filters
from django_filters.rest_framework import DjangoFilterBackend

from campaigns.models import Campaign, Channel, PromoWindow, Status


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which builds its FilterSet (filters deep-copied, a form,
    its validation) only when the query names a filter: a list without filters does not
    pay for it (issue 7: ~7% of a campaign page), and the answer is the same, since a
    FilterSet with no data filters nothing and refuses nothing. A parameter that starts
    with a filter's name counts (suffixed widgets: `<name>_min`, `<name>_after`)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        names = filterset_class.base_filters if filterset_class is not None else ()
        if not any(key.startswith(name) for key in request.query_params for name in names):
            return queryset
        return super().filter_queryset(request, queryset, view)


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
