"""The API's JSON renderer (mopsync/renderers.py, orjson) writes what DRF's JSONRenderer
writes, byte for byte: on odd values one by one, and on the API's real answers."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import models
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from mopsync.renderers import JSONRenderer
from tests.api_support import API, client_for
from tests.helpers import approved, live, make_world, plan_data, submitted


class Colour(models.TextChoices):
    RED = "red", "Red"


class Size(enum.IntEnum):
    LARGE = 3


VALUES = [
    None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1,  # beyond 64 bits: DRF's own path
    3.2, 0.1, 1e16, 1.5e300, -0.0, 12345678.9,
    "", "plain", "ünïcødé ✓ 🚀", "quote \" backslash \\ slash /", "\x00\x01\x1f\x7f", "tab\tnew\nline\r",
    "line\u2028separator\u2029paragraph", "<script>&'</script>",
    Decimal("0.10"), Decimal("-1E+3"), Decimal("999999999999.99"),
    dt.date(2026, 12, 3), dt.date(1, 1, 1), dt.date(9999, 12, 31),
    dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC), dt.datetime(2026, 12, 3, 6, 0, 0, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York")), dt.datetime(2026, 12, 3, 6, 0),  # noqa: DTZ001
    dt.time(6, 0), dt.time(6, 0, 0, 5), dt.timedelta(days=1, seconds=3), uuid.UUID(int=42),
    gettext_lazy("Must be on or after start."), ErrorDetail("bad", code="invalid"), Colour.RED, Size.LARGE,
    [], {}, (1, "a"), [[{"deep": [None, {"x": Decimal("1.5")}]}]],
    {"b": 1, "a": 2}, {1: "int key", 2: "two"}, ReturnDict({"a": 1}, serializer=None), ReturnList([1], serializer=None),
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_renders_each_value_as_drf_does(value):
    assert JSONRenderer().render(value) == DrfJSONRenderer().render(value)


def test_renders_every_value_together_as_drf_does():
    encodable = [v for v in VALUES if not (isinstance(v, int) and not -(2**63) <= v < 2**64)]
    document = {"values": encodable, "nested": {str(i): v for i, v in enumerate(encodable)}}
    assert JSONRenderer().render(document) == DrfJSONRenderer().render(document)


def test_what_neither_can_encode_fails_alike():
    for renderer in (JSONRenderer(), DrfJSONRenderer()):
        with pytest.raises(TypeError):
            renderer.render({"object": object()})


def test_nothing_renders_as_nothing():
    assert JSONRenderer().render(None) == DrfJSONRenderer().render(None) == b""


def test_indented_output_on_request_is_drfs():
    document = {"a": [1, {"b": dt.date(2026, 1, 2)}]}
    media = "application/json; indent=4"
    assert JSONRenderer().render(document, media) == DrfJSONRenderer().render(document, media)
    assert b"\n    " in JSONRenderer().render(document, media)


@pytest.mark.django_db
def test_the_apis_answers_are_drfs_bytes(maya, mark, ishaan, lata, omar):
    world = make_world()
    submitted(world, maya, name="Waiting ✓ \u2028")
    approved(world, mark, ishaan, lata, name="Approved")
    live(world, maya, ishaan, lata, name="Live")
    draft = client_for("maya").post(f"{API}campaigns/", plan_data(world, name="Draft"), format="json").json()
    client = client_for("omar")
    urls = [
        "me/", "campaigns/", f"campaigns/{draft['id']}/", f"campaigns/{draft['id']}/capacity-check/",
        f"campaigns/{draft['id']}/events/", "approval-queue/", "calendar/", "skus/", "courier-lanes/",
        "constraints/", "campaigns/?starts_on__gte=not-a-date", "campaigns/999999/",
    ]  # fmt: skip
    for url in urls:
        response = client.get(f"{API}{url}")
        assert response["Content-Type"] == "application/json", url
        assert type(response.accepted_renderer) is JSONRenderer, url
        assert response.content == DrfJSONRenderer().render(response.data), url
    refused = client_for("maya").post(f"{API}campaigns/", {"name": "\x00"}, format="json")
    assert refused.status_code == 400
    assert refused.content == DrfJSONRenderer().render(refused.data)
