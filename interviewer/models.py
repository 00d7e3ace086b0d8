"""The interview as data: turns, moves and the session state the policy reads."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from rubric._base import Strict
from rubric.ids import CaseId, Level, Stage, Topic
from rubric.scoring import Scorecard


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


class Move(Strict):
    """What the interviewer does next, decided by the policy; a voice phrases it."""

    kind: MoveKind
    stage: Stage
    topic: Topic | None = None
    idea: str | None = None
    """The expected idea a probe or hint is about."""
    rung: Rung | None = None
    facts: list[str] = []
    """Requirement-sheet facts a clarify move reveals."""
    asserted: list[str] = []
    """Ideas the interviewer states as it moves on (they no longer count for the candidate)."""
    retry: bool = False
    """An ask repeated because the answer was empty."""
    time_left: TimeLeft | None = None
    """For `/time`: what is left of the stage's and the interview's budget."""
    assumption: str | None = None
    """For a question the requirement sheet cannot answer: the assumption that now holds."""


class TimeLeft(Strict):
    stage_minutes: float
    total_minutes: float


class Turn(Strict):
    role: Literal["interviewer", "candidate"]
    stage: Stage
    text: str
    move: MoveKind | None = None
    topic: Topic | None = None
    engine: str | None = None
    """Which voice spoke an interviewer turn (the UI always says)."""
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

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
    misconceptions: dict[str, list[str]] = {}
    asserted: list[str] = []
    rungs: dict[str, list[Rung]] = {}
    """Ladder rungs already used, per idea."""
    probes: int = 0
    """Probe and hint moves spent in this stage."""
    answers: int = 0
    facts: list[str] = []
    """Requirement-sheet facts revealed in this stage."""
    started_at: datetime | None = None

    def hints(self) -> int:
        return sum(r.count(Rung.hint) for r in self.rungs.values())


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
    finished: bool = False
    scorecard: Scorecard | None = None
    self_scores: dict[Stage, int] = {}
    """The candidate's own 1-4 score per stage, given before seeing the grade."""

    @property
    def current(self) -> StageState:
        return self.stages[self.stage]
