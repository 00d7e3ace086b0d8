"""Evals: the reports under `evals/reports/`, one opened, or two compared side by side (metrics with
their 95% intervals and per-case flips: the numbers `mlsd evals compare` prints)."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from evals.browse import REPORTS_DIR, compare_files, list_reports, metric_rows, open_report

#: where the page looks for reports (tests point it elsewhere)
FOLDER = Path(os.environ.get("MLSD_REPORTS_DIR", REPORTS_DIR))


def page() -> None:
    st.title("Evals")
    reports = list_reports(FOLDER)
    if not reports:
        st.info(f"No reports in {FOLDER}: run `mlsd evals run --suite personas` first.")
        return
    st.dataframe(
        [
            {
                "file": r.path.name,
                "suite": r.suite,
                "provider": r.provider,
                "model": r.model,
                "prompts": r.prompt_version,
                "commit": r.commit,
                "metrics": r.metrics,
            }
            for r in reports
        ],
        hide_index=True,
        width="stretch",
    )
    names = {str(r.path): r.label for r in reports}
    a = st.selectbox(
        "Report A (before)",
        list(names),
        index=None,
        placeholder="Choose a report",
        format_func=lambda p: names[p],
    )
    b = st.selectbox(
        "Report B (after)",
        list(names),
        index=None,
        placeholder="Choose a report to compare",
        format_func=lambda p: names[p],
    )
    threshold = st.number_input(
        "Largest tolerated worsening", min_value=0.0, max_value=1.0, value=0.02, step=0.01
    )
    if a and b:
        compared = compare_files(Path(a), Path(b), threshold)
        st.markdown(f"**A:** {compared.a}  \n**B:** {compared.b}")
        if compared.regressions:
            st.error(f"Regressions: {', '.join(compared.regressions)}")
        else:
            st.success("No metric regressed beyond the threshold.")
        st.dataframe(metric_rows(compared), hide_index=True, width="stretch")
        st.subheader(f"Per-case flips ({len(compared.flips)})")
        st.text("\n".join(compared.flips[:200]) or "none")
    elif a:
        report = open_report(Path(a))
        st.caption(f"{report.provenance.suite} · {report.provenance.provider} · {report.seconds:.1f} s")
        st.dataframe([{"metric": k, "value": v} for k, v in sorted(report.metrics.items())], hide_index=True)


page()
