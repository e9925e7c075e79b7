"""Sign-in lock-out (django-axes): after MOPSYNC_LOGIN_FAILURE_LIMIT failures of one
username from one address, that username is refused from that address for
MOPSYNC_LOGIN_COOLOFF_MINUTES, on the web login and the API's token endpoint alike (one
count for both); a success resets the count; other usernames and addresses are not
affected. The address is the client's: behind MOPSYNC_TRUSTED_PROXIES trusted proxies it is
read from X-Forwarded-For (mopsync.security.client_ip), so an attacker's failures lock the
attacker's address out, never the victim's; with none trusted, a forged header is ignored."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from mopsync.models import ApiToken

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def axes_on(axes_off, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def web_login(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def token(client: Client, username: str, password: str, **extra):
    return client.post(TOKEN, {"username": username, "password": password}, content_type="application/json", **extra)


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/"


def got_in(response) -> bool:
    """Signed in through either door: the web login's redirect home, or a token."""
    if response.status_code == 200 and response.get("Content-Type", "").startswith("application/json"):
        return "token" in response.json()
    return signed_in(response)


def locked_out(response) -> bool:
    return response.status_code == 429


DOORS = [pytest.param(web_login, id="web-login"), pytest.param(token, id="api-token")]


def fail(client: Client, username: str, times: int, door=web_login, **extra) -> list:
    return [door(client, username, "wrong-password", **extra) for _ in range(times)]


def test_five_failures_on_the_web_login_lock_the_username_out(client, maya, settings):
    responses = fail(client, "maya", settings.AXES_FAILURE_LIMIT)
    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form again
    locked = responses[-1]
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()

    # The right password does not help while locked out.
    response = web_login(client, "maya", "pw-maya")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_out_ends_after_the_cool_off(client, maya, settings):
    fail(client, "maya", settings.AXES_FAILURE_LIMIT)
    assert web_login(client, "maya", "pw-maya").status_code == 429
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert signed_in(web_login(client, "maya", "pw-maya"))


def test_a_success_resets_the_count(client, maya, settings):
    fail(client, "maya", settings.AXES_FAILURE_LIMIT - 1)
    assert signed_in(web_login(client, "maya", "pw-maya"))
    client.logout()
    # A fresh count: four more failures still leave maya able to sign in.
    responses = fail(client, "maya", settings.AXES_FAILURE_LIMIT - 1)
    assert all(r.status_code == 200 for r in responses)
    assert signed_in(web_login(client, "maya", "pw-maya"))


def test_other_usernames_and_addresses_are_not_locked(client, maya, ishaan, settings):
    fail(client, "maya", settings.AXES_FAILURE_LIMIT)
    assert web_login(client, "maya", "pw-maya").status_code == 429

    assert signed_in(web_login(Client(), "ishaan", "pw-ishaan"))  # another username, same address
    assert signed_in(web_login(Client(), "maya", "pw-maya", REMOTE_ADDR="10.1.2.3"))  # maya elsewhere


def test_unknown_usernames_are_counted_too(client, settings):
    responses = fail(client, "nobody", settings.AXES_FAILURE_LIMIT)
    assert responses[-1].status_code == 429


def test_the_token_endpoint_locks_out_with_a_json_reason(client, maya, settings):
    responses = fail(client, "maya", settings.AXES_FAILURE_LIMIT, door=token)
    assert [r.status_code for r in responses[:-1]] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    locked = responses[-1]
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert "Too many failed sign-ins" in locked.json()["detail"]

    response = token(client, "maya", "pw-maya")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert not ApiToken.objects.filter(user=maya).exists()

    # The same count holds on the web login, and the lock-out ends after the cool-off.
    assert web_login(Client(), "maya", "pw-maya").status_code == 429
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert token(client, "maya", "pw-maya").status_code == 200


def test_failures_on_both_doors_add_up(client, maya, settings):
    fail(client, "maya", 2, door=web_login)
    fail(client, "maya", settings.AXES_FAILURE_LIMIT - 3, door=token)
    assert token(client, "maya", "wrong").status_code == 429


def test_a_token_success_resets_the_count(client, maya, settings):
    fail(client, "maya", settings.AXES_FAILURE_LIMIT - 1, door=token)
    assert token(client, "maya", "pw-maya").status_code == 200
    responses = fail(client, "maya", settings.AXES_FAILURE_LIMIT - 1, door=token)
    assert all(r.status_code == 400 for r in responses)
    assert token(client, "maya", "pw-maya").status_code == 200


def test_the_token_endpoint_locks_only_that_username(client, maya, ishaan, settings):
    fail(client, "maya", settings.AXES_FAILURE_LIMIT, door=token)
    assert token(client, "ishaan", "pw-ishaan").status_code == 200
    assert token(client, "maya", "pw-maya", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_the_admin_login_is_guarded_too(client, settings):
    from django.contrib.auth.models import User

    User.objects.create_superuser("root", "root@example.com", "pw-root")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/admin/login/", {"username": "root", "password": "wrong"}).status_code == 200
    assert client.post("/admin/login/", {"username": "root", "password": "wrong"}).status_code == 429
    assert client.post("/admin/login/", {"username": "root", "password": "pw-root"}).status_code == 429


def test_passwords_are_not_stored_with_the_failures(client, maya):
    web_login(client, "maya", "my-secret-guess")
    attempt = AccessAttempt.objects.get(username="maya")
    assert "my-secret-guess" not in attempt.post_data
    assert "csrfmiddlewaretoken" not in attempt.post_data or "********" in attempt.post_data


def test_limit_cool_off_and_trusted_proxies_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.AXES_ENABLED, "
        "s.MOPSYNC_TRUSTED_PROXIES)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mopsync.settings",
        "MOPSYNC_LOGIN_FAILURE_LIMIT": "7",
        "MOPSYNC_LOGIN_COOLOFF_MINUTES": "30",
        "MOPSYNC_TRUSTED_PROXIES": "1",
    }
    result = subprocess.run(  # noqa: S603 - our own settings, fixed arguments
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["7", "1800", "True", "1"]


# --- The attacker is held, not the victim (issue 18.1) ---------------------

ATTACKER = "198.51.100.7"
VICTIM = "203.0.113.5"
PROXY = "10.0.0.1"  # the Procfile's router: every request reaches the app from it


@pytest.mark.parametrize("door", DOORS)
def test_the_victims_right_password_works_from_its_own_address_after_an_attackers_failures(maya, settings, door):
    attacker, victim = Client(REMOTE_ADDR=ATTACKER), Client(REMOTE_ADDR=VICTIM)
    fail(attacker, "maya", settings.AXES_FAILURE_LIMIT, door=door)
    assert locked_out(door(attacker, "maya", "pw-maya"))  # the attacker is held, even with the password

    assert got_in(door(victim, "maya", "pw-maya"))
    # The victim's success resets only the victim's own count: the attacker stays locked out.
    assert locked_out(door(attacker, "maya", "pw-maya"))


@pytest.mark.parametrize("door", DOORS)
def test_behind_the_trusted_proxy_the_attacker_cannot_lock_the_victim_out(maya, settings, door):
    """Every request comes from the proxy's address; the client is the proxy's entry in
    X-Forwarded-For. Without reading it, the attacker's failures would lock maya out for all."""
    settings.MOPSYNC_TRUSTED_PROXIES = 1
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    victim = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=VICTIM)
    fail(attacker, "maya", settings.AXES_FAILURE_LIMIT, door=door)
    assert locked_out(door(attacker, "maya", "pw-maya"))

    assert got_in(door(victim, "maya", "pw-maya"))
    assert locked_out(door(attacker, "maya", "pw-maya"))
    # django-axes recorded the client's address, not the proxy's.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


@pytest.mark.parametrize("door", DOORS)
def test_behind_the_proxy_a_forged_entry_does_not_move_the_attacker(maya, settings, door):
    """The attacker writes the victim's address into X-Forwarded-For; the proxy appends the
    attacker's real one, and only that one is read: the attacker is held, the victim is not."""
    settings.MOPSYNC_TRUSTED_PROXIES = 1
    forged = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{VICTIM}, {ATTACKER}")
    fail(forged, "maya", settings.AXES_FAILURE_LIMIT, door=door)
    assert locked_out(door(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER}"), "maya", "pw-maya"))
    assert got_in(door(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=VICTIM), "maya", "pw-maya"))


@pytest.mark.parametrize("door", DOORS)
def test_without_trusted_proxies_a_forged_header_neither_dodges_nor_frames(maya, settings, door):
    assert settings.MOPSYNC_TRUSTED_PROXIES == 0  # the default
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(settings.AXES_FAILURE_LIMIT):  # a new forged address on every attempt
        door(attacker, "maya", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
    # Still held, whatever the header says: the peer's address is the client's.
    assert locked_out(door(attacker, "maya", "pw-maya", HTTP_X_FORWARDED_FOR="192.0.2.200"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    # And naming the victim's address in the header did not lock the victim out.
    assert got_in(door(Client(REMOTE_ADDR=VICTIM), "maya", "pw-maya"))


def test_behind_the_proxy_the_victim_signs_in_through_both_doors_while_the_attacker_is_held(client, maya, settings):
    settings.MOPSYNC_TRUSTED_PROXIES = 1
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ATTACKER}
    victim = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": VICTIM}
    fail(Client(**attacker), "maya", 3, door=web_login)
    fail(Client(**attacker), "maya", settings.AXES_FAILURE_LIMIT - 3, door=token)  # one count for both doors
    assert locked_out(web_login(Client(**attacker), "maya", "pw-maya"))
    assert locked_out(token(Client(**attacker), "maya", "pw-maya"))
    assert signed_in(web_login(Client(**victim), "maya", "pw-maya"))
    assert token(Client(**victim), "maya", "pw-maya").status_code == 200


# mopsync.security.client_ip, case by case: (trusted proxies, REMOTE_ADDR, X-Forwarded-For or None, client)
CLIENT_IP_CASES = [
    (0, "10.0.0.1", None, "10.0.0.1"),
    (0, "10.0.0.1", "198.51.100.7", "10.0.0.1"),  # not trusted: ignored
    (1, "10.0.0.1", None, "10.0.0.1"),  # no header: reached us directly
    (1, "10.0.0.1", "198.51.100.7", "198.51.100.7"),
    (1, "10.0.0.1", "203.0.113.5, 198.51.100.7", "198.51.100.7"),  # the left entry is the client's to forge
    (1, "10.0.0.1", "203.0.113.5,198.51.100.7 ", "198.51.100.7"),
    (2, "10.0.0.1", "203.0.113.5, 198.51.100.7, 10.0.0.9", "198.51.100.7"),  # two proxies: 2nd from the right
    (2, "10.0.0.1", "198.51.100.7", "10.0.0.1"),  # short: fewer entries than proxies
    (1, "10.0.0.1", "", "10.0.0.1"),
    (1, "10.0.0.1", "not-an-address", "10.0.0.1"),  # malformed
    (1, "10.0.0.1", "198.51.100.7, unknown", "10.0.0.1"),
    (1, "10.0.0.1", "198.51.100.7, 999.1.1.1", "10.0.0.1"),
    (1, "10.0.0.1", "198.51.100.7:51234", "198.51.100.7"),  # with a port
    (1, "10.0.0.1", "[2001:db8::1]:51234", "2001:db8::1"),
    (1, "10.0.0.1", "2001:DB8:0:0::1", "2001:db8::1"),  # one spelling per address
    (1, "10.0.0.1", "198.51.100.7, ,", "10.0.0.1"),  # an empty entry where the client should be
]


@pytest.mark.parametrize(("proxies", "remote", "forwarded", "expected"), CLIENT_IP_CASES)
def test_client_ip(rf, settings, proxies, remote, forwarded, expected):
    from mopsync.security import client_ip

    settings.MOPSYNC_TRUSTED_PROXIES = proxies
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(rf.post("/accounts/login/", **headers)) == expected


def test_django_axes_reads_the_address_from_client_ip(settings):
    from axes.helpers import get_client_ip_address

    assert settings.AXES_CLIENT_IP_CALLABLE == "mopsync.security.client_ip"
    settings.MOPSYNC_TRUSTED_PROXIES = 1
    from django.test import RequestFactory

    request = RequestFactory().post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{VICTIM}, {ATTACKER}")
    assert get_client_ip_address(request) == ATTACKER
