"""CSV exports that are safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
spreadsheet programs as a formula (CSV injection); every text cell of every export
goes through `safe_cell`, which prefixes such a cell with a single quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from django.http import HttpResponse, StreamingHttpResponse

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def _number(value) -> str:
    """A number we formatted ourselves, as it is (a leading minus is a sign); none: empty."""
    return "" if value is None else str(value)


def _cells(row: Sequence, numeric: Sequence[int]) -> list[str]:
    return [_number(v) if i in numeric else safe_cell(v) for i, v in enumerate(row)]


def csv_text(header: Sequence[str], rows: Iterable[Sequence], *, numeric: Sequence[int] = ()) -> str:
    """CSV of `rows`; columns whose index is in `numeric` are written as they are (numbers
    we formatted ourselves, where a leading minus is a sign), every other cell is made safe."""
    out = io.StringIO()
    # CRLF, as RFC 4180 says: the writer then quotes every cell holding a CR or LF (with a
    # bare "\n" terminator a lone CR went out unquoted and split the row in a spreadsheet).
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(_cells(row, numeric))
    return out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence], *, numeric: Sequence[int] = ()):
    response = HttpResponse(csv_text(header, rows, numeric=numeric), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _Line:
    """A file for `csv.writer` that hands back what it is given: one row, as text."""

    def write(self, text: str) -> str:
        return text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence], *, numeric: Sequence[int] = ()) -> Iterator[str]:
    """`csv_text`, a row at a time: the same cells, quoting and line ends."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        yield writer.writerow(_cells(row, numeric))


def csv_stream_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], *, numeric: Sequence[int] = ()
) -> StreamingHttpResponse:
    """A CSV download written while it is sent: a large export is never held whole in
    memory. `rows` may be a generator; read what it needs from the database before
    returning the response, so that a failure is an error page, not a cut-off file."""
    response = StreamingHttpResponse(csv_lines(header, rows, numeric=numeric), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
