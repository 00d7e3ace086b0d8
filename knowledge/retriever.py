"""The retrieval seam: a chunk of knowledge, the filter a search takes, and the one protocol every
retriever implements (the Chroma index, and the LLM voice's lazily opened view of it)."""

from __future__ import annotations

import hashlib
from typing import Any, Literal, Protocol

from pydantic import ConfigDict

from common.base import Strict
from common.ids import CaseId, Stage, Topic
from knowledge.minilm_onnx import BUILD

SearchMode = Literal["hybrid", "dense", "lexical"]
"""hybrid: embeddings fused with BM25; dense: embeddings alone; lexical: BM25 alone (deterministic)."""


class Chunk(Strict):
    id: str
    text: str
    source: str
    """The file it came from, relative to `knowledge/`."""
    stage: Stage | None = None
    case: CaseId | None = None
    topics: list[Topic] = []
    title: str = ""
    score: float = 0.0
    """Search results only: the fused rank score (hybrid) or the cosine similarity (dense)."""

    @property
    def digest(self) -> str:
        """Changes with the chunk or with the embedding model, so either re-embeds it."""
        payload = BUILD + self.model_dump_json(exclude={"score"})
        return hashlib.sha256(payload.encode()).hexdigest()

    def metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "source": self.source,
            "stage": self.stage.value if self.stage else "",
            "case": self.case.value if self.case else "",
            "topics": ",".join(t.value for t in self.topics),
            "title": self.title,
            "hash": self.digest,
        }
        meta |= {f"topic_{t.value}": True for t in self.topics}
        return meta

    @classmethod
    def from_hit(cls, id_: str, text: str, meta: dict[str, Any], distance: float) -> Chunk:
        return cls(
            id=id_,
            text=text,
            source=meta["source"],
            stage=meta["stage"] or None,
            case=meta["case"] or None,
            topics=[t for t in meta["topics"].split(",") if t],
            title=meta.get("title", ""),
            score=round(1.0 - distance, 4),
        )


class Filter(Strict):
    """Which chunks a search may return; an unset field admits everything."""

    model_config = ConfigDict(frozen=True)

    stage: Stage | None = None
    case: CaseId | None = None
    """The case's own chunks and the general ones (which belong to no case)."""
    topic: Topic | None = None

    def admits(self, chunk: Chunk) -> bool:
        return (
            (self.stage is None or chunk.stage == self.stage)
            and (self.case is None or chunk.case in (self.case, None))
            and (self.topic is None or self.topic in chunk.topics)
        )

    def chroma(self) -> dict[str, Any] | None:
        """The same filter as a Chroma `where` clause."""
        clauses: list[dict[str, Any]] = []
        if self.stage:
            clauses.append({"stage": self.stage.value})
        if self.case:
            clauses.append({"case": {"$in": [self.case.value, ""]}})
        if self.topic:
            clauses.append({f"topic_{self.topic.value}": True})
        if len(clauses) > 1:
            return {"$and": clauses}
        return clauses[0] if clauses else None


class Retriever(Protocol):
    def search(
        self, query: str, where: Filter | None = None, k: int = 5, mode: SearchMode = "hybrid"
    ) -> list[Chunk]:
        """The k best chunks for `query` among those `where` admits."""
        ...
