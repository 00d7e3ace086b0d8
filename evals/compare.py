"""Compare two eval reports: metrics side by side, deltas with bootstrap intervals, per-case flips,
and a verdict usable as a CI gate."""

from __future__ import annotations

import random
from pathlib import Path

from pydantic import BaseModel

from evals.runner import EvalReport

HIGHER_IS_BETTER = {
    "probe_recall",
    "probe_precision",
    "completed",
    "qwk",
    "within_one",
    "exact",
    "recall_at_5",
    "mrr",
    "in_band",
    "must_flag_recall",
}
LOWER_IS_BETTER = {
    "repetition_rate",
    "answer_leak_rate",
    "raised",
    "canary_leaks",
    "mean_delta",
    "needless_probes",
    "fallback_turns",
    "rejected_replies",
    "false_flag_rate",
    "injected_raised",
    "injected_gaps_lost",
}


class MetricDelta(BaseModel):
    name: str
    a: float | None
    b: float | None
    delta: float | None
    ci95: tuple[float, float] | None = None
    regression: bool = False


class Comparison(BaseModel):
    a: str
    b: str
    metrics: list[MetricDelta]
    flips: list[str]
    regressions: list[str]


def load_report(path: Path) -> EvalReport:
    return EvalReport.model_validate_json(path.read_text(encoding="utf-8"))


def compare(a: EvalReport, b: EvalReport, threshold: float = 0.02, seed: int = 7) -> Comparison:
    names = sorted(set(a.metrics) | set(b.metrics))
    rows = [_row(name, a, b, threshold, seed) for name in names]
    return Comparison(
        a=_label(a),
        b=_label(b),
        metrics=rows,
        flips=_flips(a, b),
        regressions=[r.name for r in rows if r.regression],
    )


def _row(name: str, a: EvalReport, b: EvalReport, threshold: float, seed: int) -> MetricDelta:
    x, y = a.metrics.get(name), b.metrics.get(name)
    delta = None if x is None or y is None else round(y - x, 4)
    figure = name.rsplit(".", 1)[-1]  # the judge suite's `test.code.in_band` is an `in_band`
    worse = delta is not None and (
        (figure in HIGHER_IS_BETTER and delta < -threshold)
        or (figure in LOWER_IS_BETTER and delta > threshold)
    )
    return MetricDelta(name=name, a=x, b=y, delta=delta, ci95=_bootstrap(name, a, b, seed), regression=worse)


def _paired(name: str, a: EvalReport, b: EvalReport) -> list[float]:
    before = {c.id: c.metrics[name] for c in a.cases if name in c.metrics}
    return [c.metrics[name] - before[c.id] for c in b.cases if name in c.metrics and c.id in before]


def _bootstrap(
    name: str, a: EvalReport, b: EvalReport, seed: int, rounds: int = 2000
) -> tuple[float, float] | None:
    """95% interval of the mean per-case difference (paired by case id)."""
    diffs = _paired(name, a, b)
    if len(diffs) < 2:
        return None
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(diffs, k=len(diffs))) / len(diffs) for _ in range(rounds))
    return round(means[int(0.025 * rounds)], 4), round(means[int(0.975 * rounds) - 1], 4)


def _flips(a: EvalReport, b: EvalReport) -> list[str]:
    """Cases whose pass/fail metrics changed (completed, planted probe found, retrieval hit, grade)."""
    keys = ("completed", "planted_probed", "hit", "predicted", "delta")
    before = {c.id: c.metrics for c in a.cases}
    found = []
    for case in b.cases:
        old = before.get(case.id, {})
        for key in keys:
            if key in case.metrics and key in old and case.metrics[key] != old[key]:
                found.append(f"{case.id}: {key} {old[key]:g} -> {case.metrics[key]:g}")
    return found


def _label(report: EvalReport) -> str:
    p = report.provenance
    return f"{p.suite} · {p.model} · {p.prompt_version} · {p.commit}"


def markdown(comparison: Comparison) -> str:
    lines = [
        f"A: {comparison.a}",
        f"B: {comparison.b}",
        "",
        "| metric | A | B | Δ | 95% CI | |",
        "|---|---|---|---|---|---|",
    ]
    for m in comparison.metrics:
        ci = f"[{m.ci95[0]:g}, {m.ci95[1]:g}]" if m.ci95 else ""
        flag = "regression" if m.regression else ""
        lines.append(f"| {m.name} | {_num(m.a)} | {_num(m.b)} | {_num(m.delta)} | {ci} | {flag} |")
    lines += ["", f"Flips ({len(comparison.flips)}):", *[f"- {f}" for f in comparison.flips[:50]]]
    return "\n".join(lines)


def report_markdown(report: EvalReport) -> str:
    p = report.provenance
    lines = [
        f"# Eval: {p.suite}",
        "",
        f"commit {p.commit} · provider {p.provider} · model {p.model} · prompts {p.prompt_version} · "
        f"record mode {p.record_mode} · {report.seconds:.1f} s",
        "",
        "| metric | value |",
        "|---|---|",
        *[f"| {k} | {_num(v)} |" for k, v in sorted(report.metrics.items())],
    ]
    if p.cassettes:
        lines += ["", "Cassettes:", *[f"- {c}" for c in p.cassettes]]
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
