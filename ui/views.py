"""Drawing helpers the pages share. Candidate text and model output are always shown literally
(`common.markup.literal`): never as HTML, links or images."""

from __future__ import annotations

from itertools import groupby
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from common.ids import Stage
from common.markup import literal
from interviewer.export import Report, StageView
from interviewer.models import Outcome, Turn
from interviewer.progress import topic_label
from rubric.scoring import OVERALL_NOTE, said_during

ROLES = {"interviewer": "assistant", "candidate": "user"}
TEMPLATE_VOICE = "offline"


def safe_text(turn: Turn) -> str:
    """The Markdown to draw for a turn: the template voice's own (it escapes any quote itself),
    anything else (the candidate, a model) escaped."""
    if turn.role == "interviewer" and turn.voice == TEMPLATE_VOICE:
        return turn.text
    return literal(turn.text)


def show_turn(turn: Turn) -> None:
    with st.chat_message(ROLES[turn.role]):
        turn_body(turn)


def turn_body(turn: Turn, text: DeltaGenerator | None = None) -> None:
    """A turn's text (into `text`, a placeholder it streamed into, if given) and its notes."""
    (text or st).markdown(safe_text(turn))
    if turn.role == "candidate":
        return
    move = turn.move.value if turn.move else ""
    st.caption(f"{turn.stage.number}/7 · {move} · {literal(turn.speaker())}")
    if turn.outcome is Outcome.fallback:
        st.warning(f"The model did not answer ({turn.reason}); the template voice spoke this turn.")
    elif turn.outcome is Outcome.rejected:
        st.info(f"The model's reply failed a check ({turn.reason}); the template's draft was said instead.")
    if turn.judge_fallback:
        st.caption(f"The offline judge assessed this answer ({turn.judge_fallback}).")


def stage_runs(turns: list[Turn]) -> list[tuple[Stage, list[Turn]]]:
    """The turns in runs of one stage each, in order."""
    return [(stage, list(run)) for stage, run in groupby(turns, key=lambda t: t.stage)]


SPEAKERS = {"interviewer": "Interviewer", "candidate": "You"}


def past_stage_text(turns: list[Turn]) -> str:
    """A finished stage's turns as one block of Markdown (each turn a paragraph: the speaker in bold,
    then on the next line the turn's text; then its notes): the page draws it as one element, in
    place of a chat message per turn."""
    parts = []
    for turn in turns:
        head = f"**{SPEAKERS[turn.role]}**"
        if turn.role == "interviewer":
            move = turn.move.value if turn.move else ""
            head += f" · {turn.stage.number}/7 · {move} · {literal(turn.speaker())}"
        parts.append(f"{head}  \n{safe_text(turn)}")
        reason = literal(turn.reason or "")
        if turn.outcome is Outcome.fallback:
            parts.append(f"*The model did not answer ({reason}); the template voice spoke this turn.*")
        elif turn.outcome is Outcome.rejected:
            parts.append(
                f"*The model's reply failed a check ({reason}); the template's draft was said instead.*"
            )
        if turn.judge_fallback:
            parts.append(f"*The offline judge assessed this answer ({literal(turn.judge_fallback)}).*")
    return "\n\n".join(parts)


def show_past_stage(stage: Stage, turns: list[Turn]) -> None:
    """A finished stage of the interview: its turns, collapsed under the stage's name."""
    with st.expander(f"{stage.number}. {stage.label} · {len(turns)} turns"):
        st.markdown(past_stage_text(turns))


def score_chart(report: Report) -> Any:
    """Grades and self-scores side by side, one row per stage, labels in full."""
    import altair as alt

    rows = []
    for s in report.stages:
        label = f"{s.stage.number}. {s.stage.label}"
        rows.append({"stage": label, "who": "grader", "score": s.score, "order": s.stage.number})
        if s.mine is not None:
            rows.append({"stage": label, "who": "you", "score": s.mine, "order": s.stage.number})
    order = [f"{s.number}. {s.label}" for s in Stage]
    return (
        alt.Chart(alt.Data(values=rows))  # type: ignore[no-untyped-call]
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=order, title=None, axis=alt.Axis(labelLimit=0)),
            x=alt.X("score:Q", scale=alt.Scale(domain=[0, 4]), title="score (1-4)"),
            yOffset="who:N",
            color=alt.Color("who:N", title=None),
            tooltip=["stage:N", "who:N", "score:Q"],
        )
        .properties(height=320)
    )


def show_report(report: Report) -> None:
    unrounded = f"{OVERALL_NOTE[0].upper()}{OVERALL_NOTE[1:]}, after help penalties"
    st.metric("Overall", f"{report.overall:.2f} / 4", help=unrounded)
    st.markdown(f"Recommendation for **{report.level}**: **{report.recommendation}**")
    u = report.usage
    cost = (
        "no model calls"
        if not u.calls
        else (
            f"about ${report.cost_usd:.4f}"
            if report.cost_usd is not None
            else "no price known for this model"
        )
    )
    st.caption(
        f"Engine {literal(report.engine)} · hints used: {report.hints} · points lost to help: "
        f"{report.hint_penalty:g} · tokens: {u.input_tokens:,} in, {u.output_tokens:,} out ({cost})"
    )
    st.altair_chart(score_chart(report), width="stretch")
    st.dataframe(
        [
            {
                "stage": f"{s.stage.number}. {s.stage.label}",
                "grade": s.score,
                "you said": s.mine,
                "difference": None if s.mine is None else s.mine - s.score,
                "gaps": ", ".join(topic_label(t) for t in s.gaps),
                "hints": s.hints,
            }
            for s in report.stages
        ],
        hide_index=True,
        width="stretch",
    )
    for s in report.stages:
        show_stage(s)
    show_dives(report)
    show_notes(report)


def show_dives(report: Report) -> None:
    for dive in report.dives:
        with st.expander(f"Deep dive: {dive.choice}"):
            st.text(dive.question)
            if dive.answer:
                st.markdown("**Your answer**")
                st.text(dive.answer)
            st.markdown("**A strong answer covers**")
            st.markdown("\n".join(f"- {literal(point)}" for point in dive.points or dive.look_for))


def show_stage(s: StageView, expanded: bool = False) -> None:
    mine = "" if s.mine is None else f" · you said {s.mine}"
    with st.expander(f"{s.stage.number}. {s.stage.label}: {s.score}/4{mine}", expanded=expanded):
        if s.done_well:
            st.markdown("**Done well**")
            for criterion, quotes in s.done_well:
                st.markdown(f"*{criterion.replace('_', ' ')}*")
                for quote in quotes:
                    st.markdown(f"> {literal(quote)}{literal(said_during(quote, s.said_in))}")
        st.markdown(f"**Gaps:** {', '.join(topic_label(t) for t in s.gaps) or 'none'}")
        st.markdown(f"**Suggestions:** {', '.join(topic_label(t) for t in s.suggestions) or 'none'}")
        if s.hints:
            st.markdown(f"**Hints:** {s.hints} (points lost to help: {s.help_cost:g})")
        st.text(s.feedback)
        if s.outline:
            st.markdown("**A strong answer also covers**")
            st.markdown("\n".join(f"- {literal(point)}" for point in s.outline))


def show_notes(report: Report) -> None:
    if not report.notes:
        return
    st.subheader("Study notes")
    st.caption("For the gaps first, then the points only touched.")
    for note in report.notes:
        with st.expander(note.title):
            st.markdown(note.body)
