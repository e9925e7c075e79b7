"""Capacity pages (DESIGN.md, "Screens": /capacity/): translation between HTTP and
`capacity.services` only.

Everyone signed in with a role (or staff) reads; writes need the roles that
`capacity.services` names, checked there on every call (the views only hide the
buttons and refuse the forms early). Every list runs a fixed number of queries
however many rows it shows: related rows are joined, and the per-row totals
(inbound units, reserved units) are one grouped query each for the whole page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial, wraps

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from capacity import forms, services
from capacity.models import (
    CapacityConstraint,
    CourierLane,
    InboundShipment,
    Reservation,
    StockLevel,
    SupportTeam,
    Warehouse,
)
from capacity.selectors import support_on
from mopsync import versions
from mopsync.errors import DomainError, InvalidInput
from mopsync.roles import user_roles
from mopsync.view_guards import refusal_text

PER_PAGE = 50
OVERVIEW_ROWS = 20
INBOUND_HORIZON_DAYS = 30
# A lane is flagged slow above this many days on average: the usual 3–5 day promise
# cannot be kept (the check compares lanes with each campaign's own promise).
SLOW_LANE_DAYS = Decimal("5")
NO_ROLE = "Your account has no mopsync role; ask an admin to add you to a team."


# --------------------------------------------------------------------------- access


def reader(view):
    """Signed in with a mopsync role, or staff: everyone who may read capacity data."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (user_roles(request.user) or request.user.is_staff):
            raise PermissionDenied(NO_ROLE)
        return view(request, *args, **kwargs)

    return wrapped


def _require(allowed: bool) -> None:
    """Refuse a form page early to whoever the service would refuse anyway."""
    if not allowed:
        raise PermissionDenied("Your role cannot change this; ask ops.")


def _permissions(user) -> dict[str, bool]:
    return {
        "can_stock": services.can_keep_stock(user),
        "can_logistics": services.can_keep_logistics(user),
        "can_constraints": services.can_keep_constraints(user),
    }


# --------------------------------------------------------------------------- reads


def _ndr_threshold() -> Decimal:
    return Decimal(str(settings.MOPSYNC_NDR_THRESHOLD))


def _flag_q() -> Q:
    return Q(ndr_rate__gt=_ndr_threshold()) | Q(avg_delivery_days__gt=SLOW_LANE_DAYS)


def _stock_levels():
    return StockLevel.objects.select_related("sku", "warehouse").order_by("sku__code", "warehouse__code")


def _warehouses():
    return Warehouse.objects.annotate(headroom=F("daily_dispatch_capacity") - F("baseline_orders_per_day")).order_by(
        "code"
    )


def _lanes():
    return (
        CourierLane.objects.select_related("courier", "region")
        .annotate(headroom=F("daily_capacity") - F("baseline_orders_per_day"))
        .order_by("region__code", "courier__code")
    )


def _constraints():
    return CapacityConstraint.objects.select_related("warehouse", "courier", "region", "support_team").order_by(
        "starts_on", "id"
    )


def _inbound():
    return InboundShipment.objects.select_related("sku", "warehouse").order_by("expected_on", "id")


def _add_holds(rows: list[StockLevel], today: dt.date) -> dict[str, int]:
    """Give each stock row its inbound units of the next 30 days and the units that
    campaigns reserve from today on: one grouped query each, for all the rows.

    Returns the units held network-wide (regions without a warehouse) by SKU code,
    for the SKUs among the rows."""
    skus = {row.sku_id: row.sku for row in rows}
    horizon = today + dt.timedelta(days=INBOUND_HORIZON_DAYS)
    inbound = {
        (r["sku_id"], r["warehouse_id"]): r["total"]
        for r in InboundShipment.objects.filter(sku_id__in=skus, expected_on__gte=today, expected_on__lte=horizon)
        .values("sku_id", "warehouse_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    reserved = {
        (r["sku_id"], r["warehouse_id"]): r["total"]
        for r in Reservation.objects.filter(kind=Reservation.Kind.STOCK, sku_id__in=skus, day__gte=today)
        .values("sku_id", "warehouse_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    }
    for row in rows:
        row.inbound_soon = inbound.get((row.sku_id, row.warehouse_id), 0)
        row.reserved = reserved.get((row.sku_id, row.warehouse_id), 0)
    return {
        skus[sku_id].code: total
        for (sku_id, warehouse_id), total in sorted(reserved.items(), key=lambda kv: skus[kv[0][0]].code)
        if warehouse_id is None
    }


def _add_flags(lanes: list[CourierLane]) -> None:
    threshold = _ndr_threshold()
    for lane in lanes:
        lane.high_ndr = lane.ndr_rate > threshold
        lane.slow = lane.avg_delivery_days > SLOW_LANE_DAYS
        lane.ndr_percent = lane.ndr_rate * 100


def _page(queryset, number=1, per_page: int = PER_PAGE) -> Page:
    page = Paginator(queryset, per_page).get_page(number)
    page.object_list = list(page.object_list)  # evaluated once, so rows can be given totals and flags
    return page


def _posted(request):
    """The submitted data of a POST (even an empty one), or None for a GET."""
    return request.POST if request.method == "POST" else None


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _filtered(request, form_class):
    """A bound filter form, or an empty one; filters it cannot read are dropped with a note."""
    form = form_class(request.GET or None)
    if form.is_bound and not form.is_valid():
        messages.warning(request, "Some filters were not understood and were ignored.")
        return form, {}
    return form, (form.cleaned_data if form.is_bound else {})


def _when(queryset, when: str, today: dt.date, *, end: str):
    if when == "past":
        return queryset.filter(**{f"{end}__lt": today}).reverse()
    if when == "all":
        return queryset
    return queryset.filter(**{f"{end}__gte": today})


def _search(queryset, text: str, relation: str):
    if not text:
        return queryset
    prefix = f"{relation}__" if relation else ""
    return queryset.filter(Q(**{f"{prefix}code__icontains": text}) | Q(**{f"{prefix}name__icontains": text}))


@reader
def home(request):
    """The ops overview: stock, warehouses, lanes and the constraints ahead, each
    section its first rows with a link to the full, filterable list."""
    today = timezone.localdate()
    context = {
        **_overview(today),
        # Warehouses, lanes and constraints, kept until reference rows change: without it the
        # overview reads them again on every request (17 queries; bench row "4. queries /capacity/", ≤ 8).
        **versions.memo("capacity_overview_reference", today, lambda: _overview_reference(today), scope=versions.REF),
        "stock_filter": _kept_choices(forms.StockFilterForm()),
        "lane_filter": _kept_choices(forms.LaneFilterForm()),
        **_list_context(),
        **_permissions(request.user),
    }
    return render(request, "capacity/home.html", context)


def _overview(today: dt.date) -> dict:
    """Stock and the arrivals ahead: what writes of stock and campaigns change."""
    stock = _page(_stock_levels(), per_page=OVERVIEW_ROWS)
    pooled = _add_holds(stock.object_list, today)
    horizon = today + dt.timedelta(days=INBOUND_HORIZON_DAYS)
    return {
        "today": today,
        "stock": stock,
        "pooled": pooled,
        # The first rows only (the page shows no count): no COUNT query.
        "arrivals": list(_inbound().filter(expected_on__gte=today, expected_on__lte=horizon)[:OVERVIEW_ROWS]),
    }


def _overview_reference(today: dt.date) -> dict:
    """Warehouses, lanes and constraints: reference rows, changed only by their own writes."""
    lanes = _page(_lanes(), per_page=OVERVIEW_ROWS)
    _add_flags(lanes.object_list)
    return {
        "warehouses": _page(_warehouses(), per_page=OVERVIEW_ROWS),
        "lanes": lanes,
        "lane_counts": CourierLane.objects.aggregate(total=Count("id"), flagged=Count("id", filter=_flag_q())),
        "constraints": list(_constraints().filter(ends_on__gte=today)[:OVERVIEW_ROWS]),
        # Customer support, when it is a sign-off dimension: its teams (one query, only then).
        "support_teams": list(SupportTeam.objects.order_by("name")) if support_on() else None,
    }


def _kept_choices(form: django_forms.Form) -> django_forms.Form:
    """An unbound filter form whose choices of warehouses or couriers come from what the
    process keeps: reference rows, changed only by their own writes (`versions.REF`)."""
    for name, field in form.fields.items():
        if isinstance(field, django_forms.ModelChoiceField):
            key = (type(form).__name__, name)
            # Without it /capacity/ reads 12 queries (make bench row "4. queries /capacity/": ≤ 8).
            field.choices = versions.memo("filter_choices", key, partial(list, field.choices), scope=versions.REF)
    return form


def _list_context() -> dict[str, object]:
    return {
        "ndr_threshold_percent": _ndr_threshold() * 100,
        "slow_lane_days": SLOW_LANE_DAYS,
        "horizon_days": INBOUND_HORIZON_DAYS,
    }


def _render_list(request, *, section: str, title: str, form, page: Page, new_url: str | None, **extra):
    context = {
        "section": section,
        "title": title,
        "filter_form": form,
        "page": page,
        "query": _query_without_page(request),
        "new_url": new_url,
        "today": timezone.localdate(),
        **_list_context(),
        **_permissions(request.user),
        **extra,
    }
    return render(request, "capacity/list.html", context)


@reader
def stock_list(request):
    form, f = _filtered(request, forms.StockFilterForm)
    rows = _search(_stock_levels(), f.get("sku"), "sku")
    if f.get("warehouse"):
        rows = rows.filter(warehouse=f["warehouse"])
    page = _page(rows, request.GET.get("page"))
    pooled = _add_holds(page.object_list, timezone.localdate())
    new_url = reverse("capacity:stock_new") if services.can_keep_stock(request.user) else None
    return _render_list(
        request,
        section="stock",
        title="Stock levels",
        form=form,
        page=page,
        new_url=new_url,
        new_label="Set stock",
        pooled=pooled,
    )


@reader
def inbound_list(request):
    form, f = _filtered(request, forms.InboundFilterForm)
    today = timezone.localdate()
    rows = _when(_search(_inbound(), f.get("sku"), "sku"), f.get("when") or "upcoming", today, end="expected_on")
    if f.get("warehouse"):
        rows = rows.filter(warehouse=f["warehouse"])
    new_url = reverse("capacity:inbound_new") if services.can_keep_stock(request.user) else None
    return _render_list(
        request,
        section="inbound",
        title="Inbound shipments",
        form=form,
        page=_page(rows, request.GET.get("page")),
        new_url=new_url,
        new_label="Add a shipment",
    )


@reader
def lane_list(request):
    form, f = _filtered(request, forms.LaneFilterForm)
    rows = _search(_lanes(), f.get("region"), "region")
    if f.get("courier"):
        rows = rows.filter(courier=f["courier"])
    if f.get("flagged"):
        rows = rows.filter(_flag_q())
    page = _page(rows, request.GET.get("page"))
    _add_flags(page.object_list)
    new_url = reverse("capacity:lane_new") if services.can_keep_logistics(request.user) else None
    return _render_list(
        request, section="lanes", title="Courier lanes", form=form, page=page, new_url=new_url, new_label="Add a lane"
    )


@reader
def warehouse_list(request):
    form, f = _filtered(request, forms.WarehouseFilterForm)
    rows = _search(_warehouses(), f.get("q"), "")
    new_url = reverse("capacity:warehouse_new") if services.can_keep_logistics(request.user) else None
    return _render_list(
        request,
        section="warehouses",
        title="Warehouses",
        form=form,
        page=_page(rows, request.GET.get("page")),
        new_url=new_url,
        new_label="Add a warehouse",
    )


@reader
def constraint_list(request):
    form, f = _filtered(request, forms.ConstraintFilterForm)
    rows = _when(_constraints(), f.get("when") or "upcoming", timezone.localdate(), end="ends_on")
    if f.get("kind"):
        rows = rows.filter(kind=f["kind"])
    new_url = reverse("capacity:constraint_new") if services.can_keep_constraints(request.user) else None
    return _render_list(
        request,
        section="constraints",
        title="Capacity constraints",
        form=form,
        page=_page(rows, request.GET.get("page")),
        new_url=new_url,
        new_label="Add a constraint",
    )


# --------------------------------------------------------------------------- writes


def _edit(
    request,
    *,
    form: forms.ServiceForm,
    save: Callable[[dict], object],
    success: Callable[[object], str],
    back: str,
    title: str,
    section: str,
    obj=None,
    delete_url: str | None = None,
):
    """Show the form; on a valid POST call the service and redirect (POST-redirect-GET).
    Field messages of a refusal go next to the fields, with what the user typed kept;
    any other refusal is a message."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.service_data())
        except InvalidInput as exc:
            form.add_service_errors(exc.errors)
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
            return redirect(back)
        else:
            messages.success(request, success(saved))
            return redirect(back)
    return render(
        request,
        "capacity/form.html",
        {"form": form, "title": title, "section": section, "back": back, "obj": obj, "delete_url": delete_url},
    )


def _stock_saved(row) -> str:
    return f"{row.sku.code} at {row.warehouse.code}: {row.on_hand} units on hand."


@reader
def stock_new(request):
    _require(services.can_keep_stock(request.user))
    form = forms.StockLevelForm(_posted(request))
    return _edit(
        request,
        form=form,
        back=reverse("capacity:stock"),
        title="Set stock on hand",
        section="stock",
        save=lambda d: services.stock_level_set(actor=request.user, **d),
        success=_stock_saved,
    )


@reader
def stock_edit(request, pk: int):
    row = get_object_or_404(_stock_levels(), pk=pk)
    _require(services.can_keep_stock(request.user))
    initial = {"sku": row.sku, "warehouse": row.warehouse, "on_hand": row.on_hand}
    form = forms.StockLevelForm(_posted(request), initial=initial, fixed_pair=True)
    return _edit(
        request,
        form=form,
        back=reverse("capacity:stock"),
        title=f"Stock of {row.sku.code} at {row.warehouse.code}",
        section="stock",
        obj=row,
        save=lambda d: services.stock_level_set(actor=request.user, **d),
        success=_stock_saved,
    )


def _inbound_saved(shipment) -> str:
    return f"{shipment.quantity} × {shipment.sku.code} expected at {shipment.warehouse.code} on {shipment.expected_on}."


@reader
def inbound_new(request):
    _require(services.can_keep_stock(request.user))
    form = forms.InboundForm(_posted(request))
    return _edit(
        request,
        form=form,
        back=reverse("capacity:inbound"),
        title="Add an inbound shipment",
        section="inbound",
        save=lambda d: services.inbound_create(actor=request.user, **d),
        success=_inbound_saved,
    )


@reader
def inbound_edit(request, pk: int):
    shipment = get_object_or_404(_inbound(), pk=pk)
    _require(services.can_keep_stock(request.user))
    form = forms.InboundForm(_posted(request), initial=forms.InboundForm.initial_from(shipment))
    return _edit(
        request,
        form=form,
        back=reverse("capacity:inbound"),
        title="Edit inbound shipment",
        section="inbound",
        obj=shipment,
        success=_inbound_saved,
        save=lambda d: services.inbound_update(actor=request.user, shipment=shipment, **d),
    )


@reader
def warehouse_new(request):
    _require(services.can_keep_logistics(request.user))
    form = forms.WarehouseForm(_posted(request))
    return _edit(
        request,
        form=form,
        back=reverse("capacity:warehouses"),
        title="Add a warehouse",
        section="warehouses",
        save=lambda d: services.warehouse_save(actor=request.user, **d),
        success=lambda w: f"Warehouse {w.code} saved.",
    )


@reader
def warehouse_edit(request, pk: int):
    warehouse = get_object_or_404(Warehouse, pk=pk)
    _require(services.can_keep_logistics(request.user))
    form = forms.WarehouseForm(_posted(request), initial=forms.WarehouseForm.initial_from(warehouse))
    return _edit(
        request,
        form=form,
        back=reverse("capacity:warehouses"),
        title=f"Edit warehouse {warehouse.code}",
        section="warehouses",
        obj=warehouse,
        success=lambda w: f"Warehouse {w.code} saved.",
        save=lambda d: services.warehouse_save(actor=request.user, warehouse=warehouse, **d),
    )


@reader
def lane_new(request):
    _require(services.can_keep_logistics(request.user))
    form = forms.LaneForm(_posted(request))
    return _edit(
        request,
        form=form,
        back=reverse("capacity:lanes"),
        title="Add a courier lane",
        section="lanes",
        save=lambda d: services.lane_save(actor=request.user, **d),
        success=lambda lane: f"Lane {lane} saved.",
    )


@reader
def lane_edit(request, pk: int):
    lane = get_object_or_404(_lanes(), pk=pk)
    _require(services.can_keep_logistics(request.user))
    form = forms.LaneForm(_posted(request), initial=forms.LaneForm.initial_from(lane))
    return _edit(
        request,
        form=form,
        back=reverse("capacity:lanes"),
        title=f"Edit lane {lane}",
        section="lanes",
        obj=lane,
        save=lambda d: services.lane_save(actor=request.user, lane=lane, **d),
        success=lambda saved: f"Lane {saved} saved.",
    )


@reader
def constraint_new(request):
    _require(services.can_keep_constraints(request.user))
    form = forms.ConstraintForm(_posted(request))
    return _edit(
        request,
        form=form,
        back=reverse("capacity:constraints"),
        title="Add a capacity constraint",
        section="constraints",
        save=lambda d: services.constraint_save(actor=request.user, **d),
        success=lambda c: f"Constraint saved: {c}.",
    )


@reader
def constraint_edit(request, pk: int):
    constraint = get_object_or_404(_constraints(), pk=pk)
    _require(services.can_keep_constraints(request.user))
    form = forms.ConstraintForm(_posted(request), initial=forms.ConstraintForm.initial_from(constraint))
    return _edit(
        request,
        form=form,
        back=reverse("capacity:constraints"),
        title="Edit capacity constraint",
        section="constraints",
        obj=constraint,
        delete_url=reverse("capacity:constraint_delete", args=[pk]),
        save=lambda d: services.constraint_save(actor=request.user, constraint=constraint, **d),
        success=lambda c: f"Constraint saved: {c}.",
    )


@reader
def constraint_delete(request, pk: int):
    """GET asks for confirmation; POST deletes."""
    constraint = get_object_or_404(_constraints(), pk=pk)
    _require(services.can_keep_constraints(request.user))
    back = reverse("capacity:constraints")
    if request.method == "POST":
        label = str(constraint)
        try:
            services.constraint_delete(actor=request.user, constraint=constraint)
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
        else:
            messages.success(request, f"Deleted: {label}.")
        return redirect(back)
    return render(
        request, "capacity/confirm_delete.html", {"constraint": constraint, "back": back, "section": "constraints"}
    )
