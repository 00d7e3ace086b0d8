"""The Streamlit chat: renders the interview's state and passes the candidate's text to it.

Run with `mlsd app`. No business logic here: the session decides, this page displays. The
session id travels in the URL (`?session=…`), so a refresh resumes where the interview was.
"""

from __future__ import annotations

import streamlit as st

from common.errors import InterviewerError
from common.ids import CaseId, Level, Stage
from common.markup import literal
from common.settings import Settings
from common.tokens import use_cache_dir
from interviewer.engine import Engine, build_engine
from interviewer.models import Turn
from interviewer.session import Interview
from interviewer.store import Store
from knowledge.cases import available_cases, load_case
from rubric.scoring import Scorecard

ROLES = {"interviewer": "assistant", "candidate": "user"}


@st.cache_resource
def _services() -> tuple[Settings, Store, Engine]:
    settings = Settings()
    use_cache_dir(settings.tiktoken_dir)
    return settings, Store(settings.db_url), build_engine(settings)


def _interview() -> Interview | None:
    session_id = st.query_params.get("session")
    if not session_id:
        return None
    settings, store, engine = _services()
    cached: Interview | None = st.session_state.get("interview")
    if cached is None or cached.state.id != session_id:
        cached = Interview.resume(session_id, store, engine, max_chars=settings.max_answer_chars)
        st.session_state["interview"] = cached
    return cached


def _start(case: CaseId, level: Level, minutes: int) -> None:
    settings, store, engine = _services()
    interview = Interview.start(
        case, level, store, engine, minutes=minutes, max_chars=settings.max_answer_chars
    )
    st.session_state["interview"] = interview
    st.query_params["session"] = interview.state.id


def sidebar(interview: Interview | None) -> None:
    _, _, engine = _services()
    with st.sidebar:
        st.header("MLSD Interviewer")
        st.caption(f"Engine: **{engine.name}** · voice {engine.voice.version}")
        cases = available_cases()
        case = st.selectbox("Case", cases, format_func=lambda c: load_case(c).title, key="case")
        level = st.selectbox("Level", [lv.value for lv in Level], index=2, format_func=str.capitalize)
        minutes = st.slider("Minutes", min_value=15, max_value=90, value=45, step=5)
        if (
            st.button("Start a new interview", type="primary", width="stretch")
            and case is not None
            and level is not None
        ):
            _start(case, Level(level), minutes)
            st.rerun()
        if interview is not None:
            stage_tracker(interview)
            controls(interview)
        history()


def history() -> None:
    """Finished interviews, with the gap between the candidate's own scores and the grader's."""
    _, store, _ = _services()
    done = [s for s in store.recent(50) if s.finished and s.scorecard]
    if not done:
        return
    with st.expander(f"Your history ({len(done)})"):
        rows = [
            {
                "case": s.case.value,
                "overall": s.scorecard.overall if s.scorecard else None,
                "self minus grader": _self_gap(s.self_scores, s.scorecard),
            }
            for s in reversed(done)
        ]
        st.line_chart([r["overall"] for r in rows], y_label="overall")
        st.dataframe(rows, hide_index=True)


def _self_gap(mine: dict[Stage, int], card: Scorecard | None) -> float | None:
    if not mine or card is None:
        return None
    return round(sum(mine[s.stage] - s.score for s in card.stages) / len(card.stages), 2)


def stage_tracker(interview: Interview) -> None:
    st.subheader("Stages")
    order = list(Stage)
    current = order.index(interview.state.stage)
    for index, stage in enumerate(order):
        if interview.finished or index < current:
            st.markdown(f":gray[✓ {stage.number}. {stage.label}]")
        elif index == current:
            st.markdown(f"**▸ {stage.number}. {stage.label}**")
        else:
            st.markdown(f"{stage.number}. {stage.label}")
    st.progress((7 if interview.finished else current) / 7)


def controls(interview: Interview) -> None:
    if interview.finished:
        return
    hint, skip, end = st.columns(3)
    for column, label, command in ((hint, "Hint", "/hint"), (skip, "Skip", "/skip"), (end, "End", "/end")):
        if column.button(label, width="stretch", key=f"cmd{command}"):
            _send(interview, command)


def show_turn(turn: Turn) -> None:
    with st.chat_message(ROLES[turn.role]):
        if turn.role == "candidate":
            st.markdown(literal(turn.text))
        else:
            st.markdown(turn.text)
            st.caption(f"{turn.stage.number}/7 · {turn.move.value if turn.move else ''} · {turn.speaker()}")


def self_assessment(interview: Interview) -> None:
    st.subheader("Before you see your grade: score yourself")
    st.caption("1 missing or wrong · 2 shallow · 3 solid · 4 excellent")
    with st.form("self"):
        scores = {stage: st.select_slider(stage.label, options=[1, 2, 3, 4], value=3) for stage in Stage}
        if st.form_submit_button("Show my scorecard", type="primary"):
            interview.assess_self(scores)
            st.rerun()


def show_scorecard(card: Scorecard, mine: dict[Stage, int]) -> None:
    st.subheader("Scorecard")
    st.metric("Overall", f"{card.overall:.2f} / 4", help="Mean stage score after hint penalties")
    st.markdown(
        f"Recommendation for **{card.level.value}**: **{card.recommendation.value.replace('_', ' ')}**"
    )
    rows = [
        {
            "stage": s.stage.label,
            "score": s.score,
            "you said": mine.get(s.stage),
            "difference": mine[s.stage] - s.score if s.stage in mine else None,
            "gaps": ", ".join(g.value for g in s.gaps),
            "hints": s.hints,
        }
        for s in card.stages
    ]
    labels = [f"{s.stage.number}. {s.stage.label}" for s in card.stages]  # sorts in stage order
    chart = {"stage": labels, "grader": [r["score"] for r in rows]}
    chart["you"] = [r["you said"] for r in rows]
    st.bar_chart(chart, x="stage", y=["grader", "you"], stack=False, y_label="score (1-4)")
    st.dataframe(rows, hide_index=True, width="stretch")
    for s in card.stages:
        with st.expander(f"{s.stage.label}: {s.score}/4"):
            st.text(s.feedback)
            for c in s.criteria:
                st.markdown(f"**{c.id}**: {c.score}/4")
                for quote in c.evidence:
                    st.markdown(f"> {literal(quote)}")


def _send(interview: Interview, text: str) -> None:
    """Submit, streaming the interviewer's reply into the page as it is generated."""
    with st.chat_message("user"):
        st.markdown(literal(text))
    with st.chat_message("assistant"):
        live, streamed = st.empty(), []

        def on_token(chunk: str) -> None:
            streamed.append(chunk)
            live.markdown("".join(streamed) + " ▌")

        try:
            replies = interview.submit(text, on_token=on_token)
            st.session_state.pop("rejected", None)
            transient = [t.text for t in replies if t not in interview.turns]  # "I didn't get an answer"
            st.session_state["notice"] = transient[0] if transient else None
        except InterviewerError as exc:
            st.session_state["rejected"] = (text, str(exc))
    st.rerun()


def main() -> None:
    st.set_page_config(page_title="MLSD Interviewer", layout="wide")
    interview = _interview()
    sidebar(interview)
    if interview is None:
        st.title("Machine-learning system design: mock interview")
        st.markdown(
            "Pick a case and a level in the sidebar, then **Start a new interview**. "
            "The interviewer walks you through seven stages, asks follow-ups on what you miss, "
            "and grades every stage. Ask clarifying questions any time; type `/hint`, `/skip` or `/end`."
        )
        return
    st.title(load_case(interview.state.case).title)
    for turn in interview.turns:
        show_turn(turn)
    if interview.finished and interview.state.scorecard:
        if not interview.state.self_scores:
            self_assessment(interview)
            return
        show_scorecard(interview.state.scorecard, interview.state.self_scores)
        return
    if st.session_state.get("notice"):
        with st.chat_message("assistant"):
            st.markdown(st.session_state["notice"])
    rejected = st.session_state.get("rejected")
    if rejected:
        st.error(rejected[1])
        kept = st.text_area("Your text (kept, edit and send again)", rejected[0], height=200)
        if st.button("Send edited answer"):
            _send(interview, kept)
    text = st.chat_input("Your answer, or a clarifying question")
    if text is not None:
        _send(interview, text)


main()
