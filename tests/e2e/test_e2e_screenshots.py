"""The README's pictures of the calendar, taken from the demo brand (`manage.py
load_demo`) in Chromium: the month at 1280 px and the agenda a phone shows at 390 px.

They are written to var/e2e/; `make screenshots` runs this file and copies them to
docs/screenshots/. Each is clipped to the calendar and kept small (< 200 KB, 256 colours:
`tests.e2e.png`). The
demo's dates are relative to the day it is loaded, so the pictures show this month."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from campaigns.management.demo_brand import DEMO_PASSWORD
from tests.e2e.conftest import sign_in
from tests.e2e.png import to_palette

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_BYTES = 200_000
SCROLL_WIDTH = "document.documentElement.scrollWidth"
# The top of an element in page coordinates, for a clip of a full-page screenshot.
TOP = "(el) => el.getBoundingClientRect().top + window.scrollY"


@pytest.fixture
def demo():
    call_command("load_demo", force=True, stdout=io.StringIO())


def small(path: Path) -> Path:
    size = to_palette(path)
    assert size < MAX_BYTES, f"{path.name} is {size} bytes"
    return path


def test_screenshots_of_the_demo_month_at_1280_px_and_its_agenda_at_390_px(page, demo, artifacts):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "maya", DEMO_PASSWORD)

    page.goto("/calendar/")
    month = page.locator("table.cal-month")
    assert page.evaluate(SCROLL_WIDTH) <= 1280
    assert month.locator("li.cal-entry").count() > 40  # the demo's month is busy
    month.screenshot(path=str(artifacts / "calendar-month-1280.png"))
    small(artifacts / "calendar-month-1280.png")

    page.set_viewport_size({"width": 390, "height": 844})
    agenda = page.locator(".cal-agenda")
    assert agenda.is_visible() and not month.is_visible()
    assert page.evaluate(SCROLL_WIDTH) <= 390
    # The first days of the agenda, as a phone shows them below the filters.
    top = agenda.evaluate(TOP)
    height = min(agenda.bounding_box()["height"], 900)
    page.screenshot(
        path=str(artifacts / "calendar-agenda-390.png"),
        full_page=True,
        clip={"x": 0, "y": top - 8, "width": 390, "height": height + 8},
    )
    small(artifacts / "calendar-agenda-390.png")
