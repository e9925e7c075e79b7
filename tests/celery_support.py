"""Real processes for the integration and fault tests: `celery worker` and `celery beat`
subprocesses on this test's PostgreSQL database, a private `redis-server`, the counting
email backend, and `wait_for`, which waits on the processes' output (nothing sleeps).

Workers and beats are started through `tests.celery_proc`, which installs the test
hooks its environment asks for (a gate inside a function, a fast beat schedule, short
broker timeouts) and then runs Celery's own command line. Every process runs in its
own process group and is killed with it, whatever the test did.

Nothing polls: each process's output is read line by line by a thread, and `wait_for`
evaluates its condition again whenever a watched process writes a line or exits —
everything the tests wait for (a worker ready, a task done, a beat firing, a row
written by a task) is followed by a line in some process's log.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
DEADLINE = 30  # seconds for anything to happen
SENDS = "MOPSYNC_TEST_SENDS"
GATE = "MOPSYNC_TEST_GATE"


def stop_at_gate(gate: str) -> None:
    """In a worker: say so (`<gate>.waiting`, and a line of output that wakes the test's
    `wait_for`), then block until the process is killed — a worker caught mid-task."""
    Path(gate + ".waiting").touch()
    print(f"test gate: waiting at {gate}", file=sys.stderr, flush=True)  # noqa: T201
    threading.Event().wait()


class CountingBackend(BaseEmailBackend):
    """Appends one line per email to the file named by $MOPSYNC_TEST_SENDS. With
    $MOPSYNC_TEST_GATE set it first stops at the gate (`stop_at_gate`): a worker stuck
    in the middle of a send."""

    def send_messages(self, messages):
        gate = os.environ.get(GATE)
        if gate:
            stop_at_gate(gate)
        with open(os.environ[SENDS], "a") as sends:
            for message in messages:
                sends.write(f"{message.to[0]}\t{message.subject}\n")
        return len(messages)


# Woken whenever a watched process writes a line or exits; `_events` counts those.
_ACTIVITY = threading.Condition()
_events = 0


def _happened() -> None:
    global _events
    with _ACTIVITY:
        _events += 1
        _ACTIVITY.notify_all()


def wait_for(condition, what: str, deadline: float = DEADLINE):
    """`condition()`'s value once it is true, evaluated now and again after each line
    (or exit) of a watched process, until `deadline` seconds have passed."""
    end = time.monotonic() + deadline
    while True:
        with _ACTIVITY:
            seen = _events
        value = condition()
        if value:
            return value
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out after {deadline}s waiting for {what}")
        with _ACTIVITY:
            _ACTIVITY.wait_for(lambda seen=seen: _events != seen, timeout=remaining)


def sent_to(sends: Path) -> Counter:
    return Counter(line.split("\t")[0] for line in sends.read_text().splitlines() if line)


def sent_lines(sends: Path) -> Counter:
    """(recipient, subject) → how many emails."""
    return Counter(tuple(line.split("\t", 1)) for line in sends.read_text().splitlines() if line)


def worker_database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL it if the test process dies without its
    clean-up (Linux's PR_SET_PDEATHSIG), so no worker or Redis outlives a crashed run."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


class Process:
    """A subprocess in its own process group, its output read as it comes (copied to a
    log file) and watched by `wait_for`."""

    def __init__(self, command: list[str], *, log: Path, env: dict[str, str]):
        self.log = log
        self._lines: list[str] = []
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self._reader = threading.Thread(target=self._read, name=f"output of {command[0]}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with open(self.log, "wb") as copy:
            for line in iter(self.process.stdout.readline, b""):
                copy.write(line)
                copy.flush()
                with _ACTIVITY:
                    self._lines.append(line.decode(errors="replace"))
                _happened()
        self.process.wait()
        _happened()  # it exited (or closed its output)

    def output(self) -> str:
        with _ACTIVITY:
            return "".join(self._lines)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group: no shutdown, no ack, no cleanup."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        # Whatever the leader did, nothing of its group outlives the test.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._reader.join(timeout=10)


def celery_env(sends: Path, *, redis_url: str, gate: Path | None = None, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "CONN_MAX_AGE": "0",
        "EMAIL_BACKEND": "tests.celery_support.CountingBackend",
        SENDS: str(sends),
        GATE: str(gate) if gate else "",
        **extra,
    }


class Worker(Process):
    """`celery -A mopsync worker --pool=solo` on this test's database.

    `gate_after="module:function"` makes the worker block (after `<gate>.waiting` is
    touched) right after that function returns, until the gate file exists; the email
    gate (`gate` without `gate_after`) blocks inside the send. `transport` overrides
    broker transport options (e.g. a short visibility timeout)."""

    count = 0

    def __init__(
        self,
        tmp: Path,
        sends: Path,
        *,
        redis_url: str,
        gate: Path | None = None,
        gate_after: str = "",
        transport: dict | None = None,
        env: dict[str, str] | None = None,
    ):
        Worker.count += 1
        self.name = f"itest{Worker.count}-{os.getpid()}@localhost"
        extra = {"MOPSYNC_TEST_GATE_AFTER": gate_after, "MOPSYNC_TEST_TRANSPORT": json.dumps(transport or {})}
        environment = celery_env(sends, redis_url=redis_url, gate=gate, **extra, **(env or {}))
        if gate_after:
            environment[GATE] = ""  # the email gate is off; the function gate uses this path
            environment["MOPSYNC_TEST_FUNCTION_GATE"] = str(gate)
        command = [
            sys.executable, "-m", "tests.celery_proc", "worker", "--pool=solo", "--loglevel=info",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", self.name,
        ]  # fmt: skip
        super().__init__(command, log=tmp / f"worker{Worker.count}.log", env=environment)
        wait_for(lambda: "ready." in self.output() or not self.alive(), "the worker to start")
        assert self.alive(), f"the worker exited:\n{self.output()}"

    def succeeded(self, task_name: str) -> int:
        """How many times this worker finished `task_name` (from its log)."""
        return sum(1 for line in self.output().splitlines() if f"Task {task_name}[" in line and "succeeded" in line)

    def drain(self) -> None:
        """Wait until the worker has handled every message queued so far: one more
        message behind them, and the solo worker takes them in order."""
        from campaigns import tasks

        marker = tasks.deliver_notifications.apply_async(args=[[]])
        wait_for(lambda: f"[{marker.id}] succeeded" in self.output(), "the worker to drain its queue")


def drain_all(workers: list[Worker]) -> None:
    """`Worker.drain` for several workers on one queue: markers are published until
    each worker has handled one, so everything queued before is done by then."""
    from campaigns import tasks

    markers: list[str] = []

    def each_took_one() -> bool:
        if len(markers) < 10 * len(workers):
            markers.append(tasks.deliver_notifications.apply_async(args=[[]]).id)
        return all(any(f"[{m}] succeeded" in w.output() for m in markers) for w in workers)

    wait_for(each_took_one, "every worker to drain the queue")


class Beat(Process):
    """`celery -A mopsync beat` with a schedule file of its own; `every` seconds
    replaces the schedule with the named tasks firing that often."""

    count = 0

    def __init__(self, tmp: Path, sends: Path, *, redis_url: str, every: float, tasks: list[str]):
        Beat.count += 1
        env = celery_env(sends, redis_url=redis_url, MOPSYNC_TEST_BEAT=json.dumps({"every": every, "tasks": tasks}))
        schedule = tmp / f"beat{Beat.count}-schedule"
        command = [
            sys.executable, "-m", "tests.celery_proc", "beat", "--loglevel=info", "-s", str(schedule),
            "--pidfile=",
        ]  # fmt: skip
        super().__init__(command, log=tmp / f"beat{Beat.count}.log", env=env)
        wait_for(lambda: "Sending due task" in self.output() or not self.alive(), "the beat to send a task")
        assert self.alive(), f"the beat exited:\n{self.output()}"

    def sent(self) -> int:
        return self.output().count("Sending due task")


def free_port_from(ports: range) -> int:
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {ports}")


class RedisServer:
    """A private `redis-server` on a loopback port (never the shared one): no
    persistence, so a stop loses what it held, as a crashed Redis would."""

    def __init__(self, tmp: Path, port: int):
        self.port = port
        self.tmp = tmp
        self.url = f"redis://127.0.0.1:{port}/0"
        self.server: Process | None = None
        self.starts = 0

    def start(self) -> None:
        executable = shutil.which("redis-server")
        assert executable, "redis-server is not installed"
        self.starts += 1
        command = [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.server = Process(command, log=self.tmp / f"redis-{self.port}-{self.starts}.log", env=dict(os.environ))
        server = self.server
        wait_for(lambda: "Ready to accept connections" in server.output() or not server.alive(), "redis-server")
        assert self.ping(), f"redis-server on port {self.port} does not answer:\n{server.output()}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.kill()  # SIGKILL, then reaped: its port is closed
            self.server = None
        assert not self.ping(), f"redis-server on port {self.port} still answers"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextlib.contextmanager
def processes():
    """Collects started processes and stops every one of them at the end."""
    started: list = []
    try:
        yield started
    finally:
        for process in reversed(started):
            if isinstance(process, RedisServer):
                if process.server is not None:
                    process.server.kill()
            else:
                process.stop()
