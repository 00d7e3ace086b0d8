"""From coverage to scores: 1-4 per criterion against its anchors, per stage, and a recommendation.

1 missing or wrong, 2 shallow, 3 solid, 4 excellent. A criterion is scored by what its ideas got:
made, only touched (shallow), not discussed, or contradicted by a misconception. An idea counts by
how it came: in full when the candidate gave it unprompted or after an open "what else?", in part
after a hint or a pointed question, not at all once the interviewer stated it. A probe costs nothing
by itself. Gaps are what is wrong or centrally missing; thin or minor points become suggestions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import Field

from common.base import Strict
from common.ids import CORE_TOPICS, CaseId, Level, Recommendation, Stage, Topic
from common.markup import lower_first, one_line

if TYPE_CHECKING:
    from knowledge.cases import Case, ExpectedIdea, Misconception
    from rubric.assessors import Coverage

#: what a made idea is worth when it came after a hint or a pointed question
HELPED = 0.5
#: the share of a criterion's ideas made unaided (with depth in the evidence) that earns a 4
EXCELLENT = 0.66
#: what an idea only touched is worth
SHALLOW = 0.4
#: the longest quote of the candidate's words a feedback line repeats
QUOTE_CHARS = 140
#: a reason, a number or a weighed alternative in the evidence: what lifts a solid criterion to a 4
_DEPTH = re.compile(
    r"\d|\b(because|since|so that|so we|to avoid|otherwise|which means|trade-?offs?|instead of|rather than"
    r"|vs\.?|versus|at the cost of|cheaper|faster|safer)\b|,\s*so\b(?! (far|much|many|on)\b)",
    re.IGNORECASE,
)
#: a question that weighs alternatives ("chargeback dollars, or the good shopper we decline?"): the
#: depth of a clarifying question
_WEIGHED = re.compile(r"\bor\b[^?]*\?")


def reasoned(quote: str) -> bool:
    """Whether the candidate's words give a reason, a number or a weighed alternative."""
    return bool(_DEPTH.search(quote) or _WEIGHED.search(quote))


#: the mean stage score a candidate must reach for `lean_hire`, by level
HIRE_BAR: dict[Level, float] = {
    Level.junior: 2.25,
    Level.mid: 2.5,
    Level.senior: 2.85,
    Level.staff: 3.2,
}


class CriterionScore(Strict):
    id: str
    score: int = Field(ge=1, le=4)
    evidence: list[str] = []
    """Verbatim quotes from the candidate's answer."""


class StageScore(Strict):
    """One stage's grade; also the JSON `mlsd grade` prints."""

    case: CaseId
    stage: Stage
    score: int = Field(ge=1, le=4)
    criteria: list[CriterionScore]
    gaps: list[Topic] = []
    """Topics the answer got wrong, or central ones it never discussed."""
    suggestions: list[Topic] = []
    """Topics it only touched, or minor ones it left out: worth going deeper, not held against it."""
    feedback: str
    provider: str
    prompt_version: str
    hints: int = 0
    help_cost: float = 0.0
    """Points the stage lost because ideas came only after help (hints, pointed questions, told)."""
    raw: float = Field(ge=1, le=4)
    """The unrounded score."""
    done_well: dict[str, list[str]] = {}
    """Per criterion, the candidate's words for each point made unaided (the feedback's "Done well")."""
    said_in: dict[str, Stage] = {}
    """For a quote of `done_well` said while answering another stage (credit a point gets where it
    belongs), that stage: a quote shown under a stage it was not said in would read as misplaced."""
    strengths: list[Topic] = []
    """Topics whose points the answer made unaided (the overview names them)."""
    mistakes: list[str] = []
    """Known mistakes the answer stated, by the head of their text ("shuffling all payments into a
    random train/test split"), each marked when the candidate corrected it once challenged (the
    overview recaps them)."""
    outline: list[str] = []
    """What a strong answer to the stage covers, one line per expected idea: shown after the attempt
    (the scorecard, a graded answer), never during the interview."""


class DiveNote(Strict):
    """A deep dive the interviewer asked, and what a strong answer to it covers."""

    choice: str
    question: str
    look_for: list[str]
    answer: str = ""
    """The candidate's answer to it, as typed."""
    points: list[str] = []
    """`look_for`, each point with what the answer did with it ("Made: …", "Not covered: …")."""


class Scorecard(Strict):
    case: CaseId
    level: Level
    stages: list[StageScore]
    dives: list[DiveNote] = []
    overall: float
    recommendation: Recommendation
    hint_penalty: float
    """Points lost across the interview to ideas that came only after help."""
    unanswered: list[str] = []
    """Where the candidate said they did not know, one entry per question: a stage's label, or "the
    deep dive on <component>"."""
    repeated: list[str] = []
    """Where the candidate met a question with an earlier answer again, word for word, one entry per
    question: a stage's label, or "the deep dive on <component>"."""


#: quotes of what was done well in a stage's feedback (the rest show in its outline's marks)
DONE_WELL_QUOTES = 2

#: a stage that leaves one of its core topics (training-serving skew, data leakage, metric choice)
#: undiscussed, or discussed only once told, is at most shallow, however well the rest is covered
CENTRAL_GAP_CAP = 2.0
#: the most a stage scores whose answer stated a known mistake, corrected only once challenged: the
#: correction saves it from a 1, not from having needed the challenge
CORRECTED_CAP = 2.0
#: the most a stage scores when the deep dive on a component the candidate proposed for it was
#: answered only with "not sure": naming a component is not the depth a 4 stands for
UNANSWERED_DIVE_CAP = 3


def _round(value: float) -> int:
    return int(min(4, max(1, value + 0.5)))


def score_stage(
    case: Case,
    stage: Stage,
    coverage: Coverage,
    *,
    criteria: list[str],
    credit: Mapping[str, float] | None = None,
    hints: int = 0,
    corrected: Sequence[str] = (),
    unanswered_dive: str | None = None,
    said_in: Mapping[str, Stage] | None = None,
    provider: str = "offline",
    prompt_version: str = "",
) -> StageScore:
    """`credit` maps an idea id to what it is worth by how it came (1 when absent: unprompted).
    `unanswered_dive`: the component of the candidate's own design whose deep dive, judged in this
    stage, they answered only with "not sure"; a 4 needs that depth. `said_in`: for evidence taken
    from the answers to other stages, the stage it was said in."""
    plan = case.plan(stage)
    credit = credit or {}
    wrong = {m.topic for m in plan.misconceptions if m.id in coverage.misconceptions}
    scores = _criteria(plan.ideas, coverage, credit, wrong, criteria)
    gaps, suggestions = _gaps(case, stage, coverage, credit)
    central = _central(case, stage, coverage, credit)
    raw = min(_raw(scores, coverage), CENTRAL_GAP_CAP) if central else _raw(scores, coverage)
    if corrected:  # a mistake stated as the plan and put right only once challenged
        raw = min(raw, CORRECTED_CAP)
    unaided = _raw(_criteria(plan.ideas, coverage, {}, wrong, criteria), coverage)
    if _central(case, stage, coverage, {}):
        unaided = min(unaided, CENTRAL_GAP_CAP)
    dive_cap = unanswered_dive if unanswered_dive and _round(raw) > UNANSWERED_DIVE_CAP else None
    if unanswered_dive:  # not a help cost: the cap holds with or without the hints
        raw, unaided = min(raw, UNANSWERED_DIVE_CAP), min(unaided, UNANSWERED_DIVE_CAP)
    score = _round(raw)
    if score == 4:  # a stage at the top anchor has no gap: what it left out is a suggestion
        gaps, suggestions = [], list(dict.fromkeys(suggestions + gaps))
    done_well = _done_well(plan.ideas, coverage, credit, wrong)
    shown = {one_line(q, QUOTE_CHARS): where for q, where in (said_in or {}).items() if where is not stage}
    said_elsewhere = {q: shown[q] for quotes in done_well.values() for q in quotes if q in shown}
    return StageScore(
        case=case.id,
        stage=stage,
        score=score,
        criteria=scores,
        gaps=gaps,
        suggestions=suggestions,
        feedback=_feedback(
            case,
            stage,
            coverage,
            credit,
            corrected,
            central,
            score=score,
            scores=scores,
            dive=dive_cap,
            said_in=said_elsewhere,
        ),
        provider=provider,
        prompt_version=prompt_version,
        hints=hints,
        help_cost=round(max(0.0, unaided - raw), 3),
        raw=round(raw, 3),
        done_well=done_well,
        said_in=said_elsewhere,
        strengths=list(
            dict.fromkeys(
                i.topic for i in plan.ideas if i.topic and _status(i, coverage, credit, wrong) == MADE
            )
        ),
        outline=_outline(
            case,
            plan.ideas,
            coverage,
            credit,
            wrong,
            TOP_OUTLINE_POINTS if score == 4 else OUTLINE_POINTS,
            gaps,
        ),
        mistakes=[
            _name(m) + (" (corrected when asked)" if m.id in corrected else "")
            for m in plan.misconceptions
            if m.id in coverage.misconceptions or m.id in corrected
        ],
    )


def _name(item: Misconception, words: int = 10) -> str:
    """A mistake named by the head of its text: "shuffling all payments into a random train/test
    split", not the verdict that follows it."""
    head = _HEAD_END.split(" ".join(item.text.split()), maxsplit=1)[0].rstrip(". ,").split()
    if len(head) <= words:
        return lower_first(" ".join(head))
    kept = " ".join(head[:words])
    clause = kept.rsplit(",", 1)[0]
    return lower_first(clause if clause != kept and len(clause.split()) >= 4 else kept + "…")


_HEAD_END = re.compile(
    r",? which |,? so that |;|,? because |,? since |,? on the belief | — | - |: |,? as if |,? assuming "
    r"|,? when |,? even though |,? so |,? although |\. "
)


def _done_well(
    ideas: list[ExpectedIdea], coverage: Coverage, credit: Mapping[str, float], wrong: set[Topic | None]
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for idea in ideas:
        if _status(idea, coverage, credit, wrong) == MADE:
            quote = one_line(coverage.met[idea.id][0], QUOTE_CHARS)
            if quote not in out.get(idea.criterion, []):
                out.setdefault(idea.criterion, []).append(quote)
    return out


#: the most points a stage's outline lists; a stage at the top anchor lists the one that matters most
OUTLINE_POINTS = 3
TOP_OUTLINE_POINTS = 1


def _outline(
    case: Case,
    ideas: list[ExpectedIdea],
    coverage: Coverage,
    credit: Mapping[str, float],
    wrong: set[Topic | None],
    limit: int,
    gaps: Collection[Topic] = (),
) -> list[str]:
    """What a strong answer also covers: the points the answer did not make unaided, each with what
    the answer did with it, at most `limit` of them plus the first point of each gap (so every gap
    the scorecard names has its point in the stage's section, marked with it), what matters most
    first: a point got wrong, then a core topic's or the case's crux (its first two sentences: the
    point and its why), then the gaps' points, then the rest by their first sentence. The
    points made are quoted as done well; listing them again, or every minor miss, only lengthens the
    scorecard."""
    missed = []
    statuses = {i.id: _status(i, coverage, credit, wrong) for i in ideas}
    first_of_gap = {
        next(i.id for i in ideas if i.topic == topic and statuses[i.id] != MADE)
        for topic in gaps
        if any(i.topic == topic and statuses[i.id] != MADE for i in ideas)
    }
    for n, idea in enumerate(ideas):
        status = statuses[idea.id]
        if status == MADE:
            continue
        full = idea.crux or idea.topic in CORE_TOPICS
        rank = 0 if status == "Got wrong" else 1 if full else 2 if idea.id in first_of_gap else 3
        text = _first_sentence(idea.text, 2 if full else 1)
        tag = f" (gap: {idea.topic.label})" if idea.id in first_of_gap and idea.topic else ""
        missed.append((rank, n, f"{status}: {text}{tag}{_you_said(case, idea, coverage, status)}"))
    ranked = sorted(missed)
    return [line for k, (_, _, line) in enumerate(ranked) if k < limit or "(gap: " in line]


def _you_said(case: Case, idea: ExpectedIdea, coverage: Coverage, status: str) -> str:
    """For a point made or touched only after help, the candidate's words that made it; for one
    touched by asking for its facts, their question. Any other point only touched is not quoted:
    the judge's loose match is weak evidence, and a quote beside a point it does not make misleads
    more than no quote."""
    quotes = coverage.met.get(idea.id) or coverage.shallow.get(idea.id) or []
    if status in HELPED_MARKS and quotes:
        return f' You said: "{_their_words(quotes)}"'
    from knowledge.cases import facts_asked

    asked = _asking(quotes)
    if status != TOUCHED or not asked:
        return ""

    # the question that asks most of this point's facts ("how much of our traffic is from new users?"
    # asks about traffic too, but it is the cold-start question), the shortest of those
    best = min(asked, key=lambda q: (-len(set(facts_asked(case, q)) & set(idea.facts)), len(q)))
    return f' You asked: "{one_line(best, QUOTE_CHARS)}"'


def _asking(quotes: list[str]) -> list[str]:
    """The quotes that ask something: "…?", or "I'd like to know how …"."""
    from knowledge.cases import embedded_questions

    return [q for q in quotes if embedded_questions(q)]


def _status(
    idea: ExpectedIdea, coverage: Coverage, credit: Mapping[str, float], wrong: set[Topic | None]
) -> str:
    worth = credit.get(idea.id, 1.0)
    if idea.topic and idea.topic in wrong:  # a topic stated wrongly is not also done well
        return "Got wrong"
    if idea.id in coverage.met:
        return MADE if worth >= 1.0 else MADE_HELPED if worth > 0 else TOLD
    if idea.id in coverage.shallow:
        return TOUCHED if worth >= 1.0 else TOUCHED_HELPED if worth > 0 else TOLD
    return NOT_COVERED


#: an outline point's mark, in words that need no legend
MADE, MADE_HELPED, TOLD = "Made", "Made after a prompt", "Told by the interviewer"
TOUCHED, TOUCHED_HELPED = "Mentioned, not explained", "Mentioned after a prompt"
NOT_COVERED = "Not covered"
HELPED_MARKS = (MADE_HELPED, TOUCHED_HELPED)


def _central(case: Case, stage: Stage, coverage: Coverage, credit: Mapping[str, float]) -> list[Topic]:
    """The stage's core topics of which nothing was discussed, or only once told (a topic stated
    wrongly is not here: its mistake scores the stage on its own; a depth idea expected only at
    senior or staff, or a curveball's adjustment, is beyond the basics, so it never caps)."""
    plan = case.plan(stage)
    wrong = {m.topic for m in plan.misconceptions if m.id in coverage.misconceptions}
    beyond = {c.idea.id for c in case.curveballs}
    out = []
    for topic in CORE_TOPICS:
        ideas = [i for i in plan.ideas if i.topic == topic and i.level is None and i.id not in beyond]
        if ideas and topic not in wrong and max(_worth(i.id, coverage, credit) for i in ideas) == 0:
            out.append(topic)
    return out


def _first_sentence(text: str, count: int = 1) -> str:
    """An idea's first `count` sentences: its point (and its why), without the rest."""
    flat = " ".join(text.split())
    ends = [m.start() + 1 for m in re.finditer(r"[.!?](\s|$)", flat)]
    return flat[: ends[count - 1]] if len(ends) >= count else flat


def _raw(scores: list[CriterionScore], coverage: Coverage) -> float:
    """The mean criterion score. By the anchors, an answer that states a known misconception as its
    plan is a 1, and one that discusses the stage's points or subject without a misconception is at
    least a 2 (a 1 is wrong or skipped, a generic answer is a 2)."""
    if coverage.misconceptions:
        return 1.0
    mean = sum(c.score for c in scores) / len(scores)
    return max(mean, 2.0) if coverage.met or coverage.shallow or coverage.on_topic else mean


def _criteria(
    ideas: list[ExpectedIdea],
    coverage: Coverage,
    credit: Mapping[str, float],
    wrong: set[Topic | None],
    criteria: list[str],
) -> list[CriterionScore]:
    out = []
    for criterion in criteria:
        mine = [i for i in ideas if i.criterion == criterion]
        if mine:
            out.append(_criterion(criterion, mine, coverage, credit, wrong))
    return out


def _criterion(
    criterion: str,
    ideas: list[ExpectedIdea],
    coverage: Coverage,
    credit: Mapping[str, float],
    wrong: set[Topic | None],
) -> CriterionScore:
    """Against the anchors: 1 nothing or wrong; 2 touched, or made as bare mentions; 3 at least half
    made with a reason, number or trade-off somewhere in the evidence; 4 two thirds made unaided,
    with such depth. A one-idea criterion made without depth is a 2, with depth a 4 only unaided."""
    evidence = [q for i in ideas for q in coverage.met.get(i.id, []) + coverage.shallow.get(i.id, [])]
    evidence = list(dict.fromkeys(evidence))
    if any(i.topic in wrong for i in ideas if i.topic):
        return CriterionScore(id=criterion, score=1, evidence=evidence)
    points = sum(_worth(i.id, coverage, credit) for i in ideas) / len(ideas)
    unaided = _unaided(ideas, coverage, credit)
    full = unaided >= EXCELLENT
    if points <= 0:
        score = 1
    elif full and any(reasoned(q) for q in evidence):
        score = 4
    elif points >= 0.5:
        score = 3
    else:
        score = 2
    return CriterionScore(id=criterion, score=score, evidence=evidence)


def _unaided(ideas: list[ExpectedIdea], coverage: Coverage, credit: Mapping[str, float]) -> float:
    """The share of `ideas` made in full without help."""
    return sum(i.id in coverage.met and credit.get(i.id, 1.0) >= 1.0 for i in ideas) / len(ideas)


def _worth(idea: str, coverage: Coverage, credit: Mapping[str, float]) -> float:
    made = 1.0 if idea in coverage.met else SHALLOW if idea in coverage.shallow else 0.0
    return made * credit.get(idea, 1.0)


def _gaps(
    case: Case, stage: Stage, coverage: Coverage, credit: Mapping[str, float]
) -> tuple[list[Topic], list[Topic]]:
    """Gaps: topics stated wrongly, and topics nothing of which was discussed (a core topic is a gap
    unless made). Suggestions: topics only touched, or given only after help."""
    plan = case.plan(stage)
    gaps = [m.topic for m in plan.misconceptions if m.id in coverage.misconceptions and m.topic]
    suggestions = []
    for topic in plan.topics:
        ideas = [i for i in plan.ideas if i.topic == topic]
        if not ideas or topic in gaps:
            continue
        worth = max(_worth(i.id, coverage, credit) for i in ideas)
        touched = any(i.id in coverage.met or i.id in coverage.shallow for i in ideas)
        if not touched or (topic in CORE_TOPICS and worth < HELPED):
            gaps.append(topic)
        elif worth < 1.0:
            suggestions.append(topic)
    return list(dict.fromkeys(gaps)), suggestions


def _feedback(
    case: Case,
    stage: Stage,
    coverage: Coverage,
    credit: Mapping[str, float],
    corrected: Sequence[str] = (),
    central: Sequence[Topic] = (),
    score: int = 4,
    scores: Sequence[CriterionScore] = (),
    dive: str | None = None,
    said_in: Mapping[str, Stage] | None = None,
) -> str:
    """`dive`: the component whose unanswered deep dive held a 4 down to 3. `said_in`: for a quote
    said while answering another stage, that stage (named beside the quote)."""
    plan = case.plan(stage)
    wrong = {m.topic for m in plan.misconceptions if m.id in coverage.misconceptions}
    lines = []
    if coverage.misconceptions:
        lines.append("Scored 1 of 4: the plan states a known mistake (see Careful below).")
    elif central:
        missing = ", ".join(t.label for t in central)
        lines.append(f"Scored at most 2 of 4: {missing} is central to this stage and was not covered.")
    elif corrected and score <= CORRECTED_CAP:
        lines.append("Scored at most 2 of 4: a mistake put right only once challenged (see below).")
    elif dive and score == UNANSWERED_DIVE_CAP:
        lines.append(
            f"Scored at most 3 of 4: the deep dive on {dive}, your own choice, went unanswered; a 4 needs "
            "that depth."
        )
    elif score == 3 and (bare := _without_depth(case, stage, coverage, credit, scores)):
        lines.append(f"Short of a 4: the points on {bare} came without a reason, number or trade-off.")
    quotes = [q for said in _done_well(plan.ideas, coverage, credit, wrong).values() for q in said]
    lines += [
        f'Done well: "{q}"{said_during(q, said_in or {})}'
        for q in list(dict.fromkeys(quotes))[:DONE_WELL_QUOTES]
    ]
    if not quotes:  # nothing made in full: what they did raise, in their words, so the stage has an example
        raised = [  # a question asked is quoted beside its point in the outline ("You asked")
            one_line(min(coverage.shallow[i.id], key=len), QUOTE_CHARS)
            for i in plan.ideas
            if _status(i, coverage, credit, wrong) == TOUCHED and not _asking(coverage.shallow[i.id])
        ]
        lines += [f'Raised: "{q}"' for q in list(dict.fromkeys(raised))[:DONE_WELL_QUOTES]]
        if not raised and stage is Stage.clarifying_requirements and coverage.shallow:
            lines.append(ASKED_ONLY)
    stated = [m for m in plan.misconceptions if m.id in coverage.misconceptions]
    lines += [
        f'Careful: you said "{_their_words(coverage.misconceptions[m.id])}". {m.correction.strip()}'
        for m in stated
    ]
    fixed = [m for m in plan.misconceptions if m.id in corrected]
    lines += [f"Corrected when asked: {m.correction.strip()}" for m in fixed]
    return "\n".join(lines)


def _without_depth(
    case: Case,
    stage: Stage,
    coverage: Coverage,
    credit: Mapping[str, float],
    scores: Sequence[CriterionScore],
) -> str:
    """The criteria below a 4 whose points were all made, so only depth kept them there (the outline
    names what else was missing; this is the one reason it cannot show)."""
    from rubric.schema import load_rubric

    titles = {c.id: c.title for c in load_rubric().stages[stage].criteria}
    ideas = case.plan(stage).ideas
    bare = [
        lower_first(titles.get(c.id, c.id))
        for c in scores
        if c.score < 4
        and _unaided([i for i in ideas if i.criterion == c.id] or ideas, coverage, credit) >= EXCELLENT
    ]
    return " and ".join(bare)


#: a requirements stage whose points were raised only by asking: what the asking still lacks
ASKED_ONLY = (
    "Your questions asked for the right facts (quoted below); a stronger answer also says what each "
    "answer means for the design."
)


def said_during(quote: str, said_in: Mapping[str, Stage]) -> str:
    """ " (said during data preparation)" for a quote said while answering another stage, else ""."""
    where = said_in.get(quote)
    return f" (said during {lower_first(where.label)})" if where else ""


def _their_words(quotes: list[str]) -> str:
    """The candidate's words for a mistake: its shortest quote (a sentence before a pair)."""
    return one_line(min(quotes, key=len), QUOTE_CHARS)


def overview(card: Scorecard) -> str:
    """The interview in a few lines: the strongest stages, the stages to work on with why, the
    known mistakes stated (corrected or not) and how each deep dive went."""
    top = max((s.score for s in card.stages), default=0)
    best = sorted((s for s in card.stages if s.score == top and top >= 3), key=lambda s: -len(s.strengths))[
        :STRENGTHS
    ]
    lines = []
    if best:
        gaps = {t for s in card.stages for t in s.gaps}
        parts = [f"{s.stage.label} ({s.score}/4{_said(s, gaps)})" for s in best]
        lines.append("Strengths: " + "; ".join(parts) + ".")
    parts = [_to_work_on(s) for s in _to_work_on_stages(card)]
    if lost := [d.choice for d in card.dives if _short_dive(d)]:
        parts.append(f"going deeper on your own design ({', '.join(lost)})")
    if parts:
        lines.append("To work on: " + "; ".join(parts) + ".")
    mistakes = [f"in {lower_first(s.stage.label)}, {m}" for s in card.stages for m in s.mistakes]
    if mistakes:
        lines.append("Mistakes: " + "; ".join(mistakes) + ".")
    if card.unanswered:
        lines.append(_not_sure(card.unanswered))
    if card.repeated:
        lines.append(_repeated(card.repeated))
    if card.dives:
        lines.append("Deep dives: " + "; ".join(f"{d.choice} ({_dive_tally(d)})" for d in card.dives) + ".")
    return "\n".join(lines)


#: how many stages "To work on" names, the weakest first
WORK_ON = 3


def _to_work_on_stages(card: Scorecard) -> list[StageScore]:
    """The stages to work on: every stage at 2 or below, then stages at 3 with a point a strong
    answer makes, weakest first, at most `WORK_ON` (a card of 3s still says what to do next)."""
    weak = sorted((s for s in card.stages if s.score <= 2), key=lambda s: s.score)
    solid = sorted((s for s in card.stages if s.score == 3 and s.outline), key=lambda s: s.raw)
    return [*weak, *solid][: max(WORK_ON, len(weak))]


def _to_work_on(score: StageScore) -> str:
    """A stage to work on, with the head of the first point its outline names ("Data preparation
    (2/4), split out of time (made after a prompt)")."""
    head = f"{score.stage.label} ({score.score}/4)"  # its gaps are in the table and its section
    if not score.outline:
        return head
    status, _, text = score.outline[0].partition(": ")
    point = re.split(r": |; |\. ", _first_sentence(text.split(" You said: ")[0]), maxsplit=1)[0]
    return f"{head}, {lower_first(point.rstrip('.'))} ({status.lower()})"


def _short_dive(dive: DiveNote) -> bool:
    """A deep dive that made fewer than half of a strong answer's points: to work on."""
    return 2 * _made(dive) < len(dive.points or dive.look_for)


def _made(dive: DiveNote) -> int:
    """How many of a dive's points were made (in the dive, or before it)."""
    return sum(point.startswith(MADE) for point in dive.points)


def _dive_tally(dive: DiveNote) -> str:
    made = _made(dive)
    total = len(dive.points or dive.look_for)
    if not dive.answer.strip():
        return "not answered" + (f"; {made} of {total} points made before it" if made else "")
    return (
        f"none of the {total} points a strong answer covers" if not made else f"{made} of {total} points made"
    )


#: how many stages the overview names as strengths: the best ones, not a list of every stage
STRENGTHS = 3


def _said(score: StageScore, gaps: set[Topic]) -> str:
    """The stage's strong topics, but none that is a gap in another stage (a strength and a gap of
    the same name read as a contradiction: the framing's objective made, the training loss not)."""
    named = ", ".join(t.label for t in [t for t in score.strengths if t not in gaps][:3])
    return f": {named}" if named else ""


def recommend(level: Level, overall: float) -> Recommendation:
    bar = HIRE_BAR[level]
    if overall >= bar + 0.6:
        return Recommendation.strong_hire
    if overall >= bar:
        return Recommendation.lean_hire
    if overall >= bar - 0.6:
        return Recommendation.lean_no_hire
    return Recommendation.strong_no_hire


def _not_sure(where: list[str]) -> str:
    """The questions the candidate said they did not know, counted where they were asked."""
    return f'Not sure: {_questions(where)} answered with "not sure" ({_where(where)}).'


def _repeated(where: list[str]) -> str:
    """The questions met with an earlier answer again, counted where they were asked."""
    return (
        f"Repeated: {_questions(where)} answered with an earlier answer, word for word "
        f"({_where(where)}); answer the question asked, or say you have nothing to add."
    )


def _questions(where: list[str]) -> str:
    return f"{len(where)} question{'s' if len(where) > 1 else ''}"


def _where(where: list[str]) -> str:
    """How many questions each place holds: "2 in data preparation; 1 in the deep dive on …"."""
    return "; ".join(f"{k} in {lower_first(w)}" for w, k in Counter(where).items())


#: how the overall relates to the stage scores shown (a stage's raw 3.5 shows as 4, so a card of 4s can
#: average 3.7)
OVERALL_NOTE = "the mean of the unrounded stage scores; a stage at 3.5 or more shows as 4"


def build_scorecard(
    case: CaseId,
    level: Level,
    stages: list[StageScore],
    dives: list[DiveNote] | None = None,
    unanswered: list[str] | None = None,
    repeated: list[str] | None = None,
) -> Scorecard:
    overall = round(sum(s.raw for s in stages) / len(stages), 3) if stages else 1.0
    return Scorecard(
        case=case,
        level=level,
        stages=stages,
        dives=dives or [],
        overall=overall,
        recommendation=recommend(level, overall),
        hint_penalty=round(sum(s.help_cost for s in stages), 3),
        unanswered=unanswered or [],
        repeated=repeated or [],
    )
