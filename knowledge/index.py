"""The knowledge index in Chroma: ingest notes and cases by structure, search with filters.

Ingestion is idempotent: every chunk carries a content hash; only new or changed chunks are embedded
and written, chunks whose source is gone are removed, and an unchanged corpus costs one read.
All content is parsed and validated before the index is touched, so a broken file leaves the
previous index as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError

from common.base import Strict, load_yaml
from common.errors import ContentError, RetrievalError
from common.ids import CaseId, Stage, Topic
from knowledge.cases import CASES_DIR, Case, load_case_file
from knowledge.lexical import BM25, reciprocal_rank_fusion
from knowledge.retriever import Chunk, Filter, SearchMode

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from common.settings import Settings

NOTES_DIR = Path(__file__).parent / "notes"
ROOT = Path(__file__).parent
COLLECTION = "mlsd_knowledge"
MAX_CHUNK_CHARS = 1800
BATCH = 16


class FrontMatter(Strict):
    title: str
    stage: Stage | None = None
    topics: list[Topic] = []
    case: CaseId | None = None


class IngestReport(BaseModel):
    chunks: int
    added: int
    updated: int
    removed: int
    unchanged: int
    seconds: float

    def summary(self) -> str:
        if not (self.added or self.updated or self.removed):
            return f"Knowledge index up to date ({self.chunks} chunks, {self.seconds:.2f} s)."
        return (
            f"Knowledge index: {self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged ({self.chunks} chunks, {self.seconds:.2f} s)."
        )


# ---------------------------------------------------------------- reading the corpus


def read_note(path: Path) -> tuple[FrontMatter, str]:
    """Front matter and body of a note; errors name the file."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n") or "\n---" not in text[4:]:
        raise ContentError(f"{path}: a note must start with front matter between '---' lines")
    head, body = text[4:].split("\n---", 1)
    try:
        return FrontMatter.model_validate(load_yaml(head)), body.lstrip("-\n")
    except (yaml.YAMLError, ValidationError) as exc:
        raise ContentError(f"{path}: bad front matter: {exc}") from exc


def _split(body: str) -> Iterator[tuple[str, str]]:
    """(heading path, text) pieces of a Markdown body, split on headings, then by size."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    by_heading = MarkdownHeaderTextSplitter(
        headers_to_split_on=[("#", "h1"), ("##", "h2"), ("###", "h3")], strip_headers=False
    )
    by_size = RecursiveCharacterTextSplitter(chunk_size=MAX_CHUNK_CHARS, chunk_overlap=150)
    for doc in by_heading.split_text(body):
        heading = " › ".join(doc.metadata[k] for k in ("h1", "h2", "h3") if k in doc.metadata)
        for piece in by_size.split_text(doc.page_content):
            yield heading, piece


def note_chunks(path: Path, root: Path = ROOT) -> list[Chunk]:
    meta, body = read_note(path)
    source = path.relative_to(root).as_posix()
    return [
        Chunk(
            id=f"{source}#{n}",
            text=text,
            source=source,
            stage=meta.stage,
            case=meta.case,
            topics=meta.topics,
            title=heading or meta.title,
        )
        for n, (heading, text) in enumerate(_split(body))
    ]


def case_chunks(case: Case) -> list[Chunk]:
    source = f"cases/{case.id.value}.yaml"
    sheet = "\n".join(f"- {f.id}: {f.answer}" for f in case.requirements)
    chunks = [
        Chunk(
            id=f"{source}#brief",
            source=source,
            case=case.id,
            title=f"{case.title}: brief",
            text=f"# {case.title}\n\n{case.prompt.strip()}\n\n## Requirement sheet\n{sheet}",
        )
    ]
    for stage, plan in case.stages.items():
        ideas = "\n".join(f"- {i.text}" for i in plan.ideas)
        wrong = "\n".join(f"- Mistake: {m.text} {m.correction}" for m in plan.misconceptions)
        chunks.append(
            Chunk(
                id=f"{source}#{stage.value}",
                source=source,
                case=case.id,
                stage=stage,
                topics=plan.topics,
                title=f"{case.title}: {stage.label}",
                text=f"# {case.title}: {stage.label}\n\n{plan.question}\n\n"
                f"A strong answer:\n{ideas}\n\n{wrong}".strip(),
            )
        )
    for n, (heading, text) in enumerate(_split(case.notes)):
        chunks.append(
            Chunk(
                id=f"{source}#notes{n}", source=source, case=case.id, text=text, title=heading or case.title
            )
        )
    return chunks


def corpus(notes_dir: Path = NOTES_DIR, cases_dir: Path = CASES_DIR) -> list[Chunk]:
    """Every chunk of the knowledge, validated; raises before anything is written."""
    chunks = [c for path in sorted(notes_dir.rglob("*.md")) for c in note_chunks(path, notes_dir.parent)]
    chunks += [c for path in sorted(cases_dir.glob("*.yaml")) for c in case_chunks(load_case_file(path))]
    return chunks


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class _Lexical:
    chunks: list[Chunk]
    bm25: BM25


class KnowledgeIndex:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self._lexical: _Lexical | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> KnowledgeIndex:
        import chromadb

        from knowledge.chroma import MiniLMEmbeddingFunction

        try:
            if settings.chroma_host:
                client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port)
            else:
                settings.chroma_dir.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(settings.chroma_dir))
            collection = client.get_or_create_collection(
                COLLECTION,
                embedding_function=MiniLMEmbeddingFunction(),  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:  # chromadb raises many kinds; the message carries the cause
            raise RetrievalError(f"cannot open the knowledge index: {exc}") from exc
        return cls(collection)

    def ingest(
        self, chunks: list[Chunk] | None = None, rebuild: bool = False, progress: bool = False
    ) -> IngestReport:
        """Bring the index in line with `chunks` (default: the shipped corpus)."""
        import time

        started = time.perf_counter()
        chunks = corpus() if chunks is None else chunks
        if rebuild:
            self._delete(self.collection.get(include=[])["ids"])
        stored = self._stored_hashes()
        fresh = [c for c in chunks if stored.get(c.id) != c.digest]
        wanted = {c.id for c in chunks}
        gone = [i for i in stored if i not in wanted]
        self._upsert(fresh, progress)
        self._delete(gone)
        self._lexical = None
        return IngestReport(
            chunks=len(chunks),
            added=sum(c.id not in stored for c in fresh),
            updated=sum(c.id in stored for c in fresh),
            removed=len(gone),
            unchanged=len(chunks) - len(fresh),
            seconds=round(time.perf_counter() - started, 3),
        )

    def count(self) -> int:
        return self.collection.count()

    def search(
        self, query: str, where: Filter | None = None, k: int = 5, mode: SearchMode = "hybrid"
    ) -> list[Chunk]:
        """The k best chunks: embedding search fused with BM25; mode="dense" for embeddings alone,
        "lexical" for BM25 alone (deterministic, no model call: the LLM voice's per-turn notes)."""
        where, pool = where or Filter(), max(20, 4 * k)
        if mode == "dense":
            return self._dense(query, where.chroma(), pool)[:k]
        table = self._table()
        allowed = [c for c in table.chunks if where.admits(c)]
        scores = dict(zip((c.id for c in table.chunks), table.bm25.scores(query), strict=True))
        ranked = sorted((c for c in allowed if scores[c.id] > 0), key=lambda c: (-scores[c.id], c.id))
        lexical = ranked[:pool]
        if mode == "lexical":
            return [c.model_copy(update={"score": round(scores[c.id], 5)}) for c in lexical[:k]]
        dense = self._dense(query, where.chroma(), pool)
        fused = reciprocal_rank_fusion([[c.id for c in dense], [c.id for c in lexical]])
        by_id = {c.id: c for c in [*lexical, *dense]}
        return [by_id[i].model_copy(update={"score": round(s, 5)}) for i, s in fused[:k]]

    def _dense(self, query: str, where: dict[str, Any] | None, n: int) -> list[Chunk]:
        result = self.collection.query(
            query_texts=[query], n_results=n, where=where, include=["documents", "metadatas", "distances"]
        )
        docs, metas, dists = result["documents"], result["metadatas"], result["distances"]
        if docs is None or metas is None or dists is None:
            raise RetrievalError("the index returned no documents for the query")
        return [
            Chunk.from_hit(i, d, dict(m), dist)
            for i, d, m, dist in zip(result["ids"][0], docs[0], metas[0], dists[0], strict=True)
        ]

    def _table(self) -> _Lexical:
        """Every stored chunk with a BM25 index over title and text, built once per process."""
        if self._lexical is None:
            got = self.collection.get(include=["documents", "metadatas"])
            docs, metas = got["documents"] or [], got["metadatas"] or []
            chunks = [
                Chunk.from_hit(i, d, dict(m), 1.0) for i, d, m in zip(got["ids"], docs, metas, strict=True)
            ]
            self._lexical = _Lexical(chunks, BM25([f"{c.title}\n{c.text}" for c in chunks]))
        return self._lexical

    def _stored_hashes(self) -> dict[str, str]:
        got = self.collection.get(include=["metadatas"])
        metas = got["metadatas"] or []
        return {i: str(m.get("hash", "")) for i, m in zip(got["ids"], metas, strict=True)}

    def _upsert(self, chunks: list[Chunk], progress: bool) -> None:
        chunks = sorted(chunks, key=lambda c: len(c.text))  # similar lengths pad less per batch
        batches = [chunks[i : i + BATCH] for i in range(0, len(chunks), BATCH)]
        for batch in _progress(batches, progress, "Embedding knowledge"):
            self.collection.upsert(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[c.metadata() for c in batch],
            )

    def _delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), 500):
            self.collection.delete(ids=ids[i : i + 500])


def _progress(items: list[Any], show: bool, label: str) -> Iterator[Any]:
    if not show or not items:
        yield from items
        return
    from rich.progress import track

    yield from track(items, description=label, transient=True)
