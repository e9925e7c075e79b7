"""Load a realistic demo brand. Refuses to run with DEBUG off unless --force."""

import logging
from collections import Counter
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from campaigns.management import demo_brand as demo
from campaigns.models import Campaign, Notification, Status
from capacity.models import Courier, CourierLane, Region, Reservation, Sku, Warehouse

DEMO_PASSWORD = demo.DEMO_PASSWORD
DEMO_USERS = {username: role for username, (role, *_) in demo.DEMO_USERS.items()}
# Loggers that report each in-process notification task; a hundred lines of them say nothing.
CHATTY_LOGGERS = ("celery.app.trace", "campaigns.tasks", "kombu.connection")


@contextmanager
def _quiet(names=CHATTY_LOGGERS):
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Load demo users and a demo brand (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if campaigns already exist.")

    def handle(self, *args, force=False, if_empty=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: refusing to load demo data into what may be production (use --force).")
        if if_empty and Campaign.objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        try:
            import time_machine  # noqa: F401 - the past campaigns are built by travelling in time
        except ImportError as exc:
            raise CommandError(
                "load_demo needs the dev requirements (time-machine): pip install -r requirements-dev.txt"
            ) from exc

        today = timezone.localdate()
        # The services queue a notification per transition; emailing a few hundred of them
        # to the console would bury the summary. They stay in the outbox and in-app inbox.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), _quiet():
            try:
                with transaction.atomic():
                    result = demo.load(today=today)
            except Exception as exc:
                raise CommandError(f"Demo data not loaded (nothing was changed): {exc}") from exc
        self._summary(result, today)

    def _summary(self, result: demo.Result, today) -> None:
        write = self.stdout.write
        write(self.style.SUCCESS(f"{demo.BRAND} demo ready (dates relative to {today:%d %b %Y})."))
        users = ", ".join([*demo.DEMO_USERS, "admin"])
        write(f"  Users: {users} (password {DEMO_PASSWORD})")
        write(
            f"  Capacity: {Warehouse.objects.count()} warehouses, {Sku.objects.count()} SKUs, "
            f"{Region.objects.count()} regions, {Courier.objects.count()} couriers, "
            f"{CourierLane.objects.count()} lanes"
        )
        statuses = Counter(Campaign.objects.values_list("status", flat=True))
        by_status = ", ".join(f"{statuses[s]} {label.lower()}" for s, label in Status.choices if statuses[s])
        write(f"  Campaigns: {sum(statuses.values())} ({by_status})")
        write(
            f"  This run: {len(result.campaigns_created)} campaigns created, "
            f"{len(result.campaigns_skipped)} already present; "
            + (", ".join(f"{n} {kind}" for kind, n in sorted(result.created.items())) or "no new reference data")
        )
        write(
            f"  Reservations: {Reservation.objects.count()} rows; "
            f"notifications in the outbox: {Notification.objects.count()}"
        )
