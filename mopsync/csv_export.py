"""CSV exports that are safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
spreadsheet programs as a formula (CSV injection); every text cell of every export
goes through `safe_cell`, which prefixes such a cell with a single quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence], *, numeric: Sequence[int] = ()) -> str:
    """CSV of `rows`; columns whose index is in `numeric` are written as they are (numbers
    we formatted ourselves, where a leading minus is a sign), every other cell is made safe."""
    out = io.StringIO()
    # CRLF, as RFC 4180 says: the writer then quotes every cell holding a CR or LF (with a
    # bare "\n" terminator a lone CR went out unquoted and split the row in a spreadsheet).
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([str(v) if i in numeric else safe_cell(v) for i, v in enumerate(row)])
    return out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence], *, numeric: Sequence[int] = ()):
    response = HttpResponse(csv_text(header, rows, numeric=numeric), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
