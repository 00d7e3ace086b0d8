"""The app killed with SIGKILL mid-turn, three times, and started again on the same data: in the
browser every committed turn is back, a candidate turn stored without its reply is answered, and
the interview goes on (Debian's Chromium against a real `mlsd app`)."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from common.processes import free_port, start_app, stop, wait_for
from interviewer.store import Store
from tests.test_browser import _RENDERED, ANSWER, _new_page, _send, _shown, _start, browser  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.reliability]


def _stored(data: Path, session: str) -> list[tuple[str, str]]:
    loaded = Store(f"sqlite:///{data / 'mlsd.sqlite3'}").load(session)
    assert loaded is not None, "the session is gone"
    return [(t.role, t.text) for t in loaded[1]]


def _kill_mid_turn(page: Page, process_pid: int, rng: random.Random) -> None:
    """Send an answer and kill the server's whole process group while the turn is under way."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(f"{ANSWER} ({rng.random():.6f})")
    box.press("Enter")
    time.sleep(rng.uniform(0.0, 0.4))
    os.killpg(process_pid, signal.SIGKILL)


def test_sigkills_of_the_app_mid_turn_lose_no_turn(tmp_path: Path, browser: Browser) -> None:  # noqa: F811
    data, port, rng = tmp_path / "data", free_port(), random.Random(7)
    url = f"http://127.0.0.1:{port}"
    process = start_app(port, data)
    try:
        wait_for(f"{url}/_stcore/health", process)
        page = _new_page(browser)
        page.goto(url)
        _start(page, "Ad click-through rate prediction")
        _send(page, ANSWER)
        session = page.url.split("session=")[1].split("&")[0]
        for _ in range(3):
            before = _stored(data, session)
            _kill_mid_turn(page, process.pid, rng)
            process.wait(timeout=20)
            after_kill = _stored(data, session)
            assert after_kill[: len(before)] == before  # nothing committed was lost or changed
            process = start_app(port, data)
            wait_for(f"{url}/_stcore/health", process)
            page.goto(f"{url}/?session={session}")
            page.wait_for_function(_RENDERED, arg=len(after_kill) - 1, polling=50, timeout=30_000)
            resumed = _stored(data, session)
            assert resumed[: len(after_kill)] == after_kill
            assert resumed[-1][0] == "interviewer"  # a pending candidate turn was answered
            assert _shown(page) == len(resumed)  # and the page shows every stored turn
            _send(page, ANSWER)  # the interview goes on
        assert len(_stored(data, session)) >= 2 + 3 * 2
    finally:
        stop(process)
