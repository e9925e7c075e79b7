"""REST endpoints of the imports (DESIGN.md, "Imports"): upload a CSV of a named kind,
read its status and row-level error report.

Translation only: uploads go through `capacity.imports`. Who may import what is
`capacity.imports.IMPORTERS`, asked before the file is looked at, so a refusal for role
is always a 403.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError, UnsupportedMediaType
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from capacity import imports
from capacity.models import ImportJob
from mopsync.api import ERROR, FIELD_ERRORS, HasRole, path_pk
from mopsync.errors import InvalidInput, NotPermitted


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
        job = self.get_queryset().filter(pk=path_pk(pk)).first()
        if job is None:
            raise NotFound("No such import.")
        return Response(ImportJobSerializer(job).data)
