"""Sign-in lock-out (django-axes): after MOPSYNC_LOGIN_FAILURE_LIMIT failures of one
username from one address, that username is refused from that address for
MOPSYNC_LOGIN_COOLOFF_MINUTES, on the web login and the API's token endpoint alike (one
count for both); a success resets the count; other usernames and addresses are not
affected."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
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
    from axes.models import AccessAttempt

    web_login(client, "maya", "my-secret-guess")
    attempt = AccessAttempt.objects.get(username="maya")
    assert "my-secret-guess" not in attempt.post_data
    assert "csrfmiddlewaretoken" not in attempt.post_data or "********" in attempt.post_data


def test_limit_and_cool_off_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.AXES_ENABLED)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mopsync.settings",
        "MOPSYNC_LOGIN_FAILURE_LIMIT": "7",
        "MOPSYNC_LOGIN_COOLOFF_MINUTES": "30",
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
    assert result.stdout.split()[-3:] == ["7", "1800", "True"]
