"""Issue 19 end to end, in a real browser and over HTTP: a campaign whose support load
exceeds what the support team can answer shows the finding; it gets all three sign-offs
(inventory per SKU, with one line refused; support with a cap), goes live with only the
approved lines, its tickets and CSAT are imported, and every new metric reads back
through the API."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from capacity import services as capacity_services
from capacity.models import CourierLane, Reservation, Sku
from mopsync import tokens
from tests.e2e.conftest import sign_in, sign_out
from tests.helpers import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_campaign_through_three_sign_offs_to_its_support_metrics(page, maya, ishaan, lata, sana, omar):
    make_world()  # 1,000 orders/day per city lane, stock for weeks
    Sku.objects.update(return_rate=0)  # every order is delivered and kept: the figures stay round
    CourierLane.objects.update(ndr_rate=0)
    # One team of 10 agents × 4 tickets: 40 tickets a day; at 0.08 tickets an order, 500 orders.
    capacity_services.support_team_save(
        actor=omar, name="Chat (Pune)", agents_per_day=10, tickets_per_agent_per_day=4, baseline_tickets_per_day=0
    )
    today = timezone.localdate()
    end = today + dt.timedelta(days=4)

    # Marketing plans 1,000 orders a day, 60% tees and 40% caps, starting today.
    sign_in(page, "maya")
    page.goto("/campaigns/new/")
    page.get_by_label("Name").fill("Winter drop")
    page.get_by_label("Channel").select_option("meta")
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_label("Ends on").fill(end.isoformat())
    page.get_by_role("spinbutton", name="Orders per day").fill("1000")
    page.get_by_label("Cash on delivery (%)").fill("0")
    page.locator("#id_skus-0-sku").select_option("TEE-01")
    page.locator("#id_skus-0-share_percent").fill("60")
    page.locator("#id_skus-1-sku").select_option("CAP-01")
    page.locator("#id_skus-1-share_percent").fill("40")
    page.locator("#id_regions-0-region").select_option("MUM")
    page.locator("#id_regions-0-share_percent").fill("50")
    page.locator("#id_regions-1-region").select_option("PUN")
    page.locator("#id_regions-1-share_percent").fill("50")
    page.get_by_role("button", name="Save and submit to ops").click()
    page.get_by_text("Submitted for ops sign-off.").wait_for()
    campaign = Campaign.objects.get(name="Winter drop")

    # The campaign's page says, in plain words, that support cannot answer what it brings.
    page.goto(f"/campaigns/{campaign.pk}/")
    expect(page.get_by_text(f"Support can answer 40 tickets on {today.day} {today:%b}").first).to_be_visible()
    assert "the plan brings 80" in page.content()
    sign_out(page)

    # Inventory approves the tees and refuses the caps, on the campaign's page.
    sign_in(page, "ishaan")
    page.goto(f"/campaigns/{campaign.pk}/")
    form = page.locator(f"#signoff-{campaign.pk}-inventory")
    form.get_by_label("Decision for CAP-01").select_option("refused")
    form.get_by_label("Why, for CAP-01").fill("stock-out on the 14th")
    form.get_by_role("button", name="Approve").click()
    page.get_by_role("status").get_by_text("CAP-01 refused").wait_for()  # the decision replaced the form
    page.reload()
    page.locator("#dropped-lines").get_by_text("stock-out on the 14th").wait_for()
    sign_out(page)

    # Support cannot take the plan as it stands; ops_support approves it capped at 500.
    sign_in(page, "sana")
    page.get_by_role("link", name="Approvals").click()
    support = page.locator(f"#signoff-{campaign.pk}-support")
    support.get_by_label("Cap (orders/day, optional)").fill("")
    support.get_by_role("button", name="Approve").click()
    refusal = page.locator(f"#signoff-{campaign.pk}-support .errors")
    refusal.wait_for()
    assert "Not enough support capacity" in refusal.inner_text()
    support = page.locator(f"#signoff-{campaign.pk}-support")
    # htmx has settled the refused form (its autofocus moved the focus) before it is used again:
    # clicked earlier, the button would post without htmx.
    expect(support.get_by_label("Comment")).to_be_focused()
    support.get_by_label("Cap (orders/day, optional)").fill("500")
    support.get_by_label("Comment").fill("Two agents off this week")
    support.get_by_role("button", name="Approve").click()
    page.locator(f"#entry-{campaign.pk}").get_by_text("Approved customer support at 500 orders/day").wait_for()
    sign_out(page)

    # Logistics approves the couriers: the third sign-off approves the campaign.
    sign_in(page, "lata")
    page.get_by_role("link", name="Approvals").click()
    page.locator(f"#signoff-{campaign.pk}-courier").get_by_role("button", name="Approve").click()
    page.locator(f"#entry-{campaign.pk}").get_by_text("Approved courier").wait_for()
    sign_out(page)
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_orders_per_day) == ("approved", 500)

    # Marketing takes it live: it runs with the tees only, and the page says why.
    sign_in(page, "maya")
    page.goto(f"/campaigns/{campaign.pk}/")
    page.get_by_role("button", name="Go live").click()
    page.locator("#dropped-lines").get_by_text("CAP-01").wait_for()
    campaign.refresh_from_db()
    assert campaign.status == "live"
    stock = Reservation.objects.filter(campaign=campaign, kind="stock")
    assert set(stock.values_list("sku__code", flat=True)) == {"TEE-01"}
    assert Reservation.objects.filter(campaign=campaign, dimension="support", day=today).get().quantity == 40
    sign_out(page)

    # Ops support imports the day's tickets and CSAT answers from the imports page.
    sign_in(page, "sana")
    upload(page, "support_tickets", f"date,channel,tickets,campaign\n{today},chat,20,{campaign.pk}\n"
           f"{today},email,10,{campaign.pk}\n")  # fmt: skip
    upload(page, "csat", f"date,region,score,campaign\n{today},MUM,4,{campaign.pk}\n{today},PUN,2,{campaign.pk}\n")
    sign_out(page)

    # Marketing sends its orders (with customers) and spend over the API, then reads every metric.
    key = tokens.token_create(user=maya, name="e2e")[1]
    api = {"Authorization": f"Token {key}"}
    orders = (
        "date,campaign,channel,sku,region,orders,revenue,fulfilment_cost,customer_ref\n"
        f"{today},{campaign.pk},meta,TEE-01,MUM,1,1000.00,50.00,asha@example.in\n"
        f"{today},{campaign.pk},meta,TEE-01,PUN,1,1000.00,50.00,ASHA@example.in\n"
        f"{today},{campaign.pk},meta,TEE-01,MUM,1,500.00,50.00,ravi@example.in\n"
        f"{today},{campaign.pk},meta,TEE-01,PUN,197,98500.00,9850.00,\n"
    )
    api_import(page, api, "actual_orders", orders)
    api_import(page, api, "campaign_spend", f"date,campaign,spend\n{today},{campaign.pk},10000.00\n")

    def metric(name: str, **params) -> dict:
        query = "&".join(f"{k}={v}" for k, v in {"campaign": campaign.pk, **params}.items())
        response = page.request.get(f"/api/v1/metrics/{name}/?{query}", headers=api)
        assert response.status == 200, response.text()
        (row,) = response.json()["results"]
        return row

    cpa = metric("cpa-to-delivery")
    assert (cpa["spend"], cpa["delivered_orders"], cpa["cpa_to_delivery"]) == (10000.0, 200, 50.0)
    assert metric("cpa-to-delivery", by="channel")["channel"] == "meta"
    revenue = metric("revenue-per-customer")
    assert (revenue["customers"], revenue["revenue_per_customer"]) == (2, 1250.0)  # e-mails match in any case
    repeat = metric("repeat-rate")
    assert (repeat["customers"], repeat["repeat_customers"], repeat["repeat_rate"]) == (2, 1, 0.5)
    csat = metric("csat")
    assert (csat["responses"], csat["average_score"]) == (2, 3.0)
    by_region = page.request.get("/api/v1/metrics/csat/?by=region", headers=api).json()["results"]
    assert {row["region"]: row["average_score"] for row in by_region} == {"MUM": 4.0, "PUN": 2.0}
    load = metric("support-load")
    assert (load["tickets"], load["orders"], load["tickets_per_100_orders"]) == (30, 200, 15.0)


def upload(page, kind: str, text: str) -> None:
    page.goto("/capacity/imports/")
    page.locator("#import-kind").select_option(kind)
    page.locator("#import-file").set_input_files(
        files=[{"name": f"{kind}.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#import-status strong.badge")).to_have_text("Succeeded")


def api_import(page, headers: dict, kind: str, text: str) -> None:
    sent = page.request.post(
        "/api/v1/imports/",
        headers=headers,
        multipart={"kind": kind, "file": {"name": f"{kind}.csv", "mimeType": "text/csv", "buffer": text.encode()}},
    )
    assert sent.status == 202, sent.text()
    job = page.request.get(f"/api/v1/imports/{sent.json()['id']}/", headers=headers).json()
    assert job["status"] == "succeeded", job
