"""The import pages (`/capacity/imports/`): upload a CSV file, watch its progress, read
its row-level error report. Translation only: `capacity.imports` does the work."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from capacity import imports
from capacity.models import ImportJob
from capacity.views import reader
from mopsync.csv_export import csv_response
from mopsync.errors import DomainError, InvalidInput
from mopsync.view_guards import refusal_text

RECENT = 20
SAMPLES = Path(settings.BASE_DIR) / "docs" / "samples"


@reader
def imports_page(request):
    kinds = imports.kinds_for(request.user)
    if request.method == "POST":
        if not kinds:
            raise PermissionDenied("Your roles may not import any kind of data.")
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "")
        if kind in imports.HEADERS and not imports.can_import(request.user, kind):
            raise PermissionDenied(f"Your roles may not import {kind}.")
        try:
            if upload is None:
                raise InvalidInput({"file": ["Choose a CSV file."]})
            if upload.size is not None and upload.size > imports.max_bytes():
                raise InvalidInput(
                    {"file": [f"The file is {upload.size:,} bytes; at most {imports.max_bytes():,} are accepted."]}
                )
            job = imports.import_create(
                actor=request.user,
                kind=kind,
                file_name=upload.name,
                data=upload.read(),
                content_type=upload.content_type,
            )
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
        else:
            messages.success(request, f"{job.file_name} is uploaded; it is checked and applied in the background.")
            return redirect("capacity:import_detail", pk=job.pk)
    jobs = imports.import_list()[:RECENT]
    return render(
        request,
        "capacity/imports.html",
        {
            "title": "Imports",
            "section": "imports",
            "kinds": [(kind, ImportJob.Kind(kind).label, ",".join(imports.HEADERS[kind])) for kind in kinds],
            "all_kinds": [(kind, ImportJob.Kind(kind).label, ",".join(h)) for kind, h in imports.HEADERS.items()],
            "jobs": jobs,
            "max_bytes": imports.max_bytes(),
        },
    )


@reader
def import_detail(request, pk: int):
    job = get_object_or_404(imports.import_list(), pk=pk)
    template = "capacity/_import_status.html" if request.htmx else "capacity/import_detail.html"
    return render(request, template, {"title": f"Import #{job.pk}", "section": "imports", "job": job})


@reader
def import_errors_csv(request, pk: int):
    job = get_object_or_404(imports.import_list(), pk=pk)
    rows = [(e.get("row") or "", e.get("column") or "", e.get("message", "")) for e in job.errors or []]
    return csv_response(f"import-{job.pk}-errors.csv", ("row", "column", "message"), rows, numeric=(0,))


@reader
def import_sample(request, kind: str):
    if kind not in imports.HEADERS:
        raise Http404("No such kind of import.")
    path = SAMPLES / f"{kind}.csv"
    text = path.read_text() if path.exists() else imports.sample_csv(kind)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response
