"""In a real browser: "My API tokens" (issue 18.3) is reached from the header, makes a
token whose key is shown once and works with the API, and revokes it; under the
Content-Security-Policy with no violation."""

import pytest
from rest_framework.test import APIClient

from mopsync.models import ApiToken
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_make_use_and_revoke_a_token(page, maya, csp_violations):
    sign_in(page, "maya")
    page.goto("/")
    page.get_by_role("link", name="My API tokens").click()
    page.get_by_label("Name (what will use it)").fill("Warehouse WMS")
    page.get_by_role("button", name="Make a token").click()
    page.get_by_text("shown only this once").wait_for()
    key = page.get_by_label("Key").input_value()
    assert len(key) == 40

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 200

    page.goto("/account/tokens/")  # shown once: not on the page any more
    assert key not in page.content()
    page.get_by_role("button", name=f"Revoke Warehouse WMS ({key[:8]}…)").click()
    page.get_by_text("Token revoked").wait_for()
    assert client.get("/api/v1/me/").status_code == 401
    assert ApiToken.objects.get().revoked_at is not None
    assert not csp_violations
