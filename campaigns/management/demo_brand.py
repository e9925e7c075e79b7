"""Demo data: Saanjh, an Indian direct-to-consumer apparel and beauty brand.

Used by `manage.py load_demo`. Reference data is keyed by code (or by a natural key
for calendar items) so that loading twice changes nothing; campaigns are skipped
when one with the same name exists. Every campaign is moved through its states by
`campaigns.services` with real actors, travelling in time for what happened in the
past, so the audit trail, sign-offs, reservations and notifications are the ones
the product itself writes. All dates are relative to the day of the load.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone

from campaigns import services
from campaigns.import_kinds import customer_key
from campaigns.models import ActualOrders, Campaign, CampaignSpend, Channel, PostCampaignReview, PromoWindow, Status
from capacity.models import (
    CapacityConstraint,
    Courier,
    CourierLane,
    CsatResponse,
    InboundShipment,
    LanePerformance,
    Region,
    ReturnRecord,
    Sku,
    StockLevel,
    SupportTeam,
    SupportTicketCount,
    Warehouse,
)
from mopsync import versions
from mopsync.errors import DomainError

BRAND = "Saanjh"
DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - demo only, refused when DEBUG is off
EMAIL_DOMAIN = "demo.mopsync.local"

# username -> (role, first name, last name)
DEMO_USERS = {
    "maya": ("marketing", "Maya", "Iyer"),
    "ishaan": ("ops_inventory", "Ishaan", "Khanna"),
    "lata": ("ops_logistics", "Lata", "Reddy"),
    "omar": ("ops_lead", "Omar", "Sheikh"),
    "sana": ("ops_support", "Sana", "Kapoor"),
}

# code, name, daily dispatch capacity, baseline orders/day
WAREHOUSES = [
    ("BOM-BHW", "Bhiwandi (Mumbai)", 3000, 1800),
    ("BLR-HSK", "Hoskote (Bengaluru)", 2000, 1100),
    ("DEL-GGN", "Gurugram (Delhi NCR)", 2500, 1500),
]
WAREHOUSE_SPLIT = {"BOM-BHW": Decimal("0.40"), "BLR-HSK": Decimal("0.30"), "DEL-GGN": Decimal("0.30")}

# code, name, safety stock, baseline units/day, return rate, units on hand across the network
SKUS = [
    # Apparel
    ("KRT-001", "Chanderi cotton kurta, indigo", 150, 35, "0.14", 4200),
    ("KRT-002", "Block-print straight kurta, mustard", 120, 28, "0.12", 3400),
    ("KRT-003", "Angrakha kurta, rust", 100, 18, "0.15", 2600),
    ("KRT-004", "Chikankari kurta, white", 120, 30, "0.11", 3600),
    ("KRT-005", "Men's linen kurta, sage", 80, 15, "0.09", 1800),
    ("SET-001", "Kurta and palazzo set, teal", 100, 22, "0.16", 3000),
    ("SET-002", "Linen co-ord set, terracotta", 80, 16, "0.22", 2200),
    ("SET-003", "Anarkali set with dupatta, maroon", 60, 10, "0.18", 1600),
    ("SAR-001", "Mulmul saree, ivory", 60, 12, "0.08", 1500),
    ("SAR-002", "Kanjeevaram-style silk saree, emerald", 40, 6, "0.21", 1100),
    ("DUP-001", "Bandhani dupatta, red", 80, 20, "0.05", 2600),
    ("DUP-002", "Phulkari dupatta, multicolour", 60, 12, "0.06", 1800),
    ("PAL-001", "Cotton palazzo, black", 120, 30, "0.10", 3800),
    ("PAL-002", "Dhoti pants, olive", 60, 12, "0.12", 1800),
    ("TEE-001", "Everyday cotton tee, white", 300, 110, "0.09", 9600),
    ("TEE-002", "Everyday cotton tee, black", 300, 100, "0.08", 9000),
    ("TEE-003", "Everyday cotton tee, navy", 200, 70, "0.08", 6400),
    ("TEE-004", "Oversized graphic tee, 'chai pe charcha'", 100, 25, "0.13", 3200),
    ("SHT-001", "Linen shirt, sky blue", 80, 18, "0.15", 2200),
    ("DNM-001", "High-rise straight jeans, mid blue", 100, 25, "0.24", 2400),
    ("DNM-002", "Slim-fit jeans, dark indigo", 100, 22, "0.26", 1900),
    ("DRS-001", "Bodycon party dress, black", 60, 14, "0.27", 900),
    ("DRS-002", "Satin slip dress, champagne", 50, 10, "0.23", 800),
    ("DRS-003", "Tiered maxi dress, floral", 80, 16, "0.18", 2400),
    ("LEH-001", "Wedding lehenga set, blush", 30, 4, "0.19", 900),
    ("JKT-001", "Nehru jacket, charcoal", 50, 8, "0.10", 1500),
    # Beauty
    ("BTY-001", "Kumkumadi night face oil, 30 ml", 200, 45, "0.04", 8200),
    ("BTY-002", "Vitamin C face serum, 30 ml", 200, 50, "0.05", 7000),
    ("BTY-003", "Sunscreen gel SPF 50, 50 g", 250, 80, "0.03", 8000),
    ("BTY-004", "Ubtan face pack, 100 g", 150, 30, "0.03", 5200),
    ("BTY-005", "Rose water toner, 200 ml", 150, 35, "0.02", 4600),
    ("BTY-006", "Onion hair oil, 200 ml", 200, 60, "0.02", 6200),
    ("BTY-007", "Bhringraj hair oil, 100 ml", 120, 25, "0.02", 3400),
    ("BTY-008", "Tinted lip balm, berry", 150, 40, "0.04", 4400),
    ("BTY-009", "Kajal, jet black", 200, 55, "0.03", 5600),
    ("BTY-010", "Saffron face wash, 100 ml", 150, 40, "0.03", 5000),
    ("BTY-011", "Aloe vera gel, 150 g", 150, 35, "0.02", 4600),
    ("BTY-012", "Sandalwood body lotion, 200 ml", 100, 20, "0.03", 2600),
    ("BTY-013", "Diwali glow gift box", 50, 5, "0.04", 1200),
    ("BTY-014", "Neem comb and hair oil combo", 80, 15, "0.03", 2200),
]

# code, name, warehouse code (None: the whole network serves it)
REGIONS = [
    ("MUM", "Mumbai", "BOM-BHW"),
    ("PUN", "Pune", "BOM-BHW"),
    ("AMD", "Ahmedabad", "BOM-BHW"),
    ("BLR", "Bengaluru", "BLR-HSK"),
    ("HYD", "Hyderabad", "BLR-HSK"),
    ("CHE", "Chennai", "BLR-HSK"),
    ("DEL", "Delhi", "DEL-GGN"),
    ("JAI", "Jaipur", "DEL-GGN"),
    ("LKO", "Lucknow", "DEL-GGN"),
    ("PAT", "Patna", "DEL-GGN"),
    ("KOL", "Kolkata", "DEL-GGN"),
    ("GAU", "Guwahati", None),
]

COURIERS = [("DLV", "Delhivery"), ("BDT", "Blue Dart"), ("ECX", "Ecom Express"), ("SFX", "Shadowfax")]

# courier -> (capacity, baseline, avg delivery days, NDR rate, COD) by kind of city
METRO_LANES = {
    "DLV": (900, 450, "2.5", "0.12", True),
    "BDT": (500, 250, "2.0", "0.08", False),  # prepaid express only
    "ECX": (400, 200, "3.0", "0.14", True),
    "SFX": (600, 300, "1.8", "0.10", True),
}
CITY_LANES = {
    "DLV": (500, 220, "3.0", "0.14", True),
    "BDT": (250, 100, "2.5", "0.10", False),
    "ECX": (300, 120, "3.5", "0.16", True),
}
LANES: dict[str, dict[str, tuple]] = {
    **{code: METRO_LANES for code in ("MUM", "DEL", "BLR")},
    **{code: CITY_LANES for code in ("PUN", "AMD", "HYD", "CHE", "JAI", "KOL")},
    # Failed COD deliveries run above 28% in Lucknow and Patna.
    "LKO": {"DLV": (300, 140, "4.0", "0.31", True), "ECX": (200, 90, "4.5", "0.33", True)},
    "PAT": {"DLV": (250, 120, "4.5", "0.34", True), "ECX": (150, 70, "5.0", "0.36", True)},
    # Guwahati is slow: more than 5 days on average.
    "GAU": {"DLV": (150, 60, "6.5", "0.22", True), "BDT": (80, 30, "5.5", "0.15", False)},
}

# reference, SKU, warehouse, quantity, days from today
INBOUND = [
    ("PO-24103", "DNM-002", "DEL-GGN", 800, 4),
    ("PO-24109", "BTY-003", "DEL-GGN", 1500, 2),
    ("PO-24104", "LEH-001", "BLR-HSK", 300, 3),
    ("PO-24101", "TEE-001", "BOM-BHW", 1500, 6),
    ("PO-24102", "TEE-002", "DEL-GGN", 1200, 6),
    ("PO-24107", "DRS-001", "BOM-BHW", 400, 9),
    ("PO-24105", "BTY-001", "BLR-HSK", 2000, 10),
    ("PO-24108", "SET-002", "BLR-HSK", 600, 12),
    ("PO-24110", "KRT-001", "BOM-BHW", 900, 18),
    ("PO-24111", "BTY-002", "BOM-BHW", 1200, 21),
    ("PO-24112", "DNM-001", "BOM-BHW", 700, 24),
    ("PO-24106", "BTY-013", "BOM-BHW", 3000, 45),
]

# kind, note, scope (warehouse/courier/region code), first and last day from today, capacity factor
CONSTRAINTS = [
    ("warehouse_blackout", "Gurugram annual stocktake", ("warehouse", "DEL-GGN"), 15, 16, "0"),
    ("courier_holiday", "Blue Dart network holiday", ("courier", "BDT"), 9, 9, "0"),
    ("reduced_capacity", "Hoskote racking upgrade: one shift only", ("warehouse", "BLR-HSK"), 20, 23, "0.75"),
    ("support_holiday", "Pune support team offsite", ("support_team", "Chat & email (Pune)"), 18, 19, "0.5"),
]

# Customer support: name, channel, agents a day, tickets per agent a day, business-as-usual tickets/day.
# About 600 tickets a day for campaigns; the Pune offsite halves chat and email on days 18–19,
# when the end of season sale brings more than support can answer.
SUPPORT_TEAMS = [
    ("Chat & email (Pune)", "all", 14, 70, 500),
    ("Phone (Hyderabad)", "phone", 6, 40, 120),
]

# name, first and last day from today, channel, notes
PROMO_WINDOWS = [
    ("Payday weekend", 2, 4, "email", "Salary week: email and push to the loyalty base."),
    ("End of season sale", 14, 24, "", "Sitewide markdowns up to 50%; the biggest volume week of the quarter."),
    ("Wedding season edit launch", 26, 26, "meta", "Lehengas, silk sarees and Anarkali sets go live."),
    ("Black Friday weekend", 35, 38, "", "Early access for subscribers two days before."),
]


# --------------------------------------------------------------------------- loading


@dataclass
class Result:
    created: Counter = field(default_factory=Counter)
    campaigns_created: list[str] = field(default_factory=list)
    campaigns_skipped: list[str] = field(default_factory=list)


def _aware(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def load(*, today: dt.date | None = None) -> Result:
    """Load everything; call inside a transaction."""
    today = today or timezone.localdate()
    result = Result()
    users = load_users(result)
    load_reference(today, result, creator=users["maya"])
    CampaignLoader(today, users, result).load()
    load_imported(today, result)
    versions.changed(versions.REF, versions.DATA)  # written in bulk, not through the services
    return result


def load_users(result: Result) -> dict[str, User]:
    users = {}
    for username, (role, first, last) in DEMO_USERS.items():
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": _email(username)}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            result.created["users"] += 1
        elif not user.email:
            user.email = _email(username)
            user.first_name = user.first_name or first
            user.last_name = user.last_name or last
            user.save(update_fields=["email", "first_name", "last_name"])
        user.groups.add(Group.objects.get_or_create(name=role)[0])  # a flushed test database has none
        users[username] = user
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "first_name": "Admin", "email": _email("admin")},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
        result.created["users"] += 1
    users["admin"] = admin
    return users


def _email(username: str) -> str:
    return f"{username}@{EMAIL_DOMAIN}"


def load_reference(today: dt.date, result: Result, *, creator: User) -> None:
    """Warehouses, SKUs, regions, couriers, lanes, stock, inbound, constraints and promo windows."""

    def count(kind: str, created: bool) -> None:
        if created:
            result.created[kind] += 1

    warehouses = {}
    for code, name, capacity, baseline in WAREHOUSES:
        warehouses[code], created = Warehouse.objects.update_or_create(
            code=code, defaults={"name": name, "daily_dispatch_capacity": capacity, "baseline_orders_per_day": baseline}
        )
        count("warehouses", created)

    skus = {}
    for code, name, safety, baseline, return_rate, _ in SKUS:
        skus[code], created = Sku.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "safety_stock": safety,
                "baseline_units_per_day": baseline,
                "return_rate": Decimal(return_rate),
                "is_active": True,
            },
        )
        count("skus", created)

    regions = {}
    for code, name, warehouse in REGIONS:
        regions[code], created = Region.objects.update_or_create(
            code=code, defaults={"name": name, "warehouse": warehouses.get(warehouse)}
        )
        count("regions", created)

    couriers = {}
    for code, name in COURIERS:
        couriers[code], created = Courier.objects.update_or_create(
            code=code, defaults={"name": name, "is_active": True}
        )
        count("couriers", created)

    for region_code, lanes in LANES.items():
        for courier_code, (capacity, baseline, days, ndr, cod) in lanes.items():
            _, created = CourierLane.objects.update_or_create(
                courier=couriers[courier_code],
                region=regions[region_code],
                defaults={
                    "daily_capacity": capacity,
                    "baseline_orders_per_day": baseline,
                    "avg_delivery_days": Decimal(days),
                    "ndr_rate": Decimal(ndr),
                    "cod_supported": cod,
                },
            )
            count("courier lanes", created)

    counted_at = timezone.now()
    for code, *_, on_hand in SKUS:
        for warehouse_code, share in WAREHOUSE_SPLIT.items():
            _, created = StockLevel.objects.update_or_create(
                sku=skus[code],
                warehouse=warehouses[warehouse_code],
                defaults={"on_hand": int(on_hand * share), "as_of": counted_at},
            )
            count("stock levels", created)

    # Calendar items keep the dates they were first loaded with, like the campaigns.
    for reference, sku, warehouse, quantity, days in INBOUND:
        _, created = InboundShipment.objects.get_or_create(
            reference=reference,
            defaults={
                "sku": skus[sku],
                "warehouse": warehouses[warehouse],
                "quantity": quantity,
                "expected_on": today + dt.timedelta(days=days),
            },
        )
        count("inbound shipments", created)

    teams = {}
    for name, channel, agents, per_agent, usual in SUPPORT_TEAMS:
        teams[name], created = SupportTeam.objects.get_or_create(
            name=name,
            defaults={
                "channel": channel,
                "agents_per_day": agents,
                "tickets_per_agent_per_day": per_agent,
                "baseline_tickets_per_day": usual,
            },
        )
        count("support teams", created)

    scopes = {"warehouse": warehouses, "courier": couriers, "region": regions, "support_team": teams}
    for kind, note, (scope, code), first, last, factor in CONSTRAINTS:
        _, created = CapacityConstraint.objects.get_or_create(
            kind=kind,
            note=note,
            **{scope: scopes[scope][code]},
            defaults={
                "starts_on": today + dt.timedelta(days=first),
                "ends_on": today + dt.timedelta(days=last),
                "capacity_factor": Decimal(factor),
            },
        )
        count("constraints", created)

    for name, first, last, channel, notes in PROMO_WINDOWS:
        _, created = PromoWindow.objects.get_or_create(
            name=name,
            defaults={
                "starts_on": today + dt.timedelta(days=first),
                "ends_on": today + dt.timedelta(days=last),
                "channel": channel,
                "notes": notes,
                "created_by": creator,
            },
        )
        count("promo windows", created)


# --------------------------------------------------------------------------- campaigns


# --------------------------------------------------------------------------- imported figures

PERFORMANCE_MONTHS = 3
RETURN_WEEKS = 8
RETURN_CHANNELS = (Channel.META, Channel.GOOGLE, Channel.MARKETPLACE)
FULFILMENT_COST_PER_ORDER = Decimal("62.50")
DEMO_CUSTOMERS_PER_DAY = 3  # orders a day of each campaign with a customer_ref
DEMO_TICKET_SHARES = {"chat": Decimal("0.05"), "email": Decimal("0.025"), "phone": Decimal("0.01")}  # of orders
DEMO_CSAT = {5: 6, 4: 5, 3: 2, 2: 1, 1: 1}  # answers a day per region, by score


def _wobble(*key: object, spread: int = 15) -> Decimal:
    """A repeatable factor within ±spread% for `key`: demo figures that vary like real
    ones, the same on every load."""
    digest = sum((i + 1) * ord(ch) for i, ch in enumerate("|".join(map(str, key))))
    return Decimal(100 + digest % (2 * spread + 1) - spread) / 100


def _insert(model, rows: list, result: Result, label: str) -> None:
    before = model.objects.count()
    model.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    result.created[label] += model.objects.count() - before


def load_imported(today: dt.date, result: Result) -> None:
    """What the daily imports would have brought (DESIGN.md, the data bridge): monthly
    courier performance per lane, weekly returns per SKU and channel, and the actual
    orders (a few of them by known customers) and ad spend of every campaign that has
    run, its support tickets and CSAT answers, up to yesterday. Unique keys and
    ignore_conflicts make a second load add nothing."""
    yesterday = today - dt.timedelta(days=1)
    performance = []
    for lane in CourierLane.objects.select_related("courier", "region"):
        for month in range(PERFORMANCE_MONTHS):
            end = yesterday - dt.timedelta(days=30 * month)
            start = end - dt.timedelta(days=29)
            shipments = int(lane.daily_capacity * 30 * Decimal("0.45") * _wobble(lane.pk, month))
            ndr = min(int(shipments * lane.ndr_rate * _wobble(lane.region.code, month, spread=20)), shipments)
            days = (lane.avg_delivery_days * _wobble(lane.courier.code, month, spread=10)).quantize(Decimal("0.01"))
            performance.append(
                LanePerformance(
                    lane=lane, period_start=start, period_end=end, shipments=shipments,
                    delivered=shipments - ndr, ndr_count=ndr, avg_delivery_days=days,
                )
            )  # fmt: skip
    _insert(LanePerformance, performance, result, "lane performance periods")

    regions = list(Region.objects.order_by("code")[:4])
    returns = []
    for sku in Sku.objects.filter(is_active=True).order_by("code"):
        for week in range(RETURN_WEEKS):
            day = yesterday - dt.timedelta(days=7 * week)
            for channel in RETURN_CHANNELS:
                for region in regions:
                    orders = int(40 * _wobble(sku.code, channel, region.code, week, spread=50))
                    rate = sku.return_rate * _wobble(sku.code, channel, spread=30)
                    returned = min(int(orders * rate), orders)
                    returns.append(
                        ReturnRecord(
                            date=day, sku=sku, channel=channel, region=region, orders=orders, returned=returned
                        )
                    )
    _insert(ReturnRecord, returns, result, "return records")

    orders, spend, tickets, csat = [], [], [], []
    ran = Campaign.objects.filter(
        status__in=[Status.LIVE, Status.PAUSED, Status.COMPLETED], starts_on__lte=yesterday
    ).prefetch_related("sku_lines__sku", "region_lines__region")
    for campaign in ran:
        per_day = campaign.approved_orders_per_day or campaign.orders_per_day
        day = campaign.starts_on
        while day <= min(campaign.ends_on, yesterday):
            pace = _wobble(campaign.pk, day, spread=25)
            cost = FULFILMENT_COST_PER_ORDER * _wobble(campaign.channel, spread=12)
            first = True
            for sku_line in campaign.sku_lines.all():
                for region_line in campaign.region_lines.all():
                    n = round(per_day * sku_line.share * region_line.share * pace)
                    if first and n > DEMO_CUSTOMERS_PER_DAY:
                        # A few orders of known customers (some come back), so revenue per
                        # customer and repeat rate have figures: carved out of the day's total.
                        for i in range(DEMO_CUSTOMERS_PER_DAY):
                            ref = customer_key(f"demo-{campaign.pk}-{(day.toordinal() * 3 + i) % 40}")
                            orders.append(
                                ActualOrders(
                                    date=day, campaign=campaign, channel=campaign.channel, sku=sku_line.sku,
                                    region=region_line.region, orders=1, revenue=campaign.expected_order_value,
                                    fulfilment_cost=FULFILMENT_COST_PER_ORDER, customer_ref=ref,
                                )
                            )  # fmt: skip
                        n -= DEMO_CUSTOMERS_PER_DAY
                    first = False
                    if n:
                        orders.append(
                            ActualOrders(
                                date=day, campaign=campaign, channel=campaign.channel, sku=sku_line.sku,
                                region=region_line.region, orders=n, revenue=n * campaign.expected_order_value,
                                fulfilment_cost=(n * cost).quantize(Decimal("0.01")),
                            )
                        )  # fmt: skip
            total = round(per_day * pace)
            tickets.extend(
                SupportTicketCount(day=day, channel=channel, campaign=campaign, tickets=round(total * share))
                for channel, share in DEMO_TICKET_SHARES.items()
            )
            for region_line in campaign.region_lines.all():
                for score, weight in DEMO_CSAT.items():
                    answers = round(weight * _wobble(campaign.pk, day, region_line.region.code, score, spread=40))
                    if answers:
                        csat.append(
                            CsatResponse(
                                day=day, region=region_line.region, campaign=campaign, score=score, responses=answers
                            )
                        )
            daily_budget = campaign.budget / campaign.days
            spend.append(
                CampaignSpend(campaign=campaign, date=day, spend=(daily_budget * pace).quantize(Decimal("0.01")))
            )
            day += dt.timedelta(days=1)
    _insert(ActualOrders, orders, result, "actual order rows")
    _insert(CampaignSpend, spend, result, "spend days")
    _insert(SupportTicketCount, tickets, result, "support ticket counts")
    _insert(CsatResponse, csat, result, "CSAT answer counts")


def _lines(key: str, shares: dict[str, str]) -> list[dict[str, str]]:
    return [{key: code, "share": share} for code, share in shares.items()]


class CampaignLoader:
    """Each scenario builds one campaign through the services, in the past where it happened."""

    def __init__(self, today: dt.date, users: dict[str, User], result: Result):
        import time_machine  # a dev dependency (requirements-dev.txt); the command reports its absence

        self.time_machine = time_machine
        self.today = today
        self.result = result
        self.maya, self.ishaan, self.lata, self.omar = (users[u] for u in ("maya", "ishaan", "lata", "omar"))
        self.sana = users["sana"]

    def load(self) -> None:
        scenarios: list[tuple[str, Callable[[str], Campaign]]] = [
            ("Monsoon kurta edit", self.monsoon_kurtas),
            ("Vitamin C serum launch", self.vitamin_c_launch),
            ("Everyday cotton tees: always-on Meta", self.everyday_tees),
            ("Kumkumadi night oil: Google Search", self.kumkumadi_search),
            ("Denim fit drive with creators", self.denim_fit_drive),
            ("Holi colours drop", self.holi_drop),
            ("COD blitz: Lucknow and Patna", self.cod_blitz),
            ("Wedding season edit", self.wedding_edit),
            ("Black Friday early access", self.black_friday),
            ("Bodycon party dresses with creators", self.bodycon_dresses),
            ("Ubtan face pack: email to the loyalty base", self.ubtan_email),
            ("Northeast and Bihar COD pilot", self.northeast_pilot),
            ("Payday weekend flash sale", self.payday_flash),
            ("End of season sale: all India", self.end_of_season),
            ("Diwali gifting boxes", self.diwali_gifting),
        ]
        for name, build in scenarios:
            if Campaign.objects.filter(name=name).exists():
                self.result.campaigns_skipped.append(name)
                continue
            try:
                build(name)
            except DomainError as exc:
                findings = "; ".join(f["message"] for f in getattr(exc, "findings", []))
                details = getattr(exc, "errors", None) or findings
                raise RuntimeError(f"{name!r}: {exc.message} {details}".strip()) from exc
            self.result.campaigns_created.append(name)

    # ---- time travel and service calls, as the real people would make them

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    @contextmanager
    def at(self, offset: int, hour: int, minute: int = 0):
        """Act at a moment in the past (offset in days from today), then come back to the present."""
        moment = _aware(self.day(offset), hour, minute)
        if moment >= timezone.now():
            raise ValueError(f"The demo only travels to the past, not to {moment:%Y-%m-%d %H:%M}.")
        with self.time_machine.travel(moment, tick=False):
            yield

    def create(self, name: str, when: tuple, **data: Any) -> Campaign:
        data = {"name": name, **data}
        data["skus"] = _lines("sku", data["skus"])
        data["regions"] = _lines("region", data["regions"])
        with self.at(*when):
            return services.campaign_create(actor=self.maya, data=data)

    def submit(self, campaign: Campaign, when: tuple) -> Campaign:
        with self.at(*when):
            return services.campaign_submit(campaign=campaign, actor=self.maya)

    def sign(self, campaign: Campaign, when: tuple, actor: User, dimension: str, decision: str = "approved", **kw):
        with self.at(*when):
            services.campaign_sign_off(campaign=campaign, actor=actor, dimension=dimension, decision=decision, **kw)
        return Campaign.objects.get(pk=campaign.pk)

    def approve_both(self, campaign: Campaign, inventory_at: tuple, courier_at: tuple) -> Campaign:
        """Every sign-off: inventory, customer support (an hour after inventory), then courier."""
        self.sign(campaign, inventory_at, self.ishaan, "inventory", comment="Stock and inbound cover it.")
        self.support(campaign, inventory_at)
        return self.sign(campaign, courier_at, self.lata, "courier", comment="Lanes and dispatch have room.")

    def support(self, campaign: Campaign, after: tuple) -> Campaign:
        """Sana approves customer support an hour after `after` (day, hour[, minute])."""
        day, hour, *minute = after
        return self.sign(campaign, (day, hour + 1, *minute), self.sana, "support", comment="The agents can take it.")

    def go_live(self, campaign: Campaign, when: tuple, actor: User | None = None) -> Campaign:
        """`actor=None` is the 06:00 scheduler; the owner may start it by hand on the day."""
        with self.at(*when):
            return services.campaign_go_live(campaign=campaign, actor=actor)

    def complete(self, campaign: Campaign) -> Campaign:
        day_after = (campaign.ends_on - self.today).days + 1
        with self.at(day_after, 0, 15):
            return services.campaign_complete(campaign=campaign, actor=None, today=self.day(day_after))

    @staticmethod
    def expect(campaign: Campaign, status: str) -> Campaign:
        campaign.refresh_from_db()
        if campaign.status != status:
            raise RuntimeError(f"Demo campaign {campaign.name!r} ended up {campaign.status}, expected {status}.")
        return campaign

    # ---- completed, in the past

    def monsoon_kurtas(self, name: str) -> Campaign:
        c = self.create(
            name, (-48, 11, 20), channel="meta", starts_on=self.day(-40), ends_on=self.day(-31),
            brief="Carousel ads for the monsoon kurta edit: breathable cottons, prepaid discount of 10%.",
            orders_per_day=220, units_per_order="1.2", cod_share="0.35", delivery_promise_days=4,
            budget="600000", expected_order_value="1450",
            skus={"KRT-001": "0.35", "KRT-002": "0.25", "SET-001": "0.25", "DUP-001": "0.15"},
            regions={"MUM": "0.30", "DEL": "0.30", "BLR": "0.25", "PUN": "0.15"},
        )  # fmt: skip
        c = self.submit(c, (-47, 10, 5))
        c = self.approve_both(c, (-46, 12, 30), (-45, 16, 10))
        c = self.go_live(c, (-40, 6, 0))
        c = self.complete(c)
        PostCampaignReview.objects.filter(campaign=c).update(
            actual_orders=2390, returned_orders=335, failed_deliveries=101,
            notes="9% above the forecast, carried by the indigo kurta; Pune under-delivered.",
        )  # fmt: skip
        return self.expect(c, Status.COMPLETED)

    def vitamin_c_launch(self, name: str) -> Campaign:
        c = self.create(
            name, (-33, 15, 40), channel="influencer", starts_on=self.day(-24), ends_on=self.day(-17),
            brief="Launch with twelve skincare creators; reels plus a swipe-up code.",
            orders_per_day=180, units_per_order="1.1", cod_share="0.25", delivery_promise_days=3,
            budget="300000", expected_order_value="699",
            skus={"BTY-002": "0.70", "BTY-005": "0.30"},
            regions={"MUM": "0.25", "BLR": "0.25", "DEL": "0.25", "HYD": "0.25"},
        )  # fmt: skip
        c = self.submit(c, (-32, 9, 50))
        c = self.approve_both(c, (-31, 11, 0), (-31, 17, 25))
        c = self.go_live(c, (-24, 9, 15), actor=self.maya)
        with self.at(-21, 14, 5):
            services.campaign_pause(
                campaign=c, actor=self.omar,
                reason="Hyderabad hub is backed up after the rains; pausing until Delhivery clears it.",
            )  # fmt: skip
        with self.at(-20, 10, 30):
            services.campaign_resume(campaign=c, actor=self.maya)
        c = self.complete(c)
        PostCampaignReview.objects.filter(campaign=c).update(
            actual_orders=1310, returned_orders=58, failed_deliveries=41,
            notes="9% under the forecast, mostly the paused day; two creators drove 60% of orders.",
        )  # fmt: skip
        return self.expect(c, Status.COMPLETED)

    # ---- running now

    def everyday_tees(self, name: str) -> Campaign:
        c = self.create(
            name, (-12, 11, 0), channel="meta", starts_on=self.day(-4), ends_on=self.day(10),
            brief="Always-on prospecting for the cotton tee 3-pack; bundles push units per order up.",
            orders_per_day=400, units_per_order="1.6", cod_share="0.30", delivery_promise_days=4,
            budget="840000", expected_order_value="899",
            skus={"TEE-001": "0.35", "TEE-002": "0.30", "TEE-003": "0.20", "TEE-004": "0.15"},
            regions={"MUM": "0.25", "DEL": "0.25", "BLR": "0.20", "HYD": "0.15", "PUN": "0.15"},
        )  # fmt: skip
        c = self.submit(c, (-11, 10, 20))
        c = self.approve_both(c, (-10, 12, 45), (-9, 11, 5))
        c = self.go_live(c, (-4, 6, 0))
        with self.at(-1, 18, 10):
            services.campaign_scale_up(
                campaign=c, actor=self.maya, orders_per_day=520,
                comment="Cost per order is 30% under target; we want to scale spend from tomorrow.",
            )  # fmt: skip
        c = self.expect(c, Status.LIVE)
        if not c.scale_up_pending:
            raise RuntimeError(f"Demo campaign {name!r} should have a scale-up waiting for sign-off.")
        return c

    def kumkumadi_search(self, name: str) -> Campaign:
        c = self.create(
            name, (-8, 16, 0), channel="google", starts_on=self.day(-1), ends_on=self.day(13),
            brief="Search and Performance Max on 'kumkumadi oil' and 'night face oil' terms.",
            sessions_per_day=12000, conversion_rate="0.025", units_per_order="1.05", cod_share="0.20",
            delivery_promise_days=4, budget="450000", expected_order_value="1195",
            skus={"BTY-001": "0.80", "BTY-010": "0.20"},
            regions={"MUM": "0.30", "DEL": "0.30", "BLR": "0.25", "CHE": "0.15"},
        )  # fmt: skip
        c = self.submit(c, (-7, 10, 0))
        c = self.approve_both(c, (-6, 15, 20), (-5, 11, 40))
        c = self.go_live(c, (-1, 9, 5), actor=self.maya)
        return self.expect(c, Status.LIVE)

    def denim_fit_drive(self, name: str) -> Campaign:
        c = self.create(
            name, (-14, 12, 0), channel="influencer", starts_on=self.day(-6), ends_on=self.day(8),
            brief="Fit-check reels with eight denim creators; code FITCHECK for 15% off.",
            orders_per_day=150, units_per_order="1.1", cod_share="0.40", delivery_promise_days=4,
            budget="350000", expected_order_value="1999",
            skus={"DNM-001": "0.55", "DNM-002": "0.45"},
            regions={"DEL": "0.35", "MUM": "0.30", "AMD": "0.20", "JAI": "0.15"},
        )  # fmt: skip
        c = self.submit(c, (-13, 11, 30))
        c = self.approve_both(c, (-12, 14, 0), (-12, 17, 45))
        c = self.go_live(c, (-6, 10, 0), actor=self.maya)
        with self.at(-1, 15, 20):
            services.campaign_pause(
                campaign=c, actor=self.omar,
                reason="Slim-fit returns are running at 26% (size 32 runs small); pausing until the fit note "
                "is on the product page. The holds stay.",
            )  # fmt: skip
        return self.expect(c, Status.PAUSED)

    # ---- decided, not running

    def holi_drop(self, name: str) -> Campaign:
        c = self.create(
            name, (-12, 14, 30), channel="influencer", starts_on=self.day(5), ends_on=self.day(9),
            brief="Colour-block kurtas and phulkari dupattas with two Delhi creators.",
            orders_per_day=200, units_per_order="1.3", cod_share="0.40", delivery_promise_days=4,
            budget="250000", expected_order_value="1299",
            skus={"KRT-003": "0.40", "DUP-002": "0.30", "PAL-002": "0.30"},
            regions={"DEL": "0.40", "LKO": "0.20", "JAI": "0.20", "MUM": "0.20"},
        )  # fmt: skip
        c = self.submit(c, (-11, 10, 0))
        c = self.approve_both(c, (-10, 11, 15), (-10, 16, 0))
        with self.at(-2, 12, 40):
            services.campaign_cancel(
                campaign=c, actor=self.omar,
                comment="The creators moved their slot to next quarter; cancelling to release the holds.",
            )  # fmt: skip
        return self.expect(c, Status.CANCELLED)

    def cod_blitz(self, name: str) -> Campaign:
        c = self.create(
            name, (-5, 17, 0), channel="meta", starts_on=self.day(6), ends_on=self.day(12),
            brief="Geo-targeted COD offer in two fast-growing cities.",
            orders_per_day=180, units_per_order="1.2", cod_share="0.80", delivery_promise_days=3,
            budget="220000", expected_order_value="1099",
            skus={"KRT-004": "0.50", "PAL-001": "0.50"},
            regions={"LKO": "0.50", "PAT": "0.50"},
        )  # fmt: skip
        c = self.submit(c, (-4, 10, 15))
        c = self.sign(c, (-3, 11, 0), self.ishaan, "inventory", comment="Chikankari and palazzo stock is fine.")
        c = self.sign(
            c, (-3, 15, 30), self.lata, "courier", "rejected",
            comment="Lucknow and Patna fail 31-36% of deliveries, mostly COD; at 80% COD that is ~340 "
            "failed orders. Couriers average 4-5 days against a 3-day promise. Prepaid-only could work.",
        )  # fmt: skip
        return self.expect(c, Status.REJECTED)

    def wedding_edit(self, name: str) -> Campaign:
        c = self.create(
            name, (-10, 12, 10), channel="meta", starts_on=self.day(26), ends_on=self.day(32),
            brief="Wedding season lookbook: lehengas, silk sarees and Anarkali sets.",
            orders_per_day=260, units_per_order="1.0", cod_share="0.10", delivery_promise_days=5,
            budget="900000", expected_order_value="6499",
            skus={"LEH-001": "0.40", "SAR-002": "0.30", "SET-003": "0.30"},
            regions={"DEL": "0.30", "MUM": "0.25", "BLR": "0.20", "HYD": "0.15", "JAI": "0.10"},
        )  # fmt: skip
        c = self.submit(c, (-9, 9, 40))
        c = self.sign(c, (-8, 11, 20), self.lata, "courier", comment="Prepaid-heavy and a 5-day promise: fine.")
        c = self.sign(
            c, (-8, 16, 0), self.ishaan, "inventory", "changes_requested",
            comment="Only ~900 lehenga sets across the network and 21% of silk sarees come back. "
            "Bring it to 200 orders/day and I can approve.",
        )  # fmt: skip
        with self.at(-7, 10, 30):
            c = services.campaign_update(campaign=c, actor=self.maya, data={"orders_per_day": 200})
        c = self.submit(c, (-7, 10, 45))
        c = self.support(c, (-7, 11, 0))
        c = self.sign(c, (-6, 12, 0), self.ishaan, "inventory", comment="200/day fits, with the Hoskote PO.")
        return self.expect(c, Status.APPROVED)

    def black_friday(self, name: str) -> Campaign:
        c = self.create(
            name, (-6, 15, 0), channel="email", starts_on=self.day(34), ends_on=self.day(38),
            brief="Subscribers shop the Black Friday edit two days early.",
            orders_per_day=450, units_per_order="1.4", cod_share="0.15", delivery_promise_days=4,
            budget="200000", expected_order_value="1650",
            skus={"DRS-003": "0.25", "SET-002": "0.25", "SHT-001": "0.20", "JKT-001": "0.15", "TEE-004": "0.15"},
            regions={"MUM": "0.30", "BLR": "0.30", "DEL": "0.25", "HYD": "0.15"},
        )  # fmt: skip
        c = self.submit(c, (-5, 11, 10))
        c = self.sign(c, (-4, 10, 0), self.ishaan, "inventory", comment="Covered, including the co-ord set PO.")
        c = self.support(c, (-4, 10, 0))
        c = self.sign(
            c, (-3, 17, 30), self.lata, "courier", approved_orders_per_day=350,
            comment="Black Friday week the couriers cap our pickups; I can commit 350 orders/day, not 450.",
        )  # fmt: skip
        c = self.expect(c, Status.APPROVED)
        if c.approved_orders_per_day != 350:
            raise RuntimeError(f"Demo campaign {name!r} should be approved at 350 orders/day.")
        return c

    def bodycon_dresses(self, name: str) -> Campaign:
        c = self.create(
            name, (-4, 12, 0), channel="influencer", starts_on=self.day(12), ends_on=self.day(18),
            brief="Party-season reels with five fashion creators.",
            orders_per_day=240, units_per_order="1.1", cod_share="0.30", delivery_promise_days=4,
            budget="320000", expected_order_value="1799",
            skus={"DRS-001": "0.60", "DRS-002": "0.40"},
            regions={"MUM": "0.40", "DEL": "0.30", "BLR": "0.30"},
        )  # fmt: skip
        c = self.submit(c, (-3, 9, 30))
        c = self.sign(
            c, (-2, 11, 45), self.ishaan, "inventory", "changes_requested",
            comment="27% of the bodycon dresses come back and Bhiwandi has ~360 until PO-24107. "
            "Lower the volume or add the tiered maxi dress.",
        )  # fmt: skip
        return self.expect(c, Status.CHANGES_REQUESTED)

    # ---- waiting for ops

    def ubtan_email(self, name: str) -> Campaign:
        c = self.create(
            name, (-3, 14, 0), channel="email", starts_on=self.day(8), ends_on=self.day(14),
            brief="Bridal skincare email series with a free aloe gel.",
            orders_per_day=160, units_per_order="1.3", cod_share="0.20", delivery_promise_days=4,
            budget="60000", expected_order_value="749",
            skus={"BTY-004": "0.60", "BTY-011": "0.40"},
            regions={"MUM": "0.30", "BLR": "0.30", "DEL": "0.20", "CHE": "0.20"},
        )  # fmt: skip
        c = self.submit(c, (-2, 10, 0))
        c = self.sign(c, (-1, 12, 20), self.ishaan, "inventory", comment="Plenty of ubtan and aloe.")
        return self.expect(c, Status.SUBMITTED)

    def northeast_pilot(self, name: str) -> Campaign:
        c = self.create(
            name, (-2, 16, 30), channel="meta", starts_on=self.day(5), ends_on=self.day(13),
            brief="Hair-oil pilot in the north-east and Bihar, where search demand is growing fastest.",
            orders_per_day=90, units_per_order="1.2", cod_share="0.60", delivery_promise_days=4,
            budget="120000", expected_order_value="549",
            skus={"BTY-006": "0.40", "BTY-007": "0.30", "BTY-014": "0.30"},
            regions={"GAU": "0.35", "PAT": "0.35", "KOL": "0.30"},
        )  # fmt: skip
        c = self.submit(c, (-1, 11, 0))
        return self.expect(c, Status.SUBMITTED)

    def payday_flash(self, name: str) -> Campaign:
        c = self.create(
            name, (-1, 14, 0), channel="email", starts_on=self.day(2), ends_on=self.day(4),
            brief="72-hour payday offer to the loyalty base: tees, palazzos and sunscreen.",
            orders_per_day=500, units_per_order="1.5", cod_share="0.30", delivery_promise_days=4,
            budget="80000", expected_order_value="999",
            skus={"TEE-001": "0.20", "TEE-002": "0.20", "PAL-001": "0.20", "BTY-003": "0.20", "BTY-008": "0.20"},
            regions={"MUM": "0.25", "DEL": "0.25", "BLR": "0.20", "PUN": "0.10", "HYD": "0.10", "CHE": "0.10"},
        )  # fmt: skip
        c = self.submit(c, (-1, 16, 45))  # less than 72 hours before the start: late notice
        return self.expect(c, Status.SUBMITTED)

    def end_of_season(self, name: str) -> Campaign:
        c = self.create(
            name, (-3, 11, 30), channel="meta", starts_on=self.day(14), ends_on=self.day(24),
            brief="The end of season sale at full spend across every city we serve.",
            orders_per_day=2200, units_per_order="1.5", cod_share="0.35", delivery_promise_days=4,
            budget="4500000", expected_order_value="1199",
            skus={
                "KRT-001": "0.15", "KRT-002": "0.10", "SET-001": "0.10", "TEE-001": "0.15", "TEE-002": "0.15",
                "PAL-001": "0.10", "DRS-003": "0.10", "DNM-001": "0.15",
            },
            regions={
                "MUM": "0.20", "DEL": "0.20", "BLR": "0.15", "PUN": "0.08", "AMD": "0.07", "HYD": "0.08",
                "CHE": "0.07", "JAI": "0.05", "KOL": "0.05", "LKO": "0.05",
            },
        )  # fmt: skip
        c = self.submit(c, (-1, 9, 15))
        return self.expect(c, Status.SUBMITTED)

    def diwali_gifting(self, name: str) -> Campaign:
        c = self.create(
            name, (-2, 18, 20), channel="meta", starts_on=self.day(60), ends_on=self.day(75),
            brief="Gift boxes and dupattas for Diwali; corporate gifting landing page.",
            sessions_per_day=20000, conversion_rate="0.018", units_per_order="1.2", cod_share="0.25",
            delivery_promise_days=5, budget="1500000", expected_order_value="1899",
            skus={"BTY-013": "0.60", "BTY-012": "0.20", "DUP-001": "0.20"},
            regions={"MUM": "0.25", "DEL": "0.25", "BLR": "0.20", "HYD": "0.10", "KOL": "0.10", "AMD": "0.10"},
        )  # fmt: skip
        return self.expect(c, Status.DRAFT)
