"""Scale-out, for real: two app replicas (separate processes, separate data folders) on one
PostgreSQL server and one Chroma server serve the same session alternately, and at the same time,
without losing or duplicating a turn. They start together on an empty database, so both create the
tables at once (an advisory lock in the store keeps that from failing)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from common.ids import CaseId, Level
from common.settings import Settings
from interviewer.models import MoveKind, Turn
from interviewer.store import Store

from .helpers import ROOT, strong_script
from .servers import Postgres

pytestmark = pytest.mark.reliability
CASE = CaseId.ad_click_prediction


class Replica:
    """A `tests.replica` process, spoken to in JSON lines."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.replica"],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def send(self, op: str, **fields: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the replica exited with {self.process.wait(timeout=30)}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, op: str, **fields: str) -> dict[str, Any]:
        self.send(op, **fields)
        return self.read()

    def close(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()  # the replica reads the end of its input and exits
        self.process.wait(timeout=30)


@pytest.fixture
def database(postgres: Postgres) -> str:
    return postgres.create_database(f"replicas_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def replicas(database: str, server_index: Settings, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MLSD_", "OPENAI_"))}
    shared = {
        "PYTHONPATH": str(ROOT),
        "MLSD_DATABASE_URL": database,
        "MLSD_CHROMA_HOST": "127.0.0.1",
        "MLSD_CHROMA_PORT": str(server_index.chroma_port),
    }
    pair = [Replica({**base, **shared, "MLSD_DATA_DIR": str(tmp_path / name)}) for name in "ab"]
    try:
        for replica in pair:
            assert replica.read() == {"ready": True}
        yield pair[0], pair[1]
    finally:
        for replica in pair:
            replica.close()


def _transcript(database: str, session_id: str) -> list[Turn]:
    store = Store(database)
    try:
        found = store.load(session_id)
    finally:
        store.engine.dispose()
    assert found is not None
    return found[1]


def _answers() -> list[str]:
    return [s.answer for s in strong_script(CASE).stages.values()]


def test_two_replicas_serve_one_session_alternately_without_losing_a_turn(
    replicas: tuple[Replica, Replica], database: str
) -> None:
    a, b = replicas
    session = a.ask("start", case=CASE.value, level=Level.senior.value)["session"]
    assert b.ask("recent")["sessions"] == [session]  # the other replica's history has it
    sent, seen = [*_answers(), "/end"], 1
    for text, replica in zip(sent, itertools.cycle((b, a)), strict=False):
        opened = replica.ask("open", session=session)
        assert opened["turns"] == seen  # it sees every turn the other replica stored
        answer = replica.ask("submit", session=session, text=text)
        assert "error" not in answer, answer
        assert answer["replies"]
        seen = answer["turns"]
    turns = _transcript(database, session)
    assert turns[-1].move is MoveKind.wrap_up
    assert len(turns) == seen
    assert [t.text for t in turns if t.role == "candidate"] == sent
    for before, after in itertools.pairwise(turns):
        if before.role == "candidate":
            assert after.role == "interviewer"
    assert a.ask("search", query="random split on click logs") == b.ask(
        "search", query="random split on click logs"
    )


def test_the_same_turn_sent_to_both_replicas_at_once_is_stored_once(
    replicas: tuple[Replica, Replica], database: str
) -> None:
    a, b = replicas
    session = a.ask("start", case=CASE.value, level=Level.senior.value)["session"]
    assert b.ask("open", session=session)["turns"] == 1
    first, second = _answers()[:2]
    for replica in (a, b):  # both have the same opening question in front of them
        replica.send("submit", session=session, text=first)
    answers = [a.read(), b.read()]
    won = [x for x in answers if "error" not in x]
    lost = [x for x in answers if "error" in x]
    assert len(won) == 1, answers
    assert len(lost) == 1, answers
    assert "went on elsewhere" in lost[0]["error"]
    loser = b if "error" in answers[1] else a
    assert loser.ask("open", session=session)["turns"] == won[0]["turns"]  # the winner's turn and reply
    assert "error" not in loser.ask("submit", session=session, text=second)
    turns = _transcript(database, session)
    assert [t.text for t in turns if t.role == "candidate"] == [first, second]
    assert [t.role for t in turns[:3]] == ["interviewer", "candidate", "interviewer"]
