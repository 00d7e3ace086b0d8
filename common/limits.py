"""Limits against unbounded consumption, and the per-session budget of model calls and tokens.

A session's budget is set for the code that runs on its behalf (`spending(budget)`), so the chat
model charges every call to the session that made it without being told which one that is; a
thread that works for the session (the background grader, the turn judge) runs in a copy of the
context that set it. Past a cap the model is not called: the call fails as a provider error, so the
offline voice and judge answer from there on, and the turn says why.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from common.errors import ProviderError

if TYPE_CHECKING:
    from common.settings import Settings


@dataclass(frozen=True)
class Limits:
    """The caps, as `Settings` sets them (`Limits.of(settings)`); these defaults match its own."""

    answer_tokens: int = 6_000
    """The longest answer accepted in one turn, in tokens (tiktoken's o200k_base)."""
    session_turns: int = 150
    """Candidate turns in one session; past it, only `/end` is taken."""
    session_model_calls: int = 250
    """Model calls in one session (voice, turn judge and grader together)."""
    session_model_tokens: int = 400_000
    """Model tokens in one session, sent and received."""

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            answer_tokens=settings.max_answer_tokens,
            session_turns=settings.max_session_turns,
            session_model_calls=settings.max_session_model_calls,
            session_model_tokens=settings.max_session_model_tokens,
        )


class BudgetSpent(ProviderError):
    """A session's cap on model calls or tokens is reached: the offline engine answers instead."""


@dataclass
class Budget:
    """What one session has spent on the model, against its caps; safe to charge from threads."""

    max_calls: int
    max_tokens: int
    calls: int = 0
    tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def check(self) -> None:
        """Raises BudgetSpent when another call would pass a cap."""
        with self._lock:
            if self.calls >= self.max_calls:
                raise BudgetSpent(f"session cap of {self.max_calls:,} model calls reached")
            if self.tokens >= self.max_tokens:
                raise BudgetSpent(f"session cap of {self.max_tokens:,} model tokens reached")

    def charge(self, tokens: int) -> None:
        with self._lock:
            self.calls += 1
            self.tokens += tokens


_current: ContextVar[Budget | None] = ContextVar("mlsd_budget", default=None)


def current() -> Budget | None:
    """The budget of the session this code runs for, if any (none: a grade or an eval item)."""
    return _current.get()


@contextmanager
def spending(budget: Budget) -> Iterator[Budget]:
    """Charge the model calls made inside this block (and in copies of its context) to `budget`."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)
