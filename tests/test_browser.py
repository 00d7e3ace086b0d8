"""A person's path, in Debian's Chromium against a real `mlsd app`: start, answer, scorecard.

Slow (a real server and browser), so it runs once, as one test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not become healthy in {timeout} s")


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "MLSD_DATA_DIR": str(tmp_path / "data")}
    server = subprocess.Popen(
        [sys.executable, "-m", "interviewer.cli", "app", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server)
        yield url
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)


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


def test_a_person_completes_an_interview_in_the_browser(app_url: str, page: Page) -> None:
    page.goto(app_url)
    page.get_by_role("button", name="Start a new interview").click()
    expect(page.get_by_test_id("stChatMessage").first).to_contain_text("1/7 · ask", timeout=20_000)
    expect(page.get_by_text("Engine:")).to_contain_text("offline")
    _send(page, "What latency budget and peak traffic do we have?")
    expect(page.get_by_test_id("stChatMessage").last).to_contain_text("ms")
    for _ in range(60):
        if page.get_by_text("Scorecard", exact=True).count():
            break
        _send(page, "I would split by time, use PR-AUC, and log the served features for training.")
    expect(page.get_by_text("Scorecard", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_contain_text("Overall")
    expect(page.get_by_test_id("stChatInput")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scorecard.png"), full_page=True)
