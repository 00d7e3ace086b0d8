"""Ingestion into a real Chroma store: structure-aware chunks, idempotent, all-or-nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.errors import ContentError
from common.ids import CaseId, Stage, Topic
from common.settings import Settings
from knowledge.cases import CASES_DIR
from knowledge.index import NOTES_DIR, KnowledgeIndex, corpus
from knowledge.retriever import Filter

from . import servers

NOTE = """---
title: Splits
stage: data_preparation
topics: [data_leakage]
---
# Splits

## Time-based splits
Click logs are ordered in time; a random split lets the model see the future.

## Entity overlap
Keep each user on one side of the split.
"""


@pytest.fixture
def corpus_dirs(tmp_path: Path) -> tuple[Path, Path]:
    notes, cases = tmp_path / "k" / "notes", tmp_path / "k" / "cases"
    notes.mkdir(parents=True)
    cases.mkdir()
    (notes / "splits.md").write_text(NOTE)
    shutil.copy(CASES_DIR / "ad_click_prediction.yaml", cases)
    return notes, cases


def test_notes_split_on_headings_with_their_metadata(corpus_dirs: tuple[Path, Path]) -> None:
    chunks = [c for c in corpus(*corpus_dirs) if c.source == "notes/splits.md"]
    assert [c.title for c in chunks] == ["Splits › Time-based splits", "Splits › Entity overlap"]
    assert all(c.stage is Stage.data_preparation and c.topics == [Topic.data_leakage] for c in chunks)


def test_ingest_is_idempotent_and_removes_what_is_gone(
    settings: Settings, corpus_dirs: tuple[Path, Path]
) -> None:
    index = KnowledgeIndex.from_settings(settings)
    first = index.ingest(corpus(*corpus_dirs))
    assert first.added == first.chunks > 0
    again = index.ingest(corpus(*corpus_dirs))
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, first.chunks)
    notes, _ = corpus_dirs
    (notes / "splits.md").write_text(NOTE.replace("Keep each user", "Keep every user"))
    edited = index.ingest(corpus(*corpus_dirs))
    assert (edited.added, edited.updated, edited.removed) == (0, 1, 0)
    (notes / "splits.md").unlink()
    gone = index.ingest(corpus(*corpus_dirs))
    assert gone.removed == 2
    assert index.count() == first.chunks - 2


def test_a_malformed_note_leaves_the_index_as_it_was(
    settings: Settings, corpus_dirs: tuple[Path, Path]
) -> None:
    index = KnowledgeIndex.from_settings(settings)
    index.ingest(corpus(*corpus_dirs))
    before = index.count()
    notes, _ = corpus_dirs
    (notes / "bad.md").write_text("---\ntitle: Bad\nstage: cooking\n---\n# Bad\n")
    with pytest.raises(ContentError, match=r"bad\.md"):
        index.ingest(corpus(*corpus_dirs))
    assert index.count() == before


def test_search_filters_by_stage_case_and_topic(settings: Settings, corpus_dirs: tuple[Path, Path]) -> None:
    index = KnowledgeIndex.from_settings(settings)
    index.ingest(corpus(*corpus_dirs))
    hits = index.search("random split on click logs", k=3)
    assert hits[0].source == "notes/splits.md"
    assert Topic.data_leakage in hits[0].topics
    staged = index.search(
        "what to monitor", Filter(stage=Stage.monitoring, case=CaseId.ad_click_prediction), k=5
    )
    assert staged
    assert all(h.stage is Stage.monitoring for h in staged)
    tagged = index.search("anything", Filter(topic=Topic.data_leakage), k=10)
    assert all(Topic.data_leakage in h.topics for h in tagged)


def test_the_shipped_corpus_parses() -> None:
    chunks = corpus()
    assert len({c.id for c in chunks}) == len(chunks)
    assert any(c.source.startswith("cases/") for c in chunks)
    assert NOTES_DIR.exists()


@pytest.fixture
def chroma_server() -> Iterator[int]:
    """A real `chroma run` on loopback of its own (this test writes its own corpus), for the
    HttpClient path."""
    with servers.chroma_server() as port:
        yield port


def test_ingest_and_search_through_a_chroma_server(
    chroma_server: int, corpus_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLSD_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("MLSD_CHROMA_PORT", str(chroma_server))
    index = KnowledgeIndex.from_settings(Settings())
    report = index.ingest(corpus(*corpus_dirs))
    assert report.added == report.chunks
    assert index.ingest(corpus(*corpus_dirs)).added == 0
    hits = index.search("random split on click logs", k=1)
    assert hits[0].source == "notes/splits.md"
