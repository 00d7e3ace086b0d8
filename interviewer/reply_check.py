"""What a model's reply may not do. The template voice's draft is the truth for each move: the reply
may say it in other words, not add to it. Each check returns why a reply fails it, or None."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from interviewer.models import MoveKind

if TYPE_CHECKING:
    from knowledge.cases import ExpectedIdea

#: Moves whose reply only phrases the draft; the reply may be a little longer, not a speech.
DRAFT_ONLY = {MoveKind.ask, MoveKind.clarify, MoveKind.advance, MoveKind.wrap_up}
ECHO_WORDS = 5
"""A run of this many words of the voice's own instructions counts as repeating them."""

#: a reply that talks about its prompt, its draft, the answer key or itself
_META = re.compile(
    r"\b(drafts?|stage \d/7|move:|the answer is|expected (ideas?|points?)|as an ai|language model"
    r"|instructions?)\b|\bthe ai\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?")
_WORD = re.compile(r"[a-z0-9']+")


def repeated(text: str, earlier: Iterable[str]) -> str | None:
    """Word for word what the interviewer has already said."""
    return "it repeats an earlier reply" if text in earlier else None


def secrets(unsaid: Iterable[ExpectedIdea], draft: str) -> re.Pattern[str] | None:
    """One pattern of the cues of the ideas a reply must not state: those the candidate has yet to
    give, bar any the draft states (the policy alone decides when an idea is stated)."""
    cues = [f"(?:{cue})" for idea in unsaid if not idea.said_in(draft) for cue in idea.cues]
    return re.compile("|".join(cues), re.I) if cues else None


def gives_away(text: str, secrets: re.Pattern[str] | None, end: int | None = None) -> str | None:
    """Whether `text` (up to `end`, for a reply still streaming) states an idea of `secrets`."""
    found = secrets and secrets.search(text, 0, len(text) if end is None else end)
    return "it gives away an expected idea" if found else None


def invented_figure(text: str, draft: str) -> str | None:
    """A number the draft does not hold: the requirement sheet's facts reach the model only through
    the draft, so any other figure is made up."""
    extra = _figures(text) - _figures(draft)
    return "it states a figure the interview has not" if extra else None


def echoed(text: str, instructions: str, draft: str) -> str | None:
    """Words of the prompt's own rules or instructions, read out to the candidate."""
    said = _runs(text) - _runs(draft)
    return "it repeats its instructions" if said & _instruction_runs(instructions) else None


def overlong(text: str, draft: str, kind: MoveKind) -> str | None:
    """A move that only phrases the draft, padded with claims of the model's own (a clarifying
    answer with facts nobody asked for, praise at the wrap-up that the scorecard contradicts)."""
    if kind in DRAFT_ONLY and _words(text) > 2 * _words(draft) + 10:
        return "it says more than the move allows"
    return None


def meta_talk(text: str) -> str | None:
    """Words about the machinery: the draft, the stage header, the answer key, the AI itself."""
    return "it talks about its draft, the answers or itself" if _META.search(text) else None


def strays(similarity: float, faithful: float) -> str | None:
    """A reply whose meaning (`similarity` to its draft) is further than `faithful` from the draft's."""
    return "it strays from what the move says" if similarity < faithful else None


def _figures(text: str) -> set[str]:
    return {f.replace(",", "").rstrip(".") for f in _FIGURE.findall(text)}


def _words(text: str) -> int:
    return len(_WORD.findall(text.lower()))


def _runs(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1)}


@cache
def _instruction_runs(instructions: str) -> frozenset[tuple[str, ...]]:
    """Runs of the instructions' own words, leaving out their {placeholders}."""
    runs: set[tuple[str, ...]] = set()
    for part in re.split(r"\{[a-z_]+\}", instructions):
        runs |= _runs(part)
    return frozenset(runs)
