"""A person's path, in Debian's Chromium against a real `mlsd app`: start, answer, scorecard.

Slow (a real server and browser), so it runs once, as one test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from common.processes import free_port, start_app, stop, wait_for

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-results"
pytestmark = pytest.mark.browser


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    server = start_app(port, tmp_path / "data")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/_stcore/health", server)
        yield url
    finally:
        stop(server)


@pytest.fixture
def page() -> Iterator[Page]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make browser-deps`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def _send(page: Page, text: str) -> None:
    before = page.get_by_test_id("stChatMessage").count()
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")
    expect(page.get_by_test_id("stChatMessage")).not_to_have_count(before, timeout=20_000)
    # the reply streams into a placeholder; the rerun then renders it with its caption
    expect(page.get_by_test_id("stChatMessage").last).to_contain_text("· offline", timeout=20_000)


def test_a_person_completes_an_interview_in_the_browser(app_url: str, page: Page) -> None:
    page.goto(app_url)
    page.get_by_role("button", name="Start a new interview").click()
    expect(page.get_by_test_id("stChatMessage").first).to_contain_text("1/7 · ask", timeout=20_000)
    expect(page.get_by_text("Engine:")).to_contain_text("offline")
    _send(page, "What latency budget and peak traffic do we have?")
    expect(page.get_by_test_id("stChatMessage").last).to_contain_text("ms")
    for _ in range(60):
        _send(page, "I would split by time, use PR-AUC, and log the served features for training.")
        if "wrap_up" in page.get_by_test_id("stChatMessage").last.inner_text():
            break
    page.get_by_role("button", name="Show my scorecard").click(timeout=20_000)
    expect(page.get_by_text("Scorecard", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_contain_text("Overall")
    expect(page.get_by_test_id("stChatInput")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scorecard.png"), full_page=True)
