"""Imports: CSV files from the other systems, turned into mopsync's data (DESIGN.md,
"Background work"; issue 6).

Each kind has exactly one header (`HEADERS`); codes are the API's; dates ISO 8601.
An upload (`import_create`) checks who may send the kind and the file's size, stores
the text on an `ImportJob` and hands it to a worker after commit. The worker
(`import_process`) claims the job, checks every row first (progress: `rows_done`),
and only a file without a single error is applied, in one transaction: a bad file
commits nothing and ends `failed` with `[{row, column, message}]` (the header is row 1).
When that transaction commits, the data the kind writes has changed (`versions.changed`).

Rows are keyed by their natural key (SKU × warehouse; SKU × warehouse × expected day;
lane × period; day × SKU × channel × region; day × campaign × channel × SKU × region ×
customer; campaign × day; day × support channel × campaign): a row replaces what its
key holds, and a row equal to what is stored is not written, so importing the same file
twice changes nothing. Two rows of one file with the same key are an error (except CSAT,
one row per answer: a file replaces the answers of each day × region it holds).

Where each part is:
- `jobs`: who may import what, upload, hand-off to a worker, processing, the reads;
  the registry of kinds (`register`).
- `base`: what a kind is built on (its description `ImportKind`, reading the file,
  the error report, cleaning helpers, the write by natural key).
- one module per kind of `capacity`: `stock`, `inbound`, `lane_performance` (sets each
  lane's NDR rate and average delivery days from its latest period) and `returns`
  (sets each SKU's return rate), streamed, with its PostgreSQL path in `copy`.
- the kinds that write campaigns' data (actual orders, which alert when a live campaign
  outgrows its sign-off, and spend) and the support data that may name campaigns
  (support tickets, CSAT answers) are `campaigns.import_kinds`, registered by
  campaigns' app config: `capacity` does not import `campaigns`. A kind may have trailing
  optional columns (actual orders' `customer_ref`) and a `redact` step that rewrites the
  upload before it is stored (customer ids are kept only as keyed hashes).
"""

from capacity.imports import inbound, lane_performance, returns, stock
from capacity.imports.jobs import (
    HEADERS,
    IMPORTERS,
    can_import,
    import_create,
    import_list,
    import_process,
    kinds_for,
    max_bytes,
    register,
    sample_csv,
    sweep,
)

register(stock.KIND, inbound.KIND, lane_performance.KIND, returns.KIND)

__all__ = [
    "HEADERS",
    "IMPORTERS",
    "can_import",
    "import_create",
    "import_list",
    "import_process",
    "kinds_for",
    "max_bytes",
    "register",
    "sample_csv",
    "sweep",
]
