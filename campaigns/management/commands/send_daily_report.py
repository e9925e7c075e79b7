"""Send (or, with --dry-run, print) the shared daily report."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaigns import reports


class Command(BaseCommand):
    help = (
        "Send today's shared daily report to every active user with a role who has not opted out, "
        "once per day (a second run the same day sends nothing). --dry-run prints it instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print the report; send and record nothing.")
        parser.add_argument("--html", action="store_true", help="With --dry-run, print the HTML part.")
        parser.add_argument("--date", help="The report's day, YYYY-MM-DD (default: today, organisation time).")

    def handle(self, *args, dry_run=False, html=False, date=None, **options):
        today = timezone.localdate()
        if date:
            try:
                today = dt.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, got {date!r}") from exc
        result = reports.send_daily_report(today=today, dry_run=dry_run)
        if dry_run:
            if html:
                self.stdout.write(result.rendered.html)
            else:
                self.stdout.write(f"Subject: {result.rendered.subject}\n")
                self.stdout.write(f"(dry run: would go to {result.recipients} people)\n\n")
                self.stdout.write(result.rendered.text)
            return
        if result.already_sent:
            self.stdout.write(f"The daily report for {today:%d %b %Y} was already sent; nothing sent.")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Daily report for {today:%d %b %Y} queued for {result.recipients} people.")
            )
