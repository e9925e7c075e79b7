"""The `lane_performance` import (courier performance): shipments, deliveries, NDRs and
average delivery days per lane × period. Each lane's NDR rate and average delivery days
follow its latest period (`refresh_lanes`), which the capacity check's risk findings
read: the import writes reference rows (lanes)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from capacity import services
from capacity.imports.base import ImportKind, Tally, check_rows, codes, count, ref, upsert
from capacity.models import Courier, CourierLane, ImportJob, LanePerformance, Region
from mopsync import versions
from mopsync.validation import clean_date, clean_decimal

HEADER = ("courier", "region", "period_start", "period_end", "shipments", "delivered", "ndr_count", "avg_delivery_days")
MAX_DAYS = Decimal("999.99")


def check(job, rows, report):
    raws = [raw for _, raw in rows]
    couriers, regions = codes(Courier, raws, "courier"), codes(Region, raws, "region")
    lanes = {
        (lane.courier_id, lane.region_id): lane
        for lane in CourierLane.objects.filter(courier__in=couriers.values(), region__in=regions.values())
    }

    def clean(raw, errors):
        courier = ref(raw["courier"], couriers, column="courier", what="courier", errors=errors)
        region = ref(raw["region"], regions, column="region", what="region", errors=errors)
        values = {
            "period_start": clean_date(raw["period_start"], field="period_start", errors=errors),
            "period_end": clean_date(raw["period_end"], field="period_end", errors=errors),
            "shipments": count(raw["shipments"], "shipments", errors),
            "delivered": count(raw["delivered"], "delivered", errors),
            "ndr_count": count(raw["ndr_count"], "ndr_count", errors),
            "avg_delivery_days": clean_decimal(
                raw["avg_delivery_days"],
                field="avg_delivery_days",
                errors=errors,
                minimum=Decimal("0"),
                maximum=MAX_DAYS,
                places=2,
            ),  # fmt: skip
        }
        if courier and region:
            values["lane"] = lanes.get((courier.pk, region.pk))
            if values["lane"] is None:
                errors.add("region", f"{courier.code} has no lane to {region.code}; add the lane first.")
        if values["period_start"] and values["period_end"] and values["period_end"] < values["period_start"]:
            errors.add("period_end", "Must be on or after period_start.")
        shipments = values["shipments"]
        if shipments is not None:
            for column in ("delivered", "ndr_count"):
                if values[column] is not None and values[column] > shipments:
                    errors.add(column, "Cannot be more than shipments.")
        return values

    return check_rows(
        job, rows, report, clean, lambda v: (v["lane"].pk, v["period_start"], v["period_end"]), "period_start"
    )


def apply(job, rows, report):
    tally = Tally()
    lane_ids = {v["lane"].pk for _, v in rows}
    existing = {
        (p.lane_id, p.period_start, p.period_end): p
        for p in LanePerformance.objects.filter(lane_id__in=lane_ids).select_for_update()
    }
    for _, v in rows:
        lookup = {"lane": v["lane"], "period_start": v["period_start"], "period_end": v["period_end"]}
        values = {k: v[k] for k in ("shipments", "delivered", "ndr_count", "avg_delivery_days")}
        upsert(LanePerformance, existing, (v["lane"].pk, v["period_start"], v["period_end"]), lookup, values, tally)
    counts = tally.counts
    counts["lanes_updated"] = refresh_lanes(lane_ids)
    return counts


def refresh_lanes(lane_ids: Iterable[int]) -> int:
    """Each lane's NDR rate and average delivery days from its latest performance period
    (the check's risk findings read them). Returns how many lanes changed."""
    latest: dict[int, LanePerformance] = {}
    for period in LanePerformance.objects.filter(lane_id__in=set(lane_ids)).order_by(
        "lane_id", "-period_end", "-period_start"
    ):
        latest.setdefault(period.lane_id, period)
    changed = 0
    for lane in CourierLane.objects.filter(pk__in=latest).order_by("pk").select_for_update():
        period = latest[lane.pk]
        ndr = Decimal(period.ndr_count) / Decimal(period.shipments) if period.shipments else Decimal("0")
        ndr = ndr.quantize(Decimal("0.0001"))
        if (lane.ndr_rate, lane.avg_delivery_days) != (ndr, period.avg_delivery_days):
            lane.ndr_rate, lane.avg_delivery_days = ndr, period.avg_delivery_days
            lane.save(update_fields=["ndr_rate", "avg_delivery_days"])
            changed += 1
    return changed


KIND = ImportKind(
    kind=ImportJob.Kind.LANE_PERFORMANCE,
    header=HEADER,
    importers=services.LOGISTICS_KEEPERS,
    changes=(versions.REF, versions.DATA),  # lanes' NDR rate and delivery days
    check=check,
    apply=apply,
)
