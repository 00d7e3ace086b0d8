"""Retrieval quality on the labelled query set, over the shipped knowledge in a real Chroma store."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.ids import CaseId, Stage, Topic
from common.settings import Settings
from evals.retrieval import evaluate, load_queries
from knowledge.index import KnowledgeIndex
from knowledge.retriever import Filter


@pytest.fixture(scope="module", params=["embedded", "server"])
def index(request: pytest.FixtureRequest) -> KnowledgeIndex:
    """The shipped knowledge in the embedded Chroma store, and in a real Chroma server."""
    if request.param == "server":
        return KnowledgeIndex.from_settings(request.getfixturevalue("server_index"))
    folder: Path = request.getfixturevalue("shipped_index")
    return KnowledgeIndex.from_settings(Settings(_env_file=None, data_dir=folder))  # type: ignore[call-arg]


def test_the_query_set_is_large_and_covers_every_topic_and_stage() -> None:
    queries = load_queries()
    assert len(queries) >= 60
    assert {q.topic for q in queries if q.topic} == set(Topic)
    assert {q.stage for q in queries if q.stage} == set(Stage)


def test_recall_at_5_is_at_least_0_9(index: KnowledgeIndex) -> None:
    report = evaluate(index, load_queries(), k=5)
    print(f"recall@5={report.recall_at_k} MRR={report.mrr} misses={report.misses}")
    assert report.recall_at_k >= 0.9


def test_hybrid_ranks_at_least_as_well_as_embeddings_alone(index: KnowledgeIndex) -> None:
    queries = load_queries()
    hybrid = evaluate(index, queries)
    dense = evaluate(index, queries, mode="dense")
    assert (hybrid.recall_at_k, hybrid.mrr) >= (dense.recall_at_k, dense.mrr)


def test_a_random_split_on_click_logs_surfaces_leakage_first(index: KnowledgeIndex) -> None:
    hits = index.search("random split on click logs", k=5)
    assert Topic.data_leakage in hits[0].topics


def test_filters_hold_in_hybrid_search(index: KnowledgeIndex) -> None:
    hits = index.search("what would you monitor", Filter(stage=Stage.monitoring, case=CaseId.news_feed), k=8)
    assert hits
    assert all(h.stage is Stage.monitoring and h.case in (CaseId.news_feed, None) for h in hits)
    tagged = index.search("split", Filter(topic=Topic.data_leakage), k=8)
    assert all(Topic.data_leakage in h.topics for h in tagged)
