"""API tokens and calendar feed tokens are random, revocable, and never logged.

API tokens (`mopsync.tokens`, issue 18.3) are `secrets.token_hex(20)`, stored as a SHA-256
digest and shown once, named (several per user), expire after `MOPSYNC_TOKEN_DAYS`, note
their last use at most once a minute, and are revoked by `DELETE /api/v1/auth/token/`, on
"My API tokens" (`/account/tokens/`), in the admin, and by any new password;
feed tokens are `secrets.token_urlsafe(32)`, revoked by regenerating the feed URL
(tests/test_web_calendar.py::test_regenerate_revokes_the_old_url). Request paths are
logged by Django and by gunicorn's access log, and a feed URL is a path:
`mopsync.logs` redacts it, and any credential, from every log line."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import inspect
import io
import logging
import os
import re
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import calendar
from mopsync import tokens
from mopsync.logs import REDACTED, RedactSecrets, redact
from mopsync.models import ApiToken
from tests.celery_support import Process, wait_for

ROOT = Path(__file__).resolve().parents[1]
FEED_TOKEN = "Zq3-fake_feed-token-aaaaaaaaaaaaaaaaaaaaaaaaaaa"
API_KEY = "0123456789abcdef0123456789abcdef01234567"


# --------------------------------------------------------------------------- random


def test_api_tokens_are_40_random_hex_digits():
    assert "secrets." in inspect.getsource(tokens.new_key)
    keys = {tokens.new_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(re.fullmatch(r"[0-9a-f]{40}", key) for key in keys)  # 160 bits


def test_feed_tokens_are_random_and_url_safe():
    assert "secrets.token_urlsafe" in inspect.getsource(calendar._new_token)
    tokens_ = {calendar._new_token() for _ in range(200)}
    assert len(tokens_) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens_)  # 256 bits


@pytest.mark.django_db
def test_each_user_gets_a_different_feed_token(maya, mark):
    assert calendar.calendar_feed_for(maya).token != calendar.calendar_feed_for(mark).token


# --------------------------------------------------------------------------- stored as a digest, shown once


def obtain(client, username="maya", **extra):
    response = client.post("/api/v1/auth/token/", {"username": username, "password": f"pw-{username}", **extra})
    assert response.status_code == 200, response.content
    return response.json()


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.django_db
def test_only_a_digest_of_the_key_is_stored(maya):
    body = obtain(APIClient(), name="WMS")
    key = body["token"]
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    row = ApiToken.objects.values().get(user=maya)
    assert row["digest"] == hashlib.sha256(key.encode()).hexdigest()
    assert row["prefix"] == key[:8]
    assert row["name"] == "WMS"
    assert not any(key in str(value) for value in row.values())  # the key itself is nowhere
    with connection.cursor() as cursor:  # nor in any column of the table, whatever the model says
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608
        assert not any(key in str(value) for value in cursor.fetchall()[0])
    assert api(key).get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_each_post_makes_a_new_named_token_with_its_expiry(maya, settings):
    settings.MOPSYNC_TOKEN_DAYS = 7
    client = APIClient()
    first, second = obtain(client), obtain(client, name="OMS sync")
    assert first["token"] != second["token"]
    assert (first["name"], second["name"]) == ("api", "OMS sync")
    expires = dt.datetime.fromisoformat(second["expires_at"])
    assert abs(expires - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)
    for body in (first, second):
        assert api(body["token"]).get("/api/v1/me/").status_code == 200
    assert ApiToken.objects.filter(user=maya).count() == 2


@pytest.mark.django_db
def test_a_bad_token_name_is_a_400_and_makes_nothing(maya):
    for name in ("line\r\nbreak", "x" * 65):
        response = APIClient().post(
            "/api/v1/auth/token/", {"username": "maya", "password": "pw-maya", "name": name}, format="json"
        )
        assert response.status_code == 400 and "name" in response.json(), response.content
    assert not ApiToken.objects.exists()


# --------------------------------------------------------------------------- expire, last used


@pytest.mark.django_db
def test_a_token_expires_after_its_lifetime_with_a_clear_401(maya):
    key = obtain(APIClient())["token"]
    with time_machine.travel(timezone.now() + dt.timedelta(days=89, hours=23)):
        assert api(key).get("/api/v1/me/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=90, minutes=1)):
        response = api(key).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"detail": response.json()["detail"], "code": "token_expired"}
    assert "expired" in response.json()["detail"]


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(maya):
    key = obtain(APIClient())["token"]
    token = ApiToken.objects.get(user=maya)
    assert token.last_used_at is None
    client = api(key)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/api/v1/me/")
        with CaptureQueriesContext(connection) as again:
            assert client.get("/api/v1/me/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == start
    assert not [q for q in again.captured_queries if q["sql"].startswith("UPDATE")]
    later = start + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        client.get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at == later


@pytest.mark.django_db
def test_a_token_request_costs_one_query_for_its_token_and_user(maya):
    """The list endpoint's queries stay what they were: the token, its user and the
    user's roles are one query, and a warm token writes nothing."""
    key = obtain(APIClient())["token"]
    client = api(key)
    assert client.get("/api/v1/campaigns/").status_code == 200  # warm up (writes last_used_at)
    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/campaigns/").status_code == 200
        counts.append(len(captured))
        touching = [q["sql"] for q in captured.captured_queries if ApiToken._meta.db_table in q["sql"]]
        assert len(touching) == 1 and touching[0].startswith("SELECT"), touching
        assert '"auth_user"' in touching[0]  # the same query reads the user
    assert len(set(counts)) == 1, counts


# --------------------------------------------------------------------------- revocable


@pytest.mark.django_db
def test_a_token_is_revoked_by_delete_and_a_new_one_differs(maya):
    key = obtain(APIClient())["token"]
    client = api(key)
    assert client.get("/api/v1/me/").status_code == 200

    assert client.delete("/api/v1/auth/token/").status_code == 204

    refused = client.get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Token revoked.", "code": "token_revoked"}
    assert ApiToken.objects.get(digest=tokens.digest(key)).revoked_at is not None
    assert obtain(APIClient())["token"] != key


@pytest.mark.django_db
def test_revoking_one_named_token_leaves_the_others_working(maya):
    wms, oms = obtain(APIClient(), name="WMS")["token"], obtain(APIClient(), name="OMS")["token"]
    assert api(wms).delete("/api/v1/auth/token/").status_code == 204
    assert api(wms).get("/api/v1/me/").status_code == 401
    assert api(oms).get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_revoking_touches_only_the_callers_token(maya, mark):
    theirs = tokens.token_create(user=mark)[1]
    mine = tokens.token_create(user=maya)[1]
    assert api(mine).delete("/api/v1/auth/token/").status_code == 204
    assert api(theirs).get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_revoking_needs_a_signed_in_caller_and_csrf_for_a_session(maya):
    key = tokens.token_create(user=maya)[1]
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(maya)
    assert browser.delete("/api/v1/auth/token/").status_code == 403  # no CSRF token
    assert api(key).get("/api/v1/me/").status_code == 200
    # With the token, signed in with a session (as before there were several): all of the caller's.
    browser = Client()
    browser.force_login(maya)
    assert browser.delete("/api/v1/auth/token/").status_code == 204
    assert api(key).get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
def test_revocation_is_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/auth/token/"]["delete"]
    assert operation["summary"] == "Revoke your API token"
    assert "204" in operation["responses"]
    post = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "429" in post["responses"]
    assert set(schema["components"]["schemas"]["Token"]["properties"]) == {"token", "name", "expires_at"}


# --------------------------------------------------------------------------- a new password revokes them


@pytest.fixture
def two_keys(maya):
    return [tokens.token_create(user=maya, name=name)[1] for name in ("WMS", "OMS")]


def assert_revoked(keys):
    for key in keys:
        response = api(key).get("/api/v1/me/")
        assert response.status_code == 401 and response.json()["code"] == "token_revoked", response.content


@pytest.mark.django_db
def test_changing_the_password_revokes_every_token(maya, two_keys):
    browser = Client()
    browser.force_login(maya)
    changed = browser.post(
        "/accounts/password_change/",
        {"old_password": "pw-maya", "new_password1": "a-new-pass-4567", "new_password2": "a-new-pass-4567"},
    )
    assert changed.status_code == 302, changed.content
    assert_revoked(two_keys)


@pytest.mark.django_db
def test_an_admin_setting_the_password_revokes_every_token(maya, two_keys):
    root = User.objects.create_superuser("root", "root@example.com", "pw-root")
    browser = Client()
    browser.force_login(root)
    changed = browser.post(
        f"/admin/auth/user/{maya.pk}/password/",
        {"password1": "a-new-pass-4567", "password2": "a-new-pass-4567", "usable_password": "true"},
    )
    assert changed.status_code == 302, changed.content
    assert_revoked(two_keys)


@pytest.mark.django_db
def test_a_password_reset_revokes_every_token(maya, two_keys):
    maya.email = "maya@example.com"
    maya.save()  # not a password change: the tokens still work
    assert api(two_keys[0]).get("/api/v1/me/").status_code == 200
    browser = Client()
    browser.post("/accounts/password_reset/", {"email": "maya@example.com"})
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = browser.get(link, follow=True)
    done = browser.post(
        form.redirect_chain[-1][0], {"new_password1": "a-new-pass-4567", "new_password2": "a-new-pass-4567"}
    )
    assert done.status_code == 302
    assert_revoked(two_keys)


@pytest.mark.django_db
def test_other_users_tokens_and_saves_without_a_password_are_left_alone(maya, mark):
    theirs = tokens.token_create(user=mark)[1]
    mine = tokens.token_create(user=maya)[1]
    maya.first_name = "Maya"
    maya.save()
    maya.set_password("a-new-pass-4567")
    maya.save()
    assert_revoked([mine])
    assert api(theirs).get("/api/v1/me/").status_code == 200


# --------------------------------------------------------------------------- My API tokens page


@pytest.fixture
def browser(maya):
    client = Client(enforce_csrf_checks=False)
    client.force_login(maya)
    return client


@pytest.mark.django_db
def test_the_page_makes_a_token_and_shows_its_key_once(browser, maya):
    home = browser.get("/")
    assert 'href="/account/tokens/"' in home.content.decode()  # linked from the header

    made = browser.post("/account/tokens/", {"name": "Warehouse WMS"})
    assert made.status_code == 200
    token = ApiToken.objects.get(user=maya)
    page = made.content.decode()
    key = re.search(r'id="new-key"[^>]*value="([0-9a-f]{40})"', page).group(1)
    assert tokens.digest(key) == token.digest
    assert "shown only this once" in page
    assert "no-store" in made["Cache-Control"]
    assert api(key).get("/api/v1/me/").status_code == 200

    listed = browser.get("/account/tokens/").content.decode()
    assert "Warehouse WMS" in listed and f"{key[:8]}…" in listed
    assert key not in listed  # never again
    assert token.digest not in listed


@pytest.mark.django_db
def test_the_page_lists_last_use_and_expiry(browser, maya):
    key = tokens.token_create(user=maya, name="OMS")[1]
    assert "never" in browser.get("/account/tokens/").content.decode()
    api(key).get("/api/v1/me/")
    token = ApiToken.objects.get(user=maya)
    page = browser.get("/account/tokens/").content.decode()
    assert f'datetime="{timezone.localtime(token.last_used_at):%Y-%m-%dT%H:%M:%S}' in page
    assert f'datetime="{timezone.localtime(token.expires_at):%Y-%m-%dT%H:%M:%S}' in page


@pytest.mark.django_db
def test_the_page_revokes_one_token(browser, maya):
    wms, _ = tokens.token_create(user=maya, name="WMS")
    oms, oms_key = tokens.token_create(user=maya, name="OMS")
    response = browser.post(f"/account/tokens/{wms.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/account/tokens/"
    wms.refresh_from_db()
    assert wms.revoked_at is not None
    assert api(oms_key).get("/api/v1/me/").status_code == 200
    page = browser.get("/account/tokens/").content.decode()
    assert "OMS" in page and "WMS" not in page.split("<h2>New token</h2>")[0].split("Tokens that work")[1]
    assert browser.get(f"/account/tokens/{oms.pk}/revoke/").status_code == 405  # POST only


@pytest.mark.django_db
def test_nobody_revokes_or_sees_another_users_tokens(browser, mark):
    theirs, key = tokens.token_create(user=mark, name="Marks-sync-job")
    assert "Marks-sync-job" not in browser.get("/account/tokens/").content.decode()
    browser.post(f"/account/tokens/{theirs.pk}/revoke/")
    assert api(key).get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_the_page_needs_a_signed_in_user_with_a_role_and_csrf(maya, outsider):
    assert Client().get("/account/tokens/")["Location"].startswith("/accounts/login/")
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get("/account/tokens/").status_code == 403
    assert stranger.post("/account/tokens/", {"name": "x"}).status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(maya)
    assert strict.post("/account/tokens/", {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_bad_name_on_the_page_is_a_message_not_a_token(browser):
    response = browser.post("/account/tokens/", {"name": "two\nlines"})
    assert response.status_code == 400
    assert "line breaks" in response.content.decode()
    assert not ApiToken.objects.exists()


# --------------------------------------------------------------------------- admin


@pytest.mark.django_db
def test_the_admin_shows_the_prefix_never_the_key(maya):
    token, key = tokens.token_create(user=maya, name="WMS")
    root = User.objects.create_superuser("root", "root@example.com", "pw-root")
    browser = Client()
    browser.force_login(root)
    listing = browser.get("/admin/mopsync/apitoken/")
    detail = browser.get(f"/admin/mopsync/apitoken/{token.pk}/change/")
    for response in (listing, detail):
        assert response.status_code == 200
        page = response.content.decode()
        assert f"{key[:8]}…" in page
        assert key not in page and token.digest not in page
    assert browser.get("/admin/mopsync/apitoken/add/").status_code == 403
    assert "authtoken" not in browser.get("/admin/").content.decode()  # DRF's token admin is gone

    revoked = browser.post(
        "/admin/mopsync/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert revoked.status_code == 200
    assert_revoked([key])


# --------------------------------------------------------------------------- the old tokens


@pytest.mark.django_db(transaction=True)
def test_drf_tokens_are_migrated_as_digests_and_their_table_dropped(maya):
    """A database that had DRF's tokens: each becomes a digest and keeps working."""
    migration = importlib.import_module("mopsync.migrations.0002_hash_drf_tokens")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp NOT NULL, user_id integer)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [old_key, timezone.now(), maya.pk])
    state = MigrationExecutor(connection).loader.project_state(("mopsync", "0002_hash_drf_tokens"))
    with connection.schema_editor() as editor:
        migration.hash_drf_tokens(state.apps, editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=maya)
    assert (token.name, token.prefix, token.digest) == ("api", old_key[:8], tokens.digest(old_key))
    assert api(old_key).get("/api/v1/me/").status_code == 200


# --------------------------------------------------------------------------- never logged


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f"Not Found: /calendar/{FEED_TOKEN}.ics", FEED_TOKEN),
        (f'"GET /calendar/{FEED_TOKEN}.ics?x=1 HTTP/1.1" 200', FEED_TOKEN),
        (f"https://mopsync.example.com/calendar/{FEED_TOKEN}.ics", FEED_TOKEN),
        (f"Authorization: Token {API_KEY}", API_KEY),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", "eyJhbGciOiJIUzI1NiJ9.e30.abc"),
        ("Authorization: Basic bWF5YTpwdy1tYXlh", "bWF5YTpwdy1tYXlh"),
        ("GET /api/v1/me/?token=s3cr3t-value&x=1", "s3cr3t-value"),
        ("Cookie: sessionid=abcd1234efgh; csrftoken=zyxw9876", "abcd1234efgh"),
        ("Cookie: sessionid=abcd1234efgh; csrftoken=zyxw9876", "zyxw9876"),
        ("username=maya&password=hunter2-hunter2", "hunter2-hunter2"),
    ],
)
def test_redact_blanks_every_secret(line, secret):
    cleaned = redact(line)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_redact_leaves_ordinary_lines_alone():
    for line in (
        "GET /campaigns/12/ HTTP/1.1",
        "Not Found: /calendar/",
        "Token expired",
        "GET /calendar/?month=2026-12",
    ):
        assert redact(line) == line


def test_the_filter_rewrites_records_with_arguments():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "%s: %s", ("Not Found", f"/calendar/{FEED_TOKEN}.ics"), None
    )
    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == f"Not Found: /calendar/{REDACTED}.ics"


@pytest.fixture
def console():
    """What settings.LOGGING's console handler (the root's, with the redacting filter) prints."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecrets) for f in h.filters))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_404_on_a_feed_token_does_not_log_the_token(client, console, caplog):
    with caplog.at_level(logging.INFO):
        assert client.get(f"/calendar/{FEED_TOKEN}.ics").status_code == 404
    printed = console.getvalue()
    assert f"Not Found: /calendar/{REDACTED}.ics" in printed  # logged, without the token
    assert FEED_TOKEN not in printed
    assert FEED_TOKEN not in caplog.text


@pytest.mark.django_db
def test_a_bad_api_token_is_not_logged(client, console, caplog):
    with caplog.at_level(logging.DEBUG):
        response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {API_KEY}")
    assert response.status_code == 401
    assert "Unauthorized: /api/v1/me/" in console.getvalue()
    assert API_KEY not in console.getvalue() + caplog.text


def _gunicorn_logger(access_log_format: str):
    from gunicorn.config import Config

    from mopsync.logs import GunicornLogger

    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", access_log_format)
    return GunicornLogger(cfg)


class _Response:
    status = "404 Not Found"
    sent = 123
    headers = [("Content-Type", "text/html")]


def test_gunicorn_access_log_redacts_the_path_and_credentials(capsys):
    logger = _gunicorn_logger('%(h)s "%(r)s" %(s)s %(U)s %(q)s "%({authorization}i)s" "%({http_cookie}e)s"')
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/calendar/{FEED_TOKEN}.ics",
        "PATH_INFO": f"/calendar/{FEED_TOKEN}.ics",
        "QUERY_STRING": "token=s3cr3t-value",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_COOKIE": "sessionid=abcd1234efgh",
    }

    class Request:
        headers = [("AUTHORIZATION", f"Token {API_KEY}"), ("COOKIE", "sessionid=abcd1234efgh")]

    logger.access(_Response(), Request(), environ, dt.timedelta(milliseconds=5))
    line = capsys.readouterr().out
    assert f"/calendar/{REDACTED}.ics" in line
    for secret in (FEED_TOKEN, API_KEY, "s3cr3t-value", "abcd1234efgh"):
        assert secret not in line, line


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_as_the_procfile_runs_it_never_logs_the_feed_token(tmp_path):
    """The Procfile's web command (with its config file) in a real process."""
    procfile = (ROOT / "Procfile").read_text()
    assert "-c mopsync/gunicorn.conf.py" in procfile
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",  # no tables: the feed lookup fails
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
    }
    gunicorn = Process(
        [sys.executable, "-m", "gunicorn", "mopsync.wsgi", "-c", "mopsync/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", "-"],
        log=tmp_path / "gunicorn.log", env=env,
    )  # fmt: skip
    try:
        # Listening: a connection waits in the socket's backlog until the worker takes it.
        wait_for(lambda: "Booting worker" in gunicorn.output() or not gunicorn.alive(), "gunicorn to boot", deadline=60)
        with pytest.raises(urllib.error.HTTPError) as answer:  # the feed cannot be found here
            urllib.request.urlopen(f"http://127.0.0.1:{port}/calendar/{FEED_TOKEN}.ics", timeout=60)  # noqa: S310
        assert answer.value.code >= 400
        wait_for(lambda: f"/calendar/{REDACTED}.ics HTTP/1.1" in gunicorn.output(), "the access log line", deadline=10)
    finally:
        gunicorn.stop()
    log = gunicorn.output()
    assert f"GET /calendar/{REDACTED}.ics HTTP/1.1" in log, log
    assert FEED_TOKEN not in log, log


@pytest.mark.django_db(transaction=True)  # committed, as another process sees it
def test_a_signed_out_session_cookie_no_longer_signs_in(maya):
    """Signing out ends the session everywhere: with sessions read from the shared cache
    (Redis, `cached_db`) as with sessions in the database, a copy of the old cookie — a
    second tab, another server process — is sent to sign in."""
    browser = Client()
    signed_in = browser.post("/accounts/login/", {"username": "maya", "password": "pw-maya"})
    assert signed_in.status_code == 302
    cookie = browser.cookies["sessionid"].value
    copy = Client()
    copy.cookies["sessionid"] = cookie
    assert copy.get("/").status_code == 200

    assert browser.post("/accounts/logout/").status_code == 302

    again = copy.get("/")
    assert again.status_code == 302 and again["Location"].startswith("/accounts/login/")
