"""Shared fixtures: a private data folder per test, the offline engine, a store."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.ids import CaseId, Level
from common.settings import Settings
from common.tokens import use_cache_dir
from interviewer.engine import Engine, build_engine
from interviewer.session import Interview
from interviewer.store import Store


@pytest.fixture(autouse=True)
def _private_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's data folder, keys or provider choice."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "MLSD_PROVIDER",
        "MLSD_DATABASE_URL",
        "MLSD_CHROMA_HOST",
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


@pytest.fixture
def settings() -> Settings:
    settings = Settings()
    use_cache_dir(settings.tiktoken_dir)
    return settings


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store(settings.db_url)


@pytest.fixture(scope="session")
def engine() -> Engine:
    return build_engine(Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.fixture
def interview(store: Store, engine: Engine) -> Interview:
    return Interview.start(CaseId.harmful_content_detection, Level.senior, store, engine)
