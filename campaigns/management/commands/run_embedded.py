"""Serve mopsync with its background work in the same process: no broker server.

Used by `make run` when REDIS_URL is unset. Celery then runs tasks eagerly (in the
process that queues them: notifications are delivered right after the commit that
wrote them), and this command starts Celery beat's own scheduler in a thread of the
web server process, with the same CELERY_BEAT_SCHEDULE as production; each due job
runs in that thread. Its last-run times are kept in var/, so a job missed while the
server was stopped (the 06:00 report) runs when it starts again; every job is
idempotent, so an extra run changes nothing.
"""

import os
from pathlib import Path

from celery.beat import EmbeddedService
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from mopsync.celery import app


class Command(BaseCommand):
    help = "Run the development server with Celery beat's schedule in-process (embedded mode: no Redis)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true", help="Do not restart on code changes.")
        parser.add_argument("--no-beat", action="store_true", help="Serve without running the scheduled jobs.")

    def handle(self, *args, addrport="127.0.0.1:8000", noreload=False, no_beat=False, **options):
        if not app.conf.task_always_eager:
            raise CommandError(
                "REDIS_URL is set: run the web, worker and beat processes of the Procfile instead (`make run` does)."
            )
        # With the autoreloader, this runs twice: in the watching parent and in the
        # serving child (RUN_MAIN=true). Beat belongs in the child only.
        if not no_beat and (noreload or os.environ.get("RUN_MAIN") == "true"):
            self.start_beat()
        call_command("runserver", addrport, use_reloader=not noreload)

    def start_beat(self) -> None:
        # Register the tasks (autodiscovery), so that beat runs them eagerly through
        # `task.apply_async` instead of sending their names to the in-memory broker.
        app.loader.import_default_modules()
        schedule = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME)
        schedule.parent.mkdir(parents=True, exist_ok=True)
        beat = EmbeddedService(app, thread=True, schedule_filename=str(schedule.with_name(schedule.name + "-embedded")))
        beat.start()
        jobs = ", ".join(sorted(settings.CELERY_BEAT_SCHEDULE))
        self.stdout.write(f"Embedded mode: no broker; scheduled jobs run in this process ({jobs}).")
