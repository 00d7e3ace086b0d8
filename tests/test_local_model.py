"""End to end over HTTP: the project starts the real bundled model server and completes an interview."""

from __future__ import annotations

from dataclasses import replace

from common.ids import Stage
from common.processes import free_port
from common.settings import Settings
from interviewer.engine import build_engine
from interviewer.models import MoveKind, Outcome
from interviewer.script import play
from interviewer.session import Interview
from interviewer.store import Store
from providers import Message

from .helpers import strong_script


def test_an_interview_with_the_local_model(store: Store) -> None:
    # generous waits: this checks that the server answers every turn, not how fast (a loaded CI machine)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, provider="local", local_port=free_port(), timeout_s=120, reply_deadline_s=300
    )
    llm = build_engine(settings)
    # the voice over HTTP; the LLM grader's HTTP path is covered by the recorded suites
    engine = replace(llm, grader=llm.assessor)
    chat = engine.voice.chat  # type: ignore[attr-defined]
    try:
        interview = Interview.start("ad_click_prediction", "senior", store, engine)  # type: ignore[arg-type]
        play(interview, strong_script(interview.state.case))
        # a reply cut short (the guard stops a stream) is counted, and the server goes on serving
        story = [Message(role="user", content="Tell a long story about a cat, in ten sentences.")]
        stream = chat.stream(story)
        next(stream)
        stream.close()
        assert chat.usage[-1].output_tokens <= 2
        assert "".join(chat.stream([Message(role="user", content="Say hello.")])).strip()
    finally:
        chat.close()
    spoken = [t for t in interview.turns if t.role == "interviewer" and t.move is not MoveKind.ask]
    asks = [t.stage for t in interview.turns if t.move is MoveKind.ask]
    assert asks == [*Stage, Stage.monitoring], "each stage's question, then the closing invitation"
    assert interview.turns[-1].move is MoveKind.wrap_up
    # the server answered every turn; its 135M model's words are mostly replaced by the draft because
    # they stray from what the move says (the reply checks), and each such turn says so
    assert len(chat.usage) >= len(spoken) + 2
    assert not [t for t in spoken if t.outcome is Outcome.fallback]
    assert all(t.voice == "local:smollm2" or t.outcome is Outcome.rejected for t in spoken)
