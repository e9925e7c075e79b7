"""A sign-off is "overdue" only when a submission really waited past its deadline
(issue 17): a plan submitted on its own start day is late notice, said once, on the
approval queue and in the daily report alike (`selectors.signoff_overdue`).

maya is marketing (owns the plans), ishaan keeps stock and signs off inventory.
"""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from campaigns import reports, selectors
from tests.helpers import make_world, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return make_world()


def local(*parts) -> dt.datetime:
    """A moment in the organisation's time zone (the one its dates are read in)."""
    return dt.datetime(*parts, tzinfo=timezone.get_default_timezone())


def queue_page(ishaan) -> str:
    client = Client()
    client.force_login(ishaan)
    return client.get("/approvals/").content.decode()


def report_text(now) -> str:
    report = reports.build_daily_report(today=timezone.localdate(now), now=now)
    return reports.render_daily_report(report).text


def test_a_plan_submitted_on_its_start_day_is_late_notice_not_overdue(world, maya, ishaan, time_machine):
    time_machine.move_to(local(2026, 12, 10, 10, 0), tick=False)
    today = timezone.localdate()
    campaign = submitted(world, maya, starts_on=today, ends_on=today + dt.timedelta(days=2))

    assert campaign.late_notice
    assert campaign.signoff_due_at <= campaign.submitted_at  # its deadline, the start, had come
    assert not selectors.signoff_overdue(campaign, now=timezone.now())
    page = queue_page(ishaan)
    assert page.count("late notice") >= 1
    assert "sign-off overdue" not in page
    text = report_text(timezone.now())
    assert "[late notice]" in text
    assert "[overdue]" not in text


def test_a_plan_that_waited_past_its_deadline_is_overdue(world, maya, ishaan, time_machine):
    time_machine.move_to(local(2026, 12, 1, 10, 0), tick=False)
    campaign = submitted(world, maya)  # starts in 10 days: a normal submission
    assert not campaign.late_notice
    assert not selectors.signoff_overdue(campaign, now=timezone.now())

    time_machine.move_to(campaign.signoff_due_at + dt.timedelta(minutes=1), tick=False)

    assert selectors.signoff_overdue(campaign, now=timezone.now())
    page = queue_page(ishaan)
    assert "sign-off overdue" in page
    assert "late notice" not in page
    text = report_text(timezone.now())
    assert "[overdue]" in text
    assert "[late notice]" not in text


def test_a_late_notice_plan_whose_deadline_was_still_ahead_becomes_overdue_after_it(world, maya, time_machine):
    time_machine.move_to(local(2026, 12, 10, 10, 0), tick=False)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    campaign = submitted(world, maya, starts_on=tomorrow, ends_on=tomorrow + dt.timedelta(days=2))
    assert campaign.late_notice and campaign.signoff_due_at > campaign.submitted_at

    assert not selectors.signoff_overdue(campaign, now=campaign.signoff_due_at)
    assert selectors.signoff_overdue(campaign, now=campaign.signoff_due_at + dt.timedelta(minutes=1))
