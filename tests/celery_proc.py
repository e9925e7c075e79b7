"""`python -m tests.celery_proc worker|beat ...`: Celery's command line for the
integration and fault tests, with hooks from the environment installed first.

- MOPSYNC_TEST_TRANSPORT: JSON merged into the broker transport options (a short
  visibility timeout, so a killed worker's message comes back within the test).
- MOPSYNC_TEST_GATE_AFTER="module:function" with MOPSYNC_TEST_FUNCTION_GATE=<path>:
  the first call of that function returns normally, then the process touches
  `<path>.waiting`, says so on its output and blocks until it is killed (a worker
  caught mid-task; `tests.celery_support.stop_at_gate`).
- MOPSYNC_TEST_BEAT='{"every": 1, "tasks": [...]}': beat's schedule becomes those
  tasks, each every `every` seconds.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
from pathlib import Path


def install_gate(target: str, gate: Path) -> None:
    module_name, name = target.split(":")
    module = importlib.import_module(module_name)
    original = getattr(module, name)
    state = {"calls": 0}

    @functools.wraps(original)
    def gated(*args, **kwargs):
        result = original(*args, **kwargs)
        state["calls"] += 1
        if state["calls"] == 1:
            from tests.celery_support import stop_at_gate

            stop_at_gate(str(gate))
        return result

    setattr(module, name, gated)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mopsync.settings")
    import django

    django.setup()
    from mopsync.celery import app

    transport = json.loads(os.environ.get("MOPSYNC_TEST_TRANSPORT") or "{}")
    if transport:
        app.conf.broker_transport_options = {**app.conf.broker_transport_options, **transport}
    beat = json.loads(os.environ.get("MOPSYNC_TEST_BEAT") or "{}")
    if beat:
        app.conf.beat_schedule = {name: {"task": name, "schedule": beat["every"]} for name in beat["tasks"]}
    if os.environ.get("MOPSYNC_TEST_GATE_AFTER"):
        install_gate(os.environ["MOPSYNC_TEST_GATE_AFTER"], Path(os.environ["MOPSYNC_TEST_FUNCTION_GATE"]))

    from celery.__main__ import main as celery_main

    sys.argv = ["celery", "-A", "mopsync", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
