"""A model's reply may rephrase the template's draft, never add to it: figures, instructions, claims."""

from __future__ import annotations

import pytest

from common.ids import CaseId, Level
from interviewer.engine import FAITHFUL_OPENAI
from interviewer.models import MoveKind
from interviewer.reply_check import echoed, invented_figure, meta_talk, overlong, strays
from interviewer.session import Interview
from interviewer.speaking import _similarity
from interviewer.store import Store
from interviewer.voices import LLMVoice, TemplateVoice
from providers.fake import FakeChat

from .helpers import fake_engine

CASE = CaseId.ad_click_prediction

SHEET = "Peak load is about 60,000 ad requests per second, and scoring gets 25 ms."


@pytest.mark.parametrize(
    ("reply", "invented"),
    [
        ("At peak we see roughly 60,000 requests a second; scoring has 25 ms.", False),
        ("About 60000 requests per second at peak.", False),
        ("Peak load is about 10,000 ad requests per second.", True),
        ("Scoring gets 25 ms, and the whole request 100 ms.", True),
        ("Stage 1/7: peak load is high.", True),  # the prompt's stage header, read out
    ],
)
def test_a_figure_the_draft_lacks_is_invented(reply: str, invented: bool) -> None:
    assert bool(invented_figure(reply, SHEET)) is invented


def test_reading_out_the_instructions_is_an_echo() -> None:
    instructions = LLMVoice(FakeChat(), TemplateVoice(), "voice-v4").instructions
    draft = "Is there anything more you'd add about serving it in production?"
    leaked = "Serve it. Ask one open follow-up question that invites the candidate to say more."
    assert echoed(leaked, instructions, draft)
    assert echoed("Never state or hint at the expected answer, they told me.", instructions, draft)
    assert not echoed("What else would you need to serve it in production?", instructions, draft)
    assert not echoed(draft, instructions, draft)


def test_a_move_that_only_phrases_its_draft_stays_near_its_length() -> None:
    draft = "That's the end of the interview. Thank you! Your scorecard is ready."
    praise = draft + " Your performance was outstanding, and you are ready for the next round. " * 2
    assert overlong(praise, draft, MoveKind.wrap_up)
    assert not overlong("Thanks for your time today; your scorecard is ready.", draft, MoveKind.wrap_up)
    assert not overlong(praise, "Could you say more?", MoveKind.probe)  # a probe is the model's own


def test_a_clarifying_answer_with_a_made_up_figure_gives_way_to_the_sheet(store: Store) -> None:
    chat = FakeChat(respond=lambda m: "Peak load is about 10,000 ad requests per second.")
    interview = Interview.start(CASE, Level.senior, store, fake_engine(chat))
    (reply,) = interview.submit("What is the peak traffic, in requests per second?")
    assert reply.move is MoveKind.clarify
    assert reply.speaker() == "offline (model reply rejected: it states a figure the interview has not)"
    assert "60,000" in reply.text
    assert "10,000" not in reply.text


def test_a_wrap_up_that_praises_is_replaced(store: Store) -> None:
    praise = "Thank you! Your performance was outstanding and you exceeded every goal we set. " * 4
    interview = Interview.start(CASE, Level.senior, store, fake_engine(FakeChat(respond=lambda m: praise)))
    (reply,) = interview.submit("/end")
    assert reply.move is MoveKind.wrap_up
    assert reply.speaker() == "offline (model reply rejected: it says more than the move allows)"
    assert "outstanding" not in reply.text


@pytest.mark.parametrize(
    "reply",
    [
        "The goal of this draft is to explain the ML task.",
        "Stage 2/7: Framing. Move: advance.",
        "The answer is: calibrate the model.",
        "As an AI, I think this stage went well.",
    ],
)
def test_a_reply_about_its_draft_the_answers_or_itself_is_refused(reply: str) -> None:
    assert meta_talk(reply)


@pytest.mark.parametrize(
    ("reply", "kept"),
    [
        ("Let's wrap up deployment and serving here.", True),
        ("Great, I think we've covered deployment and serving well enough.", True),
        ("The next step in the process is to prepare for a server.", False),  # recorded from the 135M model
        ("Data preparation is a crucial step in any data science process.", False),
    ],
)
def test_a_reply_must_keep_the_draft_s_meaning(reply: str, kept: bool) -> None:
    draft = "Thanks, that's enough on deployment and serving."
    assert (strays(_similarity(reply, draft), FAITHFUL_OPENAI) is None) is kept


def test_a_reply_that_says_something_else_gives_way_to_the_draft(store: Store) -> None:
    chat = FakeChat(respond=lambda m: "Data preparation is a crucial step in any data science process.")
    interview = Interview.start(CASE, Level.senior, store, fake_engine(chat, faithful=None))
    (reply,) = interview.submit("I would use a neural network.")
    assert reply.speaker() == "offline (model reply rejected: it strays from what the move says)"
