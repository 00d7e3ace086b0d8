"""What an engine's chat models have spent so far, to charge a session the difference."""

from __future__ import annotations

from typing import TYPE_CHECKING

from interviewer.store import SessionUsage

if TYPE_CHECKING:
    from interviewer.engine import Engine


def engine_usage(engine: Engine) -> SessionUsage:
    """Tokens and calls of every chat model behind the engine's voice and judges, counted once each."""
    parts = (engine.voice, engine.grader, engine.assessor, getattr(engine.assessor, "model", None))
    chats = {id(c): c for p in parts if (c := getattr(p, "chat", None)) is not None}
    total = SessionUsage()
    for chat in chats.values():
        model = chat.name.split(":", 1)[-1] or None
        total = total.plus(
            SessionUsage(
                input_tokens=sum(u.input_tokens for u in chat.usage),
                output_tokens=sum(u.output_tokens for u in chat.usage),
                calls=len(chat.usage),
                model=model,
            )
        )
    return total


def spent(before: SessionUsage, after: SessionUsage) -> SessionUsage:
    return SessionUsage(
        input_tokens=after.input_tokens - before.input_tokens,
        output_tokens=after.output_tokens - before.output_tokens,
        calls=after.calls - before.calls,
        model=after.model,
    )
