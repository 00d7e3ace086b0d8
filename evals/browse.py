"""Eval reports on disk, for the app: list them, open one, compare two with `evals.compare` (the
numbers `mlsd evals compare` prints)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from evals.compare import Comparison, compare, load_report
from evals.runner import EvalReport

REPORTS_DIR = Path(__file__).parent / "reports"


class ReportFile(BaseModel):
    path: Path
    suite: str
    provider: str
    model: str
    prompt_version: str
    commit: str
    modified: datetime
    metrics: int

    @property
    def label(self) -> str:
        return f"{self.path.name} · {self.modified:%Y-%m-%d %H:%M}"


def list_reports(folder: Path = REPORTS_DIR) -> list[ReportFile]:
    """The readable reports in `folder`, newest first (files that are not reports are skipped)."""
    found = []
    for path in folder.glob("*.json") if folder.is_dir() else []:
        try:
            report = load_report(path)
        except (OSError, ValueError, ValidationError):
            continue
        p = report.provenance
        found.append(
            ReportFile(
                path=path,
                suite=p.suite,
                provider=p.provider,
                model=p.model,
                prompt_version=p.prompt_version,
                commit=p.commit,
                modified=datetime.fromtimestamp(path.stat().st_mtime, UTC),
                metrics=len(report.metrics),
            )
        )
    return sorted(found, key=lambda r: (r.modified, r.path.name), reverse=True)


def open_report(path: Path) -> EvalReport:
    return load_report(path)


def compare_files(a: Path, b: Path, threshold: float = 0.02) -> Comparison:
    """`mlsd evals compare A B` on two files."""
    return compare(load_report(a), load_report(b), threshold)


def metric_rows(comparison: Comparison) -> list[dict[str, object]]:
    """One row per metric, as `evals.compare.markdown` shows it."""
    return [
        {
            "metric": m.name,
            "A": m.a,
            "B": m.b,
            "Δ": m.delta,
            "95% CI": f"[{m.ci95[0]:g}, {m.ci95[1]:g}]" if m.ci95 else "",
            "regression": "regression" if m.regression else "",
        }
        for m in comparison.metrics
    ]
