"""Case studies: the opening prompt, the requirement sheet and, per stage, what is expected.

A case lives in `knowledge/cases/<case id>.yaml` and is validated by the models below.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, field_validator

from common.base import Strict, load_yaml
from common.errors import ContentError
from common.ids import CaseId, Stage, Topic

CASES_DIR = Path(__file__).parent / "cases"
_SLUG = r"^[a-z][a-z0-9_]*$"


class _Cued(Strict):
    id: str = Field(pattern=_SLUG)
    topic: Topic | None = None
    """The topic a probe on this item is filed under (null: no topic id fits)."""
    text: str = Field(min_length=10)
    """The idea stated plainly, in the interviewer's words."""
    phrasings: list[str] = Field(min_length=2)
    """Ways a candidate might say it; the offline assessor compares answers with these."""
    styled: list[str] = []
    """The same point the way candidates jot or say it: terse notes, abbreviations, numbers, code.
    The offline judge matches against these too; scripted personas use only `phrasings`."""
    cues: list[str] = []
    """Case-insensitive regular expressions that count as saying it outright."""

    def said_in(self, text: str) -> bool:
        """Whether `text` says this outright (one of its cues matches)."""
        return any(re.search(cue, text, re.I) for cue in self.cues)

    @field_validator("cues")
    @classmethod
    def _cues_compile(cls, cues: list[str]) -> list[str]:
        for cue in cues:
            try:
                re.compile(cue)
            except re.error as exc:
                raise ValueError(f"cue {cue!r} is not a valid regular expression: {exc}") from exc
        return cues


class ExpectedIdea(_Cued):
    """Something a strong answer to the stage says."""

    criterion: str = Field(pattern=_SLUG)
    """The rubric criterion of the stage this idea counts towards."""
    crux: bool = False
    """One of the 2-3 ideas that make this case hard: probed first when missed."""
    hint: str = Field(min_length=10)
    """A nudge that points at the idea without stating it."""
    question: str = Field(min_length=10)
    """A pointed question whose answer is the idea."""


class Misconception(_Cued):
    """A known wrong move for this stage of this case."""

    correction: str = Field(min_length=10)


class StagePlan(Strict):
    question: str = Field(min_length=10)
    """The interviewer's opening question for the stage."""
    ideas: list[ExpectedIdea] = Field(min_length=2)
    misconceptions: list[Misconception] = []

    @property
    def topics(self) -> list[Topic]:
        """The topics this stage calls for, in the order they first appear."""
        seen = [i.topic for i in [*self.ideas, *self.misconceptions] if i.topic]
        return list(dict.fromkeys(seen))


class Fact(Strict):
    """One line of the requirement sheet, revealed only when asked."""

    id: str = Field(pattern=_SLUG)
    asks: list[str] = Field(min_length=1)
    """Case-insensitive regular expressions matching questions about this fact."""
    answer: str = Field(min_length=5)


class Case(Strict):
    id: CaseId
    title: str
    family: str
    """A short label for the kind of system (ranking, classification, retrieval, …)."""
    prompt: str = Field(min_length=20)
    requirements: list[Fact] = Field(min_length=3)
    stages: dict[Stage, StagePlan]
    notes: str = ""
    """Reference notes for the interviewer, Markdown."""

    @field_validator("stages")
    @classmethod
    def _all_stages(cls, stages: dict[Stage, StagePlan]) -> dict[Stage, StagePlan]:
        missing = [s.value for s in Stage if s not in stages]
        if missing:
            raise ValueError(f"stages missing: {', '.join(missing)}")
        return {s: stages[s] for s in Stage}

    def plan(self, stage: Stage) -> StagePlan:
        return self.stages[stage]


def load_case_file(path: Path) -> Case:
    """Parse and validate one case file; errors name the file and the problem."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
        case = Case.model_validate(data)
    except OSError as exc:
        raise ContentError(f"{path}: cannot read the case ({exc.strerror})") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise ContentError(f"{path}: {exc}") from exc
    if case.id != path.stem:
        raise ContentError(f"{path}: id {case.id!r} does not match the file name")
    return case


def available_cases() -> list[CaseId]:
    """Case ids that have a case file, in the contract's order."""
    return [c for c in CaseId if (CASES_DIR / f"{c.value}.yaml").exists()]


@cache
def load_case(case_id: CaseId | str) -> Case:
    case_id = CaseId(case_id)
    return load_case_file(CASES_DIR / f"{case_id.value}.yaml")
