"""Security plumbing shared by the whole site (issue 8, "Security").

- `SecurityHeadersMiddleware`: the Content-Security-Policy, Permissions-Policy and
  X-Frame-Options on every response, static files and error pages included (it sits
  first in MIDDLEWARE, outside whitenoise). Django's SecurityMiddleware adds nosniff,
  Referrer-Policy, Cross-Origin-Opener-Policy and, in production, HSTS.
- `lockout_response`: what django-axes answers once a username has failed to sign in
  too often from one address: the API's JSON error shape under /api/, a page elsewhere.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render


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
