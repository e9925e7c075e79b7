"""In a real browser: the main pages, the API docs and the admin work under the
Content-Security-Policy (no inline script, no inline style), and the browser reports no
violation on any of them (the `page` fixture fails the test on the first one)."""

import pytest
from django.contrib.auth.models import User

from campaigns.models import Notification
from tests.e2e.conftest import sign_in, sign_out
from tests.helpers import make_world, submitted

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def visit(page, path: str, ready: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    assert "default-src 'self'" in response.headers["content-security-policy"], path
    page.locator(ready).first.wait_for()
    page.wait_for_load_state("networkidle")


def test_main_pages_run_under_the_policy(page, maya, ishaan, csp_violations):
    world = make_world()
    campaign = submitted(world, maya)
    Notification.objects.create(recipient=maya, campaign=campaign, kind="test", subject="Hello")

    visit(page, "/accounts/login/", "form")
    sign_in(page, "maya")
    visit(page, "/", "main h1")
    visit(page, "/campaigns/", "main h1")
    visit(page, "/campaigns/new/", "#check-panel")  # the live check loads with htmx
    visit(page, f"/campaigns/{campaign.pk}/", "main h1")
    visit(page, f"/campaigns/{campaign.pk}/edit/", "#check-panel")
    visit(page, "/calendar/", "main h1")
    visit(page, "/capacity/", "main h1")
    visit(page, "/capacity/imports/", "main h1")
    visit(page, "/inbox/", "main h1")
    sign_out(page)

    sign_in(page, "ishaan")
    visit(page, "/approvals/", f"#entry-{campaign.pk}")
    visit(page, "/capacity/stock/new/", "form")
    sign_out(page)
    assert not csp_violations


def test_the_dashboard_loads_its_sections_in_place(page, maya, omar, csp_violations):
    world = make_world(stock=50)  # TEE-01 runs out before the campaign ends
    campaign = submitted(world, maya, name="Stock-hungry launch")

    sign_in(page, "omar")
    visit(page, "/", "svg.capacity-chart")  # capacity use, read by a request of its own
    page.locator("#h-stock ~ table").wait_for()  # inventory at risk
    page.wait_for_load_state("networkidle")

    assert page.get_by_text("is loading…").count() == 0  # every section replaced its placeholder
    stock = page.locator("section", has=page.locator("#h-stock"))
    assert stock.get_by_role("link", name=campaign.name).count() >= 1  # a row per SKU at risk
    for title in ("NDR by region", "Returns by SKU", "Forecast vs actual (live)", "ROAS, gross vs net of returns"):
        assert page.get_by_role("heading", name=title).count() == 1, title
    assert page.locator("main h1").inner_text() == "Good morning"  # the page itself, once
    assert not csp_violations


def test_api_docs_render_under_the_policy(page, csp_violations):
    visit(page, "/api/docs/", ".swagger-ui")
    page.locator(".swagger-ui .info .title").wait_for()
    page.get_by_text("/api/v1/campaigns/", exact=True).first.wait_for()
    assert not csp_violations


def test_admin_works_under_the_policy(page, csp_violations):
    User.objects.create_superuser("root", "root@example.com", "pw-root")
    sign_in(page, "root")
    visit(page, "/admin/", "#content")
    visit(page, "/admin/campaigns/campaign/", "#content")
    visit(page, "/admin/auth/user/add/", "#content")
    assert not csp_violations
