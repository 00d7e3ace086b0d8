"""Case studies: the opening prompt, the requirement sheet and, per stage, what is expected.

A case lives in `knowledge/cases/<case id>.yaml` and is validated by the models below.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cache
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from common.base import Strict, load_yaml
from common.errors import ContentError
from common.ids import CaseId, Level, Stage, Topic

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
    writeup: list[str] = []
    """The same point the way public write-ups, READMEs and design docs put it: impersonal prose,
    a heading and its line, a bold-label bullet, a table row, a spec line. The judge only."""
    cues: list[str] = []
    """Case-insensitive regular expressions that count as saying it outright."""

    @property
    def lines(self) -> tuple[str, ...]:
        """Its text and every example of it, in each style: what the offline judge compares with."""
        return (self.text, *self.phrasings, *self.styled, *self.writeup)

    def said_in(self, text: str) -> bool:
        """Whether `text` says this outright (one of its cues matches)."""
        return any(re.search(cue, text, re.I) for cue in self.cues)

    @field_validator("cues")
    @classmethod
    def _cues_compile(cls, cues: list[str]) -> list[str]:
        return _compiled(cues)


def _compiled(cues: list[str]) -> list[str]:
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
    level: Level | None = None
    """Expected only of candidates at this level or above (a stage plan's `depth` ideas)."""
    facts: list[str] = []
    """Clarifying requirements only: the requirement-sheet facts that answer this idea's question.
    A candidate who asks for one of them has raised the idea; once all are given, its pointed
    question would only put the candidate's own question back to them."""


class Misconception(_Cued):
    """A known wrong move for this stage of this case."""

    correction: str = Field(min_length=10)
    exclusive: bool = False
    """A mistake of leaving everything else out ("monitoring only latency and errors"): a sentence
    that reads like it ("- latency, error rate") states it only when nothing else in the answer
    touches the stage's points; its cues state it regardless."""


def at_least(level: Level, floor: Level) -> bool:
    order = list(Level)
    return order.index(level) >= order.index(floor)


class StagePlan(Strict):
    question: str = Field(min_length=10)
    """The interviewer's opening question for the stage."""
    ideas: list[ExpectedIdea] = Field(min_length=2)
    misconceptions: list[Misconception] = []
    depth: list[ExpectedIdea] = []
    """Ideas expected only at senior or staff level (each names its `level`): a staff candidate can
    earn what a senior is not asked for. An interview at that level adds them to `ideas`."""

    @field_validator("depth")
    @classmethod
    def _depth_levelled(cls, depth: list[ExpectedIdea]) -> list[ExpectedIdea]:
        for idea in depth:
            if idea.level not in (Level.senior, Level.staff):
                raise ValueError(f"depth idea {idea.id!r} must name its level: senior or staff")
        return depth

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


class DeepDive(Strict):
    """A component a candidate may propose, and the question that digs into it once they do."""

    id: str = Field(pattern=_SLUG)
    stage: Stage
    """The stage whose ideas the answer to the dive is judged against."""
    choice: str = Field(min_length=3)
    """The component as the interviewer names it: "a two-tower retrieval model"."""
    cues: list[str] = Field(min_length=1)
    """Case-insensitive regular expressions: the candidate proposed it."""
    question: str = Field(min_length=10)
    """About the candidate's own choice, without its answer in it."""
    look_for: list[str] = Field(min_length=2)
    """What a strong answer to the dive covers: for the feedback after the interview."""
    hint: str | None = Field(default=None, min_length=10)
    """A nudge for a candidate stuck on the dive: where to look, in the interviewer's words, never
    one of the `look_for` points itself."""

    @field_validator("cues")
    @classmethod
    def _cues_compile(cls, cues: list[str]) -> list[str]:
        return _compiled(cues)

    def stated_in(self, sentence: str) -> bool:
        return any(re.search(cue, sentence, re.I) for cue in self.cues)

    def parts(self) -> list[str]:
        """The question's parts, each asking one thing ("How much memory does it need for 5 billion
        images", "how would you shard it", "what does compression cost you in result quality?")."""
        out: list[str] = []
        start = 0
        for m in _NEXT_PART.finditer(self.question):
            head = self.question[start : m.start()].strip()
            if _ASKS.search(head) and len(head.split()) >= (3 if out else 5):
                out.append(head)
                start = m.end()
        return [*out, self.question[start:].strip()]

    def asked(self, skip: Collection[int] = ()) -> str:
        """The question without the parts in `skip` (those the candidate's answers already cover),
        or the whole question when that would leave nothing or skips nothing."""
        parts = self._left(skip)
        if not parts or len(parts) == len(self.parts()):
            return self.question
        return _as_question(parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1])

    def first_part(self, skip: Collection[int] = ()) -> str | None:
        """The first part not in `skip` as a question of its own ("How much memory does it need for 5
        billion images?"), or None when the question left has one part."""
        parts = self._left(skip)
        return _as_question(parts[0]) if len(parts) >= 2 else None

    def _left(self, skip: Collection[int]) -> list[str]:
        return [p.rstrip("?") for n, p in enumerate(self.parts()) if n not in skip]


def _as_question(body: str) -> str:
    return body[:1].upper() + body[1:] + "?"


#: where a question's next part starts: ", and how …", ", what …"
_NEXT_PART = re.compile(
    r",? and (?=(how|what|which|where|when|why|does|do|is|can)\b)|, (?=(how|what|which|where|when|why)\b)"
)
#: a part that asks something
_ASKS = re.compile(r"\b(how|what|which|where|when|why|does|do|is|can|would|will)\b", re.I)


class Curveball(Strict):
    """A requirement that changes as a stage opens, at senior and staff level; the stage is then
    judged on the adjustment too."""

    id: str = Field(pattern=_SLUG)
    stage: Stage
    change: str = Field(min_length=20)
    """What changes, stated as a fact (never the adjustment it calls for)."""
    idea: ExpectedIdea
    """The adjustment a strong candidate makes, an expected idea of `stage` once the change is played."""
    question: str | None = None
    """The stage's opening question as the change leaves it, where the usual one states a figure the
    change replaces."""

    @field_validator("stage")
    @classmethod
    def _mid_interview(cls, stage: Stage) -> Stage:
        if stage is Stage.clarifying_requirements:
            raise ValueError("a curveball changes a requirement mid-interview, not in the first stage")
        return stage


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
    deep_dives: list[DeepDive] = []
    curveballs: list[Curveball] = []

    @field_validator("stages")
    @classmethod
    def _all_stages(cls, stages: dict[Stage, StagePlan]) -> dict[Stage, StagePlan]:
        missing = [s.value for s in Stage if s not in stages]
        if missing:
            raise ValueError(f"stages missing: {', '.join(missing)}")
        return {s: stages[s] for s in Stage}

    @model_validator(mode="after")
    def _unique_ids(self) -> Case:
        """Probes, hints and dives are recorded per id: one id names one thing in the whole case."""
        plans = self.stages.values()
        ids = [i.id for plan in plans for i in [*plan.ideas, *plan.depth, *plan.misconceptions]]
        ids += [d.id for d in self.deep_dives] + [c.idea.id for c in self.curveballs]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"ids used more than once: {', '.join(repeated)}")
        return self

    @model_validator(mode="after")
    def _facts_known(self) -> Case:
        """An idea's `facts` name lines of this case's requirement sheet, in clarifying requirements."""
        known = {f.id for f in self.requirements}
        for stage, plan in self.stages.items():
            for idea in [*plan.ideas, *plan.depth]:
                if idea.facts and stage is not Stage.clarifying_requirements:
                    raise ValueError(f"idea {idea.id!r}: facts belong to clarifying requirements ideas")
                if unknown := sorted(set(idea.facts) - known):
                    raise ValueError(f"idea {idea.id!r}: no requirement fact {', '.join(unknown)}")
        return self

    def plan(self, stage: Stage) -> StagePlan:
        return self.stages[stage]

    def curveball(self, curveball_id: str | None) -> Curveball | None:
        return next((c for c in self.curveballs if c.id == curveball_id), None)

    def deep_dive(self, dive_id: str | None) -> DeepDive | None:
        return next((d for d in self.deep_dives if d.id == dive_id), None)

    def for_candidate(self, level: Level | None, curveball: str | None = None) -> Case:
        """The case as one interview sees it: the depth ideas its level is expected to give (none when
        `level` is None, as when one answer is graded on its own), and the adjustment a curveball
        played in it calls for."""
        played = self.curveball(curveball)
        stages = {}
        for stage, plan in self.stages.items():
            extra = [i for i in plan.depth if level is not None and at_least(level, i.level or level)]
            if played is not None and played.stage is stage:
                extra.append(played.idea)
            stages[stage] = plan.model_copy(update={"ideas": [*plan.ideas, *extra]}) if extra else plan
        return self.model_copy(update={"stages": stages})


def facts_asked(case: Case, text: str) -> list[str]:
    """Requirement-sheet facts the question asks about."""
    return [f.id for f in case.requirements if any(re.search(a, text, re.I) for a in f.asks)]


_QUESTION = re.compile(r"[^.!?;\n]*\?")
#: a question asked as a statement: "I'd also like to know how fast it must answer."
_INDIRECT = re.compile(
    r"[^.!?;\n]*\b(i'?d (also )?(like|want|need) to (know|understand|ask)|i (also )?(want|need) to "
    r"(know|understand|ask)|i wonder|tell me)\b[^.!?;\n]*[.!;\n]",
    re.IGNORECASE,
)


def embedded_questions(text: str) -> list[str]:
    """The questions asked inside a longer answer ("pricing CPC? GSP?" in the middle of a list), and
    those asked as statements ("I'd like to know the peak traffic.")."""
    found = [m.group(0) for m in _QUESTION.finditer(text)] + [m.group(0) for m in _INDIRECT.finditer(text)]
    return [q.strip() for q in found if len(q.strip()) > 2]


def ideas_asked(case: Case, text: str) -> dict[str, list[str]]:
    """Requirements ideas whose facts the answer's questions ask for, each with those questions (the
    candidate raised the idea by asking; what they make of the answer is judged later)."""
    out: dict[str, list[str]] = {}
    for question in embedded_questions(text):
        asked = set(facts_asked(case, question))
        for idea in case.plan(Stage.clarifying_requirements).ideas:
            if asked & set(idea.facts):
                out.setdefault(idea.id, []).append(question)
    return out


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


def load_case(case_id: CaseId | str) -> Case:
    """The case, parsed once per process (an id and its string share the one copy)."""
    return _load_case(CaseId(case_id).value)


@cache
def _load_case(case_id: str) -> Case:
    return load_case_file(CASES_DIR / f"{case_id}.yaml")
