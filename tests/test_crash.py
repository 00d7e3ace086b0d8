"""Crash safety, for real: the `mlsd` CLI is killed with SIGKILL mid-turn, during the background
grading and during ingest, then started again. Every committed turn is still there, unchanged; a
turn stored without its reply is answered; the scorecard is completed by the grader; the knowledge
index ends up consistent with the corpus. One interview loop runs at least 20 kill cycles."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from providers.faults import Fault, FaultServer

from .helpers import ROOT, SCRIPTS

SCRIPT = SCRIPTS / "ad_click_senior.yaml"
CYCLES = 20
pytestmark = pytest.mark.reliability


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLSD_", "OPENAI_"))}
    return {**env, "MLSD_DATA_DIR": str(data), "PYTHONPATH": str(ROOT), **extra}


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ui.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def _db(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{data / 'mlsd.sqlite3'}?mode=ro", uri=True, timeout=15)


def _session(data: Path) -> tuple[str, dict[str, Any]] | None:
    if not (data / "mlsd.sqlite3").exists():
        return None
    with _db(data) as db:
        try:
            row = db.execute("select id, state from sessions order by created_at desc limit 1").fetchone()
        except sqlite3.OperationalError:  # the tables are not created yet
            return None
    return (row[0], json.loads(row[1])) if row else None


def _turns(data: Path, session: str) -> list[dict[str, Any]]:
    with _db(data) as db:
        rows = db.execute("select data from turns where session_id = ? order by seq", (session,))
        return [json.loads(r[0]) for r in rows]


def _wait(condition: Any, process: subprocess.Popen[str], timeout: float = 120) -> bool:
    """Poll until `condition()` holds (True) or the process ends (False)."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.005)
    raise TimeoutError("the CLI made no progress")


def _answered(turns: list[dict[str, Any]]) -> None:
    """Every candidate turn has the interviewer's reply right after it, and no text is empty."""
    for before, after in itertools.pairwise(turns):
        if before["role"] == "candidate":
            assert after["role"] == "interviewer", before
    assert all(t["text"] for t in turns)


def _latest(data: Path, done: set[str]) -> str | None:
    """The session being played: the newest one not finished in an earlier cycle."""
    if not (data / "mlsd.sqlite3").exists():
        return None
    with _db(data) as db:
        try:
            rows = db.execute("select id from sessions order by created_at desc limit 3").fetchall()
        except sqlite3.OperationalError:  # the tables are not created yet
            return None
    return next((r[0] for r in rows if r[0] not in done), None)


def test_twenty_sigkills_mid_interview_lose_nothing(tmp_path: Path) -> None:
    rng = random.Random(16)
    env = _env(tmp_path)
    session: str | None = None
    done: set[str] = set()
    kills = pending = 0
    committed: list[dict[str, Any]] = []
    while kills < CYCLES:
        resume = ["--resume", session] if session else []
        process = _cli("interview", "--script", str(SCRIPT), "--format", "json", *resume, env=env)
        target = len(committed) + 1
        at_candidate = kills % 3 == 0  # every third kill just after a candidate turn is stored

        def progressed(
            target: int = target, at_candidate: bool = at_candidate, session: str | None = session
        ) -> bool:
            sid = session or _latest(tmp_path, done)
            turns = _turns(tmp_path, sid) if sid else []
            return len(turns) >= target and (not at_candidate or turns[-1]["role"] == "candidate")

        alive = _wait(progressed, process)
        if alive:
            time.sleep(0 if at_candidate else rng.uniform(0, 0.15))
            kills += 1
        _kill(process)
        session = session or _latest(tmp_path, done)
        assert session is not None
        turns = _turns(tmp_path, session)
        assert turns[: len(committed)] == committed  # every committed turn is there, unchanged
        committed = turns
        pending += turns[-1]["role"] == "candidate"
        if _state(tmp_path, session)["finished"]:  # the script reached its end: a new interview
            _answered(turns)
            done.add(session)
            session, committed = None, []
    if session is not None:  # the last one goes on to its end
        process = _cli("interview", "--script", str(SCRIPT), "--resume", session, "--format", "json", env=env)
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        result = json.loads(out)
        final = _turns(tmp_path, session)
        assert final[: len(committed)] == committed
        assert [t["text"] for t in result["turns"]] == [t["text"] for t in final]
        assert len(result["scorecard"]["stages"]) == 7
        _answered(final)
        state = _state(tmp_path, session)
        assert state["finished"]
        assert state["handled"] == len(final)
    assert pending >= 3  # kills that left a candidate turn without its reply; the restart answered it
    print(f"CRASH {kills} SIGKILLs mid-interview, {pending} left a reply pending, {len(done)} finished")


def _state(data: Path, session: str) -> dict[str, Any]:
    with _db(data) as db:
        row = db.execute("select state from sessions where id = ?", (session,)).fetchone()
    return dict(json.loads(row[0]))


def test_a_sigkill_during_background_grading_is_graded_again_on_restart(tmp_path: Path) -> None:
    with FaultServer(Fault.none, delay_s=0.5) as server:
        env = _env(
            tmp_path,
            MLSD_PROVIDER="openai",
            OPENAI_BASE_URL=server.url,
            OPENAI_API_KEY="sk-crash-test-000000000000",
            MLSD_TURN_JUDGE="offline",
        )
        process = _cli("interview", "--script", str(SCRIPT), "--format", "json", env=env)
        assert _wait(lambda: bool((s := _session(tmp_path)) and s[1]["finished"]), process)
        graded_before = len([r for r in server.requests if not r["body"].get("stream")])
        _kill(process)  # the stages' grading (half a second a stage) is under way
        session, state = _session(tmp_path)  # type: ignore[misc]
        assert state["grading"]
        assert graded_before < 7
        turns = _turns(tmp_path, session)
        again = _cli("interview", "--resume", session, "--format", "json", env=env)
        out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    result = json.loads(out)
    assert [t["text"] for t in result["turns"]] == [t["text"] for t in turns]  # nothing lost, nothing new
    card = result["scorecard"]
    assert {s["prompt_version"] for s in card["stages"]} == {"assessor-v1"}, card["stages"]
    session_state = _session(tmp_path)[1]  # type: ignore[index]
    assert not session_state["grading"]
    assert session_state["scorecard"] == card


def test_sigkills_during_ingest_leave_an_index_that_one_ingest_makes_consistent(tmp_path: Path) -> None:
    from common.settings import Settings
    from knowledge.index import KnowledgeIndex, corpus

    env = _env(tmp_path)
    for stored in (40, 150):  # killed while it writes: after about 40 chunks, then about 150
        process = _cli("ingest", env=env)
        assert _wait(lambda stored=stored: _embedded(tmp_path) >= stored, process), "ingest ended first"
        _kill(process)
    kept = _embedded(tmp_path)
    process = _cli("ingest", "--format", "json", env=env)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    report = json.loads(out)
    index = KnowledgeIndex.from_settings(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    chunks = corpus()
    stored = index.collection.get(include=["metadatas", "documents"])
    assert sorted(stored["ids"]) == sorted(c.id for c in chunks)
    by_id = {c.id: c for c in chunks}
    for i, meta, doc in zip(stored["ids"], stored["metadatas"], stored["documents"], strict=True):
        assert meta["hash"] == by_id[i].digest
        assert doc == by_id[i].text
    assert index.count() == len(chunks) == report["chunks"]
    assert index.search("random split on click logs", k=5)
    assert index.ingest().added == 0  # nothing left to do
    assert 0 < report["unchanged"] <= kept  # what the killed runs wrote was kept, not written again
    print(f"CRASH ingest: killed at {kept} chunks, then {report['added']} added, {report['unchanged']} kept")


def _embedded(data: Path) -> int:
    """Chunks the embedded Chroma store holds (its own SQLite file, read while another process writes)."""
    path = data / "chroma" / "chroma.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=15) as db:
            return int(db.execute("select count(*) from embeddings").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0
