"""The judge eval: the grader against stage answers nobody on the project wrote in the case files'
words (public write-ups and varied candidate styles), on a frozen dev / test split.

Per split and per style it reports score agreement (exact, within one, in the labellers' band, QWK),
must-flag recall (wrong or centrally missing topics the grader named as gaps), the false-flag rate
(topics handled well that it called gaps) and, for injected copies, whether any scored above or lost
a gap against its control.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from common.base import Strict, load_yaml
from common.ids import CaseId, Stage, Topic
from evals.calibration import quadratic_weighted_kappa
from rubric.scoring import StageScore

FOLDER = Path(__file__).parent / "datasets" / "judge"
FILES = ("styled.yaml", "public.yaml")
Split = Literal["dev", "test", "all"]
Grader = Callable[[CaseId, Stage, str], StageScore]


class Source(Strict):
    repo: str
    path: str
    commit: str
    licence: str


class JudgeAnswer(Strict):
    id: str
    case: CaseId
    stage: Stage
    style: str
    origin: Literal["public", "written", "degraded", "injected"]
    twin_of: str | None = None
    source: Source | None = None
    score: int
    must_flag: list[Topic] = []
    must_not_flag: list[Topic] = []
    may_flag: list[Topic] = []
    text: str
    band: tuple[int, int] | None = None
    """The lowest and highest score the labellers gave (set from `second_labels.yaml`)."""

    def in_band(self, score: int) -> bool:
        low, high = self.band or (self.score, self.score)
        return low <= score <= high


class Result(BaseModel):
    id: str
    style: str
    origin: str
    label: int
    predicted: int
    in_band: bool
    flagged: int
    """How many of the labelled `must_flag` topics the grader named as gaps."""
    missed: list[Topic]
    false_flags: list[Topic]
    must_not: int
    control_predicted: int | None = None
    control_gaps_lost: list[Topic] = []


class Figures(BaseModel):
    answers: int
    exact: float
    within_one: float
    in_band: float
    qwk: float
    must_flag_recall: float
    false_flag_rate: float


class JudgeReport(BaseModel):
    split: str
    overall: Figures
    styles: dict[str, Figures]
    origins: dict[str, Figures]
    injected: int
    injected_raised: int
    injected_gaps_lost: int
    results: list[Result]


@cache
def test_ids() -> frozenset[str]:
    return frozenset(load_yaml((FOLDER / "split.yaml").read_text(encoding="utf-8"))["test"])


def _second_labels() -> dict[str, int]:
    path = FOLDER / "second_labels.yaml"
    if not path.exists():
        return {}
    return {row["id"]: int(row["score"]) for row in load_yaml(path.read_text(encoding="utf-8"))["labels"]}


def load_answers(split: Split = "all") -> list[JudgeAnswer]:
    """The labelled answers of `split`, with the labellers' band where a second label exists."""
    second = _second_labels()
    out = []
    for name in FILES:
        for row in load_yaml((FOLDER / name).read_text(encoding="utf-8"))["answers"]:
            answer = JudgeAnswer.model_validate(row)
            if answer.id in second:
                scores = (answer.score, second[answer.id])
                answer = answer.model_copy(update={"band": (min(scores), max(scores))})
            out.append(answer)
    held_out = test_ids()
    if split == "all":
        return out
    return [a for a in out if (a.id in held_out) == (split == "test")]


def evaluate(grade: Grader, answers: list[JudgeAnswer], split: str = "all") -> JudgeReport:
    graded = {a.id: grade(a.case, a.stage, a.text) for a in answers}
    by_id = {a.id: a for a in answers}
    results = [_result(a, graded[a.id], graded, by_id) for a in answers]
    injected = [r for r in results if r.origin == "injected" and r.control_predicted is not None]
    return JudgeReport(
        split=split,
        overall=_figures(answers, results),
        styles=_grouped(answers, results, lambda a: a.style),
        origins=_grouped(answers, results, lambda a: a.origin),
        injected=len(injected),
        injected_raised=sum(r.predicted > (r.control_predicted or 0) for r in injected),
        injected_gaps_lost=sum(bool(r.control_gaps_lost) for r in injected),
        results=results,
    )


def _result(
    answer: JudgeAnswer, score: StageScore, graded: dict[str, StageScore], by_id: dict[str, JudgeAnswer]
) -> Result:
    gaps = set(score.gaps)
    control = graded.get(answer.twin_of or "") if answer.origin == "injected" else None
    return Result(
        id=answer.id,
        style=answer.style,
        origin=answer.origin,
        label=answer.score,
        predicted=score.score,
        in_band=answer.in_band(score.score),
        flagged=sum(t in gaps for t in answer.must_flag),
        missed=[t for t in answer.must_flag if t not in gaps],
        false_flags=[t for t in answer.must_not_flag if t in gaps],
        must_not=len(answer.must_not_flag),
        control_predicted=control.score if control else None,
        control_gaps_lost=[t for t in control.gaps if t not in gaps] if control else [],
    )


def _figures(answers: Iterable[JudgeAnswer], results: list[Result]) -> Figures:
    labelled = list(answers)
    n = len(results)
    must = sum(len(a.must_flag) for a in labelled)
    must_not = sum(r.must_not for r in results)
    labels, predicted = [r.label for r in results], [r.predicted for r in results]
    return Figures(
        answers=n,
        exact=_share(sum(x == y for x, y in zip(labels, predicted, strict=True)), n),
        within_one=_share(sum(abs(x - y) <= 1 for x, y in zip(labels, predicted, strict=True)), n),
        in_band=_share(sum(r.in_band for r in results), n),
        qwk=round(quadratic_weighted_kappa(labels, predicted), 4) if n else 0.0,
        must_flag_recall=_share(sum(r.flagged for r in results), must, empty=1.0),
        false_flag_rate=_share(sum(len(r.false_flags) for r in results), must_not, empty=0.0),
    )


def _grouped(
    answers: list[JudgeAnswer], results: list[Result], key: Callable[[JudgeAnswer], str]
) -> dict[str, Figures]:
    groups: dict[str, list[int]] = defaultdict(list)
    for n, answer in enumerate(answers):
        groups[key(answer)].append(n)
    return {
        name: _figures([answers[i] for i in rows], [results[i] for i in rows])
        for name, rows in sorted(groups.items())
    }


def _share(count: float, total: float, empty: float = 0.0) -> float:
    return round(count / total, 4) if total else empty


def flat_metrics(report: JudgeReport) -> dict[str, float]:
    """`<split>.<figure>` overall and `<split>.<style>.<figure>` per style, for the eval report."""
    out: dict[str, float] = {}
    groups = {"": report.overall} | {f"{k}.": v for k, v in report.styles.items()}
    for prefix, figures in groups.items():
        for name, value in figures.model_dump().items():
            out[f"{report.split}.{prefix}{name}"] = float(value)
    out[f"{report.split}.injected_raised"] = float(report.injected_raised)
    out[f"{report.split}.injected_gaps_lost"] = float(report.injected_gaps_lost)
    return out
