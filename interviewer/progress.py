"""A person's practice over time: the clock of an interview, past sessions, score trends, weakest
topics, and what to practise next (a case, or a short drill of one stage or topic across cases)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from common.base import Strict
from common.ids import CaseId, Stage, Topic
from interviewer.models import SessionState
from interviewer.policy import STAGE_SHARES
from interviewer.store import SelfGrade
from knowledge.cases import available_cases, load_case
from rubric.scoring import StageScore

#: how long one drill question is meant to take, in minutes
DRILL_MINUTES_EACH = 3
#: how many cases a drill goes across
DRILL_SIZE = 3


# ---------------------------------------------------------------- the interview's clock


class StageTime(Strict):
    stage: Stage
    budget_minutes: float
    used_minutes: float
    status: Literal["done", "current", "next"]

    @property
    def left_minutes(self) -> float:
        return round(self.budget_minutes - self.used_minutes, 1)


def stage_times(state: SessionState, now: datetime) -> list[StageTime]:
    """Per stage: its share of the budget and the minutes spent in it (up to `now` for the current
    one; a stage ends when the next one starts, or when the interview was last answered)."""
    order = list(Stage)
    current = order.index(state.stage)
    out = []
    for index, stage in enumerate(order):
        began = state.stages[stage].started_at
        following = state.stages[order[index + 1]].started_at if index + 1 < len(order) else None
        if state.finished or index < current:
            status: Literal["done", "current", "next"] = "done"
        else:
            status = "current" if index == current else "next"
        end = following or (now if status == "current" else began)
        used = (end - began).total_seconds() / 60 if began and end else 0.0
        budget = STAGE_SHARES[state.level][stage] * state.minutes
        out.append(
            StageTime(
                stage=stage, budget_minutes=round(budget, 1), used_minutes=round(used, 1), status=status
            )
        )
    return out


def elapsed_minutes(state: SessionState, now: datetime) -> float:
    return round((now - state.started_at).total_seconds() / 60, 1)


def clock_text(state: SessionState, now: datetime) -> str:
    """`12:05 used · 32 min left` (or `over by 3 min`)."""
    seconds = max(0, int((now - state.started_at).total_seconds()))
    left = state.minutes - seconds / 60
    tail = f"{left:.0f} min left" if left >= 0 else f"over by {-left:.0f} min"
    return f"{seconds // 60}:{seconds % 60:02d} used · {tail}"


# ---------------------------------------------------------------- history


class HistoryRow(Strict):
    id: str
    kind: Literal["interview", "answer", "transcript", "drill"]
    case: CaseId
    title: str
    level: str
    at: datetime
    finished: bool
    stage: str
    """Where an unfinished interview stands, or the stage an answer was graded for."""
    overall: float | None = None
    recommendation: str | None = None
    self_gap: float | None = None
    """Mean of (own score - grade): positive when the person rated themselves higher."""


def history(sessions: Sequence[SessionState], grades: Sequence[SelfGrade]) -> list[HistoryRow]:
    """Interviews and self-grades together, newest first."""
    rows = [_session_row(s) for s in sessions] + [_grade_row(g) for g in grades]
    return sorted(rows, key=lambda r: r.at, reverse=True)


def _session_row(s: SessionState) -> HistoryRow:
    card = s.scorecard
    return HistoryRow(
        id=s.id,
        kind="interview",
        case=s.case,
        title=load_case(s.case).title,
        level=s.level.value,
        at=s.started_at,
        finished=s.finished,
        stage="finished" if s.finished else f"{s.stage.number}. {s.stage.label}",
        overall=card.overall if card else None,
        recommendation=card.recommendation.value.replace("_", " ") if card else None,
        self_gap=self_gap(s.self_scores, card.stages) if card else None,
    )


def _grade_row(g: SelfGrade) -> HistoryRow:
    scores = [s.score for s in g.stages]
    return HistoryRow(
        id=g.id,
        kind=g.kind,
        case=g.case,
        title=load_case(g.case).title,
        level=g.scorecard.level.value if g.scorecard else "",
        at=g.at,
        finished=True,
        stage=g.stages[0].stage.label if len(g.stages) == 1 else "all stages",
        overall=g.scorecard.overall if g.scorecard else round(sum(scores) / len(scores), 2),
        recommendation=g.scorecard.recommendation.value.replace("_", " ") if g.scorecard else None,
        self_gap=self_gap(g.self_scores, g.stages),
    )


def self_gap(mine: dict[Stage, int], stages: Sequence[StageScore]) -> float | None:
    pairs = [(mine[s.stage], s.score) for s in stages if s.stage in mine]
    if not pairs:
        return None
    return round(sum(a - b for a, b in pairs) / len(pairs), 2)


# ---------------------------------------------------------------- trends and weaknesses


class TrendPoint(Strict):
    at: datetime
    stage: Stage
    score: int
    source: str
    """`interview` or the kind of self-grade."""


def _graded(
    sessions: Sequence[SessionState], grades: Sequence[SelfGrade]
) -> list[tuple[datetime, str, StageScore]]:
    found = [(s.started_at, "interview", x) for s in sessions if s.scorecard for x in s.scorecard.stages]
    found += [(g.at, g.kind, x) for g in grades for x in g.stages if not _blank(x)]
    return sorted(found, key=lambda item: item[0])


def _blank(score: StageScore) -> bool:
    """A transcript stage with no answer at all says nothing about the person's skill."""
    return score.score == 1 and not any(c.evidence for c in score.criteria) and not score.gaps


def trend(sessions: Sequence[SessionState], grades: Sequence[SelfGrade]) -> list[TrendPoint]:
    """Every stage score over time, oldest first."""
    return [
        TrendPoint(at=at, stage=x.stage, score=x.score, source=src)
        for at, src, x in _graded(sessions, grades)
    ]


class Weakness(Strict):
    topic: Topic
    gaps: int
    """How often it was a gap (stated wrongly, or a central point never discussed)."""
    suggestions: int
    """How often it was only touched."""
    weight: float


def weakest_topics(
    sessions: Sequence[SessionState], grades: Sequence[SelfGrade], k: int = 5
) -> list[Weakness]:
    """Topics by how often they were gaps (1 each) or suggestions (0.5), recent ones counting more."""
    gaps: dict[Topic, int] = defaultdict(int)
    thin: dict[Topic, int] = defaultdict(int)
    weight: dict[Topic, float] = defaultdict(float)
    graded = _graded(sessions, grades)
    for rank, (_, _, score) in enumerate(graded):
        recency = 0.5 + 0.5 * (rank + 1) / len(graded)
        for topic in score.gaps:
            gaps[topic] += 1
            weight[topic] += recency
        for topic in score.suggestions:
            thin[topic] += 1
            weight[topic] += 0.5 * recency
    ranked = sorted(weight, key=lambda t: (-weight[t], t.value))
    return [
        Weakness(topic=t, gaps=gaps[t], suggestions=thin[t], weight=round(weight[t], 2)) for t in ranked[:k]
    ]


def stage_means(sessions: Sequence[SessionState], grades: Sequence[SelfGrade]) -> dict[Stage, float]:
    scores: dict[Stage, list[int]] = defaultdict(list)
    for _, _, score in _graded(sessions, grades):
        scores[score.stage].append(score.score)
    return {s: round(sum(v) / len(v), 2) for s in Stage if (v := scores.get(s))}


# ---------------------------------------------------------------- what to practise next


class DrillItem(Strict):
    case: CaseId
    stage: Stage
    question: str


class Drill(Strict):
    id: str
    """`topic:<topic id>` or `stage:<stage id>`."""
    title: str
    items: list[DrillItem]
    focus: Topic | None = None

    @property
    def minutes(self) -> int:
        return DRILL_MINUTES_EACH * len(self.items)


def topic_label(topic: Topic) -> str:
    label = topic.label
    return label[0].upper() + label[1:]


def topic_drill(topic: Topic, seed: str = "", size: int = DRILL_SIZE) -> Drill:
    """The topic in `size` cases: each item is the opening question of a stage that calls for it."""
    found = [
        (case_id, stage)
        for case_id in available_cases()
        for stage, plan in load_case(case_id).stages.items()
        if topic in plan.topics
    ]
    if not found:
        raise ValueError(f"no case calls for {topic.value}")
    by_case: dict[CaseId, list[Stage]] = defaultdict(list)
    for case_id, stage in found:
        by_case[case_id].append(stage)
    cases = sorted(by_case, key=lambda c: c.value)
    random.Random(f"{topic.value}:{seed}").shuffle(cases)
    items = [_item(c, by_case[c][0]) for c in cases[:size]]
    return Drill(id=f"topic:{topic.value}", title=f"Drill: {topic_label(topic)}", items=items, focus=topic)


def stage_drill(stage: Stage, seed: str = "", size: int = DRILL_SIZE) -> Drill:
    """One stage's opening question in `size` different cases."""
    cases = list(available_cases())
    random.Random(f"{stage.value}:{seed}").shuffle(cases)
    items = [_item(c, stage) for c in cases[:size]]
    return Drill(id=f"stage:{stage.value}", title=f"Drill: {stage.label}", items=items)


def drill_by_id(drill_id: str, seed: str = "") -> Drill:
    kind, _, value = drill_id.partition(":")
    if kind == "topic":
        return topic_drill(Topic(value), seed)
    if kind == "stage":
        return stage_drill(Stage(value), seed)
    raise ValueError(f"unknown drill {drill_id!r}")


def _item(case_id: CaseId, stage: Stage) -> DrillItem:
    case = load_case(case_id)
    return DrillItem(case=case_id, stage=stage, question=f"{case.title}: {case.plan(stage).question}")


class Suggestion(Strict):
    kind: Literal["case", "drill"]
    reason: str
    case: CaseId | None = None
    drill: Drill | None = None


def suggest(sessions: Sequence[SessionState], grades: Sequence[SelfGrade], seed: str = "") -> Suggestion:
    """A drill of the weakest topic when one stands out, else of the weakest stage when it is under
    a 3, else a whole interview on a case not practised yet."""
    weak = weakest_topics(sessions, grades, k=1)
    if weak and weak[0].weight >= 1.0:
        w = weak[0]
        reason = f"{topic_label(w.topic)} was a gap {w.gaps} times and thin {w.suggestions} times."
        return Suggestion(kind="drill", reason=reason, drill=topic_drill(w.topic, seed))
    means = stage_means(sessions, grades)
    if means:
        stage = min(means, key=lambda s: (means[s], s.number))
        if means[stage] < 3:
            reason = f"{stage.label} is your lowest stage on average ({means[stage]:.1f} / 4)."
            return Suggestion(kind="drill", reason=reason, drill=stage_drill(stage, seed))
    done = {s.case for s in sessions} | {g.case for g in grades}
    fresh = [c for c in available_cases() if c not in done] or list(available_cases())
    case = random.Random(seed).choice(fresh)
    reason = "A case you have not practised yet." if case not in done else "Every case practised: one again."
    return Suggestion(kind="case", reason=reason, case=case)


def surprise_case(seed: str, avoid: Sequence[CaseId] = ()) -> CaseId:
    """A random case, preferring those not in `avoid`."""
    fresh = [c for c in available_cases() if c not in avoid] or list(available_cases())
    return random.Random(seed).choice(fresh)
