"""Helpers for the hand-written SQL of the hottest fixed-shape reads (issue 7): names from
the models' `_meta`, values as parameters, and each value converted as the ORM converts
its field.

SQL is written by hand where building and compiling an ORM query cost as much as running
it (a page's lines and approvals: about half a millisecond each), or where one round trip
of several kinds of row (UNION ALL) replaces several queries. Each use names the make
bench row it is kept for: the campaign list's and the queue's ratios to /me/
(`campaigns.api_json`), the check's ratio to its SQL baseline and the query counts after
a write (`capacity.selectors._capacity_rows`, `campaigns.selectors.campaign_lines`)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection


def names(model) -> Callable[..., str]:
    """`names()`: the model's table, `names(field)`: a field's column ("pk": the primary
    key's), quoted for the database."""
    meta, quote = model._meta, connection.ops.quote_name

    def name(field: str | None = None) -> str:
        if field is None:
            return quote(meta.db_table)
        return quote(meta.pk.column if field == "pk" else meta.get_field(field).column)

    return name


def fetch(sql: str, params: list, fields: tuple) -> list[tuple]:
    """The rows of `sql`, each value converted as the ORM converts a value of its model
    field (`fields`, None where the database's value is used as is): SQLite's decimals
    and date-times; nothing on PostgreSQL, whose driver returns them typed."""
    converters = []
    for i, field in enumerate(fields):
        if field is not None:
            col = field.cached_col
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            converters.extend((i, col, converter) for converter in found)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for i, col, converter in converters:
            row[i] = converter(row[i], col, connection)
        converted.append(tuple(row))
    return converted


def one_of(column: str, n: int) -> str:
    """`column` is one of `n` values (passed through `values_of`): `= ANY(%s)`, one array
    parameter, on PostgreSQL — psycopg keeps a query it has parsed only when it has at
    most 50 parameters, and a page of 50 ids read twice has 100 — `IN (%s, ...)` elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN ({', '.join(['%s'] * n)})"


def values_of(values) -> list:
    """The parameters of a `one_of` condition."""
    values = list(values)
    return [values] if connection.vendor == "postgresql" else values
