"""From coverage to scores: 1-4 per criterion and per stage, and a recommendation for the level.

1 missing or wrong, 2 shallow, 3 solid, 4 excellent. Ideas the interviewer had to state do not
count; hints and misconceptions cost part of a point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from common.base import Strict
from common.ids import CaseId, Level, Recommendation, Stage, Topic

if TYPE_CHECKING:
    from knowledge.cases import Case

HINT_PENALTY = 0.25
MISCONCEPTION_PENALTY = 0.75
#: the mean stage score a candidate must reach for `lean_hire`, by level
HIRE_BAR: dict[Level, float] = {
    Level.junior: 2.25,
    Level.mid: 2.5,
    Level.senior: 2.85,
    Level.staff: 3.2,
}


class CriterionScore(Strict):
    id: str
    score: int = Field(ge=1, le=4)
    evidence: list[str] = []
    """Verbatim quotes from the candidate's answer."""


class StageScore(Strict):
    """One stage's grade; also the JSON `mlsd grade` prints."""

    case: CaseId
    stage: Stage
    score: int = Field(ge=1, le=4)
    criteria: list[CriterionScore]
    gaps: list[Topic] = []
    """Topics the stage called for that the answer missed or got wrong."""
    feedback: str
    provider: str
    prompt_version: str
    hints: int = 0
    raw: float = Field(ge=1, le=4)
    """The unrounded score, after penalties."""


class Scorecard(Strict):
    case: CaseId
    level: Level
    stages: list[StageScore]
    overall: float
    recommendation: Recommendation
    hint_penalty: float
    """Points lost to hints across the interview."""


def _level(fraction: float) -> int:
    if fraction <= 0:
        return 1
    if fraction < 0.5:
        return 2
    return 3 if fraction < 1 else 4


def _round(value: float) -> int:
    return int(min(4, max(1, value + 0.5)))


def score_stage(
    case: Case,
    stage: Stage,
    met: dict[str, list[str]],
    misconceptions: dict[str, list[str]],
    *,
    criteria: list[str],
    asserted: tuple[str, ...] = (),
    hints: int = 0,
    provider: str = "offline",
    prompt_version: str = "",
) -> StageScore:
    plan = case.plan(stage)
    credited = {k: v for k, v in met.items() if k not in asserted}
    scores = []
    for criterion in criteria:
        ideas = [i for i in plan.ideas if i.criterion == criterion]
        if not ideas:
            continue
        hit = [i for i in ideas if i.id in credited]
        quotes = list(dict.fromkeys(q for i in hit for q in credited[i.id]))
        scores.append(CriterionScore(id=criterion, score=_level(len(hit) / len(ideas)), evidence=quotes))
    mean = sum(c.score for c in scores) / len(scores)
    raw = max(1.0, mean - HINT_PENALTY * hints - MISCONCEPTION_PENALTY * len(misconceptions))
    return StageScore(
        case=case.id,
        stage=stage,
        score=_round(raw),
        criteria=scores,
        gaps=_gaps(case, stage, credited, misconceptions),
        feedback=_feedback(case, stage, credited, misconceptions),
        provider=provider,
        prompt_version=prompt_version,
        hints=hints,
        raw=round(raw, 3),
    )


def _gaps(case: Case, stage: Stage, met: dict[str, list[str]], wrong: dict[str, list[str]]) -> list[Topic]:
    plan = case.plan(stage)
    topics = [i.topic for i in plan.ideas if i.id not in met and i.topic]
    topics += [m.topic for m in plan.misconceptions if m.id in wrong and m.topic]
    return list(dict.fromkeys(topics))


def _feedback(case: Case, stage: Stage, met: dict[str, list[str]], wrong: dict[str, list[str]]) -> str:
    plan = case.plan(stage)
    missed = [i.text for i in plan.ideas if i.id not in met]
    lines = [f"Covered {len(plan.ideas) - len(missed)} of {len(plan.ideas)} expected ideas."]
    lines += [f"Missed: {text}" for text in missed]
    lines += [f"Careful: {m.correction}" for m in plan.misconceptions if m.id in wrong]
    gaps = _gaps(case, stage, met, wrong)
    lines += [f"Study: knowledge/notes/topics/{t.value}.md" for t in gaps]
    return "\n".join(lines)


def recommend(level: Level, overall: float) -> Recommendation:
    bar = HIRE_BAR[level]
    if overall >= bar + 0.6:
        return Recommendation.strong_hire
    if overall >= bar:
        return Recommendation.lean_hire
    if overall >= bar - 0.6:
        return Recommendation.lean_no_hire
    return Recommendation.strong_no_hire


def build_scorecard(case: CaseId, level: Level, stages: list[StageScore]) -> Scorecard:
    overall = round(sum(s.raw for s in stages) / len(stages), 3) if stages else 1.0
    return Scorecard(
        case=case,
        level=level,
        stages=stages,
        overall=overall,
        recommendation=recommend(level, overall),
        hint_penalty=round(HINT_PENALTY * sum(s.hints for s in stages), 3),
    )
