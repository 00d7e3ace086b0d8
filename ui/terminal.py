"""Rich rendering for the terminal. Candidate text is printed as plain text, never as markup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from common.errors import InputError
from common.markup import one_line
from rubric.scoring import OVERALL_NOTE, QUOTE_CHARS

if TYPE_CHECKING:
    from interviewer.doctor import Check
    from interviewer.models import Turn
    from interviewer.session import Interview
    from knowledge.retriever import Chunk
    from rubric.scoring import Scorecard, StageScore

console = Console()
HELP = "Commands: /hint for a hint, /skip for the next stage, /time for the time left, /end to finish."


def print_turn(turn: Turn) -> None:
    if turn.role == "candidate":
        console.print(Text("you › ", style="bold cyan") + Text(turn.text))
        return
    move = turn.move.value if turn.move else ""
    title = f"{turn.stage.number}/7 {turn.stage.label} · {move} · {turn.speaker()}"
    console.print(Panel(Markdown(turn.text), title=title, title_align="left", border_style="magenta"))


def converse(session: Interview) -> None:
    console.print(Text(HELP, style="dim"))
    for turn in session.turns:
        print_turn(turn)
    while not session.finished:
        try:
            text = console.input("[bold cyan]you ›[/] ")
        except (EOFError, KeyboardInterrupt):
            text = "/end"
            console.print()
        try:
            replies = _streamed(session, text)
        except InputError as exc:
            console.print(Text(str(exc), style="bold red"))
            continue
        for turn in replies:
            print_turn(turn)
    if session.state.scorecard:
        print_scorecard(session.state.scorecard)


def _streamed(session: Interview, text: str) -> list[Turn]:
    """Submit, showing the reply live as the model writes it (then the final turns replace it)."""
    from rich.live import Live

    chunks: list[str] = []
    with Live(console=console, transient=True) as live:

        def on_token(chunk: str) -> None:
            chunks.append(chunk)
            live.update(Panel(Text("".join(chunks)), border_style="magenta"))

        return session.submit(text, on_token=on_token)


def print_transcript(session: Interview) -> None:
    for turn in session.turns:
        print_turn(turn)
    if session.state.scorecard:
        print_scorecard(session.state.scorecard)


def print_scorecard(card: Scorecard) -> None:
    table = Table(
        "stage",
        "score",
        "unrounded",
        "gaps",
        "hints",
        title=f"Scorecard · {card.case.value} · {card.level.value}",
    )
    for s in card.stages:
        gaps = ", ".join(g.value for g in s.gaps) or "-"
        table.add_row(s.stage.label, f"{s.score}/4", f"{s.raw:.2f}", gaps, str(s.hints))
    console.print(table)
    console.print(f"Overall {card.overall:.2f}/4 ({OVERALL_NOTE}) → [bold]{card.recommendation.value}[/]")
    from rubric.scoring import overview

    console.print(Text(overview(card)))
    for s in card.stages:
        console.print(Text(f"\n{s.stage.label}: {s.score}/4", style="bold"))
        console.print(Text(s.feedback))
        _print_outline(s.outline)
    for dive in card.dives:
        console.print(Text(f"\nDeep dive: {dive.choice}", style="bold"))
        console.print(Text(dive.question))
        if dive.answer:
            console.print(Text(f"Your answer: {one_line(dive.answer, QUOTE_CHARS)}"))
        console.print(Text("A strong answer covers:"))
        console.print(Text("\n".join(f"  - {point}" for point in dive.points or dive.look_for)))


def print_stage_score(score: StageScore) -> None:
    table = Table(
        "criterion", "score", "evidence", title=f"{score.case.value} · {score.stage.value}: {score.score}/4"
    )
    for c in score.criteria:
        table.add_row(c.id, str(c.score), Text("\n".join(c.evidence) or "-"))
    console.print(table)
    console.print(f"Gaps: {', '.join(g.value for g in score.gaps) or 'none'}")
    console.print(Text(score.feedback))
    _print_outline(score.outline)


def _print_outline(outline: list[str]) -> None:
    """A stage's outline of a strong answer, when it has one (a stage at 4 may list nothing)."""
    if outline:
        console.print(Text("A strong answer also covers:\n" + "\n".join(f"  - {line}" for line in outline)))


def print_chunks(chunks: list[Chunk]) -> None:
    for rank, chunk in enumerate(chunks, 1):
        topics = ",".join(chunk.topics) or "-"
        meta = f"{chunk.source} · stage={chunk.stage or '-'} · case={chunk.case or '-'} · topics={topics}"
        console.print(Panel(Text(chunk.text[:600]), title=f"{rank}. {chunk.score:.3f}", subtitle=meta))


def print_checks(checks: list[Check]) -> None:
    table = Table("check", "status", "detail")
    colours = {"ok": "green", "missing": "red", "info": "cyan"}
    for c in checks:
        table.add_row(c.name, f"[{colours.get(c.status, 'white')}]{c.status}[/]", Text(c.detail))
    console.print(table)
