"""Self-grade: paste or upload one answer (a case and a stage) or a whole transcript, score yourself
first, then see the grade, its evidence and the difference; or work through a short drill. Every
grade is kept in your history."""

from __future__ import annotations

import uuid

import streamlit as st

from common.errors import InterviewerError
from common.ids import CaseId, Level, Stage
from interviewer.export import build_report, stage_view, study_note
from interviewer.progress import Drill, drill_by_id
from interviewer.store import SelfGrade
from knowledge.cases import available_cases, load_case
from rubric.assessors import Assessor
from rubric.grading import grade_answer
from rubric.scoring import StageScore
from rubric.transcripts import grade_transcript
from ui import state
from ui.views import show_report, show_stage

MODES = ("One answer", "Whole transcript")


def _uploaded_text(label: str, key: str) -> str | None:
    upload = st.file_uploader(label, type=["txt", "md", "json"], key=key)
    if upload is None:
        return None
    try:
        return upload.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        st.error("That file is not UTF-8 text: save it as UTF-8, or paste the text instead.")
        return ""


def _grader() -> tuple[Assessor, str]:
    engine = state.chosen_engine_or_offline()
    return engine.grader, engine.provider


def one_answer() -> None:
    cases = [c.value for c in available_cases()]
    case = st.selectbox(
        "Case", cases, index=None, placeholder="Choose a case", format_func=lambda c: load_case(c).title
    )
    stage = st.selectbox(
        "Stage",
        [s.value for s in Stage],
        index=None,
        placeholder="Choose a stage",
        format_func=lambda s: Stage(s).label,
    )
    pasted = st.text_area("Your answer", height=220, key="sg_answer")
    uploaded = _uploaded_text("…or upload it (a .txt or .md file)", "sg_answer_file")
    mine = st.select_slider(
        "Your own score first (1 missing · 2 shallow · 3 solid · 4 excellent)", [1, 2, 3, 4], 3
    )
    if not st.button("Grade my answer", type="primary"):
        return
    text = uploaded if uploaded else pasted
    if case is None or stage is None:
        st.error("Choose the case and the stage the answer is for.")
        return
    grader, provider = _grader()
    try:
        score = grade_answer(
            grader,
            provider,
            CaseId(case),
            Stage(stage),
            text or "",
            state.services().settings.max_answer_chars,
        )
    except InterviewerError as exc:
        st.error(str(exc))
        return
    _save(
        SelfGrade(
            id=uuid.uuid4().hex,
            case=CaseId(case),
            kind="answer",
            stages=[score],
            self_scores={Stage(stage): mine},
        )
    )


def transcript() -> None:
    st.caption(
        "Markdown: `# Case: <case id>`, `## <stage id>` headings, lines starting with `Interviewer:` or "
        "`Candidate:`; or the interview JSON (`mlsd interview --format json`)."
    )
    pasted = st.text_area("Transcript", height=260, key="sg_transcript")
    uploaded = _uploaded_text("…or upload it (.md or .json)", "sg_transcript_file")
    level = st.selectbox(
        "Level", [lv.value for lv in Level], index=2, format_func=str.capitalize, key="sg_level"
    )
    st.markdown("**Your own scores first** (1 missing · 2 shallow · 3 solid · 4 excellent)")
    mine = {s: st.select_slider(s.label, [1, 2, 3, 4], 3, key=f"sg_self_{s.value}") for s in Stage}
    if not st.button("Grade the transcript", type="primary"):
        return
    grader, provider = _grader()
    try:
        card = grade_transcript(
            grader,
            provider,
            (uploaded if uploaded else pasted) or "",
            Level(level),
            None,
            state.services().settings.max_answer_chars,
        )
    except InterviewerError as exc:
        st.error(str(exc))
        return
    _save(
        SelfGrade(
            id=uuid.uuid4().hex,
            case=card.case,
            kind="transcript",
            stages=card.stages,
            self_scores=mine,
            scorecard=card,
        )
    )


def _save(grade: SelfGrade) -> None:
    state.my_store().save_grade(grade)
    st.session_state["self_result"] = grade
    st.rerun()


def show_result(grade: SelfGrade) -> None:
    st.subheader(f"Your grade: {load_case(grade.case).title}")
    if grade.scorecard is not None:
        show_report(build_report(grade.scorecard, grade.self_scores, engine=grade.stages[0].provider))
        return
    score: StageScore = grade.stages[0]
    mine = grade.self_scores.get(score.stage)
    left, middle, right = st.columns(3)
    left.metric("Grade", f"{score.score} / 4")
    middle.metric("You said", f"{mine} / 4" if mine else "-")
    right.metric("Difference (you - grade)", f"{mine - score.score:+d}" if mine else "-")
    show_stage(stage_view(score, mine), expanded=True)
    for topic in [*score.gaps, *score.suggestions]:
        note = study_note(topic)
        if note:
            with st.expander(f"Study note: {note.title}"):
                st.markdown(note.body)


def drill_page(drill: Drill) -> None:
    st.subheader(f"{drill.title} · {len(drill.items)} questions · about {drill.minutes} minutes")
    done: list[SelfGrade] = st.session_state.setdefault("drill_done", [])
    if len(done) >= len(drill.items):
        st.success("Drill done. Your grades are in History.")
        for grade in done:
            s = grade.stages[0]
            show_stage(stage_view(s, grade.self_scores.get(s.stage)))
        if st.button("Close the drill"):
            for key in ("drill", "drill_done"):
                st.session_state.pop(key, None)
            st.query_params.clear()
            st.rerun()
        return
    item = drill.items[len(done)]
    st.markdown(f"**Question {len(done) + 1} of {len(drill.items)}** ({item.stage.label})")
    st.markdown(item.question)
    if drill.focus:
        st.caption(f"Say how you would handle {drill.focus.value.replace('_', ' ')} here.")
    text = st.text_area("Your answer", height=200, key=f"drill_answer_{len(done)}")
    mine = st.select_slider("Your own score first", [1, 2, 3, 4], 3, key=f"drill_self_{len(done)}")
    if st.button("Grade and go on", type="primary"):
        grader, provider = _grader()
        try:
            score = grade_answer(
                grader, provider, item.case, item.stage, text, state.services().settings.max_answer_chars
            )
        except InterviewerError as exc:
            st.error(str(exc))
            return
        grade = SelfGrade(
            id=uuid.uuid4().hex,
            case=item.case,
            kind="drill",
            stages=[score],
            self_scores={item.stage: mine},
            drill=drill.id,
        )
        state.my_store().save_grade(grade)
        done.append(grade)
        st.rerun()


def page() -> None:
    st.title("Self-grade")
    drill_id = st.query_params.get("drill")
    if drill_id and not st.session_state.get("drill"):
        try:
            st.session_state["drill"] = drill_by_id(drill_id, seed=st.session_state.get("owner", ""))
            st.session_state["drill_done"] = []
        except ValueError:
            st.error("Unknown drill.")
    drill: Drill | None = st.session_state.get("drill")
    if drill is not None:
        drill_page(drill)
        return
    result: SelfGrade | None = st.session_state.get("self_result")
    if result is not None:
        show_result(result)
        if st.button("Grade another"):
            st.session_state.pop("self_result")
            st.rerun()
        return
    mode = st.radio("What to grade", MODES, horizontal=True)
    if mode == MODES[0]:
        one_answer()
    else:
        transcript()


page()
