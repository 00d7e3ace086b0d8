"""Persistence through SQLAlchemy, and settings that name what is missing and keep secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.errors import ConfigError, StaleSession
from common.ids import CaseId, Level, ProviderName, Stage
from common.settings import Settings
from interviewer.doctor import checks
from interviewer.engine import build_engine
from interviewer.models import Outcome, SessionState, Turn
from interviewer.store import Store


def test_sessions_and_turns_round_trip_in_any_sqlalchemy_url(tmp_path: Path) -> None:
    _round_trip(Store(f"sqlite:///{tmp_path / 'nested' / 'db.sqlite3'}"))


@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_sessions_and_turns_round_trip_on_a_postgres_server(store: Store) -> None:
    assert store.engine.dialect.name == "postgresql"
    _round_trip(store)


def _round_trip(store: Store) -> None:
    state = SessionState(
        id="s1", case=CaseId.news_feed, level=Level.staff, provider="offline", prompt_version="v"
    )
    store.create(state)
    turns = [Turn(role="candidate", stage=Stage.framing, text="<b>hello</b> ü")]
    state.handled = 1
    store.append("s1", turns, state)
    loaded = store.load("s1")
    assert loaded is not None
    assert loaded[0] == state
    assert loaded[1] == turns
    assert [s.id for s in store.recent()] == ["s1"]


def test_the_database_defaults_to_sqlite_in_the_data_folder(settings: Settings) -> None:
    assert settings.db_url == f"sqlite:///{settings.data_dir / 'mlsd.sqlite3'}"


def test_openai_without_a_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLSD_PROVIDER", "openai")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_engine(Settings(_env_file=None))  # type: ignore[call-arg]


def test_secrets_stay_out_of_reprs_dumps_and_doctor(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("MLSD_DATABASE_URL", "postgresql://user:hunter2@localhost/db")
    settings = Settings(_env_file=None, provider=ProviderName.openai)  # type: ignore[call-arg]
    assert settings.api_key() == secret
    for text in (repr(settings), settings.model_dump_json(), str([c.model_dump() for c in checks(settings)])):
        assert secret not in text
    assert "hunter2" not in str([c.model_dump() for c in checks(settings)])


def test_doctor_reports_each_offline_asset(settings: Settings) -> None:
    found = {c.name: c.status for c in checks(settings)}
    assert found["embedding weights (all-MiniLM-L6-v2)"] == "ok"
    assert found["embedding tokenizer"] == "ok"
    assert found["tiktoken encodings"] == "ok"
    assert found["knowledge index"] == "missing"  # nothing ingested in this private data folder
    assert found["provider"] == "ok"


def test_token_counts_work_offline(settings: Settings) -> None:
    from common.tokens import count_tokens

    assert count_tokens("training-serving skew") > 2


@pytest.mark.parametrize(
    ("engine", "voice", "outcome", "reason"),
    [
        ("offline", "offline", Outcome.ok, None),
        ("local:smollm2", "local:smollm2", Outcome.ok, None),
        ("offline (fallback: timeout)", "offline", Outcome.fallback, "timeout"),
        (
            "offline (model reply rejected: it repeats an earlier reply)",
            "offline",
            Outcome.rejected,
            "it repeats an earlier reply",
        ),
    ],
)
def test_turns_stored_before_the_outcome_fields_still_load(
    engine: str, voice: str, outcome: Outcome, reason: str | None
) -> None:
    old = {"role": "interviewer", "stage": "framing", "text": "Go on.", "move": "ask", "engine": engine}
    turn = Turn.model_validate_json(json.dumps(old))
    assert (turn.voice, turn.outcome, turn.reason) == (voice, outcome, reason)
    assert turn.speaker() == engine  # the transcript shows what it showed before


def test_a_database_from_before_turn_numbers_were_unique_is_renumbered(tmp_path: Path) -> None:
    import sqlite3

    url, path = f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path / "old.sqlite3"
    old = Store(url)
    old.create(
        SessionState(id="s1", case=CaseId.news_feed, level=Level.mid, provider="offline", prompt_version="v")
    )
    old.append("s1", [Turn(role="interviewer", stage=Stage.framing, text=t) for t in ("one", "two")])
    old.engine.dispose()
    with sqlite3.connect(path) as db:  # as two windows writing at once left it, before the index
        db.execute("DROP INDEX turns_session_seq")
        db.execute(
            "INSERT INTO turns (session_id, seq, data) SELECT session_id, 1, data FROM turns WHERE seq = 0"
        )
    store = Store(url)
    loaded = store.load("s1")
    assert loaded is not None
    assert [t.text for t in loaded[1]] == ["one", "two", "one"]  # by number, then by when stored
    with sqlite3.connect(path) as db:
        assert [r[0] for r in db.execute("SELECT seq FROM turns ORDER BY seq")] == [0, 1, 2]
    with pytest.raises(StaleSession):
        store.append("s1", [Turn(role="candidate", stage=Stage.framing, text="late")], at=2)
