"""`manage.py load_demo`: a realistic brand, built through the real services, idempotent."""

import io
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from campaigns import metrics
from campaigns.management import demo_brand as demo
from campaigns.models import (
    ActualOrders,
    AuditEvent,
    Campaign,
    CampaignSpend,
    Notification,
    PostCampaignReview,
    PromoWindow,
    Status,
)
from campaigns.selectors import campaign_capacity_check
from capacity.models import (
    CapacityConstraint,
    Courier,
    CourierLane,
    CsatResponse,
    InboundShipment,
    LanePerformance,
    Region,
    Reservation,
    ReturnRecord,
    SignOff,
    Sku,
    StockLevel,
    SupportTicketCount,
    Warehouse,
)

pytestmark = pytest.mark.django_db

EVERY_MODEL = (
    User, Warehouse, Sku, Region, Courier, CourierLane, StockLevel, InboundShipment, CapacityConstraint,
    PromoWindow, Campaign, SignOff, Reservation, AuditEvent, Notification, PostCampaignReview,
    LanePerformance, ReturnRecord, ActualOrders, CampaignSpend, SupportTicketCount, CsatResponse,
)  # fmt: skip
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
USERS = ("maya", "ishaan", "lata", "omar", "sana", "admin")


def load_demo(**options) -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in EVERY_MODEL}


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """Load the demo once for the module, inside a transaction rolled back afterwards
    (with the fast hasher the function-scoped conftest fixture sets for each test)."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        output = load_demo(force=True)
        yield output
        transaction.set_rollback(True)


# ---------------------------------------------------------------- refusals (need no demo loaded)


def test_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    before = counts()
    with pytest.raises(CommandError, match="DEBUG is off"):
        load_demo()
    assert counts() == before


def test_a_failure_leaves_nothing_half_loaded(settings, monkeypatch):
    settings.DEBUG = True
    before = counts()
    monkeypatch.setattr(demo, "SKUS", [*demo.SKUS, ("ZZZ-999", "Never saved", 0, 0, "0", 10)])

    def boom(self):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(demo.CampaignLoader, "load", boom)
    with pytest.raises(CommandError, match="nothing was changed"):
        load_demo()
    assert not Sku.objects.filter(code="ZZZ-999").exists()
    assert counts() == before


# ---------------------------------------------------------------- what the demo contains


def test_reference_data(demo_output):
    assert Warehouse.objects.count() == 3
    assert Sku.objects.count() == 40
    assert Region.objects.count() == 12
    assert Courier.objects.count() == 4
    assert StockLevel.objects.count() == 40 * 3
    assert InboundShipment.objects.exists()
    assert Region.objects.filter(warehouse__isnull=True).exists()
    assert Sku.objects.filter(return_rate__gt="0.20").count() >= 3
    assert CourierLane.objects.filter(ndr_rate__gt="0.28").values("region").distinct().count() >= 2
    assert CourierLane.objects.filter(avg_delivery_days__gt=5).exists()
    assert CourierLane.objects.filter(cod_supported=False).exists()
    kinds = set(CapacityConstraint.objects.values_list("kind", flat=True))
    assert kinds == set(CapacityConstraint.Kind.values)
    today = timezone.localdate()
    assert not CapacityConstraint.objects.filter(ends_on__lt=today).exists(), "constraints are in the coming weeks"
    assert 3 <= PromoWindow.objects.count() <= 4


def test_campaigns_cover_every_status(demo_output):
    statuses = Counter(Campaign.objects.values_list("status", flat=True))
    assert set(statuses) == set(Status.values)
    assert 13 <= sum(statuses.values()) <= 17
    assert set(Campaign.objects.values_list("owner__username", flat=True)) == {"maya"}


def test_every_campaign_has_an_audit_trail_from_real_actors(demo_output):
    for campaign in Campaign.objects.all():
        events = list(campaign.events.all())
        assert events, campaign.name
        assert events[0].action == "create" and events[0].actor.username == "maya"
        assert events[-1].to_status == campaign.status, campaign.name
    now = timezone.now()
    assert not AuditEvent.objects.filter(created_at__gt=now).exists(), "history is in the past"
    signers = set(SignOff.objects.values_list("actor__username", flat=True))
    assert signers == {"ishaan", "lata", "sana"}  # sana: customer support (the demo has support teams)
    movers = set(AuditEvent.objects.filter(action__in=["pause", "cancel"]).values_list("actor__username", flat=True))
    assert "omar" in movers


def test_approved_live_and_paused_campaigns_hold_reservations(demo_output):
    holding = Campaign.objects.filter(status__in=[Status.APPROVED, Status.LIVE, Status.PAUSED])
    assert holding.count() >= 4
    for campaign in holding:
        dimensions = set(campaign.reservations.values_list("dimension", flat=True))
        assert dimensions == {"inventory", "courier", "support"}, campaign.name
    released = Campaign.objects.filter(status__in=[Status.CANCELLED, Status.REJECTED, Status.DRAFT])
    assert not Reservation.objects.filter(campaign__in=released).exists()


def test_the_workflow_stories(demo_output):
    today = timezone.localdate()
    assert Campaign.objects.filter(status=Status.LIVE, scale_up_pending=True).count() == 1
    assert Campaign.objects.filter(status=Status.SUBMITTED, late_notice=True).exists()
    assert SignOff.objects.filter(decision="approved", approved_orders_per_day__isnull=False).exists()
    capped = Campaign.objects.get(signoffs__approved_orders_per_day__isnull=False)
    assert capped.status == Status.APPROVED and capped.approved_orders_per_day < capped.orders_per_day
    assert Campaign.objects.filter(plan_version__gt=1, status=Status.APPROVED).exists(), "a resubmission"
    for campaign in Campaign.objects.filter(status__in=[Status.LIVE, Status.PAUSED]):
        assert campaign.starts_on <= today <= campaign.ends_on
    completed = Campaign.objects.filter(status=Status.COMPLETED)
    assert completed.count() >= 1
    for campaign in completed:
        assert campaign.ends_on < today
        assert campaign.review.actual_orders
    for campaign in Campaign.objects.filter(status__in=[Status.SUBMITTED, Status.APPROVED]):
        assert campaign.starts_on > today


def test_imported_figures_feed_the_shared_metrics(demo_output):
    """Courier performance, returns, actual orders and spend, as the daily imports would
    bring them: up to yesterday, for every campaign that has run."""
    today = timezone.localdate()
    assert LanePerformance.objects.count() == CourierLane.objects.count() * demo.PERFORMANCE_MONTHS
    assert ReturnRecord.objects.filter(date__lt=today).count() == ReturnRecord.objects.count() > 0
    ran = Campaign.objects.filter(status__in=[Status.LIVE, Status.PAUSED, Status.COMPLETED], starts_on__lt=today)
    assert ran.exists()
    for campaign in ran:
        assert ActualOrders.objects.filter(campaign=campaign).exists(), campaign.name
        assert CampaignSpend.objects.filter(campaign=campaign).exists(), campaign.name
    assert not ActualOrders.objects.filter(date__gte=today).exists()
    panels = metrics.dashboard_panels()
    assert panels["ndr"] and panels["returns"] and panels["roas"]
    assert all(row["ndr_rate"] is not None for row in panels["ndr"])


def test_the_approval_queue_has_verdicts_to_show(demo_output):
    results = {c.name: campaign_capacity_check(c) for c in Campaign.objects.filter(status=Status.SUBMITTED)}
    assert {"exceeds", "fits_with_warnings"} <= {result.verdict for result in results.values()}
    # The end of season sale brings more tickets than support can answer during the Pune offsite.
    support = [f for f in results["End of season sale: all India"].findings if f.dimension == "support"]
    assert support and support[0].message.startswith("Support can answer "), support
    assert "Pune support team offsite" in support[0].message


def test_prints_a_short_summary(demo_output):
    assert "demo ready" in demo_output
    assert "40 SKUs" in demo_output
    assert len(demo_output.splitlines()) <= 10


def test_demo_users_can_sign_in(demo_output, client):
    for username in USERS:
        assert client.login(username=username, password="demo-pass-123"), username
        client.logout()
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="maya").email == "maya@demo.mopsync.local"
    assert set(User.objects.get(username="lata").groups.values_list("name", flat=True)) == {"ops_logistics"}


# ---------------------------------------------------------------- idempotent


def test_running_again_changes_nothing(demo_output, settings):
    settings.DEBUG = True
    before = counts()
    statuses = dict(Campaign.objects.values_list("name", "status"))
    output = load_demo()
    assert counts() == before
    assert dict(Campaign.objects.values_list("name", "status")) == statuses
    assert "0 campaigns created" in output


def test_if_empty_skips_when_campaigns_exist(demo_output, settings):
    settings.DEBUG = True
    before = counts()
    assert "nothing to do" in load_demo(if_empty=True)
    assert counts() == before
