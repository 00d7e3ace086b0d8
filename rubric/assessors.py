"""Assessors turn an answer into coverage of a stage's expected ideas and misconceptions.

One protocol, `Assessor.assess`. The offline `EmbeddingAssessor` follows expectation coverage in the
style of AutoTutor: an idea is covered when a sentence of the answer says it outright (a cue) or is
close enough in meaning to one of the idea's phrasings. Every quote is a verbatim slice of the answer.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Protocol

from common.base import Strict
from common.ids import Stage
from rubric.guard import addresses_grader

if TYPE_CHECKING:
    from knowledge.cases import Case, StagePlan
    from knowledge.embedding import Vectors

_SENTENCE = re.compile(r"[^.!?;\n]+(?:[.!?;]+|$)")
_NEGATION = re.compile(
    r"\b(?:not|never|no|avoid\w*|don'?t|doesn'?t|shouldn'?t|wouldn'?t|won'?t|instead|rather than"
    r"|without|against|wrong|mistake|misleading|leak\w*|bad|naive)\b",
    re.IGNORECASE,
)


class Coverage(Strict):
    """What one answer covered, with evidence quoted verbatim from it."""

    met: dict[str, list[str]] = {}
    misconceptions: dict[str, list[str]] = {}


class Assessor(Protocol):
    name: str
    version: str

    def assess(self, case: Case, stage: Stage, text: str) -> Coverage: ...


def sentences(text: str) -> list[str]:
    """The answer's sentences, each a verbatim substring of it."""
    return [m.group().strip() for m in _SENTENCE.finditer(text) if len(m.group().strip()) > 2]


def _cue_hit(cues: list[str], sentence: str) -> bool:
    return any(re.search(cue, sentence, re.IGNORECASE) for cue in cues)


class EmbeddingAssessor:
    """Offline: lexical cues first, then cosine similarity against the ideas' phrasings."""

    name = "offline"
    version = "embedding-v1"

    def __init__(self, threshold: float = 0.62, misconception_threshold: float = 0.85) -> None:
        self.threshold = threshold
        self.misconception_threshold = misconception_threshold

    def assess(self, case: Case, stage: Stage, text: str) -> Coverage:
        from knowledge.embedding import minilm

        found = [s for s in sentences(text) if not addresses_grader(s)]
        if not found:
            return Coverage()
        vectors = minilm().embed(found)
        plan = case.plan(stage)
        ideas = _semantic_hits(vectors, _phrasing_bank(case.id, stage), self.threshold)
        met = {
            idea.id: quotes
            for idea, hits in zip(plan.ideas, ideas, strict=True)
            if (quotes := _quotes(found, hits, idea.cues))
        }
        banks = _misconception_bank(case.id, stage)
        wrong_hits = _semantic_hits(vectors, banks, self.misconception_threshold)
        wrong = {
            item.id: quotes
            for item, hits in zip(plan.misconceptions, wrong_hits, strict=True)
            if (quotes := [q for q in _quotes(found, hits, item.cues) if not _NEGATION.search(q)])
        }
        return Coverage(met=met, misconceptions=wrong)


def _semantic_hits(vectors: Vectors, banks: list[Vectors], threshold: float) -> list[set[int]]:
    """Per item, the sentences whose closest item it is, at `threshold` or above.

    Each sentence is credited to one item only (its best match), so a sentence about one idea does
    not also count for a neighbouring idea of the same stage.
    """
    hits: list[set[int]] = [set() for _ in banks]
    if not banks or not len(vectors):
        return hits
    import numpy as np

    scores = np.stack([(vectors @ bank.T).max(axis=1) for bank in banks], axis=1)
    for sentence, row in enumerate(scores):
        best = int(row.argmax())
        if row[best] >= threshold:
            hits[best].add(sentence)
    return hits


def _quotes(found: list[str], semantic: set[int], cues: list[str]) -> list[str]:
    """Sentences that say the item outright (a cue) or mean it (semantic), in answer order."""
    hits = semantic | {i for i, s in enumerate(found) if _cue_hit(cues, s)}
    return [found[i] for i in sorted(hits)]


def _plan(case_id: str, stage: Stage) -> StagePlan:
    from knowledge.cases import load_case

    return load_case(case_id).plan(stage)


@cache
def _phrasing_bank(case_id: str, stage: Stage) -> list[Vectors]:
    from knowledge.embedding import minilm

    return [minilm().embed([i.text, *i.phrasings]) for i in _plan(case_id, stage).ideas]


@cache
def _misconception_bank(case_id: str, stage: Stage) -> list[Vectors]:
    from knowledge.embedding import minilm

    return [minilm().embed(m.phrasings) for m in _plan(case_id, stage).misconceptions]
