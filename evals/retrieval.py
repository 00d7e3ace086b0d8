"""The retrieval eval: labelled queries against the knowledge index, recall@k and MRR."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, model_validator

from common.base import Strict, load_yaml
from common.ids import Stage, Topic

if TYPE_CHECKING:
    from knowledge.index import KnowledgeIndex
    from knowledge.retriever import Chunk, SearchMode

DATASET = Path(__file__).parent / "datasets" / "retrieval.yaml"


class Query(Strict):
    id: str
    query: str
    topic: Topic | None = None
    stage: Stage | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Query:
        if (self.topic is None) == (self.stage is None):
            raise ValueError(f"{self.id}: exactly one of topic and stage must be set")
        return self

    def relevant(self, chunk: Chunk) -> bool:
        return self.topic in chunk.topics if self.topic else chunk.stage == self.stage


class QueryResult(BaseModel):
    id: str
    rank: int | None
    """1-based rank of the first relevant chunk, None when not in the top k."""


class RetrievalReport(BaseModel):
    k: int
    queries: int
    recall_at_k: float
    mrr: float
    misses: list[str] = Field(default_factory=list)
    results: list[QueryResult]


def load_queries(path: Path = DATASET) -> list[Query]:
    data = load_yaml(path.read_text(encoding="utf-8"))
    return [Query.model_validate(q) for q in data["queries"]]


def evaluate(
    index: KnowledgeIndex, queries: list[Query], k: int = 5, mode: SearchMode = "hybrid"
) -> RetrievalReport:
    results = []
    for q in queries:
        hits = index.search(q.query, k=k, mode=mode)
        rank = next((n for n, hit in enumerate(hits, 1) if q.relevant(hit)), None)
        results.append(QueryResult(id=q.id, rank=rank))
    found = [r for r in results if r.rank is not None]
    return RetrievalReport(
        k=k,
        queries=len(results),
        recall_at_k=round(len(found) / len(results), 4),
        mrr=round(sum(1 / r.rank for r in found if r.rank) / len(results), 4),
        misses=[r.id for r in results if r.rank is None],
        results=results,
    )
