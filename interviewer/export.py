"""A scorecard as a person reads it: per stage what was done well (quoted), gaps, suggestions and the
study notes for them; and the same as a Markdown file and a printable HTML page.

Quotes are the candidate's words: in Markdown they are escaped (`common.markup.literal`), in HTML
escaped with `html.escape`, so neither file ever renders them as formatting, links or images.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from functools import cache

from common.base import Strict
from common.ids import Stage, Topic
from common.markup import literal, one_line
from interviewer.store import SessionUsage
from knowledge.cases import load_case
from knowledge.index import NOTES_DIR, read_note
from rubric.scoring import OVERALL_NOTE, QUOTE_CHARS, DiveNote, Scorecard, StageScore, overview, said_during

SCORE_WORDS = {1: "missing or wrong", 2: "shallow", 3: "solid", 4: "excellent"}


class StudyNote(Strict):
    topic: Topic
    title: str
    body: str
    """The note's Markdown (our own content, safe to render)."""


@cache
def study_note(topic: Topic) -> StudyNote | None:
    path = NOTES_DIR / "topics" / f"{topic.value}.md"
    if not path.exists():
        return None
    meta, body = read_note(path)
    body = re.sub(r"^# .*\n+", "", body, count=1)  # the page shows the title itself
    return StudyNote(topic=topic, title=meta.title, body=body.strip())


def study_notes(card: Scorecard) -> list[StudyNote]:
    """The notes for every gap, then every suggestion, each once."""
    topics = [t for s in card.stages for t in s.gaps] + [t for s in card.stages for t in s.suggestions]
    notes = [study_note(t) for t in dict.fromkeys(topics)]
    return [n for n in notes if n is not None]


def summary(note: StudyNote, chars: int = 400) -> str:
    """The note's first paragraph (after its first heading), cut at a word."""
    paragraphs = [p for p in note.body.split("\n\n") if p.strip() and not p.startswith("#")]
    return one_line(paragraphs[0], chars) if paragraphs else ""


class StageView(Strict):
    stage: Stage
    score: int
    raw: float | None = None
    """The unrounded score (the overall is their mean)."""
    mine: int | None
    done_well: list[tuple[str, list[str]]]
    """(criterion, its verbatim evidence) for criteria scored 3 or 4."""
    said_in: dict[str, Stage] = {}
    """For evidence said while answering another stage, that stage."""
    gaps: list[Topic]
    suggestions: list[Topic]
    hints: int
    help_cost: float
    feedback: str
    outline: list[str] = []
    """What a strong answer to this stage covers (our own content)."""


def stage_view(score: StageScore, mine: int | None) -> StageView:
    return StageView(
        stage=score.stage,
        score=score.score,
        raw=score.raw,
        mine=mine,
        done_well=list(score.done_well.items())
        or [(c.id, [one_line(q, QUOTE_CHARS) for q in c.evidence]) for c in score.criteria if c.score >= 3],
        said_in=score.said_in,
        gaps=score.gaps,
        suggestions=score.suggestions,
        hints=score.hints,
        help_cost=score.help_cost,
        feedback="\n".join(
            line
            for line in score.feedback.splitlines()
            if not (score.done_well and line.startswith("Done well: "))
        ),
        outline=score.outline,
    )


class Report(Strict):
    """Everything the scorecard page and its downloads show."""

    title: str
    level: str
    when: datetime | None = None
    engine: str
    overall: float
    recommendation: str
    hint_penalty: float
    hints: int
    stages: list[StageView]
    notes: list[StudyNote]
    dives: list[DiveNote] = []
    overview: str = ""
    """The strongest stages and those to work on (`rubric.scoring.overview`)."""
    usage: SessionUsage = SessionUsage()
    cost_usd: float | None = None
    """The estimated cost of the model tokens (None: no price known, or no model)."""


def build_report(
    card: Scorecard,
    mine: dict[Stage, int],
    engine: str,
    when: datetime | None = None,
    usage: SessionUsage | None = None,
    cost_usd: float | None = None,
) -> Report:
    return Report(
        title=load_case(card.case).title,
        level=card.level.value,
        when=when,
        engine=engine,
        overall=card.overall,
        recommendation=card.recommendation.value.replace("_", " "),
        hint_penalty=card.hint_penalty,
        hints=sum(s.hints for s in card.stages),
        stages=[stage_view(s, mine.get(s.stage)) for s in card.stages],
        notes=study_notes(card),
        dives=card.dives,
        overview=overview(card),
        usage=usage or SessionUsage(),
        cost_usd=cost_usd,
    )


def _topics(topics: list[Topic]) -> str:
    return ", ".join(t.label for t in topics) or "none"


def _usage_line(report: Report) -> str:
    u = report.usage
    cost = f"${report.cost_usd:.4f}" if report.cost_usd is not None else "no estimate"
    if not u.calls:
        cost = "$0 (no model calls)"
    return f"{u.input_tokens:,} input and {u.output_tokens:,} output tokens in {u.calls} model calls · {cost}"


def _raw(view: StageView) -> str:
    return "" if view.raw is None else f"{view.raw:.2f}"


def markdown(report: Report) -> str:
    when = f" · {report.when:%Y-%m-%d %H:%M} UTC" if report.when else ""
    lines = [
        f"# Scorecard: {report.title}",
        "",
        f"Level **{report.level}**{when} · engine {report.engine}",
        "",
        f"**Overall {report.overall:.2f} / 4** ({OVERALL_NOTE}) · "
        f"recommendation: **{report.recommendation}**",
        f"Hints: {report.hints} · points lost to help: {report.hint_penalty:g}",
        f"Tokens: {_usage_line(report)}",
        "",
        *[literal(line) for line in report.overview.splitlines()],
        "",
        "| stage | grade | unrounded | you said | gaps | hints |",
        "|---|---|---|---|---|---|",
    ]
    for s in report.stages:
        mine = "" if s.mine is None else str(s.mine)
        lines.append(
            f"| {s.stage.number}. {s.stage.label} | {s.score} | {_raw(s)} | {mine} "
            f"| {_topics(s.gaps)} | {s.hints} |"
        )
    for s in report.stages:
        lines += ["", f"## {s.stage.number}. {s.stage.label}: {s.score}/4 ({SCORE_WORDS[s.score]})", ""]
        for criterion, quotes in s.done_well:
            lines.append(f"- Done well, {criterion.replace('_', ' ')}:")
            lines += [f"  > {literal(q)}{said_during(q, s.said_in)}" for q in quotes]
        lines.append(f"- Gaps: {_topics(s.gaps)}")
        lines.append(f"- Suggestions: {_topics(s.suggestions)}")
        lines += ["", *[literal(line) for line in s.feedback.splitlines()]]
        if s.outline:
            lines += ["", "A strong answer also covers:", *[f"- {point}" for point in s.outline]]
    for dive in report.dives:
        lines += [
            "",
            f"## Deep dive: {literal(dive.choice)}",
            "",
            dive.question,
            "",
        ]
        if dive.answer:
            lines += [f"Your answer: {literal(one_line(dive.answer, QUOTE_CHARS))}", ""]
        lines += ["A strong answer covers:", *[f"- {point}" for point in dive.points or dive.look_for]]
    if report.notes:
        lines += ["", "## Study notes", ""]
        for note in report.notes:
            lines += [f"### {note.title}", "", note.body, ""]
    return "\n".join(lines).rstrip() + "\n"


_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; color: #111; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #bbb; padding: .3rem .5rem; }
blockquote { margin: .2rem 0 .2rem 1rem; padding-left: .6rem; border-left: 3px solid #888; }
section { break-inside: avoid; } .note { white-space: pre-wrap; }
@media print { body { margin: 0; } a { color: inherit; text-decoration: none; } }
"""


def _items(points: list[str]) -> str:
    return "".join(f"<li>{html.escape(point)}</li>" for point in points)


def printable_html(report: Report) -> str:
    """One self-contained page (no scripts, no remote content) that prints cleanly."""
    e = html.escape
    when = f" · {report.when:%Y-%m-%d %H:%M} UTC" if report.when else ""
    rows = "".join(
        f"<tr><td>{s.stage.number}. {e(s.stage.label)}</td><td>{s.score}</td><td>{_raw(s)}</td>"
        f"<td>{'' if s.mine is None else s.mine}</td><td>{e(_topics(s.gaps))}</td><td>{s.hints}</td></tr>"
        for s in report.stages
    )
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Scorecard: {e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Scorecard: {e(report.title)}</h1>",
        f"<p>Level <b>{e(report.level)}</b>{e(when)} · engine {e(report.engine)}</p>",
        f"<p><b>Overall {report.overall:.2f} / 4</b> · recommendation: <b>{e(report.recommendation)}</b><br>",
        f"Hints: {report.hints} · points lost to help: {report.hint_penalty:g}<br>",
        f"Tokens: {e(_usage_line(report))}</p>",
        "<table><tr><th>stage</th><th>grade</th><th>unrounded</th><th>you said</th><th>gaps</th>"
        "<th>hints</th></tr>",
        rows,
        "</table>",
    ]
    for s in report.stages:
        parts.append(f"<section><h2>{s.stage.number}. {e(s.stage.label)}: {s.score}/4</h2><ul>")
        for criterion, quotes in s.done_well:
            cited = "".join(f"<blockquote>{e(q)}{e(said_during(q, s.said_in))}</blockquote>" for q in quotes)
            parts.append(f"<li>Done well, {e(criterion.replace('_', ' '))}:{cited}</li>")
        parts.append(
            f"<li>Gaps: {e(_topics(s.gaps))}</li><li>Suggestions: {e(_topics(s.suggestions))}</li></ul>"
        )
        parts.append(f"<p class='note'>{e(s.feedback)}</p>")
        if s.outline:
            parts.append("<p>A strong answer also covers:</p><ul>" + _items(s.outline) + "</ul>")
        parts.append("</section>")
    for dive in report.dives:
        parts.append(f"<section><h2>Deep dive: {e(dive.choice)}</h2><p>{e(dive.question)}</p>")
        if dive.answer:
            parts.append(f"<blockquote>{e(one_line(dive.answer, QUOTE_CHARS))}</blockquote>")
        points = dive.points or dive.look_for
        parts.append("<p>A strong answer covers:</p><ul>" + _items(points) + "</ul></section>")
    if report.notes:
        parts.append("<h2>Study notes</h2>")
        parts += [
            f"<section><h3>{e(n.title)}</h3><p class='note'>{e(n.body)}</p></section>" for n in report.notes
        ]
    parts.append("</body></html>")
    return "\n".join(parts)
