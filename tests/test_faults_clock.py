"""Fault: the clock at midnight and across daylight-saving changes, in a time zone that
has them (issue 8). mopsync's "today" is the organisation's (TIME_ZONE), never UTC's:
a campaign goes live on its start date and completes after its end date as the
organisation's calendar says, and the 06:00 report is for the right day.

US Eastern: DST starts on Sun 8 Mar 2026 (02:00 → 03:00, UTC-5 → UTC-4) and ends on
Sun 1 Nov 2026 (02:00 → 01:00). The scheduled tasks are called as beat would call
them, under `time_machine`. These need no PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from campaigns import reports, services, tasks
from campaigns.models import AlertLog, AuditEvent, Campaign, Notification, Status
from tests.helpers import approved, make_world

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def at(year, month, day, hour, minute=0, second=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def new_york(settings):
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def london(settings):
    settings.TIME_ZONE = "Europe/London"


def plan_on(world, team, start: dt.date, end: dt.date, *, planned_at: dt.datetime, name="Spring sale") -> Campaign:
    maya, ishaan, lata = team
    with time_machine.travel(planned_at, tick=False):
        return approved(world, maya, ishaan, lata, name=name, starts_on=start, ends_on=end)


@pytest.fixture
def team(maya, ishaan, lata):
    return maya, ishaan, lata


def status(campaign) -> str:
    return Campaign.objects.get(pk=campaign.pk).status


def test_go_live_waits_for_local_midnight_on_the_day_dst_starts(new_york, team):
    campaign = plan_on(make_world(), team, dt.date(2026, 3, 8), dt.date(2026, 3, 12), planned_at=at(2026, 3, 1, 17))

    with time_machine.travel(at(2026, 3, 8, 4, 59), tick=False):  # UTC says the 8th; New York: 23:59 on the 7th
        assert timezone.localdate() == dt.date(2026, 3, 7)
        assert tasks.go_live_due() == {"started": 0, "alerted": 0}
    assert status(campaign) == Status.APPROVED

    with time_machine.travel(at(2026, 3, 8, 5, 0, 30), tick=False):  # 00:00:30 EST on the 8th
        assert tasks.go_live_due()["started"] == 1
    assert status(campaign) == Status.LIVE

    with time_machine.travel(at(2026, 3, 8, 7, 30), tick=False):  # 03:30 EDT: the skipped hour is behind us
        assert tasks.go_live_due() == {"started": 0, "alerted": 0}  # the next runs change nothing
    assert AuditEvent.objects.filter(campaign=campaign, action="go_live").count() == 1


def test_go_live_on_the_local_date_even_when_utc_is_still_the_day_before(london, team):
    """London in summer (BST, UTC+1): 00:30 on 1 July is 23:30 on 30 June in UTC."""
    campaign = plan_on(make_world(), team, dt.date(2026, 7, 1), dt.date(2026, 7, 5), planned_at=at(2026, 6, 20, 9))

    with time_machine.travel(at(2026, 6, 30, 22, 59), tick=False):  # 23:59 BST on the 30th
        assert tasks.go_live_due()["started"] == 0
    with time_machine.travel(at(2026, 6, 30, 23, 30), tick=False):  # 00:30 BST on the 1st; UTC: still the 30th
        assert timezone.localdate() == dt.date(2026, 7, 1)
        assert tasks.go_live_due()["started"] == 1
    assert status(campaign) == Status.LIVE


def test_completion_after_the_local_end_date_on_the_day_dst_ends(new_york, team):
    """1 Nov 2026 has 25 hours in New York: the campaign runs through all of them."""
    campaign = plan_on(make_world(), team, dt.date(2026, 10, 30), dt.date(2026, 11, 1), planned_at=at(2026, 10, 20, 15))
    with time_machine.travel(at(2026, 10, 30, 16), tick=False):
        services.campaign_go_live(campaign=campaign, actor=None)

    for moment in (
        at(2026, 11, 1, 5, 30),  # 01:30 EDT, the first time
        at(2026, 11, 1, 6, 30),  # 01:30 EST, the second time
        at(2026, 11, 2, 4, 59),  # 23:59 EST on the 1st: UTC is already the 2nd
    ):
        with time_machine.travel(moment, tick=False):
            assert timezone.localdate() == dt.date(2026, 11, 1)
            assert tasks.complete_ended() == 0
    assert status(campaign) == Status.LIVE

    with time_machine.travel(at(2026, 11, 2, 5, 0, 30), tick=False):  # 00:00:30 EST on the 2nd
        assert tasks.complete_ended() == 1
    assert status(campaign) == Status.COMPLETED


def report_subjects() -> list[str]:
    rows = Notification.objects.filter(kind="daily_report").order_by("subject")
    return list(rows.values_list("subject", flat=True).distinct())


def test_the_six_oclock_report_on_the_day_dst_starts_is_for_that_day(new_york, team):
    world = make_world()
    today = plan_on(world, team, dt.date(2026, 3, 8), dt.date(2026, 3, 9), planned_at=at(2026, 3, 1, 17), name="Today")
    plan_on(world, team, dt.date(2026, 3, 9), dt.date(2026, 3, 10), planned_at=at(2026, 3, 1, 17), name="Tomorrow")

    with time_machine.travel(at(2026, 3, 8, 10), tick=False):  # 06:00 EDT (10:00 UTC; it would be 11:00 in EST)
        assert timezone.localtime().hour == 6
        report = reports.build_daily_report(today=timezone.localdate())
        assert [c.pk for c in report.launches_today] == [today.pk]
        assert tasks.send_daily_report() == 3
        assert tasks.send_daily_report() == 0  # a second beat, a retry: nothing more
    assert list(AlertLog.objects.filter(kind="daily_report").values_list("day", flat=True)) == [dt.date(2026, 3, 8)]
    assert report_subjects() == ["mopsync daily report, Sun 08 Mar 2026"]


def test_a_report_just_after_local_midnight_is_for_the_new_local_day(new_york, team):
    """Beat was down at 06:00 and catches up at 00:05: the report is for the local day
    that has just begun, and the day before's is not sent again."""
    plan_on(make_world(), team, dt.date(2026, 11, 1), dt.date(2026, 11, 3), planned_at=at(2026, 10, 20, 15))

    with time_machine.travel(at(2026, 11, 1, 3, 55), tick=False):  # 23:55 EDT on 31 Oct; UTC: 1 Nov
        assert tasks.send_daily_report() == 3
    with time_machine.travel(at(2026, 11, 1, 4, 5), tick=False):  # 00:05 EDT on 1 Nov
        assert tasks.send_daily_report() == 3
    with time_machine.travel(at(2026, 11, 1, 6, 30), tick=False):  # 01:30 EST, the hour that repeats
        assert tasks.send_daily_report() == 0
    days = sorted(AlertLog.objects.filter(kind="daily_report").values_list("day", flat=True))
    assert days == [dt.date(2026, 10, 31), dt.date(2026, 11, 1)]
    assert report_subjects() == [
        "mopsync daily report, Sat 31 Oct 2026",
        "mopsync daily report, Sun 01 Nov 2026",
    ]


@pytest.fixture
def celery_in_new_york():
    """Beat's crontab times are in CELERY_TIMEZONE, which follows TIME_ZONE (settings)."""
    from mopsync.celery import app

    was = app.conf.timezone
    app.conf.timezone = "America/New_York"
    del app.timezone  # a cached property
    try:
        yield app
    finally:
        app.conf.timezone = was
        del app.timezone


@pytest.mark.parametrize(
    ("last_run", "before", "after"),
    [
        # DST starts: 06:00 EDT is 10:00 UTC (it was 11:00 the day before).
        (at(2026, 3, 7, 11), at(2026, 3, 8, 9, 59), at(2026, 3, 8, 10, 0, 5)),
        # DST ends: 06:00 EST is 11:00 UTC (it was 10:00 the day before).
        (at(2026, 10, 31, 10), at(2026, 11, 1, 10, 59), at(2026, 11, 1, 11, 0, 5)),
    ],
)
def test_beat_fires_the_daily_report_at_six_local_on_dst_days(settings, celery_in_new_york, last_run, before, after):
    schedule = settings.CELERY_BEAT_SCHEDULE["daily-report"]["schedule"]
    zone = celery_in_new_york.timezone
    for moment, due in ((before, False), (after, True)):
        schedule.nowfun = lambda moment=moment: moment.astimezone(zone)
        try:
            assert schedule.is_due(last_run.astimezone(zone)).is_due is due, moment
        finally:
            schedule.nowfun = None
