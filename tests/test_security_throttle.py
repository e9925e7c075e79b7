"""Sign-in attempts per client address (issue 18.2): at most MOPSYNC_LOGIN_RATE POSTs to the
web login (and the admin's) and MOPSYNC_TOKEN_RATE to the API's token endpoint from one
address, right or wrong, whatever the username; beyond it, 429 with Retry-After before any
password is checked (a page on the web, {detail, code: "throttled"} from the API). Other
addresses are not affected; behind trusted proxies the address is the forwarded one."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"
LIMIT = 20
GUESSER = "198.51.100.20"
NEIGHBOUR = "198.51.100.21"
PROXY = "10.0.0.1"
ADDRESSES = [GUESSER, NEIGHBOUR, PROXY, "127.0.0.1"]


@pytest.fixture(autouse=True)
def throttles_on(settings):
    """The default rates, django-axes on as in production, and fresh counts for the
    addresses used here (the cache outlives a test)."""
    settings.MOPSYNC_LOGIN_RATE = f"{LIMIT}/min"
    settings.MOPSYNC_TOKEN_RATE = f"{LIMIT}/min"
    settings.AXES_ENABLED = True

    def forget():
        cache.delete_many([f"throttle_{scope}_{address}" for scope in ("login", "token") for address in ADDRESSES])

    forget()
    yield
    forget()


def web_login(client: Client, username: str, password: str, path: str = LOGIN):
    return client.post(path, {"username": username, "password": password})


def token(client: Client, username: str, password: str):
    return client.post(TOKEN, {"username": username, "password": password}, content_type="application/json")


def guesses(client: Client, door, count: int) -> list:
    """`count` wrong passwords, each for another username, as a credential-stuffer sends them
    (so the per-username lock-out never holds them)."""
    return [door(client, f"user{n}", "wrong-password") for n in range(count)]


def assert_retry_after(response, window: int = 60) -> int:
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= window
    return seconds


def test_the_21st_web_sign_in_from_one_address_gets_429_with_retry_after(maya):
    guesser = Client(REMOTE_ADDR=GUESSER)
    assert [r.status_code for r in guesses(guesser, web_login, LIMIT)] == [200] * LIMIT  # the form again

    refused = web_login(guesser, "user-next", "wrong-password")
    assert refused.status_code == 429
    assert_retry_after(refused)
    assert "Too many sign-in attempts" in refused.content.decode()
    assert refused["Content-Type"].startswith("text/html")

    # Refused before the password is checked: the right one does not get in either.
    assert web_login(guesser, "maya", "pw-maya").status_code == 429
    assert "_auth_user_id" not in guesser.session


def test_another_address_can_still_sign_in_on_the_web(maya):
    guesses(Client(REMOTE_ADDR=GUESSER), web_login, LIMIT + 1)
    response = web_login(Client(REMOTE_ADDR=NEIGHBOUR), "maya", "pw-maya")
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_21st_token_request_from_one_address_gets_429_throttled_with_retry_after(maya):
    guesser = Client(REMOTE_ADDR=GUESSER)
    assert [r.status_code for r in guesses(guesser, token, LIMIT)] == [400] * LIMIT

    refused = token(guesser, "user-next", "wrong-password")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert "throttled" in refused.json()["detail"].lower()
    assert_retry_after(refused)

    right = token(guesser, "maya", "pw-maya")
    assert right.status_code == 429 and right.json()["code"] == "throttled"
    assert_retry_after(right)


def test_another_address_can_still_get_a_token(maya):
    guesses(Client(REMOTE_ADDR=GUESSER), token, LIMIT + 1)
    response = token(Client(REMOTE_ADDR=NEIGHBOUR), "maya", "pw-maya")
    assert response.status_code == 200 and response.json()["token"]


def test_successful_sign_ins_count_too(maya):
    """The limit is on attempts: a script cannot interleave right passwords to keep going."""
    client = Client(REMOTE_ADDR=GUESSER)
    for _ in range(LIMIT):
        assert token(client, "maya", "pw-maya").status_code == 200
    assert token(client, "maya", "pw-maya").status_code == 429


def test_the_window_slides(maya):
    guesser = Client(REMOTE_ADDR=GUESSER)
    guesses(guesser, token, LIMIT)
    refused = token(guesser, "maya", "pw-maya")
    assert refused.status_code == 429
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=assert_retry_after(refused) + 1)):
        assert token(guesser, "maya", "pw-maya").status_code == 200


def test_the_admin_login_shares_the_web_count(db):
    guesser = Client(REMOTE_ADDR=GUESSER)
    guesses(guesser, web_login, LIMIT)
    refused = web_login(guesser, "root", "wrong", path=ADMIN_LOGIN)
    assert refused.status_code == 429
    assert_retry_after(refused)


def test_each_door_has_its_own_count(maya):
    guesser = Client(REMOTE_ADDR=GUESSER)
    guesses(guesser, web_login, LIMIT)
    assert web_login(guesser, "maya", "pw-maya").status_code == 429
    assert token(guesser, "maya", "pw-maya").status_code == 200


def test_reading_the_sign_in_page_is_not_counted(db):
    client = Client(REMOTE_ADDR=GUESSER)
    for _ in range(LIMIT + 5):
        assert client.get(LOGIN).status_code == 200
    assert web_login(client, "nobody", "wrong").status_code == 200


def test_revoking_a_token_is_not_counted(maya):
    from mopsync.tokens import token_create

    client = Client(REMOTE_ADDR=GUESSER)
    guesses(client, token, LIMIT)
    key = token_create(user=maya)[1]
    assert client.delete(TOKEN, HTTP_AUTHORIZATION=f"Token {key}").status_code == 204


@pytest.mark.parametrize("door", [web_login, token], ids=["web-login", "api-token"])
def test_behind_the_trusted_proxy_each_client_has_its_own_count(maya, settings, door):
    settings.MOPSYNC_TRUSTED_PROXIES = 1
    guesser = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=GUESSER)
    guesses(guesser, door, LIMIT)
    assert door(guesser, "maya", "pw-maya").status_code == 429
    # Same peer (the proxy), another client: not throttled.
    assert door(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=NEIGHBOUR), "maya", "pw-maya").status_code in (200, 302)
    # A forged entry left of the proxy's does not move the guesser to a fresh count.
    forged = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{NEIGHBOUR}, {GUESSER}")
    assert door(forged, "maya", "pw-maya").status_code == 429


@pytest.mark.parametrize("door", [web_login, token], ids=["web-login", "api-token"])
def test_without_trusted_proxies_a_forged_header_does_not_dodge_the_limit(maya, door):
    client = Client(REMOTE_ADDR=GUESSER)
    for n in range(LIMIT):
        client.defaults["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{n + 1}"
        door(client, f"user{n}", "wrong")
    client.defaults["HTTP_X_FORWARDED_FOR"] = "192.0.2.250"
    assert door(client, "maya", "pw-maya").status_code == 429


def test_the_rates_are_settings(maya, settings):
    settings.MOPSYNC_LOGIN_RATE = "3/min"
    settings.MOPSYNC_TOKEN_RATE = None  # off
    client = Client(REMOTE_ADDR=GUESSER)
    assert [r.status_code for r in guesses(client, web_login, 4)] == [200, 200, 200, 429]
    assert all(r.status_code == 400 for r in guesses(client, token, LIMIT + 5))


def run_settings(**env: str) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.MOPSYNC_LOGIN_RATE, s.MOPSYNC_TOKEN_RATE, s.MOPSYNC_TRUSTED_PROXIES)"
    )
    return subprocess.run(  # noqa: S603 - our own settings, fixed arguments
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "mopsync.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_rates_come_from_the_environment():
    defaults = run_settings()
    assert defaults.returncode == 0, defaults.stderr
    assert defaults.stdout.split()[-3:] == ["20/min", "20/min", "0"]

    chosen = run_settings(MOPSYNC_LOGIN_RATE="5/hour", MOPSYNC_TOKEN_RATE="off")
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.split()[-3:] == ["5/hour", "None", "0"]


@pytest.mark.parametrize(
    "env",
    [
        {"MOPSYNC_LOGIN_RATE": "20"},
        {"MOPSYNC_TOKEN_RATE": "twenty/min"},
        {"MOPSYNC_LOGIN_RATE": "0/min"},
        {"MOPSYNC_LOGIN_RATE": "20/fortnight"},
        {"MOPSYNC_TRUSTED_PROXIES": "-1"},
        {"MOPSYNC_TRUSTED_PROXIES": "one"},
    ],
)
def test_a_bad_setting_stops_the_start(env):
    result = run_settings(**env)
    assert result.returncode != 0
    assert next(iter(env)) in result.stderr


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_checked_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_the_soak_and_the_bench_are_not_throttled():
    """Their clients all sign in from loopback: their servers get rates they never reach."""
    soak = load(ROOT / "soak" / "run.py")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.common import child_env

    for env in (soak.CHILD_ENV, child_env("mopsync_bench")):
        for name in ("MOPSYNC_LOGIN_RATE", "MOPSYNC_TOKEN_RATE"):
            count, _, period = env[name].partition("/")
            assert int(count) >= 10_000 and period == "min", (name, env[name])
