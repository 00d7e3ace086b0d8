"""Build the engine (voice and assessor) that a provider name asks for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from interviewer.session import Engine
from rubric.ids import ProviderName

if TYPE_CHECKING:
    from interviewer.providers import ChatModel
    from interviewer.settings import Settings
    from interviewer.voices import Retriever


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
    voice = LLMVoice(chat, draft=template, retriever=retriever, prompts=settings.prompts)
    grader = LLMAssessor(chat, fallback=offline)
    return Engine(settings.provider.value, assessor=offline, grader=grader, voice=voice, fallback=template)
