"""The engine: what speaks and what judges an interview, built for the provider a setting names."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from common.errors import RetrievalError
from common.ids import ProviderName
from common.limits import Limits

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from common.settings import Settings
    from interviewer.voices import TemplateVoice, Voice
    from knowledge.index import KnowledgeIndex
    from knowledge.retriever import Chunk, Filter, Retriever, SearchMode
    from providers import ChatModel
    from rubric.assessors import Assessor


#: `Settings.reply_faithfulness` by provider, when it is not set
FAITHFUL_OPENAI, FAITHFUL_LOCAL = 0.6, 0.85


@dataclass(frozen=True)
class Engine:
    """What speaks and what judges, as the provider picks them."""

    provider: str
    """offline, openai or local."""
    assessor: Assessor
    """Judges each answer on the turn's critical path: the offline judge, or the model under a
    deadline with the offline judge standing in (`Settings.turn_judge`)."""
    grader: Assessor
    """Grades the stages for the scorecard, off the critical path (the LLM one with a model)."""
    voice: Voice
    template: TemplateVoice
    """Asks the curated stage questions, and speaks whenever the main voice fails."""
    faithful: float = 0.0
    """How close in meaning a model's reply must stay to its draft (`Settings.reply_faithfulness`)."""
    stream: bool = True
    """Whether a model's reply streams as it is checked; off for the local model, whose replies the
    checks mostly replace, so they do not flash up and vanish."""
    limits: Limits = field(default_factory=Limits)
    """The caps on an answer and on a session's turns, model calls and model tokens."""

    @property
    def name(self) -> str:
        """Shown wherever the interviewer speaks, e.g. `offline` or `openai:gpt-4o-mini`."""
        return self.voice.name


def build_chat(settings: Settings) -> ChatModel:
    """The chat model for the openai or local provider (the local server starts if it must)."""
    from providers.openai_chat import OpenAIChat
    from providers.transport import ReplyLimits

    reply = ReplyLimits(deadline_s=settings.reply_deadline_s, max_retry_wait_s=settings.max_retry_wait_s)

    if settings.provider is ProviderName.local:
        from providers.local import ALIAS, LocalServer

        server = LocalServer(settings.local_port)
        if settings.local_autostart:
            server.start()
        return OpenAIChat(
            ALIAS,
            "local",
            server.base_url,
            settings.timeout_s,
            max_tokens=120,
            provider="local",
            json_mode="json_object",
            server=server,
            reply=reply,
        )
    return OpenAIChat(
        settings.model, settings.api_key(), settings.openai_base_url, settings.timeout_s, reply=reply
    )


def build_engine(
    settings: Settings, chat: ChatModel | None = None, retriever: Retriever | None = None
) -> Engine:
    from interviewer.voices import LLMVoice, TemplateVoice
    from rubric.assessors import EmbeddingAssessor
    from rubric.llm_assessor import DeadlineAssessor, LLMAssessor

    template, offline = TemplateVoice(), EmbeddingAssessor()
    limits = Limits.of(settings)
    if settings.provider is ProviderName.offline and chat is None:
        return Engine(
            "offline", assessor=offline, grader=offline, voice=template, template=template, limits=limits
        )
    chat = chat or build_chat(settings)
    retriever = retriever or IndexNotes(settings)
    voice = LLMVoice(chat, draft=template, retriever=retriever, prompts=settings.voice_prompts())
    grader = LLMAssessor(chat, fallback=offline)
    turn_judge = settings.turn_judge
    if turn_judge == "auto":
        turn_judge = "model" if settings.provider is ProviderName.openai else "offline"
    assessor = (
        DeadlineAssessor(grader, offline, settings.judge_deadline_s) if turn_judge == "model" else offline
    )
    faithful = settings.reply_faithfulness
    if faithful is None:
        faithful = FAITHFUL_LOCAL if settings.provider is ProviderName.local else FAITHFUL_OPENAI
    return Engine(
        settings.provider.value,
        assessor=assessor,
        grader=grader,
        voice=voice,
        template=template,
        faithful=faithful,
        stream=settings.provider is not ProviderName.local,
        limits=limits,
    )


class IndexNotes:
    """The knowledge index as the LLM voice's retriever, opened on first use. Without an index (not
    ingested yet, or a Chroma server that is down) the voice goes on without notes, and says so once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._index: KnowledgeIndex | None = None
        self._failed = False

    def search(
        self, query: str, where: Filter | None = None, k: int = 5, mode: SearchMode = "hybrid"
    ) -> list[Chunk]:
        index = self._open()
        if index is None:
            return []
        try:
            return index.search(query, where, k, mode)
        except RetrievalError as exc:
            self._give_up(exc)
            return []

    def _open(self) -> KnowledgeIndex | None:
        if self._index is None and not self._failed:
            from knowledge.index import KnowledgeIndex

            try:
                self._index = KnowledgeIndex.from_settings(self.settings)
                if self._index.count() == 0:
                    self._give_up(RetrievalError("the knowledge index is empty; run `mlsd ingest`"))
            except RetrievalError as exc:
                self._give_up(exc)
        return None if self._failed else self._index

    def _give_up(self, exc: Exception) -> None:
        self._failed, self._index = True, None
        logger.warning("LLM voice without knowledge notes: %s", exc)
