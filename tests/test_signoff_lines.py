"""Per-SKU decisions in an inventory sign-off (issue 19, point 2): ops approve some SKUs
and refuse or cap others; the campaign goes live, holds stock and counts its volume
only with the approved lines; marketing sees the dropped lines and may ask for them again.

The plan of `tests.helpers.plan_data`: 100 orders/day, 1 unit per order, TEE-01 60% of
units (60 units/day), CAP-01 40% (40 units/day), five days, two regions of one warehouse.
"""

import datetime as dt
from fractions import Fraction

import pytest
from django.db.models import Sum
from django.utils import timezone

from campaigns import selectors, services
from campaigns.models import AuditEvent, Campaign, Notification, Status
from capacity import checks
from capacity.models import Reservation, SignOff, SignOffLine
from mopsync.errors import InvalidInput, TransitionNotAllowed
from tests.api_support import API, client_for, snapshot
from tests.helpers import make_world, plan_data, submitted

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(db):
    return make_world()


def refresh(campaign) -> Campaign:
    return Campaign.objects.get(pk=campaign.pk)


def held(campaign, *, sku=None, dimension=None, kind=None) -> int:
    rows = Reservation.objects.filter(campaign=campaign)
    if sku is not None:
        rows = rows.filter(sku=sku)
    if dimension:
        rows = rows.filter(dimension=dimension)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.aggregate(total=Sum("quantity"))["total"] or 0


def per_day(campaign, **filters) -> set[int]:
    """The quantities held per day (one value when every day holds the same)."""
    rows = Reservation.objects.filter(campaign=campaign, **filters).values("day").annotate(q=Sum("quantity"))
    return {row["q"] for row in rows}


def sign_inventory(campaign, actor, lines, **kwargs):
    return services.campaign_sign_off(
        campaign=campaign, actor=actor, dimension="inventory", decision="approved", lines=lines, **kwargs
    )


def sign_courier(campaign, actor):
    return services.campaign_sign_off(campaign=campaign, actor=actor, dimension="courier", decision="approved")


REFUSE_CAP = [{"sku": "CAP-01", "decision": "refused", "comment": "stock-out on the 14th"}]


# --------------------------------------------------------------------------- the approved plan


def test_the_approved_plan_keeps_approved_lines_and_caps_the_capped():
    plan = checks.Plan(
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 1, 5),
        orders_per_day=100,
        units_per_order=Fraction(1),
        cod_share=Fraction(0),
        delivery_promise_days=3,
        budget=Fraction(0),
        expected_order_value=Fraction(0),
        skus=(checks.SkuLine(1, Fraction(6, 10)), checks.SkuLine(2, Fraction(4, 10))),
        regions=(checks.RegionLine(1, Fraction(1)),),
    )
    assert checks.approved_plan(plan, {}) is plan
    refused = checks.approved_plan(plan, {2: 0})
    assert refused.orders_per_day == 60  # the orders of CAP-01's units do not happen
    assert [(line.sku_id, line.share) for line in refused.skus] == [(1, Fraction(1))]
    capped = checks.approved_plan(plan, {2: 20})
    assert capped.orders_per_day == 80
    assert checks.daily_units(capped, capped.skus[0].share, Fraction(1)) == 60  # as planned
    assert checks.daily_units(capped, capped.skus[1].share, Fraction(1)) == 20  # at its cap
    assert checks.approved_plan(plan, {1: 0, 2: 0}).orders_per_day == 0


# --------------------------------------------------------------------------- the service


def test_a_partial_approval_holds_only_the_approved_lines(world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    signoff = sign_inventory(campaign, ishaan, REFUSE_CAP)
    assert signoff.decision == SignOff.Decision.APPROVED
    line = SignOffLine.objects.get(signoff=signoff)
    assert (line.sku, line.decision, line.comment) == (world.sku2, "refused", "stock-out on the 14th")
    # The refused line's stock is not held; the approved one at its planned units.
    assert held(campaign, sku=world.sku2) == 0
    assert per_day(campaign, sku=world.sku) == {60}
    assert refresh(campaign).status == Status.SUBMITTED

    sign_courier(campaign, lata)
    campaign = refresh(campaign)
    assert campaign.status == Status.APPROVED
    # The going-live volume: 100 orders × 60% of the units still approved.
    assert campaign.approved_orders_per_day == 60
    assert per_day(campaign, kind="dispatch") == {60}
    assert per_day(campaign, sku=world.sku) == {60}


def test_a_capped_line_is_held_at_its_cap(world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    sign_inventory(campaign, ishaan, [{"sku": "CAP-01", "decision": "capped", "approved_units_per_day": 20}])
    assert per_day(campaign, sku=world.sku2) == {20}
    assert per_day(campaign, sku=world.sku) == {60}
    sign_courier(campaign, lata)
    campaign = refresh(campaign)
    # 100 × (0.6 + 0.4 × 20/40) = 80 orders/day; the lines keep their units.
    assert campaign.approved_orders_per_day == 80
    assert per_day(campaign, kind="dispatch") == {80}
    assert per_day(campaign, sku=world.sku2) == {20}
    assert per_day(campaign, sku=world.sku) == {60}


def test_an_orders_cap_and_lines_take_the_lower(world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    sign_inventory(campaign, ishaan, REFUSE_CAP, approved_orders_per_day=50)
    sign_courier(campaign, lata)
    assert refresh(campaign).approved_orders_per_day == 50
    assert per_day(campaign, sku=world.sku) == {50}


def test_courier_first_then_a_partial_inventory_shrinks_the_courier_holds(world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    sign_courier(campaign, lata)
    assert per_day(campaign, kind="dispatch") == {100}
    sign_inventory(campaign, ishaan, REFUSE_CAP)
    assert refresh(campaign).approved_orders_per_day == 60
    assert per_day(campaign, kind="dispatch") == {60}


@pytest.mark.parametrize(
    ("lines", "errors"),
    [
        ([{"sku": "NOPE", "decision": "refused"}], {"lines": [{"sku": True}]}),
        ([{"sku": "CAP-01", "decision": "maybe"}], {"lines": [{"decision": True}]}),
        ([{"sku": "CAP-01", "decision": "capped"}], {"lines": [{"approved_units_per_day": True}]}),
        (
            [{"sku": "CAP-01", "decision": "capped", "approved_units_per_day": 40}],
            {"lines": [{"approved_units_per_day": True}]},
        ),
        (
            [{"sku": "CAP-01", "decision": "refused", "approved_units_per_day": 10}],
            {"lines": [{"approved_units_per_day": True}]},
        ),
        (
            [{"sku": "CAP-01", "decision": "refused"}, {"sku": "CAP-01", "decision": "approved"}],
            {"lines": [{}, {"sku": True}]},
        ),
    ],
)
def test_bad_lines_are_refused_per_line_and_field(world, maya, ishaan, lines, errors):
    campaign = submitted(world, maya)
    before = snapshot()
    with pytest.raises(InvalidInput) as refused:
        sign_inventory(campaign, ishaan, lines)
    got = refused.value.errors["lines"]
    assert [{field: True for field in item} for item in got] == errors["lines"]
    assert snapshot() == before
    assert not SignOffLine.objects.exists()


def test_the_unknown_sku_message_names_the_plan_s_skus(world, maya, ishaan):
    campaign = submitted(world, maya)
    with pytest.raises(InvalidInput) as refused:
        sign_inventory(campaign, ishaan, [{"sku": "NOPE", "decision": "refused"}])
    assert "CAP-01, TEE-01" in refused.value.errors["lines"][0]["sku"][0]


def test_refusing_every_line_is_not_an_approval(world, maya, ishaan):
    campaign = submitted(world, maya)
    with pytest.raises(InvalidInput) as refused:
        sign_inventory(
            campaign, ishaan, [{"sku": "CAP-01", "decision": "refused"}, {"sku": "TEE-01", "decision": "refused"}]
        )
    assert "Request changes" in refused.value.errors["lines"][0]
    assert not SignOff.objects.filter(campaign=campaign).exists()


def test_lines_go_only_with_an_inventory_approval(world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    with pytest.raises(InvalidInput) as refused:
        services.campaign_sign_off(
            campaign=campaign, actor=lata, dimension="courier", decision="approved", lines=REFUSE_CAP
        )
    assert "inventory" in refused.value.errors["lines"][0]
    with pytest.raises(InvalidInput):
        services.campaign_sign_off(
            campaign=campaign,
            actor=ishaan,
            dimension="inventory",
            decision="changes_requested",
            comment="no",
            lines=REFUSE_CAP,
        )
    assert not SignOff.objects.filter(campaign=campaign).exists()


def test_the_audit_event_and_the_owner_s_message_name_the_dropped_lines(world, maya, ishaan):
    campaign = submitted(world, maya)
    sign_inventory(campaign, ishaan, REFUSE_CAP)
    event = AuditEvent.objects.filter(campaign=campaign, action="sign_off").get()
    assert event.changes["lines"] == [
        {"sku": "CAP-01", "decision": "refused", "approved_units_per_day": None, "comment": "stock-out on the 14th"}
    ]
    note = Notification.objects.filter(campaign=campaign, recipient=maya, kind="signoff_approved").first()
    assert note is not None
    assert "CAP-01 refused (stock-out on the 14th)" in note.body
    assert "partly" in note.subject


# --------------------------------------------------------------------------- going live and asking again


def test_going_live_holds_only_the_approved_lines(world, maya, ishaan, lata):
    today = timezone.localdate()
    campaign = submitted(world, maya, starts_on=today, ends_on=today + dt.timedelta(days=4))
    sign_inventory(campaign, ishaan, REFUSE_CAP)
    sign_courier(campaign, lata)
    services.campaigns_go_live_due(today=today)
    campaign = refresh(campaign)
    assert campaign.status == Status.LIVE
    assert campaign.approved_orders_per_day == 60
    assert held(campaign, sku=world.sku2) == 0
    assert per_day(campaign, sku=world.sku) == {60}
    assert [line.sku.code for line in selectors.dropped_lines(campaign)] == ["CAP-01"]


def test_asking_again_for_dropped_lines_reopens_inventory_only(world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    sign_inventory(campaign, ishaan, REFUSE_CAP)
    sign_courier(campaign, lata)
    version = refresh(campaign).plan_version

    services.campaign_resubmit_dropped_lines(campaign=campaign, actor=maya, comment="Restocked on the 12th")
    campaign = refresh(campaign)
    assert campaign.status == Status.SUBMITTED
    assert campaign.plan_version == version + 1
    assert set(campaign.current_approvals()) == {"courier"}  # inventory void, courier stands
    assert held(campaign, dimension="inventory") == 0
    assert selectors.dropped_lines(campaign) == []
    assert Notification.objects.filter(campaign=campaign, recipient=ishaan, kind="plan_changed").exists()
    event = AuditEvent.objects.filter(campaign=campaign, action="resubmit_lines").get()
    assert event.changes == {"voided": ["inventory"], "lines": ["CAP-01"]}

    # Inventory approves every line now: the courier holds grow back to the full volume.
    sign_inventory(campaign, ishaan, None)
    campaign = refresh(campaign)
    assert campaign.status == Status.APPROVED
    assert campaign.approved_orders_per_day == 100
    assert per_day(campaign, kind="dispatch") == {100}
    assert per_day(campaign, sku=world.sku2) == {40}


def test_asking_again_needs_dropped_lines_and_the_owner(world, maya, mark, ishaan):
    campaign = submitted(world, maya)
    with pytest.raises(TransitionNotAllowed):
        services.campaign_resubmit_dropped_lines(campaign=campaign, actor=maya)
    sign_inventory(campaign, ishaan, REFUSE_CAP)
    before = snapshot()
    with pytest.raises(Exception) as refused:
        services.campaign_resubmit_dropped_lines(campaign=campaign, actor=mark)
    assert getattr(refused.value, "http_status", None) == 403
    assert snapshot() == before


def test_a_plan_change_of_skus_voids_the_lines(world, maya, ishaan):
    campaign = submitted(world, maya)
    sign_inventory(campaign, ishaan, REFUSE_CAP)
    services.campaign_update(
        campaign=campaign,
        actor=maya,
        data={"skus": [{"sku": "TEE-01", "share": "0.7"}, {"sku": "CAP-01", "share": "0.3"}]},
    )
    assert selectors.dropped_lines(refresh(campaign)) == []


# --------------------------------------------------------------------------- the API


def test_the_api_takes_lines_and_shows_them(world, maya, ishaan):
    campaign = submitted(world, maya)
    url = f"{API}campaigns/{campaign.pk}/"
    answer = client_for("ishaan").post(
        url + "sign-offs/",
        {
            "dimension": "inventory",
            "decision": "approved",
            "lines": [
                {"sku": "CAP-01", "decision": "capped", "approved_units_per_day": 10, "comment": "low stock"},
                {"sku": "TEE-01", "decision": "approved"},
            ],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert sorted((line["sku"], line["decision"]) for line in answer.json()["lines"]) == [
        ("CAP-01", "capped"),
        ("TEE-01", "approved"),
    ]
    shown = client_for("maya").get(url).json()
    assert shown["dropped_lines"] == [
        {"sku": "CAP-01", "decision": "capped", "approved_units_per_day": 10, "comment": "low stock"}
    ]
    listed = client_for("maya").get(f"{API}campaigns/").json()
    row = next(row for row in listed["results"] if row["id"] == campaign.pk)
    assert row["dropped_lines"] == shown["dropped_lines"]
    signoffs = client_for("maya").get(url + "sign-offs/").json()
    assert len(signoffs["results"][0]["lines"]) == 2


def test_the_api_refuses_bad_lines_with_field_messages_and_changes_nothing(world, maya, ishaan):
    campaign = submitted(world, maya)
    url = f"{API}campaigns/{campaign.pk}/sign-offs/"
    before = snapshot()
    for lines, field in (
        ([{"sku": "NOPE", "decision": "refused"}], "sku"),
        ([{"sku": "CAP-01", "decision": "capped", "approved_units_per_day": 999}], "approved_units_per_day"),
        ([{"sku": "CAP-01", "decision": "whatever"}], "decision"),
        ([{"sku": "CAP-01", "decision": "capped", "approved_units_per_day": "x"}], "approved_units_per_day"),
    ):
        answer = client_for("ishaan").post(
            url, {"dimension": "inventory", "decision": "approved", "lines": lines}, format="json"
        )
        assert answer.status_code == 400, answer.content
        body = answer.json()
        errors = body.get("errors", body)
        assert field in errors["lines"][0], body
    for lines in ("nope", [1, 2], {"sku": "CAP-01"}):
        answer = client_for("ishaan").post(
            url, {"dimension": "inventory", "decision": "approved", "lines": lines}, format="json"
        )
        assert answer.status_code == 400, answer.content
    assert snapshot() == before


def test_the_api_route_to_ask_again(world, maya, ishaan):
    campaign = submitted(world, maya)
    sign_inventory(campaign, ishaan, REFUSE_CAP)
    url = f"{API}campaigns/{campaign.pk}/resubmit-dropped-lines/"
    assert client_for("ishaan").post(url, {}, format="json").status_code == 403
    answer = client_for("maya").post(url, {"comment": "restocked"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["sign_offs"]["inventory"] is None
    assert answer.json()["dropped_lines"] == []
    assert client_for("maya").post(url, {}, format="json").status_code == 409


# --------------------------------------------------------------------------- the pages


def _form(**rows):
    """The sign-off form's POST with a row per SKU of the plan (TEE-01, CAP-01)."""
    data = {"dimension": "inventory", "decision": "approved", "next": "/approvals/", "comment": ""}
    data["line_sku"] = ["TEE-01", "CAP-01"]
    data["line_decision"] = [rows.get("tee", ("approved", "", ""))[0], rows.get("cap", ("approved", "", ""))[0]]
    data["line_units"] = [rows.get("tee", ("approved", "", ""))[1], rows.get("cap", ("approved", "", ""))[1]]
    data["line_comment"] = [rows.get("tee", ("approved", "", ""))[2], rows.get("cap", ("approved", "", ""))[2]]
    return data


def test_the_campaign_page_offers_per_sku_rows_to_the_inventory_approver(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'name="line_decision"' in html
    assert html.count('name="line_sku"') == 2


def test_the_form_without_javascript_approves_some_lines(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)
    answer = client.post(f"/approvals/{campaign.pk}/sign-off/", _form(cap=("capped", "15", "only 75 left")))
    assert answer.status_code == 302
    line = SignOffLine.objects.get()
    assert (line.sku.code, line.decision, line.approved_units_per_day, line.comment) == (
        "CAP-01",
        "capped",
        15,
        "only 75 left",
    )
    assert per_day(campaign, sku=world.sku2) == {15}


def test_the_form_with_htmx_shows_a_refusal_and_keeps_what_was_typed(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)
    answer = client.post(
        f"/approvals/{campaign.pk}/sign-off/",
        _form(cap=("capped", "400", "too many")),
        **HTMX,
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "SKU lines" in html and "below the plan" in html
    assert 'value="400"' in html and 'value="too many"' in html
    assert not SignOff.objects.exists()


def test_a_request_for_changes_ignores_the_rows(client, world, maya, ishaan):
    campaign = submitted(world, maya)
    client.force_login(ishaan)
    data = _form(cap=("refused", "", "no stock"))
    data.update(decision="changes_requested", comment="Drop CAP-01")
    client.post(f"/approvals/{campaign.pk}/sign-off/", data)
    assert refresh(campaign).status == Status.CHANGES_REQUESTED
    assert not SignOffLine.objects.exists()


def test_the_owner_sees_the_dropped_lines_and_asks_again_from_the_page(client, world, maya, ishaan, lata):
    campaign = submitted(world, maya)
    sign_inventory(campaign, ishaan, REFUSE_CAP)
    sign_courier(campaign, lata)
    client.force_login(maya)
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="dropped-lines"' in html
    assert "CAP-01" in html and "stock-out on the 14th" in html
    assert "resubmit-dropped-lines" in html
    answer = client.post(f"/campaigns/{campaign.pk}/resubmit-dropped-lines/", {"comment": ""})
    assert answer.status_code == 302
    campaign = refresh(campaign)
    assert campaign.status == Status.SUBMITTED
    assert "inventory" not in campaign.current_approvals()
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="dropped-lines"' not in html


def test_the_admin_shows_the_lines_on_the_sign_off(client, world, maya, ishaan, django_user_model):
    campaign = submitted(world, maya)
    signoff = sign_inventory(campaign, ishaan, REFUSE_CAP)
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")
    client.force_login(admin)
    html = client.get(f"/admin/capacity/signoff/{signoff.pk}/change/").content.decode()
    assert "SKU decision" in html
    assert "stock-out on the 14th" in html


def test_plan_data_is_the_one_the_docstring_describes(world):
    data = plan_data(world)
    assert data["orders_per_day"] == 100
    assert [line["share"] for line in data["skus"]] == ["0.6", "0.4"]


def test_a_refused_line_raises_no_stock_alert_for_the_campaign(world, maya, ishaan, lata):
    from campaigns import triggers

    campaign = submitted(world, maya)
    sign_inventory(campaign, ishaan, REFUSE_CAP)
    sign_courier(campaign, lata)
    world.sku2.safety_stock = 150_000  # CAP-01 below its safety stock: why it was refused
    world.sku2.save()
    assert triggers.inventory_risks(today=timezone.localdate()) == []
    world.sku.safety_stock = 150_000  # TEE-01 runs with the campaign: a risk
    world.sku.save()
    [risk] = triggers.inventory_risks(today=timezone.localdate())
    assert risk.sku == world.sku


def test_a_withdrawn_scale_up_keeps_the_plan_s_orders_with_lines_dropped(world, maya, ishaan, lata):
    today = timezone.localdate()
    campaign = submitted(world, maya, starts_on=today, ends_on=today + dt.timedelta(days=4))
    sign_inventory(campaign, ishaan, REFUSE_CAP)
    sign_courier(campaign, lata)
    services.campaign_go_live(campaign=campaign, actor=maya)
    services.campaign_scale_up(campaign=campaign, actor=maya, orders_per_day=150)
    services.campaign_sign_off(
        campaign=campaign, actor=lata, dimension="courier", decision="changes_requested", comment="no room"
    )
    campaign = refresh(campaign)
    assert (campaign.orders_per_day, campaign.approved_orders_per_day) == (100, 60)
    assert per_day(campaign, sku=world.sku) == {60}
    assert per_day(campaign, kind="dispatch") == {60}


def test_the_fast_json_says_what_the_serializer_says(world, maya, ishaan):
    from campaigns import api_json
    from campaigns.serializers import CampaignSerializer

    campaign = submitted(world, maya)
    sign_inventory(
        campaign,
        ishaan,
        [
            {"sku": "CAP-01", "decision": "capped", "approved_units_per_day": 5},
            {"sku": "TEE-01", "decision": "approved"},
        ],
    )
    expected = CampaignSerializer(selectors.campaign_list().get(pk=campaign.pk)).data
    assert api_json.campaign_json(campaign.pk) == expected
    assert [line["sku"] for line in expected["dropped_lines"]] == ["CAP-01"]
