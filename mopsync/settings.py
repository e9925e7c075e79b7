"""mopsync settings: one module, read from the environment through typed helpers.

Embedded defaults (SQLite, no broker server) work on a laptop with DEBUG=1, which the
Makefile's targets set (with console email); DEBUG is off unless asked for, and then
SECRET_KEY must be set and email must really be sent. Production sets DATABASE_URL,
REDIS_URL, SECRET_KEY and its email server (EMAIL_HOST, ...).
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from mopsync.env import env_bool, env_float, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)  # `make run` and `make test` turn it on

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (DEBUG=1 for development: the Makefile's targets set it)"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "capacity",
    "campaigns",
    "mopsync",  # API tokens (mopsync/models.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "mopsync.urls"
WSGI_APPLICATION = "mopsync.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["mopsync.display"],  # `|money` and `|when` on every page and email
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mopsync.context_processors.mopsync",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite by default so that a fresh checkout just works. WAL plus IMMEDIATE
# transactions make concurrent writers queue instead of failing with
# "database is locked"; real row locking is exercised on PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    # Degrades to misses when Redis is down (mopsync/cache.py); short timeouts never hang a request.
    CACHES = {
        "default": {
            "BACKEND": "mopsync.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # Sessions read from the shared cache, written through to the database (one query
    # fewer on every signed-in page; a miss or an outage reads the database).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # A cache in each process: sessions stay in the database, where every process sees a
    # sign-out at once.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background work (Celery) ---------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Without REDIS_URL there is no broker server: tasks run in-process (eager), and
# `manage.py run_embedded` (what `make run` starts) runs beat's schedule in a
# thread of the web process, so a laptop needs nothing but Python.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TIMEZONE = env_str("TIME_ZONE", "Asia/Kolkata")  # the organisation's: crontab times are in it
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-acks-late
# Every task is idempotent, so a message may be delivered twice; a worker lost
# mid-task gives its message back instead of dropping it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # with acks_late, a dead worker holds back one message, not four
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 270
CELERY_TASK_IGNORE_RESULT = True  # no result backend: tasks record their effects in the database
# https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
# Keep the visibility timeout above the longest task time limit (acks_late).
# Short socket timeouts: a publish after commit to a Redis that is down fails in
# about 2 s instead of hanging the request; the outbox sweep sends those rows later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_timeout": 2, "socket_connect_timeout": 2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # a worker started before Redis waits for it
# https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html
# Exactly one beat runs these; every task is idempotent, so a second beat by
# mistake repeats nothing. Crontab times are in CELERY_TIMEZONE.
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "campaigns.tasks.sweep_outbox", "schedule": 60},
    "go-live-due": {"task": "campaigns.tasks.go_live_due", "schedule": crontab(minute="*/15")},
    "complete-ended": {"task": "campaigns.tasks.complete_ended", "schedule": crontab(minute=5)},
    "inventory-triggers": {"task": "campaigns.tasks.inventory_triggers", "schedule": crontab(minute="*/30")},
    "sla-reminders": {"task": "campaigns.tasks.sla_reminders", "schedule": crontab(minute=0, hour="9-19")},
    "daily-report": {"task": "campaigns.tasks.send_daily_report", "schedule": crontab(minute=0, hour=6)},
    "sweep-imports": {"task": "campaigns.tasks.sweep_imports", "schedule": 60},  # in capacity/tasks.py, first name kept
}
# Beat remembers when each entry last ran, so a 06:00 report missed while it was
# down is sent when it comes back (the task itself sends once per day).
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / "var" / "celerybeat-schedule"))

# Notifications (the outbox, `campaigns.notifications`).
SLACK_WEBHOOK_URL = env_str("SLACK_WEBHOOK_URL", "")  # a Slack-compatible incoming webhook; empty: no Slack
SLACK_TIMEOUT_SECONDS = env_float("SLACK_TIMEOUT_SECONDS", 5)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)  # SMTP must give up well within a claim's lease
MOPSYNC_NOTIFY_MAX_ATTEMPTS = env_int("MOPSYNC_NOTIFY_MAX_ATTEMPTS", 5)
MOPSYNC_NOTIFY_BACKOFF_SECONDS = env_int("MOPSYNC_NOTIFY_BACKOFF_SECONDS", 60)  # doubles per attempt
MOPSYNC_NOTIFY_BACKOFF_MAX_SECONDS = env_int("MOPSYNC_NOTIFY_BACKOFF_MAX_SECONDS", 3600)
# A claimed row whose worker has not finished within this is re-claimed by the sweep.
MOPSYNC_NOTIFY_LEASE_SECONDS = env_int("MOPSYNC_NOTIFY_LEASE_SECONDS", 300)
# The sweep leaves fresh rows this long to the publish after commit.
MOPSYNC_NOTIFY_SWEEP_GRACE_SECONDS = env_int("MOPSYNC_NOTIFY_SWEEP_GRACE_SECONDS", 30)
# Links in emails and Slack posts.
MOPSYNC_BASE_URL = env_str("MOPSYNC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# SLA: remind approvers (and escalate to ops leads) about submissions waiting
# longer than this, or launching within MOPSYNC_SLA_LAUNCH_HOURS without both sign-offs.
MOPSYNC_SLA_HOURS = env_int("MOPSYNC_SLA_HOURS", 24)
MOPSYNC_SLA_LAUNCH_HOURS = env_int("MOPSYNC_SLA_LAUNCH_HOURS", 48)

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Locale ---------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True
# The brand's currency (ISO code): money shows with its symbol and grouping (`mopsync.display`):
# INR in lakh/crore groups (₹2,00,000), any other in groups of three ($200,000).
MOPSYNC_CURRENCY = env_str("MOPSYNC_CURRENCY", env_str("CURRENCY", "INR")).upper()
CURRENCY = MOPSYNC_CURRENCY  # the older name, read by the layout and the daily report

# --- Static files ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email ----------------------------------------------------------------
# Development prints mail on the console; with DEBUG off mail goes to an SMTP server
# (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS), and a
# backend that prints or keeps mail is refused: it would write password-reset links and
# notifications into the server's log, or send nothing (issue 18.4).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
_MAIL_THAT_IS_NOT_SENT = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}
if not DEBUG and EMAIL_BACKEND in _MAIL_THAT_IS_NOT_SENT:
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND={EMAIL_BACKEND} does not send mail: with DEBUG off, set an SMTP server (EMAIL_HOST, ...)"
    )
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "mopsync@localhost")

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mopsync.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON byte for byte, encoded by orjson (mopsync/renderers.py); then the browsable API.
    "DEFAULT_RENDERER_CLASSES": ["mopsync.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "mopsync.pagination.Pagination",
    "EXCEPTION_HANDLER": "mopsync.api.exception_handler",
    # No default throttle: sign-in attempts are limited per address where they are made
    # (settings, "Sign-in lock-out"; mopsync.security.TokenRateThrottle on the token endpoint).
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mopsync API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # A support team's channel (chat, email, phone) is not a campaign's marketing channel.
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "mopsync.channels.Channel",
        "SupportChannelEnum": "capacity.models.SupportTeam.Channel",
        "SignOffDecisionEnum": "capacity.models.SignOff.Decision",
        "LineDecisionEnum": "capacity.models.SignOffLine.Decision",
    },
    "DESCRIPTION": "Campaign plans, capacity sign-offs and the shared calendar. Errors: 400 {field: [messages]}, "
    "403/404 {detail, code}, 409 {detail, code, findings?, max_orders_per_day?}.",
}

# --- Production hardening -------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- mopsync rules --------------------------------------------------------
# Rule 6: plans submitted less than this before their start are "late notice".
MOPSYNC_LEAD_TIME_HOURS = env_int("MOPSYNC_LEAD_TIME_HOURS", 72)
# Ops must decide this long before the start; the sign-off deadline is worked back from it.
MOPSYNC_SIGNOFF_BUFFER_HOURS = env_int("MOPSYNC_SIGNOFF_BUFFER_HOURS", 24)
# Risk thresholds of the capacity check.
MOPSYNC_NDR_THRESHOLD = env_float("MOPSYNC_NDR_THRESHOLD", 0.28)
MOPSYNC_RETURN_RATE_THRESHOLD = env_float("MOPSYNC_RETURN_RATE_THRESHOLD", 0.20)
# Customer support, a third sign-off dimension (issue 19): "off" never asks for it, "on"
# always does, "auto" (the default) when the brand has an active support team.
MOPSYNC_SUPPORT_SIGNOFF = env_str("MOPSYNC_SUPPORT_SIGNOFF", "auto").strip().lower()
# Support tickets per order when neither the SKU nor imported tickets say otherwise.
MOPSYNC_SUPPORT_CONTACT_RATE = env_float("MOPSYNC_SUPPORT_CONTACT_RATE", 0.08)
# Imports: files larger than this are refused (bytes; 5 MB by default).
# API tokens (mopsync/tokens.py): a token stops working this many days after it was made.
MOPSYNC_TOKEN_DAYS = env_int("MOPSYNC_TOKEN_DAYS", 90)
MOPSYNC_IMPORT_MAX_BYTES = env_int("MOPSYNC_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
# Request bodies (mopsync.security.BodyLimitMiddleware refuses a larger one with 413 before
# anything reads it): a form or JSON body is at most DATA_UPLOAD_MAX_MEMORY_SIZE, an upload
# (multipart) at most the import limit and this much for its other fields and boundaries.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MOPSYNC_MAX_BODY_BYTES", 2_621_440)
MOPSYNC_MULTIPART_OVERHEAD_BYTES = 64 * 1024
# A campaign's projection.csv is streamed, at most this many rows (days × regions × SKUs) at once.
MOPSYNC_PROJECTION_MAX_ROWS = env_int("MOPSYNC_PROJECTION_MAX_ROWS", 200_000)
# An import claimed longer ago than this has lost its worker and is run again (keep it
# above CELERY_TASK_TIME_LIMIT: a live worker's task is stopped before then).
MOPSYNC_IMPORT_LEASE_SECONDS = env_int("MOPSYNC_IMPORT_LEASE_SECONDS", 600)
# A live campaign whose actual orders on a day run this far above its approved orders/day
# (0.2 = 20%) is outgrowing its sign-off: ops and the owner are alerted.
MOPSYNC_OUTGROWING_MARGIN = env_float("MOPSYNC_OUTGROWING_MARGIN", 0.20)
# Benchmark-only comparison views under /bench/ (bench/views.py); `make bench` turns them on.
MOPSYNC_BENCH_VIEWS = env_bool("MOPSYNC_BENCH_VIEWS", default=False)

# --- Security (issue 8) ----------------------------------------------------
# Every response carries these headers (mopsync.security.SecurityHeadersMiddleware, first
# so that static files and error pages get them too). No inline script anywhere: scripts
# and styles come from our own origin only; the API docs load their init script from a
# URL too (mopsync.api_docs).
MIDDLEWARE = [
    "mopsync.security.SecurityHeadersMiddleware",
    "mopsync.security.BodyLimitMiddleware",
    *MIDDLEWARE,
    "axes.middleware.AxesMiddleware",
]
MOPSYNC_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
MOPSYNC_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Sign-in lock-out (django-axes): after MOPSYNC_LOGIN_FAILURE_LIMIT failed sign-ins of one
# username from one address, that pair is refused (429) for MOPSYNC_LOGIN_COOLOFF_MINUTES,
# on the web login, the admin and the API's token endpoint alike. A success resets the count.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_ENABLED = env_bool("MOPSYNC_LOGIN_LOCKOUT", default=True)
AXES_FAILURE_LIMIT = env_int("MOPSYNC_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("MOPSYNC_LOGIN_COOLOFF_MINUTES", 15))
# One username from one address: a stranger cannot lock a colleague out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the cool-off runs from the lock-out
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "mopsync.security.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password", "token", "csrfmiddlewaretoken"]
# The client's address (issue 18.1): the number of proxies in front of the app whose
# X-Forwarded-For entries are trusted (the Procfile's router: 1). With N, the client is
# the N-th address from the right of X-Forwarded-For; 0 (the default) reads REMOTE_ADDR
# only, as a forged header must not dodge the lock-out. Behind a proxy with 0, every
# client has the proxy's address: the lock-out is then per username.
MOPSYNC_TRUSTED_PROXIES = env_int("MOPSYNC_TRUSTED_PROXIES", 0)
if MOPSYNC_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured(f"MOPSYNC_TRUSTED_PROXIES must be 0 or more, got {MOPSYNC_TRUSTED_PROXIES}")
AXES_CLIENT_IP_CALLABLE = "mopsync.security.client_ip"
# Sign-in attempts per client address (issue 18.2), right or wrong, on the web and admin
# login (MOPSYNC_LOGIN_RATE) and on POST /api/v1/auth/token/ (MOPSYNC_TOKEN_RATE), each
# its own count in the cache: beyond it, 429 with Retry-After. "off" turns one off.
# mopsync.security.SignInThrottleMiddleware and TokenRateThrottle.
MOPSYNC_LOGIN_RATE = env_rate("MOPSYNC_LOGIN_RATE", "20/min")
MOPSYNC_TOKEN_RATE = env_rate("MOPSYNC_TOKEN_RATE", "20/min")
MIDDLEWARE += ["mopsync.security.SignInThrottleMiddleware"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Request paths are logged ("Not Found: /calendar/<token>.ics"): tokens are blanked (mopsync.logs).
    "filters": {"redact": {"()": "mopsync.logs.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own loggers write through the root's (redacting) handler, not Django's defaults.
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# --- Per-request overhead (issue 7) ----------------------------------------
# The user of a session or token comes with its roles and unread count in one query.
# django-axes' backend stays first: it refuses a locked-out sign-in before any password check.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "mopsync.auth.Backend"]
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "mopsync.auth.TokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
