"""Twenty offline interviews at once through the session API, sharing one engine and one SQLite
store as the app's sessions do: none loses a turn or sees another's. The latency under that load is
a figure of `mlsd bench` (`load_turn_ms_p50`, `load_turn_ms_p95`), never asserted here."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from common.ids import CaseId, Level
from interviewer.engine import Engine
from interviewer.session import Interview
from interviewer.store import Store

pytestmark = pytest.mark.reliability
SESSIONS = 20


def test_twenty_concurrent_interviews_keep_their_own_turns(tmp_path: Path, engine: Engine) -> None:
    store = Store(f"sqlite:///{tmp_path / 'load.sqlite3'}")
    interviews: list[Interview] = []
    errors: list[BaseException] = []
    start = threading.Barrier(SESSIONS)

    def play(n: int) -> None:
        try:
            interview = Interview.start(CaseId.ad_click_prediction, Level.senior, store, engine)
            interviews.append(interview)
            start.wait()
            for k in range(2):
                interview.submit(f"Session {n}, answer {k}: I would log the served features for training.")
            interview.submit("/end")
        except BaseException as exc:  # reported below, with the thread's number
            errors.append(exc)

    threads = [threading.Thread(target=play, args=(n,)) for n in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors
    assert len({i.state.id for i in interviews}) == SESSIONS
    for interview in interviews:
        found = store.load(interview.state.id)
        assert found is not None
        stored = found[1]
        assert [t.model_dump() for t in stored] == [t.model_dump() for t in interview.turns]
        answers = [t.text for t in stored if t.role == "candidate" and t.text != "/end"]
        assert len(answers) == 2
        assert len({a.split(",")[0] for a in answers}) == 1  # all from the same session
        assert found[0].finished


def test_the_bench_measures_turns_under_load(tmp_path: Path) -> None:
    from evals.bench import load_turns

    figures = load_turns(tmp_path, sessions=4, max_turns=2)
    assert figures["load_turns_measured"] == 8
    assert figures["load_lost_or_mixed_turns"] == 0
    assert figures["load_turn_ms_p95"] >= figures["load_turn_ms_p50"] > 0
