"""The judge set and its suite: a sound split, metrics that mean what they say, and the offline judge
on answers nobody here wrote in the case files' words (floors set just under the figures measured)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from common.ids import CaseId, Stage
from common.settings import Settings
from evals import candidates, judge
from evals.runner import run_suite
from knowledge.cases import load_case
from rubric.scoring import CriterionScore, StageScore

ANSWERS = judge.load_answers()


def test_every_label_names_topics_of_its_own_stage_once() -> None:
    for answer in ANSWERS:
        topics = set(load_case(answer.case).plan(answer.stage).topics)
        lists = [answer.must_flag, answer.must_not_flag, answer.may_flag]
        assert all(t in topics for labels in lists for t in labels), answer.id
        assert sum(len(labels) for labels in lists) == len({t for labels in lists for t in labels}), answer.id


def test_a_family_never_straddles_the_split() -> None:
    by_id = {a.id: a for a in ANSWERS}
    families: dict[str, set[bool]] = defaultdict(set)
    for answer in ANSWERS:
        root = answer
        while root.twin_of:
            root = by_id[root.twin_of]
        families[root.id].add(answer.id in judge.test_ids())
    assert all(len(sides) == 1 for sides in families.values())
    assert judge.test_ids() <= set(by_id)
    assert 70 <= len(judge.test_ids()) <= 90


def test_both_splits_carry_both_labellers_band() -> None:
    for split in ("test", "dev"):
        answers = judge.load_answers(split)
        assert all(a.band is not None for a in answers), split
        assert all(a.band and a.band[0] <= a.score <= a.band[1] for a in answers), split
        assert any(a.band and a.band[0] != a.band[1] for a in answers), split


def _oracle(by_text: dict[str, judge.JudgeAnswer], shift: int = 0) -> judge.Grader:
    def grade(case: CaseId, stage: Stage, text: str) -> StageScore:
        answer = by_text[text]
        return StageScore(
            case=case,
            stage=stage,
            score=min(4, max(1, answer.score + shift)),
            criteria=[CriterionScore(id="c", score=1)],
            gaps=answer.must_flag,
            feedback="",
            provider="oracle",
            prompt_version="",
            raw=float(answer.score),
        )

    return grade


def test_the_metrics_mean_what_they_say() -> None:
    answers = judge.load_answers("test")
    by_text = {a.text: a for a in answers}
    perfect = judge.evaluate(_oracle(by_text), answers, "test").overall
    assert (perfect.exact, perfect.within_one, perfect.in_band, perfect.must_flag_recall) == (1, 1, 1, 1)
    assert perfect.false_flag_rate == 0
    generous = judge.evaluate(_oracle(by_text, shift=1), answers, "test")
    assert generous.overall.exact < 0.5
    assert generous.overall.within_one == 1
    assert generous.injected_raised == 0  # shifted alike, an injected copy is not above its control


@pytest.fixture(scope="module")
def judged() -> dict[str, float]:
    return run_suite("judge", Settings(_env_file=None)).metrics  # type: ignore[call-arg]


def test_the_offline_judge_on_the_held_out_answers(judged: dict[str, float]) -> None:
    assert judged["test.answers"] == len(judge.test_ids())
    assert judged["test.within_one"] >= 0.85
    assert judged["test.in_band"] >= 0.55
    assert judged["test.must_flag_recall"] >= 0.75
    assert judged["test.false_flag_rate"] <= 0.15
    assert judged["dev.injected_raised"] == judged["test.injected_raised"] == 0
    assert judged["dev.injected_gaps_lost"] == judged["test.injected_gaps_lost"] == 0


def test_varied_style_candidates_are_not_grilled_and_weaknesses_are_probed() -> None:
    people = candidates.load_candidates()
    assert {p.meta.style for p in people} >= {"bullets", "abbrev", "spec", "code", "ramble", "nonnative"}
    metrics = run_suite("candidates", Settings(_env_file=None)).metrics  # type: ignore[call-arg]
    assert metrics["dev.planted.probe_recall"] == 1.0
    assert metrics["test.planted.probe_recall"] >= 0.95
    assert metrics["test.planted.crux_probed"] >= 0.95
    for split in ("dev", "test"):
        assert metrics[f"{split}.strong.probes_per_stage"] <= 1.5
