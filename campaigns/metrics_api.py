"""REST endpoints of the shared metrics and a campaign's volume projection CSV.

Translation only: figures come from `campaigns.metrics`.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from campaigns import metrics
from campaigns.models import Campaign, PostCampaignReview
from mopsync.api import ERROR, FIELD_ERRORS, HasRole, path_pk
from mopsync.csv_export import csv_stream_response

METRIC_RESULT = inline_serializer(
    "MetricResult",
    {
        "name": serializers.CharField(),
        "title": serializers.CharField(),
        "filters": serializers.DictField(),
        "results": serializers.ListField(child=serializers.DictField()),
    },
)


class MetricView(GenericAPIView):
    permission_classes = [HasRole]
    serializer_class = None
    filter_backends: list = []

    @extend_schema(
        summary="A shared metric: " + ", ".join(metrics.METRICS),
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(metrics.METRICS)),
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day of the range"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day of the range"),
            OpenApiParameter("region", str, description="Region code"),
            OpenApiParameter("sku", str, description="SKU code"),
            OpenApiParameter("channel", str, description="Marketing channel"),
            OpenApiParameter("campaign", int, description="Campaign id"),
            OpenApiParameter(
                "by", str, description="Grouping, for cpa-to-delivery (campaign, channel) and csat (campaign, region)"
            ),
        ],
        responses={
            200: METRIC_RESULT,
            400: OpenApiResponse(FIELD_ERRORS, description="A bad filter value."),
            404: OpenApiResponse(ERROR, description="No such metric."),
        },
    )
    def get(self, request, name: str, *args, **kwargs):
        metric = metrics.METRICS.get(name)
        if metric is None:
            raise NotFound(f"No such metric; the metrics are: {', '.join(metrics.METRICS)}.")
        filters = metrics.metric_filters(name, request.query_params)
        return Response(
            {"name": name, "title": metric.title, "filters": filters.as_dict(), "results": metric.compute(filters)}
        )


# --------------------------------------------------------------------------- projection


class ProjectionView(GenericAPIView):
    """The CSV is written by the view itself; refusals (401/403/404) are JSON whatever
    the client accepts, so that they keep the API's error shape."""

    permission_classes = [HasRole]
    serializer_class = None
    renderer_classes = [JSONRenderer]
    filter_backends: list = []

    def perform_content_negotiation(self, request, force=False):
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        operation_id="v1_campaigns_projection_csv",
        summary="The volume projection by day × region × SKU, as CSV (for ops)",
        description="Streamed. At most MOPSYNC_PROJECTION_MAX_ROWS rows (default 200,000) at once: "
        "narrow a longer projection with start and end.",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: the campaign's start)"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (default: the campaign's end)"),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            400: OpenApiResponse(FIELD_ERRORS, description="A bad date, or more rows than one download serves."),
            404: OpenApiResponse(ERROR, description="No such campaign."),
        },
    )
    def get(self, request, pk: str, *args, **kwargs):
        campaign = (
            Campaign.objects.filter(pk=path_pk(pk)).prefetch_related("region_lines__region", "sku_lines__sku").first()
        )
        if campaign is None:
            raise NotFound("No such campaign.")
        first, last = metrics.projection_days(campaign, request.query_params)
        return csv_stream_response(
            f"campaign-{campaign.pk}-projection.csv",
            metrics.PROJECTION_HEADER,
            metrics.projection_rows(campaign, first, last),
            numeric=(5, 6),
        )


# --------------------------------------------------------------------------- post-campaign review


REVIEW_RESULT = inline_serializer(
    "PostCampaignReview",
    {
        "campaign": serializers.IntegerField(),
        "name": serializers.CharField(),
        "forecast_orders": serializers.IntegerField(),
        "actual_orders": serializers.IntegerField(allow_null=True),
        "returned_orders": serializers.IntegerField(allow_null=True),
        "failed_deliveries": serializers.IntegerField(allow_null=True),
        "notes": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
        "support": serializers.DictField(),
    },
)


class ReviewView(GenericAPIView):
    permission_classes = [HasRole]
    serializer_class = None
    filter_backends: list = []

    @extend_schema(
        operation_id="v1_campaigns_review",
        summary="A completed campaign's post-campaign review, with support (tickets vs plan, CSAT vs before)",
        responses={200: REVIEW_RESULT, 404: OpenApiResponse(ERROR, description="No such campaign, or no review yet.")},
    )
    def get(self, request, pk: str, *args, **kwargs):
        review = PostCampaignReview.objects.filter(campaign_id=path_pk(pk)).select_related("campaign").first()
        if review is None:
            raise NotFound("No such campaign, or it has no review yet (a review opens when a campaign completes).")
        c = review.campaign
        return Response({
            "campaign": c.pk,
            "name": c.name,
            "forecast_orders": review.forecast_orders,
            "actual_orders": review.actual_orders,
            "returned_orders": review.returned_orders,
            "failed_deliveries": review.failed_deliveries,
            "notes": review.notes,
            "created_at": review.created_at,
            "support": metrics.review_support(c),
        })  # fmt: skip
