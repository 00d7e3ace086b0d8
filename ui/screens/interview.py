"""Interview: pick a case (or a surprise), a level, the minutes and the engine; then the chat, with a
stage tracker, a clock, Hint / Skip / End, and the self-assessment before the scorecard.

The session id travels in the URL (`?session=…`), so a refresh resumes the interview; only the
person who started it can open it."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from common.errors import InterviewerError
from common.ids import CaseId, Level, ProviderName, Stage
from common.markup import literal
from interviewer.identity import new_token
from interviewer.models import Turn
from interviewer.progress import clock_text, stage_times, surprise_case
from interviewer.session import Interview
from interviewer.usage import engine_usage
from knowledge.cases import available_cases, load_case
from ui import state
from ui.views import show_past_stage, show_turn, stage_runs, turn_body

SURPRISE = "surprise"
ENGINES = {
    ProviderName.offline.value: "Offline (template voice, no key)",
    ProviderName.openai.value: "OpenAI-compatible (your key or endpoint)",
    ProviderName.local.value: "Local model (SmolLM2 on this machine)",
}


def _case_label(value: str) -> str:
    return "Surprise me" if value == SURPRISE else load_case(value).title


def setup() -> None:
    st.title("Machine-learning system design: mock interview")
    st.markdown(
        "The interviewer walks you through seven stages, asks follow-ups on what you miss and grades "
        "every stage. Ask clarifying questions any time; type `/hint`, `/skip`, `/time` or `/end`."
    )
    options = [SURPRISE, *[c.value for c in available_cases()]]
    levels = [lv.value for lv in Level]
    st.selectbox(
        "Case",
        options,
        index=None,
        placeholder="Choose a case",
        format_func=_case_label,
        **_kept("setup_case"),
    )
    left, right = st.columns(2)
    left.selectbox(
        "Level",
        levels,
        index=2,
        format_func=str.capitalize,
        **_kept("setup_level"),
    )
    right.slider("Minutes", min_value=15, max_value=90, value=45, step=5, **_kept("setup_minutes"))
    engine_fields()
    if st.button("Start the interview", type="primary"):
        _start()


def _kept(key: str) -> dict[str, Any]:
    """A widget's key, its value kept for the whole browser session (the case box no longer jumps
    back to a default after a visit to another page)."""
    return {"key": key, "persist_state": "session"}


def engine_fields() -> None:
    engines = list(ENGINES)
    default = engines.index(state.services().settings.provider.value)
    st.radio(
        "Engine",
        engines,
        index=default,
        format_func=lambda e: ENGINES[e],
        horizontal=True,
        **_kept("engine_provider"),
    )
    if state.kept("engine_provider", engines[default]) != ProviderName.openai.value:
        return
    with st.container(border=True):
        for key, label, hint in (
            ("engine_base_url", "Base URL", "https://api.openai.com/v1 (default)"),
            ("engine_model", "Model", state.services().settings.model),
        ):
            st.text_input(label, placeholder=hint, **_kept(key))
        st.text_input(
            "API key",
            type="password",
            help="Kept in this browser session only: never stored, logged or put in a link.",
            **_kept("engine_key"),
        )


def _start() -> None:
    choice = st.session_state.get("setup_case")
    if choice is None:
        st.error("Choose a case, or Surprise me.")
        return
    try:
        engine = state.chosen_engine()
    except InterviewerError as exc:
        st.error(str(exc))
        return
    mine = [s.case for s in state.my_store().recent(20)]
    case = surprise_case(new_token(), avoid=mine) if choice == SURPRISE else CaseId(choice)
    svc = state.services()
    interview = Interview.start(
        case,
        Level(st.session_state.get("setup_level", "senior")),
        state.my_store(),
        engine,
        minutes=float(st.session_state.get("setup_minutes", 45)),
        max_chars=svc.settings.max_answer_chars,
    )
    st.session_state["interview"] = interview
    st.session_state["notice"] = None
    st.query_params["session"] = interview.state.id
    st.rerun()


def stage_list(interview: Interview) -> None:
    """The stages and the minutes used of each, and how far through them (redrawn by every turn)."""
    now = datetime.now(UTC)
    lines = ["#### Stages"]
    for t in stage_times(interview.state, now):
        mark = {"done": "✓", "current": "▸", "next": "·"}[t.status]
        line = f"{mark} {t.stage.number}. {t.stage.label}"
        minutes = f"{t.used_minutes:.0f} of {t.budget_minutes:.0f} min"
        if t.status == "current":
            lines.append(f"**{line}**  \n{minutes}, {max(t.left_minutes, 0):.0f} left")
        elif t.status == "done":
            lines.append(f":gray[{line} · {minutes}]")
        else:
            lines.append(f"{line} · {t.budget_minutes:.0f} min")
    st.markdown("\n\n".join(lines))
    order = list(Stage)
    st.progress((7 if interview.finished else order.index(interview.state.stage)) / 7)


def clock(interview: Interview) -> None:
    """The time used and left, ticking in the browser (the server draws it once per run)."""
    s = interview.state
    start_ms = int(s.started_at.timestamp() * 1000)
    text = clock_text(s, datetime.now(UTC))
    st.html(
        f"<p id='mlsd-clock' aria-live='off' data-start='{start_ms}' data-minutes='{s.minutes:g}'>"
        f"⏱ {text}</p>"
        "<script>(() => { clearInterval(window.mlsdClock); window.mlsdClock = setInterval(() => {"
        " const el = document.getElementById('mlsd-clock'); if (!el) return;"
        " const used = Math.max(0, Math.floor((Date.now() - Number(el.dataset.start)) / 1000));"
        " const left = Number(el.dataset.minutes) - used / 60;"
        " const tail = left >= 0 ? Math.round(left) + ' min left' : 'over by ' + Math.round(-left) + ' min';"
        " el.textContent = '⏱ ' + Math.floor(used / 60) + ':' + String(used % 60).padStart(2, '0')"
        " + ' used · ' + tail; }, 1000); })();</script>",
        unsafe_allow_javascript=True,
    )


def controls(interview: Interview) -> str | None:
    """Hint / Skip / End; returns the command pressed (sent below the chat, not in the sidebar)."""
    if interview.finished:
        return None
    hint, skip, end = st.columns(3)
    pressed = None
    for column, label, command in ((hint, "Hint", "/hint"), (skip, "Skip", "/skip"), (end, "End", "/end")):
        if column.button(label, width="stretch", key=f"cmd{command}"):
            pressed = command
    return pressed


def send(interview: Interview, text: str, full: bool) -> None:
    """Submit, streaming the interviewer's reply into the page as it is generated, and draw the
    reply in place (one run per turn); a rerun only when the page must change shape (an error to
    edit, the end of the interview, or a new stage: the finished one is folded away). `full`: this
    is a full run of the page (not the live part's own)."""
    with st.chat_message("user"):
        st.markdown(literal(text))
    reply = st.chat_message("assistant")
    live = reply.empty()
    streamed: list[str] = []

    def on_token(chunk: str) -> None:
        streamed.append(chunk)
        live.markdown(literal("".join(streamed)) + " ▌")

    before = engine_usage(interview.engine)
    stage = interview.state.stage
    began = time.perf_counter()
    try:
        replies = interview.submit(text, on_token=on_token)
    except InterviewerError as exc:
        st.session_state["rejected"] = (text, str(exc))
        st.rerun()
    st.session_state["engine_ms"] = round((time.perf_counter() - began) * 1000, 1)
    state.charge(interview, before)
    had_error = st.session_state.pop("rejected", None) is not None
    stored = [t for t in replies if t in interview.turns]
    st.session_state["notice"] = None if stored else replies[0].text  # "I didn't get an answer"
    if interview.finished or had_error or not stored:
        st.rerun()
    if interview.state.stage is not stage:
        st.rerun(scope="app" if full or _split(interview, stage) else "fragment")
    with reply:
        turn_body(stored[0], live)
    for turn in stored[1:]:
        show_turn(turn)
    engine_caption()


def engine_caption() -> None:
    if st.session_state.get("engine_ms") is not None:
        st.caption(f"Last turn: {st.session_state['engine_ms']:.0f} ms in the engine")


def self_assessment(interview: Interview) -> None:
    st.subheader("Before you see your grade: score yourself")
    st.caption("1 missing or wrong · 2 shallow · 3 solid · 4 excellent")
    with st.form("self"):
        scores = {stage: st.select_slider(stage.label, options=[1, 2, 3, 4], value=3) for stage in Stage}
        if st.form_submit_button("Show my scorecard", type="primary"):
            interview.final_scorecard(timeout=state.services().settings.timeout_s * 10)
            interview.assess_self(scores)
            st.switch_page("screens/scorecard.py", query_params={"session": interview.state.id})


# A turn reruns only the live part of the chat (a fragment): the current stage's turns, the
# input and the stage list. Finished stages are folded away, each into one element, so that the
# browser redraws few elements a turn however long the interview. The live part also draws the
# stages finished since the page was last drawn in full, folded; past FOLDS of them, or past
# TAIL_TURNS turns of the current stage, the next turn is drawn by a full run, which settles them
# (so a turn never redraws a long tail). A page script's bare string would be drawn by
# Streamlit's magic: hence comments.
TAIL_TURNS = 12
FOLDS = 2


def chat(interview: Interview) -> None:
    st.title(load_case(interview.state.case).title)
    st.caption(
        f"Level {interview.state.level.value} · {interview.state.minutes:g} minutes · "
        f"engine speaking: **{literal(interview.engine.name)}**"
    )
    with st.sidebar:
        stages = st.container()  # drawn last, once this run's turn is in
        if not interview.finished:
            clock(interview)
        command = controls(interview)
        if st.button("New interview", width="stretch"):
            st.session_state.pop("interview", None)
            st.query_params.clear()
            st.rerun()
    settled = len(interview.turns) if interview.finished else _settle(interview)
    transcript(interview.turns[:settled], interview)
    if interview.finished:
        engine_caption()
        with stages:
            stage_list(interview)
        if not interview.state.self_scores:
            self_assessment(interview)
        elif st.button("See the scorecard", type="primary"):
            st.switch_page("screens/scorecard.py", query_params={"session": interview.state.id})
        return
    if command:
        st.session_state["pending"] = command
    st.session_state["settled"] = settled
    st.session_state["full_run"] = True  # for the live part's run within this one
    live(interview, stages)


def transcript(turns: list[Turn], interview: Interview) -> None:
    """Turns in order: those of the current stage as chat messages, each finished stage folded."""
    for stage, run in stage_runs(turns):
        if stage is interview.state.stage:
            for turn in run:
                show_turn(turn)
        else:
            show_past_stage(stage, run)


def _settle(interview: Interview) -> int:
    """Where a full run leaves the live part to begin: at the current stage's first turn, or at the
    end when the stage is already long."""
    turns = interview.turns
    runs = stage_runs(turns)
    if not runs or runs[-1][0] is not interview.state.stage:
        return len(turns)
    begins = len(turns) - len(runs[-1][1])
    return begins if len(turns) - begins < TAIL_TURNS else len(turns)


def _split(interview: Interview, finished: Stage) -> bool:
    """Whether a full run drew some of the stage just finished (so only a full run can fold it)."""
    settled = int(st.session_state.get("settled", 0))
    return 0 < settled <= len(interview.turns) and interview.turns[settled - 1].stage is finished


def _too_long(interview: Interview, settled: int) -> bool:
    """Whether the live part has grown past its bounds (then a full run settles it first)."""
    runs = stage_runs(interview.turns[settled:])
    current = len(runs[-1][1]) if runs and runs[-1][0] is interview.state.stage else 0
    folds = len(runs) - (1 if current else 0)
    return current >= TAIL_TURNS or folds >= FOLDS


@st.fragment
def live(interview: Interview, stages: DeltaGenerator) -> None:
    """The current stage's turns (and any stage finished since the last full run, folded), the
    input, the engine's time and the stage list; a turn reruns only this."""
    settled = int(st.session_state.get("settled", len(interview.turns)))
    full = bool(st.session_state.pop("full_run", False))
    transcript(interview.turns[settled:], interview)
    text = st.bottom.chat_input("Your answer, or a clarifying question")
    pending = st.session_state.pop("pending", None)  # a button's command, or a turn put off below
    if pending is not None:
        text = pending
    rejected = st.session_state.get("rejected")
    if text is None:
        if st.session_state.get("notice"):
            with st.chat_message("assistant"):
                st.markdown(st.session_state["notice"])
        engine_caption()
        if rejected:
            st.error(rejected[1])
            kept = st.text_area("Your text (kept, edit and send again)", rejected[0], height=200)
            if st.button("Send edited answer"):
                text = kept
    if text is not None:
        if _too_long(interview, settled):
            st.session_state["pending"] = text  # a full run settles the live part, then sends it
            st.rerun()
        send(interview, text, full)
    with stages:
        stage_list(interview)


def page() -> None:
    session_id = st.query_params.get("session")
    if not session_id:
        current: Interview | None = st.session_state.get("interview")
        if current is not None:  # back from another page: the URL lost its id
            st.query_params["session"] = session_id = current.state.id
    if not session_id:
        setup()
        return
    interview = state.open_interview(session_id)
    if interview is None:
        st.warning("There is no interview of yours with this id. Start a new one below.")
        st.query_params.clear()
        st.session_state.pop("interview", None)
        setup()
        return
    chat(interview)


page()
