"""The interview loop: guards, persistence before the reply, resume, and the policy's moves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from common.errors import InputError
from common.ids import CORE_TOPICS, CaseId, Level, Stage
from interviewer.engine import Engine
from interviewer.models import DIVE_RUNGS, MoveKind, Rung
from interviewer.script import Script, ScriptedStage, play
from interviewer.session import Interview
from interviewer.store import Store
from knowledge.cases import available_cases, load_case
from rubric.assessors import Coverage

from .helpers import INJECTION, both_backends, strong_script


def stored(store: Store, interview: Interview) -> list[str]:
    found = store.load(interview.state.id)
    assert found is not None
    return [t.text for t in found[1]]


def test_opening_asks_the_first_stage(interview: Interview) -> None:
    (opening,) = interview.turns
    assert (opening.move, opening.stage) == (MoveKind.ask, Stage.clarifying_requirements)
    assert load_case(interview.state.case).prompt.split()[0] in opening.text


@pytest.mark.parametrize("blank", ["", "   ", "\n\t ", "\u200b"])
def test_an_empty_answer_is_asked_again_and_not_stored(
    interview: Interview, store: Store, blank: str
) -> None:
    before = stored(store, interview)
    (reply,) = interview.submit(blank)
    assert reply.move is MoveKind.ask
    assert stored(store, interview) == before
    assert interview.state.current.answers == 0


def test_an_answer_over_the_limit_is_refused_with_the_limit_and_not_stored(
    interview: Interview, store: Store
) -> None:
    before = stored(store, interview)
    with pytest.raises(InputError, match="20,000 characters"):
        interview.submit("x" * 20_001)
    assert stored(store, interview) == before


class _Crash(Exception):
    pass


class _CrashingAssessor:
    name = "crashing"
    version = "0"

    def assess(self, case: object, stage: Stage, text: str) -> Coverage:
        raise _Crash


@both_backends
def test_the_candidate_turn_is_committed_before_the_reply_and_resumed_after_a_crash(
    store: Store, engine: Engine
) -> None:
    broken = Engine(
        "offline",
        assessor=_CrashingAssessor(),
        grader=engine.grader,
        voice=engine.voice,
        template=engine.template,
    )
    interview = Interview.start(CaseId.ad_click_prediction, Level.mid, store, broken)
    answer = "I'd ask about the business objective and the peak traffic first."
    with pytest.raises(_Crash):
        interview.submit(answer)
    assert stored(store, interview)[-1] == answer
    resumed = Interview.resume(interview.state.id, store, engine)
    assert resumed is not None
    assert resumed.turns[-1].role == "interviewer"
    assert [t.text for t in resumed.turns].count(answer) == 1
    assert resumed.state.current.answers == 1


class _MeanwhileAssessor:
    """The offline judge, which lets another process go on with the session before its first verdict."""

    name = "meanwhile"
    version = "0"

    def __init__(self, engine: Engine, meanwhile: Callable[[], object]) -> None:
        self.engine, self.meanwhile = engine, meanwhile

    def assess(self, case: object, stage: Stage, text: str) -> Coverage:
        meanwhile, self.meanwhile = self.meanwhile, lambda: None
        meanwhile()
        return self.engine.assessor.assess(case, stage, text)  # type: ignore[arg-type]


@both_backends
def test_a_reply_another_process_wrote_first_stands_and_none_is_duplicated(
    store: Store, engine: Engine
) -> None:
    other: list[Interview] = []
    interview = Interview.start(CaseId.ad_click_prediction, Level.mid, store, engine)
    stale = Interview.resume(interview.state.id, store, engine)
    assert stale is not None

    def resume_elsewhere() -> None:  # sees the stored answer without its reply, and answers it
        other.append(Interview.resume(interview.state.id, store, engine))  # type: ignore[arg-type]

    slow = Engine(
        "offline",
        assessor=_MeanwhileAssessor(engine, resume_elsewhere),
        grader=engine.grader,
        voice=engine.voice,
        template=engine.template,
    )
    interview.engine = slow
    answer = "I'd ask about the business objective and the peak traffic first."
    replies = interview.submit(answer)
    assert replies == other[0].turns[2:]  # the reply the other process stored first
    assert interview.turns == other[0].turns == store.load(interview.state.id)[1]  # type: ignore[index]
    assert [t.text for t in interview.turns].count(answer) == 1
    with pytest.raises(InputError, match="went on elsewhere"):
        stale.submit("And the latency budget?")  # a window still on the opening question
    assert stale.turns == interview.turns  # reloaded, nothing of it stored


@both_backends
def test_resume_of_an_unknown_session_is_none(store: Store, engine: Engine) -> None:
    assert Interview.resume("nope", store, engine) is None


def test_questions_are_answered_from_the_requirement_sheet(interview: Interview) -> None:
    (reply,) = interview.submit("How many posts per day do we get?")
    assert reply.move is MoveKind.clarify
    facts = load_case(interview.state.case).requirements
    assert any(f.answer in reply.text for f in facts)


def test_slash_commands(interview: Interview) -> None:
    hint = interview.submit("/hint")
    assert hint[0].move is MoveKind.hint
    skipped = interview.submit("/skip")
    assert [t.move for t in skipped] == [MoveKind.advance, MoveKind.ask]
    assert interview.state.stage is Stage.framing
    (end,) = interview.submit("/end")
    assert end.move is MoveKind.wrap_up
    assert interview.finished
    with pytest.raises(InputError):
        interview.submit("one more thing")


def _played(store: Store, engine: Engine, script: Script) -> Interview:
    interview = Interview.start(script.case, script.level, store, engine)
    play(interview, script)
    return interview


@pytest.mark.parametrize("case_id", available_cases())
def test_every_interview_walks_the_seven_stages_and_wraps_up(
    store: Store, engine: Engine, case_id: CaseId
) -> None:
    weak = Script(case=case_id, stages={s: ScriptedStage(answer="I'm not sure.") for s in Stage})
    interview = _played(store, engine, weak)
    asks = [t.stage for t in interview.turns if t.move is MoveKind.ask]
    assert asks == [*Stage, Stage.monitoring], "each stage's question, then the closing invitation"
    assert "questions for me" in interview.turns[-3].text
    assert interview.turns[-1].move is MoveKind.wrap_up
    card = interview.state.scorecard
    assert card is not None
    assert [s.score for s in card.stages] == [1] * 7


@pytest.mark.parametrize("case_id", available_cases())
def test_a_candidate_who_covers_everything_is_rarely_probed(
    store: Store, engine: Engine, case_id: CaseId
) -> None:
    interview = _played(store, engine, strong_script(case_id))
    asked = [t for t in interview.turns if t.move in (MoveKind.probe, MoveKind.hint)]
    probes = [t for t in asked if t.rung not in DIVE_RUNGS]  # a dive follows a choice, probes a gap
    assert len(probes) / 7 <= 1
    dives = [t for t in asked if t.rung in DIVE_RUNGS]
    assert len(dives) <= 3 * len({t.idea for t in dives}), "a dive, a smaller step and a hint at most"
    card = interview.state.scorecard
    assert card is not None
    assert card.recommendation.value.endswith("hire")
    assert min(s.score for s in card.stages) >= 3


def _core_omissions() -> list[tuple[CaseId, Stage, str]]:
    return [
        (case_id, stage, topic.value)
        for case_id in available_cases()
        for stage, plan in load_case(case_id).stages.items()
        for topic in CORE_TOPICS
        if topic in [i.topic for i in plan.ideas]
    ]


def test_a_missed_core_topic_is_probed_in_its_stage(store: Store, engine: Engine) -> None:
    omissions = _core_omissions()
    probed = 0
    for case_id, stage, topic in omissions:
        interview = _played(store, engine, strong_script(case_id, omit=(stage, topic)))
        moves = [(t.stage, t.topic) for t in interview.turns if t.move in (MoveKind.probe, MoveKind.hint)]
        probed += (stage, topic) in moves
    assert len(omissions) >= 3 * len(available_cases())
    assert probed / len(omissions) >= 0.9


def test_a_missed_crux_idea_is_probed_in_its_stage(store: Store, engine: Engine) -> None:
    """A candidate strong everywhere but on one of the case's crux ideas is asked about that idea."""
    omissions = [
        (case_id, stage, idea)
        for case_id in available_cases()
        for stage, plan in load_case(case_id).stages.items()
        for idea in plan.ideas
        if idea.crux and idea.topic
    ]
    probed = 0
    for case_id, stage, idea in omissions:
        interview = _played(store, engine, strong_script(case_id, omit=(stage, idea.topic.value)))  # type: ignore[union-attr]
        ideas = {
            t.topic for t in interview.turns if t.stage is stage and t.move in (MoveKind.probe, MoveKind.hint)
        }
        probed += idea.topic in ideas
    assert len(omissions) >= 2 * len(available_cases())
    assert probed / len(omissions) >= 0.95


def test_injected_instructions_change_neither_the_flow_nor_the_score(store: Store, engine: Engine) -> None:
    plain = strong_script(CaseId.ad_click_prediction, omit=(Stage.data_preparation, "data_leakage"))
    attacked = plain.model_copy(deep=True)
    for scripted in attacked.stages.values():
        scripted.answer = f"{scripted.answer} {INJECTION}"
    a, b = _played(store, engine, plain), _played(store, engine, attacked)
    assert [(t.stage, t.move, t.topic) for t in a.turns] == [(t.stage, t.move, t.topic) for t in b.turns]
    assert a.state.scorecard is not None
    assert b.state.scorecard is not None
    assert [s.score for s in a.state.scorecard.stages] == [s.score for s in b.state.scorecard.stages]
    assert a.state.scorecard.recommendation == b.state.scorecard.recommendation


def test_the_interviewer_never_asks_the_same_question_twice(store: Store, engine: Engine) -> None:
    weak = Script(case=CaseId.ad_click_prediction, stages={s: ScriptedStage(answer="Hmm.") for s in Stage})
    interview = _played(store, engine, weak)
    said = [t.text for t in interview.turns if t.role == "interviewer"]
    assert len(said) == len(set(said))


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_time_runs_out_per_stage_and_slash_time_reports_it(store: Store, engine: Engine) -> None:
    clock = _Clock()
    interview = Interview.start(CaseId.ad_click_prediction, Level.senior, store, engine, clock=clock)
    (report,) = interview.submit("/time")
    assert report.move is MoveKind.clarify
    assert "45" in report.text
    interview.submit("I'd like to know the objective.")  # a weak answer: the policy would probe
    clock.now += timedelta(minutes=30)
    replies = interview.submit("Nothing more to add.")
    assert [t.move for t in replies] == [MoveKind.advance, MoveKind.ask]


def test_unanswerable_questions_get_a_recorded_assumption(interview: Interview) -> None:
    (reply,) = interview.submit("Is the office dog friendly?")
    assert reply.move is MoveKind.clarify
    assert list(interview.state.assumptions.values())


@both_backends
def test_self_assessment_is_stored_after_the_end(interview: Interview, store: Store) -> None:
    with pytest.raises(InputError):
        interview.assess_self(dict.fromkeys(Stage, 3))
    interview.submit("/end")
    with pytest.raises(InputError):
        interview.assess_self({Stage.framing: 5})
    interview.assess_self(dict.fromkeys(Stage, 3))
    saved = store.load(interview.state.id)
    assert saved is not None
    assert saved[0].self_scores == dict.fromkeys(Stage, 3)


def test_a_repeated_clarifying_question_does_not_loop(interview: Interview) -> None:
    question = "What is the business goal of this system?"
    first = interview.submit(question)
    assert first[-1].move is MoveKind.clarify
    moves = []
    while interview.state.stage is Stage.clarifying_requirements and len(moves) < 12:
        moves.append(interview.submit(question)[0].move)
    assert MoveKind.clarify not in moves  # taken as an answer: probes, then the next stage
    assert moves[-1] is MoveKind.advance


def test_each_hint_helps_more_then_the_ideas_are_stated(interview: Interview) -> None:
    ideas = [i.id for i in interview.case.plan(Stage.clarifying_requirements).ideas]
    helps = [interview.submit("/hint")[0] for _ in range(2 * len(ideas))]
    assert len({h.text for h in helps}) == len(helps)  # a hint, then a pointed question, per idea
    assert {h.move for h in helps} == {MoveKind.hint, MoveKind.probe}
    assert not interview.state.current.asserted
    interview.submit("/hint")
    assert sorted(interview.state.current.asserted) == sorted(ideas)
    (last,) = interview.submit("/hint")
    assert "covered" not in last.text
    assert interview.state.stage is Stage.clarifying_requirements  # /hint never moves on by itself


def test_a_missed_idea_gets_the_pointed_question_before_the_hint(interview: Interview) -> None:
    for vague in (
        "I'd talk to the product team first and write down the goals.",
        "Then I would agree with them on what success looks like.",
        "I would also check which teams depend on this system.",
        "After that I'd write a short design document and share it.",
    ):
        interview.submit(vague)
    rungs = interview.state.stages[Stage.clarifying_requirements].rungs
    helped = {idea: [r for r in used if r in (Rung.prompt, Rung.hint)] for idea, used in rungs.items()}
    assert any(used for used in helped.values())
    assert all(used == [Rung.prompt, Rung.hint][: len(used)] for used in helped.values()), helped


def test_a_challenge_restates_the_candidate_s_words_not_the_answer_key(store: Store, engine: Engine) -> None:
    case = load_case(CaseId.harmful_content_detection)
    stage = next(s for s in Stage if case.plan(s).misconceptions)
    wrong = case.plan(stage).misconceptions[0]
    said = wrong.phrasings[0]
    assert wrong.id in engine.assessor.assess(case, stage, said).misconceptions
    interview = Interview.start(case.id, Level.senior, store, engine)
    while interview.state.stage is not stage:
        interview.submit("/skip")
    (reply,) = interview.submit(said)
    assert reply.move is MoveKind.probe
    assert said.split()[0] in reply.text
    assert said.split()[-1].strip(".") in reply.text
    assert wrong.text.strip() not in reply.text
    assert wrong.correction.strip() not in reply.text


def test_questions_inside_an_answer_are_answered_before_the_interview_goes_on(interview: Interview) -> None:
    facts = {f.id: f.answer for f in interview.case.requirements}
    answer = (
        "First I'd pin down scope: which surfaces and content types are in. How many posts a day do we get? "
        "Then I'd want to know the policy categories and the precision the business needs."
    )
    (reply,) = interview.submit(answer)
    assert reply.move is not MoveKind.clarify
    asked = interview.state.current.facts
    assert asked, "the embedded question was not answered"
    assert all(" ".join(facts[f].split())[:40] in " ".join(reply.text.split()) for f in asked)


def test_facts_asked_for_in_a_closing_answer_come_before_the_next_stage_not_with_it(
    store: Store, engine: Engine
) -> None:
    """An answer that covers the requirements while asking questions gets its facts, and the stage
    stays open for the candidate to react or ask more; they then say they are ready and it goes on."""
    answer = (
        "Is leadership after watch time, or people coming back next month? How many people open the"
        " home page at peak and how quickly must the service answer? What signals do we log: clicks,"
        " watch duration, likes, dismissals or surveys? How much traffic is from brand-new users or"
        " fresh uploads? Are there policy limits, content we must never recommend or users we cannot"
        " personalise for?"
    )
    interview = Interview.start(CaseId.video_recommendation, Level.senior, store, engine)
    (reply,) = interview.submit(answer)
    assert reply.move is MoveKind.clarify
    assert interview.state.stage is Stage.clarifying_requirements
    assert interview.state.current.facts
    assert reply.text.rstrip().endswith("?")
    interview.submit("That's enough to start, let's go.")
    assert interview.state.stage is Stage.framing


def test_the_interview_never_reads_out_what_it_was_looking_for(interview: Interview) -> None:
    ideas = interview.case.plan(Stage.clarifying_requirements).ideas
    for _ in range(2 * len(ideas) + 1):  # every hint and pointed question, then the ideas are let go
        interview.submit("/hint")
    interview.submit("/skip")
    spoken = " ".join(t.text for t in interview.turns if t.role == "interviewer")
    assert interview.state.stages[Stage.clarifying_requirements].asserted
    assert not any(i.text.strip()[:60] in spoken for i in ideas)


@pytest.mark.parametrize("case_id", available_cases())
def test_must_probe_ideas_get_their_pointed_questions_before_any_other_idea(case_id: str) -> None:
    """With nothing made, every stage's probes go first to its core-topic and crux ideas, and each of
    those gets a pointed question before any of them gets a hint."""
    from interviewer.models import SessionState
    from interviewer.policy import Intent, PolicyConfig, must_probe, next_move

    case = load_case(case_id)
    config = PolicyConfig(max_probes=20)
    for stage in Stage:
        state = SessionState(id="t", case=case.id, level=Level.senior, provider="offline", prompt_version="")
        state.stage = stage
        st = state.current
        ideas = {i.id: i for i in case.plan(stage).ideas}
        moves = []
        for _ in range(len(ideas) * 3):
            move = next_move(case, state, Intent.answer, "I am not sure.", config)
            if move.kind not in (MoveKind.probe, MoveKind.hint) or not move.idea:
                break
            moves.append((move.idea, move.rung))
            st.rungs = {**st.rungs, move.idea: [*st.rungs.get(move.idea, []), move.rung]}  # type: ignore[list-item]
            st.probes += 1
        tiers = [not must_probe(ideas[idea]) for idea, _ in moves]
        assert tiers == sorted(tiers), f"{case_id} {stage}: a generic idea was probed before a must-probe one"
        must = [rung for idea, rung in moves if must_probe(ideas[idea]) and rung is not Rung.pump]
        assert must == sorted(must, key=lambda r: config.ladder.index(r)), f"{case_id} {stage}: {moves}"
    assert any(i.crux for plan in case.stages.values() for i in plan.ideas), f"{case_id} marks no crux"


def test_a_point_made_in_another_stage_counts_there_and_is_not_asked_for_again(
    store: Store, engine: Engine
) -> None:
    interview = Interview.start(CaseId.ad_click_prediction, Level.senior, store, engine)
    split = (
        "Split by time: train on days 1 to 28 and test on day 29, with every feature computed as of"
        " the impression."
    )
    interview.submit(f"Scope: 300M daily users, 5B impressions a day, CTR about 1%. {split}")
    prep = interview.state.stages[Stage.data_preparation]
    assert prep.elsewhere == {"time_split_point_in_time": [split]}
    assert "time_split_point_in_time" in prep.met
    interview.submit("/skip")  # framing, then data preparation without a word on the split
    interview.submit("/skip")
    assert interview.state.stage is Stage.data_preparation
    interview.submit(
        "Features: user history, ad ids and context. Label: a click within 1 h of the impression."
    )
    asked = {t.idea for t in interview.turns if t.move in (MoveKind.probe, MoveKind.hint)}
    assert "time_split_point_in_time" not in asked
    interview.submit("/end")
    card = interview.final_scorecard()
    assert card is not None
    data = next(s for s in card.stages if s.stage is Stage.data_preparation)
    # the quote is shown under data preparation, but says where it was said
    assert data.said_in == {split: Stage.clarifying_requirements}
    assert f'Done well: "{split}" (said during clarifying requirements)' in data.feedback


def test_only_a_close_statement_counts_for_another_stage(store: Store, engine: Engine) -> None:
    """A list of the infrastructure that names a feature store is no point about skew."""
    interview = Interview.start(CaseId.ad_click_prediction, Level.senior, store, engine)
    interview.submit(
        "Infra today: Spark, Kafka, a feature store, GPUs; team of six. What is the latency budget?"
    )
    assert all(not st.elsewhere for st in interview.state.stages.values())


@pytest.mark.parametrize("case_id", available_cases())
def test_once_a_stage_is_under_way_only_must_probe_ideas_get_pointed_questions(case_id: str) -> None:
    """A candidate who has made one of a stage's points gets the open "what else?" once; after it,
    pointed questions and hints go only to core-topic and crux ideas, the rest go to the scorecard."""
    from interviewer.models import SessionState
    from interviewer.policy import Intent, PolicyConfig, must_probe, next_move

    case = load_case(case_id)
    config = PolicyConfig(max_probes=20)
    for stage in Stage:
        ideas = {i.id: i for i in case.plan(stage).ideas}
        generic = [i for i in ideas.values() if not must_probe(i)]
        if not generic:
            continue
        state = SessionState(id="t", case=case.id, level=Level.senior, provider="offline", prompt_version="")
        state.stage = stage
        st = state.current
        st.met = {generic[-1].id: ["made"]}
        moves = []
        for _ in range(len(ideas) * 3):
            move = next_move(case, state, Intent.answer, "I am not sure.", config)
            if move.kind not in (MoveKind.probe, MoveKind.hint) or not move.idea or move.rung is Rung.dive:
                break
            moves.append((move.idea, move.rung))
            st.rungs = {**st.rungs, move.idea: [*st.rungs.get(move.idea, []), move.rung]}  # type: ignore[list-item]
            st.probes += 1
        pointed = [idea for idea, rung in moves if rung is not Rung.pump and idea in ideas]
        assert all(must_probe(ideas[i]) for i in pointed), f"{case_id} {stage}: {moves}"
        assert sum(rung is Rung.pump for _, rung in moves) <= 1


@pytest.mark.parametrize("case_id", available_cases())
def test_a_point_already_touched_is_not_pressed_on_a_candidate_who_says_they_do_not_know(
    case_id: str,
) -> None:
    """ "I'm not sure" after the open question: a point the candidate already touched goes to the
    scorecard's suggestions, not to a pointed question and a hint; one never discussed still gets
    its question."""
    from interviewer.models import SessionState
    from interviewer.policy import Intent, PolicyConfig, must_probe, next_move

    case = load_case(case_id)
    config = PolicyConfig(max_probes=20)
    for stage in Stage:
        must = [i for i in case.plan(stage).ideas if must_probe(i)]
        if len(must) < 2:
            continue
        state = SessionState(id="t", case=case.id, level=Level.senior, provider="offline", prompt_version="")
        state.stage = stage
        st = state.current
        st.shallow = {must[0].id: ["touched"]}
        st.rungs = {must[0].id: [Rung.pump]}
        st.probes = 1
        for text, pressed in (("I'm not sure.", False), ("I would add a few more features.", True)):
            asked = []
            for _ in range(len(must) * 3):
                move = next_move(case, state.model_copy(deep=True), Intent.answer, text, config)
                if move.kind not in (MoveKind.probe, MoveKind.hint) or not move.idea:
                    break
                asked.append(move.idea)
                st.rungs = {**st.rungs, move.idea: [*st.rungs.get(move.idea, []), move.rung]}  # type: ignore[list-item]
                st.probes += 1
            assert (must[0].id in asked) is pressed, f"{case_id} {stage} {text!r}: {asked}"
            st.rungs, st.probes = {must[0].id: [Rung.pump]}, 1


def test_one_reply_to_a_challenge_can_correct_two_mistakes_of_its_topic(store: Store, engine: Engine) -> None:
    """A random split and a feature measured during the trip, both leakage: the reply to the first
    challenge fixes both, so the second is not challenged, and the leaky feature list is never quoted
    as done well."""
    interview = Interview.start(CaseId.eta_prediction, Level.senior, store, engine)
    interview.submit("/skip")
    interview.submit("/skip")
    assert interview.state.stage is Stage.data_preparation
    interview.submit(
        "Features: distance, restaurant, hour, basket size, and the actual traffic speed during the delivery "
        "from the archived snapshots. I shuffle all orders and hold out 20% at random for the test set."
    )
    prep = interview.state.stages[Stage.data_preparation]
    assert set(prep.misconceptions) == {"hindsight_traffic", "random_split_orders"}
    assert interview.turns[-1].rung is Rung.challenge
    interview.submit(
        "Right, the speed during the trip isn't known when we quote, so I'd join the traffic snapshot "
        "from just before the order, and test on the latest weeks instead of a random split."
    )
    assert prep.misconceptions == {}
    assert set(prep.corrected) == {"hindsight_traffic", "random_split_orders"}
    assert sum(t.rung is Rung.challenge for t in interview.turns) == 1
    interview.submit("/end")
    card = interview.state.scorecard
    assert card is not None
    stage = next(s for s in card.stages if s.stage is Stage.data_preparation)
    assert not any("during the delivery" in q for quotes in stage.done_well.values() for q in quotes)
