"""The COPY path of the returns import, on PostgreSQL: clean rows are COPYed into a
temporary table as they are read, repeats are found and rows merged there, in SQL.

The merge is one statement that starts with `WITH`; what it changed is declared by the
job when its transaction commits (`versions.changed`, see `jobs._commit`).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection

from capacity.models import ReturnRecord

log = logging.getLogger(__name__)


class LoadTable:
    """Clean returns rows are COPYed, a batch at a time as they are read, into a temporary
    table of the session with their row numbers. The worker keeps no row in memory,
    whatever the file's size. The table outlives the pass's progress commits and is
    dropped at the end (or with the session, if the worker is lost)."""

    TABLE = "pg_temp.mopsync_returns_load"
    COLUMNS = "date, sku_id, channel, region_id, orders, returned"

    def __init__(self) -> None:
        self.rows = 0
        self.skus: set[int] = set()  # the SKUs of the rows, whose return rates the write refreshes
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.TABLE.split('.')[1]} (file_row integer, date date, "
                "sku_id bigint, channel varchar(20), region_id bigint, orders integer, returned integer)"
            )

    def add(self, cleaned: list[tuple[int, tuple]]) -> None:
        """Rows as (row number, (date, sku id, channel, region id, orders, returned))."""
        if not cleaned:
            return
        # COPY's text format written directly: every value is a number, a date or a channel
        # code (`Channel`: lower-case letters), none of which COPY would need escaped.
        text = "".join(
            f"{number}\t{day.isoformat()}\t{sku}\t{channel}\t{region}\t{orders}\t{returned}\n"
            for number, (day, sku, channel, region, orders, returned) in cleaned
        )
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {self.TABLE} (file_row, {self.COLUMNS}) FROM STDIN") as load,
        ):
            load.write(text)
        self.skus.update(values[1] for _, values in cleaned)
        self.rows += len(cleaned)

    def repeats(self, limit: int) -> tuple[list[tuple[int, int]], int]:
        """(row, the earlier row with its key) of the first `limit` rows whose key an
        earlier row has, and how many such rows there are in all."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT file_row, first, COUNT(*) OVER () FROM (SELECT file_row, MIN(file_row) OVER "  # noqa: S608 - names, not input
                f"(PARTITION BY date, sku_id, channel, region_id) AS first FROM {self.TABLE}) AS keyed "
                "WHERE file_row <> first ORDER BY file_row LIMIT %s",
                [limit],
            )
            found = cursor.fetchall()
        return [(number, original) for number, original, _ in found], (found[0][2] if found else 0)

    def write(self) -> dict:
        """One INSERT … ON CONFLICT merges the rows by the table's unique key, updating
        only rows whose figures differ, and counts what it inserted (`xmax = 0`) and
        updated. The keys are distinct (repeats were refused), so no row is hit twice."""
        table = connection.ops.quote_name(ReturnRecord._meta.db_table)
        columns = self.COLUMNS
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH merged AS (INSERT INTO {table} ({columns}) SELECT {columns} FROM {self.TABLE} "  # noqa: S608 - names, not input
                "ON CONFLICT ON CONSTRAINT returns_unique_key DO UPDATE "
                "SET orders = EXCLUDED.orders, returned = EXCLUDED.returned "
                f"WHERE ({table}.orders, {table}.returned) IS DISTINCT FROM (EXCLUDED.orders, EXCLUDED.returned) "
                "RETURNING xmax = 0 AS created) "
                "SELECT COUNT(*) FILTER (WHERE created), COUNT(*) FILTER (WHERE NOT created) FROM merged"
            )
            created, updated = cursor.fetchone()
        return {"created": created, "updated": updated, "unchanged": self.rows - created - updated}

    def close(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
        except DatabaseError:  # the transaction has failed: the table goes with the session
            log.warning("could not drop %s", self.TABLE, exc_info=True)
