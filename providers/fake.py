"""A chat model for tests: replies from a queue or from a function of the messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from common.errors import ProviderError
from providers import Message, Usage

Reply = str | Exception


class FakeChat:
    """Pops scripted replies (an Exception is raised instead), or calls `respond(messages)`."""

    def __init__(
        self,
        replies: Sequence[Reply] = (),
        respond: Callable[[Sequence[Message]], Reply] | None = None,
        name: str = "fake:scripted",
    ) -> None:
        self.replies, self.respond, self.name = list(replies), respond, name
        self.calls: list[list[Message]] = []
        self.usage: list[Usage] = []

    def _next(self, messages: Sequence[Message]) -> str:
        self.calls.append(list(messages))
        if self.respond is not None:
            reply = self.respond(messages)
        elif self.replies:
            reply = self.replies.pop(0)
        else:
            raise ProviderError("the fake chat model has no scripted reply left")
        if isinstance(reply, Exception):
            raise reply
        self.usage.append(
            Usage(input_tokens=sum(len(m.content) // 4 for m in messages), output_tokens=len(reply) // 4)
        )
        return reply

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        reply = self._next(messages)
        for start in range(0, len(reply), 16):
            yield reply[start : start + 16]

    def complete(self, messages: Sequence[Message], json_schema: dict[str, Any] | None = None) -> str:
        return self._next(messages)
