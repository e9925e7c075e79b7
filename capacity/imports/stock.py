"""The `stock_levels` import: on hand per SKU × warehouse, as of a moment. A row sets
its key's count through `services.stock_level_set`."""

from __future__ import annotations

from capacity import services
from capacity.imports.base import ImportKind, Tally, check_rows, codes, count, moment, ref
from capacity.models import ImportJob, Sku, StockLevel, Warehouse
from mopsync import versions
from mopsync.errors import InvalidInput


def check(job, rows, report):
    raws = [raw for _, raw in rows]
    skus, warehouses = codes(Sku, raws, "sku"), codes(Warehouse, raws, "warehouse")

    def clean(raw, errors):
        return {
            "sku": ref(raw["sku"], skus, column="sku", what="SKU", errors=errors),
            "warehouse": ref(raw["warehouse"], warehouses, column="warehouse", what="warehouse", errors=errors),
            "on_hand": count(raw["on_hand"], "on_hand", errors),
            "as_of": moment(raw["as_of"], "as_of", errors),
        }

    return check_rows(job, rows, report, clean, lambda v: (v["sku"].pk, v["warehouse"].pk), "sku")


def apply(job, rows, report):
    tally = Tally()
    existing = {
        (s.sku_id, s.warehouse_id): s
        for s in StockLevel.objects.filter(sku__in={v["sku"] for _, v in rows}).select_for_update()
    }
    for number, v in rows:
        row = existing.get((v["sku"].pk, v["warehouse"].pk))
        if row is not None and row.on_hand == v["on_hand"] and row.as_of == v["as_of"]:
            tally("unchanged")
            continue
        try:
            services.stock_level_set(
                actor=job.created_by, sku=v["sku"], warehouse=v["warehouse"], on_hand=v["on_hand"], as_of=v["as_of"]
            )
        except InvalidInput as exc:
            report.add_fields(number, exc.errors)
            continue
        tally("updated" if row is not None else "created")
    return tally.counts


KIND = ImportKind(
    kind=ImportJob.Kind.STOCK_LEVELS,
    header=("sku", "warehouse", "on_hand", "as_of"),
    importers=services.INVENTORY_KEEPERS,
    changes=(versions.DATA,),
    check=check,
    apply=apply,
)
