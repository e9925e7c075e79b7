"""The Django admin: reference data is editable, the workflow is not.

Campaigns are read-only and change state only through actions that call the
services with the admin as the actor; sign-offs, reservations and audit events
are read-only; the outbox can retry failed deliveries.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import services
from campaigns.models import (
    ActualOrders,
    AlertLog,
    AuditEvent,
    CalendarFeed,
    Campaign,
    CampaignRegion,
    CampaignSku,
    CampaignSpend,
    Comment,
    Delegation,
    Notification,
    PostCampaignReview,
    Preference,
    PromoWindow,
    Status,
)
from capacity.models import (
    CapacityConstraint,
    Courier,
    CourierLane,
    CsatResponse,
    ImportJob,
    InboundShipment,
    LanePerformance,
    Region,
    Reservation,
    ReturnRecord,
    SignOff,
    SignOffLine,
    Sku,
    StockLevel,
    SupportTeam,
    SupportTicketCount,
    Warehouse,
)
from tests.factories import InboundFactory, LaneFactory, RegionFactory, SkuFactory, StockFactory, WarehouseFactory
from tests.helpers import approved, live, make_world, plan_data, submitted

EDITABLE = [
    Sku,
    Warehouse,
    Region,
    Courier,
    CourierLane,
    StockLevel,
    InboundShipment,
    CapacityConstraint,
    SupportTeam,
    PromoWindow,
    PostCampaignReview,
    Preference,
    Delegation,
]
NOT_ADDABLE = [
    Campaign,
    CampaignSku,
    CampaignRegion,
    SignOff,
    SignOffLine,
    Reservation,
    AuditEvent,
    Comment,
    Notification,
    CalendarFeed,
    AlertLog,
    ImportJob,
    LanePerformance,
    ReturnRecord,
    ActualOrders,
    CampaignSpend,
    SupportTicketCount,
    CsatResponse,
]
ALL_MODELS = EDITABLE + NOT_ADDABLE


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _messages(response) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


def _act(client, action: str, *campaigns):
    return client.post(_url(Campaign, "changelist"), {"action": action, "_selected_action": [c.pk for c in campaigns]})


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def world(db):
    return make_world()


def _grow(world, owner, inventory, logistics, *, name: str) -> Campaign:
    """Add one more row of every kind (more of everything must not mean more queries)."""
    warehouse = WarehouseFactory()
    sku = SkuFactory()
    StockFactory(sku=sku, warehouse=warehouse)
    InboundFactory(sku=sku, warehouse=warehouse)
    lane = LaneFactory(region=RegionFactory(warehouse=warehouse))
    far = timezone.localdate() + dt.timedelta(days=200)
    Delegation.objects.create(user=inventory, delegate=logistics, starts_on=far, ends_on=far)  # rows, not rules
    # Inactive: customer support stays switched off, so the campaigns need two sign-offs.
    team = SupportTeam.objects.create(
        name=f"Support {name}", agents_per_day=1, tickets_per_agent_per_day=1, is_active=False
    )
    for scope in ({"warehouse": warehouse}, {"courier": lane.courier}, {"region": lane.region}, {"support_team": team}):
        CapacityConstraint.objects.create(
            kind=CapacityConstraint.Kind.REDUCED_CAPACITY,
            starts_on=far,
            ends_on=far,
            capacity_factor=Decimal("0.5"),
            **scope,
        )
    PromoWindow.objects.create(name=f"Sale for {name}", starts_on=far, ends_on=far, created_by=owner)
    campaign = approved(world, owner, inventory, logistics, name=name)
    inventory_signoff = campaign.signoffs.get(dimension="inventory")
    SignOffLine.objects.create(signoff=inventory_signoff, sku=world.sku2, decision="approved", comment="fine")
    PostCampaignReview.objects.create(campaign=campaign, forecast_orders=500)
    Notification.objects.create(recipient=owner, campaign=campaign, kind="x", subject="s", state="failed")
    CalendarFeed.objects.get_or_create(user=owner, defaults={"token": f"feed-{name}"})
    AlertLog.objects.create(kind="inventory", key=f"{campaign.pk}:TEE-01", day=far, campaign=campaign)
    Preference.objects.get_or_create(user=owner)
    ImportJob.objects.create(kind="stock_levels", file_name=f"{name}.csv", created_by=owner)
    LanePerformance.objects.create(
        lane=lane, period_start=far, period_end=far, shipments=10, delivered=9, ndr_count=1, avg_delivery_days=3
    )
    ReturnRecord.objects.create(date=far, sku=sku, channel="meta", region=lane.region, orders=10, returned=1)
    ActualOrders.objects.create(
        date=far, campaign=campaign, channel="meta", sku=sku, region=lane.region, orders=5, revenue=500,
        fulfilment_cost=50,
    )  # fmt: skip
    CampaignSpend.objects.create(date=far, campaign=campaign, spend=100)
    SupportTicketCount.objects.create(day=far, channel="chat", tickets=3, campaign=campaign)
    CsatResponse.objects.create(day=far, region=lane.region, score=4, responses=2, campaign=campaign)
    Comment.objects.create(campaign=campaign, author=owner, body=f"About {name} and TEE-01")
    return campaign


@pytest.fixture
def populated(world, maya, ishaan, lata):
    """At least one row of every model."""
    return _grow(world, maya, ishaan, lata, name="First")


# --------------------------------------------------------------------------- every model


def test_every_model_is_registered():
    ours = {m for m in apps.get_models() if m._meta.app_label in ("capacity", "campaigns")}
    assert ours == set(ALL_MODELS)
    assert ours <= set(admin.site._registry)


@pytest.mark.django_db
@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_page_render(root_client, populated, model):
    assert model.objects.exists()
    assert root_client.get(_url(model, "changelist")).status_code == 200
    assert root_client.get(_url(model, "changelist"), {"q": "TEE"}).status_code == 200
    assert root_client.get(_url(model, "change", model.objects.first().pk)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", EDITABLE, ids=lambda m: m.__name__)
def test_add_page_renders_for_reference_data(root_client, model):
    assert root_client.get(_url(model, "add")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model", NOT_ADDABLE, ids=lambda m: m.__name__)
def test_add_page_refused_for_workflow_records(root_client, model):
    assert root_client.get(_url(model, "add")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_changelist_query_count_does_not_grow_with_rows(root_client, populated, world, maya, ishaan, lata, model):
    with CaptureQueriesContext(connection) as small:
        assert root_client.get(_url(model, "changelist")).status_code == 200
    for n in range(3):
        _grow(world, maya, ishaan, lata, name=f"More {n}")
    with CaptureQueriesContext(connection) as large:
        assert root_client.get(_url(model, "changelist")).status_code == 200
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


@pytest.mark.django_db
def test_campaign_changelist_same_queries_for_2_and_12_campaigns(root_client, world, maya, mark):
    def create(n: int) -> None:
        for i in range(n):
            owner = maya if i % 2 else mark
            services.campaign_create(actor=owner, data=plan_data(world, name=f"Plan {i}"))

    create(2)
    with CaptureQueriesContext(connection) as two:
        assert root_client.get(_url(Campaign, "changelist")).status_code == 200
    create(10)
    assert Campaign.objects.count() == 12
    with CaptureQueriesContext(connection) as twelve:
        response = root_client.get(_url(Campaign, "changelist"))
    assert response.status_code == 200
    assert len(twelve) == len(two), [q["sql"] for q in twelve.captured_queries]


# --------------------------------------------------------------------------- reference data is editable


@pytest.mark.django_db
def test_admin_adds_a_sku(root_client):
    response = root_client.post(
        _url(Sku, "add"),
        {"code": "MUG-01", "name": "Mug", "safety_stock": 10, "baseline_units_per_day": 0, "return_rate": "0.05"},
    )
    assert response.status_code == 302
    assert Sku.objects.get(code="MUG-01").safety_stock == 10


@pytest.mark.django_db
def test_constraint_with_two_scopes_is_a_form_error_not_a_crash(root_client, world):
    response = root_client.post(
        _url(CapacityConstraint, "add"),
        {
            "kind": "warehouse_blackout",
            "starts_on": "2030-01-01",
            "ends_on": "2030-01-02",
            "warehouse": world.warehouse.pk,
            "region": world.mumbai.pk,
            "capacity_factor": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not CapacityConstraint.objects.exists()


@pytest.mark.django_db
def test_promo_window_records_who_added_it(root_client, root):
    response = root_client.post(
        _url(PromoWindow, "add"),
        {"name": "Diwali sale", "starts_on": "2030-10-20", "ends_on": "2030-10-30", "channel": "", "notes": ""},
    )
    assert response.status_code == 302
    assert PromoWindow.objects.get().created_by == root


# --------------------------------------------------------------------------- campaigns are read-only


@pytest.mark.django_db
def test_campaign_change_page_shows_status_read_only(root_client, world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    response = root_client.get(_url(Campaign, "change", campaign.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<div class="readonly">Approved</div>' in content
    assert 'name="status"' not in content
    assert 'name="orders_per_day"' not in content
    assert 'name="_save"' not in content
    assert "See the rows" in content  # reservations as a summary with a link, not thousands of rows


@pytest.mark.django_db
def test_campaign_change_page_cannot_be_posted(root_client, world, maya):
    campaign = submitted(world, maya)
    response = root_client.post(_url(Campaign, "change", campaign.pk), {"status": "approved", "name": "x"})
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert (campaign.status, campaign.name) == (Status.SUBMITTED, "Diwali tees")


@pytest.mark.django_db
def test_campaign_cannot_be_deleted_in_admin(root_client, world, maya):
    campaign = submitted(world, maya)
    assert root_client.post(_url(Campaign, "delete", campaign.pk), {"post": "yes"}).status_code == 403
    assert Campaign.objects.filter(pk=campaign.pk).exists()


# --------------------------------------------------------------------------- actions go through the services


@pytest.mark.django_db
def test_go_live_action_refused_for_submitted_campaign_changes_nothing(root_client, world, maya):
    campaign = submitted(world, maya)
    events = AuditEvent.objects.count()

    response = _act(root_client, "go_live", campaign)

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Status.SUBMITTED
    assert AuditEvent.objects.count() == events
    [(level, text)] = _messages(response)
    assert level == messages.ERROR
    assert "sign-off" in text and "Diwali tees" in text


@pytest.mark.django_db
def test_go_live_action_starts_an_approved_campaign_due_today(root_client, root, world, maya, ishaan, lata):
    today = timezone.localdate()
    campaign = approved(world, maya, ishaan, lata, starts_on=today, ends_on=today + dt.timedelta(days=2))

    response = _act(root_client, "go_live", campaign)

    campaign.refresh_from_db()
    assert campaign.status == Status.LIVE
    assert AuditEvent.objects.filter(campaign=campaign).latest("id").actor == root
    assert _messages(response) == [(messages.SUCCESS, "1 campaign(s) went live.")]


@pytest.mark.django_db
def test_cancel_action_cancels_and_releases_reservations(root_client, root, world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    assert Reservation.objects.filter(campaign=campaign).exists()

    response = _act(root_client, "cancel", campaign)

    campaign.refresh_from_db()
    assert campaign.status == Status.CANCELLED
    assert not Reservation.objects.filter(campaign=campaign).exists()
    event = AuditEvent.objects.filter(campaign=campaign).latest("id")
    assert (event.action, event.from_status, event.to_status, event.actor) == ("cancel", "approved", "cancelled", root)
    assert _messages(response) == [(messages.SUCCESS, "1 campaign(s) cancelled.")]


@pytest.mark.django_db
def test_pause_and_resume_actions(root_client, root, world, maya, ishaan, lata):
    campaign = live(world, maya, ishaan, lata)

    _act(root_client, "pause", campaign)
    campaign.refresh_from_db()
    assert campaign.status == Status.PAUSED
    assert AuditEvent.objects.filter(campaign=campaign).latest("id").actor == root
    held = Reservation.objects.filter(campaign=campaign).count()
    assert held  # a paused campaign keeps its reservations

    _act(root_client, "resume", campaign)
    campaign.refresh_from_db()
    assert campaign.status == Status.LIVE
    assert Reservation.objects.filter(campaign=campaign).count() == held


@pytest.mark.django_db
def test_action_on_mixed_selection_reports_each_refusal(root_client, world, maya, ishaan, lata):
    live_one = live(world, maya, ishaan, lata, name="Running")
    draft = services.campaign_create(actor=maya, data=plan_data(world, name="Still a draft"))

    response = _act(root_client, "pause", live_one, draft)

    live_one.refresh_from_db()
    draft.refresh_from_db()
    assert (live_one.status, draft.status) == (Status.PAUSED, Status.DRAFT)
    assert _messages(response) == [
        (messages.ERROR, "“Still a draft”: Cannot pause a campaign that is draft."),
        (messages.SUCCESS, "1 campaign(s) paused."),
    ]


@pytest.mark.django_db
def test_actions_need_change_permission(client, django_user_model, world, maya):
    campaign = submitted(world, maya)
    viewer = django_user_model.objects.create_user("viewer", password="pw-viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    client.force_login(viewer)

    response = client.get(_url(Campaign, "changelist"))
    assert response.status_code == 200
    assert response.context["action_form"] is None  # no actions offered

    _act(client, "cancel", campaign)
    campaign.refresh_from_db()
    assert campaign.status == Status.SUBMITTED


# --------------------------------------------------------------------------- audit trail and records


@pytest.mark.django_db
def test_audit_event_cannot_be_deleted_or_changed(root_client, world, maya):
    submitted(world, maya)
    event = AuditEvent.objects.first()

    assert root_client.get(_url(AuditEvent, "delete", event.pk)).status_code == 403
    assert root_client.post(_url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    assert root_client.post(_url(AuditEvent, "change", event.pk), {"comment": "edited"}).status_code == 403
    changelist = root_client.get(_url(AuditEvent, "changelist"))
    assert b"delete_selected" not in changelist.content
    event.refresh_from_db()
    assert event.comment == ""


@pytest.mark.django_db
@pytest.mark.parametrize("model", [SignOff, Reservation], ids=lambda m: m.__name__)
def test_signoffs_and_reservations_are_read_only(root_client, world, maya, ishaan, lata, model):
    approved(world, maya, ishaan, lata)
    row = model.objects.first()
    assert root_client.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    assert root_client.post(_url(model, "change", row.pk), {}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_reservations_filtered_by_campaign_from_its_page(root_client, world, maya, ishaan, lata):
    campaign = approved(world, maya, ishaan, lata)
    response = root_client.get(_url(Reservation, "changelist"), {"campaign__id__exact": campaign.pk})
    assert response.status_code == 200
    assert response.context["cl"].result_count == Reservation.objects.filter(campaign=campaign).count()


# --------------------------------------------------------------------------- outbox


@pytest.mark.django_db
def test_retry_sets_failed_notifications_back_to_pending(root_client, maya, django_capture_on_commit_callbacks):
    failed = Notification.objects.create(recipient=maya, kind="x", subject="failed", state="failed", attempts=5)
    sent = Notification.objects.create(recipient=maya, kind="x", subject="sent", state="sent", attempts=1)

    with django_capture_on_commit_callbacks() as callbacks:
        response = root_client.post(
            _url(Notification, "changelist"), {"action": "retry", "_selected_action": [failed.pk, sent.pk]}
        )

    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.state, sent.state) == ("pending", "sent")
    assert (failed.attempts, sent.attempts) == (0, 1)  # a fresh set of attempts: one more failure is not the end
    assert len(callbacks) == 1  # published to the worker after commit
    assert _messages(response) == [
        (messages.SUCCESS, "1 failed notification(s) queued for delivery again."),
        (messages.INFO, "1 selected notification(s) had not failed; left as they are."),
    ]


@pytest.mark.django_db
def test_outbox_filters_on_state(root_client, maya):
    Notification.objects.create(recipient=maya, kind="x", subject="failed one", state="failed")
    Notification.objects.create(recipient=maya, kind="x", subject="sent one", state="sent")
    response = root_client.get(_url(Notification, "changelist"), {"state__exact": "failed"})
    assert response.status_code == 200
    assert [n.subject for n in response.context["cl"].result_list] == ["failed one"]
