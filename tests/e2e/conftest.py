"""End-to-end tests: Playwright drives Debian's Chromium against a live server.

Where /usr/bin/chromium is missing they are skipped with the command to install it;
CI sets MOPSYNC_REQUIRE_E2E=1 so that a missing browser fails instead of skipping.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "e2e"

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls
# are plain synchronous code, so tell Django that is intended.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = "Chromium not found at /usr/bin/chromium: install it with `apt-get install chromium`"
        if os.environ.get("MOPSYNC_REQUIRE_E2E") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield browser
        browser.close()


# Every page reports the Content-Security-Policy violations the browser sees (an inline
# script, style or handler the policy blocks) to the test, which fails on any.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}` +
                     (e.sourceFile ? ` (${e.sourceFile}:${e.lineNumber})` : ""));
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    return []


@pytest.fixture
def page(browser, live_server, csp_violations):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url)
    context.expose_binding("__reportCsp", lambda source, text: csp_violations.append(text))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not csp_violations, "the Content-Security-Policy blocked something: " + "; ".join(csp_violations)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def sign_in(page, username: str, password: str | None = None) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or f"pw-{username}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
