"""Five people at once in Debian's Chromium against one real `mlsd app`: each browser starts its own
interview and answers a few turns while the others do the same; none loses a turn or sees another's.

Its figures (printed and written to test-results/browser-load-figures.json, never asserted): the
turn latency, Enter to the reply drawn, and what the page adds beyond the engine, p50 and p95, for
one browser alone on the server (idle) and for the five at once (load).
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from common.processes import free_port, start_app, stop, wait_for
from tests.test_browser import _REPLIED, _SHOWN, ARGS, ARTIFACTS, CHROMIUM

SESSIONS = 5
TURNS = 4
CASE = "Ad click-through rate prediction"
pytestmark = [pytest.mark.browser, pytest.mark.reliability]


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = start_app(port, tmp_path / "data")
    try:
        wait_for(f"http://127.0.0.1:{port}/_stcore/health", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


async def _open(browser: Browser, url: str) -> Page:
    page = await (await browser.new_context(viewport={"width": 1400, "height": 1000})).new_page()
    await page.goto(url)
    await page.wait_for_function(
        "() => document.body.innerText.includes('Start the interview')", polling=25, timeout=60_000
    )
    box = page.get_by_role("combobox", name="Case")
    await box.click()
    await page.keyboard.type(CASE)
    await page.keyboard.press("Enter")
    await expect(box).to_have_value(re.compile(re.escape(CASE)))
    await page.get_by_role("button", name="Start the interview").click()
    await expect(page.get_by_test_id("stChatMessage").first).to_contain_text("1/7 · ask", timeout=60_000)
    return page


async def _turn(page: Page, text: str) -> tuple[float, float]:
    """One answer: (Enter to the reply drawn, that minus the engine's own time), in ms."""
    before = await page.evaluate(_SHOWN)
    box = page.get_by_test_id("stChatInputTextArea")
    await box.fill(text)
    began = time.perf_counter()
    await box.press("Enter")
    await page.wait_for_function(_REPLIED, arg=before, polling=25, timeout=60_000)
    wall = (time.perf_counter() - began) * 1000
    engine = await page.get_by_text("ms in the engine").inner_text()
    return wall, wall - float(engine.split(":")[1].split("ms")[0])


def _answer(person: int, k: int) -> str:
    return f"Person {person}, answer {k}: I would split by time and log the served features."


async def _person(browser: Browser, url: str, person: int) -> tuple[Page, list[tuple[float, float]]]:
    page = await _open(browser, url)
    return page, [await _turn(page, _answer(person, k)) for k in range(TURNS)]


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


async def _run(url: str) -> dict[str, float]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        alone = await _open(browser, url)
        await _turn(alone, _answer(0, -1))  # the judge's model loads on the server's first turn
        idle = [await _turn(alone, _answer(0, k)) for k in range(TURNS)]
        await alone.context.close()

        began = time.perf_counter()  # five browsers open the app, start and answer, all at once
        done = await asyncio.gather(*(_person(browser, url, n) for n in range(1, SESSIONS + 1)))
        took = time.perf_counter() - began
        for n, (page, turns) in enumerate(done, start=1):
            folded = await page.get_by_test_id("stExpanderDetails").all_text_contents()
            said = "\n".join(folded + await page.get_by_test_id("stChatMessage").all_inner_texts())
            assert len(turns) == TURNS
            assert all(_answer(n, k) in said for k in range(TURNS)), f"person {n} lost a turn"
            assert not re.search(rf"Person (?!{n},)\d+,", said), f"person {n} sees another's turn"
        await browser.close()
    load = [t for _, turns in done for t in turns]
    return {
        "sessions": SESSIONS,
        "turns_each": TURNS,
        "idle_turn_ms_p50": _p([w for w, _ in idle], 0.5),
        "idle_turn_ms_p95": _p([w for w, _ in idle], 0.95),
        "idle_page_ms_p50": _p([o for _, o in idle], 0.5),
        "load_turn_ms_p50": _p([w for w, _ in load], 0.5),
        "load_turn_ms_p95": _p([w for w, _ in load], 0.95),
        "load_page_ms_p50": _p([o for _, o in load], 0.5),
        "load_page_ms_p95": _p([o for _, o in load], 0.95),
        "load_engine_ms_p50": round(statistics.median(w - o for w, o in load), 1),
        "load_wall_s": round(took, 1),
    }


def test_five_people_at_once_each_keep_their_own_interview(url: str) -> None:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make browser-deps`"
    figures = asyncio.run(_run(url))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-load-figures.json").write_text(json.dumps(figures, indent=2))
    print("browser load figures:", json.dumps(figures))
