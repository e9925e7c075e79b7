"""`make bench`: build (or reuse) the synthetic brand, measure, print one table and
write bench/RESULTS.md. See bench/README.md for what is measured and how to run 10×.

Environment: BENCH_SCALE (default 1), BENCH_QUICK=1 (fewer repeats, for a smoke run),
BENCH_WORKERS (gunicorn workers, default 3 as the Procfile), BENCH_PORT (8201),
BENCH_DB (mopsync_bench), BENCH_PG (postgres://postgres@127.0.0.1:5432),
BENCH_REDIS_URL (redis://127.0.0.1:6379/10), BENCH_REBUILD=1 (ignore the cache).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen  # noqa: E402
from common import BENCH, DATA_VERSION, DB, PORT, REDIS_URL, ROOT, SCALE, SEED, VAR, child_env, med, pct  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
QUICK = os.environ.get("BENCH_QUICK") == "1"
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
HOST = "127.0.0.1"
SLOW_S = 2.0  # one request alone slower than this: measured one request per worker per round
DASHBOARD_SECTIONS = ("capacity", "stock", "ndr", "returns", "forecast", "roas")  # campaigns.ops_views.SECTIONS
VERY_SLOW_S = 20.0  # slower than this: only the one request alone is measured (rps = 1 / its time)
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))  # e.g. http,contention,import


def wanted(section: str) -> bool:
    return not ONLY or section in ONLY


T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def sh(*cmd, check=True, env=None, capture=True) -> str:
    done = subprocess.run(  # noqa: S603 - our own commands
        cmd, check=False, env=env, capture_output=capture, text=True, cwd=ROOT
    )
    if check and done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
    return done.stdout or ""


def psql(db: str, sql: str, check=False) -> str:
    pg = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    return sh("psql", f"{pg}/{db}", "-tAq", "-c", sql, check=check).strip()


def phase(db: str, *args, timeout=None) -> dict:
    done = subprocess.run(  # noqa: S603 - our own commands
        [PY, str(BENCH / "phases.py"), *map(str, args)],
        env=child_env(db), capture_output=True, text=True, cwd=BENCH, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"phase {args} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- databases


def migrations_hash() -> str:
    names = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("*/migrations/0*.py"))
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + (ROOT / name).read_bytes())
    return digest.hexdigest()[:12]


def db_exists(name: str) -> bool:
    return psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"  # noqa: S608


def stamp_of(name: str) -> str:
    if not db_exists(name):
        return ""
    return (
        psql(name, "SELECT stamp FROM bench_stamp LIMIT 1")
        if psql(name, "SELECT to_regclass('bench_stamp') IS NOT NULL") == "t"
        else ""
    )


def set_stamp(name: str, stamp: str) -> None:
    sql = "CREATE TABLE IF NOT EXISTS bench_stamp (stamp text); DELETE FROM bench_stamp; "
    sql += f"INSERT INTO bench_stamp VALUES ('{stamp}')"  # noqa: S608 - our own stamp text
    psql(name, sql, check=True)


def recreate(name: str, template: str | None = None) -> None:
    pg = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    sh("psql", f"{pg}/postgres", "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    tmpl = f' TEMPLATE "{template}"' if template else ""
    sh("psql", f"{pg}/postgres", "-q", "-c", f'CREATE DATABASE "{name}"{tmpl}')


def ensure_databases() -> dict:
    """The migrated empty template, the brand at BENCH_SCALE, and two small worlds (10 and
    1,000 rows) for query counts; each rebuilt only when its stamp changed."""
    rebuild = os.environ.get("BENCH_REBUILD") == "1"
    mig = migrations_hash()
    # Dates are relative to the day of the build: rebuild weekly so "future" stays future.
    week = dt.datetime.now(dt.UTC).date().isocalendar()
    tmpl, tmpl_stamp = f"{DB}_tmpl", f"migrations={mig}"
    info = {}
    if rebuild or stamp_of(tmpl) != tmpl_stamp:
        log(f"migrating template database {tmpl}")
        recreate(tmpl)
        sh(PY, "manage.py", "migrate", "--noinput", "-v0", env=child_env(tmpl))
        set_stamp(tmpl, tmpl_stamp)
    worlds = [(DB, "full", SCALE), (f"{DB}_q10", "small", 10), (f"{DB}_q1000", "small", 1000)]
    for name, mode, size in worlds:
        stamp = f"v{DATA_VERSION} seed={SEED} {mode}={size} {tmpl_stamp} week={week[0]}-{week[1]}"
        if not rebuild and stamp_of(name) == stamp:
            info[name] = "reused"
            continue
        log(f"building {name} ({mode} {size})")
        started = time.monotonic()
        recreate(name, template=tmpl)
        out = sh(PY, str(BENCH / "build.py"), mode, str(size), env=child_env(name))
        set_stamp(name, stamp)
        info[name] = f"built in {time.monotonic() - started:.0f}s: {out.strip()}"
        log(info[name][:300])
    return info


# --------------------------------------------------------------------------- 2. HTTP


class Server:
    def __init__(self, db: str):
        self.log = open(VAR / "gunicorn.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603 - our own command
            [str(Path(PY).parent / "gunicorn"), "mopsync.wsgi", "--bind", f"{HOST}:{PORT}", "--workers",
             str(WORKERS), "--timeout", "120", "--backlog", "2048"],
            env=child_env(db), cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = asyncio.run(loadgen.request(HOST, PORT, "GET", "/healthz", {}, timeout=5))
                if status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited: {(VAR / 'gunicorn.log').read_text()[-3000:]}")
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer /healthz within 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def http_section(creds: dict, today: dt.date) -> dict:
    token = {"Authorization": f"Token {creds['lead01']['token']}", "Accept": "application/json"}
    cookie = {"Cookie": f"sessionid={creds['lead01']['session']}"}
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    endpoints = {
        "me": ("/api/v1/me/", token),
        "plain": ("/bench/campaigns/?page_size=50", token),
        "campaigns": ("/api/v1/campaigns/?page_size=50", token),
        "queue": ("/api/v1/approval-queue/", token),
        "calendar_api": (f"/api/v1/calendar/?start={start}&end={end}", token),
        "dashboard": ("/", cookie),
        # The sections the dashboard loads in place, each by its own request (htmx).
        **{f"dash_{name}": (f"/dashboard/{name}/", {**cookie, "HX-Request": "true"}) for name in DASHBOARD_SECTIONS},
        "calendar_page": (f"/calendar/?month={today:%Y-%m}", cookie),
    }
    rounds = 2 if QUICK else 3
    seconds = 3 if QUICK else 5
    concurrency = 2 * WORKERS
    out = {name: {"rps": [], "lat": [], "statuses": {}, "errors": 0, "bodies": [], "solo": None} for name in endpoints}
    # Warm every worker, and time one request alone: an endpoint slower than SLOW_S gets
    # one request per worker per round (rps = requests / wall time) instead of a timed
    # window, so that a page taking a minute cannot hold the run for ten.
    slow, very_slow = set(), set()
    for name, (path, headers) in endpoints.items():
        res = loadgen.run(HOST, PORT, loadgen.get(path, headers), concurrency=1, seconds=0.001)
        # No answer within the client's timeout (300 s) counts as that long.
        out[name]["solo"] = res.latencies[0] if res.latencies else 300.0
        out[name]["errors"] += res.errors
        if out[name]["solo"] > SLOW_S:
            slow.add(name)
        if out[name]["solo"] > VERY_SLOW_S:
            very_slow.add(name)
            rec = out[name]
            rec["lat"] = list(res.latencies)
            rec["statuses"] = dict(res.statuses)
        else:
            res = loadgen.run(HOST, PORT, loadgen.get(path, headers), concurrency=WORKERS, seconds=1)
        log(f"warm {name}: one request {out[name]['solo'] or 0:.2f}s, {res.statuses} errors={res.errors}")
    for r in range(rounds):
        names = list(endpoints)
        random.Random(r).shuffle(names)  # side by side, in a different order each round
        for name in names:
            path, headers = endpoints[name]
            if name in very_slow:
                out[name]["rps"].append(1 / out[name]["solo"])
                continue
            if name in slow:
                res = loadgen.run(HOST, PORT, loadgen.get(path, headers), concurrency=WORKERS, seconds=0.001)
            else:
                res = loadgen.run(HOST, PORT, loadgen.get(path, headers), concurrency=concurrency, seconds=seconds)
            rec = out[name]
            rec["rps"].append(res.rps)
            rec["lat"] += res.latencies
            for st, n in res.statuses.items():
                rec["statuses"][st] = rec["statuses"].get(st, 0) + n
            rec["errors"] += res.errors
            rec["bodies"] += [b.decode(errors="replace") for b in res.bodies]
        log(f"http round {r + 1}/{rounds}: " + ", ".join(f"{n}={out[n]['rps'][-1]:.1f}/s" for n in endpoints))
    # 5xx at other concurrencies (endpoints slower than SLOW_S alone are not run again)
    sweep = {}
    for c in [1, 32]:
        for name, (path, headers) in endpoints.items():
            if name in slow:
                sweep.setdefault(name, {})[c] = {"5xx": 0, "conn_errors": 0, "n": 0, "skipped": True}
                continue
            res = loadgen.run(HOST, PORT, loadgen.get(path, headers), concurrency=c, seconds=2)
            sweep.setdefault(name, {})[c] = {"5xx": res.server_errors, "conn_errors": res.errors, "n": res.count}
    log(f"concurrency sweep: { {n: {c: v['5xx'] for c, v in s.items()} for n, s in sweep.items()} }")
    for rec in out.values():
        rec["ratio_me"] = [a / b if b else 0 for a, b in zip(rec["rps"], out["me"]["rps"], strict=True)]
    out["campaigns"]["ratio_plain"] = [
        a / b if b else 0 for a, b in zip(out["campaigns"]["rps"], out["plain"]["rps"], strict=True)
    ]
    return {
        "endpoints": out,
        "sweep": sweep,
        "concurrency": concurrency,
        "seconds": seconds,
        "rounds": rounds,
        "slow": sorted(slow),
    }


# --------------------------------------------------------------------------- 3. contention


def contention_section(creds: dict, campaign_ids: list[int], clients: int = 32) -> dict:
    tokens = [creds[f"ops{i:02d}"]["token"] for i in range(1, 9)]
    work = [(cid, dim) for cid in campaign_ids for dim in ("inventory", "courier")]
    random.Random(SEED).shuffle(work)
    lat, statuses, bodies = [], {}, []

    async def client(n: int):
        headers = {"Authorization": f"Token {tokens[n % len(tokens)]}", "Content-Type": "application/json"}
        while work:
            cid, dim = work.pop()
            body = json.dumps({"dimension": dim, "decision": "approved"}).encode()
            t0 = time.perf_counter()
            try:
                status, data = await loadgen.request(HOST, PORT, "POST", f"/api/v1/campaigns/{cid}/sign-offs/",
                                                     headers, body, timeout=120)  # fmt: skip
            except (OSError, TimeoutError) as exc:
                statuses[0] = statuses.get(0, 0) + 1
                bodies.append(f"connection error {exc!r}")
                continue
            lat.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            if status >= 300:
                bodies.append(data.decode(errors="replace")[-800:])

    async def main():
        await asyncio.gather(*(client(n) for n in range(clients)))

    started = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - started
    approved = statuses.get(201, 0)
    server_log = (VAR / "gunicorn.log").read_text(errors="replace")
    return {
        "requests": len(campaign_ids) * 2,
        "seconds": elapsed,
        "approvals_per_s": approved / elapsed,
        "approved": approved,
        "refused_409": statuses.get(409, 0),
        "5xx": sum(n for s, n in statuses.items() if s >= 500),
        "conn_errors": statuses.get(0, 0),
        "statuses": statuses,
        "p50": pct(lat, 0.5),
        "p95": pct(lat, 0.95),
        "deadlocks_to_clients": sum("deadlock" in b.lower() for b in bodies),
        "deadlocks_in_server_log": server_log.lower().count("deadlock detected"),
        "sample_bodies": bodies[:3],
    }


# --------------------------------------------------------------------------- 5. import


def returns_csv(rows: int, today: dt.date) -> Path:
    """`rows` returns rows (1,000 SKUs a day, going back), in a channel the brand's own
    history does not use, so every row is new."""
    path = VAR / f"returns-{rows}.csv"
    if path.exists():
        return path
    rng = random.Random(SEED + rows)
    skus = int(1000 * SCALE) if SCALE >= 1 else 1000
    regions = int(100 * SCALE) if SCALE >= 1 else 100
    lines = ["date,sku,channel,region,orders,returned"]
    day, s = today - dt.timedelta(days=1), 0
    while len(lines) <= rows:
        s += 1
        if s > skus:
            s, day = 1, day - dt.timedelta(days=1)
        orders = rng.randint(5, 400)
        region = rng.randint(1, regions)
        lines.append(f"{day},SKU{s:05d},marketplace,R{region:04d},{orders},{orders * rng.randint(0, 30) // 100}")
    path.write_text("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------- report


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "**FAIL**"


def report(res: dict) -> tuple[str, str]:
    rows = []

    def row(figure, value, target="", ok=None):
        rows.append((figure, value, target, "" if ok is None else verdict(ok)))

    def section(key, body):
        if all(k in res for k in key.split("+")):
            body()
        else:
            row(f"({key}: not run)", "")

    section("check", lambda: _check_rows(res, row))
    section("http", lambda: _http_rows(res, row))
    section("contention+contention_verify", lambda: _contention_rows(res, row))
    section("queries", lambda: _query_rows(res, row))
    section("imports", lambda: _import_rows(res, row))
    return _table(rows)


def _check_rows(res, row):
    chk = res["check"]
    for label, rec in chk.items():
        q = max(rec["queries"])
        row(
            f"1. Capacity check {label} ({'×'.join(map(str, rec['size']))} days×SKUs×regions)",
            f"median {fmt_ms(med(rec['check_s']))}, p95 {fmt_ms(pct(rec['check_s'], 0.95))}; {q} queries; "
            f"SQL baseline median {fmt_ms(med(rec['baseline_s']))}",
            "≤ 10 queries",
            q <= 10,
        )
        ratio = med(rec["ratios"])
        row(f"   check ÷ SQL baseline, {label}", f"{ratio:.1f}× (p95 {pct(rec['ratios'], 0.95):.1f}×)", "≤ 3×",
            ratio <= 3)  # fmt: skip
    growth = med(chk["16x"]["check_s"]) / med(chk["1x"]["check_s"])
    growth4 = med(chk["4x"]["check_s"]) / med(chk["1x"]["check_s"])
    row("   time at 16× ÷ time at 1×", f"{growth:.1f}× (4×: {growth4:.1f}×)", "≤ 16×", growth <= 16)


def _http_rows(res, row):
    http = res["http"]["endpoints"]
    labels = {
        "me": "GET /api/v1/me/ (floor)",
        "plain": "GET /bench/campaigns/ (plain .values() view, 50)",
        "campaigns": "GET /api/v1/campaigns/?page_size=50",
        "queue": "GET /api/v1/approval-queue/",
        "calendar_api": "GET /api/v1/calendar/ (a month)",
        "dashboard": "GET / (dashboard page)",
        **{f"dash_{name}": f"GET /dashboard/{name}/ (a section the dashboard loads)" for name in DASHBOARD_SECTIONS},
        "calendar_page": "GET /calendar/?month= (month page)",
    }
    for name, label in labels.items():
        rec = http[name]
        row(
            f"2. {label}",
            f"{med(rec['rps']):.1f} req/s (rounds: {', '.join(f'{x:.1f}' for x in rec['rps'])}); "
            f"latency median {fmt_ms(med(rec['lat']))}, p95 {fmt_ms(pct(rec['lat'], 0.95))}; "
            f"statuses {rec['statuses']}"
            + (f", conn errors {rec['errors']}" if rec["errors"] else "")
            + (f"; one request alone {rec['solo']:.1f} s" if rec.get("solo") and rec["solo"] > SLOW_S else "")
            + (" (too slow to load: req/s = 1 ÷ that)" if rec.get("solo") and rec["solo"] > VERY_SLOW_S else ""),
        )
        if name == "campaigns":
            r = med(rec["ratio_plain"])
            row("   campaign list ÷ plain view", f"{r:.0%}", "≥ 60%", r >= 0.6)
            r = med(rec["ratio_me"])
            row("   campaign list ÷ /me/", f"{r:.0%}", "≥ 35%", r >= 0.35)
        elif name in ("queue", "calendar_api", "calendar_page", "dashboard") or name.startswith("dash_"):
            r = med(rec["ratio_me"])
            target = name in ("queue", "calendar_api", "calendar_page")
            row(f"   {name} ÷ /me/", f"{r:.0%}", "≥ 25%" if target else "(no target)", (r >= 0.25) if target else None)
    not_ok = sorted(n for n, rec in http.items() if any(str(s) != "200" for s in rec["statuses"]))
    row("   every endpoint answered 200 (signed in, nothing redirected)", ", ".join(not_ok) or "all", "all",
        not not_ok)  # fmt: skip
    sweep = res["http"]["sweep"]
    fivexx = sum(v["5xx"] for s in sweep.values() for v in s.values()) + sum(
        sum(n for s, n in rec["statuses"].items() if int(s) >= 500) for rec in http.values()
    )
    conn = sum(v["conn_errors"] for s in sweep.values() for v in s.values())
    skipped = sorted(n for n, s in sweep.items() if any(v.get("skipped") for v in s.values()))
    note = f"; not run at 1 and 32 (over {SLOW_S:g} s alone): {', '.join(skipped)}" if skipped else ""
    row("   5xx at concurrency 1 and 32 and in the runs above", f"{fivexx} (connection errors: {conn}){note}", "0",
        fivexx == 0)  # fmt: skip


def _contention_rows(res, row):
    con = res["contention"]
    ver = res["contention_verify"]
    row(
        "3. Approvals under contention (32 clients, API sign-offs)",
        f"{con['approvals_per_s']:.1f} approvals/s; latency median {fmt_ms(con['p50'])}, p95 {fmt_ms(con['p95'])}; "
        f"{con['approved']} approved, {con['refused_409']} refused (409) of {con['requests']}; "
        f"statuses {con['statuses']}",
    )
    over = ver["lane_days_over"] + ver["dispatch_days_over"] + ver["skus_over"]
    row("   overbooking (SQL after the run: lane-days, warehouse-days, SKUs over capacity)",
        f"{ver['lane_days_over']}, {ver['dispatch_days_over']}, {ver['skus_over']}", "0", over == 0)  # fmt: skip
    row("   5xx / connection errors", f"{con['5xx']} / {con['conn_errors']}", "0", con["5xx"] + con["conn_errors"] == 0)
    dl = con["deadlocks_to_clients"]
    row("   deadlock errors reaching clients", f"{dl} (server log: {con['deadlocks_in_server_log']})", "0", dl == 0)


def _query_rows(res, row):
    q10, q1000 = res["queries"]["10"], res["queries"]["1000"]

    # Kept (the same request again) and cold (the first after a write of campaigns or stock).
    def counts(url):
        return [q.get(url, {}).get(key, 0) for q in (q10, q1000) for key in ("queries", "cold")]

    unequal = [u for u in q10 if counts(u)[0] != counts(u)[2] or counts(u)[1] != counts(u)[3]]
    over8 = [u for u in q10 if max(counts(u)) > 8]
    for url in q10:
        a, b = q10[url]["queries"], q1000.get(url, {}).get("queries")
        ca, cb = q10[url].get("cold", "?"), q1000.get(url, {}).get("cold", "?")
        ra, rb = q10[url].get("cold_ref", "?"), q1000.get(url, {}).get("cold_ref", "?")
        st = {q10[url]["status"], q1000.get(url, {}).get("status")}
        row(f"4. queries {url}", f"{a} at 10 rows, {b} at 1,000 (first request after a write of campaigns or "
            f"stock: {ca} and {cb}; after a reference write: {ra} and {rb}; HTTP {'/'.join(map(str, sorted(st)))})",
            "equal, ≤ 8", url not in unequal and url not in over8)  # fmt: skip
    row("   pages and lists with unequal counts / over 8 (kept or after a write)",
        f"{len(unequal)} / {len(over8)}", "0 / 0", not unequal and not over8)  # fmt: skip


def _import_once(path) -> dict:
    """One import of the file at `path`: uploaded in one process, processed in another (as
    the web process and the worker do), so that each one's peak memory is its own."""
    upload = phase(DB, "import-upload", path)
    rec = phase(DB, "import-process", upload["job"])
    seconds = upload["seconds"] + rec["seconds"]
    rec.update(seconds=seconds, file_mb=upload["file_mb"], upload_seconds=upload["seconds"],
               upload_growth_mb=upload["peak_growth_mb"])  # fmt: skip
    return rec


def _import_rows(res, row):
    imp = res["imports"]
    for rec in imp:
        row(
            f"5. Import of {rec['rows']:,} returns rows ({rec['file_mb']:.1f} MB)",
            f"{rec['rows_per_s']:,.0f} rows/s (median of {rec.get('runs', 1)}: {rec['seconds']:.1f} s, p95 "
            f"{rec.get('p95_seconds', rec['seconds']):.1f} s; upload {rec.get('upload_seconds', 0):.1f} s, "
            f"worker {rec['seconds'] - rec.get('upload_seconds', 0):.1f} s; {rec['status']}); worker peak RSS "
            f"{rec['peak_rss_mb']:.0f} MB, +{rec['peak_growth_mb']:.0f} MB over the idle process "
            f"(the upload's process: +{rec.get('upload_growth_mb', 0):.0f} MB, the file held whole as uploaded)",
            "≥ 20,000 rows/s" if rec["rows"] == 100_000 else "",
            rec["rows_per_s"] >= 20_000 if rec["rows"] == 100_000 else None,
        )
    if len(imp) >= 2:
        small, big = imp[0], imp[-1]
        growth = big["peak_growth_mb"] / max(small["peak_growth_mb"], 1)
        flat = big["peak_growth_mb"] <= small["peak_growth_mb"] * 1.5 + 20
        change = f"{growth:.1f}× ({small['peak_growth_mb']:.0f} → {big['peak_growth_mb']:.0f} MB)"
        row("   worker memory growth 100k ÷ 25k", change, "flat (≤ 1.5× + 20 MB)", flat)


def _table(rows):
    width = max(len(r[0]) for r in rows)
    text = ["| Figure | Measured | Target | |", "|---|---|---|---|"]
    text += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    console = "\n".join(f"{a:<{width}}  {d:<8}  {c:<22}  {b}" for a, b, c, d in rows)
    return "\n".join(text), console


def machine() -> str:
    cores = os.cpu_count()
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = os.getloadavg()
    return f"{cores} cores, {mem} RAM, {platform.python_implementation()} {platform.python_version()}, " \
           f"load average at start {load[0]:.1f}"  # fmt: skip


NOTES = "## Where it stands"  # the hand-written section of RESULTS.md, kept by every run


def main() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    if os.environ.get("BENCH_REPORT_ONLY") == "1":  # re-render the last run's table
        res = json.loads((VAR / "results.json").read_text())
        table, console = report(res)
        print(console)
        print(table)
        return
    started_at = dt.datetime.now(dt.UTC)
    load_at_start = machine()
    res: dict = {"scale": SCALE}
    res["databases"] = ensure_databases()
    log("collectstatic (DEBUG=0 serves hashed static files)")
    sh(PY, "manage.py", "collectstatic", "--noinput", "-v0", env=child_env(DB))

    if ONLY and (VAR / "results.json").exists():  # a partial run updates the last full one
        res = {**json.loads((VAR / "results.json").read_text()), **res}
    if wanted("check"):
        log("1. capacity check")
        repeats = 3 if QUICK else 9
        check = phase(DB, "check", repeats, 60 if QUICK else 100)
        from phases import CHECK_SIZES

        for label, size in CHECK_SIZES.items():
            check[label]["size"] = size
        res["check"] = check

    if wanted("queries"):
        log("4. query counts at 10 and 1,000 rows")
        res["queries"] = {"10": phase(f"{DB}_q10", "queries"), "1000": phase(f"{DB}_q1000", "queries")}

    creds = phase(DB, "credentials")
    setup = phase(DB, "contention-setup", 96)
    today = dt.date.fromisoformat(setup["start"]) - dt.timedelta(days=200)
    if wanted("http") or wanted("contention"):
        log("2. HTTP under gunicorn")
        server = Server(DB)
        try:
            if wanted("http"):
                res["http"] = http_section(creds, today)
            if wanted("contention"):
                log("3. approvals under contention")
                res["contention"] = contention_section(creds, setup["campaigns"])
        finally:
            server.stop()
        if wanted("contention"):
            res["contention_verify"] = phase(DB, "contention-verify")
            log(f"contention: {res['contention']['statuses']} verify={res['contention_verify']}")
    phase(DB, "contention-cleanup")
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()  # the notifications the approvals published
    except Exception as exc:  # noqa: BLE001
        log(f"could not flush {REDIS_URL}: {exc}")

    if wanted("import"):
        log("5. import")
        res["imports"] = []
        for rows in [25_000, 50_000, 100_000]:
            path = returns_csv(rows, today)
            runs = [_import_once(path) for _ in range(1 if QUICK else 3)]
            seconds = [r["seconds"] for r in runs]
            rec = {
                **runs[0],
                "rows": rows,
                "runs": len(runs),
                "seconds": med(seconds),
                "p95_seconds": pct(seconds, 0.95),
                "rows_per_s": rows / med(seconds),
                "upload_seconds": med(r["upload_seconds"] for r in runs),
                "peak_growth_mb": max(r["peak_growth_mb"] for r in runs),
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                "upload_growth_mb": max(r["upload_growth_mb"] for r in runs),
                "status": "/".join(sorted({r["status"] for r in runs})),
            }
            growth = rec["peak_growth_mb"]
            log(f"import {rows}: {rec['rows_per_s']:.0f} rows/s, worker peak +{growth:.0f} MB, {rec['status']}")
            res["imports"].append(rec)

    elapsed = time.monotonic() - T0
    if ONLY:
        res["rerun"] = sorted(ONLY)
        res["rerun_at"] = f"{started_at:%Y-%m-%d %H:%M} UTC"
    else:
        res["run"] = {"started_at": f"{started_at:%Y-%m-%d %H:%M} UTC", "machine": load_at_start, "elapsed": elapsed}
    (VAR / "results.json").write_text(json.dumps(res, indent=1, default=str))
    table, console = report(res)
    print(console)
    dbs = "; ".join(f"{k}: {v[:6]}" for k, v in res["databases"].items())
    command = "make bench" + (f"  (BENCH_SCALE={SCALE:g})" if SCALE != 1 else "")
    this_run = {"started_at": f"{started_at:%Y-%m-%d %H:%M} UTC", "machine": load_at_start, "elapsed": elapsed}
    run = res.get("run", this_run)
    rerun = (
        f"\n- Sections re-run on their own at {res['rerun_at']}: {', '.join(res['rerun'])} (`BENCH_ONLY=...`)"
        if res.get("rerun")
        else ""
    )
    http = res.get("http")
    http_setup = (
        f"load from `bench/loadgen.py` (closed loop, {http['concurrency']} clients,\n"
        f"  {http['rounds']} rounds × {http['seconds']} s per endpoint, endpoints interleaved per round)."
        if http
        else "HTTP not measured in this run."
    )
    md = f"""# Benchmark results

- Date: {run["started_at"]}
- Machine: {run["machine"]}
- Command: `{command}` — took {run["elapsed"] / 60:.1f} minutes ({dbs}){rerun}
- Scale: {SCALE:g} (BENCH_SCALE); gunicorn `mopsync.wsgi --workers {WORKERS}` as the Procfile runs it, DEBUG=0,
  on 127.0.0.1; {http_setup}
- Medians and p95 are over repeated runs in the same process; ratios are taken within a round, then the median.
  The machine was shared with other work while this ran: absolute figures are noisy, ratios less so.

{table}

How each figure is measured: see [bench/README.md](README.md). Raw numbers: `bench/var/results.json` after a run.
"""
    # Scale 1 is the suite's record; another scale writes a file of its own beside it.
    results = BENCH / ("RESULTS.md" if SCALE == 1 else f"RESULTS-{SCALE:g}x.md")
    # What a person wrote under the table (a "## " section: where each figure stands and
    # why) is kept across runs; it carries its own date.
    if results.exists() and NOTES in results.read_text():
        md += "\n" + NOTES + results.read_text().split(NOTES, 1)[1]
    results.write_text(md)
    log(f"done in {elapsed / 60:.1f} min; wrote bench/{results.name}")


if __name__ == "__main__":
    main()
