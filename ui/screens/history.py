"""History and progress: your own sessions and self-grades (resume, open, delete), the score trend per
stage, your weakest topics, and a suggested next practice (a case, or a short drill)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from interviewer.progress import HistoryRow, history, stage_means, suggest, topic_label, trend, weakest_topics
from ui import state

LIMIT = 50


def _table(rows: list[HistoryRow]) -> None:
    st.dataframe(
        [
            {
                "when": f"{r.at:%Y-%m-%d %H:%M}",
                "what": r.kind,
                "case": r.title,
                "level": r.level,
                "status": "finished" if r.finished else f"at {r.stage}",
                "overall": r.overall,
                "recommendation": r.recommendation,
                "self minus grade": r.self_gap,
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
    )


def _actions(rows: list[HistoryRow]) -> None:
    labels = {
        r.id: f"{r.at:%Y-%m-%d %H:%M} · {r.kind} · {r.title} · {'finished' if r.finished else r.stage}"
        for r in rows
    }
    chosen = st.selectbox(
        "A session", list(labels), index=None, placeholder="Choose a session", format_func=lambda i: labels[i]
    )
    row = next((r for r in rows if r.id == chosen), None)
    if row is None:
        return
    resume, delete, _ = st.columns([1, 1, 3])
    if row.kind == "interview":
        label = "Open the scorecard" if row.finished else "Resume"
        if resume.button(label, type="primary"):
            st.session_state.pop("interview", None)
            target = "screens/scorecard.py" if row.finished else "screens/interview.py"
            st.switch_page(target, query_params={"session": row.id})
    if delete.button("Delete"):
        store = state.my_store()
        removed = store.delete(row.id) if row.kind == "interview" else store.delete_grade(row.id)
        current = st.session_state.get("interview")
        if current is not None and current.state.id == row.id:
            st.session_state.pop("interview")
        st.toast("Deleted." if removed else "Nothing to delete.")
        st.rerun()


def _trend_chart(points: list[Any]) -> Any:
    import altair as alt

    data = [
        {"when": p.at.isoformat(), "stage": f"{p.stage.number}. {p.stage.label}", "score": p.score}
        for p in points
    ]
    return (
        alt.Chart(alt.Data(values=data))  # type: ignore[no-untyped-call]
        .mark_line(point=True)
        .encode(
            x=alt.X("when:T", title=None),
            y=alt.Y("score:Q", scale=alt.Scale(domain=[1, 4]), title="score (1-4)"),
            color=alt.Color("stage:N", legend=alt.Legend(labelLimit=0, orient="bottom", columns=2)),
        )
        .properties(height=300)
    )


def page() -> None:
    st.title("History and progress")
    store = state.my_store()
    sessions, grades = store.recent(LIMIT), store.grades(LIMIT)
    rows = history(sessions, grades)
    if not rows:
        st.info("Nothing yet: your interviews and self-grades appear here (only yours).")
    else:
        st.caption(f"{len(rows)} sessions and grades, newest first. Only you see these.")
        _table(rows)
        _actions(rows)
    finished = [s for s in sessions if s.scorecard]
    points = trend(finished, grades)
    if points:
        st.subheader("Score trend per stage")
        st.altair_chart(_trend_chart(points), width="stretch")
        means = stage_means(finished, grades)
        st.caption(" · ".join(f"{s.number}. {s.label}: {m:.1f}" for s, m in means.items()))
    weak = weakest_topics(finished, grades)
    if weak:
        st.subheader("Weakest topics")
        for w in weak:
            st.markdown(
                f"- **{topic_label(w.topic)}**: a gap {w.gaps} times, only touched {w.suggestions} times"
            )
    st.subheader("Suggested next practice")
    tip = suggest(finished, grades, seed=st.session_state.get("owner", ""))
    st.markdown(tip.reason)
    if tip.drill is not None:
        st.markdown(
            f"**{tip.drill.title}**: {len(tip.drill.items)} questions, about {tip.drill.minutes} minutes"
        )
        if st.button("Start the drill", type="primary"):
            st.session_state.pop("drill", None)
            st.switch_page("screens/self_grade.py", query_params={"drill": tip.drill.id})
    elif tip.case is not None:
        from knowledge.cases import load_case

        st.markdown(f"**{load_case(tip.case).title}**, a whole interview")
        if st.button("Set up this interview", type="primary"):
            st.session_state.pop("interview", None)
            st.session_state["setup_case"] = tip.case.value
            st.switch_page("screens/interview.py")


page()
