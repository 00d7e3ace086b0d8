"""BM25 over the knowledge chunks, to fuse with embedding search (exact terms such as
"PR-AUC", "CUPED" or "point-in-time" are where embeddings are weakest)."""

from __future__ import annotations

import math
import re
from collections import Counter

_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    """a an and are as at be by do does for from how i if in is it its me my of on or our should so that
    the their them then there these they this to us was we what when where which who why will with would
    you your""".split()
)


def tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOP]


class BM25:
    def __init__(self, documents: list[str], k1: float = 1.4, b: float = 0.75) -> None:
        self.docs = [Counter(tokens(d)) for d in documents]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.mean_length = sum(self.lengths) / max(len(self.docs), 1)
        frequency = Counter(term for d in self.docs for term in d)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}
        self.k1, self.b = k1, b

    def scores(self, query: str) -> list[float]:
        terms = [t for t in tokens(query) if t in self.idf]
        return [self._score(terms, doc, length) for doc, length in zip(self.docs, self.lengths, strict=True)]

    def _score(self, terms: list[str], doc: Counter[str], length: int) -> float:
        norm = self.k1 * (1 - self.b + self.b * length / (self.mean_length or 1))
        return sum(self.idf[t] * doc[t] * (self.k1 + 1) / (doc[t] + norm) for t in terms if t in doc)


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = 60) -> list[tuple[str, float]]:
    """(id, score) ordered by the sum of 1 / (k + rank) over the rankings."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + 1 / (k + rank)
    return sorted(fused.items(), key=lambda pair: -pair[1])
