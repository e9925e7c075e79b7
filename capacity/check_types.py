"""The capacity check's vocabulary: dimensions, verdicts and severities, the plan and
snapshot it reads, and the findings, results and reservation lines it returns.

Plain frozen dataclasses, no behaviour beyond formatting: `capacity.checks` is the
check itself, `capacity.selectors.load_snapshot` fills a `Snapshot`, and the test
oracle (tests/check_reference.py) imports these same types.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction

INVENTORY = "inventory"
COURIER = "courier"
DISPATCH = "dispatch"
SUPPORT = "support"
RISK = "risk"


@dataclass(frozen=True)
class DimensionSpec:
    """One sign-off dimension: its name, how the pages name it, the findings that belong
    to it, and whether it is required only when switched on (`optional`: see
    `capacity.selectors.active_dimensions`). Adding a dimension is a new entry here, its
    check in `capacity.checks`, its data, and its ops role (`campaigns.workflow.DIMENSION_TEAM`)."""

    name: str
    words: str  # "courier & dispatch"
    findings: tuple[str, ...]
    optional: bool = False


# The sign-off dimensions, in the order every surface lists them.
REGISTRY = (
    DimensionSpec(INVENTORY, "inventory", (INVENTORY,)),
    DimensionSpec(COURIER, "courier & dispatch", (DISPATCH, COURIER)),
    DimensionSpec(SUPPORT, "customer support", (SUPPORT,), optional=True),
)
ALL_DIMENSIONS = tuple(spec.name for spec in REGISTRY)
# The dimensions every campaign needs whatever the brand's settings (the others only when on).
SIGN_OFF_DIMENSIONS = tuple(spec.name for spec in REGISTRY if not spec.optional)
# Which findings belong to which sign-off dimension.
FINDING_DIMENSIONS = {spec.name: spec.findings for spec in REGISTRY}
DIMENSION_WORDS = {spec.name: spec.words for spec in REGISTRY}

FITS = "fits"
FITS_WITH_WARNINGS = "fits_with_warnings"
EXCEEDS = "exceeds"

ERROR = "error"
WARNING = "warning"
INFO = "info"

NETWORK = None  # the pooled "warehouse" of regions that have none


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class SkuLine:
    sku_id: int
    share: Fraction


@dataclass(frozen=True)
class RegionLine:
    region_id: int
    share: Fraction


@dataclass(frozen=True)
class Plan:
    starts_on: date
    ends_on: date
    orders_per_day: int
    units_per_order: Fraction
    cod_share: Fraction
    delivery_promise_days: int
    budget: Fraction
    expected_order_value: Fraction
    skus: tuple[SkuLine, ...]
    regions: tuple[RegionLine, ...]

    def at_volume(self, orders_per_day: int) -> Plan:
        return replace(self, orders_per_day=orders_per_day)

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


@dataclass(frozen=True)
class SkuInfo:
    id: int
    code: str
    name: str
    safety_stock: int = 0
    baseline_units_per_day: int = 0
    return_rate: Fraction = Fraction(0)
    contact_rate: Fraction | None = None  # support tickets per order; None: the brand's


@dataclass(frozen=True)
class WarehouseInfo:
    id: int
    code: str
    name: str
    daily_dispatch_capacity: int
    baseline_orders_per_day: int = 0


@dataclass(frozen=True)
class RegionInfo:
    id: int
    code: str
    name: str
    warehouse_id: int | None


@dataclass(frozen=True)
class LaneInfo:
    id: int
    courier_id: int
    courier_code: str
    region_id: int
    daily_capacity: int
    baseline_orders_per_day: int = 0
    avg_delivery_days: Fraction = Fraction(0)
    ndr_rate: Fraction = Fraction(0)
    cod_supported: bool = True


@dataclass(frozen=True)
class ConstraintInfo:
    kind: str
    starts_on: date
    ends_on: date
    factor: Fraction
    warehouse_id: int | None = None
    courier_id: int | None = None
    region_id: int | None = None
    note: str = ""
    support_team_id: int | None = None

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class SupportTeamInfo:
    id: int
    name: str
    agents_per_day: int
    tickets_per_agent_per_day: int
    baseline_tickets_per_day: int = 0


@dataclass
class Snapshot:
    """Capacity data as the check sees it. Reserved amounts are other campaigns' only."""

    today: date
    skus: dict[int, SkuInfo]
    warehouses: dict[int, WarehouseInfo]
    regions: dict[int, RegionInfo]
    lanes: list[LaneInfo]
    on_hand: dict[tuple[int, int], int] = field(default_factory=dict)
    inbound: list[tuple[int, int, date, int]] = field(default_factory=list)
    constraints: list[ConstraintInfo] = field(default_factory=list)
    reserved_stock: dict[tuple[int, int | None, date], int] = field(default_factory=dict)
    reserved_dispatch: dict[tuple[int | None, date], int] = field(default_factory=dict)
    reserved_lane: dict[tuple[int, date], int] = field(default_factory=dict)
    # Holds of the checked campaign itself, when the reserved_* totals include them
    # (a batch snapshot shared by many campaigns); subtracted on lookup.
    own_stock: dict[tuple[int, int | None, date], int] = field(default_factory=dict)
    own_dispatch: dict[tuple[int | None, date], int] = field(default_factory=dict)
    own_lane: dict[tuple[int, date], int] = field(default_factory=dict)
    ndr_threshold: Fraction = Fraction(28, 100)
    return_rate_threshold: Fraction = Fraction(20, 100)
    # Customer support (a sign-off dimension only when `support_on`): the active teams,
    # tickets per order by default (learned from imported tickets when known), the
    # follow-up tickets a return or a failed delivery brings, and what campaigns hold per day.
    support_on: bool = False
    support_teams: list[SupportTeamInfo] = field(default_factory=list)
    contact_rate: Fraction = Fraction(8, 100)
    return_contact_factor: Fraction = Fraction(1, 2)
    ndr_contact_factor: Fraction = Fraction(1, 2)
    reserved_support: dict[date, int] = field(default_factory=dict)
    own_support: dict[date, int] = field(default_factory=dict)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The sign-off dimensions checked by default: the support one only when on."""
        return ALL_DIMENSIONS if self.support_on else SIGN_OFF_DIMENSIONS

    def stock_held(self, sku_id: int, pool: int | None, day: date) -> int:
        key = (sku_id, pool, day)
        return self.reserved_stock.get(key, 0) - self.own_stock.get(key, 0)

    def dispatch_held(self, pool: int | None, day: date) -> int:
        return self.reserved_dispatch.get((pool, day), 0) - self.own_dispatch.get((pool, day), 0)

    def lane_held(self, lane_id: int, day: date) -> int:
        return self.reserved_lane.get((lane_id, day), 0) - self.own_lane.get((lane_id, day), 0)

    def support_held(self, day: date) -> int:
        return self.reserved_support.get(day, 0) - self.own_support.get(day, 0)


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Finding:
    dimension: str
    severity: str
    code: str
    subject: str
    message: str
    day: date | None = None
    needed: int | None = None
    available: int | None = None

    def as_dict(self) -> dict:
        return {
            "dimension": self.dimension,
            "severity": self.severity,
            "code": self.code,
            "day": self.day.isoformat() if self.day else None,
            "subject": self.subject,
            "message": self.message,
            "needed": self.needed,
            "available": self.available,
        }


@dataclass(frozen=True)
class Limit:
    """What sets the largest volume that fits a sign-off dimension: the one resource (a
    SKU's stock at a warehouse or network-wide, a warehouse's dispatch, a region's courier
    lanes) and the day that bind, in plain words ("Cotton tee stock at Bhiwandi")."""

    dimension: str  # a finding dimension: inventory, dispatch or courier
    subject: str  # the SKU, warehouse or region code, or "network"
    what: str
    day: date | None = None
    why: str = ""  # the constraint in force that day, if one is

    def as_dict(self) -> dict:
        return {
            "dimension": self.dimension,
            "subject": self.subject,
            "what": self.what,
            "day": self.day.isoformat() if self.day else None,
            "why": self.why,
        }


@dataclass(frozen=True)
class CheckResult:
    verdict: str
    orders_per_day: int
    max_orders_per_day: int
    max_by_dimension: dict[str, int]
    findings: tuple[Finding, ...]
    gross_roas: float | None
    net_roas: float | None
    # Per sign-off dimension, what binds it (none: nothing limits it). Not in `as_dict`,
    # which is the check's numbers and findings; `capacity.verdicts` puts it in words.
    limits: dict[str, Limit] = field(default_factory=dict)

    def binding(self) -> tuple[str, Limit] | None:
        """The sign-off dimension whose limit sets `max_orders_per_day`, and that limit."""
        found = [(self.max_by_dimension[d], d) for d in self.limits if d in self.max_by_dimension]
        if not found:
            return None
        _, dimension = min(found)
        return dimension, self.limits[dimension]

    def errors(self, dimension: str | None = None) -> list[Finding]:
        wanted = FINDING_DIMENSIONS[dimension] if dimension else (INVENTORY, DISPATCH, COURIER, SUPPORT)
        return [f for f in self.findings if f.severity == ERROR and f.dimension in wanted]

    def as_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "orders_per_day": self.orders_per_day,
            "max_orders_per_day": self.max_orders_per_day,
            "max_by_dimension": dict(self.max_by_dimension),
            "gross_roas": self.gross_roas,
            "net_roas": self.net_roas,
            "findings": [f.as_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class ReservationLine:
    """One row of capacity an approval would hold (see capacity.models.Reservation)."""

    kind: str  # stock | lane | dispatch | support
    day: date
    quantity: int
    sku_id: int | None = None
    warehouse_id: int | None = None
    lane_id: int | None = None
