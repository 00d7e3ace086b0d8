"""The calibration eval: the grader against labelled answers (exact and within-one agreement,
quadratic weighted kappa, and gap precision and recall per topic)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from common.base import Strict, load_yaml
from common.ids import CaseId, Stage, Topic
from rubric.scoring import StageScore

DATASET = Path(__file__).parent / "datasets" / "calibration.yaml"
Grader = Callable[[CaseId, Stage, str], StageScore]


class LabelledAnswer(Strict):
    id: str
    case: CaseId
    stage: Stage
    kind: Literal["strong", "solid", "shallow", "wrong", "missing_core"]
    score: int
    gaps: list[Topic]
    text: str


class TopicFigures(BaseModel):
    precision: float
    recall: float
    support: int


class AnswerResult(BaseModel):
    id: str
    label: int
    predicted: int
    missed_gaps: list[Topic]
    extra_gaps: list[Topic]


class CalibrationReport(BaseModel):
    answers: int
    exact: float
    within_one: float
    qwk: float
    topics: dict[Topic, TopicFigures]
    results: list[AnswerResult]


def load_answers(path: Path = DATASET) -> list[LabelledAnswer]:
    data = load_yaml(path.read_text(encoding="utf-8"))
    return [LabelledAnswer.model_validate(a) for a in data["answers"]]


def quadratic_weighted_kappa(labels: Sequence[int], predicted: Sequence[int], levels: int = 4) -> float:
    """Cohen's kappa with quadratic weights over scores 1..levels."""
    n = len(labels)
    observed = Counter(zip(labels, predicted, strict=True))
    row, col = Counter(labels), Counter(predicted)
    numerator = denominator = 0.0
    for i in range(1, levels + 1):
        for j in range(1, levels + 1):
            weight = (i - j) ** 2 / (levels - 1) ** 2
            numerator += weight * observed[(i, j)]
            denominator += weight * row[i] * col[j] / n
    return 1.0 - numerator / denominator if denominator else 1.0


def evaluate(grade: Grader, answers: list[LabelledAnswer]) -> CalibrationReport:
    results = []
    for a in answers:
        graded = grade(a.case, a.stage, a.text)
        results.append(
            AnswerResult(
                id=a.id,
                label=a.score,
                predicted=graded.score,
                missed_gaps=[t for t in a.gaps if t not in graded.gaps],
                extra_gaps=[t for t in graded.gaps if t not in a.gaps],
            )
        )
    labels, predicted = [r.label for r in results], [r.predicted for r in results]
    return CalibrationReport(
        answers=len(results),
        exact=round(sum(x == y for x, y in zip(labels, predicted, strict=True)) / len(results), 4),
        within_one=round(
            sum(abs(x - y) <= 1 for x, y in zip(labels, predicted, strict=True)) / len(results), 4
        ),
        qwk=round(quadratic_weighted_kappa(labels, predicted), 4),
        topics=_topic_figures(answers, results),
        results=results,
    )


def _topic_figures(answers: list[LabelledAnswer], results: list[AnswerResult]) -> dict[Topic, TopicFigures]:
    """Per topic, a gap is a positive: precision of the grader's gaps, recall of the labelled ones."""
    tp: Counter[Topic] = Counter()
    fp: Counter[Topic] = Counter()
    fn: Counter[Topic] = Counter()
    for answer, result in zip(answers, results, strict=True):
        for topic in answer.gaps:
            (fn if topic in result.missed_gaps else tp)[topic] += 1
        for topic in result.extra_gaps:
            fp[topic] += 1
    figures = {}
    for topic in sorted(set(tp) | set(fp) | set(fn)):
        found = tp[topic] + fp[topic]
        actual = tp[topic] + fn[topic]
        figures[topic] = TopicFigures(
            precision=round(tp[topic] / found, 4) if found else 1.0,
            recall=round(tp[topic] / actual, 4) if actual else 1.0,
            support=actual,
        )
    return figures
