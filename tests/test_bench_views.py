"""The benchmark-only plain view: off unless MOPSYNC_BENCH_VIEWS, and the same rows as the API."""

import json

from django.test import RequestFactory

from bench import views as bench_views
from mopsync.tokens import token_create
from tests.helpers import make_world, submitted


def test_bench_view_is_not_mounted_by_default(client, maya):
    client.force_login(maya)
    assert client.get("/bench/campaigns/").status_code == 404


def test_bench_view_returns_the_api_lists_rows_with_their_lines(client, maya):
    world = make_world()
    first = submitted(world, maya)
    second = submitted(world, maya, name="Second")
    key = token_create(user=maya)[1]
    request = RequestFactory().get("/bench/campaigns/?page_size=50", HTTP_AUTHORIZATION=f"Token {key}")
    plain = json.loads(bench_views.campaigns(request).content)["results"]
    client.force_login(maya)
    api = client.get("/api/v1/campaigns/?page_size=50").json()["results"]
    assert [row["id"] for row in plain] == [row["id"] for row in api] == [first.pk, second.pk]
    assert plain[0]["skus"] == api[0]["skus"]
    assert plain[0]["regions"] == api[0]["regions"]


def test_bench_view_refuses_without_a_token(db):
    request = RequestFactory().get("/bench/campaigns/")
    assert bench_views.campaigns(request).status_code == 401
