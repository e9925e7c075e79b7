"""REST endpoints of the data bridge (issue 6): imports, metrics and the projection CSV.

Translation only: uploads go through `capacity.imports`, figures come from
`campaigns.metrics`. Who may import what is `capacity.imports.IMPORTERS`, asked
before the file is looked at, so a refusal for role is always a 403.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError, UnsupportedMediaType
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from campaigns import metrics
from campaigns.errors import InvalidInput, NotPermitted
from campaigns.models import Campaign
from capacity import imports
from capacity.models import ImportJob
from mopsync.api import ERROR, FIELD_ERRORS, HasRole
from mopsync.csv_export import csv_response


def _pk(value: str) -> int:
    """A primary key from a path segment, or the API's 404."""
    if not value.isascii() or not value.isdigit() or len(value) > 10 or int(value) > 2_147_483_647:
        raise NotFound("No such object.")
    return int(value)


# --------------------------------------------------------------------------- imports


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    errors = ImportErrorSerializer(many=True, read_only=True)

    class Meta:
        model = ImportJob
        fields = ["id", "kind", "status", "rows_total", "rows_done", "errors"]
        read_only_fields = fields


UPLOAD = inline_serializer(
    "ImportUpload",
    {
        "kind": serializers.ChoiceField(choices=list(imports.HEADERS)),
        "file": serializers.FileField(help_text="A CSV file with exactly the kind's header (see docs/samples/)."),
    },
)
ACCEPTED = inline_serializer("ImportAccepted", {"id": serializers.IntegerField(), "status": serializers.CharField()})


class ImportListView(GenericAPIView):
    """`POST` a CSV file of a named kind (multipart `kind`, `file`) → 202 `{id, status}`;
    `GET` the imports, newest first."""

    permission_classes = [HasRole]
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list = []

    def get_queryset(self):
        return imports.import_list()

    @extend_schema(summary="Imports, newest first", responses={200: ImportJobSerializer(many=True)})
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ImportJobSerializer(page, many=True).data)

    @extend_schema(
        summary="Upload a CSV file of a named kind; it is processed in the background",
        request={"multipart/form-data": UPLOAD},
        responses={
            202: ACCEPTED,
            400: OpenApiResponse(FIELD_ERRORS, description="No file, unknown kind, too large, or not CSV text."),
            403: OpenApiResponse(ERROR, description="Your role may not import this kind."),
        },
    )
    def post(self, request, *args, **kwargs):
        if not imports.kinds_for(request.user):
            raise NotPermitted("Your roles may not import any kind of data.")
        try:
            kind = request.data.get("kind")
        except (ParseError, UnsupportedMediaType):
            raise InvalidInput({"file": ["Send multipart/form-data with the fields 'kind' and 'file'."]}) from None
        if not isinstance(kind, str) or kind not in imports.HEADERS:
            raise InvalidInput({"kind": [f"Must be one of: {', '.join(imports.HEADERS)}."]})
        if not imports.can_import(request.user, kind):
            roles = ", ".join(sorted(imports.IMPORTERS[kind]))
            raise NotPermitted(f"Importing {kind} needs one of the roles: {roles}.")
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput({"file": ["Attach the CSV file as the multipart field 'file'."]})
        limit = imports.max_bytes()
        if upload.size is not None and upload.size > limit:
            raise InvalidInput(
                {"file": [f"The file is {upload.size:,} bytes; files of at most {limit:,} bytes are accepted."]}
            )
        job = imports.import_create(
            actor=request.user,
            kind=kind,
            file_name=upload.name or "",
            data=upload.read(),
            content_type=upload.content_type,
        )
        return Response({"id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class ImportDetailView(GenericAPIView):
    permission_classes = [HasRole]
    serializer_class = ImportJobSerializer

    def get_queryset(self):
        return imports.import_list()

    @extend_schema(
        summary="An import: status, progress and the row-level error report",
        responses={200: ImportJobSerializer, 404: OpenApiResponse(ERROR, description="No such import.")},
    )
    def get(self, request, pk: str, *args, **kwargs):
        job = self.get_queryset().filter(pk=_pk(pk)).first()
        if job is None:
            raise NotFound("No such import.")
        return Response(ImportJobSerializer(job).data)


# --------------------------------------------------------------------------- metrics


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
        filters = metrics.clean_filters(request.query_params)
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
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            404: OpenApiResponse(ERROR, description="No such campaign."),
        },
    )
    def get(self, request, pk: str, *args, **kwargs):
        campaign = (
            Campaign.objects.filter(pk=_pk(pk)).prefetch_related("region_lines__region", "sku_lines__sku").first()
        )
        if campaign is None:
            raise NotFound("No such campaign.")
        return csv_response(
            f"campaign-{campaign.pk}-projection.csv",
            metrics.PROJECTION_HEADER,
            metrics.projection_rows(campaign),
            numeric=(5, 6),
        )
