"""Reads of capacity data shared by the check, the views, the API and the tasks."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from django.conf import settings
from django.db.models import Q, Sum

from capacity import checks
from capacity.models import (
    CapacityConstraint,
    CourierLane,
    InboundShipment,
    Region,
    Reservation,
    Sku,
    StockLevel,
    Warehouse,
)


def frac(value) -> Fraction:
    """Exact fraction of a Decimal/int model value (None → 0)."""
    return Fraction(0) if value is None else Fraction(value)


def load_snapshot(plan: checks.Plan, *, today: date, exclude_campaign_id: int | None = None) -> checks.Snapshot:
    """Everything the check needs for `plan`, in eight queries whatever its size.

    Reservations of `exclude_campaign_id` are left out, so a campaign is checked
    against what other campaigns hold (its own holds are what it would replace).
    """
    sku_ids = [line.sku_id for line in plan.skus]
    region_ids = [line.region_id for line in plan.regions]
    window_start = min(today, plan.starts_on)

    skus = {
        s.id: checks.SkuInfo(s.id, s.code, s.name, s.safety_stock, s.baseline_units_per_day, frac(s.return_rate))
        for s in Sku.objects.filter(id__in=sku_ids)
    }
    warehouses = {
        w.id: checks.WarehouseInfo(w.id, w.code, w.name, w.daily_dispatch_capacity, w.baseline_orders_per_day)
        for w in Warehouse.objects.order_by("id")
    }
    regions = {
        r.id: checks.RegionInfo(r.id, r.code, r.name, r.warehouse_id) for r in Region.objects.filter(id__in=region_ids)
    }
    lanes = [
        checks.LaneInfo(
            lane.id,
            lane.courier_id,
            lane.courier.code,
            lane.region_id,
            lane.daily_capacity,
            lane.baseline_orders_per_day,
            frac(lane.avg_delivery_days),
            frac(lane.ndr_rate),
            lane.cod_supported,
        )
        for lane in CourierLane.objects.filter(region_id__in=region_ids, courier__is_active=True).select_related(
            "courier"
        )
    ]
    on_hand = {
        (row["sku_id"], row["warehouse_id"]): row["on_hand"]
        for row in StockLevel.objects.filter(sku_id__in=sku_ids).values("sku_id", "warehouse_id", "on_hand")
    }
    inbound = list(
        InboundShipment.objects.filter(sku_id__in=sku_ids, expected_on__lte=plan.ends_on).values_list(
            "sku_id", "warehouse_id", "expected_on", "quantity"
        )
    )
    constraints = [
        checks.ConstraintInfo(
            c.kind, c.starts_on, c.ends_on, frac(c.capacity_factor), c.warehouse_id, c.courier_id, c.region_id, c.note
        )
        for c in CapacityConstraint.objects.filter(starts_on__lte=plan.ends_on, ends_on__gte=window_start)
    ]

    held = (
        Reservation.objects.filter(
            Q(kind=Reservation.Kind.STOCK, sku_id__in=sku_ids, day__gte=today, day__lte=plan.ends_on)
            | Q(kind=Reservation.Kind.DISPATCH, day__gte=window_start, day__lte=plan.ends_on)
            | Q(
                kind=Reservation.Kind.LANE, lane__region_id__in=region_ids, day__gte=window_start, day__lte=plan.ends_on
            )
        )
        .exclude(campaign_id=exclude_campaign_id)
        .values("kind", "sku_id", "warehouse_id", "lane_id", "day")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    reserved_stock, reserved_dispatch, reserved_lane = {}, {}, {}
    for row in held:
        if row["kind"] == Reservation.Kind.STOCK:
            reserved_stock[(row["sku_id"], row["warehouse_id"], row["day"])] = row["total"]
        elif row["kind"] == Reservation.Kind.DISPATCH:
            reserved_dispatch[(row["warehouse_id"], row["day"])] = row["total"]
        else:
            reserved_lane[(row["lane_id"], row["day"])] = row["total"]

    return checks.Snapshot(
        today=today,
        skus=skus,
        warehouses=warehouses,
        regions=regions,
        lanes=lanes,
        on_hand=on_hand,
        inbound=inbound,
        constraints=constraints,
        reserved_stock=reserved_stock,
        reserved_dispatch=reserved_dispatch,
        reserved_lane=reserved_lane,
        ndr_threshold=Fraction(str(settings.MOPSYNC_NDR_THRESHOLD)),
        return_rate_threshold=Fraction(str(settings.MOPSYNC_RETURN_RATE_THRESHOLD)),
    )
