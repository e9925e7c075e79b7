"""Load a realistic demo brand. Refuses to run with DEBUG off unless --force."""

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign

DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - demo only, refused when DEBUG is off
DEMO_USERS = {"maya": "marketing", "ishaan": "ops_inventory", "lata": "ops_logistics", "omar": "ops_lead"}


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
        for username, role in DEMO_USERS.items():
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(Group.objects.get(name=role))
        admin, created = User.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        self.stdout.write(self.style.SUCCESS("Demo users ready."))
