"""In-process parts of the benchmark, each run in its own process by bench/run.py:

    python bench/phases.py check <repeats>          capacity check vs hand-written SQL
    python bench/phases.py credentials              tokens and session cookies for the load
    python bench/phases.py queries                  query counts of every page and list
    python bench/phases.py import-upload <file>     a returns file uploaded: time, peak RSS, job id
    python bench/phases.py import-process <job>     that job processed as the worker would: time, peak RSS
    python bench/phases.py contention-setup <n>     campaigns that compete for the same lanes
    python bench/phases.py contention-verify        reservations never exceed capacity
    python bench/phases.py contention-cleanup       remove what the contention run wrote

Each prints one JSON document on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import resource
import sys
import time

from common import SEED, med, pct, setup_django

CHECK_SIZES = {"1x": (60, 50, 20), "4x": (120, 100, 20), "16x": (240, 100, 40)}  # days, SKUs, regions
CHECK_PREFIX = "BENCH-CHECK"
CONTENTION_PREFIX = "BENCH-CONTENTION"


def _today():
    from django.utils import timezone

    return timezone.localdate()


def _make_campaign(name, days, n_skus, n_regions, *, start, orders_per_day, rng, status="draft", regions=None):
    from decimal import Decimal

    from django.contrib.auth.models import User

    from campaigns.models import Campaign, CampaignRegion, CampaignSku
    from capacity.models import Region, Sku

    owner = User.objects.get(username="mkt01")
    skus = rng.sample(list(Sku.objects.order_by("id").values_list("id", flat=True)), n_skus)
    if regions is None:
        regions = rng.sample(list(Region.objects.order_by("id").values_list("id", flat=True)), n_regions)
    campaign = Campaign.objects.create(
        name=name, channel="meta", owner=owner, starts_on=start, ends_on=start + dt.timedelta(days=days - 1),
        orders_per_day=orders_per_day, units_per_order=Decimal("1.2"), cod_share=Decimal("0.3"),
        budget=Decimal("1000000"), expected_order_value=Decimal("999"), status=status,
        submitted_at=dt.datetime.now(dt.UTC) if status != "draft" else None,
    )  # fmt: skip

    def shares(n):
        base = (Decimal(1) / n).quantize(Decimal("0.0001"), rounding="ROUND_DOWN")
        out = [base] * n
        out[0] += Decimal(1) - base * n
        return out

    CampaignSku.objects.bulk_create(
        CampaignSku(campaign=campaign, sku_id=s, share=sh) for s, sh in zip(skus, shares(len(skus)), strict=True)
    )
    CampaignRegion.objects.bulk_create(
        CampaignRegion(campaign=campaign, region_id=r, share=sh)
        for r, sh in zip(regions, shares(len(regions)), strict=True)
    )
    return campaign


# --------------------------------------------------------------------------- 1. capacity check

BASELINE_SQL = [
    # SKUs, warehouses and regions the check reads
    ("SELECT id, safety_stock, baseline_units_per_day, return_rate FROM capacity_sku WHERE id = ANY(%(skus)s)", ()),
    ("SELECT id, daily_dispatch_capacity, baseline_orders_per_day FROM capacity_warehouse", ()),
    ("SELECT id, warehouse_id FROM capacity_region WHERE id = ANY(%(regions)s)", ()),
    # stock on hand per SKU and warehouse
    ("SELECT sku_id, warehouse_id, on_hand FROM capacity_stocklevel WHERE sku_id = ANY(%(skus)s)", ()),
    # inbound per SKU, warehouse and day
    (
        "SELECT sku_id, warehouse_id, expected_on, SUM(quantity) FROM capacity_inboundshipment "
        "WHERE sku_id = ANY(%(skus)s) GROUP BY 1, 2, 3",
        (),
    ),
    # lane capacity of active couriers
    (
        "SELECT l.id, l.courier_id, l.region_id, l.daily_capacity, l.baseline_orders_per_day, l.ndr_rate, "
        "l.avg_delivery_days, l.cod_supported FROM capacity_courierlane l JOIN capacity_courier c "
        "ON c.id = l.courier_id WHERE c.is_active AND l.region_id = ANY(%(regions)s)",
        (),
    ),
    # constraints in the window
    (
        "SELECT kind, starts_on, ends_on, capacity_factor, warehouse_id, courier_id, region_id, support_team_id "
        "FROM capacity_capacityconstraint WHERE starts_on <= %(end)s AND ends_on >= %(start)s",
        (),
    ),
    # reservations: stock per SKU/pool/day from today, dispatch per pool/day and lane per lane/day in the window
    (
        "SELECT sku_id, warehouse_id, day, SUM(quantity) FROM capacity_reservation WHERE kind = 'stock' "
        "AND sku_id = ANY(%(skus)s) AND day >= %(today)s GROUP BY 1, 2, 3",
        (),
    ),
    (
        "SELECT warehouse_id, day, SUM(quantity) FROM capacity_reservation WHERE kind = 'dispatch' "
        "AND day BETWEEN %(start)s AND %(end)s GROUP BY 1, 2",
        (),
    ),
    # customer support (the third dimension, on in the bench data): the teams, their holds per
    # day in the window, and the tickets the contact rate is learned from
    (
        "SELECT id, agents_per_day, tickets_per_agent_per_day, baseline_tickets_per_day FROM capacity_supportteam "
        "WHERE is_active",
        (),
    ),
    (
        "SELECT day, SUM(quantity) FROM capacity_reservation WHERE kind = 'support' "
        "AND day BETWEEN %(start)s AND %(end)s GROUP BY 1",
        (),
    ),
    (
        "SELECT day, SUM(tickets) FROM capacity_supportticketcount WHERE day >= %(today)s - 90 "
        "AND day < %(today)s GROUP BY 1",
        (),
    ),
    (
        "SELECT r.lane_id, r.day, SUM(r.quantity) FROM capacity_reservation r JOIN capacity_courierlane l "
        "ON l.id = r.lane_id WHERE r.kind = 'lane' AND l.region_id = ANY(%(regions)s) "
        "AND r.day BETWEEN %(start)s AND %(end)s GROUP BY 1, 2",
        (),
    ),
]


def _baseline(params) -> int:
    from django.db import connection

    rows = 0
    with connection.cursor() as cursor:
        for sql, _ in BASELINE_SQL:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows


def phase_check(repeats: int, budget_s: float = 150.0) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns import selectors
    from campaigns.models import Campaign

    rng = random.Random(SEED)
    today = _today()
    Campaign.objects.filter(name__startswith=CHECK_PREFIX).delete()
    ids = {}
    for label, (days, n_skus, n_regions) in CHECK_SIZES.items():
        c = _make_campaign(
            f"{CHECK_PREFIX} {label}", days, n_skus, n_regions,
            start=today + dt.timedelta(days=20), orders_per_day=300, rng=rng,
        )  # fmt: skip
        ids[label] = c.pk
    out = {label: {"check_s": [], "baseline_s": [], "queries": [], "verdict": None} for label in CHECK_SIZES}
    started = time.monotonic()
    try:
        for n in range(repeats + 1):  # the first round warms caches and is dropped
            if n > 3 and time.monotonic() - started > budget_s:
                break  # at least 3 measured rounds; more while the time budget lasts
            for label, pk in ids.items():
                campaign = selectors.campaign_list().get(pk=pk)
                t0 = time.perf_counter()
                with CaptureQueriesContext(connection) as ctx:
                    result = selectors.campaign_capacity_check(campaign, today=today)
                t1 = time.perf_counter()
                params = {
                    "skus": [line.sku_id for line in campaign.sku_lines.all()],
                    "regions": [line.region_id for line in campaign.region_lines.all()],
                    "today": today,
                    "start": min(today, campaign.starts_on),
                    "end": campaign.ends_on,
                }
                t2 = time.perf_counter()
                _baseline(params)
                t3 = time.perf_counter()
                rec = out[label]
                rec["check_s"].append(t1 - t0)
                rec["baseline_s"].append(t3 - t2)
                rec["queries"].append(len(ctx.captured_queries))
                rec["verdict"] = result.verdict
        for rec in out.values():
            for key in ("check_s", "baseline_s", "queries"):
                rec[key] = rec[key][1:]
            rec["ratios"] = [c / b for c, b in zip(rec["check_s"], rec["baseline_s"], strict=True)]
    finally:
        Campaign.objects.filter(name__startswith=CHECK_PREFIX).delete()
    return out


# --------------------------------------------------------------------------- credentials


def phase_credentials() -> dict:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    from mopsync.tokens import token_create

    out = {}
    for username in ["lead01", "inv01", "log01"] + [f"ops{i:02d}" for i in range(1, 9)]:
        user = User.objects.get(username=username)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the one that loads users
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        out[username] = {"token": token_create(user=user, name="bench")[1], "session": session.session_key}
    return out


# --------------------------------------------------------------------------- 4. query counts


def page_urls(today) -> list[tuple[str, str]]:
    """Every page and list endpoint, as (kind, url); kind is 'page' or 'api'."""
    from campaigns.models import Campaign

    first = Campaign.objects.order_by("id").first()
    month = today.strftime("%Y-%m")
    iso_year, iso_week, _ = today.isocalendar()
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    pages = [
        "/", *(f"/dashboard/{name}/" for name in ("capacity", "stock", "ndr", "returns", "forecast", "roas")),
        "/approvals/", "/campaigns/", f"/campaigns/{first.pk}/", f"/calendar/?month={month}",
        f"/calendar/?week={iso_year}-W{iso_week:02d}", f"/calendar/?day={today.isoformat()}", "/inbox/",
        "/capacity/", "/capacity/stock/",
        "/capacity/inbound/", "/capacity/lanes/", "/capacity/warehouses/", "/capacity/constraints/",
        "/capacity/imports/",
    ]  # fmt: skip
    apis = [
        "/api/v1/me/", "/api/v1/campaigns/?page_size=50", f"/api/v1/campaigns/{first.pk}/",
        f"/api/v1/campaigns/{first.pk}/events/", f"/api/v1/campaigns/{first.pk}/sign-offs/",
        "/api/v1/approval-queue/", f"/api/v1/calendar/?start={start}&end={end}", "/api/v1/notifications/",
        "/api/v1/imports/", "/api/v1/skus/", "/api/v1/warehouses/", "/api/v1/regions/", "/api/v1/couriers/",
        "/api/v1/courier-lanes/", "/api/v1/stock-levels/", "/api/v1/inbound-shipments/", "/api/v1/constraints/",
        "/api/v1/promo-windows/",
    ]  # fmt: skip
    return [("page", u) for u in pages] + [("api", u) for u in apis]


def phase_queries() -> dict:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    today = _today()
    user = User.objects.get(username="lead01")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    out = {}
    for url in ("/api/v1/me/", "/inbox/"):
        client.get(url)  # warm the per-process caches (content types, session, templates)
    from mopsync import versions

    for _kind, url in page_urls(today):
        # After a reference write (SKUs, lanes...: everything pages keep is forgotten); cold:
        # the first request after a write of campaigns or stock, the steady stream (what
        # pages keep under the data's version is forgotten, reference rows are kept); warm:
        # the same request again, answered from what the process keeps (mopsync.versions).
        versions.clear()
        with CaptureQueriesContext(connection) as cold_ref:
            client.get(url)
        versions.changed(versions.DATA)  # what any such write says
        with CaptureQueriesContext(connection) as cold:
            client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        out[url] = {
            "queries": len(ctx.captured_queries),
            "cold": len(cold.captured_queries),
            "cold_ref": len(cold_ref.captured_queries),
            "status": response.status_code,
        }
    return out


# --------------------------------------------------------------------------- 5. import


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _peak_growth(rss_before_kb: int, peak_before_kb: int) -> tuple[float, float]:
    """(peak RSS, its growth over the process before the work), in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024, (peak - max(peak_before_kb, rss_before_kb)) / 1024


def phase_import_upload(path: str) -> dict:
    """What the web process does with an upload (`import_create`): checked and stored."""
    from django.contrib.auth.models import User

    from capacity import imports

    user = User.objects.get(username="lead01")
    data = open(path, "rb").read()  # noqa: SIM115
    imports.jobs.publish = lambda job_id: None  # the processing is measured in its own process
    rss_before, peak_before = _rss_kb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    job = imports.import_create(actor=user, kind="returns", file_name=f"bench-{path.rsplit('/', 1)[-1]}", data=data)
    elapsed = time.perf_counter() - t0
    peak, growth = _peak_growth(rss_before, peak_before)
    return {"job": job.pk, "seconds": elapsed, "peak_growth_mb": growth, "file_mb": len(data) / 1e6}


def phase_import_process(job_id: int) -> dict:
    """What the worker does (`import_process`), in a process of its own so that its peak
    memory is the worker's alone; then the imported rows and the job are deleted."""
    from django.db import connection

    from capacity import imports
    from capacity.models import ImportJob, ReturnRecord

    connection.ensure_connection()  # a worker is connected before its task comes
    rss_before, peak_before = _rss_kb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    imports.import_process(job_id)
    elapsed = time.perf_counter() - t0
    peak, growth = _peak_growth(rss_before, peak_before)
    job = ImportJob.objects.defer("content").get(pk=job_id)
    result = {
        "seconds": elapsed,
        "status": job.status,
        "errors": job.errors[:3],
        "summary": job.summary,
        "rss_before_mb": rss_before / 1024,
        "peak_rss_mb": peak,
        "peak_growth_mb": growth,
    }
    # Leave the database as built: the bench channel is only used by this file, and the
    # vacuum clears the deleted rows out of the indexes (the next import would otherwise
    # insert into bloated ones and vary from run to run).
    ReturnRecord.objects.filter(channel="marketplace").delete()
    ImportJob.objects.filter(file_name__startswith="bench-").delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {ReturnRecord._meta.db_table}")
    return result


# --------------------------------------------------------------------------- 3. contention


def phase_contention_setup(n: int) -> dict:
    """`n` submitted campaigns over the same few regions and days, each alone well within
    capacity and together far beyond it: approvals race for the same lanes."""
    from capacity.models import CourierLane

    phase_contention_cleanup()
    rng = random.Random(SEED + 1)
    today = _today()
    # Regions with the most lane capacity, so that each campaign alone fits.
    regions = list(CourierLane.objects.values_list("region_id", flat=True).order_by("region_id").distinct()[:200])
    regions = rng.sample(regions, 3)
    start = today + dt.timedelta(days=200)
    ids = []
    for i in range(n):
        c = _make_campaign(
            f"{CONTENTION_PREFIX} {i}", 7, 3, 3, start=start, orders_per_day=rng.choice([300, 450, 600]),
            rng=rng, status="submitted", regions=regions,
        )  # fmt: skip
        ids.append(c.pk)
    return {"campaigns": ids, "regions": regions, "start": start.isoformat()}


def phase_contention_verify() -> dict:
    """SQL proof: no lane, warehouse or SKU holds more than it has on any day."""
    from django.db import connection

    sql_lane = """
        WITH held AS (
            SELECT r.lane_id, r.day, SUM(r.quantity) AS q FROM capacity_reservation r
            WHERE r.kind = 'lane' AND r.day >= %(today)s GROUP BY 1, 2
        ), factor AS (
            SELECT h.lane_id, h.day, MIN(COALESCE(c.capacity_factor, 1)) AS f
            FROM held h JOIN capacity_courierlane l ON l.id = h.lane_id
            LEFT JOIN capacity_capacityconstraint c ON h.day BETWEEN c.starts_on AND c.ends_on
              AND ((c.courier_id = l.courier_id AND (c.region_id IS NULL OR c.region_id = l.region_id))
                   OR (c.courier_id IS NULL AND c.warehouse_id IS NULL AND c.region_id = l.region_id))
            GROUP BY 1, 2
        )
        SELECT COUNT(*), COALESCE(MAX(h.q - (FLOOR(l.daily_capacity * f.f) - l.baseline_orders_per_day)), 0)
        FROM held h JOIN factor f USING (lane_id, day) JOIN capacity_courierlane l ON l.id = h.lane_id
        WHERE h.q > FLOOR(l.daily_capacity * f.f) - l.baseline_orders_per_day
    """
    sql_dispatch = """
        WITH held AS (
            SELECT warehouse_id, day, SUM(quantity) AS q FROM capacity_reservation
            WHERE kind = 'dispatch' AND warehouse_id IS NOT NULL AND day >= %(today)s GROUP BY 1, 2
        ), factor AS (
            SELECT h.warehouse_id, h.day, MIN(COALESCE(c.capacity_factor, 1)) AS f FROM held h
            LEFT JOIN capacity_capacityconstraint c ON c.warehouse_id = h.warehouse_id
              AND h.day BETWEEN c.starts_on AND c.ends_on
            GROUP BY 1, 2
        )
        SELECT COUNT(*) FROM held h JOIN factor f USING (warehouse_id, day)
        JOIN capacity_warehouse w ON w.id = h.warehouse_id
        WHERE h.q > FLOOR(w.daily_dispatch_capacity * f.f) - w.baseline_orders_per_day
    """
    # Stock: what campaigns hold from today on never exceeds what the network has
    # (on hand + inbound − safety stock), per SKU.
    sql_stock = """
        WITH held AS (
            SELECT sku_id, SUM(quantity) AS q FROM capacity_reservation
            WHERE kind = 'stock' AND day >= %(today)s GROUP BY 1
        ), have AS (
            SELECT s.id AS sku_id, s.safety_stock
              + 0 AS safety,
              COALESCE((SELECT SUM(on_hand) FROM capacity_stocklevel WHERE sku_id = s.id), 0)
              + COALESCE((SELECT SUM(quantity) FROM capacity_inboundshipment WHERE sku_id = s.id), 0) AS units
            FROM capacity_sku s
        )
        SELECT COUNT(*) FROM held JOIN have USING (sku_id) WHERE held.q > have.units - have.safety
    """
    params = {"today": _today()}
    with connection.cursor() as cursor:
        cursor.execute(sql_lane, params)
        lane_over, lane_worst = cursor.fetchone()
        cursor.execute(sql_dispatch, params)
        (dispatch_over,) = cursor.fetchone()
        cursor.execute(sql_stock, params)
        (stock_over,) = cursor.fetchone()
        cursor.execute(
            "SELECT c.status, COUNT(*) FROM campaigns_campaign c WHERE c.name LIKE %s GROUP BY 1",
            [CONTENTION_PREFIX + "%"],
        )
        statuses = dict(cursor.fetchall())
    return {
        "lane_days_over": lane_over,
        "lane_worst_excess": float(lane_worst),
        "dispatch_days_over": dispatch_over,
        "skus_over": stock_over,
        "statuses": statuses,
    }


def phase_contention_cleanup() -> dict:
    """Remove the contention campaigns and everything they wrote. Audit events are
    append-only in the app; this benchmark-only cleanup deletes them in SQL."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM campaigns_campaign WHERE name LIKE %s", [CONTENTION_PREFIX + "%"])
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            for table in (
                "campaigns_auditevent", "campaigns_notification", "capacity_reservation", "capacity_signoff",
                "campaigns_campaignsku", "campaigns_campaignregion", "campaigns_alertlog",
            ):  # fmt: skip
                cursor.execute(f"DELETE FROM {table} WHERE campaign_id = ANY(%s)", [ids])  # noqa: S608
            cursor.execute("DELETE FROM campaigns_campaign WHERE id = ANY(%s)", [ids])
    return {"removed": len(ids)}


def main() -> None:
    setup_django()
    name, args = sys.argv[1], sys.argv[2:]
    if name == "check":
        result = phase_check(int(args[0]), float(args[1]) if len(args) > 1 else 150.0)
    elif name == "credentials":
        result = phase_credentials()
    elif name == "queries":
        result = phase_queries()
    elif name == "import-upload":
        result = phase_import_upload(args[0])
    elif name == "import-process":
        result = phase_import_process(int(args[0]))
    elif name == "contention-setup":
        result = phase_contention_setup(int(args[0]))
    elif name == "contention-verify":
        result = phase_contention_verify()
    elif name == "contention-cleanup":
        result = phase_contention_cleanup()
    else:
        raise SystemExit(f"unknown phase {name}")
    print(json.dumps(result, default=str))


__all__ = ["med", "pct"]

if __name__ == "__main__":
    main()
