"""Issue 18.4: password reset is real. The link goes to the user's address by email and
nowhere else (with DEBUG off the console and locmem backends are refused at start-up:
tests/test_security_headers.py); the link sets a new password once."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_reset_link_is_emailed_and_sets_a_new_password_once(maya, caplog):
    maya.email = "maya@example.com"
    maya.save()
    client = Client()
    response = client.post("/accounts/password_reset/", {"email": "maya@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["maya@example.com"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    assert link not in caplog.text  # sent, not logged

    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "a-new-pass-4567", "new_password2": "a-new-pass-4567"}
    )
    assert done.status_code == 302
    assert User.objects.get(pk=maya.pk).check_password("a-new-pass-4567")
    # Used once: the same link no longer works.
    again = Client().get(link, follow=True)
    assert "new_password1" not in again.content.decode()


def test_an_unknown_address_sends_nothing_and_says_the_same(db):
    response = Client().post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302  # no telling which addresses have accounts
    assert mail.outbox == []
