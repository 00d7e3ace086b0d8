"""The interview as data: turns, moves and the session state the policy reads."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from common.base import Strict
from common.ids import CaseId, Level, Stage, Topic
from rubric.scoring import HELPED, Scorecard


class MoveKind(StrEnum):
    ask = "ask"
    probe = "probe"
    hint = "hint"
    clarify = "clarify"
    advance = "advance"
    wrap_up = "wrap_up"


class Rung(StrEnum):
    """The probe ladder for one missed idea, in order."""

    pump = "pump"
    hint = "hint"
    prompt = "prompt"
    challenge = "challenge"
    """Not a rung of the idea ladder: the one probe on a misconception the candidate stated."""
    dive = "dive"
    """Not a rung of the idea ladder either: a question digging into a component the candidate
    proposed (the move's `idea` is the case's deep dive)."""
    narrow = "narrow"
    """After an answer to a deep dive that made none of its points (a blank, or another subject):
    one part of the dive's question, asked on its own, with the dive's hint."""
    dive_hint = "dive_hint"
    """The dive's hint on its own: for a dive whose question has no smaller step, or on /hint."""


#: the rungs that ask about a deep dive: the dive's question, its smaller step and its hint
DIVE_RUNGS = (Rung.dive, Rung.narrow, Rung.dive_hint)


class Move(Strict):
    """What the interviewer does next, decided by the policy; a voice phrases it."""

    kind: MoveKind
    stage: Stage
    topic: Topic | None = None
    idea: str | None = None
    """The expected idea a probe or hint is about."""
    rung: Rung | None = None
    facts: list[str] = []
    """Requirement-sheet facts the move reveals: a clarify move's, or those asked inside an answer."""
    recap: list[str] = []
    """Facts given earlier that the candidate asked for again, explicitly: said again, briefly
    marked as said before, so a question is never left without a reply."""
    recap_asked: str = ""
    """The candidate's words that asked for `recap` again: each fact is said again by its sentences
    on what was asked, not pasted whole a second time."""
    unknown_again: bool = False
    """The candidate asked again a question the requirement sheet cannot answer: the interviewer says
    so again, briefly, as it goes on (not silence, not a second invitation to ask)."""
    quote: str | None = None
    """The candidate's own words the move restates: for a challenge, those that stated the
    misconception; for a dive, those that proposed the component; for the open "what else?", a point
    they made without a reason, asked about first."""
    asserted: list[str] = []
    """Missed ideas the interviewer lets go as it moves on (they no longer count for the candidate;
    the end feedback names them, the interview does not read them out)."""
    retry: bool = False
    """An ask repeated because the answer was empty."""
    repeated: bool = False
    """The candidate gave an answer of this stage again, word for word: the interviewer says so as
    it moves on (instead of thanking them as if it were new)."""
    time_left: TimeLeft | None = None
    """For `/time`: what is left of the stage's and the interview's budget."""
    assumption: str | None = None
    """For a question the requirement sheet cannot answer: the assumption that now holds."""
    closing: bool = False
    """The last stage is done: the interviewer invites the candidate's questions before it ends."""
    more: bool = False
    """Requirement facts asked inside an answer that would otherwise close the stage: they are given
    and the stage stays open, so the candidate can react to them or ask more before moving on."""
    skip: list[int] = []
    """A deep dive's question parts that the candidate's answers already cover: not asked again."""
    unsure: bool = False
    """A deep dive's smaller step after an answer that said "not sure" (rather than one that made
    none of its points): the interviewer reassures instead of saying the answer missed the question."""
    nth: int = 0
    """How many earlier moves of the interview were of the same kind and rung: the template voice
    turns to its next wording for each."""


class TimeLeft(Strict):
    stage_minutes: float
    total_minutes: float


class Outcome(StrEnum):
    """How an interviewer turn came to be spoken."""

    ok = "ok"
    """The main voice's words, as the candidate saw them."""
    fallback = "fallback"
    """The main voice failed (timeout, provider error, empty reply); the template voice spoke."""
    rejected = "rejected"
    """The main voice's reply failed a check; the template voice's draft replaced it."""


_LABELS = {Outcome.fallback: "fallback", Outcome.rejected: "model reply rejected"}
"""How the transcript names an outcome other than `ok` (and how stored turns once spelled it)."""
_OLD_OUTCOME = re.compile(rf"^(?P<voice>\S+) \((?P<label>{'|'.join(_LABELS.values())}): (?P<reason>.*)\)$")


class Turn(Strict):
    role: Literal["interviewer", "candidate"]
    stage: Stage
    text: str
    move: MoveKind | None = None
    topic: Topic | None = None
    idea: str | None = None
    """For a probe or hint: the expected idea (or, for a deep dive, the dive) it is about."""
    rung: Rung | None = None
    """For a probe or hint: which kind (an open pump, a pointed question, a hint, a challenge, a dive)."""
    voice: str | None = None
    """Which voice spoke an interviewer turn, e.g. `offline` or `openai:gpt-4o-mini` (the UI always
    says)."""
    outcome: Outcome | None = None
    """For an interviewer turn: the main voice's words, or the template voice's in their place."""
    reason: str | None = None
    """Why the template voice spoke in the main voice's place."""
    judge: str | None = None
    """For an interviewer turn answering an answer: which judge assessed that answer."""
    judge_fallback: str | None = None
    """Why the offline judge stood in for the model on that answer (a deadline, a failed call)."""
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        """Sessions stored before `voice`, `outcome` and `reason` kept all three in one string,
        `engine`: "offline (fallback: timeout)", "offline (model reply rejected: …)" or "offline"."""
        if not isinstance(data, dict) or "engine" not in data:
            return data
        data = dict(data)
        engine = data.pop("engine")
        if engine is None:
            return data
        found = _OLD_OUTCOME.match(engine)
        if found is None:
            return {**data, "voice": engine, "outcome": Outcome.ok}
        outcome = next(o for o, label in _LABELS.items() if label == found["label"])
        return {**data, "voice": found["voice"], "outcome": outcome, "reason": found["reason"]}

    def speaker(self) -> str:
        """Who spoke, as the transcript shows it: `offline`, or `offline (fallback: timeout)`."""
        if self.outcome in (None, Outcome.ok) or not self.reason:
            return self.voice or ""
        return f"{self.voice} ({_LABELS[self.outcome]}: {self.reason})"

    def public(self) -> dict[str, object]:
        """The contract's JSON shape of a turn."""
        data: dict[str, object] = {"role": self.role, "stage": self.stage.value, "text": self.text}
        if self.role == "interviewer":
            data["move"] = self.move.value if self.move else None
            data["topic"] = self.topic.value if self.topic else None
        return data


class StageState(Strict):
    """What the policy knows about one stage."""

    met: dict[str, list[str]] = {}
    """Expected ideas the candidate covered, with verbatim evidence."""
    shallow: dict[str, list[str]] = {}
    """Expected ideas the candidate only touched."""
    misconceptions: dict[str, list[str]] = {}
    elsewhere: dict[str, list[str]] = {}
    """Expected ideas made while answering another stage (also in `met`: never asked for again)."""
    corrected: dict[str, str] = {}
    """Misconceptions challenged and then corrected, each with the idea whose making corrected it."""
    asserted: list[str] = []
    rungs: dict[str, list[Rung]] = {}
    """Ladder rungs already used, per idea."""
    probes: int = 0
    """Probe and hint moves spent in this stage."""
    answers: int = 0
    unsure: int = 0
    """Answers in this stage that said only "not sure": after the second, the same point is not
    pressed again."""
    facts: list[str] = []
    """Requirement-sheet facts revealed in this stage."""
    started_at: datetime | None = None

    def hints(self) -> int:
        """Hints given: on missed ideas, and on deep dives (a dive's smaller step is a question, not a
        hint)."""
        helped = (Rung.hint, Rung.dive_hint)
        return sum(rung in helped for rungs in self.rungs.values() for rung in rungs)

    def credit(self) -> dict[str, float]:
        """What each idea is worth by how it came: nothing once stated by the interviewer, part after
        a hint or a pointed question on it or when it corrected a challenged misconception, in full
        otherwise (unprompted, or after "what else?")."""
        helped = {i: HELPED for i, rungs in self.rungs.items() if {Rung.hint, Rung.prompt} & set(rungs)}
        helped |= dict.fromkeys(self.corrected.values(), HELPED)  # made only once challenged
        return helped | dict.fromkeys(self.asserted, 0.0)


class SessionState(Strict):
    id: str
    case: CaseId
    level: Level
    provider: str
    prompt_version: str
    stage: Stage = Stage.clarifying_requirements
    stages: dict[Stage, StageState] = Field(default_factory=lambda: {s: StageState() for s in Stage})
    started_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    minutes: float = 45.0
    """The interview's time budget."""
    assumptions: dict[str, str] = {}
    """Questions the requirement sheet does not answer, and the assumption given for each."""
    handled: int = 0
    """How many stored turns the engine has already answered (resume picks up after these)."""
    grading: bool = False
    """A separate grader (an LLM) has stages to grade in the background; resume grades them again."""
    model_calls: int = 0
    """Model calls this session has made (voice, turn judge and grader), against its cap."""
    model_tokens: int = 0
    """Model tokens, sent and received, this session has spent, against its cap."""
    finished: bool = False
    scorecard: Scorecard | None = None
    self_scores: dict[Stage, int] = {}
    """The candidate's own 1-4 score per stage, given before seeing the grade."""
    curveball: str | None = None
    """The case's curveball played in this interview (senior and staff), announced as its stage opens."""
    choices: dict[str, str] = {}
    """Deep dives whose component the candidate proposed, with the sentence that proposed it."""
    explained: dict[str, list[int]] = {}
    """Per deep dive proposed: which of the points a strong answer to it covers the candidate's
    answers have already made, unasked (a dive mostly answered already is not asked)."""
    closing: bool = False
    """The closing "any questions for me?" was asked: the candidate's next turn ends the interview."""
    diving: str | None = None
    """The deep dive the last question asked about, until the candidate answers it."""
    dive_missed: bool = False
    """The answer to that deep dive made none of the points a strong answer covers."""

    @property
    def current(self) -> StageState:
        return self.stages[self.stage]

    def dived(self) -> list[str]:
        """The deep dives already asked, in any stage."""
        return [i for st in self.stages.values() for i, rungs in st.rungs.items() if Rung.dive in rungs]
