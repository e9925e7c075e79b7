"""Build a synthetic brand into an empty, migrated PostgreSQL database with COPY.

    DATABASE_URL=postgres://…/db python bench/build.py full [scale]
    DATABASE_URL=postgres://…/db python bench/build.py small <rows>

`full`: 10 warehouses, 1,000 SKUs, 100 regions, 12 couriers with lanes, 5,000
campaigns over two years with lines, sign-offs, reservations, audit events and
notifications, 12 months of lane performance and returns (× scale).
`small`: about <rows> rows in every list (for the query-count comparison).

Deterministic (fixed seed). Reservations are written the way approvals write them
and never exceed capacity: each approved campaign is placed against running totals
of what earlier ones hold (lanes and dispatch per day after constraints and
business as usual, stock per SKU and pool); one that does not fit is approved at a
lower volume or left unapproved.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from common import SEED, setup_django


@dataclass
class Sizes:
    warehouses: int
    skus: int
    regions: int
    couriers: int
    campaigns: int
    days_back: int
    days_fwd: int
    constraints: int
    inbound_per_sku: int
    promo_windows: int
    import_jobs: int
    returns_per_sku_day: float  # probability of a returns row per SKU and day (12 months)
    submitted_share: float


def full_sizes(scale: float) -> Sizes:
    def n(x):
        return max(1, round(x * scale))

    return Sizes(
        warehouses=n(10), skus=n(1000), regions=n(100), couriers=n(12), campaigns=n(5000),
        days_back=365, days_fwd=365, constraints=n(150), inbound_per_sku=3, promo_windows=n(40),
        import_jobs=30, returns_per_sku_day=0.3, submitted_share=0.04,
    )  # fmt: skip


def small_sizes(rows: int) -> Sizes:
    return Sizes(
        # Warehouses stay few: the check loops over all of them, and more than a page of
        # them already shows an N+1 on the warehouse list.
        warehouses=min(rows, 60), skus=rows, regions=rows, couriers=min(rows, 12), campaigns=rows,
        days_back=45, days_fwd=45, constraints=rows, inbound_per_sku=1, promo_windows=rows,
        import_jobs=rows, returns_per_sku_day=0.0, submitted_share=0.1,
    )  # fmt: skip


def copy_rows(cursor, model, columns: list[str], rows) -> int:
    """COPY `rows` (tuples in the order of `columns`, model attnames) into the model's table."""
    fields = {f.attname: f.column for f in model._meta.concrete_fields}
    cols = ", ".join(f'"{fields[c]}"' for c in columns)
    count = 0
    with cursor.copy(f'COPY "{model._meta.db_table}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def build(sizes: Sizes, *, small: bool) -> dict:  # noqa: C901, PLR0912, PLR0915 - one linear script
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from campaigns.models import (
        AuditEvent,
        Campaign,
        CampaignRegion,
        CampaignSku,
        Notification,
        PromoWindow,
    )
    from capacity.models import (
        CapacityConstraint,
        Courier,
        CourierLane,
        ImportJob,
        InboundShipment,
        LanePerformance,
        Region,
        Reservation,
        ReturnRecord,
        SignOff,
        Sku,
        StockLevel,
        SupportTeam,
        Warehouse,
    )

    rng = random.Random(SEED)
    started = time.monotonic()
    today = timezone.localdate()
    now = timezone.now()
    counts: dict[str, int] = {}

    # ---- users (ORM: few rows)
    password = make_password("bench-pass-123")
    groups = {g.name: g for g in Group.objects.all()}
    for name in ("marketing", "ops_inventory", "ops_logistics", "ops_support", "ops_lead"):
        groups.setdefault(name, Group.objects.get_or_create(name=name)[0])

    def user(username, role, **extra):
        u = User.objects.create(username=username, password=password, email=f"{username}@bench.invalid", **extra)
        u.groups.add(groups[role])
        return u

    owners = [user(f"mkt{i:02d}", "marketing") for i in range(1, 11)]
    inv = user("inv01", "ops_inventory")
    log = user("log01", "ops_logistics")
    sup = user("sup01", "ops_support")
    lead = user("lead01", "ops_lead")
    for i in range(1, 9):
        user(f"ops{i:02d}", "ops_lead")
    User.objects.create(username="benchadmin", password=password, is_staff=True, is_superuser=True)

    cur = connection.cursor().cursor  # the psycopg cursor, for COPY

    # ---- reference data
    wh_ids = list(range(1, sizes.warehouses + 1))
    wh_cap = {w: rng.randint(14000, 24000) for w in wh_ids}
    wh_base = {w: rng.randint(300, 1500) for w in wh_ids}
    counts["warehouses"] = copy_rows(
        cur, Warehouse, ["id", "code", "name", "daily_dispatch_capacity", "baseline_orders_per_day"],
        ((w, f"WH{w:03d}", f"Warehouse {w}", wh_cap[w], wh_base[w]) for w in wh_ids),
    )  # fmt: skip
    sku_ids = list(range(1, sizes.skus + 1))
    sku_safety = {s: rng.randint(20, 200) for s in sku_ids}
    sku_base = {s: rng.randint(0, 3) for s in sku_ids}
    counts["skus"] = copy_rows(
        cur, Sku, ["id", "code", "name", "safety_stock", "baseline_units_per_day", "return_rate", "is_active"],
        (
            (s, f"SKU{s:05d}", f"Product {s}", sku_safety[s], sku_base[s],
             Decimal(rng.randint(200, 2600)) / 10000, True)
            for s in sku_ids
        ),
    )  # fmt: skip
    region_ids = list(range(1, sizes.regions + 1))
    # A few regions have no warehouse: they draw on the whole network.
    region_wh = {r: (None if r % 40 == 0 else wh_ids[(r - 1) % len(wh_ids)]) for r in region_ids}
    counts["regions"] = copy_rows(
        cur, Region, ["id", "code", "name", "warehouse_id"],
        ((r, f"R{r:04d}", f"Region {r}", region_wh[r]) for r in region_ids),
    )  # fmt: skip
    courier_ids = list(range(1, sizes.couriers + 1))
    counts["couriers"] = copy_rows(
        cur, Courier, ["id", "code", "name", "is_active"], ((c, f"C{c:03d}", f"Courier {c}", True) for c in courier_ids)
    )
    lanes = []  # (id, courier, region, cap, base, cod)
    lane_id = 0
    for r in region_ids:
        for c in rng.sample(courier_ids, min(len(courier_ids), rng.randint(2, 5))):
            lane_id += 1
            lanes.append((lane_id, c, r, rng.randint(600, 2500), rng.randint(0, 100), rng.random() < 0.8))
    lanes_by_region = defaultdict(list)
    for lane in lanes:
        lanes_by_region[lane[2]].append(lane)
    counts["lanes"] = copy_rows(
        cur, CourierLane,
        ["id", "courier_id", "region_id", "daily_capacity", "baseline_orders_per_day", "avg_delivery_days",
         "ndr_rate", "cod_supported"],
        ((i, c, r, cap, base, Decimal(rng.randint(150, 600)) / 100, Decimal(rng.randint(300, 3500)) / 10000, cod)
         for i, c, r, cap, base, cod in lanes),
    )  # fmt: skip

    # Customer support, the third sign-off dimension (switched on: the brand has teams). The
    # campaigns below hold about 0.1 tickets an order; the teams answer about 30,000 a day.
    support_teams = [
        SupportTeam.objects.create(
            name=f"Support team {i}", agents_per_day=rng.randint(40, 80), tickets_per_agent_per_day=rng.randint(60, 90),
            baseline_tickets_per_day=rng.randint(100, 400),
        )
        for i in range(1, 9)
    ]  # fmt: skip
    support_cap = sum(
        t.agents_per_day * t.tickets_per_agent_per_day - t.baseline_tickets_per_day for t in support_teams
    )
    support_held: dict[dt.date, int] = defaultdict(int)

    # Stock: every SKU at up to 10 warehouses (all of them at the standard 10).
    on_hand = {}
    for s in sku_ids:
        for w in rng.sample(wh_ids, min(10, len(wh_ids))):
            on_hand[(s, w)] = rng.randint(4000, 9000)
    counts["stock_levels"] = copy_rows(
        cur, StockLevel, ["sku_id", "warehouse_id", "on_hand", "as_of"],
        ((s, w, q, now) for (s, w), q in on_hand.items()),
    )  # fmt: skip
    inbound = []
    for s in sku_ids:
        for _ in range(sizes.inbound_per_sku):
            arrives = today + dt.timedelta(days=rng.randint(1, 90))
            inbound.append((s, rng.choice(wh_ids), rng.randint(100, 2000), arrives))
    counts["inbound"] = copy_rows(
        cur, InboundShipment, ["sku_id", "warehouse_id", "quantity", "expected_on", "reference"],
        ((s, w, q, d, f"PO-{i}") for i, (s, w, q, d) in enumerate(inbound)),
    )  # fmt: skip

    # Constraints, and their factors per resource and day (as the check applies them).
    first_day = today - dt.timedelta(days=sizes.days_back)
    last_day = today + dt.timedelta(days=sizes.days_fwd)
    span = (last_day - first_day).days
    constraints = []
    for _ in range(sizes.constraints):
        start = first_day + dt.timedelta(days=rng.randint(0, span))
        end = start + dt.timedelta(days=rng.randint(0, 4))
        kind = rng.choice(["warehouse_blackout", "courier_holiday", "reduced_capacity"])
        if kind == "warehouse_blackout":
            constraints.append((kind, start, end, rng.choice(wh_ids), None, None, Decimal("0")))
        elif kind == "courier_holiday":
            region = rng.choice(region_ids) if rng.random() < 0.5 else None
            constraints.append((kind, start, end, None, rng.choice(courier_ids), region, Decimal("0.5")))
        else:
            constraints.append((kind, start, end, None, None, rng.choice(region_ids), Decimal("0.7")))
    counts["constraints"] = copy_rows(
        cur, CapacityConstraint,
        ["kind", "starts_on", "ends_on", "warehouse_id", "courier_id", "region_id", "capacity_factor", "note"],
        ((k, s, e, w, c, r, f, f"bench {k}") for k, s, e, w, c, r, f in constraints),
    )  # fmt: skip
    support_constraints = []
    for _ in range(max(sizes.constraints // 15, 2)):
        start = first_day + dt.timedelta(days=rng.randint(0, span))
        team = rng.choice(support_teams)
        support_constraints.append((start, start + dt.timedelta(days=rng.randint(0, 2)), team))
    for start, end, team in support_constraints:
        CapacityConstraint.objects.create(
            kind="support_holiday", starts_on=start, ends_on=end, support_team=team,
            capacity_factor=Decimal("0.5"), note="bench support holiday",
        )  # fmt: skip
    # What support can take on a day: the teams' total less the holidays' halves (the check's rule).
    support_cut: dict[dt.date, int] = defaultdict(int)
    for start, end, team in support_constraints:
        for i in range((end - start).days + 1):
            support_cut[start + dt.timedelta(days=i)] += team.agents_per_day * team.tickets_per_agent_per_day // 2
    wh_factor: dict[tuple, Fraction] = {}
    lane_factor: dict[tuple, Fraction] = {}
    for _kind, start, end, w, c, r, f in constraints:
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        if w is not None:
            for d in days:
                wh_factor[(w, d)] = min(wh_factor.get((w, d), Fraction(1)), Fraction(f))
            continue
        hit = [ln for ln in lanes if (ln[1] == c and (r is None or ln[2] == r)) or (c is None and ln[2] == r)]
        for ln in hit:
            for d in days:
                lane_factor[(ln[0], d)] = min(lane_factor.get((ln[0], d), Fraction(1)), Fraction(f))
    lane_by_id = {ln[0]: ln for ln in lanes}

    def lane_free(lid, d):
        ln = lane_by_id[lid]
        return math.floor(ln[3] * lane_factor.get((lid, d), Fraction(1))) - ln[4] - lane_held[(lid, d)]

    def wh_free(w, d):
        return math.floor(wh_cap[w] * wh_factor.get((w, d), Fraction(1))) - wh_base[w] - wh_held[(w, d)]

    lane_held: dict[tuple, int] = defaultdict(int)
    wh_held: dict[tuple, int] = defaultdict(int)
    stock_held: dict[tuple, int] = defaultdict(int)  # (sku, pool) over all days
    network_stock = defaultdict(int)
    for (s, _w), q in on_hand.items():
        network_stock[s] += q

    # ---- campaigns
    channels = ["meta", "google", "email", "influencer", "marketplace", "other"]
    campaigns, sku_lines, region_lines, signoffs, reservations, events, notes = [], [], [], [], [], [], []

    def shares(n):
        raw = [rng.randint(1, 10) for _ in range(n)]
        total = sum(raw)
        out = [Fraction(x * 1000 // total, 1000) for x in raw]
        out[0] += 1 - sum(out)
        return out

    def place(cid, start, end, volume, upo, cod, skus, regions):
        """Reservation rows of an approval at `volume`, or None if it does not fit."""
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        pool_share = defaultdict(Fraction)
        for r, sh in regions:
            pool_share[region_wh[r]] += sh
        rows = []
        stock_add = defaultdict(int)
        for s, ssh in skus:
            for pool, psh in pool_share.items():
                qty = math.ceil(volume * upo * ssh * psh)
                if qty <= 0:
                    continue
                stock_add[(s, pool)] += qty * sum(1 for d in days if d >= today)
                rows += [(cid, "inventory", "stock", d, qty, s, pool, None) for d in days]
        for (s, pool), add in stock_add.items():
            limit = on_hand.get((s, pool), 0) * 6 // 10 if pool is not None else network_stock[s] // 10
            if stock_held[(s, pool)] + add > limit:
                return None
        lane_add = defaultdict(int)
        wh_add = defaultdict(int)
        for pool, psh in pool_share.items():
            qty = math.ceil(volume * psh)
            for d in days:
                if pool is None:
                    free = sum(max(wh_free(w, d), 0) for w in wh_ids) - wh_held[(None, d)] - wh_add[(None, d)]
                else:
                    free = wh_free(pool, d) - wh_add[(pool, d)]
                if qty > free:
                    return None
                wh_add[(pool, d)] += qty
                rows.append((cid, "courier", "dispatch", d, qty, None, pool, None))
        for r, sh in regions:
            needed = math.ceil(volume * sh)
            cod_n = math.ceil(needed * cod)
            rl = lanes_by_region[r]
            if not rl:
                return None
            for d in days:
                free = {ln[0]: lane_free(ln[0], d) - lane_add[(ln[0], d)] for ln in rl}
                taken = defaultdict(int)
                cod_lanes = sorted((ln for ln in rl if ln[5]), key=lambda ln: (-free[ln[0]], ln[0]))
                other = sorted(rl, key=lambda ln: (ln[5], -free[ln[0]], ln[0]))
                for group, amount in ((cod_lanes, cod_n), (other, needed - cod_n)):
                    for ln in group:
                        if amount <= 0:
                            break
                        take = min(amount, free[ln[0]] - taken[ln[0]])
                        if take > 0:
                            taken[ln[0]] += take
                            amount -= take
                    if amount > 0:
                        return None
                for lid, q in taken.items():
                    if q:
                        lane_add[(lid, d)] += q
                        rows.append((cid, "courier", "lane", d, q, None, None, lid))
        tickets = math.ceil(volume * Fraction(1, 10))
        if any(support_held[d] + tickets > support_cap - support_cut[d] for d in days):
            return None
        for d in days:
            support_held[d] += tickets
            rows.append((cid, "support", "support", d, tickets, None, None, None))
        for key, q in stock_add.items():
            stock_held[key] += q
        for key, q in wh_add.items():
            wh_held[key] += q
        for key, q in lane_add.items():
            lane_held[key] += q
        return rows

    holding = {"approved", "live", "paused", "completed"}
    status_count: dict[str, int] = defaultdict(int)
    for cid in range(1, sizes.campaigns + 1):
        length = rng.randint(5, 35) if not small else rng.randint(3, 20)
        start = first_day + dt.timedelta(days=rng.randint(0, max(span - length, 0)))
        end = start + dt.timedelta(days=length - 1)
        if end < today:
            status = rng.choices(["completed", "cancelled", "rejected"], [85, 7, 8])[0]
        elif start <= today:
            status = rng.choices(["live", "paused"], [90, 10])[0]
        else:
            share = sizes.submitted_share
            status = rng.choices(
                ["approved", "submitted", "changes_requested", "draft", "rejected", "cancelled"],
                [0.55, share, 0.04, 0.33 - share, 0.04, 0.04],
            )[0]
        if small and cid <= 3:
            # The queue and the dashboard have rows to show even in the 10-row world.
            start = today + dt.timedelta(days=5 + cid)
            end = start + dt.timedelta(days=length - 1)
            status = "submitted"
        owner = owners[cid % len(owners)]
        volume = rng.choice([50, 80, 100, 150, 200, 300, 400, 600])
        upo = Fraction(rng.choice([100, 120, 150]), 100)
        cod = Fraction(rng.choice([0, 20, 30, 50]), 100)
        picked = rng.sample(sku_ids, min(len(sku_ids), rng.randint(1, 6)))
        skus = list(zip(picked, shares(rng.randint(1, 6)), strict=False))
        skus = [(s, sh) for s, sh in skus if sh > 0]
        total = sum(sh for _, sh in skus)
        skus[0] = (skus[0][0], skus[0][1] + 1 - total)
        picked = rng.sample(region_ids, min(len(region_ids), rng.randint(1, 8)))
        regions = list(zip(picked, shares(len(picked)), strict=True))
        approved_volume = None
        rows = None
        if status in holding:
            for v in (volume, volume // 2, volume // 4):
                rows = place(cid, start, end, v, upo, cod, skus, regions) if v > 0 else None
                if rows is not None:
                    approved_volume = v
                    break
            if rows is None:
                # Did not fit: refused (the queue keeps its designed size).
                status = "cancelled" if start <= today else "rejected"
        status_count[status] += 1
        created = dt.datetime.combine(start - dt.timedelta(days=rng.randint(5, 40)), dt.time(10), tzinfo=dt.UTC)
        submitted_at = created + dt.timedelta(hours=2) if status != "draft" else None
        due = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC) if submitted_at else None
        campaigns.append(
            (cid, f"Campaign {cid} {rng.choice(['Diwali', 'Holi', 'Monsoon', 'Winter', 'Launch', 'Clearance'])}",
             "", rng.choice(channels), owner.pk, start, end, "orders", volume, Decimal(upo.numerator) / upo.denominator,
             Decimal(cod.numerator) / cod.denominator, 4, Decimal(volume * length * 40),
             Decimal(rng.randint(500, 2500)),
             False, status, 1, 1, 1, 1, approved_volume, False, False, submitted_at, due, created, created, "{}", "[]")
        )  # fmt: skip
        for s, sh in skus:
            sku_lines.append((cid, s, Decimal(sh.numerator) / sh.denominator))
        for r, sh in regions:
            region_lines.append((cid, r, Decimal(sh.numerator) / sh.denominator))
        events.append((cid, owner.pk, "create", "", "draft", 1, "", "{}", created))
        if submitted_at:
            events.append((cid, owner.pk, "submit", "draft", "submitted", 1, "", "{}", submitted_at))
        when = (submitted_at or created) + dt.timedelta(hours=3)
        if status in holding:
            reservations.extend(rows)
            for dim, actor in (("inventory", inv), ("courier", log), ("support", sup)):
                signoffs.append((cid, dim, "approved", None, "", actor.pk, 1, "fits", when))
                changes = json.dumps({"dimension": dim, "decision": "approved"})
                events.append((cid, actor.pk, "sign_off", "submitted", "", 1, "", changes, when))
            notes.append((owner.pk, cid, "approved", f"Campaign {cid} is approved", when))
            notes.append((lead.pk, cid, "approved", f"Campaign {cid} is approved", when))
            if status in ("live", "paused", "completed"):
                events.append((cid, None, "go_live", "approved", "live", 1, "", "{}", when + dt.timedelta(days=1)))
        elif status in ("rejected", "changes_requested"):
            signoffs.append((cid, "courier", status, None, "Not this time.", log.pk, 1, "exceeds", when))
            events.append((cid, log.pk, "sign_off", "submitted", status, 1, "Not this time.", "{}", when))
            notes.append((owner.pk, cid, f"signoff_{status}", f"Campaign {cid}: courier {status}", when))
        elif status == "submitted":
            notes.append((lead.pk, cid, "submitted", f"Campaign {cid} waits for sign-off", submitted_at))

    counts["campaigns"] = copy_rows(
        cur, Campaign,
        ["id", "name", "brief", "channel", "owner_id", "starts_on", "ends_on", "forecast_basis", "orders_per_day",
         "units_per_order", "cod_share", "delivery_promise_days", "budget", "expected_order_value",
         "auto_pause_on_stockout", "status", "plan_version", "inventory_valid_from", "courier_valid_from",
         "support_valid_from", "approved_orders_per_day", "scale_up_pending", "late_notice", "submitted_at",
         "signoff_due_at", "created_at", "updated_at", "signed_off_plan", "changes_since_signoff"],
        campaigns,
    )  # fmt: skip
    counts["campaign_skus"] = copy_rows(cur, CampaignSku, ["campaign_id", "sku_id", "share"], sku_lines)
    counts["campaign_regions"] = copy_rows(cur, CampaignRegion, ["campaign_id", "region_id", "share"], region_lines)
    counts["signoffs"] = copy_rows(
        cur, SignOff,
        ["campaign_id", "dimension", "decision", "approved_orders_per_day", "comment", "actor_id", "plan_version",
         "verdict", "created_at"],
        signoffs,
    )  # fmt: skip
    counts["reservations"] = copy_rows(
        cur, Reservation, ["campaign_id", "dimension", "kind", "day", "quantity", "sku_id", "warehouse_id", "lane_id"],
        reservations,
    )  # fmt: skip
    counts["audit_events"] = copy_rows(
        cur, AuditEvent,
        ["campaign_id", "actor_id", "action", "from_status", "to_status", "plan_version", "comment", "changes",
         "created_at"],
        events,
    )  # fmt: skip
    counts["notifications"] = copy_rows(
        cur, Notification,
        ["recipient_id", "campaign_id", "kind", "subject", "body", "html_body", "post_to_slack", "state", "attempts",
         "last_error", "created_at", "sent_at", "in_app", "by_email"],
        ((r, c, k, s, "", "", False, "sent", 1, "", t, t, True, True) for r, c, k, s, t in notes),
    )  # fmt: skip
    counts["promo_windows"] = copy_rows(
        cur, PromoWindow, ["name", "starts_on", "ends_on", "channel", "notes", "created_by_id"],
        (
            (f"Sale {i}", d, d + dt.timedelta(days=rng.randint(1, 6)), rng.choice(channels), "", None)
            for i, d in ((i, first_day + dt.timedelta(days=rng.randint(0, span))) for i in range(sizes.promo_windows))
        ),
    )  # fmt: skip
    counts["import_jobs"] = copy_rows(
        cur, ImportJob,
        ["kind", "status", "file_name", "content", "sha256", "rows_total", "rows_done", "errors", "summary",
         "created_by_id", "created_at", "started_at", "finished_at"],
        (("returns", "succeeded", f"returns-{i}.csv", "date,sku,channel,region,orders,returned\n", "", 1, 1, "[]",
          '{"created": 1}', lead.pk, now, now, now) for i in range(sizes.import_jobs)),
    )  # fmt: skip

    # ---- 12 months of lane performance (monthly) and returns (daily samples)
    perf = []
    for ln in lanes:
        for m in range(12):
            end = today.replace(day=1) - dt.timedelta(days=1 + 30 * m)
            begin = end.replace(day=1)
            shipments = rng.randint(1000, 20000)
            perf.append((ln[0], begin, end, shipments, shipments * rng.randint(80, 97) // 100,
                         shipments * rng.randint(3, 30) // 100, Decimal(rng.randint(150, 600)) / 100))  # fmt: skip
    counts["lane_performance"] = copy_rows(
        cur, LanePerformance,
        ["lane_id", "period_start", "period_end", "shipments", "delivered", "ndr_count", "avg_delivery_days"],
        perf,
    )  # fmt: skip
    returns = []
    if sizes.returns_per_sku_day > 0:
        for s in sku_ids:
            for back in range(1, 366):
                if rng.random() < sizes.returns_per_sku_day:
                    orders = rng.randint(5, 300)
                    returns.append(
                        (today - dt.timedelta(days=back), s, rng.choice(["meta", "google"]), rng.choice(region_ids),
                         orders, orders * rng.randint(0, 30) // 100)
                    )  # fmt: skip
    counts["returns"] = copy_rows(
        cur, ReturnRecord, ["date", "sku_id", "channel", "region_id", "orders", "returned"], returns
    )

    models = [Warehouse, Sku, Region, Courier, CourierLane, StockLevel, InboundShipment, CapacityConstraint,
              SupportTeam, Campaign, CampaignSku, CampaignRegion, SignOff, Reservation, AuditEvent, Notification,
              PromoWindow, ImportJob, LanePerformance, ReturnRecord]  # fmt: skip
    with connection.cursor() as c:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            c.execute(sql)
        c.execute("ANALYZE")
    counts["statuses"] = dict(status_count)
    counts["seconds"] = round(time.monotonic() - started, 1)
    counts["today"] = today.isoformat()
    return counts


def main() -> None:
    setup_django()
    from django.db import transaction

    mode = sys.argv[1]
    if mode == "full":
        sizes = full_sizes(float(sys.argv[2]) if len(sys.argv) > 2 else 1)
    else:
        sizes = small_sizes(int(sys.argv[2]))
    with transaction.atomic():
        counts = build(sizes, small=mode == "small")
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
