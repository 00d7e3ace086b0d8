"""Chat models behind one small protocol: stream a reply, or complete one (optionally as JSON).

`openai` talks to OpenAI or any compatible server through LangChain's ChatOpenAI, `local` runs the
bundled SmolLM2 model on a loopback server, `fake` answers from a script for tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    estimated: bool = False
    """Counted with tiktoken because the server reported no usage."""


class ChatModel(Protocol):
    name: str
    """`provider:model`, shown wherever this model speaks."""
    usage: list[Usage]
    """One entry per call, for token and cost reports."""

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """The reply in chunks; raises ProviderError on any failure."""
        ...

    def complete(self, messages: Sequence[Message], json_schema: dict[str, Any] | None = None) -> str:
        """The whole reply; with `json_schema`, constrained to it where the server supports that."""
        ...
