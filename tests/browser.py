"""The browser of the console tests: Debian's chromium driven by Playwright, one per run (the session fixture
lives here and conftest.py imports it, so every test module shares it), a fresh tab per test, screenshots."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
DESKTOP, PHONE = {"width": 1400, "height": 900}, {"width": 390, "height": 844}
UI_WAIT_MS = 60_000  # the longest a job here takes on 2 shared cores, with room to spare


@pytest.fixture(scope="session")
def browser():
    assert Path(CHROMIUM).exists(), "install Debian's chromium (scripts/test.sh does: apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh tab at desktop size; a script error in the page fails the test."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("dialog", lambda dialog: dialog.accept())
    expect.set_options(timeout=UI_WAIT_MS)
    yield tab
    context.close()
    assert not errors, errors


def shot(page: Page, name: str, full_page: bool = False) -> None:
    """A screenshot for docs/console when CONSOLE_SCREENSHOTS names a folder."""
    folder = os.environ.get("CONSOLE_SCREENSHOTS")
    if folder:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)
