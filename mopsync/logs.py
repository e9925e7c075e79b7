"""Secrets never reach a log line (issue 8, "Security").

The private iCalendar feed URL (`/calendar/<token>.ics`) carries its token in the path,
and request paths are logged: by Django ("Not Found: /calendar/....ics"), by runserver
and by gunicorn's access log. API tokens travel in the Authorization header, which a
custom access-log format could print. `redact` blanks all of them; `RedactSecrets` is
the logging filter that applies it to every record (on the handlers in settings.LOGGING)
and `GunicornLogger` puts it on gunicorn's access and error logs (mopsync/gunicorn.conf.py).
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as _GunicornLogger

REDACTED = "[redacted]"

_PATTERNS = [
    # The feed token in a path or URL: /calendar/<token>.ics
    (re.compile(r"(/calendar/)[^/\s?\"']+(\.ics)"), rf"\g<1>{REDACTED}\g<2>"),
    # Credentials in an Authorization header value: "Token abc", "Bearer abc", "Basic abc".
    (re.compile(r"\b(Token|Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\g<1>\g<2>{REDACTED}"),
    # Secrets in a query string, a form body or a cookie header.
    (
        re.compile(r"\b(token|key|password|secret|sessionid|csrftoken|csrfmiddlewaretoken)=[^&;\s\"']+", re.IGNORECASE),
        rf"\g<1>={REDACTED}",
    ),
]

# Gunicorn access-log atoms of request headers and environ variables that hold credentials:
# `%({authorization}i)s`, `%({http_cookie}e)s` and friends are blanked whole.
_SECRET_ATOM_WORDS = ("authorization", "cookie", "csrf")


def redact(text: str) -> str:
    """`text` with every token, credential and session secret replaced by "[redacted]"."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites each record's message with `redact` (the record is formatted once, here)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's business, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger, with the access log's atoms and every log line redacted."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(RedactSecrets())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in list(atoms.items()):
            if key.startswith("{") and any(word in key.lower() for word in _SECRET_ATOM_WORDS):
                atoms[key] = REDACTED
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
