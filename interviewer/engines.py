"""Build the engine (voice and assessor) that a provider name asks for."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from interviewer.session import Engine
from rubric.errors import RetrievalError
from rubric.ids import CaseId, ProviderName, Stage, Topic

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from interviewer.providers import ChatModel
    from interviewer.settings import Settings
    from interviewer.voices import Retriever
    from knowledge.index import Chunk, KnowledgeIndex


def build_chat(settings: Settings) -> ChatModel:
    """The chat model for the openai or local provider (the local server starts if it must)."""
    from interviewer.providers.openai_chat import OpenAIChat

    if settings.provider is ProviderName.local:
        from interviewer.providers.local import ALIAS, LocalServer

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
        )
    return OpenAIChat(settings.model, settings.api_key(), settings.openai_base_url, settings.timeout_s)


def build_engine(
    settings: Settings, chat: ChatModel | None = None, retriever: Retriever | None = None
) -> Engine:
    from interviewer.voices import LLMVoice, TemplateVoice
    from rubric.assessors import EmbeddingAssessor
    from rubric.llm_assessor import LLMAssessor

    template, offline = TemplateVoice(), EmbeddingAssessor()
    if settings.provider is ProviderName.offline and chat is None:
        return Engine("offline", assessor=offline, grader=offline, voice=template, fallback=template)
    chat = chat or build_chat(settings)
    retriever = retriever or IndexNotes(settings)
    voice = LLMVoice(chat, draft=template, retriever=retriever, prompts=settings.voice_prompts())
    grader = LLMAssessor(chat, fallback=offline)
    return Engine(settings.provider.value, assessor=offline, grader=grader, voice=voice, fallback=template)


class IndexNotes:
    """The knowledge index as the LLM voice's retriever, opened on first use. Without an index (not
    ingested yet, or a Chroma server that is down) the voice goes on without notes, and says so once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._index: KnowledgeIndex | None = None
        self._failed = False

    def search(
        self,
        query: str,
        stage: Stage | None = None,
        case: CaseId | None = None,
        topic: Topic | None = None,
        k: int = 5,
        mode: str = "hybrid",
    ) -> list[Chunk]:
        index = self._open()
        if index is None:
            return []
        try:
            return index.search(query, stage=stage, case=case, topic=topic, k=k, mode=mode)
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
