"""Scripted candidates: a YAML file answers each stage and each follow-up by topic."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from common.base import Strict, load_yaml
from common.errors import ContentError
from common.ids import CaseId, Level, Stage
from interviewer.models import MoveKind
from interviewer.session import Interview

NOT_SURE = "I'm not sure."


class ScriptedStage(Strict):
    answer: str = Field(default=NOT_SURE, min_length=1)
    """The answer to the stage's opening question."""
    replies: dict[str, str] = {}
    """Answers to follow-ups, by the topic id probed; `default` for any other."""


class Script(Strict):
    case: CaseId
    level: Level = Level.senior
    stages: dict[Stage, ScriptedStage] = Field(default_factory=dict)
    questions: str = "No questions from me, thank you."
    """The reply to the interviewer's closing "any questions for me?"."""

    def reply(self, stage: Stage, kind: MoveKind, topic: str | None, closing: bool = False) -> str:
        scripted = self.stages.get(stage, ScriptedStage())
        if closing:
            return self.questions
        if kind is MoveKind.ask:
            return scripted.answer
        return scripted.replies.get(topic or "", scripted.replies.get("default", NOT_SURE))


def load_script(path: Path) -> Script:
    """Parse a script file; errors name the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(f"{path}: cannot read the script ({exc.strerror})") from exc
    try:
        return Script.model_validate(load_yaml(text))
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raise ContentError(f"{path}: {_describe(exc)}") from exc


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'the file'}: {e['msg']}" for e in exc.errors())


def play(interview: Interview, script: Script, max_turns: int = 200) -> None:
    """Answer every interviewer turn from the script until the interview wraps up."""
    for _ in range(max_turns):
        if interview.finished:
            return
        last = interview.turns[-1]
        kind = last.move or MoveKind.ask
        interview.submit(script.reply(last.stage, kind, last.topic, interview.state.closing))
    raise RuntimeError(f"the interview did not finish within {max_turns} candidate turns")
