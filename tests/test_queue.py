"""The approval queue in SQL (`selectors.approval_queue`, `pending_signoffs`).

1. It finds, orders and counts exactly what the Python queue it replaced did
   (tests/queue_reference.py, the oracle), for every kind of user, over a dataset that
   mixes every state a campaign's sign-offs can be in and ties on every sort key.
2. The queue API and the queue page run the same number of queries with 10 and with
   1,000 campaigns waiting, whether the page's checks are kept or not.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import dashboard_selectors as dashboard
from campaigns import selectors, services
from campaigns.models import Campaign, CampaignRegion, CampaignSku, Status
from capacity.models import SignOff
from mopsync import versions
from mopsync.roles import MARKETING, OPS_INVENTORY, OPS_LEAD, OPS_LOGISTICS
from mopsync.tokens import token_create
from tests import queue_reference as reference
from tests.helpers import make_world, session_queries

TODAY = timezone.localdate()
NOW = timezone.now().replace(microsecond=0)
DIMENSIONS = ("inventory", "courier")


def _user(username: str, *roles: str, superuser: bool = False) -> User:
    user = User.objects.create_user(username=username, password="pw", is_superuser=superuser)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def _users() -> dict[str, User]:
    """One user of every kind the queue tells apart."""
    return {
        "marketing": _user("maya", MARKETING),
        "inventory": _user("ishaan", OPS_INVENTORY),
        "logistics": _user("lata", OPS_LOGISTICS),
        "lead": _user("omar", OPS_LEAD),
        "both": _user("bea", OPS_INVENTORY, OPS_LOGISTICS),
        "marketing_and_lead": _user("mo", MARKETING, OPS_LEAD),  # marketing wins: nothing
        "no_role": _user("nina"),
        "superuser": _user("root", superuser=True),  # acts as a lead
    }


def _varied_campaigns(users: dict[str, User], count: int, seed: int) -> None:
    """`count` campaigns in random states (seeded): every status, plan versions whose
    sign-offs are current, voided (valid_from moved past them) or of an older version
    that still covers a dimension; scale-ups; and few distinct values of every sort
    key (late notice, deadline, start, wait) so that ties are the rule, nulls included."""
    rng = random.Random(seed)
    owners = [users["marketing"], users["marketing"], users["lead"], users["inventory"], users["both"]]
    actor = users["lead"]
    statuses = [Status.SUBMITTED] * 5 + [Status.LIVE, Status.PAUSED] * 2 + list(Status)
    moments = [None, NOW - dt.timedelta(days=2), NOW - dt.timedelta(hours=5), NOW + dt.timedelta(hours=20)]
    for i in range(count):
        status = rng.choice(statuses)
        version = rng.randint(1, 3)
        starts = TODAY + dt.timedelta(days=rng.choice([-3, 2, 2, 9]))
        campaign = Campaign.objects.create(
            name=f"C{i}",
            channel="meta",
            owner=rng.choice(owners),
            starts_on=starts,
            ends_on=starts + dt.timedelta(days=5),
            orders_per_day=10,
            status=status,
            plan_version=version,
            inventory_valid_from=rng.randint(1, version),
            courier_valid_from=rng.randint(1, version),
            scale_up_pending=rng.random() < 0.6,
            late_notice=rng.random() < 0.3,
            submitted_at=rng.choice(moments),
            signoff_due_at=rng.choice(moments),
        )
        # `updated_at` is set on save: give it a few shared values too (QuerySet.update keeps them).
        Campaign.objects.filter(pk=campaign.pk).update(updated_at=rng.choice(moments[1:]))
        SignOff.objects.bulk_create(
            SignOff(
                campaign=campaign,
                dimension=dimension,
                decision=rng.choice(list(SignOff.Decision)),
                actor=actor,
                plan_version=v,
            )
            for dimension in DIMENSIONS
            for v in range(1, version + 1)
            if rng.random() < 0.45
        )


def _seen(entries) -> list[tuple]:
    return [(e.campaign.pk, tuple(e.dimensions), e.scale_up, e.waiting_since) for e in entries]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sql_queue_is_the_python_queue_for_every_user(seed):
    users = _users()
    _varied_campaigns(users, 160, seed)

    for kind, user in users.items():
        expected = reference.approval_queue(user)
        queue = selectors.approval_queue(user)
        assert _seen(selectors.queue_entries(queue)) == _seen(expected), kind
        counts = selectors.queue_counts(queue)
        late = sum(1 for e in expected if e.campaign.late_notice and not e.scale_up)
        assert counts == {"total": len(expected), "late": late}, kind
        # A page is the same slice of the same order.
        assert _seen(selectors.queue_entries(queue[7:19])) == _seen(expected[7:19]), kind
    assert len(reference.approval_queue(users["lead"])) > 20  # the dataset is not trivially empty
    assert not selectors.approval_queue(users["marketing_and_lead"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [4, 5])
def test_everyone_pending_is_the_python_list_of_the_dashboard_and_the_report(seed):
    _varied_campaigns(_users(), 160, seed)
    expected = reference.everyone_pending()

    found = selectors.pending_signoffs().order_by(*selectors.URGENT_FIRST, "pk")

    assert [(c.pk, selectors.waiting_on(c), c.waiting_since) for c in found] == [
        (e.campaign.pk, e.dimensions, e.waiting_since) for e in expected
    ]
    board = dashboard.dashboard(today=TODAY)
    assert board.pending_total == len(expected)
    assert [(p.campaign.pk, tuple(p.dimensions), p.scale_up, p.waiting_since) for p in board.pending] == _seen(
        expected[: dashboard.PENDING_SHOWN]
    )


# --------------------------------------------------------------------------- queries at 10 and 1,000


def _waiting(world, owner, count: int, start: int) -> None:
    """`count` more submitted campaigns, each with a line of each kind, some half signed."""
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            name=f"Waiting {i}",
            channel="meta",
            owner=owner,
            orders_per_day=5,
            status=Status.SUBMITTED,
            starts_on=TODAY + dt.timedelta(days=3 + i % 30),
            ends_on=TODAY + dt.timedelta(days=6 + i % 30),
            late_notice=i % 7 == 0,
            submitted_at=NOW - dt.timedelta(minutes=i),
            signoff_due_at=NOW + dt.timedelta(hours=i % 50) if i % 3 else None,
        )
        for i in range(start, start + count)
    )
    CampaignSku.objects.bulk_create(CampaignSku(campaign=c, sku=world.sku, share=1) for c in campaigns)
    CampaignRegion.objects.bulk_create(CampaignRegion(campaign=c, region=world.pune, share=1) for c in campaigns)
    SignOff.objects.bulk_create(
        SignOff(campaign=c, dimension="inventory", decision="approved", actor=owner, plan_version=1)
        for c in campaigns[::2]
    )


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _kept_and_after_a_write(client: Client, url: str, writer) -> tuple[int, int]:
    """Queries of a request whose page's checks are kept, and of the first after a write."""
    client.get(url)
    kept = _count(client, url)
    services.promo_window_save(actor=writer, name="A write", starts_on=TODAY, ends_on=TODAY)  # pages forget
    return kept, _count(client, url)


# Kept: the user (with roles; for the page also the session), the data's versions, the
# queue's count (with the late ones on the page) and its page (the API reads both in one
# query, mopsync.pagination.CountingPaginator); the API adds the page's lines (one query,
# campaigns.selectors.campaign_lines) and approvals (its JSON shows them).
# After a write the page loads the lines (1) for the check (the API has them already),
# and both run the batched check with the reference rows the process keeps (1: stock,
# inbound, held capacity and each campaign's own holds in one query;
# capacity.selectors.load_snapshots).
QUEUES = {"api": ("/api/v1/approval-queue/", (5, 6)), "page": ("/approvals/", (5, 7))}


@pytest.mark.django_db(transaction=True)  # committed, as a server sees it: pages keep only committed data
@pytest.mark.parametrize("name", list(QUEUES))
def test_the_queue_runs_the_same_queries_with_10_and_1000_waiting(name):
    versions.clear()
    world = make_world()
    maya, omar = _user("maya", MARKETING), _user("omar", OPS_LEAD)
    if name == "api":
        client = Client(HTTP_AUTHORIZATION=f"Token {token_create(user=omar)[1]}")
    else:
        client = Client()
        client.force_login(omar)
    url, pinned = QUEUES[name]

    _waiting(world, maya, 10, start=0)
    with_10 = _kept_and_after_a_write(client, url, maya)
    _waiting(world, maya, 990, start=10)
    with_1000 = _kept_and_after_a_write(client, url, maya)

    if name == "page":  # pinned with the session in the database
        pinned = tuple(n - 1 + session_queries() for n in pinned)
    assert with_10 == with_1000 == pinned
    assert selectors.queue_counts(selectors.approval_queue(omar))["total"] == 1000


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [6, 7])
def test_the_queue_api_answers_what_its_serializer_renders(seed):
    """The API renders a page from rows (campaigns.api_json.queue_json); the oracle
    is QueueEntrySerializer over model instances, each campaign's check included."""
    from rest_framework.renderers import JSONRenderer

    from campaigns.serializers import QueueEntrySerializer
    from campaigns.verdicts import check_json

    users = _users()
    world = make_world(stock=200, lane_capacity=5)  # short of what the plans need: findings
    _varied_campaigns(users, 60, seed)
    for campaign in Campaign.objects.all()[::2]:  # lines on half of them: checks with findings
        CampaignSku.objects.create(campaign=campaign, sku=world.sku, share=1)
        CampaignRegion.objects.create(campaign=campaign, region=world.mumbai, share=1)
    user = users["lead"]
    expected_entries = reference.approval_queue(user)
    results = selectors.capacity_checks([e.campaign for e in expected_entries])
    expected = QueueEntrySerializer(
        [
            {
                "campaign": e.campaign,
                "dimensions": list(e.dimensions),
                "scale_up": e.scale_up,
                "waiting_since": e.waiting_since,
                "check": check_json(results[e.campaign.pk], e.campaign),
                "changes_since_signoff": [c.as_dict() for c in selectors.changes_since_signoff(e.campaign)],
            }
            for e in expected_entries
        ],
        many=True,
    ).data
    client = Client(HTTP_AUTHORIZATION=f"Token {token_create(user=user)[1]}")

    response = client.get("/api/v1/approval-queue/?page_size=200")

    assert response.status_code == 200
    assert len(expected) > 10 and any(entry["check"]["findings"] for entry in expected)
    assert response.content.split(b'"results":', 1)[1][:-1] == JSONRenderer().render(expected)


@pytest.mark.django_db
def test_the_queue_api_pages_and_counts_from_one_query():
    """mopsync.pagination.CountingPaginator: the page's rows carry the count, the pages
    together are the queue in its order, and a page past the last is still a 404."""
    world = make_world()
    maya, omar = _user("maya", MARKETING), _user("omar", OPS_LEAD)
    client = Client(HTTP_AUTHORIZATION=f"Token {token_create(user=omar)[1]}")
    url = "/api/v1/approval-queue/?page_size=50"
    empty = client.get(url).json()
    assert (empty["count"], empty["results"], empty["next"]) == (0, [], None)

    _waiting(world, maya, 120, start=0)
    pages = [client.get(f"{url}&page={n}").json() for n in (1, 2, 3)]

    assert [page["count"] for page in pages] == [120, 120, 120]
    assert [len(page["results"]) for page in pages] == [50, 50, 20]
    assert "page=2" in pages[0]["next"] and pages[0]["previous"] is None and pages[2]["next"] is None
    order = list(selectors.approval_queue(omar).values_list("pk", flat=True))
    assert [entry["campaign"]["id"] for page in pages for entry in page["results"]] == order
    assert client.get(f"{url}&page=last").json()["results"] == pages[2]["results"]
    assert client.get(f"{url}&page=4").status_code == 404
    assert client.get(f"{url}&page=0").status_code == 404
    assert "page_total" not in pages[0]["results"][0]["campaign"]
