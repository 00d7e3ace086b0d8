"""The offline MiniLM embedding function, registered with Chroma under its own name.

Import this module before opening a collection that uses it, so Chroma can rebuild the function
from the collection's stored configuration instead of falling back to a download.
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from knowledge.embedding import minilm


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 int8 on onnxruntime; padded per batch; one session per process."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        return list(minilm().embed(list(input)))

    @staticmethod
    def name() -> str:
        return "mlsd_minilm_int8"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction()
