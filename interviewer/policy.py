"""The interview policy: plain, deterministic code over the coverage state picks every move.

The candidate's text reaches this module only as an `Intent` (answer, question or an exact slash
command) and as coverage from the assessor, so no wording can steer the flow.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from common.ids import CORE_TOPICS, Level, Stage, Topic
from common.markup import one_line
from interviewer.models import Move, MoveKind, Rung, SessionState, StageState, TimeLeft
from knowledge.cases import embedded_questions, facts_asked
from rubric.assessors import answered_parts
from rubric.scoring import reasoned

if TYPE_CHECKING:
    from knowledge.cases import Case, DeepDive, ExpectedIdea, Misconception


class Intent(StrEnum):
    answer = "answer"
    question = "question"
    skip = "skip"
    hint = "hint"
    end = "end"
    time = "time"
    repeat = "repeat"
    """An answer the candidate already gave in this stage, word for word: nothing more to get here."""


#: an answer that only says the candidate does not know (or has nothing to add)
DONT_KNOW = re.compile(
    r"\s*(?:hmm+[,.]?\s*|well[,.]?\s*|sorry[,.]?\s*)?"
    r"(?:i['’]?m not sure|i am not sure|not sure|i don['’]?t know|no idea|"
    r"(?:i have |i've got )?nothing (?:else|more)(?: to add)?|that['’]?s all|i can['’]?t think of anything)"
    r"[\s.!,]*(?:sorry)?[\s.!]*$",
    re.IGNORECASE,
)

#: "not sure" answers in one stage after which the interviewer stops pressing the same point: it asks
#: about a must-probe point not raised yet, or moves on (a third question on the same would only loop)
UNSURE_LIMIT = 2

#: an answer that ends by saying the candidate is ready to go on ("otherwise ok, let's go", "that's it
#: from me"): no open "what else?" follows it
READY = re.compile(
    r"(?:\b(?:let['’]?s|let us|we can|can we) (?:go on|move on|go|continue|proceed|move to the next\w*)"
    r"|\b(?:that['’]?s|this is) (?:it|all)(?: from me| for (?:this|now))?|\b(?:i['’]?m|i am) done(?: here)?"
    r"|\bmoving on)[\s.!?,)]*(?:then|now)?[\s.!?]*$",
    re.IGNORECASE,
)

COMMANDS = {"/skip": Intent.skip, "/hint": Intent.hint, "/end": Intent.end, "/time": Intent.time}

#: each stage's share of the time budget, by level: juniors spend longer on modelling, staff
#: candidates on requirements, serving and operations
STAGE_SHARES: dict[Level, dict[Stage, float]] = {
    Level.junior: dict(zip(Stage, (0.10, 0.10, 0.18, 0.22, 0.16, 0.12, 0.12), strict=True)),
    Level.mid: dict(zip(Stage, (0.10, 0.10, 0.18, 0.20, 0.16, 0.14, 0.12), strict=True)),
    Level.senior: dict(zip(Stage, (0.12, 0.10, 0.16, 0.18, 0.16, 0.15, 0.13), strict=True)),
    Level.staff: dict(zip(Stage, (0.14, 0.10, 0.14, 0.14, 0.16, 0.17, 0.15), strict=True)),
}


@dataclass(frozen=True)
class PolicyConfig:
    max_probes: int = 3
    """Probe and hint moves per stage before moving on."""
    ladder: tuple[Rung, ...] = (Rung.pump, Rung.prompt, Rung.hint)
    """An open "what else?", then a pointed question, and a hint only when the question did not
    bring the idea out: an interviewer asks before it tells."""
    max_question_chars: int = 300
    curveballs: bool = True
    """At senior and staff level, play one of the case's curveballs (scripted evals turn it off: a
    script cannot answer a change it never heard)."""
    focus: bool = True
    """Once the candidate has made or touched some of a stage's points, pointed questions and hints
    go to must-probe ideas only (a core topic's, or the case's crux); the others get the stage's open
    "what else?" and are otherwise left to the scorecard: an interviewer spends the time on what
    matters for the case, not on every omission. A candidate who has said nothing to the point yet
    still gets the whole ladder."""
    enough: float = 0.6
    """The share of a stage's ideas made, core ones included, after which the stage counts as answered
    strongly: only a missed crux idea is still asked about, then a deep dive may follow; minor
    omissions become suggestions on the scorecard, not a "what else?"."""


def pick_curveball(case: Case, level: Level, seed: str, config: PolicyConfig = PolicyConfig()) -> str | None:
    """The curveball an interview at `level` plays: one of the case's, at senior and staff only."""
    if not config.curveballs or level not in (Level.senior, Level.staff) or not case.curveballs:
        return None
    return random.Random(seed).choice(case.curveballs).id


def classify(text: str, config: PolicyConfig = PolicyConfig()) -> Intent:
    """An exact slash command, a short question, or an answer."""
    stripped = text.strip()
    if stripped.lower() in COMMANDS:
        return COMMANDS[stripped.lower()]
    if stripped.endswith("?") and len(stripped) <= config.max_question_chars:
        return Intent.question
    return Intent.answer


def _priority(topic: Topic | None) -> int:
    return CORE_TOPICS.index(topic) if topic in CORE_TOPICS else len(CORE_TOPICS)


def _open_misconception(case: Case, stage: Stage, st: StageState) -> Misconception | None:
    items = [m for m in case.plan(stage).misconceptions if m.id in st.misconceptions]
    fresh = [m for m in items if m.id not in st.rungs]
    return min(fresh, key=lambda m: _priority(m.topic), default=None)


#: the longest quote of the candidate's words a challenge restates
QUOTE_CHARS = 160
#: the longest quote of a claim the open "what else?" asks about: enough to point at it, short of
#: reading their answer back to them
CLAIM_CHARS = 60


def must_probe(idea: ExpectedIdea) -> bool:
    """A core topic's idea, or one of the ideas that make this case hard (its crux)."""
    return idea.crux or idea.topic in CORE_TOPICS


def missed_ideas(case: Case, stage: Stage, st: StageState) -> list[ExpectedIdea]:
    """The stage's expected ideas the candidate has not given and the interviewer has not let go: the
    core topics first, then the case's crux, then the rest."""
    ideas = case.plan(stage).ideas
    missed = [i for i in ideas if i.id not in st.met and i.id not in st.asserted]
    return sorted(missed, key=lambda i: (_priority(i.topic), not i.crux))


def _exhausted(case: Case, stage: Stage, st: StageState, config: PolicyConfig) -> list[str]:
    """Missed ideas whose whole ladder was tried: the interviewer lets them go (the end feedback names
    them) and they no longer count for the candidate."""
    return [i.id for i in missed_ideas(case, stage, st) if not _rungs_left(st, i.id, config)]


def _rungs_left(st: StageState, item: str, config: PolicyConfig) -> list[Rung]:
    """The rungs not yet tried for `item`. The pump ("what else?") is open, not about one idea, so a
    stage gets one (a deep dive takes its place): after it, the next missed idea starts at its
    pointed question."""
    used = st.rungs.get(item, [])
    pumped = any({Rung.pump, Rung.dive} & set(rungs) for rungs in st.rungs.values())  # a dive asked for more
    return [r for r in config.ladder if r not in used and not (r is Rung.pump and pumped)]


def time_left(state: SessionState, now: datetime) -> TimeLeft:
    """Minutes left in the current stage's share of the budget and in the whole interview."""
    share = STAGE_SHARES[state.level][state.stage] * state.minutes
    started = state.current.started_at or state.started_at
    return TimeLeft(
        stage_minutes=round(share - (now - started).total_seconds() / 60, 1),
        total_minutes=round(state.minutes - (now - state.started_at).total_seconds() / 60, 1),
    )


def question_key(text: str) -> str:
    return " ".join(sorted(set(re.findall(r"[a-z0-9]+", text.lower()))))


def _clarify(case: Case, state: SessionState, text: str) -> Move:
    facts = facts_asked(case, text)
    if facts:
        return Move(kind=MoveKind.clarify, stage=state.stage, facts=facts)
    key = question_key(text)
    assumption = state.assumptions.get(key, "Not fixed by the brief: the candidate states the assumption.")
    return Move(kind=MoveKind.clarify, stage=state.stage, assumption=assumption)


def _already_answered(case: Case, state: SessionState, text: str) -> bool:
    """A question whose facts were all given in this stage (or an unanswerable one already asked):
    answering it again would loop, so it is taken as an answer and the interview goes on."""
    facts = facts_asked(case, text)
    if not facts:
        return question_key(text) in state.assumptions
    return set(facts) <= set(state.current.facts)


def _given(state: SessionState) -> set[str]:
    """Requirement facts the interview has given so far, in any stage."""
    return {f for st in state.stages.values() for f in st.facts}


def _asked_inline(case: Case, state: SessionState, text: str) -> list[str]:
    """Requirement facts that an answer's embedded questions ask about and no stage has given yet (a
    fact already given is not pasted again for a passing or rhetorical question)."""
    given = _given(state)
    asked = [f for q in embedded_questions(text) for f in facts_asked(case, q)]
    return [f for f in dict.fromkeys(asked) if f not in given]


def next_move(
    case: Case,
    state: SessionState,
    intent: Intent,
    text: str = "",
    config: PolicyConfig = PolicyConfig(),
    now: datetime | None = None,
) -> Move:
    stage = state.stage
    left = time_left(state, now) if now else None
    if intent is Intent.end or state.closing:
        return Move(kind=MoveKind.wrap_up, stage=stage)
    if intent is Intent.time:
        return Move(kind=MoveKind.clarify, stage=stage, time_left=left)
    if intent is Intent.question and not _already_answered(case, state, text):
        return _clarify(case, state, text)
    if intent is Intent.answer and (narrow := _narrow_dive(case, state, left, text)) is not None:
        return narrow
    unsure = intent is Intent.answer and bool(DONT_KNOW.match(text))
    said = text if intent is Intent.answer else ""
    ready = intent is Intent.answer and bool(READY.search(text))
    move = _answer_move(
        case, state, intent, config, left, _told(case, state, text, intent), unsure, said, ready
    )
    if move.kind is MoveKind.wrap_up:  # the last stage is done: the candidate's questions first
        # after the closing deep dive, the close leaves that dive first: the scorecard goes over it
        return move.model_copy(update={"kind": MoveKind.ask, "closing": True, "idea": state.diving})
    if move.kind is not MoveKind.clarify and (again := _asked_again(case, state, text, intent)):
        move = move.model_copy(update={"recap": again, "recap_asked": text})
    elif move.kind is not MoveKind.clarify and _unanswerable_again(case, state, text, intent):
        move = move.model_copy(update={"unknown_again": True})
    if intent is Intent.answer and move.kind is not MoveKind.clarify:  # answer what it asked, then go on
        move = move.model_copy(update={"facts": _asked_inline(case, state, text)})
        if (
            move.facts
            and move.kind is MoveKind.advance
            and stage is Stage.clarifying_requirements
            and not ready
        ):
            # the facts it asked for close no stage: the candidate reacts to them, or asks more, first
            move = Move(kind=MoveKind.clarify, stage=stage, facts=move.facts, more=True)
    return move


#: a question inside an answer that is asked outright ("I want ask: …", "can you tell me …"), not
#: in passing or rhetorically
ASKED_OUTRIGHT = re.compile(
    r"\b(want|need|like|wanted|would like) (to )?(ask|know)\b|\bcan you (tell|remind)\b|\bone more\b",
    re.IGNORECASE,
)


def _asked_again(case: Case, state: SessionState, text: str, intent: Intent) -> list[str]:
    """Facts given earlier that a question asks for again: a whole turn asked as a question, or a
    question inside an answer asked outright. They are said again rather than left unanswered."""
    if intent is Intent.question:
        questions = [text]
    elif intent is Intent.answer:
        questions = [q for q in embedded_questions(text) if ASKED_OUTRIGHT.search(q)]
    else:
        return []
    given = _given(state)
    asked = [f for q in questions for f in facts_asked(case, q)]
    return [f for f in dict.fromkeys(asked) if f in given]


def _unanswerable_again(case: Case, state: SessionState, text: str, intent: Intent) -> bool:
    """A whole turn asking again a question the requirement sheet cannot answer."""
    return (
        intent is Intent.question and not facts_asked(case, text) and question_key(text) in state.assumptions
    )


def _told(case: Case, state: SessionState, text: str, intent: Intent) -> set[str]:
    """Requirement facts given so far, with those the current answer asks for."""
    given = _given(state)
    return (
        given
        | set(facts_asked(case, text) if intent is Intent.question else [])
        | {f for q in embedded_questions(text) for f in facts_asked(case, q)}
    )


def _asked_already(st: StageState, stage: Stage, idea: ExpectedIdea, told: set[str]) -> bool:
    """A requirements idea the candidate's questions came near (the judge found it touched), or whose
    facts (the sheet lines that answer its pointed question) were all given: asking it would put the
    candidate's own question back to them."""
    if stage is not Stage.clarifying_requirements:
        return False
    return idea.id in st.shallow or (bool(idea.facts) and set(idea.facts) <= told)


def _answer_move(
    case: Case,
    state: SessionState,
    intent: Intent,
    config: PolicyConfig,
    left: TimeLeft | None,
    told: set[str] = frozenset(),  # type: ignore[assignment]
    unsure: bool = False,
    said: str = "",
    ready: bool = False,
) -> Move:
    """`unsure`: the answer says the candidate has nothing (more) to say; a point they already touched
    is then left to the scorecard instead of pressed on with a pointed question or a hint. `said`:
    the answer just given (the open follow-up asks why only about a claim made in it). `ready`: the
    answer ends by saying the candidate is ready to go on; no open "what else?" or hint follows, only
    a must-probe point's pointed question."""
    stage, st = state.stage, state.current
    asserted = _exhausted(case, stage, st, config)
    if ready:  # the ladder's other rungs stay for `_exhausted`: an idea is not let go for this
        config = replace(config, ladder=(Rung.prompt,), focus=True)
    elif unsure:  # "anything more?" after "not sure" asks nothing: a pointed question, or a hint
        config = replace(config, ladder=tuple(r for r in config.ladder if r is not Rung.pump))
    if intent is Intent.skip:
        return _advance(stage, asserted)
    if intent is Intent.repeat:
        move = _move_on(case, state, asserted, left)
        return move.model_copy(update={"repeated": move.kind is MoveKind.advance})
    if intent is Intent.hint:
        dive = case.deep_dive(state.diving)
        return (_dive_hint(state, dive) if dive else None) or _hint(case, stage, st, config)
    out_of_time = left is not None and (left.stage_minutes <= 0 or left.total_minutes <= 0)
    if st.probes >= config.max_probes or out_of_time:
        return _move_on(case, state, asserted, left)
    if unsure and st.unsure >= UNSURE_LIMIT:  # not a third question on the same: another angle, or on
        return _other_angle(case, state, asserted, left, told)
    wrong = _open_misconception(case, stage, st)
    if wrong is not None:
        return Move(
            kind=MoveKind.probe,
            stage=stage,
            topic=wrong.topic,
            idea=wrong.id,
            rung=Rung.challenge,
            quote=one_line(next(iter(st.misconceptions.get(wrong.id, [])), ""), QUOTE_CHARS),
            asserted=asserted,
        )
    missed = [
        i
        for i in missed_ideas(case, stage, st)
        if not _asked_already(st, stage, i, told)
        and not (unsure and i.id in st.shallow)
        and (must_probe(i) or not ready)
    ]
    if not missed or _strong_enough(case, stage, st, config):
        return _strong_stage(case, state, missed, asserted, config, left, said)
    if found := _next_rung(missed, st, config):
        return _rung_move(stage, st, *found, asserted, said=said)
    return _move_on(case, state, asserted, left)


def _other_angle(
    case: Case, state: SessionState, asserted: list[str], left: TimeLeft | None, told: set[str]
) -> Move:
    """After a second "not sure" in a stage: the pointed question of a must-probe idea not asked about
    yet (a different angle, since the candidate is stuck on this one), else the next stage."""
    stage, st = state.stage, state.current
    fresh = [
        i
        for i in missed_ideas(case, stage, st)
        if must_probe(i) and not st.rungs.get(i.id) and not _asked_already(st, stage, i, told)
    ]
    if fresh:
        return _rung_move(stage, st, fresh[0], Rung.prompt, asserted)
    return _move_on(case, state, asserted, left)


def _strong_stage(
    case: Case,
    state: SessionState,
    missed: list[ExpectedIdea],
    asserted: list[str],
    config: PolicyConfig,
    left: TimeLeft | None,
    said: str = "",
) -> Move:
    """A stage answered strongly: a missed crux idea is still asked about (openly, then pointedly,
    never with a hint), then the interviewer follows the candidate into a component they proposed;
    minor omissions are left to the scorecard's suggestions, not a "what else?"."""
    st = state.current
    crux = [i for i in missed if must_probe(i)]
    found = _next_rung(crux, st, config)
    if found is not None and found[1] is not Rung.hint:
        return _rung_move(state.stage, st, *found, said=said)
    if (dive := _open_dive(case, state)) is not None:  # follow the candidate's own design
        return _dive(state.stage, dive, state, asserted)
    return _move_on(case, state, asserted, left)


def _open_dive(case: Case, state: SessionState) -> DeepDive | None:
    """A component of this stage the candidate proposed and the interviewer has not dug into, when
    the stage has no dive yet: a strong answer is followed into its own choices, not asked for more."""
    if any(Rung.dive in rungs for rungs in state.current.rungs.values()):
        return None
    stated = _open_choices(case, state)
    return next((d for d in stated if d.stage is state.stage), None)


def _open_choices(case: Case, state: SessionState) -> list[DeepDive]:
    """Components the candidate proposed that the interviewer has not dug into and that their
    answers have not already explained (half or more of a strong answer's points made unasked: a
    dive then would ask again what they said)."""
    done = state.dived()
    return [
        d
        for d in case.deep_dives
        if d.id in state.choices
        and d.id not in done
        and 2 * len(state.explained.get(d.id, [])) < len(d.look_for)
    ]


def _move_on(case: Case, state: SessionState, asserted: list[str], left: TimeLeft | None) -> Move:
    """Advance, or, when the last stage is done and time is left, first a closing deep dive on one
    component the candidate proposed, as real interviews spend their last minutes (once, and only
    when no stage dug into one)."""
    last = state.stage is list(Stage)[-1]
    time_left = left is None or left.total_minutes > 0
    if last and time_left and not state.dived():
        dive = next(iter(_open_choices(case, state)), None)
        if dive is not None:
            return _dive(state.stage, dive, state, asserted)
    return _advance(state.stage, asserted)


def _narrow_dive(case: Case, state: SessionState, left: TimeLeft | None, text: str) -> Move | None:
    """After an answer to a deep dive that made none of its points (a blank, or another subject),
    once, as an interviewer steers back instead of moving on: one part of the dive's question on its
    own, a pointed question before any hint (asked for, `/hint` gives it), saying first that the
    answer did not get to what was asked (or, after "not sure", that this is fine); a question in
    one part has no smaller step, so the hint is the step."""
    dive = case.deep_dive(state.diving)
    if dive is None or not state.dive_missed or (left is not None and left.total_minutes <= 0):
        return None
    if Rung.narrow in state.current.rungs.get(dive.id, []):
        return None
    skip = dive_skip(dive, state)
    if dive.first_part(skip) is not None:
        unsure = bool(DONT_KNOW.match(text))
        return Move(
            kind=MoveKind.probe, stage=state.stage, idea=dive.id, rung=Rung.narrow, unsure=unsure, skip=skip
        )
    return _dive_hint(state, dive)


def dive_skip(dive: DeepDive, state: SessionState) -> list[int]:
    """The parts of a dive's question that the candidate's answers made before it was asked."""
    return answered_parts(dive, state.explained.get(dive.id, []))


def _dive_hint(state: SessionState, dive: DeepDive) -> Move | None:
    """The dive's hint, unless it was given (or the dive has none)."""
    if dive.hint is None or Rung.dive_hint in state.current.rungs.get(dive.id, []):
        return None
    return Move(kind=MoveKind.hint, stage=state.stage, idea=dive.id, rung=Rung.dive_hint)


def _dive(stage: Stage, dive: DeepDive, state: SessionState, asserted: list[str]) -> Move:
    quote = one_line(state.choices[dive.id], QUOTE_CHARS)
    skip = dive_skip(dive, state)
    return Move(
        kind=MoveKind.probe,
        stage=stage,
        idea=dive.id,
        rung=Rung.dive,
        quote=quote,
        asserted=asserted,
        skip=skip,
    )


def _next_rung(
    missed: list[ExpectedIdea], st: StageState, config: PolicyConfig
) -> tuple[ExpectedIdea, Rung] | None:
    """Breadth first within each tier: every must-probe idea gets its pointed question before any gets
    a hint, and all of them come before the other ideas (the open pump goes to the first missed)."""
    focused = config.focus and bool(st.met or st.shallow)
    options = [
        ((not must_probe(idea), config.ladder.index(rung), n), idea, rung)
        for n, idea in enumerate(missed)
        for rung in _rungs_left(st, idea.id, config)
        if must_probe(idea) or rung is Rung.pump or not focused
    ]
    if not options:
        return None
    _, idea, rung = min(options, key=lambda option: option[0])
    return idea, rung


def _rung_move(
    stage: Stage,
    st: StageState,
    idea: ExpectedIdea,
    rung: Rung,
    asserted: list[str] | None = None,
    said: str = "",
) -> Move:
    """A rung of `idea`'s ladder as a move: a hint, or a probe (the open "what else?" following a
    claim the answer just given made without a reason, when there is one)."""
    kind = MoveKind.hint if rung is Rung.hint else MoveKind.probe
    quote = _unreasoned_claim(st, said) if rung is Rung.pump else None
    return Move(
        kind=kind,
        stage=stage,
        topic=idea.topic,
        idea=idea.id,
        rung=rung,
        quote=quote,
        asserted=asserted or [],
    )


def _unreasoned_claim(st: StageState, said: str) -> str | None:
    """A point the answer just given (`said`) made without a reason, a number or a trade-off, in the
    candidate's words: the open "what else?" first asks for the reasoning behind it, as an
    interviewer follows a claim rather than asking for more in general. Not a point made earlier
    ("why is that right?" after a question or a one-line reply asks about the wrong thing), nor one
    the candidate conceded when a mistake was challenged (asking them to defend the correction), nor
    after an answer that gives a reason, a number or a trade-off anywhere."""
    if reasoned(said):  # the answer already argues for what it proposes: "why?" would ask again
        return None
    conceded = set(st.corrected.values())
    for idea, evidence in st.met.items():
        if idea in st.elsewhere or idea in conceded:
            continue
        for quote in evidence:
            if quote in said and not reasoned(quote):
                return one_line(quote, CLAIM_CHARS)
    return None


def _strong_enough(case: Case, stage: Stage, st: StageState, config: PolicyConfig) -> bool:
    """Every core idea made and at least `config.enough` of the stage's ideas."""
    ideas = case.plan(stage).ideas
    if any(i.topic in CORE_TOPICS and i.id not in st.met for i in ideas):
        return False
    return sum(i.id in st.met for i in ideas) >= config.enough * len(ideas)


def _hint(case: Case, stage: Stage, st: StageState, config: PolicyConfig) -> Move:
    """`/hint`: the next help on the first missed idea that has some left (its hint, then its pointed
    question); when every missed idea's ladder is used up, there is nothing more to point to."""
    missed = missed_ideas(case, stage, st)
    for idea in missed:
        used = st.rungs.get(idea.id, [])
        for rung in (Rung.hint, Rung.prompt):
            if rung in config.ladder and rung not in used:
                return _rung_move(stage, st, idea, rung)
    return Move(kind=MoveKind.hint, stage=stage, asserted=[i.id for i in missed])


def _advance(stage: Stage, asserted: list[str]) -> Move:
    if stage is list(Stage)[-1]:
        return Move(kind=MoveKind.wrap_up, stage=stage, asserted=asserted)
    return Move(kind=MoveKind.advance, stage=stage, asserted=asserted)


def next_stage(stage: Stage) -> Stage | None:
    order = list(Stage)
    index = order.index(stage)
    return order[index + 1] if index + 1 < len(order) else None
