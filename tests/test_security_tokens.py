"""API tokens and calendar feed tokens are random, revocable, and never logged.

API tokens are DRF's (`secrets.token_hex(20)`), revoked by `DELETE /api/v1/auth/token/`;
feed tokens are `secrets.token_urlsafe(32)`, revoked by regenerating the feed URL
(tests/test_web_calendar.py::test_regenerate_revokes_the_old_url). Request paths are
logged by Django and by gunicorn's access log, and a feed URL is a path:
`mopsync.logs` redacts it, and any credential, from every log line."""

from __future__ import annotations

import datetime as dt
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
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from campaigns import calendar
from mopsync.logs import REDACTED, RedactSecrets, redact
from tests.celery_support import Process, wait_for

ROOT = Path(__file__).resolve().parents[1]
FEED_TOKEN = "Zq3-fake_feed-token-aaaaaaaaaaaaaaaaaaaaaaaaaaa"
API_KEY = "0123456789abcdef0123456789abcdef01234567"


# --------------------------------------------------------------------------- random


def test_api_tokens_are_40_random_hex_digits():
    assert "secrets." in inspect.getsource(Token.generate_key)
    keys = {Token.generate_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(re.fullmatch(r"[0-9a-f]{40}", key) for key in keys)  # 160 bits


def test_feed_tokens_are_random_and_url_safe():
    assert "secrets.token_urlsafe" in inspect.getsource(calendar._new_token)
    tokens = {calendar._new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)  # 256 bits


@pytest.mark.django_db
def test_each_user_gets_a_different_feed_token(maya, mark):
    assert calendar.calendar_feed_for(maya).token != calendar.calendar_feed_for(mark).token


# --------------------------------------------------------------------------- revocable


@pytest.mark.django_db
def test_a_token_is_revoked_by_delete_and_a_new_one_differs(maya):
    client = APIClient()
    key = client.post("/api/v1/auth/token/", {"username": "maya", "password": "pw-maya"}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 200

    assert client.delete("/api/v1/auth/token/").status_code == 204

    assert client.get("/api/v1/me/").status_code == 401
    assert not Token.objects.filter(key=key).exists()
    client.credentials()
    again = client.post("/api/v1/auth/token/", {"username": "maya", "password": "pw-maya"}, format="json")
    assert again.status_code == 200 and again.json()["token"] != key


@pytest.mark.django_db
def test_revoking_touches_only_the_callers_token(maya, mark):
    theirs = Token.objects.create(user=mark)
    mine = Token.objects.create(user=maya)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {mine.key}")
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert Token.objects.filter(pk=theirs.pk).exists()


@pytest.mark.django_db
def test_revoking_needs_a_signed_in_caller_and_csrf_for_a_session(maya):
    Token.objects.create(user=maya)
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(maya)
    assert browser.delete("/api/v1/auth/token/").status_code == 403  # no CSRF token
    assert Token.objects.filter(user=maya).exists()


@pytest.mark.django_db
def test_revocation_is_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/auth/token/"]["delete"]
    assert operation["summary"] == "Revoke your API token"
    assert "204" in operation["responses"]
    assert "429" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]


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
