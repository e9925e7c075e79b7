"""Production settings pass Django's deployment checks, and every response carries the
security headers: a Content-Security-Policy without inline scripts, nosniff,
Referrer-Policy, X-Frame-Options DENY, Cross-Origin-Opener-Policy and Permissions-Policy.
The templates hold no inline script, handler or javascript: URL (the browser proves the
rest: tests/e2e fail on any CSP violation)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]

# DEBUG is not set: off is the default (issue 18.4).
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "mopsync.example.com",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # As a deployment has it: none of the test run's own switches (the e2e suite sets
    # DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which --deploy rightly refuses).
    dropped = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_BACKEND")
    environ = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_without_hsts():
    """The check above is not vacuous: drop one production setting and it fails."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_refuses_the_development_secret_key():
    result = manage("check", ALLOWED_HOSTS="mopsync.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize("backend", ["console", "locmem"])
def test_production_refuses_an_email_backend_that_sends_nothing(backend):
    """Console mail would print password-reset links into the server's log."""
    result = manage("check", **PRODUCTION, EMAIL_BACKEND=f"django.core.mail.backends.{backend}.EmailBackend")
    assert result.returncode != 0
    assert "does not send mail" in result.stderr


def test_debug_is_off_unless_asked_for():
    show = "from django.conf import settings; print(settings.DEBUG, settings.EMAIL_BACKEND)"
    result = manage("shell", "-v", "0", "-c", show, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.core.mail.backends.smtp.EmailBackend"]


# --------------------------------------------------------------------------- headers


def assert_security_headers(response, what: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = dict((part.split(" ", 1) + [""])[:2] for part in csp.split("; "))
    assert directives.get("default-src") == "'self'", (what, csp)
    assert directives.get("script-src") == "'self'", (what, csp)  # no 'unsafe-inline', no 'unsafe-eval'
    assert "unsafe" not in csp, (what, csp)
    assert directives.get("frame-ancestors") == "'none'", (what, csp)
    assert directives.get("object-src") == "'none'", (what, csp)
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "same-origin", what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", what
    assert "camera=()" in headers.get("Permissions-Policy", ""), what


@pytest.fixture
def static_client(settings):
    """A client whose whitenoise serves from the source folders, as in development."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    return Client()


@pytest.mark.django_db
def test_every_kind_of_response_has_the_headers(static_client, maya):
    anonymous = static_client
    assert_security_headers(anonymous.get("/accounts/login/"), "a page")
    assert_security_headers(anonymous.get("/api/v1/skus/"), "an API refusal (401)")
    assert_security_headers(anonymous.get("/no-such-page/"), "a 404")
    assert_security_headers(anonymous.get("/healthz"), "the health check")
    static = anonymous.get("/static/mopsync.css")
    assert static.status_code == 200
    assert_security_headers(static, "a static file")

    signed_in = Client()
    signed_in.force_login(maya)
    response = signed_in.get("/api/v1/me/")
    assert response.status_code == 200
    assert_security_headers(response, "an API response")
    response = signed_in.get("/")
    assert response.status_code == 200
    assert_security_headers(response, "the dashboard")


@pytest.mark.django_db
def test_api_docs_allow_data_images_only_there(client):
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "img-src 'self' data:" in docs["Content-Security-Policy"]
    assert "script-src 'self';" in docs["Content-Security-Policy"]
    html = docs.content.decode()
    assert "<style" not in html
    assert re.search(r"<script>", html) is None  # every script has a src
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert "data:" not in client.get("/accounts/login/")["Content-Security-Policy"]


# --------------------------------------------------------------------------- templates

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE), "an inline <script>"),
    (re.compile(r"<style\b", re.IGNORECASE), "an inline <style>"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an on...= handler attribute"),
    (re.compile(r"\shx-on", re.IGNORECASE), "an hx-on handler"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: URL"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "a style attribute"),
]

COMMENTS = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)


def test_no_template_has_inline_script_or_style():
    """The policy would block them; email templates are exempt (mail clients need inline
    styles and never run scripts)."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if path.parts[-2] == "email":
            continue
        text = COMMENTS.sub(lambda m: "\n" * m.group().count("\n"), path.read_text())
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "\n".join(found)
