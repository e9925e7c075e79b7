"""One rule, every door (issue 16): the web forms, the API and the admin write the
operations side's data through `capacity.services` (promo windows through
`campaigns.services`), so a rule refuses the same input with the same message whatever
the door, and a refused write changes nothing.

omar (ops lead) uses the pages and the API, root (a superuser) the admin.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib import messages
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns import services as campaign_services
from campaigns.models import Notification, PromoWindow
from capacity import services
from capacity.models import CapacityConstraint, Courier, CourierLane, InboundShipment, Region, Sku, StockLevel
from mopsync import versions
from mopsync.errors import InvalidInput, NotPermitted
from tests.api_support import call, client_for, snapshot
from tests.helpers import approved, make_world

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_errors(form) -> dict[str, list[str]]:
    """A Django form's errors named as the services and the API name them."""
    return {("non_field_errors" if k == "__all__" else k): list(v) for k, v in form.errors.items()}


# --------------------------------------------------------------------------- the constraint rules, door by door

DAY = dt.date(2030, 1, 10)
# (label, the constraint in service terms with codes, the refusal every door gives)
CONSTRAINT_CASES = [
    (
        "two scopes",
        {"kind": "reduced_capacity", "warehouse": "BOM-WH", "region": "MUM"},
        {"warehouse": ["A warehouse constraint cannot also name a courier or region."]},
    ),
    (
        "no scope",
        {"kind": "reduced_capacity"},
        {"non_field_errors": ["Name the warehouse, courier, region or support team it applies to."]},
    ),
    (
        "a blackout of a region",
        {"kind": "warehouse_blackout", "region": "MUM"},
        {"warehouse": ["A warehouse blackout needs a warehouse."]},
    ),
    (
        "a holiday of a region",
        {"kind": "courier_holiday", "region": "PUN"},
        {"courier": ["A courier holiday needs a courier."]},
    ),
    (
        "ends before it starts",
        {"kind": "reduced_capacity", "warehouse": "BOM-WH", "ends_on": DAY - dt.timedelta(days=1)},
        {"ends_on": ["Must be on or after starts_on."]},
    ),
]


def _constraint(case: dict) -> dict:
    return {"starts_on": DAY, "ends_on": DAY, "capacity_factor": Decimal("0.5"), **case}


def through_the_service(world, user, case):
    with pytest.raises(InvalidInput) as refused:
        services.constraint_save(actor=user, **_constraint(case))
    return refused.value.errors


def through_the_api(world, user, case):
    body = {k: (v.isoformat() if isinstance(v, dt.date) else str(v)) for k, v in _constraint(case).items()}
    response = call(client_for(user.username), "POST", "constraints/", body)
    assert response.status_code == 400
    return response.json()


def through_the_form(world, user, case):
    data = _constraint(case)
    data["capacity_percent"] = str(data.pop("capacity_factor") * 100)
    response = web(user).post(reverse("capacity:constraint_new"), data)
    assert response.status_code == 200
    return form_errors(response.context["form"])


def through_the_admin(world, user, case):
    root = User.objects.create_superuser("root", "root@example.com", "pw-root")
    lookups = {"warehouse": world.warehouse, "region": {"MUM": world.mumbai, "PUN": world.pune}}
    data = {}
    for key, value in _constraint(case).items():
        if key == "warehouse":
            value = lookups["warehouse"].pk
        elif key == "region":
            value = lookups["region"][value].pk
        data[key] = value
    response = web(root).post(admin_url(CapacityConstraint, "add"), data)
    assert response.status_code == 200
    return form_errors(response.context["adminform"].form)


DOORS = [through_the_service, through_the_api, through_the_form, through_the_admin]
# The web form says the same rule in its own words (its labels), where the other doors
# name the fields (issue 17).
FORM_WORDS = {"ends before it starts": {"ends_on": ["“To” must be on or after “From”."]}}


@pytest.mark.parametrize("door", DOORS, ids=lambda door: door.__name__)
@pytest.mark.parametrize(("label", "case", "refusal"), CONSTRAINT_CASES, ids=[c[0] for c in CONSTRAINT_CASES])
def test_a_constraint_rule_refuses_alike_through_every_door_and_nothing_is_written(
    world, omar, door, label, case, refusal
):
    before = snapshot()
    if door is through_the_form:
        refusal = FORM_WORDS.get(label, refusal)
    assert door(world, omar, case) == refusal
    assert snapshot() == before
    assert not CapacityConstraint.objects.exists()


def test_the_constraint_rules_are_written_in_the_service_only():
    """The serializers, forms, admin and views translate: the rules' messages are found in
    `capacity/services.py` and nowhere else in the code of `capacity` and `mopsync`."""
    code = {path: path.read_text() for app in ("capacity", "mopsync") for path in (REPO / app).glob("*.py")}
    for _, _, refusal in CONSTRAINT_CASES:
        [message] = next(iter(refusal.values()))
        holders = {path.relative_to(REPO).as_posix() for path, text in code.items() if message in text}
        assert holders == {"capacity/services.py"}, message


# --------------------------------------------------------------------------- other rules of the services


def test_one_lane_per_courier_and_region_whatever_the_door(world, omar, root):
    courier = world.lane_mumbai.courier
    message = {"region": ["This courier already has a lane to this region."]}
    before = snapshot()

    api = call(client_for("omar"), "PATCH", f"courier-lanes/{world.lane_pune.pk}/", {"region": "MUM"})
    lane = {"courier": courier.code, "region": "MUM", "daily_capacity": "5", "avg_delivery_days": "2"}
    page = web(omar).post(reverse("capacity:lane_new"), {**lane, "ndr_percent": "5"})
    admin = web(root).post(
        admin_url(CourierLane, "add"),
        {**lane, "courier": courier.pk, "region": world.mumbai.pk, "baseline_orders_per_day": 0, "ndr_rate": "0.05"},
    )

    assert (api.status_code, api.json()) == (400, message)
    assert form_errors(page.context["form"]) == message
    assert form_errors(admin.context["adminform"].form) == message
    assert snapshot() == before


def test_a_promo_window_ending_before_it_starts_is_refused_by_the_api_and_the_admin(world, maya, root):
    body = {"name": "Diwali sale", "starts_on": "2030-10-20", "ends_on": "2030-10-19", "channel": "", "notes": ""}
    message = {"ends_on": ["Must be on or after starts_on."]}

    api = call(client_for("maya"), "POST", "promo-windows/", body)
    admin = web(root).post(admin_url(PromoWindow, "add"), body)

    assert (api.status_code, api.json()) == (400, message)
    assert form_errors(admin.context["adminform"].form) == message
    assert not PromoWindow.objects.exists()


def test_the_admin_shows_the_services_message_for_a_duplicate_code(world, root):
    response = web(root).post(
        admin_url(Sku, "add"),
        {"code": "TEE-01", "name": "Again", "safety_stock": 0, "baseline_units_per_day": 0, "return_rate": "0"},
    )
    assert response.status_code == 200
    assert form_errors(response.context["adminform"].form) == {"code": ["A SKU with this code already exists."]}
    assert Sku.objects.filter(code="TEE-01").count() == 1


def test_the_admin_changes_a_row_through_the_service(world, root, monkeypatch):
    calls = []
    original = services.lane_save
    monkeypatch.setattr(services, "lane_save", lambda **kw: calls.append(kw) or original(**kw))
    lane = world.lane_mumbai
    response = web(root).post(
        admin_url(CourierLane, "change", lane.pk),
        {"courier": lane.courier.pk, "region": lane.region.pk, "daily_capacity": 750, "baseline_orders_per_day": 10,
         "avg_delivery_days": "3.5", "ndr_rate": "0.2", "cod_supported": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    lane.refresh_from_db()
    assert (lane.daily_capacity, lane.ndr_rate) == (750, Decimal("0.2"))
    assert [(c["actor"], c["lane"].pk) for c in calls] == [(root, lane.pk)]


def test_the_admin_adds_through_the_service_and_redirects_to_the_new_row(world, root):
    response = web(root).post(
        admin_url(Courier, "add"), {"code": "DLV", "name": "Delhivery", "is_active": "on", "_continue": "1"}
    )
    courier = Courier.objects.get(code="DLV")
    assert response.status_code == 302 and response["Location"] == admin_url(Courier, "change", courier.pk)


def test_a_stock_count_added_in_the_admin_for_a_counted_pair_replaces_the_count(world, root):
    """As the pages and the API do: one row per SKU × warehouse."""
    response = web(root).post(
        admin_url(StockLevel, "add"),
        {"sku": world.sku.pk, "warehouse": world.warehouse.pk, "on_hand": 42,
         "as_of_0": "2030-01-01", "as_of_1": "09:00:00"},
    )  # fmt: skip
    assert response.status_code == 302
    assert list(StockLevel.objects.filter(sku=world.sku).values_list("on_hand", flat=True)) == [42]


def test_a_refusal_by_the_service_in_the_admin_is_a_form_error_not_a_crash(world, root, monkeypatch):
    def refuse(**kwargs):
        raise NotPermitted("Reference data is frozen for the audit.")

    monkeypatch.setattr(services, "courier_save", refuse)
    response = web(root).post(admin_url(Courier, "add"), {"code": "DLV", "name": "Delhivery", "is_active": "on"})
    assert response.status_code == 200
    assert form_errors(response.context["adminform"].form) == {
        "non_field_errors": ["Reference data is frozen for the audit."]
    }
    assert not Courier.objects.filter(code="DLV").exists()


def test_the_admin_deletes_through_the_service_and_a_refusal_is_a_message(world, root, monkeypatch):
    today = timezone.localdate()
    keep = CapacityConstraint.objects.create(kind="warehouse_blackout", starts_on=today, ends_on=today,
                                             warehouse=world.warehouse)  # fmt: skip
    client = web(root)

    def refuse(**kwargs):
        raise NotPermitted("The ops calendar is frozen.")

    monkeypatch.setattr(services, "constraint_delete", refuse)
    response = client.post(admin_url(CapacityConstraint, "delete", keep.pk), {"post": "yes"})
    assert response.status_code == 302
    assert [(m.level, m.message) for m in get_messages(response.wsgi_request)] == [
        (messages.ERROR, "The ops calendar is frozen.")
    ]
    assert CapacityConstraint.objects.filter(pk=keep.pk).exists()

    monkeypatch.undo()
    assert client.post(admin_url(CapacityConstraint, "delete", keep.pk), {"post": "yes"}).status_code == 302
    assert not CapacityConstraint.objects.filter(pk=keep.pk).exists()


def test_the_admins_bulk_delete_goes_through_the_service_all_or_nothing(world, root, monkeypatch):
    today = timezone.localdate()
    rows = [
        CapacityConstraint.objects.create(kind="courier_holiday", starts_on=today, ends_on=today,
                                          courier=world.lane_mumbai.courier, note=note)
        for note in ("first", "second")
    ]  # fmt: skip
    original = services.constraint_delete

    def refuse_the_second(*, actor, constraint):
        if constraint.note == "second":
            raise NotPermitted("The second one stays.")
        original(actor=actor, constraint=constraint)

    monkeypatch.setattr(services, "constraint_delete", refuse_the_second)
    post = {"action": "delete_selected", "_selected_action": [r.pk for r in rows], "post": "yes"}
    response = web(root).post(admin_url(CapacityConstraint, "changelist"), post)
    assert response.status_code == 302
    assert CapacityConstraint.objects.count() == 2  # the first one's deletion rolled back too
    assert (messages.ERROR, "The second one stays.") in [
        (m.level, m.message) for m in get_messages(response.wsgi_request)
    ]

    monkeypatch.undo()
    web(root).post(admin_url(CapacityConstraint, "changelist"), post)
    assert not CapacityConstraint.objects.exists()


def test_a_sku_that_campaigns_reserve_cannot_be_deleted(world, maya, ishaan, lata):
    approved(world, maya, ishaan, lata)
    with pytest.raises(InvalidInput) as refused:
        services.sku_delete(actor=ishaan, sku=world.sku)
    assert "still used by" in refused.value.errors["non_field_errors"][0]
    assert Sku.objects.filter(pk=world.sku.pk).exists()


def test_staff_given_admin_permissions_configure_without_a_role(world):
    """DESIGN.md: staff configure through the admin (the API's writers let them too)."""
    clerk = User.objects.create_user("clerk", password="pw-clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="add_region"))
    response = web(clerk).post(admin_url(Region, "add"), {"code": "BLR", "name": "Bengaluru"})
    assert response.status_code == 302
    assert Region.objects.get(code="BLR").warehouse is None


# --------------------------------------------------------------------------- the API's writes are the services'

API_WRITES = [
    # method, path, body, the service it calls
    ("POST", "skus/", {"code": "HOOD-01", "name": "Hoodie"}, "sku_save"),
    ("PATCH", "skus/TEE-01/", {"name": "Tee"}, "sku_save"),
    ("POST", "warehouses/", {"code": "BLR-WH", "name": "Bengaluru", "daily_dispatch_capacity": 5}, "warehouse_save"),
    ("PATCH", "warehouses/BOM-WH/", {"name": "Bhiwandi 2"}, "warehouse_save"),
    ("POST", "regions/", {"code": "BLR", "name": "Bengaluru"}, "region_save"),
    ("PATCH", "regions/MUM/", {"name": "Mumbai metro"}, "region_save"),
    ("POST", "couriers/", {"code": "DLV", "name": "Delhivery"}, "courier_save"),
    ("PATCH", "couriers/{courier}/", {"name": "Express"}, "courier_save"),
    ("PATCH", "courier-lanes/{lane}/", {"daily_capacity": 5}, "lane_save"),
    ("POST", "stock-levels/", {"sku": "TEE-01", "warehouse": "BOM-WH", "on_hand": 5}, "stock_level_set"),
    ("POST", "inbound-shipments/", {"sku": "TEE-01", "warehouse": "BOM-WH", "quantity": 5,
                                    "expected_on": "2030-01-01"}, "inbound_create"),
    ("POST", "constraints/", {"kind": "warehouse_blackout", "starts_on": "2030-01-01", "ends_on": "2030-01-01",
                              "warehouse": "BOM-WH"}, "constraint_save"),
    ("PATCH", "constraints/{constraint}/", {"note": "x"}, "constraint_save"),
    ("DELETE", "constraints/{constraint}/", None, "constraint_delete"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "service"), API_WRITES, ids=[f"{m} {p}" for m, p, _, _ in API_WRITES]
)
def test_each_api_write_is_the_service_call(world, omar, monkeypatch, method, path, body, service):
    """A refusal only the service gives (here: made up) is the API's answer."""

    def refuse(**kwargs):
        raise NotPermitted("Frozen for the audit.")

    monkeypatch.setattr(services, service, refuse)
    today = timezone.localdate()
    constraint = CapacityConstraint.objects.create(kind="warehouse_blackout", starts_on=today, ends_on=today,
                                                   warehouse=world.warehouse)  # fmt: skip
    ids = {"courier": world.lane_mumbai.courier.code, "lane": world.lane_mumbai.pk, "constraint": constraint.pk}
    before = snapshot()
    response = call(client_for("omar"), method, path.format(**ids), body)
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Frozen for the audit.", "code": "not_permitted"},
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body", "service"),
    [
        (
            "POST",
            "promo-windows/",
            {"name": "Sale", "starts_on": "2030-01-01", "ends_on": "2030-01-02"},
            "promo_window_save",
        ),
        ("PATCH", "promo-windows/{window}/", {"notes": "x"}, "promo_window_save"),
        ("DELETE", "promo-windows/{window}/", None, "promo_window_delete"),
        ("POST", "notifications/{notification}/read/", None, "notification_mark_read"),
    ],  # fmt: skip
)
def test_each_promo_window_and_inbox_write_is_the_service_call(maya, monkeypatch, method, path, body, service):
    def refuse(**kwargs):
        raise NotPermitted("Frozen for the audit.")

    monkeypatch.setattr(campaign_services, service, refuse)
    day = dt.date(2030, 1, 1)
    window = PromoWindow.objects.create(name="Sale", starts_on=day, ends_on=day, created_by=maya)
    note = Notification.objects.create(recipient=maya, kind="x", subject="Hello")
    response = call(client_for("maya"), method, path.format(window=window.pk, notification=note.pk), body)
    assert response.status_code == 403
    window.refresh_from_db()
    note.refresh_from_db()
    assert (window.notes, note.read_at) == ("", None)


def test_a_patch_keeps_the_fields_it_leaves_out(world, lata):
    lane = world.lane_mumbai
    response = call(client_for("lata"), "PATCH", f"courier-lanes/{lane.pk}/", {"ndr_rate": "0.25"})
    assert response.status_code == 200
    after = CourierLane.objects.get(pk=lane.pk)
    assert (after.ndr_rate, after.daily_capacity, after.courier, after.region) == (
        Decimal("0.25"), lane.daily_capacity, lane.courier, lane.region,
    )  # fmt: skip


# --------------------------------------------------------------------------- who keeps what


def test_the_new_services_refuse_the_wrong_role_and_change_nothing(world, maya, ishaan, lata, outsider):
    day = dt.date(2030, 1, 1)
    window = PromoWindow.objects.create(name="Sale", starts_on=day, ends_on=day, created_by=maya)
    calls = [
        (lata, lambda u: services.sku_save(actor=u, code="NEW", name="New")),
        (maya, lambda u: services.sku_delete(actor=u, sku=world.sku2)),
        (ishaan, lambda u: services.region_save(actor=u, code="BLR", name="Bengaluru")),
        (ishaan, lambda u: services.courier_save(actor=u, code="DLV", name="Delhivery")),
        (ishaan, lambda u: services.lane_delete(actor=u, lane=world.lane_pune)),
        (lata, lambda u: services.stock_level_delete(actor=u, stock_level=StockLevel.objects.first())),
        (outsider, lambda u: services.warehouse_delete(actor=u, warehouse=world.warehouse)),
        (ishaan, lambda u: campaign_services.promo_window_save(actor=u, name="Mine", starts_on=day, ends_on=day)),
        (lata, lambda u: campaign_services.promo_window_delete(actor=u, window=window)),
        (None, lambda u: campaign_services.promo_window_delete(actor=u, window=window)),
    ]
    before = snapshot()
    for actor, attempt in calls:
        with pytest.raises(NotPermitted):
            attempt(actor)
    assert snapshot() == before


# --------------------------------------------------------------------------- every write says what it changed

REF, DATA = {versions.REF, versions.DATA}, {versions.DATA}


def _writes(world, people):
    omar, maya = people["omar"], people["maya"]
    day = dt.date(2030, 1, 1)
    shipment = InboundShipment.objects.create(sku=world.sku, warehouse=world.warehouse, quantity=5, expected_on=day)
    window = PromoWindow.objects.create(name="Sale", starts_on=day, ends_on=day, created_by=maya)
    constraint = CapacityConstraint.objects.create(kind="warehouse_blackout", starts_on=day, ends_on=day,
                                                   warehouse=world.warehouse)  # fmt: skip
    courier = Courier.objects.create(code="SPARE", name="Spare")
    unused = Courier.objects.create(code="GONE", name="Gone")
    return [
        (REF, lambda: services.sku_save(actor=omar, sku=world.sku2, code="CAP-01", name="Cap, blue")),
        (REF, lambda: services.warehouse_save(actor=omar, code="DEL-WH", name="Delhi", daily_dispatch_capacity=5)),
        (REF, lambda: services.region_save(actor=omar, code="BLR", name="Bengaluru", warehouse="BOM-WH")),
        (REF, lambda: services.courier_save(actor=omar, courier=courier, code="SPARE", name="Spare 2")),
        (REF, lambda: services.lane_save(actor=omar, courier=courier, region=world.mumbai, daily_capacity=5,
                                         avg_delivery_days=2, ndr_rate=0)),
        (REF, lambda: services.constraint_save(actor=omar, kind="reduced_capacity", starts_on=day, ends_on=day,
                                               region=world.pune, capacity_factor="0.5")),
        (REF, lambda: services.constraint_delete(actor=omar, constraint=constraint)),
        (REF, lambda: services.courier_delete(actor=omar, courier=unused)),
        (DATA, lambda: services.stock_level_set(actor=omar, sku=world.sku, warehouse=world.warehouse, on_hand=3)),
        (DATA, lambda: services.inbound_create(actor=omar, sku=world.sku, warehouse=world.warehouse, quantity=1,
                                               expected_on=day)),
        (DATA, lambda: services.inbound_update(actor=omar, shipment=shipment, sku=world.sku,
                                               warehouse=world.warehouse, quantity=9, expected_on=day)),
        (DATA, lambda: services.inbound_delete(actor=omar, shipment=shipment)),
        (DATA, lambda: campaign_services.promo_window_save(actor=maya, window=window, name="Sale", starts_on=day,
                                                           ends_on=day, notes="Longer")),
        (DATA, lambda: campaign_services.promo_window_delete(actor=maya, window=window)),
    ]  # fmt: skip


def test_every_write_tells_the_versions_what_it_changed(world, omar, maya, monkeypatch):
    told = []
    monkeypatch.setattr(versions, "changed", lambda *scopes: told.append(set(scopes)))
    for scopes, write in _writes(world, {"omar": omar, "maya": maya}):
        told.clear()
        write()
        assert told == [scopes], write


def test_a_refused_write_tells_the_versions_nothing(world, omar, monkeypatch):
    told = []
    monkeypatch.setattr(versions, "changed", lambda *scopes: told.append(scopes))
    with pytest.raises(InvalidInput):
        services.constraint_save(actor=omar, kind="reduced_capacity", starts_on=DAY, ends_on=DAY)
    with pytest.raises(InvalidInput):
        services.warehouse_save(actor=omar, code="BOM-WH", name="Again", daily_dispatch_capacity=1)
    assert told == []


# --------------------------------------------------------------------------- the inbox


def test_only_its_recipient_marks_a_notification_read(maya, mark):
    note = Notification.objects.create(recipient=maya, kind="x", subject="Hello")
    with pytest.raises(NotPermitted):
        campaign_services.notification_mark_read(actor=mark, notification=note)
    note.refresh_from_db()
    assert note.read_at is None


def test_marking_read_again_keeps_the_first_time(maya):
    note = Notification.objects.create(recipient=maya, kind="x", subject="Hello")
    first = campaign_services.notification_mark_read(actor=maya, notification=note).read_at
    again = campaign_services.notification_mark_read(actor=Notification.objects.get(pk=note.pk).recipient,
                                                     notification=Notification.objects.get(pk=note.pk))  # fmt: skip
    assert first is not None and again.read_at == first


def test_the_inbox_marks_all_read_through_the_service(maya, mark, monkeypatch):
    calls = []
    original = campaign_services.notifications_mark_all_read
    monkeypatch.setattr(
        campaign_services, "notifications_mark_all_read", lambda **kw: calls.append(kw) or original(**kw)
    )
    Notification.objects.create(recipient=maya, kind="x", subject="Mine")
    Notification.objects.create(recipient=mark, kind="x", subject="Not mine")
    assert web(maya).post("/inbox/").status_code == 302
    assert calls == [{"actor": maya}]
    assert list(Notification.objects.filter(read_at__isnull=True).values_list("subject", flat=True)) == ["Not mine"]
