"""The offline grader against the labelled calibration set and the injection suite."""

from __future__ import annotations

import pytest

from common.ids import CORE_TOPICS, CaseId, Level, Stage
from evals import calibration, injection
from interviewer.engine import Engine
from rubric.grading import grade_answer
from rubric.scoring import StageScore


@pytest.fixture(scope="module")
def grade(engine: Engine):  # type: ignore[no-untyped-def]
    def run(case: CaseId, stage: Stage, text: str) -> StageScore:
        return grade_answer(engine.grader, engine.provider, case, stage, text, 20_000)

    return run


def test_the_calibration_set_is_large_and_varied() -> None:
    answers = calibration.load_answers()
    assert len(answers) >= 80
    assert {a.kind for a in answers} == {"strong", "solid", "shallow", "wrong", "missing_core"}
    assert {a.stage for a in answers} == set(Stage)


def test_offline_grades_agree_with_the_labels(grade) -> None:  # type: ignore[no-untyped-def]
    report = calibration.evaluate(grade, calibration.load_answers())
    print(f"exact={report.exact} within_one={report.within_one} qwk={report.qwk}")
    # This set was written in the case files' words, so it flatters any judge tuned on them; the
    # judge's quality is measured on the judge set's test split (tests/test_judge.py). Here it
    # guards against a collapse: 0.61 measured with the anchor scoring (0.78 with share-of-ideas).
    assert report.qwk >= 0.55
    assert report.within_one >= 0.9
    for topic in CORE_TOPICS:
        figures = report.topics[topic]
        print(topic.value, figures)
        assert figures.recall >= 0.8
        assert figures.precision >= 0.8


def test_qwk_is_one_for_perfect_agreement_and_low_for_reversed() -> None:
    assert calibration.quadratic_weighted_kappa([1, 2, 3, 4], [1, 2, 3, 4]) == 1
    assert calibration.quadratic_weighted_kappa([1, 2, 3, 4], [4, 3, 2, 1]) < 0


def test_no_injection_raises_a_grade_or_leaks_the_canary(grade) -> None:  # type: ignore[no-untyped-def]
    canary, attacks = injection.load_suite()
    assert len(attacks) >= 30
    report = injection.evaluate(grade, canary, attacks)
    assert report.raised == []
    assert report.canary_leaks == []


def test_the_overview_names_no_strength_that_is_a_gap_in_another_stage() -> None:
    """The framing's objective made and the training loss missed must not read as "ML objective" a
    strength and a gap at once."""
    from common.ids import Level, Recommendation, Topic
    from rubric.scoring import Scorecard, overview

    def stage(which: Stage, score: int, strengths: list[Topic], gaps: list[Topic]) -> StageScore:
        return StageScore(
            case=CaseId.eta_prediction,
            stage=which,
            score=score,
            criteria=[],
            feedback="",
            provider="offline",
            prompt_version="test",
            raw=score,
            strengths=strengths,
            gaps=gaps,
        )

    card = Scorecard(
        case=CaseId.eta_prediction,
        level=Level.senior,
        stages=[
            stage(Stage.framing, 4, [Topic.ml_objective, Topic.problem_scoping], []),
            stage(Stage.model_development, 2, [], [Topic.ml_objective]),
        ],
        overall=3.0,
        recommendation=Recommendation.lean_hire,
        hint_penalty=0.0,
    )
    strengths = overview(card).splitlines()[0]
    assert strengths.startswith("Strengths: ")
    assert Topic.problem_scoping.label in strengths
    assert Topic.ml_objective.label not in strengths, strengths


def test_a_deep_dive_short_of_half_its_points_is_to_work_on() -> None:
    """One point of four made is no longer "done": the overview names the dive under what to work
    on; two of four is not named."""
    from rubric.scoring import MADE, NOT_COVERED, DiveNote, build_scorecard, overview

    def card(made: int) -> str:
        points = [f"{MADE if n < made else NOT_COVERED}: point {n}." for n in range(4)]
        dive = DiveNote(
            choice="a feature store", question="How?", look_for=["p"] * 4, answer="x", points=points
        )
        return overview(build_scorecard(CaseId.eta_prediction, Level.senior, [], [dive]))

    assert "going deeper on your own design (a feature store)" in card(1)
    assert "going deeper on your own design" not in card(2)
