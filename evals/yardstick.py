"""An outside yardstick: play scripted personas offline and write each interview as a transcript in
the grader's format of IliaLarchenko/Interviewer (tests/testing_prompts.py, commit 3ae1921): the
problem, then INTERVIEWER MESSAGE / CANDIDATE MESSAGE / INTERVIEWER HIDDEN NOTE blocks, then the
feedback the candidate sees. Deterministic: each persona's session id is its file name.

    python -m evals.yardstick            # every persona in evals/yardstick/personas/
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from common.ids import Stage
from common.markup import one_line, plain
from common.settings import Settings
from interviewer.engine import Engine, build_engine
from interviewer.models import MoveKind, StageState, Turn
from interviewer.policy import DONT_KNOW
from interviewer.script import Script, load_script
from interviewer.session import Interview
from interviewer.store import Store
from rubric.scoring import OVERALL_NOTE, QUOTE_CHARS, Scorecard, overview

HERE = Path(__file__).parent / "yardstick"
PERSONAS = HERE / "personas"
TRANSCRIPTS = HERE / "transcripts"


def _seen(st: StageState) -> dict[str, dict[str, list[str]]]:
    return {"made": st.met, "touched": st.shallow, "stated a known mistake": st.misconceptions}


#: how much of the candidate's words a note quotes beside each point it credits
NOTE_QUOTE_CHARS = 90


def _note(before: dict[Stage, dict[str, set[str]]], interview: Interview, answer: str, reply: Turn) -> str:
    """What the judge found in the answer, per stage, each point with the candidate's words it was
    read from (or that it said nothing new, or that the candidate did not know), and the move the
    policy chose next."""
    parts = []
    for stage, st in interview.state.stages.items():
        for label, found in _seen(st).items():
            new = sorted(set(found) - before[stage][label])
            if new:
                said = [_with_words(i, found[i], answer) for i in new]
                parts.append(f"{stage.label}: {label}: {'; '.join(said)}.")
    if DONT_KNOW.match(answer):
        parts.append("Not answered: the candidate said they were not sure.")
    elif not parts:
        parts.append("Nothing new: no point made or mistake stated in this answer.")
    about = f" on {reply.idea.replace('_', ' ')}" if reply.idea else ""
    rung = f" ({reply.rung.value})" if reply.rung else ""
    parts.append(f"Next move: {(reply.move or MoveKind.ask).value}{rung}{about}.")
    return "\n".join(parts)


def _with_words(idea: str, quotes: list[str], answer: str) -> str:
    """A credited point by its name, with the words of this answer it was read from."""
    name = idea.replace("_", " ")
    mine = [q for q in quotes if q in answer] or quotes
    return f'{name} ("{one_line(mine[0], NOTE_QUOTE_CHARS)}")' if mine else name


def _blocks(interview: Interview, script: Script) -> list[str]:
    """Play the script, keeping the blocks in the order they were said."""
    blocks = [f"INTERVIEWER MESSAGE\n{plain(interview.turns[0].text)}"]
    for _ in range(200):
        if interview.finished:
            return blocks
        last = interview.turns[-1]
        answer = script.reply(last.stage, last.move or MoveKind.ask, last.topic, interview.state.closing)
        before = {s: {k: set(v) for k, v in _seen(st).items()} for s, st in interview.state.stages.items()}
        replies = interview.submit(answer)
        blocks.append(f"CANDIDATE MESSAGE\n{answer.strip()}")
        blocks.append(f"INTERVIEWER HIDDEN NOTE\n{_note(before, interview, answer, replies[0])}")
        blocks += [f"INTERVIEWER MESSAGE\n{plain(t.text)}" for t in replies]
    raise RuntimeError("the interview did not finish within 200 candidate turns")


def transcript(path: Path, store: Store, engine: Engine) -> str:
    """One persona's interview in the grader's format."""
    script = load_script(path)
    interview = Interview.start(script.case, script.level, store, engine, session_id=path.stem)
    case = interview.case
    expected = plain(interview.turns[0].text).split("\n\n")[-2]  # the opening's "You lead the design …"
    problem = (
        f"PROBLEM DESCRIPTION\n{case.title}\n\n{case.prompt.strip()}\n\n{expected}\n\n"
        f"Interview: machine-learning system design, level {script.level.value}, "
        f"{interview.state.minutes:.0f} minutes."
    )
    blocks = _blocks(interview, script)
    card = interview.final_scorecard()
    assert card is not None
    feedback = scorecard_markdown(card)
    return "\n\n".join([problem, *blocks, f"FEEDBACK\n{feedback}"]) + "\n"


def scorecard_markdown(card: Scorecard) -> str:
    """The scorecard as the terminal shows it (`ui.terminal.print_scorecard`), in Markdown."""
    lines = ["| stage | score | unrounded | gaps | hints |", "|---|---|---|---|---|"]
    for s in card.stages:
        gaps = ", ".join(g.label for g in s.gaps) or "-"
        lines.append(f"| {s.stage.label} | {s.score}/4 | {s.raw:.2f} | {gaps} | {s.hints} |")
    lines.append(
        f"\nOverall {card.overall:.2f}/4 ({OVERALL_NOTE}): {card.recommendation.value.replace('_', ' ')}"
    )
    lines.append(overview(card))
    for s in card.stages:
        lines += [f"\n## {s.stage.label}: {s.score}/4\n", s.feedback]
        if s.outline:
            lines += ["\nA strong answer also covers:", *[f"- {line}" for line in s.outline]]
    for dive in card.dives:
        lines += [f"\n## Deep dive: {dive.choice}\n", dive.question]
        if dive.answer:
            lines.append(f"\nYour answer: {one_line(dive.answer, QUOTE_CHARS)}")
        lines += ["\nA strong answer covers:", *[f"- {point}" for point in dive.points or dive.look_for]]
    return "\n".join(lines)


def build(paths: list[Path], out: Path = TRANSCRIPTS) -> list[Path]:
    """Write each persona's transcript to `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as data:
        store = Store(f"sqlite:///{Path(data) / 'yardstick.sqlite3'}")
        engine = build_engine(Settings(_env_file=None, data_dir=Path(data)))
        for path in paths:
            target = out / f"{path.stem}.txt"
            target.write_text(transcript(path, store, engine), encoding="utf-8")
            written.append(target)
        store.engine.dispose()
    return written


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted(PERSONAS.glob("*.yaml"))
    for written in build(paths):
        print(written)


if __name__ == "__main__":
    main(sys.argv[1:])
