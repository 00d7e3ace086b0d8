"""Scorecard: the grade of a finished interview beside the person's own scores, per stage what was
done well (quoted), gaps, suggestions and study notes; downloads as Markdown and printable HTML."""

from __future__ import annotations

import streamlit as st

from evals.prices import PRICES, cost_usd
from interviewer.export import build_report, markdown, printable_html
from interviewer.session import Interview
from ui import state
from ui.views import show_report


def _cost(interview: Interview) -> float | None:
    used = interview.store.usage(interview.state.id)
    if not used.calls:
        return 0.0
    if used.model not in PRICES:
        return None
    return cost_usd(used.model, used.input_tokens, used.output_tokens)


def page() -> None:
    session_id = st.query_params.get("session")
    current: Interview | None = st.session_state.get("interview")
    if not session_id and current is not None:
        session_id = current.state.id
    interview = state.open_interview(session_id) if session_id else None
    if interview is None:
        st.title("Scorecard")
        st.info("No finished interview is open. Finish one on the Interview page, or open one from History.")
        return
    if not interview.finished or interview.state.scorecard is None:
        st.title("Scorecard")
        st.info("This interview is not finished yet.")
        if st.button("Back to the interview", type="primary"):
            st.switch_page("screens/interview.py", query_params={"session": interview.state.id})
        return
    if not interview.state.self_scores:
        st.title("Scorecard")
        st.info("Score yourself first: the grade is shown after your own scores.")
        if st.button("Score myself", type="primary"):
            st.switch_page("screens/interview.py", query_params={"session": interview.state.id})
        return
    st.query_params["session"] = interview.state.id
    card = (
        interview.final_scorecard(timeout=state.services().settings.timeout_s * 10)
        or interview.state.scorecard
    )
    report = build_report(
        card,
        interview.state.self_scores,
        engine=interview.state.provider,
        when=interview.state.started_at,
        usage=interview.store.usage(interview.state.id),
        cost_usd=_cost(interview),
    )
    st.title(f"Scorecard: {report.title}")
    stem = f"scorecard-{interview.state.case.value}-{interview.state.id[:8]}"
    left, right, _ = st.columns([1, 1, 3])
    left.download_button(
        "Download Markdown", markdown(report), file_name=f"{stem}.md", mime="text/markdown", on_click="ignore"
    )
    right.download_button(
        "Download printable HTML",
        printable_html(report),
        file_name=f"{stem}.html",
        mime="text/html",
        on_click="ignore",
    )
    show_report(report)


page()
