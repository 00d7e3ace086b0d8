"""Limits against unbounded consumption: a cap on a session's turns (then only /end), on its model
calls and model tokens (then the offline voice and judge, and the turn says why), kept across a
resume; an answer's size in tokens is in the bad-input catalogue, a runaway stream in the faults."""

from __future__ import annotations

from dataclasses import replace

import pytest

from common.errors import InputError
from common.ids import CaseId, Level
from common.limits import Budget, BudgetSpent, Limits, spending
from common.settings import Settings
from common.tokens import use_cache_dir
from interviewer.engine import Engine, build_engine
from interviewer.models import MoveKind, Outcome
from interviewer.session import Interview
from interviewer.store import Store
from providers.faults import Fault, FaultServer

CASE = CaseId.ad_click_prediction
ANSWER = "I would frame it as predicting the probability of a click for each candidate ad."


def _model_engine(server: FaultServer, limits: Limits) -> Engine:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        provider="openai",
        openai_api_key="sk-limits",
        openai_base_url=server.url,
        timeout_s=2,
        turn_judge="offline",  # the voice alone calls the model, so the counts are its calls
    )
    use_cache_dir(settings.tiktoken_dir)
    return replace(build_engine(settings, retriever=_NoNotes()), limits=limits)


class _NoNotes:
    def search(self, *args: object, **kwargs: object) -> list[object]:
        return []


def test_past_the_turn_cap_only_end_is_taken(store: Store, engine: Engine) -> None:
    capped = replace(engine, limits=Limits(session_turns=2))
    interview = Interview.start(CASE, Level.senior, store, capped)
    interview.submit(ANSWER)
    interview.submit("Nothing more.")
    stored = len(interview.turns)
    with pytest.raises(InputError, match=r"reached its limit of 2 answers\. Nothing was kept: type /end"):
        interview.submit("One more thing.")
    assert len(interview.turns) == stored
    wrap_up = interview.submit("/END")
    assert wrap_up[0].move is MoveKind.wrap_up
    assert interview.final_scorecard() is not None


def test_past_the_call_cap_the_offline_voice_speaks_and_says_why(store: Store) -> None:
    with FaultServer(Fault.none) as server:
        engine = _model_engine(server, Limits(session_model_calls=2))
        interview = Interview.start(CASE, Level.senior, store, engine)
        replies = [interview.submit(a)[0] for a in (ANSWER, "Nothing more.", "I am not sure.")]
        assert len(server.requests) == 2  # the third turn never called the model
        assert interview.state.model_calls == 2
        assert replies[2].outcome is Outcome.fallback
        assert replies[2].reason == "session cap of 2 model calls reached"
        resumed = Interview.resume(interview.state.id, store, engine)  # the count survives a restart
        assert resumed is not None
        again = resumed.submit("Let me think about the data.")[0]
        assert again.reason == "session cap of 2 model calls reached"
        assert len(server.requests) == 2


def test_past_the_token_cap_the_offline_voice_speaks(store: Store) -> None:
    with FaultServer(Fault.none) as server:
        engine = _model_engine(server, Limits(session_model_tokens=10))
        interview = Interview.start(CASE, Level.senior, store, engine)
        first, second = (interview.submit(a)[0] for a in (ANSWER, "Nothing more."))
        assert first.outcome is not Outcome.fallback
        assert second.reason == "session cap of 10 model tokens reached"
        assert interview.state.model_tokens >= 10
        assert len(server.requests) == 1


def test_a_budget_charges_threads_that_copy_its_context() -> None:
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    budget = Budget(max_calls=1, max_tokens=100)
    with spending(budget), ThreadPoolExecutor(1) as pool:
        pool.submit(contextvars.copy_context().run, budget.charge, 5).result()
        with pytest.raises(BudgetSpent, match="session cap of 1 model calls reached"):
            pool.submit(contextvars.copy_context().run, budget.check).result()
    assert (budget.calls, budget.tokens) == (1, 5)
