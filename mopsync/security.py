"""Security plumbing shared by the whole site (issue 8, "Security").

- `SecurityHeadersMiddleware`: the Content-Security-Policy, Permissions-Policy and
  X-Frame-Options on every response, static files and error pages included (it sits
  first in MIDDLEWARE, outside whitenoise). Django's SecurityMiddleware adds nosniff,
  Referrer-Policy, Cross-Origin-Opener-Policy and, in production, HSTS.
- `BodyLimitMiddleware`: a request whose body is larger than it may be is answered 413
  before anything reads a byte of it (issue 18.8).
- `lockout_response`: what django-axes answers once a username has failed to sign in
  too often from one address: the API's JSON error shape under /api/, a page elsewhere.
- `client_ip`: the client's address, from X-Forwarded-For behind MOPSYNC_TRUSTED_PROXIES
  trusted proxies (issue 18.1); django-axes and the sign-in throttles key on it.
- `SignInRateThrottle`, `TokenRateThrottle` and `SignInThrottleMiddleware`: at most
  MOPSYNC_LOGIN_RATE sign-in attempts per address on the web (and admin) login and
  MOPSYNC_TOKEN_RATE on the API's token endpoint; 429 with Retry-After beyond (issue 18.2).
"""

from __future__ import annotations

import ipaddress
import math
import re
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from rest_framework.throttling import SimpleRateThrottle


def csp_header(policy: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class SecurityHeadersMiddleware:
    """Adds the site's security headers to every response that does not set its own
    (a view may send a stricter or a different policy, as the API docs do)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.headers = {
            "Content-Security-Policy": csp_header(settings.MOPSYNC_CSP),
            "Permissions-Policy": settings.MOPSYNC_PERMISSIONS_POLICY,
            "X-Frame-Options": settings.X_FRAME_OPTIONS,
        }

    def __call__(self, request):
        response = self.get_response(request)
        for name, value in self.headers.items():
            response.headers.setdefault(name, value)
        return response


class BodyLimitMiddleware:
    """Limits before work: the declared body size (Content-Length) is checked before any
    view, parser or upload handler reads the body, so a 50 MB upload is refused after its
    headers, not after it was streamed to disk and parsed. Django reads exactly
    Content-Length bytes of a body and nothing of a body that declares none, so the
    declared size bounds what is read.

    Uploads (multipart) may carry an import file (MOPSYNC_IMPORT_MAX_BYTES) and their
    form fields; any other body (a form, JSON) is at most DATA_UPLOAD_MAX_MEMORY_SIZE,
    which Django applies to form fields but DRF's JSON parser does not."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isascii() or not declared.isdigit():
            return _refusal(request, 400, "bad_request", "The Content-Length header is not a number of bytes.")
        limit = body_limit(request.META.get("CONTENT_TYPE", ""))
        if int(declared) > limit:
            message = f"The request body is {int(declared):,} bytes; at most {limit:,} bytes are accepted here."
            return _refusal(request, 413, "too_large", message)
        return self.get_response(request)


def body_limit(content_type: str) -> int:
    if content_type.lower().startswith("multipart/form-data"):
        return settings.MOPSYNC_IMPORT_MAX_BYTES + settings.MOPSYNC_MULTIPART_OVERHEAD_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _refusal(request, status: int, code: str, message: str):
    """The API's error shape under /api/, a plain page elsewhere (this runs before the
    session and the user are known, so the site's layout is not available)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": code}, status=status)
    page = f"<!doctype html><title>Request refused</title><h1>Request refused</h1><p>{escape(message)}</p>"
    return HttpResponse(page, status=status)


def csp_extended(**extra: list[str]):
    """A view decorator: the view's responses carry the site's policy with `extra` sources
    added (directive names with underscores: `img_src=["data:"]`)."""

    def decorator(view):
        policy = {directive: list(sources) for directive, sources in settings.MOPSYNC_CSP.items()}
        for name, sources in extra.items():
            policy.setdefault(name.replace("_", "-"), []).extend(sources)
        header = csp_header(policy)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.headers["Content-Security-Policy"] = header
            return response

        return wrapped

    return decorator


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    return (
        f"Too many failed sign-ins for this username from your address: signing in is blocked for "
        f"{lockout_minutes()} minutes. Wait, or ask an admin to unlock the account."
    )


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' AXES_LOCKOUT_CALLABLE: 429 with a clear reason, in the API's error
    shape for API clients and as a page for people."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message(), "code": "locked_out"}, status=status)
    return render(
        request,
        "registration/locked_out.html",
        {"message": lockout_message(), "minutes": lockout_minutes()},
        status=status,
    )


# --- The client's address (issue 18.1) -------------------------------------

# A proxy may write an entry with its port: "203.0.113.9:51234" or "[2001:db8::1]:51234".
_WITH_PORT = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<v4>[0-9.]+))(?::\d{1,5})?$")


def client_ip(request) -> str | None:
    """The address of the client that sent `request` (a Django or a DRF request).

    With MOPSYNC_TRUSTED_PROXIES = 0 (the default) it is the peer's address, REMOTE_ADDR:
    X-Forwarded-For is ignored, since anyone can send one. With N trusted proxies in front
    (the Procfile's router, a load balancer), each appends the address it received the
    request from, so the N-th entry from the right of X-Forwarded-For was written by our
    outermost proxy and is the client; the entries left of it are the client's to forge
    and are never read. A header with fewer than N entries, or whose N-th entry is not an
    address, falls back to REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.MOPSYNC_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    entries = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(entries) < proxies:
        return remote
    return _address(entries[-proxies]) or remote


def _address(text: str) -> str | None:
    match = _WITH_PORT.match(text)
    candidate = (match["v6"] or match["v4"]) if match else text
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


# --- Sign-in attempts per address (issue 18.2) -----------------------------


class AddressRateThrottle(SimpleRateThrottle):
    """At most the rate in the Django setting `rate_setting` of POSTs per client address
    (`client_ip`), counted in the default cache (Redis in production: one count for all
    processes). The rate is read at each request, so settings (and tests) may change it;
    None turns the limit off. Refused attempts are not counted: the window slides from the
    attempts that were let through."""

    rate_setting: str

    def get_rate(self):
        return getattr(settings, self.rate_setting)

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}

    def wait(self):
        """Whole seconds until the next attempt is let through (Retry-After), rounded up so
        that a client that waits that long is not refused again."""
        seconds = super().wait()
        return None if seconds is None else max(1, math.ceil(seconds))


class SignInRateThrottle(AddressRateThrottle):
    scope = "login"
    rate_setting = "MOPSYNC_LOGIN_RATE"


class TokenRateThrottle(AddressRateThrottle):
    scope = "token"
    rate_setting = "MOPSYNC_TOKEN_RATE"


class SignInThrottleMiddleware:
    """Throttles POSTs to the web login and the admin's login per client address
    (MOPSYNC_LOGIN_RATE); beyond it they are answered 429 with Retry-After and a page that
    says when to try again, before the password is checked. (The API's token endpoint has
    its own DRF throttle, TokenRateThrottle.)"""

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: frozenset[str] | None = None

    def paths(self) -> frozenset[str]:
        if self._paths is None:
            self._paths = frozenset({reverse("login"), reverse("admin:login")})
        return self._paths

    def __call__(self, request):
        if request.method == "POST" and request.path in self.paths():
            throttle = SignInRateThrottle()
            if not throttle.allow_request(request, None):
                return throttled_page(request, throttle.wait() or 1)
        return self.get_response(request)


def throttled_page(request, seconds: int):
    response = render(
        request,
        "registration/throttled.html",
        {"seconds": seconds, "minutes": math.ceil(seconds / 60)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
