"""The command line's public contract: ids, JSON shapes, exit codes, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from common.ids import CaseId, Stage, Topic
from interviewer.models import MoveKind
from ui.cli import app

from .helpers import SCRIPTS

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize(("command", "ids"), [("stages", list(Stage)), ("topics", list(Topic))])
def test_listings_give_the_contract_ids(command: str, ids: list[str]) -> None:
    code, out = run(command, "--format", "json")
    assert code == 0
    assert [row["id"] for row in json.loads(out)] == [i.value for i in ids]


def test_cases_lists_every_case_with_a_file() -> None:
    code, out = run("cases", "--format", "json")
    listed = {row["id"] for row in json.loads(out)}
    assert code == 0
    assert {CaseId.ad_click_prediction.value, CaseId.harmful_content_detection.value} <= listed


def test_unknown_case_lists_the_valid_ids_and_exits_2() -> None:
    code, out = run("interview", "--case", "self_driving_toaster")
    assert code == 2
    assert "self_driving_toaster" in out
    assert "ad_click_prediction" in out
    assert "people_you_may_know" in out


def test_scripted_interview_prints_the_contract_json() -> None:
    code, out = run("interview", "--script", str(SCRIPTS / "ad_click_senior.yaml"), "--format", "json")
    assert code == 0, out
    result = json.loads(out)
    assert {"case", "level", "provider", "turns", "scorecard"} <= result.keys()
    assert (result["case"], result["level"], result["provider"]) == (
        "ad_click_prediction",
        "senior",
        "offline",
    )
    interviewer_turns = [t for t in result["turns"] if t["role"] == "interviewer"]
    for turn in interviewer_turns:
        assert {"role", "stage", "text", "move", "topic"} == turn.keys()
        assert turn["move"] in {m.value for m in MoveKind}
        assert turn["topic"] is None or turn["topic"] in {t.value for t in Topic}
    asked = [t["stage"] for t in interviewer_turns if t["move"] == "ask"]
    assert asked == [*(s.value for s in Stage), "monitoring"], "each stage's question, then the close"
    assert interviewer_turns[-1]["move"] == "wrap_up"
    assert [s["stage"] for s in result["scorecard"]["stages"]] == [s.value for s in Stage]


def test_malformed_script_names_the_file_and_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("case: ad_click_prediction\nlevel: wizard\n")
    code, out = run("interview", "--script", str(bad), "--format", "json")
    assert code == 2
    assert "broken.yaml" in out
    assert "level" in out


def test_unparsable_script_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.yaml"
    bad.write_text("case: [unclosed\n")
    code, out = run("interview", "--script", str(bad))
    assert code == 2
    assert "garbage.yaml" in out
    assert "YAML" in out


def test_grade_prints_the_contract_json(tmp_path: Path) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text(
        "I'd split by time, training on earlier days and testing on the next day, so no future "
        "information leaks. Clicks are rare, so I'd downsample negatives and recalibrate."
    )
    code, out = run(
        "grade",
        "--case",
        "ad_click_prediction",
        "--stage",
        "data_preparation",
        "--answer",
        str(answer),
        "--format",
        "json",
    )
    assert code == 0, out
    graded = json.loads(out)
    assert set(graded) >= {
        "case",
        "stage",
        "score",
        "criteria",
        "gaps",
        "feedback",
        "provider",
        "prompt_version",
    }
    assert 1 <= graded["score"] <= 4
    assert "data_leakage" not in graded["gaps"]
    for criterion in graded["criteria"]:
        assert all(quote in answer.read_text() for quote in criterion["evidence"])


def test_help_imports_no_heavy_module() -> None:
    probe = (
        "import sys, runpy; sys.argv = ['mlsd', '--help']\n"
        "try:\n    runpy.run_module('ui.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('chromadb', 'streamlit', 'langchain_core', 'onnxruntime', 'sqlalchemy',"
        " 'pydantic_settings', 'openai', 'numpy') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


TRANSCRIPT = """# Case: ad_click_prediction
## data_preparation
Interviewer: What data would you use?
Candidate: I'd split by time: train on the first four weeks and test on the day after.
Clicks are rare, so I'd downsample negatives and correct the probabilities afterwards.
## evaluation
Interviewer: How would you evaluate it?
Candidate: Accuracy on the test set.
"""


def test_a_markdown_transcript_is_graded_per_stage(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text(TRANSCRIPT)
    code, out = run("grade", "--transcript", str(path), "--level", "mid", "--format", "json")
    assert code == 0, out
    card = json.loads(out)
    by_stage = {s["stage"]: s for s in card["stages"]}
    assert list(by_stage) == [s.value for s in Stage]
    assert "data_leakage" not in by_stage["data_preparation"]["gaps"]
    assert by_stage["data_preparation"]["score"] > by_stage["framing"]["score"] == 1
    assert card["level"] == "mid"


def test_an_interview_json_is_a_transcript_too(tmp_path: Path) -> None:
    code, out = run("interview", "--script", str(SCRIPTS / "ad_click_senior.yaml"), "--format", "json")
    path = tmp_path / "t.json"
    path.write_text(out)
    code, graded = run("grade", "--transcript", str(path), "--format", "json")
    assert code == 0, graded
    assert json.loads(graded)["case"] == "ad_click_prediction"


def test_a_transcript_without_a_case_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text(TRANSCRIPT.replace("# Case: ad_click_prediction\n", ""))
    code, out = run("grade", "--transcript", str(path))
    assert code == 2
    assert "--case" in out
