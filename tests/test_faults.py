"""Provider faults, for real: the openai client (through LangChain) talks HTTP to a loopback server
that misbehaves on purpose (`providers.faults`). Interviews, grades and eval runs go on, fall back
as designed (the template voice for a reply, the offline judge for a verdict), say so on the turn or
in the report, and lose no turn. The parametrisation is the fault matrix: fault × interview / grade
/ eval."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from common.errors import ProviderError
from common.ids import CaseId, Level, Stage
from common.settings import Settings
from common.tokens import use_cache_dir
from interviewer.engine import Engine, build_engine
from interviewer.models import Outcome, Turn
from interviewer.session import Interview
from interviewer.store import Store
from knowledge.cases import load_case
from knowledge.retriever import Chunk
from providers.faults import INVENTED, Fault, FaultServer
from rubric.assessors import EmbeddingAssessor
from rubric.grading import grade_answer

CASE = CaseId.ad_click_prediction
ANSWERS = [
    "How many daily active users are there, and what is the latency budget for serving an ad?",
    "I would frame it as binary classification of click versus no click, predicting the probability "
    "of a click for each candidate ad, and rank ads by expected revenue.",
]
STAGE = Stage.data_preparation
ANSWER = (
    "I'd split by time, training on the first four weeks and testing on the next day. "
    "Features are user history and ad ids, computed point in time from the same pipeline as serving."
)
KEY = "sk-fault-test-0000000000000000"
pytestmark = pytest.mark.reliability

#: what the interviewer's reply says when the voice's call fails: the start of `Turn.reason`
VOICE = {
    Fault.timeout: "timeout",
    Fault.rate_limited: "rate limited (429), asked to wait 30 s",
    Fault.server_error: "server error (5xx)",
    Fault.unavailable: "server error (5xx)",
    Fault.dropped_mid_stream: "connection dropped mid-reply",
    Fault.malformed_json: "malformed reply (not JSON)",
    Fault.truncated_json: "the reply ended before it was finished",
    Fault.never_ends: "reply cut at its cap of",
    Fault.unauthorized: "authentication failed",
}
#: the faults after which the grader's verdict is not used: the offline judge grades instead
GRADE_FALLS_BACK = {*VOICE, Fault.grade_out_of_range} - {Fault.rate_limited_brief}
FAULTS = list(Fault)


class _NoNotes:
    """The voice's notes are beside the point here (and need an ingested index)."""

    def search(self, *args: object, **kwargs: object) -> list[Chunk]:
        return []


def _settings(server: FaultServer, **overrides: object) -> Settings:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        provider="openai",
        openai_api_key=KEY,
        openai_base_url=server.url,
        timeout_s=0.25,
        reply_deadline_s=1.5,
        judge_deadline_s=0.5,
        turn_judge="model",
        **overrides,
    )
    use_cache_dir(settings.tiktoken_dir)
    return settings


def _engine(server: FaultServer) -> Engine:
    return build_engine(_settings(server), retriever=_NoNotes())


def _replies(turns: list[Turn]) -> list[Turn]:
    """The interviewer turns that answer a candidate turn (the next stage's fixed question excluded)."""
    return [b for a, b in itertools.pairwise(turns) if a.role == "candidate"]


@pytest.mark.parametrize("fault", FAULTS)
def test_an_interview_goes_on_through_a_fault(fault: Fault, store: Store) -> None:
    with FaultServer(fault, hang_s=5) as server:
        interview = Interview.start(CASE, Level.senior, store, _engine(server))
        for answer in [*ANSWERS, "/end"]:
            interview.submit(answer)
        card = interview.final_scorecard(timeout=120)
    stored = store.load(interview.state.id)
    assert stored is not None
    assert [t.model_dump() for t in stored[1]] == [t.model_dump() for t in interview.turns]  # nothing lost
    replies = _replies(interview.turns)
    assert len(replies) == 3
    assert all(r.role == "interviewer" and r.text for r in replies)
    assert card is not None
    assert len(card.stages) == 7
    spoken = replies[:2]  # the wrap-up is phrased too, but its voice call may meet a spent server
    if fault in VOICE:
        assert all(r.outcome is Outcome.fallback and r.voice == "offline" for r in spoken), spoken
        assert all((r.reason or "").startswith(VOICE[fault]) for r in spoken), spoken
        assert all(r.judge_fallback for r in spoken if r.judge)  # the turn judge fell back too
    else:
        assert not [r for r in spoken if r.outcome is Outcome.fallback], spoken
    quotes = [q for st in interview.state.stages.values() for qs in st.met.values() for q in qs]
    assert all(q in " ".join(ANSWERS) for q in quotes)  # no invented evidence ever counts
    print(f"MATRIX interview {fault.value}: {replies[0].speaker()} · judge {replies[0].judge_fallback}")


@pytest.mark.parametrize("fault", FAULTS)
def test_a_grade_goes_on_through_a_fault(fault: Fault) -> None:
    offline = grade_answer(EmbeddingAssessor(), "openai", CASE, STAGE, ANSWER, 20_000)
    with FaultServer(fault, hang_s=5) as server:
        engine = _engine(server)
        graded = grade_answer(engine.grader, engine.provider, CASE, STAGE, ANSWER, 20_000)
        calls = len(server.requests)
    fallbacks = getattr(engine.grader, "fallbacks", None)
    assert fallbacks == (1 if fault in GRADE_FALLS_BACK else 0)
    if fault in GRADE_FALLS_BACK:
        assert graded.model_dump(exclude={"prompt_version"}) == offline.model_dump(exclude={"prompt_version"})
    evidence = [q for c in graded.criteria for q in c.evidence]
    assert all(q in ANSWER for q in evidence)
    assert not [q for q in evidence if INVENTED in q]
    assert 1 <= calls <= 3 * 3  # at most three tries of ours, each retried twice by the SDK at most
    print(f"MATRIX grade {fault.value}: score {graded.score} · fell back {fallbacks} · {calls} requests")


@pytest.mark.parametrize("fault", FAULTS)
def test_an_eval_run_goes_on_through_a_fault(
    fault: Fault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evals import runner

    monkeypatch.setattr(runner, "ROOT", tmp_path)  # recordings stay out of the repository
    monkeypatch.setattr(runner, "CASSETTES", tmp_path / "cassettes")
    with FaultServer(fault, hang_s=5) as server:
        report = runner.run_suite("calibration", _settings(server), record_mode="all", limit=1)
    assert len(report.cases) == 1
    assert report.metrics["grader_fallbacks"] == (1 if fault in GRADE_FALLS_BACK else 0)
    assert not [p for p in (tmp_path / "cassettes").rglob("*.yaml") if KEY in p.read_text()]
    print(f"MATRIX eval {fault.value}: grader fallbacks {report.metrics['grader_fallbacks']:g}")


def test_a_stream_that_never_ends_is_cut_at_its_token_cap() -> None:
    from providers import Message
    from providers.openai_chat import OpenAIChat

    with FaultServer(Fault.never_ends, token_s=0.0005) as server:
        chat = OpenAIChat("fault", KEY, server.url, timeout_s=5, max_tokens=50)
        seen: list[str] = []
        stream = chat.stream([Message(role="user", content="hello")])
        with pytest.raises(ProviderError, match="reply cut at its cap of 120 tokens"):
            seen.extend(stream)
    assert 0 < len("".join(seen).split()) <= 120
    assert chat.usage[-1].output_tokens <= 121


def test_a_reply_that_never_ends_is_cut_at_its_deadline() -> None:
    from providers import Message
    from providers.openai_chat import OpenAIChat
    from providers.transport import ReplyLimits

    with FaultServer(Fault.never_ends, token_s=0.01) as server:
        chat = OpenAIChat("fault", KEY, server.url, timeout_s=5, reply=ReplyLimits(deadline_s=0.3))
        with pytest.raises(ProviderError, match=r"no complete reply within 0.3 s"):
            chat.complete([Message(role="user", content="hello")])
        assert len(server.requests) == 3  # the SDK's two retries, each cut at the deadline


def test_a_long_retry_after_is_not_waited_for_and_a_short_one_is() -> None:
    from providers import Message
    from providers.openai_chat import OpenAIChat

    with FaultServer(Fault.rate_limited) as server:
        chat = OpenAIChat("fault", KEY, server.url, timeout_s=5)
        with pytest.raises(ProviderError, match=r"rate limited \(429\), asked to wait 30 s"):
            chat.complete([Message(role="user", content="hello")])
        assert len(server.requests) == 1
        server.fault = Fault.rate_limited_brief
        assert chat.complete([Message(role="user", content="hello")])
        assert len(server.requests) == 3  # a 429 asking for 20 ms, then the answer


def test_the_case_s_expected_ideas_reach_the_fault_server_as_the_schema_s_ids() -> None:
    """The invented-quotes fault claims every idea the schema allows: a real test of verification."""
    with FaultServer(Fault.grade_invented_quotes) as server:
        engine = _engine(server)
        coverage = engine.grader.assess(load_case(CASE), STAGE, ANSWER)
        body = server.requests[0]["body"]
    ids = {i.id for i in load_case(CASE).plan(STAGE).ideas}
    schema = body["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]["met"]["items"]["properties"]["id"]["enum"]) == ids
    assert coverage.met == {}
    assert coverage.fallback is None
