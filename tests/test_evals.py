"""The eval runner, compare and bench: offline suites run for real; recorded suites replay offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from common.settings import Settings
from evals.compare import compare
from evals.prices import openai_cached_tokens
from evals.runner import CASSETTES, LOCAL_PERSONAS, CaseResult, EvalReport, Provenance, run_suite
from ui.cli import app

runner = CliRunner()


def _report(metrics: dict[str, float], cases: dict[str, dict[str, float]]) -> EvalReport:
    provenance = Provenance(
        commit="c",
        suite="personas",
        provider="offline",
        model="offline",
        prompt_version="v",
        record_mode="offline",
    )
    return EvalReport(
        provenance=provenance,
        metrics=metrics,
        cases=[CaseResult(id=k, metrics=v) for k, v in cases.items()],
        seconds=1.0,
    )


def test_compare_flags_a_regression_and_lists_flips() -> None:
    a = _report(
        {"probe_recall": 1.0, "repetition_rate": 0.0}, {"x": {"completed": 1.0}, "y": {"completed": 1.0}}
    )
    b = _report(
        {"probe_recall": 0.9, "repetition_rate": 0.0}, {"x": {"completed": 0.0}, "y": {"completed": 1.0}}
    )
    result = compare(a, b, threshold=0.02)
    assert result.regressions == ["probe_recall"]
    assert result.flips == ["x: completed 1 -> 0"]
    assert compare(a, a).regressions == []


def test_compare_gives_a_bootstrap_interval_for_paired_cases() -> None:
    a = _report({"turns_per_stage": 2.0}, {f"c{i}": {"turns_per_stage": 2.0} for i in range(20)})
    b = _report({"turns_per_stage": 3.0}, {f"c{i}": {"turns_per_stage": 3.0} for i in range(20)})
    (row,) = compare(a, b).metrics
    assert row.ci95 == (1.0, 1.0)


def test_the_offline_personas_suite_meets_the_interviewer_goals() -> None:
    report = run_suite("personas", Settings(_env_file=None))  # type: ignore[call-arg]
    assert len(report.cases) >= 50
    assert report.metrics["completed"] == 1.0
    assert report.metrics["probe_recall"] >= 0.9
    assert report.metrics["repetition_rate"] == 0.0
    assert report.provenance.commit


def test_evals_cli_lists_runs_and_compares(tmp_path: Path) -> None:
    listed = runner.invoke(app, ["evals", "list", "--format", "json"])
    assert {row["suite"] for row in json.loads(listed.output)} == {
        "personas",
        "calibration",
        "injection",
        "retrieval",
        "judge",
        "candidates",
    }
    ran = runner.invoke(
        app, ["evals", "run", "--suite", "injection", "--out", str(tmp_path), "--format", "json"]
    )
    assert ran.exit_code == 0, ran.output
    (report,) = tmp_path.glob("*.json")
    assert (tmp_path / report.name.replace(".json", ".md")).exists()
    same = runner.invoke(app, ["evals", "compare", str(report), str(report)])
    assert same.exit_code == 0
    assert "raised" in same.output


@pytest.mark.block_network
def test_the_recorded_local_suite_replays_without_a_server_or_network(shipped_index: Path) -> None:
    """The voice's notes come from the index, so the replay needs the shipped knowledge ingested."""
    recorded = sorted(LOCAL_PERSONAS.glob("*.yaml"))
    assert recorded, "no recorded personas: see the README on recording"
    settings = Settings(_env_file=None, provider="local", data_dir=shipped_index)  # type: ignore[call-arg]
    report = run_suite("personas", settings, "none", limit=len(recorded))
    assert report.provenance.record_mode == "none"
    assert report.metrics["completed"] == 1.0
    assert report.metrics["model_calls"] > 0
    stale = [c.id for c in report.cases if c.metrics["fallback_turns"]]
    assert not stale, f"prompts changed since these were recorded; delete and re-record them: {stale}"
    assert {Path(c).name for c in report.provenance.cassettes} == {p.name for p in recorded}


@pytest.mark.block_network
@pytest.mark.parametrize("prompts", ["voice-v1", "voice-v2-terse"])
def test_the_readme_s_prompt_comparison_replays(prompts: str, shipped_index: Path) -> None:
    """The README's walkthrough compares these two prompts on their committed recordings."""
    settings = Settings(_env_file=None, provider="local", data_dir=shipped_index, prompts=prompts)  # type: ignore[call-arg]
    report = run_suite("personas", settings, "none", limit=1)
    assert report.metrics["model_calls"] > 0
    assert report.metrics["fallback_turns"] == 0, f"delete and re-record the {prompts} recordings"


@pytest.mark.parametrize(
    ("prompt", "shared", "cached"),
    [(1000, 1000, 0), (1500, 900, 0), (1500, 1100, 1024), (2000, 1300, 1280), (1100, 5000, 1024)],
)
def test_openai_caches_only_long_prompts_in_steps_of_128(prompt: int, shared: int, cached: int) -> None:
    assert openai_cached_tokens(prompt, shared) == cached


def test_bench_emits_every_field() -> None:
    result = runner.invoke(app, ["bench", "--quick", "--format", "json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    for key in (
        "offline_turn_ms_p50",
        "offline_turn_ms_p95",
        "offline_grade_ms_p50",
        "llm_overhead_ms_p50",
        "critical_path_model_calls",
        "interview_input_tokens",
        "naive_input_tokens",
        "cacheable_prefix_share",
        "openai_cached_share",
        "naive_openai_cached_share",
        "embed_100_ms",
        "stock_embed_100_ms",
        "ingest_s",
        "reingest_noop_s",
        "help_cold_s",
        "app_ready_s",
        "replay_50_s",
    ):
        assert figures.get(key) is not None, key
    assert figures["critical_path_model_calls"] == 1


@pytest.mark.block_network
def test_the_llm_grader_replayed_never_raises_a_grade_for_an_attack() -> None:
    recorded = sorted((CASSETTES / "injection" / "local").rglob("*.attack.yaml"))
    assert recorded, "no recorded injection attacks: see the README on recording"
    settings = Settings(_env_file=None, provider="local")  # type: ignore[call-arg]
    report = run_suite("injection", settings, "none", limit=len(recorded))
    assert report.metrics["raised"] == 0
    assert report.metrics["canary_leaks"] == 0
    assert report.metrics["model_calls"] > 0
