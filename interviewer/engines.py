"""Build the engine (voice and assessor) a provider name asks for."""

from __future__ import annotations

from interviewer.session import Engine
from interviewer.settings import Settings
from rubric.errors import ConfigError
from rubric.ids import ProviderName


def build_engine(settings: Settings) -> Engine:
    from interviewer.voices import TemplateVoice
    from rubric.assessors import EmbeddingAssessor

    if settings.provider is ProviderName.offline:
        return Engine(name="offline", assessor=EmbeddingAssessor(), voice=TemplateVoice())
    if settings.provider is ProviderName.openai:
        settings.api_key()  # names the missing variable before anything else happens
    raise ConfigError(
        f"The {settings.provider.value} provider is not available in this build yet; "
        "use --provider offline (the default, no key needed)."
    )
