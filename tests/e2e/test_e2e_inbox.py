"""In a real browser (issue 17): an unread notification stands out by more than colour
(the word "Unread", a bold subject), the kind filter works without JavaScript, one
notification is marked read, and the notification settings page saves."""

import pytest

from campaigns.models import Notification, Preference
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_inbox_shows_unread_filters_marks_read_and_links_to_settings(page, maya, artifacts):
    Notification.objects.create(recipient=maya, kind="live", subject="Diwali tees is live")
    Notification.objects.create(recipient=maya, kind="paused", subject="Old pause")
    sign_in(page, "maya")
    page.goto("/inbox/")

    unread = page.locator("li.unread", has_text="Diwali tees is live")
    assert unread.locator(".unread-mark").inner_text() == "Unread"
    weight = unread.locator(".inbox-subject").evaluate("e => getComputedStyle(e).fontWeight")
    assert int(weight) >= 700
    page.screenshot(path=str(artifacts / "inbox.png"))

    page.get_by_label("Kind").select_option("live")
    page.get_by_role("button", name="Filter").click()
    assert "kind=live" in page.url
    assert page.locator("ul.inbox li").count() == 1

    page.get_by_role("button", name="Mark “Diwali tees is live” as read").click()
    assert "kind=live" in page.url
    assert page.locator("li.read", has_text="Diwali tees is live").count() == 1
    assert page.locator(".unread-mark").count() == 0

    page.get_by_role("link", name="Notification settings").click()
    page.locator("#live-email").uncheck()
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Notification settings saved.").wait_for()
    assert "email" not in Preference.objects.get(user=maya).channels["live"]
