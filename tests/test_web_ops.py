"""The ops screens: the approval queue (`/approvals/`, sign-offs in place with htmx and
without JavaScript) and the shared dashboard (`/`).

maya owns the campaigns (marketing), mark is another marketer, ishaan signs off
inventory, lata couriers, omar both; the outsider has no role.
"""

import datetime as dt
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns import dashboard_selectors as dashboard
from campaigns import services
from campaigns.models import AuditEvent, Campaign, Notification, Status
from capacity.models import CapacityConstraint, CourierLane, Reservation, SignOff
from tests.helpers import approved, live, make_world, session_queries, submitted

QUEUE = "/approvals/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def sign_off_url(campaign) -> str:
    return f"/approvals/{campaign.pk}/sign-off/"


def post_sign_off(client, campaign, *, htmx=True, next=QUEUE, **data):
    data.setdefault("dimension", "inventory")
    data.setdefault("decision", "approved")
    return client.post(sign_off_url(campaign), {"next": next, **data}, **(HTMX if htmx else {}))


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def nothing_changed(campaign, *, signoffs=0, events=None, notes=None) -> None:
    fresh = Campaign.objects.get(pk=campaign.pk)
    assert fresh.status == campaign.status
    assert fresh.plan_version == campaign.plan_version
    assert SignOff.objects.filter(campaign=campaign).count() == signoffs
    if events is not None:
        assert AuditEvent.objects.filter(campaign=campaign).count() == events
    if notes is not None:
        assert Notification.objects.count() == notes


@pytest.fixture
def world(db):
    return make_world()


# --------------------------------------------------------------------------- every role sees a page


@pytest.mark.parametrize(
    ("who", "queue_status"),
    [("maya", 403), ("mark", 403), ("outsider", 403), ("ishaan", 200), ("lata", 200), ("omar", 200)],
)
def test_both_pages_render_for_each_role(request, client, world, maya, ishaan, lata, who, queue_status):
    submitted(world, maya)
    approved(world, maya, ishaan, lata, name="Approved one")
    live(world, maya, ishaan, lata, name="Live one")
    client.force_login(request.getfixturevalue(who))

    assert client.get("/").status_code == (403 if who == "outsider" else 200)  # no role: no plans
    response = client.get(QUEUE)
    assert response.status_code == queue_status
    if queue_status == 403:
        assert b"nothing here for you to sign off" in response.content
        assert b'class="signoff"' not in response.content


def test_marketing_is_told_why_the_queue_is_not_theirs(client, maya, outsider):
    client.force_login(maya)
    assert b"Marketing never signs off" in client.get(QUEUE).content
    client.force_login(outsider)
    assert b"no operations role" in client.get(QUEUE).content


def test_pages_need_a_sign_in(client, world, maya):
    campaign = submitted(world, maya)
    assert client.get("/").status_code == 302
    assert client.get(QUEUE).status_code == 302
    assert post_sign_off(client, campaign).status_code == 302
    assert not SignOff.objects.exists()


# --------------------------------------------------------------------------- what the queue lists


@pytest.mark.parametrize(
    ("who", "dimensions"),
    [("ishaan", ["inventory"]), ("lata", ["courier"]), ("omar", ["inventory", "courier"])],
)
def test_queue_lists_only_what_the_user_can_sign(request, client, world, maya, who, dimensions):
    campaign = submitted(world, maya)
    client.force_login(request.getfixturevalue(who))

    response = client.get(QUEUE)

    rows = response.context["rows"]
    assert [(r.campaign.pk, list(r.dimensions)) for r in rows] == [(campaign.pk, dimensions)]
    html = response.content.decode()
    for dimension in ("inventory", "courier"):
        assert (f'id="signoff-{campaign.pk}-{dimension}"' in html) == (dimension in dimensions)


def test_queue_drops_a_dimension_once_it_is_decided(client, world, maya, ishaan, omar):
    campaign = submitted(world, maya)
    services.campaign_sign_off(campaign=campaign, actor=ishaan, dimension="inventory", decision="approved")

    client.force_login(ishaan)
    assert client.get(QUEUE).context["rows"] == []
    client.force_login(omar)
    assert [list(r.dimensions) for r in client.get(QUEUE).context["rows"]] == [["courier"]]


def test_queue_entry_shows_dates_wait_verdict_and_findings(client, maya, omar):
    world = make_world(lane_capacity=80)  # 50 orders/day per region fit; 100 do not
    campaign = submitted(world, maya, orders_per_day=200, starts_on=days(5), ends_on=days(9))
    client.force_login(omar)

    html = client.get(QUEUE).content.decode()

    assert f'href="/campaigns/{campaign.pk}/"' in html
    assert "Meta" in html and "launches in 5 days" in html
    assert "Waiting" in html and "minute" in html
    assert 'class="verdict verdict-exceeds"' in html
    assert "Up to 160 orders/day fit; the plan asks 200." in html
    assert "Courier &amp; dispatch binds: couriers to Mumbai." in html
    assert "Mumbai can take 80 orders/day; the plan needs 100" in html
    assert "Approve with a cap of 160 or less" in html


def test_queue_orders_late_notice_first_then_earliest_deadline(client, world, maya, omar):
    later = submitted(world, maya, name="Later", starts_on=days(20), ends_on=days(22))
    sooner = submitted(world, maya, name="Sooner", starts_on=days(10), ends_on=days(12))
    late_in_two = submitted(world, maya, name="Late, in two days", starts_on=days(2), ends_on=days(4))
    late_tomorrow = submitted(world, maya, name="Late, tomorrow", starts_on=days(1), ends_on=days(3))
    assert late_tomorrow.late_notice and late_in_two.late_notice and not sooner.late_notice
    client.force_login(omar)

    response = client.get(QUEUE)

    expected = [late_tomorrow.pk, late_in_two.pk, sooner.pk, later.pk]
    assert [r.campaign.pk for r in response.context["rows"]] == expected
    html = response.content.decode()
    positions = [html.index(f'id="entry-{pk}"') for pk in expected]
    assert positions == sorted(positions)
    assert html.count("late notice</span>") == 2
    assert "2 late notice" in html


# --------------------------------------------------------------------------- signing off in place (htmx)


def test_htmx_approve_returns_the_entry_and_signs_the_dimension(client, world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    client.force_login(ishaan)

    response = post_sign_off(client, campaign)

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#entry-{campaign.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert "<html" not in html
    assert f'id="entry-{campaign.pk}"' in html
    assert "Approved inventory — waiting for courier." in html
    assert 'class="signoff"' not in html  # nothing left for ishaan to decide
    signoff = SignOff.objects.get(campaign=campaign)
    assert (signoff.dimension, signoff.decision, signoff.actor) == ("inventory", "approved", ishaan)
    assert Campaign.objects.get(pk=campaign.pk).status == Status.SUBMITTED

    client.force_login(lata)
    response = post_sign_off(client, campaign, dimension="courier")

    assert "Approved courier — Diwali tees is approved at 100 orders/day." in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).status == Status.APPROVED


def test_htmx_approve_by_a_lead_keeps_the_other_form_in_the_entry(client, world, maya, omar):
    campaign = submitted(world, maya)
    client.force_login(omar)

    html = post_sign_off(client, campaign).content.decode()

    assert "Approved inventory — waiting for courier." in html
    assert f'id="signoff-{campaign.pk}-courier"' in html
    assert f'id="signoff-{campaign.pk}-inventory"' not in html


def test_approve_with_a_cap(client, world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    client.force_login(ishaan)

    html = post_sign_off(client, campaign, approved_orders_per_day="60").content.decode()

    assert "Approved inventory at 60 orders/day — waiting for courier." in html
    assert SignOff.objects.get(campaign=campaign).approved_orders_per_day == 60
    client.force_login(lata)
    post_sign_off(client, campaign, dimension="courier")
    fresh = Campaign.objects.get(pk=campaign.pk)
    assert (fresh.status, fresh.approved_orders_per_day) == (Status.APPROVED, 60)
    assert (
        Reservation.objects.filter(campaign=campaign, kind="lane").values_list("quantity", flat=True).distinct()[0]
        == 30
    )  # 60 orders/day, half to each region


def test_request_changes_and_reject_with_a_comment(client, world, maya, ishaan, lata):
    asked = submitted(world, maya, name="Asked")
    refused = submitted(world, maya, name="Refused")
    client.force_login(ishaan)

    html = post_sign_off(client, asked, decision="changes_requested", comment="Move TEE-01 to next week").content
    assert "Requested changes on inventory — Asked went back to maya." in html.decode()
    assert Campaign.objects.get(pk=asked.pk).status == Status.CHANGES_REQUESTED

    client.force_login(lata)
    html = post_sign_off(client, refused, dimension="courier", decision="rejected", comment="Pune NDR").content
    assert "Rejected courier — Refused is rejected" in html.decode()
    assert Campaign.objects.get(pk=refused.pk).status == Status.REJECTED


def test_request_changes_without_a_comment_shows_the_error_and_changes_nothing(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    events, notes = AuditEvent.objects.count(), Notification.objects.count()
    client.force_login(ishaan)

    response = post_sign_off(client, campaign, decision="changes_requested", comment="  ")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="signoff-{campaign.pk}-inventory"' in html
    assert 'role="alert">Comment: This field is required.</p>' in html
    nothing_changed(campaign)
    assert (AuditEvent.objects.count(), Notification.objects.count()) == (events, notes)


def test_a_refused_form_keeps_what_was_typed(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)

    html = post_sign_off(client, campaign, approved_orders_per_day="lots", comment="ok <b>fine</b>").content.decode()

    assert "Cap (orders/day): A whole number is required." in html
    assert 'value="lots"' in html
    assert 'value="ok &lt;b&gt;fine&lt;/b&gt;"' in html
    nothing_changed(campaign)


def test_capacity_taken_refusal_is_shown_in_the_fragment(client, maya, ishaan, lata):
    world = make_world(lane_capacity=150)  # each plan sends 100 orders/day to each city
    first = submitted(world, maya, name="First", orders_per_day=200)
    second = submitted(world, maya, name="Second", orders_per_day=200)
    client.force_login(lata)
    # Both fit on their own, so both look fine in the queue ...
    rows = client.get(QUEUE).context["rows"]
    assert [r.result.verdict for r in rows] == ["fits", "fits"]
    post_sign_off(client, first, dimension="courier")

    # ... until the first approval takes the lanes.
    response = post_sign_off(client, second, dimension="courier", comment="busy week")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="signoff-{second.pk}-courier"' in html
    assert "Not enough courier capacity for 200 orders/day: at most 100 fit now." in html
    assert "Mumbai can take 50 orders/day; the plan needs 100" in html
    assert 'value="busy week"' in html
    nothing_changed(second)
    assert not Reservation.objects.filter(campaign=second).exists()


def test_a_marketer_posting_a_sign_off_is_refused_and_nothing_changes(client, world, maya, mark):
    campaign = submitted(world, maya)
    events, notes = AuditEvent.objects.count(), Notification.objects.count()

    client.force_login(mark)
    html = post_sign_off(client, campaign).content.decode()
    assert "Marketing can never sign off capacity." in html

    client.force_login(maya)
    response = post_sign_off(client, campaign, htmx=False, next=f"/campaigns/{campaign.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Marketing can never sign off capacity." in page

    nothing_changed(campaign)
    assert (AuditEvent.objects.count(), Notification.objects.count()) == (events, notes)
    assert not Reservation.objects.filter(campaign=campaign).exists()


def test_a_dimension_outside_the_role_is_refused(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)

    html = post_sign_off(client, campaign, dimension="courier").content.decode()

    assert "Signing off courier needs the ops_logistics or ops_lead role." in html
    nothing_changed(campaign)


def test_deciding_twice_is_refused_in_the_fragment(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)
    post_sign_off(client, campaign)

    html = post_sign_off(client, campaign).content.decode()

    assert "already" in html and 'class="errors"' in html
    assert SignOff.objects.filter(campaign=campaign).count() == 1


def test_htmx_sign_off_from_a_campaign_page_replaces_the_form(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)

    response = post_sign_off(client, campaign, next=f"/campaigns/{campaign.pk}/")

    assert "HX-Retarget" not in response
    html = response.content.decode()
    assert f'id="signoff-{campaign.pk}-inventory"' in html
    assert "Approved inventory — waiting for courier." in html


# --------------------------------------------------------------------------- without JavaScript


def test_approve_without_htmx_redirects_back_with_a_message(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)

    response = post_sign_off(client, campaign, htmx=False)

    assert response.status_code == 302 and response["Location"] == QUEUE
    assert SignOff.objects.filter(campaign=campaign, decision="approved").exists()
    page = client.get(QUEUE).content.decode()
    assert "Approved inventory — waiting for courier." in page
    assert f'id="entry-{campaign.pk}"' not in page


def test_refusal_without_htmx_redirects_with_the_reason(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)

    response = post_sign_off(client, campaign, htmx=False, decision="rejected")

    assert response["Location"] == QUEUE
    assert "Comment: This field is required." in client.get(QUEUE).content.decode()
    nothing_changed(campaign)


@pytest.mark.parametrize("next", ["https://evil.example/", "//evil.example/x", "", "javascript:alert(1)"])
def test_next_stays_on_the_site(client, world, maya, ishaan, next):
    campaign = submitted(world, maya)
    client.force_login(ishaan)

    assert post_sign_off(client, campaign, htmx=False, next=next)["Location"] == QUEUE


# --------------------------------------------------------------------------- bad input is never a 500


def test_sign_off_is_post_only(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)
    assert client.get(sign_off_url(campaign)).status_code == 405
    assert client.post("/approvals/", {}).status_code == 405


def test_unknown_campaign_is_404(client, world, ishaan):
    client.force_login(ishaan)
    assert client.post("/approvals/999999/sign-off/", {"dimension": "inventory"}, **HTMX).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"approved_orders_per_day": "12.5"}, "A whole number is required."),
        ({"approved_orders_per_day": "99999999999999999999"}, "Must be between 1 and the plan's 100."),
        ({"approved_orders_per_day": "-3"}, "Must be between 1 and the plan's 100."),
        ({"approved_orders_per_day": "0x10"}, "A whole number is required."),
        ({"dimension": "warehouse"}, "Dimension: Must be one of"),
        ({"dimension": ""}, "Dimension: Must be one of"),
        ({"decision": "maybe"}, "Decision: Must be one of"),
        ({"decision": ""}, "Decision: Must be one of"),
        ({"comment": "nul \x00 byte"}, "Must not contain NUL characters."),
        ({"comment": "x" * 5001}, "At most 5000 characters."),
        (
            {"decision": "rejected", "approved_orders_per_day": "50", "comment": "no"},
            "A cap goes only with an approval.",
        ),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_bad_input_is_refused_and_changes_nothing(client, world, maya, ishaan, data, message, htmx):
    campaign = submitted(world, maya)
    client.force_login(ishaan)

    response = post_sign_off(client, campaign, htmx=htmx, **data)

    if htmx:
        assert response.status_code == 200
        assert message in unescape(response.content.decode())
    else:
        assert response.status_code == 302
        assert message in unescape(client.get(QUEUE).content.decode())
    nothing_changed(campaign)


# --------------------------------------------------------------------------- the dashboard


def test_dashboard_morning_view(client, maya, ishaan, lata, omar):
    world = make_world(stock=400)
    CourierLane.objects.filter(pk=world.lane_pune.pk).update(ndr_rate=Decimal("0.35"), avg_delivery_days=6)
    today = timezone.localdate()
    running = live(world, maya, ishaan, lata, name="Running", ends_on=days(4))
    due = submitted(world, maya, name="Due today", starts_on=today, ends_on=days(4))
    soon = submitted(world, maya, name="Soon", starts_on=days(3), ends_on=days(5))
    services.campaign_sign_off(campaign=soon, actor=lata, dimension="courier", decision="approved")
    draft = services.campaign_create(
        actor=maya,
        data={
            "name": "Unsent draft",
            "channel": "email",
            "starts_on": days(5),
            "ends_on": days(6),
            "orders_per_day": 10,
            "skus": [{"sku": "TEE-01", "share": "1"}],
            "regions": [{"region": "MUM", "share": "1"}],
        },
    )
    far = submitted(world, maya, name="Next month", starts_on=days(30), ends_on=days(31))
    client.force_login(omar)

    response = client.get("/")

    board = response.context["board"]
    assert [c.pk for c in board.launches_today] == [running.pk, due.pk]
    assert [c.pk for c in board.launches_week] == [soon.pk, draft.pk]
    assert [c.pk for c in board.due_unapproved] == [due.pk]
    # Late notice first; "Soon" waits only for inventory now.
    assert [(p.campaign.pk, p.dimensions) for p in board.pending] == [
        (due.pk, ["inventory", "courier"]),
        (soon.pk, ["inventory"]),
        (far.pk, ["inventory", "courier"]),
    ]
    assert {f.region for f in board.region_flags} == {"Pune (PUN)"}
    assert {f.kind for f in board.region_flags} == {"ndr", "slow"}
    slow = next(f for f in board.region_flags if f.kind == "slow")  # one sentence, every campaign
    assert [c.pk for c in slow.campaigns] == [running.pk, due.pk, soon.pk, far.pk]

    html = response.content.decode()
    for campaign in (running, due, soon, draft, far):
        assert f'href="/campaigns/{campaign.pk}/"' in html
    assert "35% of deliveries fail in Pune" in html
    assert "Couriers to Pune average 6.0 days; the plan promises 4." in html
    assert "not approved</span>" in html

    # Capacity use and inventory at risk: sections the page loads by requests of their own.
    for name in ("capacity", "stock"):
        assert f'hx-get="/dashboard/{name}/" hx-trigger="load" hx-swap="outerHTML"' in html
    capacity = client.get("/dashboard/capacity/", headers={"HX-Request": "true"})
    assert capacity.context["capacity"][0].courier.held == 100  # the live campaign's orders today
    assert capacity.context["capacity"][0].courier.capacity == 2_000
    fragment = capacity.content.decode()
    assert fragment.lstrip().startswith('<section class="card wide" aria-labelledby="h-capacity">')  # no page around
    assert '<svg class="capacity-chart"' in fragment and "Capacity use as a table" in fragment
    for resource in ("courier", "dispatch"):
        assert f'<title id="{resource}-title">' in fragment and f'<desc id="{resource}-desc">' in fragment
    # TEE-01: 400 on hand; Running and Due today each want 60/day for five days.
    stock = client.get("/dashboard/stock/", headers={"HX-Request": "true"})
    risk = [(r.sku_code, r.campaign.pk) for r in stock.context["stock_risks"]]
    assert ("TEE-01", running.pk) in risk and ("TEE-01", due.pk) in risk
    assert f'href="/campaigns/{running.pk}/"' in stock.content.decode()


def test_a_dashboard_section_without_javascript_is_a_page_of_its_own(client, world, maya, omar):
    submitted(world, maya, name="Due today", starts_on=timezone.localdate(), ends_on=days(4))
    client.force_login(omar)

    page = client.get("/dashboard/capacity/")
    fragment = client.get("/dashboard/capacity/", headers={"HX-Request": "true"})

    assert page.status_code == fragment.status_code == 200
    assert "<title>Capacity use · Dashboard · mopsync</title>" in page.content.decode()
    assert 'href="/">Back to the dashboard</a>' in page.content.decode()
    assert "<!doctype" not in fragment.content.decode().lower()
    assert "HX-Request" in page["Vary"] and "HX-Request" in fragment["Vary"]
    # The dashboard's placeholders link to these pages.
    assert '<a href="/dashboard/capacity/">Capacity use</a> is loading' in client.get("/").content.decode()


def test_unknown_dashboard_sections_are_404_and_sections_need_a_role(client, world, omar, django_user_model):
    client.force_login(omar)
    assert client.get("/dashboard/nope/").status_code == 404
    assert client.post("/dashboard/capacity/").status_code == 405
    client.force_login(django_user_model.objects.create_user("nobody", password="pw-nobody"))
    assert client.get("/dashboard/capacity/").status_code == 403


def test_dashboard_capacity_applies_constraints_and_reservations(world, maya, ishaan, lata):
    today = timezone.localdate()
    live(world, maya, ishaan, lata, ends_on=days(1))
    CapacityConstraint.objects.create(
        kind="courier_holiday",
        starts_on=days(1),
        ends_on=days(1),
        courier=world.lane_mumbai.courier,
        capacity_factor=Decimal("0.5"),
    )
    CapacityConstraint.objects.create(
        kind="warehouse_blackout", starts_on=days(2), ends_on=days(2), warehouse=world.warehouse
    )

    use = dashboard.capacity_days(today=today)

    assert len(use) == 14
    assert [(d.courier.capacity, d.courier.held, d.dispatch.capacity, d.dispatch.held) for d in use[:3]] == [
        (2_000, 100, 10_000, 100),
        (1_000, 100, 10_000, 100),
        (2_000, 0, 0, 0),
    ]
    chart = dashboard.capacity_chart(use, "dispatch")
    assert chart["over_days"] == []
    assert [c["capacity"] for c in chart["columns"][:3]] == [10_000, 10_000, 0]
    assert chart["columns"][2]["cap_y"] == chart["base"]  # blackout: capacity line on the floor


def test_dashboard_empty_states(client, lata):
    client.force_login(lata)
    html = client.get("/").content.decode()
    assert "Nothing launches today." in html
    assert "Nothing is waiting for ops." in html
    stock = client.get("/dashboard/stock/", headers={"HX-Request": "true"}).content.decode()
    assert "Every featured SKU covers its campaigns to the end." in stock


# --------------------------------------------------------------------------- a fixed number of queries


def _campaigns(world, maya, ishaan, lata, count: int, *, start: int, mixed: bool) -> None:
    """`count` campaigns: all submitted, or a mix of submitted, approved and live."""
    for i in range(start, start + count):
        kind = i % 3 if mixed else 0
        if kind == 0:
            submitted(world, maya, name=f"Submitted {i}", starts_on=days(1 + i), ends_on=days(3 + i))
        elif kind == 1:
            approved(world, maya, ishaan, lata, name=f"Approved {i}", starts_on=days(2 + i), ends_on=days(4 + i))
        else:
            live(world, maya, ishaan, lata, name=f"Live {i}", orders_per_day=10)


def _queries(client, url: str) -> int:
    client.get(url)  # warm up: session, content types
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# Pinned, as computed (inside a test's transaction that wrote, what pages keep between
# requests is not used; tests/test_query_budget.py counts the kept path, at most 8):
# session, user with its roles and unread count (mopsync.auth), the batched check (6:
# SKUs, warehouses, regions, lanes, constraints, then stock, inbound, held capacity and
# each campaign's own holds in one). The queue adds its counts, its page and the page's
# lines (3, tests/test_queue.py); the dashboard adds the most urgent sign-offs
# with their count (1), the campaigns and their SKU lines, region lines and sign-offs
# (4). Its sections, each a request of its own, read after the session and user: capacity
# use (lanes, constraints and warehouses, kept between requests but read anew inside a
# transaction that wrote, then what campaigns hold and ask in one: 4), inventory at risk
# (the campaigns drawing on stock, their SKU and region lines, on hand and inbound per SKU: 5), NDR by
# region (lane performance, lanes, regions, the targeted regions: 4), returns by SKU (1),
# forecast vs actual (the live campaigns and their orders: 2), ROAS (5).
@pytest.mark.parametrize(
    ("url", "mixed", "pinned"),
    [
        ("/", True, 13),
        (QUEUE, False, 11),
        ("/dashboard/capacity/", True, 6),
        ("/dashboard/stock/", True, 7),
        ("/dashboard/ndr/", True, 6),
        ("/dashboard/returns/", True, 3),
        ("/dashboard/forecast/", True, 4),
        ("/dashboard/roas/", True, 7),
    ],
)
def test_pages_run_a_fixed_number_of_queries(client, world, maya, ishaan, lata, omar, url, mixed, pinned):
    _campaigns(world, maya, ishaan, lata, 2, start=0, mixed=mixed)
    client.force_login(omar)
    with_two = _queries(client, url)

    _campaigns(world, maya, ishaan, lata, 8, start=2, mixed=mixed)
    with_ten = _queries(client, url)

    assert Campaign.objects.count() == 10
    if url == QUEUE:
        assert len(client.get(url).context["rows"]) == 10
    assert with_two == with_ten, f"{with_two} queries with 2 campaigns, {with_ten} with 10"
    assert with_ten == pinned - 1 + session_queries()  # pinned with the session in the database


# --------------------------------------------------------------------------- bounded by the morning, not the brand


def _checked(monkeypatch) -> list[int]:
    """Records how many campaigns each batched check is asked for."""
    sizes: list[int] = []
    real = dashboard.selectors.capacity_checks

    def counting(campaigns, **kwargs):
        campaigns = list(campaigns)
        sizes.append(len(campaigns))
        return real(campaigns, **kwargs)

    monkeypatch.setattr(dashboard.selectors, "capacity_checks", counting)
    return sizes


def test_the_queue_checks_one_page_at_a_time(client, world, maya, omar, monkeypatch):
    for i in range(7):
        submitted(world, maya, name=f"Plan {i}", starts_on=days(10 + i), ends_on=days(11 + i))
    monkeypatch.setattr(dashboard, "QUEUE_PAGE_SIZE", 3)
    sizes = _checked(monkeypatch)
    client.force_login(omar)

    first = client.get(QUEUE)
    last = client.get(QUEUE, {"page": "3"})
    beyond = client.get(QUEUE, {"page": "99"})
    junk = client.get(QUEUE, {"page": "x'; drop"})

    assert [r.campaign.name for r in first.context["rows"]] == ["Plan 0", "Plan 1", "Plan 2"]
    assert [r.campaign.name for r in last.context["rows"]] == ["Plan 6"]
    assert beyond.context["page"].number == 3 and junk.context["page"].number == 1
    assert sizes == [3, 1, 1, 3]  # never the whole queue
    html = first.content.decode()
    assert "7 waiting for you" in html and "Page 1 of 3" in html and 'href="?page=2"' in html
    assert 'name="next" value="/approvals/"' in html
    assert 'name="next" value="/approvals/?page=3"' in last.content.decode()


def test_the_dashboard_looks_at_the_next_two_weeks_and_the_most_urgent_sign_offs(
    client, world, maya, ishaan, lata, omar, monkeypatch
):
    monkeypatch.setattr(dashboard, "PENDING_SHOWN", 2)
    soon = approved(world, maya, ishaan, lata, name="Soon", starts_on=days(3), ends_on=days(5))
    later = approved(world, maya, ishaan, lata, name="Next quarter", starts_on=days(90), ends_on=days(95))
    waiting = [
        submitted(world, maya, name=f"Waiting {i}", starts_on=days(20 + i), ends_on=days(21 + i)) for i in range(3)
    ]
    sizes = _checked(monkeypatch)
    client.force_login(omar)

    board = client.get("/").context["board"]

    assert [p.campaign.pk for p in board.pending] == [waiting[0].pk, waiting[1].pk]
    assert board.pending_total == 3
    assert set(board.results) == {soon.pk, waiting[0].pk, waiting[1].pk}  # not next quarter's, not the 3rd waiting
    assert later.pk not in board.results and sizes == [3]
    assert "The 2 most urgent of 3." in client.get("/").content.decode()
