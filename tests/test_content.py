"""Shipped content is valid, and the validator names the file and the id of any broken reference."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from common.ids import Stage, Topic
from knowledge.cases import CASES_DIR, available_cases, load_case
from rubric.schema import RUBRIC_FILE, load_rubric
from rubric.validate import problems


def test_shipped_content_has_no_problems() -> None:
    assert problems() == []


def test_at_least_two_cases_with_a_question_for_every_stage() -> None:
    assert len(available_cases()) >= 2
    for case_id in available_cases():
        case = load_case(case_id)
        assert list(case.stages) == list(Stage)
        assert all(plan.question.strip() for plan in case.stages.values())


@pytest.mark.parametrize("case_id", available_cases())
def test_each_case_calls_for_the_core_topics_where_they_belong(case_id: str) -> None:
    case = load_case(case_id)
    assert Topic.data_leakage in case.plan(Stage.data_preparation).topics
    assert Topic.metric_choice in case.plan(Stage.evaluation).topics
    assert Topic.training_serving_skew in case.plan(Stage.deployment_serving).topics


def test_the_rubric_covers_every_stage_with_four_anchors() -> None:
    rubric = load_rubric()
    assert list(rubric.stages) == list(Stage)
    for stage in rubric.stages.values():
        assert all(sorted(c.anchors) == [1, 2, 3, 4] for c in stage.criteria)


def _copy_case(tmp_path: Path, edit: str, replacement: str) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    source = CASES_DIR / "ad_click_prediction.yaml"
    text = source.read_text()
    assert edit in text
    (folder / source.name).write_text(text.replace(edit, replacement, 1))
    return folder


def test_an_unknown_criterion_is_reported_with_file_and_id(tmp_path: Path) -> None:
    idea = load_case("ad_click_prediction").plan(Stage.framing).ideas[0]
    folder = _copy_case(tmp_path, f"criterion: {idea.criterion}", "criterion: vibes")
    (problem,) = problems(folder)
    assert "ad_click_prediction.yaml" in problem
    assert "vibes" in problem
    assert idea.id in problem


def test_an_unknown_topic_is_reported_with_file_and_id(tmp_path: Path) -> None:
    folder = _copy_case(tmp_path, "topic: data_leakage", "topic: astrology")
    (problem,) = problems(folder)
    assert "ad_click_prediction.yaml" in problem
    assert "astrology" in problem


def test_an_unknown_case_id_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    data = yaml.safe_load((CASES_DIR / "ad_click_prediction.yaml").read_text())
    data["id"] = "time_machine"
    (folder / "time_machine.yaml").write_text(yaml.safe_dump(data))
    (problem,) = problems(folder)
    assert "time_machine.yaml" in problem
    assert "time_machine" in problem


def test_a_broken_rubric_is_reported_with_its_file(tmp_path: Path) -> None:
    rubric = tmp_path / "rubric.yaml"
    shutil.copy(RUBRIC_FILE, rubric)
    rubric.write_text(rubric.read_text().replace("  monitoring:\n", "  monitorin:\n", 1))
    (problem,) = problems(CASES_DIR, rubric)
    assert "rubric.yaml" in problem
    assert "monitorin" in problem
