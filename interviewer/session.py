"""One mock interview: guard the input, persist it, assess, decide, phrase, persist the reply."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from common.errors import InputError, StaleSession
from common.ids import CaseId, Level, Stage
from common.limits import Budget, spending
from interviewer.models import DIVE_RUNGS, Move, MoveKind, Rung, SessionState, Turn
from interviewer.policy import (
    DONT_KNOW,
    Intent,
    PolicyConfig,
    classify,
    dive_skip,
    missed_ideas,
    next_move,
    next_stage,
    pick_curveball,
    question_key,
)
from interviewer.speaking import CheckedVoice, OnToken, Spoken
from interviewer.voices import VoiceContext
from knowledge.cases import Case, DeepDive, ExpectedIdea, load_case
from rubric.assessors import (
    Coverage,
    EmbeddingAssessor,
    answers_probe,
    meets_correction,
    negated,
    points_made,
    restates,
    sentences,
)
from rubric.guard import checked_answer
from rubric.schema import load_rubric
from rubric.scoring import MADE, NOT_COVERED, TOUCHED, DiveNote, Scorecard, build_scorecard, score_stage

if TYPE_CHECKING:
    from interviewer.engine import Engine
    from interviewer.store import Store
    from rubric.assessors import Coverage


#: credits the points an answer makes for other stages (`Interview._credit_elsewhere`)
_OFFLINE = EmbeddingAssessor()


#: the shortest answer that, said again word for word, means the candidate has nothing to add
REPEAT_WORDS = 6


class Interview:
    def __init__(
        self,
        state: SessionState,
        turns: list[Turn],
        store: Store,
        engine: Engine,
        config: PolicyConfig | None = None,
        max_chars: int = 20_000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.state, self.turns, self.store, self.engine = state, turns, store, engine
        self.config, self.max_chars, self.clock = config or PolicyConfig(), max_chars, clock
        self.on_token: OnToken | None = None
        self._graded: dict[Stage, Coverage] = {}
        self._jobs: list[Future[None]] = []
        self._executor: ThreadPoolExecutor | None = None
        self.case: Case = load_case(state.case).for_candidate(state.level, state.curveball)
        self.voice = CheckedVoice(engine.voice, engine.template, engine.faithful, engine.stream)
        self.budget = self._budget()

    def _budget(self) -> Budget:
        limits, state = self.engine.limits, self.state
        return Budget(
            limits.session_model_calls, limits.session_model_tokens, state.model_calls, state.model_tokens
        )

    @classmethod
    def start(
        cls,
        case: CaseId,
        level: Level,
        store: Store,
        engine: Engine,
        session_id: str | None = None,
        minutes: float = 45.0,
        **kwargs: object,
    ) -> Interview:
        """A new session; pass `session_id` for reproducible wording (evals replaying recordings)."""
        state = SessionState(
            id=session_id or uuid.uuid4().hex,
            case=case,
            level=level,
            provider=engine.provider,
            prompt_version=engine.voice.version,
            minutes=minutes,
        )
        config = kwargs.get("config") or PolicyConfig()
        state.curveball = pick_curveball(load_case(case), level, state.id, config)  # type: ignore[arg-type]
        interview = cls(state, [], store, engine, **kwargs)  # type: ignore[arg-type]
        state.started_at = interview.clock()
        state.current.started_at = state.started_at
        store.create(state)
        text = engine.template.opening(interview.case, seed=state.id, minutes=state.minutes)
        interview._commit(
            [interview._turn(Move(kind=MoveKind.ask, stage=Stage.clarifying_requirements), text)]
        )
        return interview

    @classmethod
    def resume(cls, session_id: str, store: Store, engine: Engine, **kwargs: object) -> Interview | None:
        """Reload a session; a candidate turn stored without a reply is answered now."""
        found = store.load(session_id)
        if found is None:
            return None
        interview = cls(*found, store, engine, **kwargs)  # type: ignore[arg-type]
        try:
            interview._catch_up()
        except StaleSession:  # another process answered it meanwhile: its reply stands
            return cls.resume(session_id, store, engine, **kwargs)
        interview._grade_again()
        return interview

    def _catch_up(self) -> None:
        """Store what a stopped process left unsaid: the opening question, the pending reply."""
        if not self.turns:  # stopped before the opening question was stored
            opening = self.engine.template.opening(self.case, seed=self.state.id, minutes=self.state.minutes)
            self._commit([self._turn(Move(kind=MoveKind.ask, stage=Stage.clarifying_requirements), opening)])
        pending = self.turns[self.state.handled :]
        if pending and pending[-1].role == "candidate":
            with spending(self.budget):
                self._respond(pending[-1].text)

    def refresh(self) -> bool:
        """Reload when another process (a second replica, another tab) has stored turns since; True
        when it had. One count query: cheap enough for every page run."""
        if self.store.turn_count(self.state.id) == len(self.turns):
            return False
        self.reload()
        return True

    def reload(self) -> None:
        """Take the session as stored (another process may have gone on with it)."""
        found = self.store.load(self.state.id)
        if found is None:
            raise InputError("This interview is no longer stored; start a new one to practise again.")
        self.state, self.turns = found
        self.budget = self._budget()

    def _grade_again(self) -> None:
        """Stages whose background grading a stopped process left unfinished are graded again."""
        if not self.state.grading or self._jobs:
            return
        closed = [s for s in Stage if s.number < self.state.stage.number or self.state.finished]
        for stage in closed:
            self._grade_in_background(stage)
        if self.state.finished:
            self._finalise_in_background()

    @property
    def finished(self) -> bool:
        return self.state.finished

    def submit(self, text: str, on_token: OnToken | None = None) -> list[Turn]:
        """Take the candidate's text; returns the interviewer's reply turns.

        `on_token` receives the reply as it is generated (for streaming UIs)."""
        self.on_token = on_token
        if self.state.finished:
            raise InputError("This interview has ended; start a new one to practise again.")
        text = checked_answer(text, self.max_chars, self.engine.limits.answer_tokens)
        self._within_turn_cap(text)
        if not text:
            retry = self.engine.template.ask(self.state.stage, self.case, self._seed(), retry=True)
            return [self._turn(Move(kind=MoveKind.ask, stage=self.state.stage, retry=True), retry)]
        turn = Turn(role="candidate", stage=self.state.stage, text=text)
        try:
            self.store.append(self.state.id, [turn], at=len(self.turns))
        except StaleSession:
            self.reload()
            raise InputError(
                "This interview went on elsewhere (another tab or window) and has been reloaded. "
                "Your answer was not kept: read the latest question and send it again if it still fits."
            ) from None
        self.turns.append(turn)
        mine = len(self.turns)
        try:
            with spending(self.budget):
                return self._respond(text)
        except StaleSession:  # another process resumed the session and answered this turn first
            self.reload()
            return self.turns[mine:]

    def _within_turn_cap(self, text: str) -> None:
        cap = self.engine.limits.session_turns
        if text.lower() != "/end" and sum(t.role == "candidate" for t in self.turns) >= cap:
            raise InputError(
                f"This interview has reached its limit of {cap:,} answers. Nothing was kept: "
                "type /end to finish it and see the scorecard."
            )

    def _respond(self, text: str) -> list[Turn]:
        intent = classify(text, self.config)
        if intent is Intent.answer and self._said_before(text):
            intent = Intent.repeat  # the same answer again: the candidate has nothing to add here
        if not self.state.closing and (
            intent in (Intent.answer, Intent.repeat)
            or (intent is Intent.question and self.state.stage is Stage.clarifying_requirements)
        ):
            judged = self._assess(text)  # in stage 1, the candidate's questions are the answer
            self._note_choices(text)
        else:
            judged = None
        move = next_move(self.case, self.state, intent, text, self.config, now=self.clock())
        if move.assumption:
            self.state.assumptions = {**self.state.assumptions, question_key(text): move.assumption}
        turns = self._enact(move)
        if judged is not None:
            turns[0] = turns[0].model_copy(update={"judge": judged.judge, "judge_fallback": judged.fallback})
        return self._commit(turns)

    def _said_before(self, text: str) -> bool:
        """The answer repeats, word for word, one the candidate already gave in this stage (a short
        "I'm not sure" to two different questions is no repeat: the next question may still land)."""
        if len(text.split()) < REPEAT_WORDS:
            return False
        key = question_key(text)
        earlier = [t for t in self.turns[:-1] if t.role == "candidate" and t.stage is self.state.stage]
        return any(question_key(t.text) == key for t in earlier)

    def _assess(self, text: str) -> Coverage:
        """Judge an answer against its stage; an answer to a deep dive on another stage's component
        (the closing one) counts for that stage too."""
        coverage = self._assess_for(self.state.stage, text)
        dive = self.case.deep_dive(self.state.diving)
        if dive is not None and dive.stage is not self.state.stage:
            self._assess_for(dive.stage, text)
        if dive is not None:
            self.state.dive_missed = not any(points_made(dive.look_for, text))
        self._credit_elsewhere(text)
        self.state.current.answers += 1
        self.state.current.unsure += bool(DONT_KNOW.match(text))
        return coverage

    def _credit_elsewhere(self, text: str) -> None:
        """Points the answer makes for other stages count there too (the offline judge, whoever judges
        the turn): a candidate who named the time split while framing the task is not asked for it
        again, and an idea of a past stage said later is no longer reported as not discussed."""
        for stage, ideas in _OFFLINE.elsewhere(self.case, self.state.stage, text).items():
            st = self.state.stages[stage]
            fresh = {k: v for k, v in ideas.items() if k not in st.met}
            if fresh:
                st.elsewhere = _merge(st.elsewhere, fresh)
                st.met = _merge(st.met, fresh)
                st.shallow = {k: v for k, v in st.shallow.items() if k not in st.met}

    def _assess_for(self, stage: Stage, text: str) -> Coverage:
        st = self.state.stages[stage]
        coverage = self._probe_answered(stage, text, self.engine.assessor.assess(self.case, stage, text))
        st.met = _merge(st.met, coverage.met)
        st.shallow = {k: v for k, v in _merge(st.shallow, coverage.shallow).items() if k not in st.met}
        st.misconceptions = _merge(st.misconceptions, coverage.misconceptions)
        self._settle_challenges(stage, coverage, text)
        return coverage

    def _probe_answered(self, stage: Stage, text: str, coverage: Coverage) -> Coverage:
        """The idea the last question of this stage asked about (an open follow-up aimed at it, a
        pointed question or a hint), made by an answer that addresses it at the looser bar of an
        answer read in the light of its question (`answers_probe`); after a pointed question or a
        hint it counts in part, as any point made after help."""
        asked = next((t for t in reversed(self.turns) if t.role == "interviewer"), None)
        rungs = (Rung.pump, Rung.prompt, Rung.hint)
        if asked is None or asked.stage is not stage or asked.rung not in rungs:
            return coverage
        idea = asked.idea
        if idea is None or idea in coverage.met or DONT_KNOW.match(text) or coverage.misconceptions:
            return coverage
        quotes = answers_probe(self.case, stage, idea, text)
        if not quotes:
            return coverage
        shallow = {k: v for k, v in coverage.shallow.items() if k != idea}
        return coverage.model_copy(update={"met": {**coverage.met, idea: quotes}, "shallow": shallow})

    def _settle_challenges(self, stage: Stage, coverage: Coverage, text: str) -> None:
        """A challenged misconception that the answer to the challenge corrects (it makes or comes near
        an idea of the same topic, and neither states nor defends the mistake) no longer sinks the
        stage: the idea counts in part, as after a pointed question, and the feedback says it was
        corrected. The reply may correct another mistake of the same topic in the same breath, and
        may name the mistake to say why it fails ("right, approving everything is 99.9% accurate")."""
        st = self.state.stages[stage]
        plan = self.case.plan(stage)
        asked = {m.topic for m in plan.misconceptions if Rung.challenge in st.rungs.get(m.id, [])}
        for wrong in plan.misconceptions:
            challenged = Rung.challenge in st.rungs.get(wrong.id, [])
            if wrong.id not in st.misconceptions:  # `restates` below reads the reply for it
                continue
            # a second mistake of the challenged topic is corrected by the same reply only if the
            # reply says what its correction says
            if not challenged and not (wrong.topic in asked and meets_correction(wrong, text)):
                continue
            fix = next(
                (
                    i
                    for i in plan.ideas
                    if i.topic == wrong.topic and (i.id in coverage.met or i.id in coverage.shallow)
                ),
                None,
            )  # a reply to the challenge that comes near the right idea, and no longer argues the mistake
            if fix is not None and wrong.topic is not None and not restates(wrong, text):
                st.misconceptions = {k: v for k, v in st.misconceptions.items() if k != wrong.id}
                st.corrected = {**st.corrected, wrong.id: fix.id}

    def _note_choices(self, text: str) -> None:
        """Components the answer proposes that the case has a deep dive for, with the sentence (a
        question about one, "do we have a feature store?", proposes nothing); and, for each one
        proposed and not yet dug into, which points of a strong answer about it this answer makes."""
        if self.state.stage is Stage.clarifying_requirements:
            return
        found = dict(self.state.choices)
        proposals = [s for s in sentences(text) if not s.rstrip().endswith("?") and not negated(s)]
        for dive in self.case.deep_dives:
            if dive.id not in found:
                said = [s for s in proposals if dive.stated_in(s)]
                if said:
                    found[dive.id] = said[0]
        if found != self.state.choices:
            self.state.choices = found
        explained, dived = dict(self.state.explained), self.state.dived()
        for dive_id in found:
            component = self.case.deep_dive(dive_id)
            if component is not None and dive_id not in dived:
                # a question skipped needs the stage judge's own bar, not the dive answer's looser one
                points = points_made(component.look_for, text, slack=0.0)
                made = [n for n, point in enumerate(points) if point == "made"]
                explained[dive_id] = sorted({*explained.get(dive_id, []), *made})
        if explained != self.state.explained:
            self.state.explained = explained

    def _enact(self, move: Move) -> list[Turn]:
        st = self.state.current
        st.asserted = [*st.asserted, *move.asserted]
        if move.kind in (MoveKind.probe, MoveKind.hint) and move.idea:
            st.rungs = {**st.rungs, move.idea: [*st.rungs.get(move.idea, []), move.rung]}  # type: ignore[list-item]
            st.probes += 1
        st.facts = [*st.facts, *move.facts]  # asked as a question, or inside an answer
        self.state.closing = self.state.closing or move.closing
        if move.kind is not MoveKind.clarify:  # a question back keeps the dive open
            self.state.diving = move.idea if move.rung in DIVE_RUNGS else None
            self.state.dive_missed = False
        turns = [self._turn(move, self._speak(move))]
        if move.kind in (MoveKind.advance, MoveKind.wrap_up):
            self._grade_in_background(move.stage)
        if move.kind is MoveKind.advance:
            turns.append(self._open_next_stage(move.stage))
        if move.kind is MoveKind.wrap_up:
            self.state.scorecard = self.scorecard()
            self.state.finished = True
            self._finalise_in_background()
        return turns

    # ------------------------------------------------ grading off the critical path

    def _grade_in_background(self, stage: Stage) -> None:
        """With a separate grader (an LLM), grade a closed stage while the interview goes on."""
        answers = [t.text for t in self.turns if t.role == "candidate" and t.stage is stage]
        if self.engine.grader is self.engine.assessor or not answers:
            return
        text = "\n".join(answers)
        self.state.grading = True
        self._jobs.append(self._pool().submit(self._grade_stage, stage, text))

    def _grade_stage(self, stage: Stage, text: str) -> None:
        with spending(self.budget):
            self._graded[stage] = self.engine.grader.assess(self.case, stage, text)

    def _finalise_in_background(self) -> None:
        if self._jobs:
            self._jobs.append(self._pool().submit(self._finalise))

    def _finalise(self) -> None:
        for job in self._jobs[:-1]:
            job.result()
        self.state.scorecard = self.scorecard()
        self.state.grading = False
        self._save_spending()
        self.store.append(self.state.id, [], self.state)

    def assess_self(self, scores: dict[Stage, int]) -> None:
        """Store the candidate's own scores (1-4 for every stage), given before the grade is shown."""
        if not self.finished:
            raise InputError("Self-assessment comes at the end of the interview.")
        if set(scores) != set(Stage) or not all(1 <= v <= 4 for v in scores.values()):
            raise InputError("Score every stage from 1 to 4.")
        self.state.self_scores = dict(scores)
        self.store.append(self.state.id, [], self.state)

    def final_scorecard(self, timeout: float | None = None) -> Scorecard | None:
        """The scorecard once the background grading (if any) is done."""
        for job in list(self._jobs):
            job.result(timeout=timeout)
        return self.state.scorecard

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader")
        return self._executor

    def _speak(self, move: Move) -> Spoken:
        same = [
            t for t in self.turns if t.role == "interviewer" and (t.move, t.rung) == (move.kind, move.rung)
        ]
        move = move.model_copy(update={"nth": len(same)})

        def unsaid() -> list[ExpectedIdea]:
            return missed_ideas(self.case, move.stage, self.state.stages[move.stage])

        context = VoiceContext(self.turns, self._summary())
        return self.voice.speak(move, self.case, self._seed(), context, unsaid, self.on_token)

    def _summary(self) -> str:
        """Where the interview stands, for a voice that sees only the recent turns."""
        done = [s for s in Stage if s.number < self.state.stage.number]
        parts = [
            f"{s.label}: {len(self.state.stages[s].met)} of {len(self.case.plan(s).ideas)} expected ideas"
            for s in done
        ]
        return f"Earlier stages: {'; '.join(parts)}." if parts else ""

    def _open_next_stage(self, stage: Stage) -> Turn:
        following = next_stage(stage)
        assert following is not None, "the policy wraps up after the last stage"
        self.state.stage = following
        self.state.current.started_at = self.clock()
        played = self.case.curveball(self.state.curveball)
        if played is not None and played.stage is following:
            text = self.engine.template.ask(
                following, self.case, self._seed() + ":ask", change=played.change, question=played.question
            )
        else:
            text = self.engine.template.ask(following, self.case, self._seed() + ":ask")
        return self._turn(Move(kind=MoveKind.ask, stage=following), text)

    def scorecard(self) -> Scorecard:
        """Per stage: the grader's coverage where it is done, else the per-turn coverage."""
        rubric = load_rubric()
        unanswered = self._unanswered_dives()
        stages = []
        for stage, st in self.state.stages.items():
            graded = self._graded.get(stage)
            coverage = graded or Coverage(met=st.met, shallow=st.shallow, misconceptions=st.misconceptions)
            if graded and st.elsewhere:  # the grader reads the stage's own answers only
                met = _merge(graded.met, st.elsewhere)
                shallow = {k: v for k, v in graded.shallow.items() if k not in met}
                coverage = graded.model_copy(update={"met": met, "shallow": shallow})
            if graded and st.corrected:  # the grader rereads the mistake; the challenge settled it
                kept = {k: v for k, v in coverage.misconceptions.items() if k not in st.corrected}
                coverage = coverage.model_copy(update={"misconceptions": kept})
            judge = self.engine.grader if graded else self.engine.assessor
            stages.append(
                score_stage(
                    self.case,
                    stage,
                    coverage,
                    criteria=rubric.stages[stage].criterion_ids(),
                    credit=st.credit(),
                    hints=st.hints(),
                    corrected=list(st.corrected),
                    unanswered_dive=unanswered.get(stage),
                    said_in=self._said_in(st.elsewhere),
                    provider=self.state.provider,
                    prompt_version=judge.version,
                )
            )
        dives = [self._dive_note(d) for d in self.case.deep_dives if d.id in self.state.dived()]
        return build_scorecard(
            self.state.case, self.state.level, stages, dives, self._unanswered(), self._repeated()
        )

    def _said_in(self, elsewhere: dict[str, list[str]]) -> dict[str, Stage]:
        """For each quote credited from another stage's answers, the stage it was said in."""
        answers = [(t.stage, " ".join(t.text.split())) for t in self.turns if t.role == "candidate"]
        out: dict[str, Stage] = {}
        for quote in (q for quotes in elsewhere.values() for q in quotes):
            said = " ".join(quote.split())
            if where := next((stage for stage, text in answers if said in text), None):
                out[quote] = where
        return out

    def _unanswered_dives(self) -> dict[Stage, str]:
        """Per stage, a component of the candidate's design whose deep dive they answered only with
        "not sure" (every answer to it, its smaller step and its hint included)."""
        out: dict[Stage, str] = {}
        dived = self.state.dived()
        for dive in (d for d in self.case.deep_dives if d.id in dived):
            answers = _answer_to(self.turns, dive.id).splitlines()
            if answers and all(DONT_KNOW.match(a) for a in answers):
                out.setdefault(dive.stage, dive.choice)
        return out

    def _unanswered(self) -> list[str]:
        """Where the candidate said they did not know, one entry per question: the stage, or the
        deep dive on their component."""
        out = []
        for asked, answered in pairwise(self.turns):
            if (
                asked.role == "interviewer"
                and answered.role == "candidate"
                and DONT_KNOW.match(answered.text)
            ):
                out.append(self._asked_where(asked, answered))
        return out

    def _asked_where(self, asked: Turn, answered: Turn) -> str:
        """Where a question was asked, for the overview: the deep dive on the candidate's component,
        or the stage."""
        dive = self.case.deep_dive(asked.idea) if asked.rung in DIVE_RUNGS else None
        return f"the deep dive on {dive.choice}" if dive else answered.stage.label

    def _repeated(self) -> list[str]:
        """Where the candidate met a question with one of their earlier answers again, word for word
        (not a command, not "not sure"): the stage, or the deep dive on their component."""
        out, said = [], set()
        for asked, answered in pairwise(self.turns):
            if asked.role != "interviewer" or answered.role != "candidate":
                continue
            text = " ".join(answered.text.split()).lower()
            if (
                text in said
                and not text.startswith("/")
                and not text.endswith("?")  # a question asked again is answered again, not a repeat
                and not DONT_KNOW.match(answered.text)
            ):
                out.append(self._asked_where(asked, answered))
            said.add(text)
        return out

    def _dive_note(self, dive: DeepDive) -> DiveNote:
        """A deep dive asked, with the candidate's answer and what it made of a strong answer's
        points (read by the offline judge, whichever engine interviewed); a point the candidate's
        earlier answers made before the dive was asked counts as made."""
        answer = _answer_to(self.turns, dive.id)
        found = points_made(dive.look_for, answer) if answer else [None] * len(dive.look_for)
        earlier = set(self.state.explained.get(dive.id, []))  # made before the dive was asked
        found = ["earlier" if n in earlier and f != "made" else f for n, f in enumerate(found)]
        return DiveNote(
            choice=dive.choice,
            question=dive.asked(dive_skip(dive, self.state)),
            look_for=dive.look_for,
            answer=answer,
            points=[f"{_DIVE_STATUS[f]}: {point}" for f, point in zip(found, dive.look_for, strict=True)],
        )

    def _turn(self, move: Move, spoken: Spoken | str) -> Turn:
        """An interviewer turn; a plain text is the template voice's."""
        if isinstance(spoken, str):
            spoken = Spoken(spoken, self.engine.template.name)
        return Turn(
            role="interviewer",
            stage=move.stage,
            text=spoken.text,
            move=move.kind,
            topic=move.topic,
            idea=move.idea,
            rung=move.rung,
            voice=spoken.voice,
            outcome=spoken.outcome,
            reason=spoken.reason,
        )

    def _commit(self, turns: list[Turn]) -> list[Turn]:
        self.state.handled = len(self.turns) + len(turns)
        self._save_spending()
        self.store.append(self.state.id, turns, self.state, at=len(self.turns))
        self.turns.extend(turns)
        return turns

    def _save_spending(self) -> None:
        self.state.model_calls, self.state.model_tokens = self.budget.calls, self.budget.tokens

    def _seed(self) -> str:
        return f"{self.state.id}:{len(self.turns)}"


_DIVE_STATUS = {
    "made": MADE,
    "earlier": f"{MADE} before the dive",
    "touched": TOUCHED,
    None: NOT_COVERED,
}


def _answer_to(turns: list[Turn], idea: str) -> str:
    """The candidate's answers to the questions about `idea` (each the turn right after one: a deep
    dive, its narrower part and its hint), one per line, an answer given again word for word once."""
    return "\n".join(
        dict.fromkeys(
            answered.text
            for asked, answered in pairwise(turns)
            if asked.role == "interviewer"
            and asked.idea == idea
            and asked.rung in DIVE_RUNGS  # the close after a dive names it, asks nothing of it
            and answered.role == "candidate"
        )
    )


def _merge(old: dict[str, list[str]], new: dict[str, list[str]]) -> dict[str, list[str]]:
    merged = {k: list(v) for k, v in old.items()}
    for key, quotes in new.items():
        merged[key] = list(dict.fromkeys([*merged.get(key, []), *quotes]))
    return merged
