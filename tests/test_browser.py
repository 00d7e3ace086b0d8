"""A person's paths, in Debian's Chromium against a real `mlsd app`: a whole interview to the
scorecard and both downloads, a refresh that resumes every turn, self-grading, history (the finished
session, resuming an unfinished one, and someone else's browser seeing none of it), and the evals
comparison. Slow (a real server and browser), so it is one long test.

It also measures, as figures (printed and written to test-results/browser-figures.json, never
asserted): first paint after the server is ready, what the page adds to a turn beyond the engine
(timed in the page, from the Enter key to the frame after the run's end; and, as before, from this
process, which also counts Playwright's command and the checks' interval), the same for Streamlit's
floor (`tests/floor_app.py`, a page that answers at once), and opening a history of 50 sessions.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from common.processes import free_port, start, start_app, stop, wait_for
from interviewer.identity import COOKIE, browser_owner
from interviewer.models import SessionState
from interviewer.store import Store
from tests.test_app_logic import _report
from ui.serve import OPTIONS

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
FLOOR_APP = Path(__file__).resolve().with_name("floor_app.py")
ANSWER = "I would split by time, use PR-AUC, and log the served features for training."
HEADLESS = ("--server.headless", "true", "--browser.gatherUsageStats", "false")
pytestmark = pytest.mark.browser


class Server:
    def __init__(self, url: str, data: Path, ready_s: float) -> None:
        self.url, self.data, self.ready_s = url, data, ready_s

    def store(self) -> Store:
        return Store(f"sqlite:///{self.data / 'mlsd.sqlite3'}")


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    reports = tmp_path / "reports"
    reports.mkdir()
    _report(reports / "personas-before.json", "voice-v1", [1, 1, 1])
    _report(reports / "personas-after.json", "voice-v2", [1, 0, 1])
    monkeypatch.setenv("MLSD_REPORTS_DIR", str(reports))
    port = free_port()
    process = start_app(port, tmp_path / "data")
    url = f"http://127.0.0.1:{port}"
    try:
        ready = wait_for(f"{url}/_stcore/health", process)
        yield Server(url, tmp_path / "data", ready)
    finally:
        stop(process)


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make browser-deps`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    ERRORS.clear()
    page.on("pageerror", lambda e: ERRORS.append(str(e)))
    page.on("console", lambda m: ERRORS.append(m.text) if m.type == "error" else None)
    return page


ERRORS: list[str] = []
"""Errors the page raised or logged in the browser's console (a test ends with none)."""


_SHOWN = """(() => {
  const folded = [...document.querySelectorAll('[data-testid=stExpanderDetails] p > strong:first-child')]
    .filter(s => s.textContent === 'Interviewer' || s.textContent === 'You').length;
  return folded + document.querySelectorAll('[data-testid=stChatMessage]').length;
})()"""
"""How many turns the page shows: a chat message each, and those of finished stages, folded."""


def _shown(page: Page) -> int:
    return int(page.evaluate(_SHOWN))


def _messages(page: Page) -> list[str]:
    """The transcript as the page shows it: each finished stage's folded text, then the chat."""
    folded = [e.text_content() or "" for e in page.get_by_test_id("stExpanderDetails").all()]
    return folded + [m.inner_text() for m in page.get_by_test_id("stChatMessage").all()]


_RENDERED = f"""n => {{
  const all = document.querySelectorAll('[data-testid=stChatMessage]');
  return {_SHOWN} > n && all[all.length - 1].innerText.includes('· offline');
}}"""
"""More than n turns shown, the last one an interviewer's turn drawn in full (with its caption)."""
_REPLIED = _RENDERED.replace(
    "· offline');", "· offline') && document.body.innerText.includes('ms in the engine');"
)
"""The same, and the run's engine time drawn: the load test's check from its own process (it reads
the page's text, so it costs the page a little during the turn; the turn timings here use the
watch's flag instead)."""
_WATCH = """([n, mark]) => {
  const turn = window.mlsdTurn = {enter: null, drawn: null};
  const enter = e => { if (e.key === 'Enter') turn.enter = e.timeStamp; };
  addEventListener('keydown', enter, {capture: true, once: true});
  const app = document.querySelector('[data-testid=stApp]');
  const done = () => {
    const all = document.querySelectorAll('[data-testid=stChatMessage]');
    return turn.enter !== null && app.getAttribute('data-test-script-state') === 'notRunning'
      && SHOWN > n && all[all.length - 1].textContent.includes(mark);
  };
  const seen = new MutationObserver(() => {
    if (!done()) return;
    seen.disconnect();
    requestAnimationFrame(() => setTimeout(() => { turn.drawn = performance.now(); }));
  });
  seen.observe(app, {attributes: true, childList: true, subtree: true, characterData: true});
}""".replace("SHOWN", _SHOWN)
"""Times a turn in the page: from the Enter key's event to the first frame drawn after the run is
over with the reply on the page (the run's end, so the engine's time shown is this turn's): more
than n turns shown, the last one's text holding `mark`."""


class Timing(NamedTuple):
    page_ms: float
    """What the page added to the turn beyond the engine, timed in the page (the Enter key's event
    to the frame after the run's end)."""
    wall_ms: float
    """The same, timed from this process: from before Playwright presses Enter to the drawn reply
    found by checks every 25 ms (so it also counts Playwright's command to the browser and up to 25
    ms of waiting for the next check). The checks read only the watch's flag: reading the page's
    text every 25 ms, as they once did, ran on the page's main thread during the turn and cost the
    interview page (not the floor, which was never checked that way) part of what was measured."""


def _send(page: Page, text: str, reply: str | None = None) -> Timing:
    """Send one answer; returns what the page added to the turn beyond the engine. `reply`: the text
    the reply will hold, for a page that shows only the latest exchange (the floor's)."""
    before = _shown(page)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    page.evaluate(_WATCH, [before, "· offline"] if reply is None else [0, reply])
    began = time.perf_counter()
    box.press("Enter")
    try:  # a cheap check: one that reads the page's text would run on its main thread mid-turn
        page.wait_for_function("() => window.mlsdTurn.drawn !== null", polling=25, timeout=30_000)
        wall = (time.perf_counter() - began) * 1000
    except Exception:
        _shot(page, "failed-turn")
        raise AssertionError(f"no reply; page errors: {ERRORS[-3:]}") from None
    engine = float(page.get_by_text("ms in the engine").inner_text().split(":")[1].split("ms")[0])
    drawn = page.evaluate("() => window.mlsdTurn.drawn - window.mlsdTurn.enter")
    return Timing(drawn - engine, wall - engine)


def _floor_ms(browser: Browser, turns: int) -> list[float]:
    """Streamlit's own cost of a turn on this machine: `tests/floor_app.py`, a page that answers at
    once and shows only the latest exchange, served with the app's options and timed by the same
    watch as the interview."""
    port = free_port()
    streamlit = [sys.executable, "-m", "streamlit", "run", str(FLOOR_APP)]
    process = start([*streamlit, *OPTIONS, *HEADLESS, "--server.port", str(port)])
    try:
        wait_for(f"http://127.0.0.1:{port}/_stcore/health", process)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(f"http://127.0.0.1:{port}")
        page.get_by_test_id("stChatInputTextArea").wait_for()
        times = [_send(page, "An answer.", f"Reply {n + 1}.").page_ms for n in range(turns)]
        page.context.close()
        return times
    finally:
        stop(process)


def _reload_shows_the_same(page: Page) -> None:
    """A refresh resumes the interview: every turn is back, as it was shown."""
    said, shown = _messages(page), _shown(page)
    page.reload()
    page.wait_for_function(_RENDERED, arg=shown - 1, polling=25, timeout=30_000)
    assert _messages(page) == said


def _choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a select box by keyboard: focus it, type, Enter."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")
    expect(box).to_have_value(re.compile(re.escape(option)))


def _go(page: Page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _start(page: Page, case: str) -> None:
    _choose(page, "Case", case)
    page.get_by_role("button", name="Start the interview").click()
    expect(page.get_by_test_id("stChatMessage").first).to_contain_text("1/7 · ask", timeout=20_000)


def test_a_person_practises_reviews_and_compares_in_the_browser(server: Server, browser: Browser) -> None:
    figures: dict[str, float] = {"server_ready_s": round(server.ready_s, 2)}
    page = _new_page(browser)
    began = time.perf_counter()
    page.goto(server.url)
    page.wait_for_function("() => document.body.innerText.includes('Start the interview')", polling=25)
    figures["first_paint_ms"] = round((time.perf_counter() - began) * 1000)
    _shot(page, "1-setup")

    # a whole interview, with a refresh in the middle that resumes every turn
    _start(page, "Ad click-through rate prediction")
    expect(page.get_by_test_id("stCaptionContainer").first).to_contain_text("engine speaking: offline")
    expect(page.locator("#mlsd-clock")).to_contain_text("used")
    overheads = [_send(page, "What latency budget and peak traffic do we have?")]
    overheads += [_send(page, ANSWER) for _ in range(3)]
    _reload_shows_the_same(page)
    session = page.url.split("session=")[1].split("&")[0]
    token = next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)
    mine = server.store().owned_by(browser_owner(token))
    for sent in range(60):
        overheads.append(_send(page, ANSWER))
        if sent == 15:  # a turn redraws only the live tail: every stored turn is still shown once
            stored = mine.load(session)
            assert stored is not None
            assert _shown(page) == len(stored[1])
            assert page.get_by_test_id("stExpander").count() >= 2  # finished stages are folded
            _reload_shows_the_same(page)
        if "wrap_up" in page.get_by_test_id("stChatMessage").last.inner_text():
            break
    figures["page_ms_per_turn_p50"] = round(statistics.median(t.page_ms for t in overheads), 1)
    figures["page_ms_per_turn_max"] = round(max(t.page_ms for t in overheads), 1)
    figures["page_ms_per_turn_wall_p50"] = round(statistics.median(t.wall_ms for t in overheads), 1)
    figures["turns_timed"] = len(overheads)
    floor = _floor_ms(browser, len(overheads))
    figures["streamlit_floor_ms_per_turn_p50"] = round(statistics.median(floor), 1)
    figures["page_ms_over_floor_p50"] = round(figures["page_ms_per_turn_p50"] - statistics.median(floor), 1)
    page.get_by_role("button", name="Show my scorecard").click(timeout=20_000)
    expect(page.get_by_role("heading", name="Scorecard: Ad click-through rate prediction")).to_be_visible(
        timeout=20_000
    )
    expect(page.get_by_test_id("stMetric")).to_contain_text("Overall")
    expect(page.get_by_role("heading", name="Study notes")).to_be_visible(timeout=20_000)
    expect(page.get_by_test_id("stVegaLiteChart")).to_be_visible()
    _shot(page, "2-scorecard")
    for label, suffix, marker in (
        ("Download Markdown", ".md", "# Scorecard: Ad click-through rate prediction"),
        ("Download printable HTML", ".html", "<!doctype html>"),
    ):
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        saved = ARTIFACTS / f"scorecard{suffix}"
        download.value.save_as(saved)
        assert marker in saved.read_text(encoding="utf-8")

    # history shows the finished session; an unfinished one resumes from there
    _go(page, "Interview")
    page.get_by_role("button", name="New interview").click()
    _start(page, "Personalised news feed ranking")
    _send(page, "How many daily active users?")
    unfinished, shown = _messages(page), _shown(page)
    _go(page, "History and progress")
    expect(page.get_by_text("2 sessions and grades")).to_be_visible(timeout=20_000)
    _choose(page, "A session", "Personalised news feed ranking")
    page.get_by_role("button", name="Resume").click()
    page.wait_for_function(_RENDERED, arg=shown - 1, polling=25, timeout=30_000)
    assert _messages(page) == unfinished
    _shot(page, "3-resumed")

    # someone else's browser sees nothing of it, by link or in its history
    other = _new_page(browser)
    other.goto(f"{server.url}/?session={session}")
    expect(other.get_by_text("There is no interview of yours with this id")).to_be_visible(timeout=20_000)
    assert not other.get_by_test_id("stChatMessage").count()
    _go(other, "History and progress")
    expect(other.get_by_text("Nothing yet")).to_be_visible(timeout=20_000)
    other.context.close()

    # self-grading one answer
    _go(page, "Self-grade")
    _choose(page, "Case", "Card-payment fraud detection")
    _choose(page, "Stage", "Evaluation")
    page.get_by_label("Your answer").fill("PR-AUC on a time-based holdout, then an A/B test on losses.")
    page.get_by_role("button", name="Grade my answer").click()
    expect(page.get_by_test_id("stMetric").first).to_contain_text("Grade", timeout=20_000)
    expect(page.get_by_test_id("stMetric").nth(1)).to_contain_text("3 / 4")
    _shot(page, "4-self-grade")

    # the evals comparison
    _go(page, "Evals")
    _choose(page, "Report A", "personas-before.json")
    _choose(page, "Report B", "personas-after.json")
    expect(page.get_by_text("Regressions: completed")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("p1: completed 1 -> 0")).to_be_visible()
    _shot(page, "5-evals")

    # a history of 50 sessions
    finished = mine.load(session)
    assert finished is not None
    for _ in range(50 - 2):  # 50 interviews in all, and the self-grade
        mine.create(SessionState.model_validate(finished[0].model_dump() | {"id": uuid.uuid4().hex}))
    _go(page, "Interview")
    expect(page.get_by_role("heading", name="Personalised news feed ranking")).to_be_visible(timeout=20_000)
    began = time.perf_counter()
    _go(page, "History and progress")
    page.wait_for_function(
        "() => document.body.innerText.includes('51 sessions and grades')"
        " && /Start the drill|Set up this interview/.test(document.body.innerText)",
        polling=25,
        timeout=30_000,
    )
    figures["history_50_ms"] = round((time.perf_counter() - began) * 1000)
    assert not ERRORS, ERRORS
    _shot(page, "6-history")
    (ARTIFACTS / "browser-figures.json").write_text(json.dumps(figures, indent=2))
    print("browser figures:", json.dumps(figures))
