"""In-process timing of the API endpoints against their yardsticks (no server).

For a quick before/after on a shared machine without `make bench`: the median
milliseconds per request of `/api/v1/me/`, the plain view, the campaign list, the
approval queue and a month of the calendar over interleaved rounds, and each one's
requests/s as a share of `/me/`'s (the list's also of the plain view's: the targets of
issue 7). Reads only (GET) as `lead01`, against the benchmark database (`BENCH_DB`,
built by `make bench`).

    .venv/bin/python bench/inprocess.py [rounds] [--profile NAME]

`--profile NAME` runs cProfile over the rounds of endpoint NAME instead and prints the
top functions by cumulative and by own time.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DB, child_env, med  # noqa: E402

# As the benchmark's server runs (DEBUG=0, bench views on); REDIS_URL, if set, wins.
os.environ.update(child_env(DB, **{key: os.environ[key] for key in ("REDIS_URL",) if key in os.environ}))

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from mopsync.tokens import token_create  # noqa: E402

USER = "lead01"
URLS = {
    "me": "/api/v1/me/",
    "plain": "/bench/campaigns/?page_size=50",
    "campaigns": "/api/v1/campaigns/?page_size=50",
    "queue": "/api/v1/approval-queue/",
    "calendar": "/api/v1/calendar/?start={first}&end={last}",
}


def main() -> None:
    args = sys.argv[1:]
    profile = None
    if "--profile" in args:
        at = args.index("--profile")
        profile = args[at + 1]
        del args[at : at + 2]
    rounds = int(args[0]) if args else 30
    first = timezone.localdate().replace(day=1)
    last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    urls = {name: url.format(first=first, last=last) for name, url in URLS.items()}
    key = token_create(user=User.objects.get(username=USER), name="bench-inprocess")[1]  # its user: `bench/phases.py`
    client = Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT="application/json")

    def get(url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    for url in urls.values():  # warm up: imports, connections, caches
        for _ in range(3):
            get(url)
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(rounds):
            get(urls[profile])
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(30)
        if os.environ.get("CALLERS"):  # e.g. CALLERS=first: who calls the functions of that name
            stats.print_callers(os.environ["CALLERS"])
        return
    times: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(rounds):
        for name, url in urls.items():
            times[name].append(get(url))
    ms = {name: med(values) * 1000 for name, values in times.items()}
    for name, url in urls.items():
        share = f"{ms['me'] / ms[name]:5.0%} of /me/" if name != "me" else ""
        print(f"{name:10} {ms[name]:8.2f} ms median  {1000 / ms[name]:8.1f} req/s  {share:>12}  {url}")
    print(f"campaigns ÷ plain: {ms['plain'] / ms['campaigns']:.0%}")


if __name__ == "__main__":
    main()
