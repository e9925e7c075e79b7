"""The capacity pages (/capacity/): who reads, who keeps what, what bad input does,
and that every list costs the same number of queries however many rows it shows.

maya is marketing (reads only), ishaan keeps stock and inbound, lata keeps
warehouses and lanes, omar (ops lead) keeps everything, the outsider has no role.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capacity import services
from capacity.models import CapacityConstraint, CourierLane, InboundShipment, Reservation, StockLevel, Warehouse
from mopsync.errors import InvalidInput, NotPermitted
from tests.factories import (
    CourierFactory,
    InboundFactory,
    LaneFactory,
    RegionFactory,
    SkuFactory,
    StockFactory,
    WarehouseFactory,
)
from tests.helpers import approved, make_world

pytestmark = pytest.mark.django_db

READERS = ["maya", "ishaan", "lata", "omar"]
ROLES = [*READERS, "outsider"]
LISTS = ["capacity:home", "capacity:stock", "capacity:inbound", "capacity:lanes", "capacity:warehouses",
         "capacity:constraints"]  # fmt: skip
INVENTORY = {"ishaan", "omar"}
LOGISTICS = {"lata", "omar"}
OPS = {"ishaan", "lata", "omar"}


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def constraint(world):
    today = timezone.localdate()
    return CapacityConstraint.objects.create(
        kind="warehouse_blackout", starts_on=today + dt.timedelta(days=5), ends_on=today + dt.timedelta(days=6),
        warehouse=world.warehouse, note="Stock take",
    )  # fmt: skip


def as_user(request, name: str) -> tuple[Client, object]:
    user = request.getfixturevalue(name)
    client = Client()
    client.force_login(user)
    return client, user


def field_chunk(html: str, name: str) -> str:
    """The rendered `_field.html` block of the form field `name` (its input, label and errors)."""
    for chunk in html.split('<div class="field')[1:]:
        if f'name="{name}"' in chunk:
            return chunk
    raise AssertionError(f"no field {name!r} in the page")


def form_urls(world, constraint) -> dict[str, tuple[str, set[str]]]:
    """Each form page and the roles that may use it."""
    stock = StockLevel.objects.get(sku=world.sku, warehouse=world.warehouse)
    shipment = InboundFactory(sku=world.sku, warehouse=world.warehouse)
    return {
        "stock_new": (reverse("capacity:stock_new"), INVENTORY),
        "stock_edit": (reverse("capacity:stock_edit", args=[stock.pk]), INVENTORY),
        "inbound_new": (reverse("capacity:inbound_new"), INVENTORY),
        "inbound_edit": (reverse("capacity:inbound_edit", args=[shipment.pk]), INVENTORY),
        "warehouse_new": (reverse("capacity:warehouse_new"), LOGISTICS),
        "warehouse_edit": (reverse("capacity:warehouse_edit", args=[world.warehouse.pk]), LOGISTICS),
        "lane_new": (reverse("capacity:lane_new"), LOGISTICS),
        "lane_edit": (reverse("capacity:lane_edit", args=[world.lane_mumbai.pk]), LOGISTICS),
        "constraint_new": (reverse("capacity:constraint_new"), OPS),
        "constraint_edit": (reverse("capacity:constraint_edit", args=[constraint.pk]), OPS),
        "constraint_delete": (reverse("capacity:constraint_delete", args=[constraint.pk]), OPS),
    }


# --------------------------------------------------------------------------- who reads


@pytest.mark.parametrize("name", ROLES)
@pytest.mark.parametrize("url_name", LISTS)
def test_every_list_renders_for_every_role_and_refuses_an_outsider(request, world, constraint, name, url_name):
    client, _ = as_user(request, name)
    response = client.get(reverse(url_name))
    assert response.status_code == (403 if name == "outsider" else 200)


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    for url_name in LISTS:
        response = client.get(reverse(url_name))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", ROLES)
def test_form_pages_open_only_for_the_roles_that_keep_the_data(request, world, constraint, name):
    client, _ = as_user(request, name)
    for page, (url, roles) in form_urls(world, constraint).items():
        response = client.get(url)
        assert response.status_code == (200 if name in roles else 403), page


def test_marketing_sees_read_only_pages_without_edit_buttons(request, world, constraint):
    client, _ = as_user(request, "maya")
    for url_name in LISTS:
        html = client.get(reverse(url_name)).content.decode()
        assert "/edit/" not in html and "/new/" not in html and "/delete/" not in html, url_name
        assert "Set stock" not in html


def test_ops_see_only_the_buttons_of_what_they_keep(request, world, constraint):
    ishaan, _ = as_user(request, "ishaan")
    html = ishaan.get(reverse("capacity:home")).content.decode()
    assert reverse("capacity:stock_new") in html and reverse("capacity:constraint_new") in html
    assert reverse("capacity:lane_new") not in html and reverse("capacity:warehouse_new") not in html
    omar, _ = as_user(request, "omar")
    html = omar.get(reverse("capacity:home")).content.decode()
    for url_name in ("stock_new", "inbound_new", "lane_new", "warehouse_new", "constraint_new"):
        assert reverse(f"capacity:{url_name}") in html


# --------------------------------------------------------------------------- what the overview shows


def test_overview_shows_inbound_reserved_units_and_lane_flags(request, world, maya, ishaan, lata):
    today = timezone.localdate()
    campaign = approved(world, maya, ishaan, lata)
    InboundFactory(sku=world.sku, warehouse=world.warehouse, quantity=500, expected_on=today + dt.timedelta(days=2))
    InboundFactory(sku=world.sku, warehouse=world.warehouse, quantity=70, expected_on=today + dt.timedelta(days=30))
    InboundFactory(sku=world.sku, warehouse=world.warehouse, quantity=9000, expected_on=today + dt.timedelta(days=45))
    risky = LaneFactory(region=world.pune, ndr_rate=Decimal("0.31"), avg_delivery_days=Decimal("6.5"))
    reserved = Reservation.objects.filter(
        campaign=campaign, kind="stock", sku=world.sku, warehouse=world.warehouse
    ).aggregate(total=Sum("quantity"))["total"]
    assert reserved > 0

    client, _ = as_user(request, "lata")
    response = client.get(reverse("capacity:home"))

    [row] = [r for r in response.context["stock"].object_list if r.sku_id == world.sku.pk]
    assert (row.inbound_soon, row.reserved) == (570, reserved)
    [lane] = [lane for lane in response.context["lanes"].object_list if lane.pk == risky.pk]
    assert lane.high_ndr and lane.slow
    assert response.context["lane_counts"] == {"total": 3, "flagged": 1}
    html = response.content.decode()
    assert "High NDR" in html and "Slow" in html


def test_reservations_in_the_past_are_not_counted(request, world, maya, ishaan, lata, time_machine):
    approved(world, maya, ishaan, lata)
    time_machine.move_to(timezone.now() + dt.timedelta(days=60))
    client, _ = as_user(request, "maya")
    response = client.get(reverse("capacity:stock"))
    assert {row.reserved for row in response.context["page"].object_list} == {0}


def test_lists_filter_by_sku_warehouse_courier_and_region(request, world):
    other = WarehouseFactory(code="DEL-WH")
    StockFactory(sku=world.sku, warehouse=other)
    client, _ = as_user(request, "maya")
    rows = client.get(reverse("capacity:stock"), {"sku": "tee"}).context["page"].object_list
    assert {(r.sku.code, r.warehouse.code) for r in rows} == {("TEE-01", "BOM-WH"), ("TEE-01", "DEL-WH")}
    rows = client.get(reverse("capacity:stock"), {"warehouse": "DEL-WH"}).context["page"].object_list
    assert [(r.sku.code, r.warehouse.code) for r in rows] == [("TEE-01", "DEL-WH")]

    LaneFactory(region=world.mumbai, ndr_rate=Decimal("0.4"))
    rows = client.get(reverse("capacity:lanes"), {"region": "mumbai"}).context["page"].object_list
    assert {lane.region.code for lane in rows} == {"MUM"} and len(rows) == 2
    rows = client.get(reverse("capacity:lanes"), {"courier": world.lane_pune.courier.code}).context["page"]
    assert {lane.pk for lane in rows} == {world.lane_mumbai.pk, world.lane_pune.pk}
    rows = client.get(reverse("capacity:lanes"), {"flagged": "on"}).context["page"].object_list
    assert [lane.ndr_rate for lane in rows] == [Decimal("0.4")]

    today = timezone.localdate()
    arrived = InboundFactory(expected_on=today - dt.timedelta(days=1))
    coming = InboundFactory(expected_on=today)
    for when, expected in (("", [coming]), ("past", [arrived]), ("all", [arrived, coming])):
        rows = client.get(reverse("capacity:inbound"), {"when": when}).context["page"].object_list
        assert rows == expected, when


@pytest.mark.parametrize(
    "query",
    [{"warehouse": "NOPE"}, {"sku": "a\x00b"}, {"warehouse": "\x00"}, {"page": "abc"}, {"page": "99999999999999999999"},
     {"when": "someday"}, {"courier": "x" * 5000}, {"flagged": "maybe"}],
)  # fmt: skip
def test_unreadable_filters_are_ignored_not_a_500(request, world, query):
    client, _ = as_user(request, "maya")
    for url_name in LISTS[1:]:
        assert client.get(reverse(url_name), query).status_code == 200


# --------------------------------------------------------------------------- writes that work


def test_inventory_sets_stock_and_a_second_count_replaces_the_first(request, world):
    client, _ = as_user(request, "ishaan")
    warehouse = WarehouseFactory(code="DEL-WH")
    url = reverse("capacity:stock_new")
    response = client.post(url, {"sku": "TEE-01", "warehouse": "DEL-WH", "on_hand": "250"}, follow=True)
    assert response.redirect_chain == [(reverse("capacity:stock"), 302)]
    assert "TEE-01 at DEL-WH: 250 units on hand." in response.content.decode()
    client.post(url, {"sku": "TEE-01", "warehouse": "DEL-WH", "on_hand": "40"})
    assert list(StockLevel.objects.filter(sku=world.sku, warehouse=warehouse).values_list("on_hand", flat=True)) == [40]


def test_editing_a_stock_row_changes_only_its_count(request, world):
    row = StockLevel.objects.get(sku=world.sku, warehouse=world.warehouse)
    client, _ = as_user(request, "omar")
    # The SKU and warehouse of the row are fixed: a posted other pair is ignored.
    response = client.post(reverse("capacity:stock_edit", args=[row.pk]), {"sku": "CAP-01", "on_hand": "7"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.sku_id, row.on_hand) == (world.sku.pk, 7)
    assert StockLevel.objects.get(sku=world.sku2).on_hand == 100_000


def test_inventory_adds_and_edits_an_inbound_shipment(request, world):
    client, _ = as_user(request, "ishaan")
    day = timezone.localdate() + dt.timedelta(days=9)
    data = {
        "sku": "CAP-01",
        "warehouse": "BOM-WH",
        "quantity": "300",
        "expected_on": day.isoformat(),
        "reference": "PO-1",
    }
    assert client.post(reverse("capacity:inbound_new"), data).status_code == 302
    shipment = InboundShipment.objects.get()
    assert (shipment.sku, shipment.quantity, shipment.expected_on) == (world.sku2, 300, day)

    data.update(quantity="350", expected_on=(day + dt.timedelta(days=2)).isoformat())
    assert client.post(reverse("capacity:inbound_edit", args=[shipment.pk]), data).status_code == 302
    shipment.refresh_from_db()
    assert (shipment.quantity, shipment.expected_on) == (350, day + dt.timedelta(days=2))


def test_logistics_adds_and_edits_a_warehouse(request, world):
    client, _ = as_user(request, "lata")
    data = {"code": "BLR-WH", "name": "Hoskote", "daily_dispatch_capacity": "800", "baseline_orders_per_day": "300"}
    assert client.post(reverse("capacity:warehouse_new"), data).status_code == 302
    warehouse = Warehouse.objects.get(code="BLR-WH")
    data.update(daily_dispatch_capacity="900")
    assert client.post(reverse("capacity:warehouse_edit", args=[warehouse.pk]), data).status_code == 302
    warehouse.refresh_from_db()
    assert (warehouse.name, warehouse.daily_dispatch_capacity, warehouse.baseline_orders_per_day) == (
        "Hoskote",
        900,
        300,
    )


def test_logistics_adds_and_edits_a_courier_lane_in_percent(request, world):
    courier = CourierFactory(code="ECX")
    client, _ = as_user(request, "lata")
    data = {"courier": "ECX", "region": "PUN", "daily_capacity": "300", "baseline_orders_per_day": "120",
            "avg_delivery_days": "3.5", "ndr_percent": "16", "cod_supported": "on"}  # fmt: skip
    assert client.post(reverse("capacity:lane_new"), data).status_code == 302
    lane = CourierLane.objects.get(courier=courier)
    assert (lane.region, lane.ndr_rate, lane.avg_delivery_days, lane.cod_supported) == (
        world.pune, Decimal("0.16"), Decimal("3.5"), True
    )  # fmt: skip

    edit = reverse("capacity:lane_edit", args=[lane.pk])
    assert 'value="16"' in field_chunk(client.get(edit).content.decode(), "ndr_percent")
    data.update(ndr_percent="30.5")
    del data["cod_supported"]
    assert client.post(edit, data).status_code == 302
    lane.refresh_from_db()
    assert (lane.ndr_rate, lane.cod_supported) == (Decimal("0.305"), False)


def test_any_ops_role_adds_edits_and_deletes_a_constraint_after_confirming(request, world):
    today = timezone.localdate()
    ishaan, _ = as_user(request, "ishaan")
    data = {"kind": "reduced_capacity", "starts_on": (today + dt.timedelta(days=3)).isoformat(),
            "ends_on": (today + dt.timedelta(days=4)).isoformat(), "courier": world.lane_mumbai.courier.code,
            "region": "MUM", "capacity_percent": "50", "note": "Monsoon"}  # fmt: skip
    assert ishaan.post(reverse("capacity:constraint_new"), data).status_code == 302
    constraint = CapacityConstraint.objects.get()
    assert (constraint.region, constraint.capacity_factor) == (world.mumbai, Decimal("0.5"))

    lata, _ = as_user(request, "lata")
    data.update(capacity_percent="25")
    assert lata.post(reverse("capacity:constraint_edit", args=[constraint.pk]), data).status_code == 302
    constraint.refresh_from_db()
    assert constraint.capacity_factor == Decimal("0.25")

    omar, _ = as_user(request, "omar")
    url = reverse("capacity:constraint_delete", args=[constraint.pk])
    confirm = omar.get(url)
    assert confirm.status_code == 200 and "Delete this constraint?" in confirm.content.decode()
    assert CapacityConstraint.objects.exists()
    response = omar.post(url, follow=True)
    assert response.redirect_chain == [(reverse("capacity:constraints"), 302)]
    assert not CapacityConstraint.objects.exists()


def test_a_blackout_or_holiday_without_a_factor_closes_capacity(world, lata):
    today = timezone.localdate()
    made = services.constraint_save(actor=lata, kind="courier_holiday", starts_on=today, ends_on=today,
                                    courier=world.lane_mumbai.courier)  # fmt: skip
    assert made.capacity_factor == 0


# --------------------------------------------------------------------------- writes that are refused


def wrong_role_posts(world, constraint):
    day = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    shipment = InboundFactory(sku=world.sku, warehouse=world.warehouse)
    stock = StockLevel.objects.get(sku=world.sku, warehouse=world.warehouse)
    return [
        ("lata", reverse("capacity:stock_new"), {"sku": "TEE-01", "warehouse": "BOM-WH", "on_hand": "1"}),
        ("maya", reverse("capacity:stock_edit", args=[stock.pk]), {"on_hand": "1"}),
        ("lata", reverse("capacity:inbound_new"),
         {"sku": "TEE-01", "warehouse": "BOM-WH", "quantity": "5", "expected_on": day}),
        ("maya", reverse("capacity:inbound_edit", args=[shipment.pk]),
         {"sku": "TEE-01", "warehouse": "BOM-WH", "quantity": "5", "expected_on": day}),
        ("ishaan", reverse("capacity:warehouse_new"), {"code": "X", "name": "X", "daily_dispatch_capacity": "1"}),
        ("maya", reverse("capacity:warehouse_edit", args=[world.warehouse.pk]),
         {"code": "BOM-WH", "name": "X", "daily_dispatch_capacity": "1"}),
        ("ishaan", reverse("capacity:lane_edit", args=[world.lane_mumbai.pk]),
         {"courier": world.lane_mumbai.courier.code, "region": "MUM", "daily_capacity": "1", "avg_delivery_days": "1",
          "ndr_percent": "1"}),
        ("maya", reverse("capacity:constraint_new"),
         {"kind": "warehouse_blackout", "starts_on": day, "ends_on": day, "warehouse": "BOM-WH"}),
        ("maya", reverse("capacity:constraint_edit", args=[constraint.pk]),
         {"kind": "warehouse_blackout", "starts_on": day, "ends_on": day, "warehouse": "BOM-WH"}),
        ("maya", reverse("capacity:constraint_delete", args=[constraint.pk]), {}),
        ("outsider", reverse("capacity:constraint_delete", args=[constraint.pk]), {}),
    ]  # fmt: skip


def snapshot():
    return [
        list(model.objects.order_by("pk").values())
        for model in (StockLevel, InboundShipment, Warehouse, CourierLane, CapacityConstraint)
    ]


def test_the_wrong_role_is_refused_and_nothing_changes(request, world, constraint):
    posts = wrong_role_posts(world, constraint)
    before = snapshot()
    for name, url, data in posts:
        client, _ = as_user(request, name)
        assert client.post(url, data).status_code == 403, (name, url)
    assert snapshot() == before


def test_services_refuse_the_wrong_role_whatever_the_door(world, constraint, maya, ishaan, lata, outsider):
    day = timezone.localdate()
    calls = [
        (lata, lambda u: services.stock_level_set(actor=u, sku=world.sku, warehouse=world.warehouse, on_hand=1)),
        (maya, lambda u: services.inbound_create(actor=u, sku=world.sku, warehouse=world.warehouse, quantity=1,
                                                 expected_on=day)),
        (ishaan, lambda u: services.warehouse_save(actor=u, code="X", name="X", daily_dispatch_capacity=1)),
        (ishaan, lambda u: services.lane_save(actor=u, lane=world.lane_mumbai, courier=world.lane_mumbai.courier,
                                              region=world.mumbai, daily_capacity=1, avg_delivery_days=1, ndr_rate=0)),
        (maya, lambda u: services.constraint_save(actor=u, kind="warehouse_blackout", starts_on=day, ends_on=day,
                                                  warehouse=world.warehouse)),
        (outsider, lambda u: services.constraint_delete(actor=u, constraint=constraint)),
        (None, lambda u: services.constraint_delete(actor=u, constraint=constraint)),
    ]  # fmt: skip
    before = snapshot()
    for actor, call in calls:
        with pytest.raises(NotPermitted):
            call(actor)
    assert snapshot() == before


def test_a_refusal_by_the_service_shows_as_a_message(request, world, monkeypatch):
    """Should the roles of a form page and its service ever disagree, the service wins
    and the refusal is a message, not an error page."""
    client, _ = as_user(request, "ishaan")

    def refuse(**kwargs):
        raise NotPermitted("Stock is frozen for the audit.")

    monkeypatch.setattr(services, "stock_level_set", refuse)
    response = client.post(
        reverse("capacity:stock_new"), {"sku": "TEE-01", "warehouse": "BOM-WH", "on_hand": "1"}, follow=True
    )
    assert response.status_code == 200
    assert "Stock is frozen for the audit." in response.content.decode()


def test_posts_need_the_csrf_token(world, ishaan):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ishaan)
    response = client.post(reverse("capacity:stock_new"), {"sku": "TEE-01", "warehouse": "BOM-WH", "on_hand": "1"})
    assert response.status_code == 403
    assert StockLevel.objects.get(sku=world.sku, warehouse=world.warehouse).on_hand == 100_000


@pytest.mark.parametrize("name", ["capacity:stock_edit", "capacity:inbound_edit", "capacity:lane_edit",
                                  "capacity:warehouse_edit", "capacity:constraint_edit",
                                  "capacity:constraint_delete"])  # fmt: skip
@pytest.mark.parametrize("pk", [999_999, 10**30])
def test_unknown_ids_are_404(request, world, name, pk):
    client, _ = as_user(request, "omar")
    assert client.get(reverse(name, args=[pk])).status_code == 404
    assert client.post(reverse(name, args=[pk]), {}).status_code == 404


# --------------------------------------------------------------------------- bad input


BAD_FORMS = [
    ("capacity:stock_new", {"sku": "TEE-01", "warehouse": "BOM-WH", "on_hand": "-5"}, "on_hand", "-5"),
    ("capacity:stock_new", {"sku": "TEE-01", "warehouse": "BOM-WH", "on_hand": "3000000000"}, "on_hand", "3000000000"),
    ("capacity:stock_new", {"sku": "TEE\x0001", "warehouse": "BOM-WH", "on_hand": "5"}, "sku", None),
    ("capacity:stock_new", {"sku": "NOPE", "warehouse": "BOM-WH", "on_hand": "5"}, "sku", None),
    ("capacity:inbound_new", {"sku": "TEE-01", "warehouse": "BOM-WH", "quantity": "0", "expected_on": "2030-01-01"},
     "quantity", "0"),
    ("capacity:inbound_new", {"sku": "TEE-01", "warehouse": "BOM-WH", "quantity": "5", "expected_on": "2030-01-01",
                              "reference": "PO\x00-1"}, "reference", None),
    ("capacity:inbound_new", {"sku": "TEE-01", "warehouse": "BOM-WH", "quantity": "5", "expected_on": "1999-12-31"},
     "expected_on", "1999-12-31"),
    ("capacity:warehouse_new", {"code": "BOM-WH", "name": "Again", "daily_dispatch_capacity": "5"}, "code", "BOM-WH"),
    ("capacity:warehouse_new", {"code": "bad code!", "name": "X", "daily_dispatch_capacity": "5"}, "code", "bad code!"),
    ("capacity:warehouse_new", {"code": "OK", "name": "X", "daily_dispatch_capacity": "NaN"},
     "daily_dispatch_capacity", "NaN"),
    ("capacity:lane_new", {"courier": "{courier}", "region": "MUM", "daily_capacity": "5", "avg_delivery_days": "2",
                           "ndr_percent": "5"}, "region", None),
    ("capacity:lane_new", {"courier": "{courier}", "region": "MUM", "daily_capacity": "5", "avg_delivery_days": "-1",
                           "ndr_percent": "5"}, "avg_delivery_days", "-1"),
    ("capacity:lane_new", {"courier": "{courier}", "region": "MUM", "daily_capacity": "5", "avg_delivery_days": "2",
                           "ndr_percent": "101"}, "ndr_percent", "101"),
    ("capacity:constraint_new", {"kind": "reduced_capacity", "starts_on": "2030-01-10", "ends_on": "2030-01-01",
                                 "region": "MUM"}, "ends_on", "2030-01-01"),
    ("capacity:constraint_new", {"kind": "reduced_capacity", "starts_on": "2030-01-01", "ends_on": "2030-01-01",
                                 "warehouse": "BOM-WH", "courier": "{courier}"}, "warehouse", None),
    ("capacity:constraint_new", {"kind": "courier_holiday", "starts_on": "2030-01-01", "ends_on": "2030-01-01",
                                 "region": "MUM", "note": "Holi"}, "courier", None),
    ("capacity:constraint_new", {"kind": "warehouse_blackout", "starts_on": "2030-01-01", "ends_on": "2030-01-01",
                                 "warehouse": "BOM-WH", "capacity_percent": "-10"}, "capacity_percent", "-10"),
]  # fmt: skip


@pytest.mark.parametrize(("url_name", "data", "field", "kept"), BAD_FORMS)
def test_bad_input_shows_next_to_its_field_keeps_what_was_typed_and_changes_nothing(
    request, world, url_name, data, field, kept
):
    client, _ = as_user(request, "omar")
    data = {key: value.replace("{courier}", world.lane_mumbai.courier.code) for key, value in data.items()}
    before = snapshot()
    response = client.post(reverse(url_name), data)
    assert response.status_code == 200
    chunk = field_chunk(response.content.decode(), field)
    assert chunk.startswith(" has-error") and 'class="errors"' in chunk
    if kept is not None:
        assert f'value="{kept}"' in chunk
    assert snapshot() == before


def test_a_constraint_naming_no_scope_says_so_on_top_of_the_form(request, world):
    client, _ = as_user(request, "lata")
    data = {"kind": "reduced_capacity", "starts_on": "2030-01-01", "ends_on": "2030-01-02", "note": "Everywhere?"}
    html = client.post(reverse("capacity:constraint_new"), data).content.decode()
    assert "Name the warehouse, courier, region or support team it applies to." in html
    assert 'value="Everywhere?"' in html
    assert not CapacityConstraint.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"on_hand": -1}, "on_hand"),
        ({"on_hand": 10**12}, "on_hand"),
        ({"on_hand": "1.5"}, "on_hand"),
        ({"on_hand": True}, "on_hand"),
        ({"sku": "NOPE"}, "sku"),
        ({"sku": "TEE\x00"}, "sku"),
        ({"warehouse": None}, "warehouse"),
        ({"as_of": "yesterday"}, "as_of"),
    ],
)
def test_stock_service_refuses_bad_values(world, ishaan, kwargs, field):
    call = {"sku": world.sku, "warehouse": world.warehouse, "on_hand": 5, **kwargs}
    with pytest.raises(InvalidInput) as refused:
        services.stock_level_set(actor=ishaan, **call)
    assert field in refused.value.errors
    assert StockLevel.objects.get(sku=world.sku, warehouse=world.warehouse).on_hand == 100_000


def test_services_accept_codes_as_imports_send_them(world, ishaan, lata):
    row = services.stock_level_set(actor=ishaan, sku="TEE-01", warehouse="BOM-WH", on_hand="12")
    assert (row.sku, row.on_hand) == (world.sku, 12)
    constraint = services.constraint_save(actor=lata, kind="reduced_capacity", starts_on="2030-01-01",
                                          ends_on="2030-01-01", region="PUN", capacity_factor="0.5")  # fmt: skip
    assert (constraint.region, constraint.capacity_factor) == (world.pune, Decimal("0.5"))


# --------------------------------------------------------------------------- a fixed number of queries


def add_rows(count: int, *, warehouse=None) -> None:
    """`count` more of each kind of row the capacity pages list."""
    today = timezone.localdate()
    for n in range(count):
        where = warehouse or WarehouseFactory()
        sku = SkuFactory()
        StockFactory(sku=sku, warehouse=where)
        InboundFactory(sku=sku, warehouse=where)
        lane = LaneFactory(region=RegionFactory(warehouse=where), ndr_rate=Decimal("0.4"))
        if n % 2:
            CapacityConstraint.objects.create(
                kind="courier_holiday", starts_on=today, ends_on=today, courier=lane.courier
            )
        else:
            CapacityConstraint.objects.create(
                kind="warehouse_blackout", starts_on=today, ends_on=today, warehouse=where
            )


PAGES = [*LISTS, "capacity:lanes?flagged=on", "capacity:inbound?when=all", "capacity:constraints?when=all"]


def count_queries(client, page: str) -> tuple[int, int]:
    name, _, query = page.partition("?")
    url = reverse(name) + (f"?{query}" if query else "")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    rows = response.context["stock"] if name == "capacity:home" else response.context["page"]
    return len(ctx.captured_queries), len(rows.object_list)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_runs_the_same_queries_with_2_and_with_10_rows(request, world, maya, ishaan, lata, page):
    approved(world, maya, ishaan, lata)  # stock reservations to count
    add_rows(1)  # with the world's: 2 stock rows, lanes, warehouses; 1 inbound shipment and constraint
    client, _ = as_user(request, "omar")
    client.get(reverse("capacity:home"))  # warm up the session
    small, small_rows = count_queries(client, page)
    add_rows(8)
    large, large_rows = count_queries(client, page)
    assert large_rows >= small_rows + 8
    assert large == small, f"{page}: {small} queries with {small_rows} rows, {large} with {large_rows}"
