"""Shared fixtures: a private data folder per test, the offline engine, a store (SQLite, or a
fresh database on a real PostgreSQL server), the shipped knowledge (embedded, or in a real Chroma
server)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.ids import CaseId, Level
from common.settings import Settings
from common.tokens import use_cache_dir
from interviewer.engine import Engine, build_engine
from interviewer.session import Interview
from interviewer.store import Store

from .servers import Postgres, ServerUnavailable, chroma_server, postgres_server

SKIP_SERVERS = "MLSD_SKIP_SERVER_TESTS"
"""Set to 1 to skip the real-server tests where PostgreSQL cannot be installed (never in CI)."""


@pytest.fixture(autouse=True)
def _private_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's data folder, keys or provider choice."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "MLSD_PROVIDER",
        "MLSD_DATABASE_URL",
        "MLSD_CHROMA_HOST",
        "MLSD_CHROMA_PORT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLSD_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose Chroma index holds the shipped knowledge (ingested once per run)."""
    from knowledge.index import KnowledgeIndex

    folder: Path = tmp_path_factory.mktemp("shipped")
    KnowledgeIndex.from_settings(Settings(_env_file=None, data_dir=folder)).ingest()  # type: ignore[call-arg]
    return folder


@pytest.fixture(scope="session")
def server_index(chroma_port: int) -> Settings:
    """Settings whose knowledge index is the Chroma server's, holding the shipped knowledge."""
    from knowledge.index import KnowledgeIndex

    settings = Settings(_env_file=None, chroma_host="127.0.0.1", chroma_port=chroma_port)  # type: ignore[call-arg]
    KnowledgeIndex.from_settings(settings).ingest()
    return settings


@pytest.fixture
def settings() -> Settings:
    settings = Settings()
    use_cache_dir(settings.tiktoken_dir)
    return settings


def _unavailable(exc: ServerUnavailable) -> None:
    if os.environ.get(SKIP_SERVERS) == "1":
        pytest.skip(f"{exc} ({SKIP_SERVERS}=1)")
    pytest.fail(f"{exc}. The scale-out tests need it; set {SKIP_SERVERS}=1 to skip them.", pytrace=False)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One real PostgreSQL server for the run; each test takes a fresh database on it."""
    try:
        with postgres_server() as server:
            yield server
    except ServerUnavailable as exc:
        _unavailable(exc)


@pytest.fixture(scope="session")
def chroma_port() -> Iterator[int]:
    """One real Chroma server for the run, holding the shipped knowledge once `server_index` ran."""
    try:
        with chroma_server() as port:
            yield port
    except ServerUnavailable as exc:
        _unavailable(exc)


@pytest.fixture
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Store]:
    """SQLite in the data folder; with `@both_backends`, also a fresh PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "postgres":
        server: Postgres = request.getfixturevalue("postgres")
        made = Store(server.create_database(f"t{uuid.uuid4().hex[:16]}"))
    else:
        made = Store(settings.db_url)
    yield made
    made.engine.dispose()


@pytest.fixture(scope="session")
def engine() -> Engine:
    return build_engine(Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.fixture
def interview(store: Store, engine: Engine) -> Interview:
    return Interview.start(CaseId.harmful_content_detection, Level.senior, store, engine)
