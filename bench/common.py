"""Shared bits of the benchmark: environment, Django set-up, statistics."""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VAR = BENCH / "var"  # generated files (git-ignored)

SEED = 20261123
# Bump when the synthetic data changes shape: a cached database with another stamp is rebuilt.
DATA_VERSION = 5

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "mopsync_bench")
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
PORT = int(os.environ.get("BENCH_PORT", "8201"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")

# One throwaway key for the server and for the process that writes its sessions.
SECRET_KEY = "bench-only-throwaway-secret-key-0123456789-abcdefghijklmnop"  # noqa: S105


def db_url(name: str) -> str:
    return f"{PG}/{name}"


def child_env(database: str, **extra: str) -> dict[str, str]:
    """Environment of a process running the app against `database` as production would."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url(database),
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        REDIS_URL=REDIS_URL,
        MOPSYNC_BENCH_VIEWS="1",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",  # the bench measures, it mails nobody
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="mopsync.settings",
        PYTHONPATH=str(ROOT),
        # Every load-generating client is on loopback, one address: no per-address limit on
        # sign-in attempts (settings, "Sign-in lock-out").
        MOPSYNC_LOGIN_RATE="100000/min",
        MOPSYNC_TOKEN_RATE="100000/min",  # noqa: S106 - a rate, not a password
    )
    env.update(extra)
    return env


def setup_django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mopsync.settings")
    import django

    django.setup()


def pct(values, q: float) -> float:
    """The q-quantile (0–1) by nearest rank; NaN when empty."""
    data = sorted(values)
    if not data:
        return float("nan")
    rank = max(1, math.ceil(q * len(data)))
    return data[rank - 1]


def med(values) -> float:
    data = list(values)
    return statistics.median(data) if data else float("nan")


def dump(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=str))


def load(path: Path):
    return json.loads(path.read_text())
