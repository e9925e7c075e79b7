"""CSRF is enforced on every form, htmx action and session-authenticated API write.

Every URL of the site (enumerated from the URLconf, so a new page is covered the day it
is added) and every write operation of the API schema is sent a POST (or its method)
without a CSRF token by a signed-in user who could otherwise act: each answers 403 and
nothing changes. Pages send the token with htmx requests through `hx-headers` on <body>
(an attribute, not an inline script), and a request carrying it is accepted.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from campaigns.models import CalendarFeed
from mopsync.models import ApiToken
from mopsync.tokens import token_create
from tests.api_support import build, snapshot

pytestmark = pytest.mark.django_db

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def site_routes(patterns=None, prefix: str = "", namespace: str = ""):
    """(route, name) of every URL pattern of the site, outside the admin and the API."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route.startswith(("admin/", "api/")):
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from site_routes(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name}"


# The value of each path parameter, by URL name: an object that exists, so that a request
# that got through would act on something.
def path_values(ctx) -> dict[str, dict[str, object]]:
    campaign = {"pk": ctx["campaign"]}
    return {
        "campaigns:sign_off": campaign,
        "campaigns:dashboard_section": {"name": "capacity"},
        "campaigns:detail": campaign,
        "campaigns:edit": campaign,
        "campaigns:clone": campaign,
        "campaigns:comments": campaign,
        "campaigns:inbox_read": {"pk": ctx["notification"]},
        "campaigns:add_line": {"kind": "skus"},
        "campaigns:action": {**campaign, "action": "cancel"},
        "capacity:stock_edit": {"pk": ctx["stock"]},
        "capacity:inbound_edit": {"pk": ctx["inbound"]},
        "capacity:lane_edit": {"pk": ctx["lane"]},
        "capacity:warehouse_edit": {"pk": ctx["world"].warehouse.pk},
        "capacity:constraint_edit": {"pk": ctx["constraint"]},
        "capacity:constraint_delete": {"pk": ctx["constraint"]},
        "capacity:import_detail": {"pk": ctx["import"]},
        "capacity:import_errors": {"pk": ctx["import"]},
        "capacity:import_sample": {"kind": "stock_levels"},
        "calendar:feed": {"token": ctx["feed"]},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "account-token-revoke": {"pk": ctx["api_token"]},
    }


def url_of(route: str, name: str, values: dict[str, dict[str, object]]) -> str:
    given = values.get(name, {})

    def fill(match):
        return str(given[match.group("name")])

    return "/" + PARAMETER.sub(fill, route).lstrip("^").rstrip("$")


def every_site_url(ctx) -> list[str]:
    values = path_values(ctx)
    return [url_of(route, name, values) for route, name in site_routes()]


def test_the_enumeration_finds_the_forms_and_htmx_actions():
    routes = {name for _, name in site_routes()}
    for name in ("campaigns:new", "campaigns:edit", "campaigns:action", "campaigns:sign_off", "campaigns:live_check",
                 "campaigns:inbox", "calendar:feed-regenerate", "capacity:stock_new", "capacity:constraint_delete",
                 "capacity:imports", "login", "logout", "account-tokens", "account-token-revoke"):  # fmt: skip
        assert name in routes, name


def watched() -> dict:
    return {
        **snapshot(),
        "ApiToken": list(ApiToken.objects.order_by("pk").values()),
        "CalendarFeed": list(CalendarFeed.objects.order_by("pk").values()),
        "User": list(User.objects.order_by("pk").values("pk", "password", "last_login")),
    }


@pytest.mark.parametrize("who", ["maya", "omar"])
def test_every_site_post_without_a_token_is_refused_and_changes_nothing(who, maya, mark, ishaan, lata, omar, outsider):
    ctx = build("submitted", who)
    ctx["feed"] = CalendarFeed.objects.create(user=maya, token="feed-token-for-the-csrf-test").token
    ctx["api_token"] = token_create(user=User.objects.get(username=who))[0].pk
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username=who))
    client.get("/")  # the page sets the CSRF cookie: the request lacks only the token
    before = watched()

    refused = []
    for url in every_site_url(ctx):
        response = client.post(url, {"name": "changed", "comment": "x", "dimension": "inventory",
                                     "decision": "approved", "on_hand": "1"})  # fmt: skip
        if response.status_code != 403:
            refused.append(f"{url}: {response.status_code}")
    assert not refused, "answered without a CSRF token:\n" + "\n".join(refused)
    assert watched() == before
    assert client.get("/").status_code == 200  # the logout was refused too: still signed in


def test_sign_in_and_out_need_the_token(maya):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"username": "maya", "password": "pw-maya"}).status_code == 403
    assert "_auth_user_id" not in client.session
    client.force_login(maya)
    assert client.post("/accounts/logout/").status_code == 403
    assert client.session.get("_auth_user_id") == str(maya.pk)


def test_admin_posts_need_the_token(maya):
    root = User.objects.create_superuser("root", "root@example.com", "pw-root")
    client = Client(enforce_csrf_checks=True)
    client.force_login(root)
    response = client.post("/admin/auth/user/add/", {"username": "intruder", "password1": "x", "password2": "x"})
    assert response.status_code == 403
    assert client.post(f"/admin/auth/user/{maya.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=maya.pk).exists() and not User.objects.filter(username="intruder").exists()


# --------------------------------------------------------------------------- the API with a session

ID = re.compile(r"\{(id|code)\}")


def api_writes(ctx) -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    ids = {
        "campaigns": ctx["campaign"], "constraints": ctx["constraint"], "courier-lanes": ctx["lane"],
        "stock-levels": ctx["stock"], "inbound-shipments": ctx["inbound"], "promo-windows": ctx["window"],
        "notifications": ctx["notification"], "skus": "TEE-01", "warehouses": "BOM-WH", "regions": "MUM",
        "couriers": ctx["courier"], "imports": ctx["import"],
    }  # fmt: skip
    writes = []
    for path, operations in schema["paths"].items():
        collection = path.removeprefix("/api/v1/").split("/")[0]
        url = ID.sub(str(ids.get(collection, "1")), path)
        writes += [(method.upper(), url) for method in operations if method in ("post", "put", "patch", "delete")]
    return writes


@pytest.mark.parametrize("who", ["maya", "omar"])
def test_every_api_write_with_a_session_needs_the_token(who, maya, mark, ishaan, lata, omar, outsider):
    ctx = build("submitted", who)
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username=who))
    token_create(user=User.objects.get(username=who))
    before = watched()

    answered = []
    writes = api_writes(ctx)
    assert len(writes) > 20
    for method, url in writes:
        response = client.generic(method, url, data="{}", content_type="application/json")
        if response.status_code != 403 or "CSRF" not in response.json().get("detail", ""):
            answered.append(f"{method} {url}: {response.status_code} {response.content[:120]!r}")
    assert not answered, "answered without a CSRF token:\n" + "\n".join(answered)
    assert watched() == before


# --------------------------------------------------------------------------- htmx sends the token


def test_pages_give_htmx_the_token_and_htmx_requests_carrying_it_work(maya, ishaan, lata):
    ctx = build("submitted", "ishaan")
    client = Client(enforce_csrf_checks=True)
    client.force_login(ishaan)
    page = client.get("/approvals/").content.decode()
    body = re.search(r"<body[^>]*hx-headers='(\{[^']*\})'", page)
    assert body, "the <body> must carry hx-headers with the CSRF token"
    header = re.fullmatch(r'\{"X-CSRFToken": "([A-Za-z0-9]+)"\}', body.group(1))
    assert header, body.group(1)

    response = client.post(
        f"/approvals/{ctx['campaign']}/sign-off/",
        {"dimension": "inventory", "decision": "approved", "next": "/approvals/"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=header.group(1),
    )
    assert response.status_code == 200
    assert "Approved inventory" in response.content.decode()
