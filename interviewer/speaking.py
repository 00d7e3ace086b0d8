"""One seam for what the interviewer says: the main voice with the reply checks behind it, and the
template voice wherever the main one fails or says something the interview cannot use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from common.errors import ProviderError
from interviewer.models import Outcome
from interviewer.reply_check import (
    echoed,
    gives_away,
    invented_figure,
    meta_talk,
    overlong,
    repeated,
    secrets,
    strays,
)
from interviewer.voices import VoiceContext

if TYPE_CHECKING:
    import re

    from interviewer.models import Move
    from interviewer.voices import TemplateVoice, Voice
    from knowledge.cases import Case, ExpectedIdea

OnToken = Callable[[str], None]


@dataclass(frozen=True)
class Spoken:
    text: str
    voice: str
    """The voice whose words these are, e.g. `offline` or `openai:gpt-4o-mini`."""
    outcome: Outcome = Outcome.ok
    reason: str | None = None
    """Why the template voice spoke instead (`timeout`, `it repeats an earlier reply`, …)."""


class CheckedVoice:
    """The main voice's words, streamed to `on_token`, or the template voice's draft on a provider
    error or a reply the interview cannot use. A model's reply streams a whole word at a time once
    checked, so a given-away idea never shows: the stream stops before it. With `stream` off, a reply
    shows only once it has passed every check (for a model whose replies the checks mostly replace,
    so they do not flash up and vanish)."""

    def __init__(
        self, voice: Voice, template: TemplateVoice, faithful: float = 0.0, stream: bool = True
    ) -> None:
        self.voice, self.template, self.faithful, self.stream = voice, template, faithful, stream

    def speak(
        self,
        move: Move,
        case: Case,
        seed: str,
        context: VoiceContext,
        unsaid: Callable[[], Sequence[ExpectedIdea]],
        on_token: OnToken | None = None,
    ) -> Spoken:
        """`unsaid` gives the expected ideas of the move's stage that the candidate has yet to give;
        it is called only when there is a reply to check (the template voice's turn skips it)."""
        if self.voice is self.template:  # the template voice needs no draft of itself and no check
            text = "".join(self.template.render(move, case, seed, context))
            _emit(on_token, text)
            return Spoken(text.strip(), self.template.name)
        draft = self.template.text(move, case, seed)
        forbidden = secrets(unsaid(), draft)
        chunks = self.voice.render(move, case, seed, context)
        text, shown = "", 0
        try:
            for chunk in chunks:
                text += chunk
                end = _words_end(text)
                if reason := gives_away(text, forbidden, end):
                    return self._instead(draft, Outcome.rejected, reason)
                if self.stream:
                    _emit(on_token, text[shown:end])
                    shown = end
            if not text.strip():
                raise ProviderError("empty reply")
        except ProviderError as exc:
            return self._instead(draft, Outcome.fallback, str(exc))
        finally:
            chunks.close()  # a reply cut short stops the model's stream
        if reason := self._unusable(move, text.strip(), draft, forbidden, context):
            return self._instead(draft, Outcome.rejected, reason)
        _emit(on_token, text[shown:])
        return Spoken(text.strip(), self.voice.name)

    def _instead(self, draft: str, outcome: Outcome, reason: str) -> Spoken:
        return Spoken(draft, self.template.name, outcome, reason)

    def _unusable(
        self, move: Move, text: str, draft: str, forbidden: re.Pattern[str] | None, context: VoiceContext
    ) -> str | None:
        """Why a model's reply cannot be used, if it cannot: it must say something new, give away
        nothing the candidate has yet to say, and add no facts, instructions or claims to the draft."""
        return (
            repeated(text, [t.text for t in context.history if t.role == "interviewer"])
            or gives_away(text, forbidden)
            or invented_figure(text, draft)
            or echoed(text, self.voice.instructions, draft)
            or overlong(text, draft, move.kind)
            or meta_talk(text)
            or (strays(_similarity(text, draft), self.faithful) if self.faithful else None)
        )


def _similarity(text: str, draft: str) -> float:
    """Cosine of the two texts' sentence vectors (the offline judge's encoder, already loaded)."""
    from knowledge.embedding import minilm

    reply, expected = minilm().embed([text, draft])
    return float(reply @ expected)


def _emit(on_token: OnToken | None, text: str) -> None:
    if text and on_token:
        on_token(text)


def _words_end(text: str) -> int:
    """Where the last whole word of a growing text ends (a word is whole once whitespace follows)."""
    return max(text.rfind(c) for c in " \n\t") + 1
