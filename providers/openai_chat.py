"""OpenAI or any OpenAI-compatible server, through LangChain's ChatOpenAI.

Explicit timeouts; the SDK's own two retries (connection errors, 408/409/429/5xx) and no second
retry layer; every SDK exception becomes a ProviderError naming what went wrong.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from common.errors import ProviderError
from providers import Message, Usage

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from providers.local import LocalServer


class OpenAIChat:
    def __init__(
        self,
        model: str,
        api_key: str,
        base_url: str | None = None,
        timeout_s: float = 30.0,
        max_tokens: int = 300,
        provider: str = "openai",
        json_mode: str = "json_schema",
        server: LocalServer | None = None,
    ) -> None:
        """`json_mode`: OpenAI's `json_schema`, or `json_object` with a schema (llama.cpp servers)."""
        from langchain_openai import ChatOpenAI

        self.name, self.json_mode, self.server = f"{provider}:{model}", json_mode, server
        self.json_max_tokens = max(max_tokens, 500)
        self.usage: list[Usage] = []
        self._client = ChatOpenAI(
            model=model,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=2,
            temperature=0.3,
            seed=7,
            stream_usage=True,
            extra_body={"max_tokens": max_tokens},
        )

    def close(self) -> None:
        """Stop the model server this client started, if any."""
        if self.server is not None:
            self.server.stop()

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        usage, text = None, ""
        try:
            for chunk in self._client.stream(_to_langchain(messages)):
                usage = _usage(chunk.usage_metadata) or usage
                if isinstance(chunk.content, str) and chunk.content:
                    text += chunk.content
                    yield chunk.content
        except GeneratorExit:  # the reader stopped early: the prompt was still paid for
            self.usage.append(usage or _estimate(messages, text))
            raise
        except Exception as exc:  # the SDK raises many kinds; all become one
            raise _wrapped(exc) from exc
        self.usage.append(usage or _estimate(messages, text))

    def complete(self, messages: Sequence[Message], json_schema: dict[str, Any] | None = None) -> str:
        client = self._client
        if json_schema is not None:
            fmt: dict[str, Any] = {"type": "json_object", "schema": json_schema}
            if self.json_mode == "json_schema":
                fmt = {"type": "json_schema", "json_schema": {"name": "result", "schema": json_schema}}
            # in the body, not as LangChain's response_format: that routes through the SDK's parse
            # helper, which raises on a truncated reply instead of letting us retry with the error
            body = {"max_tokens": self.json_max_tokens, "response_format": fmt}
            client = client.bind(extra_body=body)  # type: ignore[assignment]
        try:
            reply = client.invoke(_to_langchain(messages))
        except Exception as exc:
            raise _wrapped(exc) from exc
        text = reply.content if isinstance(reply.content, str) else ""
        self.usage.append(_usage(getattr(reply, "usage_metadata", None)) or _estimate(messages, text))
        return text


def _to_langchain(messages: Sequence[Message]) -> list[BaseMessage]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m.role](content=m.content) for m in messages]


def _usage(meta: Any) -> Usage | None:
    if not meta:
        return None
    details = meta.get("input_token_details") or {}
    return Usage(
        input_tokens=meta.get("input_tokens", 0),
        output_tokens=meta.get("output_tokens", 0),
        cached_tokens=details.get("cache_read", 0) or 0,
    )


def _estimate(messages: Sequence[Message], reply: str) -> Usage:
    """Token counts with tiktoken, for servers that report no usage while streaming."""
    from common.tokens import count_tokens

    sent = sum(count_tokens(m.content) + 4 for m in messages)
    return Usage(input_tokens=sent, output_tokens=count_tokens(reply), estimated=True)


def _wrapped(exc: Exception) -> ProviderError:
    import openai

    reasons = [
        (openai.APITimeoutError, "timeout"),
        (openai.RateLimitError, "rate limited (429)"),
        (openai.AuthenticationError, "authentication failed: check OPENAI_API_KEY"),
        (openai.APIConnectionError, "cannot connect"),
        (openai.InternalServerError, "server error (5xx)"),
        (openai.APIStatusError, "refused"),
    ]
    reason = next((text for kind, text in reasons if isinstance(exc, kind)), type(exc).__name__)
    return ProviderError(reason)
