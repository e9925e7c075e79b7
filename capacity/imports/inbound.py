"""The `inbound_shipments` import: one shipment per SKU × warehouse × expected day; a
row sets its quantity through `services.inbound_create` / `inbound_update`."""

from __future__ import annotations

from capacity import services
from capacity.imports.base import ImportKind, Tally, check_rows, codes, count, ref
from capacity.models import ImportJob, InboundShipment, Sku, Warehouse
from mopsync import versions
from mopsync.errors import InvalidInput
from mopsync.validation import clean_date


def check(job, rows, report):
    raws = [raw for _, raw in rows]
    skus, warehouses = codes(Sku, raws, "sku"), codes(Warehouse, raws, "warehouse")

    def clean(raw, errors):
        return {
            "sku": ref(raw["sku"], skus, column="sku", what="SKU", errors=errors),
            "warehouse": ref(raw["warehouse"], warehouses, column="warehouse", what="warehouse", errors=errors),
            "quantity": count(raw["quantity"], "quantity", errors, minimum=1),
            "expected_on": clean_date(raw["expected_on"], field="expected_on", errors=errors),
        }

    return check_rows(
        job, rows, report, clean, lambda v: (v["sku"].pk, v["warehouse"].pk, v["expected_on"]), "expected_on"
    )


def apply(job, rows, report):
    """One shipment per SKU × warehouse × expected day: a row sets its quantity."""
    tally = Tally()
    existing: dict[tuple, InboundShipment] = {}
    found = InboundShipment.objects.filter(sku__in={v["sku"] for _, v in rows}).order_by("pk").select_for_update()
    for shipment in found:
        existing.setdefault((shipment.sku_id, shipment.warehouse_id, shipment.expected_on), shipment)
    for number, v in rows:
        shipment = existing.get((v["sku"].pk, v["warehouse"].pk, v["expected_on"]))
        try:
            if shipment is None:
                services.inbound_create(actor=job.created_by, reference=f"import #{job.pk}", **v)
                tally("created")
            elif shipment.quantity == v["quantity"]:
                tally("unchanged")
            else:
                services.inbound_update(actor=job.created_by, shipment=shipment, reference=shipment.reference, **v)
                tally("updated")
        except InvalidInput as exc:
            report.add_fields(number, exc.errors)
    return tally.counts


KIND = ImportKind(
    kind=ImportJob.Kind.INBOUND_SHIPMENTS,
    header=("sku", "warehouse", "quantity", "expected_on"),
    importers=services.INVENTORY_KEEPERS,
    changes=(versions.DATA,),
    check=check,
    apply=apply,
)
