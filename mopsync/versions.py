"""Reads kept in the process until the data they read changes (issue 7), invalidated
explicitly by the services that write.

Some reads are costly and change only when someone writes: the dashboard's sections,
a page of capacity checks, the calendar's grid, the capacity overview, the lists of
SKUs and regions a form offers. `memo(name, key, compute)` keeps what `compute()`
returned, in this process, under the version of the data it was read at, so that the
next request asking the same thing costs one small query (the versions) instead of a
dozen. Which pages need it is measured: each caller names the `make bench` row that
misses its target without it.

The versions live in one two-row table (`mopsync_data_version`, created by a migration
of `capacity`), so every process sees every other process's writes:

- Every service that writes calls `changed(REF, DATA)` for reference rows (SKUs,
  warehouses, regions, couriers, lanes, constraints) or `changed(DATA)` for anything
  else a memo reads (campaigns and their lines, sign-offs, reservations, stock,
  inbound, promo windows, imported figures). The bump happens when the transaction
  commits (at once in autocommit): a rolled-back write bumps nothing, and nobody reads
  a version that counts a write they cannot see yet.
- A reader inside a transaction that called `changed()` (its writes not committed,
  so not counted yet) never uses or fills a memo: it computes.
- A memo is keyed by the version read *before* computing: whatever it read is at
  least as new as its key.
- Entries also expire after `MAX_AGE` seconds, a bound on a write that forgot to say
  so (a migration, a manual SQL fix).

Within a request the versions are read once, and again after the request writes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.signals import setting_changed

TABLE = "mopsync_data_version"
REF, DATA = "ref", "data"
MAX_AGE = 300.0  # seconds
MAX_ENTRIES = 256

_store: OrderedDict = OrderedDict()
_lock = threading.Lock()
_local = threading.local()


class _Bump:
    """The on-commit callback of a transaction that wrote: bumps its scopes once."""

    def __init__(self, connection, scopes) -> None:
        self.connection = connection
        self.scopes = set(scopes)

    def __call__(self) -> None:
        _bump(self.connection, self.scopes)


def written(connection, scopes) -> None:
    """`connection` wrote data of `scopes`: bump now, or when its transaction commits.
    Services call `changed()`; this is for code holding another connection (COPY)."""
    if not connection.in_atomic_block:
        _bump(connection, scopes)
        return
    pending = getattr(connection, "_mopsync_bump", None)
    if pending is not None and any(func is pending for _, func, _ in connection.run_on_commit):
        pending.scopes.update(scopes)
        return
    pending = _Bump(connection, scopes)
    connection._mopsync_bump = pending
    connection.on_commit(pending, robust=True)


def changed(*scopes: str) -> None:
    """A service wrote data of `scopes` (`REF` for reference rows, `DATA` for anything a
    memo reads): memos computed before are stale once its transaction commits."""
    _local.kept = {}  # and what this request kept (`request_kept`) is stale now
    written(connections[DEFAULT_DB_ALIAS], scopes or (DATA,))


def _bump(connection, scopes) -> None:
    _local.versions = None  # this request wrote: read the versions again
    names = sorted(scopes)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET n = n + 1 WHERE scope IN ({', '.join(['%s'] * len(names))})",  # noqa: S608
            names,
        )


def dirty(connection=None) -> bool:
    """The connection's transaction has written and not committed yet: memos are not used."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    pending = getattr(connection, "_mopsync_bump", None)
    return (
        pending is not None
        and connection.in_atomic_block
        and any(func is pending for _, func, _ in connection.run_on_commit)
    )


def versions(connection=None) -> dict[str, int] | None:
    """The current versions (None if a row is missing: memos are then off)."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    if getattr(_local, "in_request", False) and getattr(_local, "versions", None) is not None:
        return _local.versions
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT scope, n FROM {TABLE}")  # noqa: S608
        found = dict(cursor.fetchall())
    if not {REF, DATA} <= set(found):
        return None
    if getattr(_local, "in_request", False):
        _local.versions = found
    return found


def memo(name: str, key: Any, compute: Callable[[], Any], *, scope: str = DATA) -> Any:
    """What `compute()` returns for (`name`, `key`), kept until the `scope`'s version changes."""
    connection = connections[DEFAULT_DB_ALIAS]
    if dirty(connection):
        return compute()
    found = versions(connection)
    if found is None:
        return compute()
    full = (name, key, scope, found[scope])
    now = time.monotonic()
    with _lock:
        hit = _store.get(full)
        if hit is not None and now - hit[1] < MAX_AGE:
            _store.move_to_end(full)
            return hit[0]
    value = compute()
    with _lock:
        _store[full] = (value, now)
        while len(_store) > MAX_ENTRIES:
            _store.popitem(last=False)
    return value


def request_kept(name: str, compute: Callable[[], Any]) -> Any:
    """What `compute()` returns, kept for the rest of the request (until it writes): for a
    small read asked once per row of a page (whether customer support is a sign-off
    dimension), which a memo would recompute on every call while the memos are off.
    Outside a request, computed every time."""
    if not getattr(_local, "in_request", False):
        return compute()
    kept = getattr(_local, "kept", None)
    if kept is None:
        kept = _local.kept = {}
    if name not in kept:
        kept[name] = compute()
    return kept[name]


def keep_for_request(name: str, value: Any) -> None:
    """Keep `value` as `request_kept(name, …)` returns it for the rest of the request: a
    read that came with another one (the signed-in user's row)."""
    if getattr(_local, "in_request", False):
        kept = getattr(_local, "kept", None)
        if kept is None:
            kept = _local.kept = {}
        kept[name] = value


def clear() -> None:
    """Forget every memo of this process (tests)."""
    with _lock:
        _store.clear()
    _local.versions = None
    _local.kept = {}


def _request_started(**kwargs) -> None:
    _local.in_request = True
    _local.versions = None
    _local.kept = {}


def _request_finished(**kwargs) -> None:
    _local.in_request = False
    _local.versions = None
    _local.kept = {}


def connect() -> None:
    """Read the versions once per request (called by `capacity`'s app config)."""
    request_started.connect(_request_started, dispatch_uid="mopsync.versions.started")
    request_finished.connect(_request_finished, dispatch_uid="mopsync.versions.finished")
    setting_changed.connect(lambda **kwargs: clear(), weak=False, dispatch_uid="mopsync.versions.settings")
