"""OpenAI or any OpenAI-compatible server, through LangChain's ChatOpenAI.

Explicit timeouts; the SDK's own two retries (connection errors, 408/409/429/5xx) and no second
retry layer; every SDK exception becomes a ProviderError naming what went wrong, never the server's
own message (it may repeat the key). Under it, the HTTP client keeps a deadline on the whole reply
and waits for no long `Retry-After` (`providers.transport`); a streamed reply is cut at a token cap
(a server may ignore `max_tokens`) and must end as a finished reply. Every call is charged to the
budget of the session it runs for (`common.limits`), and refused once that is spent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from common import limits
from common.errors import ProviderError
from providers import Message, Usage
from providers.transport import MARK, ReplyLimits, http_client, retry_after

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
        reply: ReplyLimits | None = None,
    ) -> None:
        """`json_mode`: OpenAI's `json_schema`, or `json_object` with a schema (llama.cpp servers).
        `reply`: the deadline, size and retry-wait limits of one reply."""
        from langchain_openai import ChatOpenAI

        self.name, self.json_mode, self.server = f"{provider}:{model}", json_mode, server
        self.json_max_tokens = max(max_tokens, 500)
        self.stream_token_cap = 2 * max_tokens + 20
        """A streamed reply is cut here: twice what was asked for (tokenisers differ)."""
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
            http_client=http_client(reply or ReplyLimits(), timeout_s),
        )

    def close(self) -> None:
        """Stop the model server this client started, if any."""
        if self.server is not None:
            self.server.stop()

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        from common.tokens import count_tokens

        budget = _budget()
        usage, text, tokens, finished = None, "", 0, False
        chunks = self._client.stream(_to_langchain(messages))
        try:
            for chunk in chunks:
                usage = _usage(chunk.usage_metadata) or usage
                finished = finished or bool(chunk.response_metadata.get("finish_reason"))
                if isinstance(chunk.content, str) and chunk.content:
                    text += chunk.content
                    tokens += count_tokens(chunk.content)
                    if tokens > self.stream_token_cap:
                        raise ProviderError(f"reply cut at its cap of {self.stream_token_cap} tokens")
                    yield chunk.content
        except GeneratorExit:  # the reader stopped early: the prompt was still paid for
            self._spent(budget, usage or _estimate(messages, text))
            raise
        except ProviderError:
            self._spent(budget, usage or _estimate(messages, text))
            raise
        except Exception as exc:  # the SDK raises many kinds; all become one
            self._spent(budget, usage or _estimate(messages, text))
            raise _wrapped(exc, mid_reply=bool(text)) from None  # its message may hold the key
        finally:
            getattr(chunks, "close", lambda: None)()  # a reply cut short stops the server's stream
        self._spent(budget, usage or _estimate(messages, text))
        if not finished:
            raise ProviderError("the reply ended before it was finished")

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
        budget = _budget()
        try:
            reply = client.invoke(_to_langchain(messages))
        except Exception as exc:
            self._spent(budget, _estimate(messages, ""))
            raise _wrapped(exc) from None  # the SDK's message may quote the key
        text = reply.content if isinstance(reply.content, str) else ""
        self._spent(budget, _usage(getattr(reply, "usage_metadata", None)) or _estimate(messages, text))
        return text

    def _spent(self, budget: limits.Budget | None, usage: Usage) -> None:
        self.usage.append(usage)
        if budget is not None:
            budget.charge(usage.input_tokens + usage.output_tokens)


def _budget() -> limits.Budget | None:
    """The budget of the session this call is for, refusing the call when it is spent."""
    budget = limits.current()
    if budget is not None:
        budget.check()
    return budget


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


def _wrapped(exc: Exception, mid_reply: bool = False) -> ProviderError:
    """What went wrong, in our words: the SDK's message may quote the key or the server's page."""
    import openai

    ours = _limit_reason(exc)
    if ours:
        return ProviderError(ours)
    if isinstance(exc, openai.RateLimitError):
        wait = retry_after(exc.response.headers)
        return ProviderError(
            "rate limited (429)" + (f", asked to wait {wait:g} s" if wait and wait < float("inf") else "")
        )
    if (mid_reply and isinstance(exc, (openai.APIConnectionError, *httpx_errors()))) or _dropped(exc):
        return ProviderError("connection dropped mid-reply")
    reasons = [
        (openai.APITimeoutError, "timeout"),
        (openai.AuthenticationError, "authentication failed: check OPENAI_API_KEY"),
        (openai.APIConnectionError, "cannot connect"),
        (openai.InternalServerError, "server error (5xx)"),
        (openai.APIStatusError, "refused"),
        (ValueError, "malformed reply (not JSON)"),
    ]
    reason = next((text for kind, text in reasons if isinstance(exc, kind)), None)
    if reason is None:
        reason = "connection dropped mid-reply" if isinstance(exc, httpx_errors()) else type(exc).__name__
    return ProviderError(reason)


def httpx_errors() -> tuple[type[Exception], ...]:
    import httpx2

    return (httpx2.TransportError,)


def _dropped(exc: BaseException) -> bool:
    """Whether the server closed the connection in the middle of its reply."""
    import httpx2

    return any(isinstance(e, httpx2.RemoteProtocolError) for e in _chain(exc))


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    for _ in range(10):
        if exc is None:
            return
        yield exc
        exc = exc.__cause__ or exc.__context__


def _limit_reason(exc: BaseException) -> str | None:
    """The transport's own reason (a deadline, a size cap), found anywhere in the chain of causes."""
    found = (str(e) for e in _chain(exc) if str(e).startswith(MARK))
    return next((text.removeprefix(MARK).strip() for text in found), None)
