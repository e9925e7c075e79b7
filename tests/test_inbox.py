"""The inbox that helps (issue 17): one notification per person and event, unread
styling that is not colour alone, filter by kind, mark one or all read, and each
person's channels per kind (inbox / email / Slack) chosen on a settings page and
honoured by delivery."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone

from campaigns import notifications, services, tasks, triggers
from campaigns.models import Notification, Preference
from tests.helpers import make_world, submitted

pytestmark = pytest.mark.django_db


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def team(maya, ishaan, lata, omar, settings):
    settings.SLACK_WEBHOOK_URL = ""
    for user in (maya, ishaan, lata, omar):
        user.email = f"{user.username}@example.test"
        user.save(update_fields=["email"])
    return {"maya": maya, "ishaan": ishaan, "lata": lata, "omar": omar}


def per_recipient(**filters) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in Notification.objects.filter(**filters).values_list("recipient__username", flat=True):
        counts[name] = counts.get(name, 0) + 1
    return counts


# --------------------------------------------------------------------------- one event, one notification


def test_a_late_submission_tells_each_person_once_with_the_late_flag(world, team):
    soon = timezone.localdate() + dt.timedelta(days=1)
    campaign = submitted(world, team["maya"], starts_on=soon, ends_on=soon + dt.timedelta(days=3))
    assert campaign.late_notice

    # Before: the ops lead got the submission and, again, the late-notice escalation.
    assert per_recipient(campaign=campaign) == {"ishaan": 1, "lata": 1, "omar": 1}
    for note in Notification.objects.filter(campaign=campaign):
        assert note.kind == "submitted"
        assert note.subject.startswith("Late notice — sign-off needed: ")
        assert "late notice" in note.body
    assert Notification.objects.filter(campaign=campaign, post_to_slack=True).count() == 1


def test_a_submission_in_good_time_is_not_flagged_late(world, team):
    campaign = submitted(world, team["maya"])
    assert not campaign.late_notice
    assert per_recipient(campaign=campaign) == {"ishaan": 1, "lata": 1, "omar": 1}
    assert all(n.subject.startswith("Sign-off needed") for n in Notification.objects.filter(campaign=campaign))


def test_the_approving_sign_off_tells_the_owner_once(world, team):
    campaign = submitted(world, team["maya"])
    services.campaign_sign_off(campaign=campaign, actor=team["ishaan"], dimension="inventory", decision="approved")
    services.campaign_sign_off(campaign=campaign, actor=team["lata"], dimension="courier", decision="approved")

    last = Notification.objects.filter(campaign=campaign, kind__in=["approved", "signoff_approved"])
    owner = last.filter(recipient=team["maya"])
    # The first sign-off, then the approval that carries the last one: two events, two rows.
    assert [n.kind for n in owner.order_by("pk")] == ["signoff_approved", "approved"]
    approval = owner.get(kind="approved")
    assert "courier approved by lata" in approval.body
    assert per_recipient(campaign=campaign, kind="approved") == {"maya": 1, "ishaan": 1, "lata": 1, "omar": 1}


def test_an_sla_escalation_reaches_an_approver_who_is_also_a_lead_once(world, team, settings, time_machine):
    team["ishaan"].groups.add(Group.objects.get(name="ops_lead"))
    campaign = submitted(world, team["maya"])
    time_machine.move_to(timezone.now() + dt.timedelta(hours=settings.MOPSYNC_SLA_HOURS + 1))
    assert triggers.sla_reminders(now=timezone.now()) == {"reminded": 1}
    events = per_recipient(campaign=campaign, kind__in=["sla_reminder", "sla_escalation"])
    assert events == {"ishaan": 1, "lata": 1, "omar": 1}
    assert Notification.objects.get(campaign=campaign, recipient=team["ishaan"], kind__startswith="sla").kind == (
        "sla_escalation"
    )


# --------------------------------------------------------------------------- the inbox page


def test_unread_is_marked_in_words_and_read_is_not(maya):
    Notification.objects.create(recipient=maya, kind="submitted", subject="Fresh")
    Notification.objects.create(recipient=maya, kind="live", subject="Old news", read_at=timezone.now())
    html = web(maya).get("/inbox/").content.decode()
    fresh, old = html.split('class="unread"')[1], html.split('class="read"')[1]
    assert (
        "Fresh" in fresh.split("</li>")[0]
        and '<span class="badge unread-mark">Unread</span>' in fresh.split("</li>")[0]
    )
    assert "Old news" in old.split("</li>")[0] and "Unread" not in old.split("</li>")[0]
    assert "A campaign went live" in html  # the kind, in words
    assert 'href="/inbox/settings/"' in html


def test_the_inbox_filters_by_kind_and_unread_without_javascript(maya):
    Notification.objects.create(recipient=maya, kind="submitted", subject="Sign this")
    Notification.objects.create(recipient=maya, kind="live", subject="It is live")
    Notification.objects.create(recipient=maya, kind="live", subject="Seen live", read_at=timezone.now())
    client = web(maya)

    html = client.get("/inbox/?kind=live").content.decode()
    assert "It is live" in html and "Seen live" in html and "Sign this" not in html
    assert '<option value="live" selected>' in html

    html = client.get("/inbox/?kind=live&unread=on").content.decode()
    assert "It is live" in html and "Seen live" not in html and "Sign this" not in html

    response = client.get("/inbox/?kind=nonsense")
    assert response.status_code == 200
    html = response.content.decode()
    assert "not one mopsync sends" in html and "Sign this" in html and "It is live" in html


def test_mark_one_read_keeps_the_filter_and_touches_only_mine(maya, mark):
    mine = Notification.objects.create(recipient=maya, kind="live", subject="Mine")
    other = Notification.objects.create(recipient=maya, kind="live", subject="Other")
    theirs = Notification.objects.create(recipient=mark, kind="live", subject="Theirs")
    client = web(maya)

    response = client.post(f"/inbox/{mine.pk}/read/", {"kind": "live", "unread": "on"})
    assert response.status_code == 302
    assert response["Location"] == f"/inbox/?kind=live&unread=on#n{mine.pk}"
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at is not None and other.read_at is None

    assert client.post(f"/inbox/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.get(f"/inbox/{mine.pk}/read/").status_code == 405


def test_the_inbox_shows_times_with_their_zone(maya, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 5, 8, 35, tzinfo=dt.UTC), tick=False)
    Notification.objects.create(recipient=maya, kind="live", subject="Hello")
    assert ">5 Dec 2026, 14:05 IST</time>" in web(maya).get("/inbox/").content.decode()


def test_mark_all_read_still_works(maya):
    Notification.objects.create(recipient=maya, kind="live", subject="A")
    Notification.objects.create(recipient=maya, kind="paused", subject="B")
    assert web(maya).post("/inbox/").status_code == 302
    assert not Notification.objects.filter(recipient=maya, read_at__isnull=True).exists()


# --------------------------------------------------------------------------- settings page


def test_the_settings_page_shows_the_defaults_and_saves_choices(maya):
    client = web(maya)
    html = client.get("/inbox/settings/").content.decode()
    assert html.count('type="checkbox"') == len(notifications.KINDS) * len(notifications.CHANNELS) + 1
    assert 'name="submitted" value="email" id="submitted-email" checked' in html

    data = {kind: ["in_app", "email", "slack"] for kind in notifications.KINDS}
    data.update({"submitted": ["in_app"], "live": [], "paused": ["email", "slack"]})  # daily_report unticked
    response = client.post("/inbox/settings/", data)
    assert response.status_code == 302 and response["Location"] == "/inbox/settings/"

    preference = Preference.objects.get(user=maya)
    assert preference.daily_report is False
    assert preference.channels["submitted"] == ["in_app"]
    assert preference.channels["live"] == []
    assert preference.channels["paused"] == ["email", "slack"]
    html = client.get("/inbox/settings/").content.decode()
    assert 'name="submitted" value="email" id="submitted-email" aria' in html  # unticked now
    assert 'name="submitted" value="in_app" id="submitted-in_app" checked' in html
    assert "Notification settings saved." in html


def test_the_settings_page_refuses_an_unknown_channel_with_a_400(maya):
    response = web(maya).post("/inbox/settings/", {"submitted": ["pigeon"]})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Preference.objects.filter(user=maya).exists()


def test_the_service_refuses_unknown_kinds_and_channels(maya):
    from mopsync.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        services.notification_preferences_save(actor=maya, channels={"gossip": ["email"]}, daily_report=True)
    assert "gossip" in str(refused.value.errors["channels"])
    with pytest.raises(InvalidInput):
        services.notification_preferences_save(actor=maya, channels={"live": ["fax"]}, daily_report=True)


# --------------------------------------------------------------------------- delivery honours the choices


def choose(user, **channels):
    services.notification_preferences_save(actor=user, channels=channels, daily_report=True)


def test_email_only_when_chosen_and_the_inbox_only_when_chosen(world, team):
    choose(team["ishaan"], submitted=["in_app"])  # no email
    choose(team["lata"], submitted=["email"])  # no inbox
    choose(team["omar"], submitted=[])  # nothing at all
    campaign = submitted(world, team["maya"])

    rows = Notification.objects.filter(campaign=campaign)
    assert per_recipient(campaign=campaign) == {"ishaan": 1, "lata": 1}
    assert tasks.deliver_notifications(list(rows.values_list("pk", flat=True))) == 2
    assert [m.to for m in mail.outbox] == [["lata@example.test"]]

    assert "Sign-off needed" in web(team["ishaan"]).get("/inbox/").content.decode()
    lata_inbox = web(team["lata"]).get("/inbox/").content.decode()
    assert "Sign-off needed" not in lata_inbox
    assert 'aria-label="1 unread"' not in lata_inbox  # the badge counts inbox rows only
    assert 'aria-label="1 unread"' in web(team["ishaan"]).get("/inbox/").content.decode()


def test_the_team_channel_post_goes_with_the_first_recipient_who_wants_slack(world, team):
    choose(team["ishaan"], submitted=["in_app", "email"])
    campaign = submitted(world, team["maya"])
    carrier = Notification.objects.get(campaign=campaign, post_to_slack=True)
    assert carrier.recipient == team["lata"]  # ishaan (first by id) does not want Slack


def test_no_team_channel_post_when_nobody_wants_slack_for_the_kind(world, team):
    for name in ("ishaan", "lata", "omar"):
        choose(team[name], submitted=["in_app", "email"])
    campaign = submitted(world, team["maya"])
    assert Notification.objects.filter(campaign=campaign).count() == 3
    assert not Notification.objects.filter(campaign=campaign, post_to_slack=True).exists()


def test_a_kind_not_chosen_keeps_every_channel(world, team):
    choose(team["ishaan"], live=["in_app"])  # says nothing about submissions
    campaign = submitted(world, team["maya"])
    note = Notification.objects.get(campaign=campaign, recipient=team["ishaan"])
    assert (note.in_app, note.by_email, note.post_to_slack) == (True, True, True)
