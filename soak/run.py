"""The soak: mopsync under sustained concurrent load, as production runs it.

    make soak                      # 10 minutes, 50 clients
    SOAK_SECONDS=60 make soak      # a quick one

It recreates its own PostgreSQL database (SOAK_DATABASE_URL), flushes its own Redis
database (SOAK_REDIS_URL: the soak owns it), migrates, loads the demo brand plus a
few more users, then starts the Procfile's `web` (gunicorn, DEBUG=0) and `worker`
(Celery) against them. SOAK_CLIENTS threads on loopback then plan, edit, submit,
cancel, go live, pause and resume campaigns as marketing, compete for the same
courier lanes and stock with their sign-offs as ops, and read the lists, the
approval queue, the calendar, campaign pages and the dashboard page, for
SOAK_SECONDS. Every request's status code and latency is recorded, and so is every
transition the API said it made.

At the end it prints the figures and checks, exiting non-zero if any fails:
- no 5xx and no failed connection;
- no overbooking: reservations per courier lane × day and per warehouse × day (and
  pooled dispatch across the network) within the capacity the check computes;
- every transition a client saw succeed has exactly one audit event (and nothing
  else does), each campaign's audit trail is an unbroken chain ending at its
  status, and what a campaign holds matches its state;
- the outbox drains (every notification delivered);
- the RSS of the gunicorn workers and of the Celery worker does not keep growing:
  the last quarter's average is within SOAK_MEMORY_TOLERANCE (+ SOAK_MEMORY_SLACK_MB)
  of the second quarter's.

Its processes are always torn down, whatever happens. Logs: var/soak/.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import math
import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOG_DIR = ROOT / "var" / "soak"

SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "50"))
PORT = int(os.environ.get("SOAK_PORT", "8101"))
DATABASE_URL = os.environ.get("SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mopsync_soak")
REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/9")
WEB_CONCURRENCY = os.environ.get("WEB_CONCURRENCY", "3")
SEED = int(os.environ.get("SOAK_SEED", "8"))
THINK_SECONDS = float(os.environ.get("SOAK_THINK_SECONDS", "0.3"))  # mean pause between a client's requests
MEMORY_TOLERANCE = float(os.environ.get("SOAK_MEMORY_TOLERANCE", "0.10"))
MEMORY_SLACK_MB = float(os.environ.get("SOAK_MEMORY_SLACK_MB", "16"))
SAMPLE_SECONDS = float(os.environ.get("SOAK_SAMPLE_SECONDS", str(max(1.0, SECONDS / 60))))
DRAIN_SECONDS = float(os.environ.get("SOAK_DRAIN_SECONDS", "180"))
REQUEST_TIMEOUT = 120
BASE = f"http://127.0.0.1:{PORT}"
API = f"{BASE}/api/v1"
PASSWORD = "demo-pass-123"  # noqa: S105 - the demo users' password
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Kolkata")

# The demo brand's busiest cities: every campaign draws on their courier lanes and
# warehouses, so that approvals compete for the same capacity.
HOT_REGIONS = ["MUM", "BLR", "DEL", "PUN", "HYD"]
SKUS = ["TEE-001", "TEE-002", "TEE-003", "KRT-001", "KRT-004", "BTY-002", "BTY-003", "DNM-001", "PAL-001"]
# Users added to the demo's four, so that several people of each role act at once.
EXTRA_USERS = {
    "marketing": ["soak-mkt-1", "soak-mkt-2", "soak-mkt-3", "soak-mkt-4", "soak-mkt-5"],
    "ops_inventory": ["soak-inv-1", "soak-inv-2"],
    "ops_logistics": ["soak-log-1", "soak-log-2"],
    "ops_lead": ["soak-lead-1"],
}
DEMO_USERS = {"maya": "marketing", "ishaan": "ops_inventory", "lata": "ops_logistics", "omar": "ops_lead"}

# The environment of every process of the soak: production settings on loopback.
CHILD_ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),  # throwaway
    "SECURE_SSL_REDIRECT": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    "DJANGO_SETTINGS_MODULE": "mopsync.settings",
    "PYTHONUNBUFFERED": "1",
    # All the clients sign in from one address (loopback): lift the per-address limits on
    # sign-in attempts (settings, "Sign-in lock-out"), which would refuse the 21st in a minute.
    "MOPSYNC_LOGIN_RATE": "100000/min",
    "MOPSYNC_TOKEN_RATE": "100000/min",
}


def say(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


# --------------------------------------------------------------------------- processes


class Processes:
    """The servers the soak starts, each in its own session so it can be torn down whole."""

    def __init__(self):
        self.started: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = LOG_DIR / f"{name}.log"
        self.logs[name] = log
        with log.open("wb") as out:
            proc = subprocess.Popen(  # noqa: S603 - our own argv
                argv, cwd=ROOT, env=CHILD_ENV, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started[name] = proc
        say(f"started {name} (pid {proc.pid}): {' '.join(argv[1:])}")
        return proc

    def stop_all(self) -> None:
        for name, proc in reversed(list(self.started.items())):
            if proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop within 30 s: killing it")
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
            say(f"stopped {name}")
        # Whatever of their process groups outlived the leaders (a Celery child, a gunicorn worker).
        for proc in self.started.values():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def manage(*args: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=CHILD_ENV, check=True)  # noqa: S603


def recreate_database() -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(DATABASE_URL)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit("The soak runs on PostgreSQL: set SOAK_DATABASE_URL=postgres://...")
    name = config["NAME"]
    admin = psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    say(f"database {name} recreated")


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()
    say(f"Redis {REDIS_URL} flushed (the soak owns this database)")


def wait_until(what: str, ready, *, seconds: float, every: float = 0.5) -> None:
    """Poll `ready()` until it is true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(every)
    raise RuntimeError(f"{what} not ready after {seconds:.0f} s")


def web_is_up() -> bool:
    try:
        return requests.get(f"{BASE}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


# --------------------------------------------------------------------------- recording


@dataclass
class Record:
    """What one client saw: every request, and the transitions the API said it made."""

    requests: list[tuple[str, int | str, float, float]] = field(default_factory=list)  # name, status, seconds, at
    transitions: list[tuple[int, str, str]] = field(default_factory=list)  # campaign id, action, actor
    errors: list[str] = field(default_factory=list)


class Client:
    def __init__(self, index: int, username: str, token: str, stop: threading.Event, record: Record):
        self.index = index
        self.username = username
        self.rng = random.Random(SEED * 1000 + index)
        self.stop = stop
        self.record = record
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.today = dt.datetime.now(ZoneInfo(TIME_ZONE)).date()

    # -- plumbing

    def call(self, method: str, path: str, name: str, body=None) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.session.request(method, API + path, json=body, timeout=REQUEST_TIMEOUT)
        except requests.RequestException as exc:
            self.record.requests.append((name, "error", time.perf_counter() - started, time.time()))
            self.record.errors.append(f"{method} {path}: {exc}")
            return None
        self.record.requests.append((name, response.status_code, time.perf_counter() - started, time.time()))
        if response.status_code >= 500:
            self.record.errors.append(f"{method} {path} → {response.status_code}: {response.text[:300]}")
        return response

    def transition(self, response, campaign_id: int, action: str) -> bool:
        ok = response is not None and 200 <= response.status_code < 300
        if ok:
            self.record.transitions.append((campaign_id, action, self.username))
        return ok

    def think(self) -> None:
        self.stop.wait(self.rng.expovariate(1 / THINK_SECONDS) if THINK_SECONDS > 0 else 0)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.step()
            except Exception as exc:  # a bug of the client itself: record it, keep the load going
                self.record.errors.append(f"client {self.index} ({self.username}) crashed a step: {exc!r}")
            self.think()

    def step(self) -> None:
        raise NotImplementedError

    # -- reads every role does

    def read_something(self) -> None:
        choice = self.rng.random()
        if choice < 0.3:
            status = self.rng.choice(["", "submitted", "approved", "live", "draft"])
            query = f"?status={status}" if status else ""
            self.call("GET", f"/campaigns/{query}", "GET campaigns/")
        elif choice < 0.5:
            start = self.today + dt.timedelta(days=self.rng.randint(0, 20))
            self.call("GET", f"/calendar/?start={start}&end={start + dt.timedelta(days=13)}", "GET calendar/")
        elif choice < 0.7:
            self.call("GET", "/approval-queue/?page_size=10", "GET approval-queue/")
        elif choice < 0.9:
            campaign_id = self.any_campaign()
            if campaign_id:
                what = self.rng.choice(["", "capacity-check/", "events/", "sign-offs/"])
                self.call("GET", f"/campaigns/{campaign_id}/{what}", f"GET campaigns/{{id}}/{what}")
        else:
            self.call("GET", "/notifications/?page_size=20", "GET notifications/")

    def any_campaign(self) -> int | None:
        response = self.call("GET", f"/campaigns/?page={self.rng.randint(1, 3)}&page_size=20", "GET campaigns/")
        if response is None or response.status_code != 200:
            return None
        results = response.json().get("results", [])
        return self.rng.choice(results)["id"] if results else None


class Marketer(Client):
    """Plans campaigns and moves them along: edit, submit, resubmit after changes, go
    live when the day comes, pause, resume, scale up, cancel. Keeps a handful open."""

    OPEN = 3

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mine: list[int] = []
        self.serial = 0

    def plan(self) -> dict:
        rng = self.rng
        self.serial += 1
        starts = self.today + dt.timedelta(days=0 if rng.random() < 0.2 else rng.randint(1, 20))
        regions = rng.sample(HOT_REGIONS, rng.randint(1, 3))
        skus = rng.sample(SKUS, rng.randint(1, 2))
        return {
            "name": f"{self.username} soak #{self.serial}",
            "channel": rng.choice(["meta", "google", "email", "influencer"]),
            "starts_on": str(starts),
            "ends_on": str(starts + dt.timedelta(days=rng.randint(1, 6))),
            "orders_per_day": rng.randint(20, 260),
            "units_per_order": "1",
            "cod_share": rng.choice(["0", "0.3", "0.5"]),
            "delivery_promise_days": rng.choice([3, 4, 5]),
            "budget": str(rng.randint(20, 200) * 1000),
            "expected_order_value": "999",
            "skus": self.shares("sku", skus),
            "regions": self.shares("region", regions),
        }

    def shares(self, key: str, codes: list[str]) -> list[dict]:
        cuts = sorted(self.rng.sample(range(1, 100), len(codes) - 1))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        return [{key: code, "share": f"{part / 100:.2f}"} for code, part in zip(codes, parts, strict=True)]

    def step(self) -> None:
        if self.rng.random() < 0.35:
            self.read_something()
            return
        if len(self.mine) < self.OPEN:
            response = self.call("POST", "/campaigns/", "POST campaigns/", self.plan())
            if response is not None and response.status_code == 201:
                campaign_id = response.json()["id"]
                self.transition(response, campaign_id, "create")
                self.mine.append(campaign_id)
            return
        campaign_id = self.rng.choice(self.mine)
        response = self.call("GET", f"/campaigns/{campaign_id}/", "GET campaigns/{id}/")
        if response is None or response.status_code != 200:
            return
        self.act(response.json())

    def act(self, campaign: dict) -> None:
        rng, pk, status = self.rng, campaign["id"], campaign["status"]
        if status in ("rejected", "cancelled", "completed"):
            self.mine.remove(pk)
        elif status in ("draft", "changes_requested"):
            if rng.random() < 0.5:
                self.edit(campaign, volume=status == "changes_requested")
            self.transition(self.call("POST", f"/campaigns/{pk}/submit/", "POST submit/"), pk, "submit")
        elif status == "submitted":
            if rng.random() < 0.15:
                self.edit(campaign, volume=rng.random() < 0.5)
            elif rng.random() < 0.1:
                self.cancel(pk)
        elif status == "approved":
            if campaign["starts_on"] <= str(self.today):
                self.transition(self.call("POST", f"/campaigns/{pk}/go-live/", "POST go-live/"), pk, "go_live")
            elif rng.random() < 0.3:
                self.edit(campaign, volume=rng.random() < 0.5)
            elif rng.random() < 0.3:
                self.cancel(pk)
        elif status == "live":
            choice = rng.random()
            if choice < 0.3:
                body = {"comment": "Creative refresh"}
                self.transition(self.call("POST", f"/campaigns/{pk}/pause/", "POST pause/", body), pk, "pause")
            elif choice < 0.5 and not campaign["scale_up_pending"]:
                body = {"orders_per_day": campaign["orders_per_day"] + rng.randint(5, 60), "comment": "Doing well"}
                response = self.call("POST", f"/campaigns/{pk}/scale-up/", "POST scale-up/", body)
                self.transition(response, pk, "scale_up")
            elif choice < 0.7:
                self.cancel(pk)
        elif status == "paused":
            if rng.random() < 0.6:
                self.transition(self.call("POST", f"/campaigns/{pk}/resume/", "POST resume/"), pk, "resume")
            else:
                self.cancel(pk)

    def edit(self, campaign: dict, *, volume: bool) -> None:
        pk = campaign["id"]
        self.serial += 1
        body = {"name": f"{self.username} soak #{self.serial} (edited)"}  # always a change: one audit event
        if volume and campaign["status"] not in ("live", "paused"):
            body["orders_per_day"] = max(10, campaign["orders_per_day"] + self.rng.choice([-40, -20, 20, 40]))
        self.transition(self.call("PATCH", f"/campaigns/{pk}/", "PATCH campaigns/{id}/", body), pk, "edit")

    def cancel(self, pk: int) -> None:
        body = {"comment": "Budget moved"}
        if self.transition(self.call("POST", f"/campaigns/{pk}/cancel/", "POST cancel/", body), pk, "cancel"):
            self.mine.remove(pk)


class Approver(Client):
    """Works the approval queue: mostly approvals (competing with other ops users for the
    same lanes and stock; a refusal for capacity is retried once with the cap the check
    offers), some changes requested, a few rejections."""

    def __init__(self, *args, lead: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead = lead

    def step(self) -> None:
        if self.rng.random() < 0.3:
            self.read_something()
            return
        if self.lead and self.rng.random() < 0.1:
            self.lead_action()
            return
        response = self.call("GET", "/approval-queue/?page_size=10", "GET approval-queue/")
        if response is None or response.status_code != 200:
            return
        entries = response.json()["results"]
        if not entries:
            return
        entry = self.rng.choice(entries[:5])
        campaign = entry["campaign"]
        dimension = self.rng.choice(entry["dimensions"])
        self.sign_off(campaign, dimension, entry["check"])

    def sign_off(self, campaign: dict, dimension: str, check: dict) -> None:
        pk, roll = campaign["id"], self.rng.random()
        if roll < 0.08:
            body = {"dimension": dimension, "decision": "changes_requested", "comment": "Split the volume, please"}
        elif roll < 0.11:
            body = {"dimension": dimension, "decision": "rejected", "comment": "Not this month"}
        else:
            body = {"dimension": dimension, "decision": "approved"}
            cap = check.get("max_by_dimension", {}).get(dimension)
            if roll < 0.25 and cap and 0 < cap < campaign["orders_per_day"]:
                body["approved_orders_per_day"] = cap
        response = self.call("POST", f"/campaigns/{pk}/sign-offs/", "POST sign-offs/", body)
        if self.transition(response, pk, "sign_off") or response is None:
            return
        if response.status_code == 409 and response.json().get("code") == "capacity_taken":
            fits = response.json().get("max_orders_per_day") or 0
            if 0 < fits < campaign["orders_per_day"]:
                body["approved_orders_per_day"] = fits
                response = self.call("POST", f"/campaigns/{pk}/sign-offs/", "POST sign-offs/ (capped)", body)
                self.transition(response, pk, "sign_off")

    def lead_action(self) -> None:
        """Ops leads pause and resume live campaigns (a courier strike, then it is over)."""
        status = self.rng.choice(["live", "paused"])
        response = self.call("GET", f"/campaigns/?status={status}&page_size=20", "GET campaigns/")
        if response is None or response.status_code != 200 or not response.json()["results"]:
            return
        pk = self.rng.choice(response.json()["results"])["id"]
        if status == "live":
            body = {"comment": "Courier strike"}
            self.transition(self.call("POST", f"/campaigns/{pk}/pause/", "POST pause/", body), pk, "pause")
        else:
            self.transition(self.call("POST", f"/campaigns/{pk}/resume/", "POST resume/"), pk, "resume")


class Reader(Client):
    """Looks at things: the server-rendered dashboard, campaign and approval pages (signed
    in with a session, as a browser is), and the API's lists."""

    PAGES = ["/", "/", "/campaigns/", "/approvals/", "/calendar/"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.browser = requests.Session()
        self.signed_in = False

    def page(self, path: str, name: str, data=None) -> requests.Response | None:
        started = time.perf_counter()
        try:
            if data is None:
                response = self.browser.get(BASE + path, timeout=REQUEST_TIMEOUT)
            else:
                response = self.browser.post(BASE + path, data=data, timeout=REQUEST_TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            self.record.requests.append((name, "error", time.perf_counter() - started, time.time()))
            self.record.errors.append(f"{path}: {exc}")
            return None
        self.record.requests.append((name, response.status_code, time.perf_counter() - started, time.time()))
        if response.status_code >= 500:
            self.record.errors.append(f"{path} → {response.status_code}")
        # With DEBUG=0 the cookies are Secure; this browser talks plain HTTP on loopback.
        for cookie in self.browser.cookies:
            cookie.secure = False
        return response

    def sign_in(self) -> None:
        self.page("/accounts/login/", "GET login")
        data = {
            "username": self.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": self.browser.cookies.get("csrftoken", ""),
        }
        response = self.page("/accounts/login/", "POST login", data)
        self.signed_in = response is not None and response.status_code == 302

    def step(self) -> None:
        if self.rng.random() < 0.5:
            self.read_something()
            return
        if not self.signed_in:
            self.sign_in()
            return
        path = self.rng.choice(self.PAGES)
        name = f"page {path}"
        if self.rng.random() < 0.3:
            campaign_id = self.any_campaign()
            if campaign_id:
                path, name = f"/campaigns/{campaign_id}/", "page /campaigns/{id}/"
        self.page(path, name)


# --------------------------------------------------------------------------- memory


class MemorySampler(threading.Thread):
    """RSS of the gunicorn workers (summed) and of the Celery worker (main process and
    its pool children, summed), every SAMPLE_SECONDS."""

    def __init__(self, web: subprocess.Popen, worker: subprocess.Popen, stop: threading.Event):
        super().__init__(daemon=True)
        self.web, self.worker, self.stop = psutil.Process(web.pid), psutil.Process(worker.pid), stop
        self.samples: list[tuple[float, float, float]] = []  # seconds since start, web MB, worker MB
        self.web_pids: set[int] = set()

    @staticmethod
    def rss(processes) -> float:
        total = 0
        for proc in processes:
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total / 2**20

    def sample(self, started: float) -> None:
        try:
            web_workers = self.web.children()
            worker_all = [self.worker, *self.worker.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        self.web_pids.update(p.pid for p in web_workers)
        self.samples.append((time.monotonic() - started, self.rss(web_workers), self.rss(worker_all)))

    def run(self) -> None:
        started = time.monotonic()
        while not self.stop.is_set():
            self.sample(started)
            self.stop.wait(SAMPLE_SECONDS)
        self.sample(started)


# --------------------------------------------------------------------------- set-up in Django


def django_setup() -> None:
    os.environ.update(CHILD_ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def add_users() -> dict[str, str]:
    """The extra users, in their roles, with API tokens. Returns username → token."""
    from django.contrib.auth.models import Group, User

    from mopsync.tokens import token_create

    tokens = {}
    for role, usernames in EXTRA_USERS.items():
        group = Group.objects.get(name=role)
        for username in usernames:
            user = User.objects.create_user(username=username, password=PASSWORD, email=f"{username}@soak.local")
            user.groups.add(group)
            tokens[username] = token_create(user=user, name="soak")[1]
    return tokens


def token_for(username: str) -> str:
    """A demo user's token, through the API as a client gets it."""
    response = requests.post(f"{API}/auth/token/", json={"username": username, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return response.json()["token"]


def max_audit_id() -> int:
    from campaigns.models import AuditEvent

    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --------------------------------------------------------------------------- checks


def overbooking() -> list[str]:
    """Reservations held per lane × day, per warehouse × day and pooled across the network
    against the capacity the check computes (capacity × constraints − business as usual)."""
    from django.db.models import Sum

    from capacity import checks, selectors
    from capacity.models import Reservation

    constraints = selectors.constraint_infos(start=dt.date.min, end=dt.date.max)
    lanes = {lane.id: lane for lane in selectors.lane_infos()}
    warehouses = selectors.warehouse_infos()
    problems = []
    held = Reservation.objects.filter(kind="lane").values("lane_id", "day").annotate(total=Sum("quantity"))
    for row in held:
        lane = lanes[row["lane_id"]]
        capacity = checks.lane_capacity(lane, row["day"], constraints)
        if row["total"] > capacity:
            problems.append(f"lane {lane.id} on {row['day']}: {row['total']} reserved, capacity {capacity}")
    dispatch: dict[tuple[int | None, dt.date], int] = collections.defaultdict(int)
    for row in Reservation.objects.filter(kind="dispatch").values("warehouse_id", "day").annotate(t=Sum("quantity")):
        dispatch[(row["warehouse_id"], row["day"])] = row["t"]
    for day in sorted({day for _, day in dispatch}):
        network_free = 0
        for wh in warehouses:
            capacity, _ = checks.dispatch_capacity(wh, day, constraints)
            # A blackout leaves a warehouse no campaign capacity (below zero after business as usual).
            if dispatch[(wh.id, day)] > max(capacity, 0):
                problems.append(f"warehouse {wh.code} on {day}: {dispatch[(wh.id, day)]} reserved, capacity {capacity}")
            network_free += max(capacity - dispatch[(wh.id, day)], 0)
        if dispatch[(None, day)] > network_free:
            problems.append(f"pooled dispatch on {day}: {dispatch[(None, day)]} reserved, {network_free} free")
    return problems


def audit_mismatches(transitions: list[tuple[int, str, str]], after_id: int) -> tuple[list[str], int]:
    """Each transition a client saw succeed ↔ exactly one audit event (campaign, action,
    actor), nothing more; and each soak campaign's trail is an unbroken chain of states
    ending at its status."""
    from campaigns.models import AuditEvent, Campaign

    events = list(
        AuditEvent.objects.filter(id__gt=after_id)
        .order_by("id")
        .values_list("id", "campaign_id", "action", "actor__username", "from_status", "to_status")
    )
    expected = collections.Counter(transitions)
    seen = collections.Counter((campaign, action, actor or "") for _, campaign, action, actor, *_ in events)
    problems = [f"no audit event for {key} ({n}×)" for key, n in (expected - seen).items()]
    problems += [f"audit event nobody saw succeed: {key} ({n}×)" for key, n in (seen - expected).items()]
    created = {c for c, action, _ in transitions if action == "create"}
    trails = collections.defaultdict(list)
    for _, campaign, action, _, from_status, to_status in events:
        if campaign in created:
            trails[campaign].append((action, from_status, to_status))
    statuses = dict(Campaign.objects.filter(id__in=created).values_list("id", "status"))
    for campaign, trail in trails.items():
        state = ""
        for action, from_status, to_status in trail:
            if from_status != state:
                problems.append(f"campaign {campaign}: {action} from {from_status!r} but it was {state!r}")
            state = to_status
        if state != statuses[campaign]:
            problems.append(f"campaign {campaign}: trail ends at {state!r}, status is {statuses[campaign]!r}")
    return problems, len(events)


def holdings_mismatches(created: set[int]) -> list[str]:
    """What a campaign holds matches its state: every sign-off dimension the brand has on
    (inventory, courier, and customer support when it is on) while approved, live or
    paused; nothing once cancelled or rejected."""
    from campaigns.models import Campaign
    from capacity.models import Reservation
    from capacity.selectors import active_dimensions

    needed = set(active_dimensions())

    held = collections.defaultdict(set)
    for campaign, dimension in (
        Reservation.objects.filter(campaign_id__in=created).values_list("campaign_id", "dimension").distinct()
    ):
        held[campaign].add(dimension)
    problems = []
    for campaign in Campaign.objects.filter(id__in=created).only("id", "status", "starts_on", "ends_on"):
        dims = held.get(campaign.id, set())
        if campaign.status in ("cancelled", "rejected") and dims:
            problems.append(f"campaign {campaign.id} is {campaign.status} and still holds {sorted(dims)}")
        if campaign.status in ("approved", "live", "paused") and dims != needed:
            problems.append(f"campaign {campaign.id} is {campaign.status} and holds only {sorted(dims)}")
    return problems


def drain_outbox() -> tuple[bool, dict]:
    """Wait for the worker to deliver every notification; publish what the broker missed
    as beat's sweep would (beat is not part of the soak)."""
    from django.db.models import Count

    from campaigns import notifications
    from campaigns.models import Notification

    deadline = time.monotonic() + DRAIN_SECONDS
    swept_at = time.monotonic()
    while True:
        states = dict(Notification.objects.values_list("state").annotate(n=Count("id")))
        if not states.get("pending") and not states.get("sending"):
            return True, states
        if time.monotonic() > deadline:
            return False, states
        if time.monotonic() - swept_at > 35:  # past the sweep's grace for fresh rows
            notifications.sweep()
            swept_at = time.monotonic()
        time.sleep(1)


def memory_verdict(samples: list[tuple[float, float, float]]) -> tuple[bool, list[str]]:
    lines, ok = [], True
    if len(samples) < 8:
        return True, ["too few memory samples to judge growth"]
    quarter = len(samples) // 4
    for index, label in ((1, "gunicorn workers"), (2, "celery worker")):
        series = [s[index] for s in samples]
        second = sum(series[quarter : 2 * quarter]) / quarter
        last = sum(series[-quarter:]) / quarter
        limit = second * (1 + MEMORY_TOLERANCE) + MEMORY_SLACK_MB
        good = last <= limit
        ok &= good
        lines.append(
            f"{label}: 2nd quarter {second:.1f} MB, last quarter {last:.1f} MB, limit {limit:.1f} MB "
            f"({'ok' if good else 'GROWING'}); min {min(series):.1f}, max {max(series):.1f}"
        )
    return ok, lines


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


# --------------------------------------------------------------------------- main


def assign_clients(tokens: dict[str, str], stop: threading.Event) -> list[Client]:
    """SOAK_CLIENTS clients: ~40% marketing, ~40% ops (inventory, logistics, leads), ~20% readers."""
    marketers = ["maya", *EXTRA_USERS["marketing"]]
    inventory = ["ishaan", *EXTRA_USERS["ops_inventory"]]
    logistics = ["lata", *EXTRA_USERS["ops_logistics"]]
    leads = ["omar", *EXTRA_USERS["ops_lead"]]
    everyone = marketers + inventory + logistics + leads
    # Ten slots, repeated: which kind of client, and from which users it takes turns.
    slots = [
        (Marketer, marketers), (Marketer, marketers), (Marketer, marketers), (Marketer, marketers),
        (Approver, inventory), (Approver, logistics), (Approver, leads), (Approver, inventory + logistics),
        (Reader, everyone), (Reader, everyone),
    ]  # fmt: skip
    clients: list[Client] = []
    for i in range(CLIENTS):
        kind, users = slots[i % len(slots)]
        user = users[(i // len(slots) + i) % len(users)]
        if kind is Approver:
            clients.append(Approver(i, user, tokens[user], stop, Record(), lead=user in leads))
        else:
            clients.append(kind(i, user, tokens[user], stop, Record()))
    return clients


def main() -> int:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    say(f"{CLIENTS} clients for {SECONDS} s against {DATABASE_URL} and {REDIS_URL}; logs in {LOG_DIR}")
    processes = Processes()

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        return soak(processes)
    finally:
        processes.stop_all()


def soak(processes: Processes) -> int:
    recreate_database()
    flush_redis()
    manage("migrate", "--noinput", "-v", "0")
    manage("load_demo", "--force")
    manage("collectstatic", "--noinput", "-v", "0")
    django_setup()
    tokens = add_users()
    audit_before = max_audit_id()
    before = overbooking()

    web = processes.start(
        "web",
        [str(BIN / "gunicorn"), "mopsync.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", WEB_CONCURRENCY,
         "--access-logfile", "-"],
    )  # fmt: skip
    worker = processes.start("worker", [str(BIN / "celery"), "-A", "mopsync", "worker", "--loglevel=info"])
    wait_until("gunicorn", web_is_up, seconds=90)
    wait_until("celery worker", lambda: b"ready." in processes.logs["worker"].read_bytes(), seconds=90)
    for username in DEMO_USERS:
        tokens[username] = token_for(username)

    stop = threading.Event()
    clients = assign_clients(tokens, stop)
    sampler = MemorySampler(web, worker, stop)
    threads = [threading.Thread(target=c.run, name=f"client-{c.index}", daemon=True) for c in clients]
    say(f"load: {len(clients)} clients ({collections.Counter(type(c).__name__ for c in clients)})")
    started = time.monotonic()
    sampler.start()
    for thread in threads:
        thread.start()
    next_report = started + 60
    while (remaining := SECONDS - (time.monotonic() - started)) > 0:
        time.sleep(min(1.0, remaining))
        if time.monotonic() >= next_report:
            done = sum(len(c.record.requests) for c in clients)
            say(f"{time.monotonic() - started:.0f} s: {done} requests")
            next_report += 60
        for name, proc in processes.started.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode} during the soak; see {processes.logs[name]}")
    stop.set()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 10)
    elapsed = time.monotonic() - started
    sampler.join(timeout=30)
    say("load stopped; waiting for the outbox to drain")
    drained, outbox = drain_outbox()
    return report(clients, sampler, elapsed, audit_before, before, drained, outbox)


def report(clients, sampler, elapsed, audit_before, before, drained, outbox) -> int:
    rows = [r for c in clients for r in c.record.requests]
    transitions = [t for c in clients for t in c.record.transitions]
    errors = [e for c in clients for e in c.record.errors]
    latencies = [r[2] for r in rows]
    statuses = collections.Counter(r[1] for r in rows)
    server_errors = sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)
    failed = statuses.get("error", 0)
    by_name = collections.defaultdict(list)
    for name, status, seconds, _ in rows:
        by_name[name].append((status, seconds))

    print("\n==================== soak report ====================")
    print(f"clients {len(clients)}, {elapsed:.0f} s, web workers {WEB_CONCURRENCY}")
    print(f"requests {len(rows)}, {len(rows) / elapsed:.1f} req/s")
    print(
        f"latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies, default=0) * 1000:.0f} ms"
    )
    print("status codes: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items(), key=lambda x: str(x[0]))))
    print(f"\n{'endpoint':34} {'n':>6} {'p50 ms':>7} {'p95 ms':>7}  statuses")
    for name, items in sorted(by_name.items()):
        secs = [s for _, s in items]
        codes = collections.Counter(st for st, _ in items)
        print(
            f"{name:34} {len(items):6} {percentile(secs, 0.5) * 1000:7.0f} {percentile(secs, 0.95) * 1000:7.0f}  "
            + " ".join(f"{k}:{v}" for k, v in sorted(codes.items(), key=lambda x: str(x[0])))
        )
    actions = collections.Counter(action for _, action, _ in transitions)
    print("\ntransitions that succeeded: " + ", ".join(f"{a} {n}" for a, n in sorted(actions.items())))

    from campaigns.models import Campaign
    from capacity.models import Reservation

    created = {c for c, action, _ in transitions if action == "create"}
    by_status = collections.Counter(Campaign.objects.filter(id__in=created).values_list("status", flat=True))
    print("soak campaigns by status: " + ", ".join(f"{s} {n}" for s, n in sorted(by_status.items())))
    print(f"reservation rows: {Reservation.objects.count()}")

    after = overbooking()
    audit_problems, audit_events = audit_mismatches(transitions, audit_before)
    holdings = holdings_mismatches(created)
    memory_ok, memory_lines = memory_verdict(sampler.samples)

    print(f"\nmemory (RSS MB, every {SAMPLE_SECONDS:.0f} s; {len(sampler.web_pids)} gunicorn worker pids seen):")
    print("  t(s)   web   worker")
    for at, web_mb, worker_mb in sampler.samples:
        print(f"  {at:5.0f} {web_mb:6.1f} {worker_mb:6.1f}")
    for line in memory_lines:
        print("  " + line)
    print(f"outbox: {outbox}")

    checks = [
        ("no 5xx", server_errors == 0, f"{server_errors} responses ≥ 500"),
        ("no failed connections", failed == 0, f"{failed} requests without a response"),
        ("no overbooking before the load", not before, "; ".join(before[:5])),
        ("no overbooking after the load", not after, "; ".join(after[:5])),
        (
            "one audit event per transition",
            not audit_problems,
            f"{len(transitions)} transitions, {audit_events} audit events; " + "; ".join(audit_problems[:5]),
        ),
        ("holdings match states", not holdings, "; ".join(holdings[:5])),
        ("outbox drained", drained, str(outbox)),
        ("memory bounded", memory_ok, " / ".join(memory_lines)),
        ("load happened", len(transitions) > 0 and actions.get("sign_off", 0) > 0, f"{len(transitions)} transitions"),
    ]
    print("\nchecks:")
    for name, ok, detail in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}" + ("" if ok else f": {detail}"))
    if errors:
        print(f"\nfirst client-side errors ({len(errors)}):")
        for line in errors[:15]:
            print("  " + line)
    summary = {
        "clients": len(clients), "seconds": round(elapsed), "requests": len(rows),
        "requests_per_second": round(len(rows) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000), "p95_ms": round(percentile(latencies, 0.95) * 1000),
        "statuses": {str(k): v for k, v in statuses.items()}, "transitions": dict(actions),
        "audit_events": audit_events, "memory": sampler.samples, "checks": {n: ok for n, ok, _ in checks},
    }  # fmt: skip
    (LOG_DIR / "summary.json").write_text(json.dumps(summary, indent=1))
    passed = all(ok for _, ok, _ in checks)
    print(f"\nsoak {'PASSED' if passed else 'FAILED'} (summary: {LOG_DIR / 'summary.json'})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
