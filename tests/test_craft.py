"""Interviewing craft: depth by level, a curveball at senior and staff, and deep dives that follow
the candidate's own design."""

from __future__ import annotations

import re

from common.ids import CaseId, Level, Stage
from interviewer.engine import Engine
from interviewer.models import DIVE_RUNGS, MoveKind, Rung, Turn
from interviewer.policy import PolicyConfig
from interviewer.script import Script, ScriptedStage, play
from interviewer.session import Interview
from interviewer.store import Store
from knowledge.cases import available_cases, load_case
from rubric.assessors import EmbeddingAssessor
from rubric.grading import grade_answer
from rubric.scoring import (
    HELPED_MARKS,
    MADE,
    MADE_HELPED,
    NOT_COVERED,
    TOLD,
    TOUCHED,
    TOUCHED_HELPED,
)

from .helpers import strong_script

ADS = CaseId.ad_click_prediction
NO_CURVEBALL = PolicyConfig(curveballs=False)


def _played(store: Store, engine: Engine, script: Script, config: PolicyConfig = NO_CURVEBALL) -> Interview:
    interview = Interview.start(script.case, script.level, store, engine, config=config)
    play(interview, script)
    return interview


def _ids(case_id: CaseId, level: Level | None, stage: Stage) -> set[str]:
    return {i.id for i in load_case(case_id).for_candidate(level).plan(stage).ideas}


def _asked(interview: Interview, stage: Stage) -> list[Turn]:
    return [t for t in interview.turns if t.stage is stage and t.move in (MoveKind.probe, MoveKind.hint)]


# ---------------------------------------------------------------- depth by level


def test_depth_ideas_are_expected_only_at_their_level() -> None:
    assert "delayed_label_maturity" not in _ids(ADS, Level.mid, Stage.model_development)
    assert "delayed_label_maturity" in _ids(ADS, Level.senior, Stage.model_development)
    assert "conversion_head_for_ocpm" not in _ids(ADS, Level.senior, Stage.framing)
    assert "conversion_head_for_ocpm" in _ids(ADS, Level.staff, Stage.framing)
    assert _ids(ADS, None, Stage.framing) == {i.id for i in load_case(ADS).plan(Stage.framing).ideas}


def test_every_case_asks_more_of_senior_and_staff_candidates() -> None:
    for case_id in available_cases():
        case = load_case(case_id)
        levels = [i.level for plan in case.stages.values() for i in plan.depth]
        assert len(levels) >= 2, case_id
        assert Level.staff in levels, case_id


def test_one_answer_graded_alone_is_held_to_no_level() -> None:
    """`mlsd grade` knows no level: a depth idea neither counts for nor against the answer."""
    case = load_case(ADS)
    text = " ".join(i.phrasings[0] for i in case.plan(Stage.framing).ideas)
    score = grade_answer(EmbeddingAssessor(), "offline", ADS, Stage.framing, text, 20_000)
    assert score.score >= 3
    assert "conversion_head_for_ocpm" not in score.feedback


def test_a_staff_candidate_earns_what_a_senior_is_not_asked_for(store: Store, engine: Engine) -> None:
    depth = next(i for i in load_case(ADS).plan(Stage.framing).depth if i.id == "conversion_head_for_ocpm")
    staff = strong_script(ADS).model_copy(update={"level": Level.staff})
    with_depth = staff.model_copy(deep=True)
    with_depth.stages[Stage.framing].answer += " " + depth.phrasings[1]
    without, given = _played(store, engine, staff), _played(store, engine, with_depth)
    senior = _played(store, engine, strong_script(ADS))
    assert depth.id in {i.id for i in without.case.plan(Stage.framing).ideas}, "expected of staff"
    assert depth.id not in {i.id for i in senior.case.plan(Stage.framing).ideas}, "not of a senior"
    assert senior.state.scorecard
    assert (
        depth.text.strip()
        not in next(s for s in senior.state.scorecard.stages if s.stage is Stage.framing).feedback
    )
    assert depth.id in given.state.stages[Stage.framing].met
    assert given.state.scorecard
    assert without.state.scorecard
    shown, missed = (
        next(s for s in card.stages if s.stage is Stage.framing)
        for card in (given.state.scorecard, without.state.scorecard)
    )
    assert shown.raw >= missed.raw
    point = " ".join(depth.text.split())
    assert f"{NOT_COVERED}: {point}" in missed.outline
    assert shown.score == 4
    assert not any(line.startswith("Made: ") for line in shown.outline), (
        "a stage at 4 lists only what it missed"
    )


# ---------------------------------------------------------------- curveball


def test_a_senior_interview_plays_a_curveball_and_judges_the_stage_on_the_adjustment(
    store: Store, engine: Engine
) -> None:
    interview = _played(store, engine, strong_script(ADS), config=PolicyConfig())
    played = load_case(ADS).curveball(interview.state.curveball)
    assert played is not None
    opening = next(t for t in interview.turns if t.move is MoveKind.ask and t.stage is played.stage)
    assert " ".join(played.change.split()) in opening.text
    assert played.idea.id in {i.id for i in interview.case.plan(played.stage).ideas}
    asked = {t.idea for t in _asked(interview, played.stage)}
    assert played.idea.id in asked, "a missed adjustment is probed"
    others = [t for t in interview.turns if t.move is MoveKind.ask and t.stage is not played.stage]
    assert not any(" ".join(played.change.split()) in t.text for t in others)


def test_no_curveball_below_senior_or_when_turned_off(store: Store, engine: Engine) -> None:
    mid = Interview.start(ADS, Level.mid, store, engine)
    staff_off = Interview.start(ADS, Level.staff, store, engine, config=NO_CURVEBALL)
    assert mid.state.curveball is None
    assert staff_off.state.curveball is None
    assert Interview.start(ADS, Level.staff, store, engine).state.curveball is not None


def test_every_case_has_a_curveball_whose_change_states_no_adjustment() -> None:
    for case_id in available_cases():
        case = load_case(case_id)
        assert case.curveballs, case_id
        for ball in case.curveballs:
            assert not ball.idea.said_in(ball.change), f"{case_id}:{ball.id} gives its adjustment away"


# ---------------------------------------------------------------- deep dives


def test_a_strong_answer_is_followed_into_a_component_it_proposed(store: Store, engine: Engine) -> None:
    interview = _played(store, engine, strong_script(ADS))
    dives = [t for t in interview.turns if t.rung is Rung.dive]
    assert dives, "a strong candidate who proposed DCN and a feature store is dug into one of them"
    case = load_case(ADS)
    for turn in dives:
        dive = next(d for d in case.deep_dives if d.id == turn.idea)
        assert dive.question in turn.text
        assert dive.choice in turn.text, "the question names the component its 'it' refers to"
        assert interview.state.choices[dive.id] not in turn.text, "no read-back of the candidate's words"
        assert turn.stage is dive.stage
    assert len({t.idea for t in dives}) == len(dives), "no dive is asked twice"
    assert len({t.stage for t in dives}) == len(dives), "one dive per stage at most"


def test_a_closing_dive_digs_into_a_component_and_credits_its_stage(store: Store, engine: Engine) -> None:
    case = load_case(ADS)
    plan = case.plan(Stage.deployment_serving)
    serving = next(i for i in plan.ideas if i.id == "shared_features_and_logging")
    script = Script(
        case=ADS,
        stages={
            **{s: ScriptedStage(answer="I'm not sure yet.") for s in Stage},
            Stage.deployment_serving: ScriptedStage(answer="I would put the model behind a feature store."),
            Stage.monitoring: ScriptedStage(
                answer="I'd watch dashboards.", replies={"default": serving.phrasings[1]}
            ),
        },
    )
    interview = _played(store, engine, script)
    closing = [t for t in interview.turns if t.rung is Rung.dive]
    assert [t.idea for t in closing] == ["dive_feature_store"]
    assert closing[0].stage is Stage.monitoring
    assert "feature store" in closing[0].text
    assert serving.id in interview.state.stages[Stage.deployment_serving].met
    assert interview.turns[-1].move is MoveKind.wrap_up
    invite = next(
        t
        for t in interview.turns
        if t.role == "interviewer" and t.stage is Stage.monitoring and t.move is MoveKind.ask and t.idea
    )
    assert "feature store" in invite.text, "the close leaves the dive first"
    assert "scorecard" in invite.text
    card = interview.state.scorecard
    assert card is not None
    assert [d.answer for d in card.dives] == [serving.phrasings[1]], "the scorecard keeps the answer"
    dive = card.dives[0]
    assert [p.split(": ", 1)[1] for p in dive.points] == dive.look_for
    assert all(p.split(": ", 1)[0] in (MADE, TOUCHED, NOT_COVERED) for p in dive.points)


def _downsampling_dive(reply: str) -> Script:
    """Negative downsampling proposed in model development, nothing else said, and the closing deep
    dive on it answered with `reply`."""
    return Script(
        case=ADS,
        stages={
            **{s: ScriptedStage(answer="I'm not sure yet.") for s in Stage},
            Stage.model_development: ScriptedStage(
                answer="I'd train on the impressions with negative downsampling."
            ),
            Stage.monitoring: ScriptedStage(answer="I'd watch dashboards.", replies={"default": reply}),
        },
    )


def test_a_deep_dive_left_blank_gets_a_smaller_step_then_the_scorecard_says_so(
    store: Store, engine: Engine
) -> None:
    case = load_case(ADS)
    dive = next(d for d in case.deep_dives if d.id == "dive_negative_downsampling")
    part = dive.first_part()
    assert part is not None
    assert dive.hint is not None
    assert len(part) < len(dive.question)
    script = _downsampling_dive("I'm not sure.")
    interview = _played(store, engine, script)
    asked = [t for t in interview.turns if t.idea == dive.id and t.rung in DIVE_RUNGS]
    assert [t.rung for t in asked] == [Rung.dive, Rung.narrow], (
        "a smaller step, then the interview goes on (no third round of 'not sure')"
    )
    assert part[1:] in asked[1].text
    assert dive.choice in asked[1].text, "it stays on the candidate's component"
    assert " ".join(dive.hint.split()) not in asked[1].text, "a smaller question before any hint"
    card = interview.state.scorecard
    assert card is not None
    assert card.dives[0].answer == "I'm not sure.", "an answer given again is quoted once"
    assert interview._unanswered_dives() == {dive.stage: dive.choice}, "it holds its stage below 4"
    from rubric.scoring import overview

    assert f"Deep dives: {dive.choice} (none of the" in overview(card)
    assert f"going deeper on your own design ({dive.choice}" in overview(card), (
        "a dive not made is to work on"
    )


def test_a_smaller_step_says_whether_the_answer_missed_the_question_or_was_not_sure(
    store: Store, engine: Engine
) -> None:
    """After "not sure" the smaller step reassures; after an answer on another subject it first says
    that the answer did not get to what was asked (a stuck candidate is told, not only re-asked)."""
    dive_id = "dive_negative_downsampling"
    unsure = _played(store, engine, _downsampling_dive("I'm not sure."))
    script = _downsampling_dive("That's all I would add there.")
    off = "We would alert the on-call team by pager."  # the dive's own reply (it probes no topic)
    script.stages[Stage.monitoring].replies[""] = off
    elsewhere = _played(store, engine, script)
    steps = [
        next(t for t in i.turns if t.idea == dive_id and t.rung is Rung.narrow) for i in (unsure, elsewhere)
    ]
    assert not steps[0].text.startswith(("I don't think", "That's not quite")), steps[0].text
    assert steps[1].text.startswith(("I don't think", "That's not quite")), steps[1].text


def test_a_deep_dive_does_not_ask_again_the_part_the_candidate_already_explained(
    store: Store, engine: Engine
) -> None:
    """A dive on the index the candidate proposed drops "how would you shard it" once their answer
    said how it is sharded, and keeps the parts they did not cover; the scorecard shows the question
    as asked."""
    dive = next(d for d in load_case(CaseId.visual_search).deep_dives if d.id == "dive_ann_index")
    assert any("shard" in p for p in dive.parts())
    serving = (
        "The index is HNSW over IVF-PQ compressed vectors, sharded by vector id across machines, with each "
        "query fanned out to every shard and the results merged."
    )
    stages = {s: ScriptedStage(answer="I'm not sure yet.") for s in Stage}
    stages[Stage.deployment_serving] = ScriptedStage(answer=serving)
    interview = _played(store, engine, Script(case=CaseId.visual_search, stages=stages))
    asked = next(t for t in interview.turns if t.idea == dive.id and t.rung is Rung.dive)
    assert "shard" not in asked.text.lower(), asked.text
    assert "memory" in asked.text, asked.text
    assert "compression" in asked.text, asked.text
    card = interview.state.scorecard
    assert card is not None
    assert "shard" not in card.dives[0].question


def test_a_hint_asked_for_during_a_deep_dive_is_the_dive_s_hint() -> None:
    from interviewer.models import SessionState
    from interviewer.policy import Intent, next_move

    case = load_case(ADS)
    dive = next(d for d in case.deep_dives if d.id == "dive_negative_downsampling")
    state = SessionState(id="t", case=case.id, level=Level.senior, provider="offline", prompt_version="")
    state.stage = dive.stage
    state.diving = dive.id
    state.current.rungs = {dive.id: [Rung.dive]}
    move = next_move(case, state, Intent.hint, "/hint")
    assert (move.kind, move.idea, move.rung) == (MoveKind.hint, dive.id, Rung.dive_hint)
    state.current.rungs = {dive.id: [Rung.dive, Rung.dive_hint]}
    again = next_move(case, state, Intent.hint, "/hint")
    assert again.idea != dive.id, "once: then the stage's own hints"
    assert state.current.hints() == 1, "the scorecard counts it"


def test_a_deep_dive_answered_gets_no_smaller_step(store: Store, engine: Engine) -> None:
    case = load_case(ADS)
    dive = next(d for d in case.deep_dives if d.id == "dive_negative_downsampling")
    script = _downsampling_dive(dive.look_for[0])
    interview = _played(store, engine, script)
    assert [t.rung for t in interview.turns if t.idea == dive.id and t.rung] == [Rung.dive]


def test_a_component_argued_against_or_asked_about_is_no_choice(store: Store, engine: Engine) -> None:
    interview = Interview.start(ADS, Level.mid, store, engine)
    interview.submit("What's the click window? And do we have a feature store?")
    interview.submit("/skip")
    interview.submit("I would not use a feature store here; a plain service is enough.")
    assert interview.state.choices == {}


_FIGURE = re.compile(r"(\d[\d,.]*)\s*(ms|milliseconds?|queries|requests|loads|qps)\b", re.IGNORECASE)


def test_a_curveball_never_leaves_the_stage_question_stating_the_old_figure() -> None:
    """A question that says "within 150 ms" right after the budget dropped to 75 ms contradicts it."""
    for case_id in available_cases():
        case = load_case(case_id)
        for ball in case.curveballs:
            question = ball.question or case.plan(ball.stage).question
            new = {_unit(u): n for n, u in _FIGURE.findall(" ".join(ball.change.split()))}  # the last wins
            for number, unit in _FIGURE.findall(question):
                assert new.get(_unit(unit), number) == number, f"{case_id}:{ball.id}: {question}"


def _unit(word: str) -> str:
    return "ms" if word.lower().startswith("m") else word.lower()[:2]


def test_a_mistake_corrected_when_challenged_no_longer_sinks_the_stage(store: Store, engine: Engine) -> None:
    case = load_case(ADS)
    plan = case.plan(Stage.data_preparation)
    wrong = next(m for m in plan.misconceptions if m.topic and m.topic.value == "data_leakage")
    right = next(i for i in plan.ideas if i.topic == wrong.topic)
    answer = f"{plan.ideas[0].phrasings[0]} {wrong.phrasings[0]}"
    stubborn = Script(case=ADS, stages={Stage.data_preparation: ScriptedStage(answer=answer)})
    corrects = Script(
        case=ADS,
        stages={
            Stage.data_preparation: ScriptedStage(answer=answer, replies={"data_leakage": right.phrasings[0]})
        },
    )
    kept, fixed = _played(store, engine, stubborn), _played(store, engine, corrects)
    assert wrong.id in kept.state.stages[Stage.data_preparation].misconceptions
    st = fixed.state.stages[Stage.data_preparation]
    assert st.corrected == {wrong.id: right.id}
    assert kept.state.scorecard
    assert fixed.state.scorecard
    before, after = (
        next(s for s in card.stages if s.stage is Stage.data_preparation)
        for card in (kept.state.scorecard, fixed.state.scorecard)
    )
    assert before.score == 1
    assert f'Careful: you said "{wrong.phrasings[0][:40]}' in before.feedback, (
        "the mistake quotes the candidate"
    )
    assert after.score == 2, "saved from a 1, not from having needed the challenge"
    assert "put right only once challenged" in after.feedback
    assert "Corrected when asked" in after.feedback
    from rubric.scoring import overview

    head = " ".join(wrong.text.split()[:4]).lower()
    stated, mended = (
        next(line for line in overview(card).splitlines() if line.startswith("Mistakes: "))
        for card in (kept.state.scorecard, fixed.state.scorecard)
    )
    assert stated.startswith(f"Mistakes: in data preparation, {head}"), stated
    assert "(corrected when asked)" not in stated
    assert mended.startswith(f"Mistakes: in data preparation, {head}"), mended
    assert mended.endswith("(corrected when asked).")


def test_a_reply_that_grants_the_challenge_may_name_the_mistake_to_say_why_it_fails(
    store: Store, engine: Engine
) -> None:
    case = load_case(ADS)
    plan = case.plan(Stage.evaluation)
    wrong = next(m for m in plan.misconceptions if m.id == "accuracy_on_rare_clicks")
    right = next(i for i in plan.ideas if i.topic == wrong.topic)
    reply = (
        "Right, with clicks that rare a model that predicts no click for every impression already has "
        f"99% accuracy. {right.phrasings[0]}"
    )
    answer = f"{plan.ideas[-1].phrasings[0]} {wrong.phrasings[0]}"
    script = Script(
        case=ADS, stages={Stage.evaluation: ScriptedStage(answer=answer, replies={"metric_choice": reply})}
    )
    st = _played(store, engine, script).state.stages[Stage.evaluation]
    assert st.corrected == {wrong.id: right.id}
    assert wrong.id not in st.misconceptions


def test_a_mistake_defended_when_challenged_is_not_corrected(store: Store, engine: Engine) -> None:
    """Naming a right idea while still arguing for the mistake corrects nothing."""
    case = load_case(ADS)
    plan = case.plan(Stage.evaluation)
    wrong = next(m for m in plan.misconceptions if m.topic and m.topic.value == "metric_choice")
    right = next(i for i in plan.ideas if i.topic == wrong.topic)
    defence = (
        f"{right.phrasings[0]} I know the classes are imbalanced, but with the threshold tuned I "
        "think accuracy is still a reasonable thing to track, and it's easy to communicate."
    )
    answer = f"{plan.ideas[-1].phrasings[0]} {wrong.phrasings[0]}"
    script = Script(
        case=ADS, stages={Stage.evaluation: ScriptedStage(answer=answer, replies={"metric_choice": defence})}
    )
    st = _played(store, engine, script).state.stages[Stage.evaluation]
    assert wrong.id in st.misconceptions
    assert not st.corrected


# ---------------------------------------------------------------- habits of a senior interviewer

VIDEO = CaseId.video_recommendation


def test_the_same_answer_again_moves_the_interview_on(store: Store, engine: Engine) -> None:
    """A candidate who gives the same answer again has nothing to add: the interviewer does not ask a
    third time. A short "no idea" to different questions is no repeat (the next one may land), and
    the probe cap still bounds it."""
    same = "I would just use whatever the platform team already has for this part of the system."
    script = Script(
        case=VIDEO,
        stages={s: ScriptedStage(answer="I'm not sure yet.", replies={"default": same}) for s in Stage},
    )
    interview = _played(store, engine, script)
    for stage in Stage:
        answers = [t.text for t in interview.turns if t.role == "candidate" and t.stage is stage]
        assert answers.count(same) <= 2, stage
    after = [
        interview.turns[n + 1]
        for n, t in enumerate(interview.turns[:-1])
        if t.role == "candidate" and t.text == same and interview.turns[n + 1].move is MoveKind.advance
    ]
    assert after, "a repeat moves the interview on"
    assert all(re.search(r"before|already", t.text) for t in after), "and says why, not a bare thanks"
    short = Script(
        case=VIDEO,
        stages={s: ScriptedStage(answer="I'm not sure yet.", replies={"default": "No idea."}) for s in Stage},
    )
    interview = _played(store, engine, short)
    for stage in Stage:
        answers = [t.text for t in interview.turns if t.role == "candidate" and t.stage is stage]
        assert answers.count("No idea.") <= PolicyConfig().max_probes, stage


def test_a_question_asked_as_a_statement_is_answered() -> None:
    from interviewer.policy import embedded_questions, facts_asked

    text = "I'd also like to know how quickly the recommendation service has to answer. Then I'll sketch it."
    asked = [f for q in embedded_questions(text) for f in facts_asked(load_case(VIDEO), q)]
    assert "latency" in asked


def test_requirements_the_candidate_asked_about_are_not_asked_back(store: Store, engine: Engine) -> None:
    case = load_case(VIDEO)
    idea = next(
        i for i in case.plan(Stage.clarifying_requirements).ideas if i.id == "catalogue_scale_and_latency"
    )
    interview = Interview.start(VIDEO, Level.mid, store, engine)
    interview.submit(
        "Mostly I want numbers first. How many videos are in the catalogue, and how many users do we have? "
        "How many requests per second hit the home page at peak? Then I'll get going."
    )
    interview.submit("Nothing else for now.")
    asked = [t.idea for t in _asked(interview, Stage.clarifying_requirements)]
    assert idea.id not in asked


def test_a_question_on_rules_for_data_is_not_answered_with_the_data_we_have() -> None:
    from interviewer.policy import facts_asked

    for case_id in available_cases():
        case = load_case(case_id)
        if "data_available" not in {f.id for f in case.requirements}:
            continue
        for question in ("Any regulation on data use?", "What are the rules on data retention?"):
            assert "data_available" not in facts_asked(case, question), (case_id, question)
        assert "data_available" in facts_asked(case, "What data do we have?"), case_id


def test_a_question_about_where_the_estimate_is_shown_is_answered_in_any_tense() -> None:
    from interviewer.policy import facts_asked

    case = load_case(CaseId.eta_prediction)
    for question in ("When we are showing the time, in which moments?", "Where is it displayed?"):
        assert "eta_display" in facts_asked(case, question), question


def test_a_question_in_several_parts_gets_each_answer_under_a_readable_heading() -> None:
    from interviewer.models import Move
    from interviewer.voices import TemplateVoice

    case = load_case(CaseId.eta_prediction)
    move = Move(
        kind=MoveKind.clarify, stage=Stage.clarifying_requirements, facts=["eta_display", "traffic_qps"]
    )
    text = TemplateVoice().text(move, case, "seed")
    assert "- **ETA display:** " in text, text
    assert "- **Traffic QPS:** " in text, text


def test_the_scorecard_opens_with_strengths_and_says_why_a_stage_is_not_a_4(
    store: Store, engine: Engine
) -> None:
    from rubric.scoring import overview

    card = _played(store, engine, strong_script(ADS)).state.scorecard
    assert card is not None
    strengths = overview(card).splitlines()[0]
    assert strengths.startswith("Strengths: ")
    assert 1 <= strengths.count("/4") <= 3, "the best stages, not every stage"
    assert any(t.label in strengths for s in card.stages for t in s.strengths), "names what was strong"
    statuses = (MADE_HELPED, TOLD, "Got wrong", TOUCHED, TOUCHED_HELPED, NOT_COVERED)
    for stage in card.stages:
        if stage.score == 3 and not stage.outline and "Short of a 4" not in stage.feedback:
            raise AssertionError(f"{stage.stage}: a 3 without the points that kept it from a 4")
        assert not stage.feedback.startswith("Scored 3"), "no rubric sentence: the outline says why"
        assert all(line.split(": ", 1)[0] in statuses for line in stage.outline), stage.outline
        points = [line.split(": ", 1)[1] for line in stage.outline]
        assert not any(p[:60] in stage.feedback for p in points), "each point is said once, in the outline"
        assert not (stage.score == 4 and stage.gaps), "a stage at the top anchor has suggestions, no gap"
        assert stage.feedback.count("Done well: ") <= 2, "a few quotes, not the whole answer again"
        assert len(stage.outline) <= (1 if stage.score == 4 else 3), "what matters most, not every miss"
        marks = [line.split(": ", 1)[0] for line in stage.outline]
        assert marks == sorted(marks, key=lambda m: m != "Got wrong"), "a point got wrong comes first"


def test_the_open_follow_up_asks_for_the_reasoning_behind_a_bare_claim(store: Store, engine: Engine) -> None:
    """An interviewer follows the candidate's claim: the open "what else?" first asks why, when the
    answer made a point with no reason, number or trade-off (without reading it back: a follow-up
    that quotes the candidate reads as echoing them); a point already argued gets the plain "what
    else?"."""
    bare = "Offline I'd look at log loss on held-out days. Online, an A/B test on revenue."
    argued = "Offline I would look at log loss on held-out days, because the auction needs calibrated odds."
    for answer, asks_why in ((bare, True), (argued, False)):
        script = Script(case=ADS, stages={Stage.evaluation: ScriptedStage(answer=answer)})
        interview = _played(store, engine, script)
        first = _asked(interview, Stage.evaluation)[0]
        assert first.rung is Rung.pump
        assert "log loss" not in first.text, "the answer is not read back"
        why = any(w in first.text.lower() for w in ("why", "what makes", "reasoning"))
        assert why is asks_why, first.text


def test_the_follow_up_asks_why_only_about_a_claim_just_made() -> None:
    """ "Why is that the right choice?" is about the answer just given: not after a question or a
    one-line reply (the claim was made turns ago), nor about a point the candidate conceded when a
    mistake was challenged."""
    from interviewer.models import SessionState
    from interviewer.policy import Intent, next_move

    case = load_case(ADS)
    plan = case.plan(Stage.evaluation)
    claim = "Offline I'd look at log loss on held-out days."
    made = next(i for i in plan.ideas if i.id == "normalized_entropy_and_auc")
    state = SessionState(id="t", case=case.id, level=Level.senior, provider="offline", prompt_version="")
    state.stage = Stage.evaluation
    state.current.met = {made.id: [claim]}
    state.current.answers = 1
    state.current.facts = ["latency"]  # the question was answered in this stage

    def quoted(intent: Intent, text: str) -> str | None:
        move = next_move(case, state.model_copy(deep=True), intent, text)
        assert move.rung is Rung.pump, move
        return move.quote

    assert quoted(Intent.answer, claim + " Online, an A/B test on revenue.") == claim
    assert quoted(Intent.answer, "Nothing more from me on that.") is None
    argued = claim + " The auction multiplies it by the bid, so it must be a probability."
    assert quoted(Intent.answer, argued) is None, "the answer already says why"
    assert quoted(Intent.question, "Is there a latency budget?") is None, "asked again, not a claim"
    mistake = next(m for m in plan.misconceptions)
    state.current.corrected = {mistake.id: made.id}
    assert quoted(Intent.answer, claim) is None


def test_a_component_already_explained_is_not_dug_into_again(store: Store, engine: Engine) -> None:
    """A deep dive asks about a component the candidate proposed; when their answers have already
    made most of what a strong answer to it covers, asking would only make them say it again."""
    dive = next(d for d in load_case(ADS).deep_dives if "downsampling" in d.choice)
    explained = " ".join(f"{point.rstrip('.')}." for point in dive.look_for)
    script = _downsampling_dive("I'm not sure.")
    script.stages[Stage.model_development].answer += " " + explained
    interview = _played(store, engine, script)
    assert dive.id in interview.state.choices
    assert 2 * len(interview.state.explained[dive.id]) >= len(dive.look_for)
    assert not [t for t in interview.turns if t.rung is Rung.dive and t.idea == dive.id]
    asked = _played(store, engine, _downsampling_dive("I'm not sure."))
    assert [t for t in asked.turns if t.rung is Rung.dive and t.idea == dive.id], (
        "proposed alone, it is asked"
    )


def test_a_dive_point_made_before_the_dive_counts_on_the_scorecard(store: Store, engine: Engine) -> None:
    """The candidate explained part of their component before the interviewer dug into it: the dive's
    note marks that point as made, not as "Not covered", and the overview counts it."""
    script = Script(
        case=ADS,
        stages={
            **{s: ScriptedStage(answer="I'm not sure yet.") for s in Stage},
            Stage.model_development: ScriptedStage(
                answer="I'd train a DCN with embedding tables for the ids. Shard the big tables across "
                "parameter servers and cache hot rows on the serving hosts.",
                replies={"default": "I'm not sure."},
            ),
        },
    )
    interview = _played(store, engine, script)
    assert any(t.rung is Rung.dive and t.idea == "dive_embedding_tables" for t in interview.turns)
    card = interview.state.scorecard
    assert card is not None
    dive = next(d for d in card.dives if d.choice == "a deep network with embedding tables")
    marks = [p.split(": ", 1)[0] for p in dive.points]
    assert marks[-1] == "Made before the dive", marks
    assert marks[:-1] == [NOT_COVERED] * (len(marks) - 1)
    from rubric.scoring import overview

    said = overview(card)
    assert "1 of 4 points made" in said
    assert "in the deep dive on a deep network with embedding tables" in said, (
        "the blank dive answer is named"
    )


def test_an_answer_that_says_it_is_done_gets_no_open_what_else() -> None:
    """ "…otherwise ok, let's go": the candidate has said what they have. The interviewer answers any
    question in it and goes on, with no open "what else?" and no pointed question on a minor point;
    a must-probe point still gets its pointed question. Said mid-answer, it changes nothing."""
    from interviewer.models import SessionState
    from interviewer.policy import READY, Intent, must_probe, next_move

    for said in (
        "any regulation on data use? otherwise ok, let's go",
        "That's it from me.",
        "Let's move on.",
    ):
        assert READY.search(said), said
    assert not READY.search("Let's go with a two-tower model and see how it does on recall.")
    case = load_case(VIDEO)
    stage = Stage.data_preparation
    plan = case.plan(stage)

    def move(text: str, met: list[str]) -> tuple[MoveKind, Rung | None, str | None]:
        state = SessionState(id="t", case=case.id, level=Level.senior, provider="offline", prompt_version="")
        state.stage = stage
        state.current.met = {i: ["said"] for i in met}
        m = next_move(case, state, Intent.answer, text, NO_CURVEBALL)
        return m.kind, m.rung, m.idea

    minor = [i.id for i in plan.ideas if not must_probe(i)]
    crux = [i for i in plan.ideas if must_probe(i)]
    assert crux
    assert minor
    open_kind = move("I'd log the impressions and the watches.", [crux[0].id])
    assert open_kind[1] is Rung.pump, "without the signal the open follow-up comes first"
    all_crux = [i.id for i in crux]
    ready = move("I'd log the impressions and the watches. That's all from me.", all_crux)
    assert ready[0] is MoveKind.advance, ready
    left = move("I'd log the impressions and the watches. Let's move on.", all_crux[1:])
    assert (left[1], left[2]) == (Rung.prompt, crux[0].id), left


# ---------------------------------------------------------------- asking is raising the point


def test_asking_for_a_requirement_raises_its_idea_and_is_not_asked_back(store: Store, engine: Engine) -> None:
    """ "what labels do we get, how fast?" asks for the label fact: the candidate raised how fraud
    labels arrive, so the judge finds it touched and the interviewer never puts that question back
    to them. A question that only shares a word with a fact ("click the carousel more?" is about
    the goal, not the labels) raises nothing."""
    case = load_case(CaseId.fraud_detection)
    stage = Stage.clarifying_requirements
    asked = "- goal: minimise fraud losses?\n- latency budget?\n- what labels do we get, how fast?"
    judged = EmbeddingAssessor().assess(case, stage, asked)
    assert "how_fraud_labels_arrive" in {**judged.met, **judged.shallow}
    labels = next(i for i in case.plan(stage).ideas if i.id == "how_fraud_labels_arrive")
    script = Script(case=case.id, stages={stage: ScriptedStage(answer=asked)})
    interview = _played(store, engine, script)
    said = [t.text for t in interview.turns if t.stage is stage and t.role == "interviewer"]
    assert not [t for t in said if labels.question in t], said
    assert [t for t in said if "chargeback" in t], "the label fact was given"
    listings = load_case(CaseId.similar_listings)
    goal = "What's the goal, is it getting people to click the carousel more or something else?"
    touched = EmbeddingAssessor().assess(listings, stage, goal)
    assert "no_similarity_labels" not in {**touched.met, **touched.shallow}


def test_every_requirements_idea_names_the_facts_that_answer_it() -> None:
    for case_id in available_cases():
        case = load_case(case_id)
        for idea in case.plan(Stage.clarifying_requirements).ideas:
            assert idea.facts, (case_id, idea.id)


def test_a_candidate_who_says_not_sure_is_asked_pointedly_and_not_pressed_on_one_point(
    store: Store, engine: Engine
) -> None:
    """ "Not sure" gets a pointed question, not "anything more?"; "not sure" again does not get a
    third round on the same point: another must-probe point's question if one is left, then the
    next stage."""
    stage = Stage.data_preparation
    script = Script(
        case=ADS, stages={stage: ScriptedStage(answer="I'm not sure.", replies={"default": "I'm not sure."})}
    )
    interview = _played(store, engine, script)
    asked = _asked(interview, stage)
    assert [t.rung for t in asked] == [Rung.prompt, Rung.prompt], [t.text for t in asked]
    assert len({t.idea for t in asked}) == len(asked), "no point is pressed twice"
    assert interview.state.stages[stage].unsure == 3


def test_what_to_work_on_names_a_point_and_a_touched_point_quotes_the_candidate(
    store: Store, engine: Engine
) -> None:
    """The overview's "To work on" names, per stage, the point a strong answer makes first (never a
    bare stage name); an outline point made or touched after help quotes the candidate's words, and
    one only touched unprompted quotes nothing (a loose match is no evidence to show)."""
    from rubric.scoring import overview

    thin = {stage: "I would keep it simple and use a model that works." for stage in Stage}
    thin[Stage.data_preparation] = "Labels from clicks. Split the data for training and testing."
    thin[Stage.evaluation] = "Offline I'd check log loss. Online, an A/B test."
    stages = {s: ScriptedStage(answer=a, replies={"default": a}) for s, a in thin.items()}
    split = "I would split by time: train on the older days and test on the most recent days."
    stages[Stage.data_preparation].replies = {"data_leakage": split, "default": "I'm not sure."}
    thin[Stage.data_preparation] += " " + split
    card = _played(store, engine, Script(case=ADS, stages=stages)).state.scorecard
    assert card is not None
    line = next(x for x in overview(card).splitlines() if x.startswith("To work on: "))
    for part in line.removeprefix("To work on: ").rstrip(".").split("; "):
        if part.startswith("going deeper"):
            continue
        head, _, point = part.partition("), ")
        assert "/4" in head, part
        assert len(point.split()) >= 3, f"a bare stage: {part!r}"
    outline = [p for s in card.stages for p in s.outline]
    assert not [p for p in outline if p.startswith(f"{TOUCHED}:") and "You said" in p]
    helped = [p for p in outline if p.split(": ")[0] in HELPED_MARKS]
    assert helped, outline
    said = " ".join(thin.values())
    for point in helped:
        quote = point.split(' You said: "', 1)[1].rstrip('"')
        assert quote.rstrip("…")[:30] in said, point


def test_a_question_asked_again_gets_its_answer_again_not_silence(store: Store, engine: Engine) -> None:
    """A fact asked for again (a whole turn asked as a question, or a question inside an answer
    asked outright, "I want ask: …") is said again, marked as said before, instead of the interview
    moving on as if nothing was asked; a question in passing is not answered twice."""
    latency = next(f for f in load_case(CaseId.eta_prediction).requirements if f.id == "latency")
    said = " ".join(latency.answer.split())[:40]

    def replies(*texts: str) -> list[str]:
        interview = Interview.start(CaseId.eta_prediction, Level.senior, store, engine)
        return [" ".join(t.text for t in interview.submit(text)) for text in texts]

    first = "How many milliseconds do we have for the estimate?"
    asked = replies(
        first, "Before I go on, I want ask again: how many milliseconds do we have? Then I'd plan."
    )
    assert said in asked[0]
    assert said in asked[1], asked[1]
    assert asked[1].startswith(("As I said earlier", "To repeat")), asked[1]
    again = replies(first, first)
    assert said in again[1], again[1]
    passing = replies(
        first, "The goal is on-time delivery; with a tight budget in milliseconds, who knows? I'd plan."
    )
    assert said not in passing[1], passing[1]


def test_a_question_the_brief_cannot_answer_asked_again_is_answered_again(
    store: Store, engine: Engine
) -> None:
    """Asked a second time, a question the requirement sheet does not answer gets that said again
    (briefly, as said before) before the interview goes on: a question is never met with silence."""
    interview = Interview.start(CaseId.eta_prediction, Level.senior, store, engine)
    question = "Is the company planning to open an office in Lisbon this year?"
    first = " ".join(t.text for t in interview.submit(question))
    assert "brief doesn't say" in first or "isn't fixed" in first, first
    again = " ".join(t.text for t in interview.submit(question))
    assert again.startswith(("As I said, the brief doesn't settle", "That one still isn't fixed")), again
    assert interview.turns[-1].move is not MoveKind.clarify  # it goes on; no second invitation to ask


def test_the_overview_names_an_earlier_answer_given_again_word_for_word(store: Store, engine: Engine) -> None:
    """A question met with an earlier answer again is named in the overview, where it was asked; a
    question asked again is not a repeat."""
    interview = Interview.start(CaseId.eta_prediction, Level.senior, store, engine)
    answer = "We want the quoted delivery time to be close to the real one, and honest, not optimistic."
    interview.submit("How many orders do we get per day?")
    interview.submit("How many orders do we get per day?")
    interview.submit(answer)
    interview.submit(answer)
    interview.submit("/end")
    card = interview.final_scorecard()
    assert card is not None
    assert card.repeated == [Stage.clarifying_requirements.label]
    from rubric.scoring import overview

    assert "Repeated: 1 question answered with an earlier answer" in overview(card)


def test_a_requirement_point_touched_by_asking_quotes_the_question_that_asked_for_it() -> None:
    """A clarifying point only touched because the candidate asked for its facts quotes their
    question, the one asking most of that point's facts: the peak-traffic question beside the scale
    point, not the cold-start question that also says "traffic"."""
    text = (
        "I'd also like to know how many people open the home page at peak and how quickly the "
        "recommendation service has to answer. And how much of our traffic is from brand-new users or "
        "freshly uploaded videos with no history?"
    )
    score = grade_answer(EmbeddingAssessor(), "offline", VIDEO, Stage.clarifying_requirements, text, 20_000)
    scale = next(line for line in score.outline if "numbers that shape the architecture" in line)
    assert scale.startswith(f"{TOUCHED}: "), scale
    assert scale.endswith(
        "You asked: \"I'd also like to know how many people open the home page at peak and "
        'how quickly the recommendation service has to answer."'
    ), scale


def test_the_answer_to_an_open_follow_up_counts_for_the_idea_it_was_aimed_at(
    store: Store, engine: Engine
) -> None:
    """The open "what else?" after a framing that splits retrieval from ranking is aimed at each
    stage's task; the reply naming each stage's task makes that point (in full: the question gave
    nothing away), so the scorecard does not call it not covered."""
    framing = (
        "I would not optimise for clicks, because that rewards clickbait. I'd frame the ranker as predicting "
        "several outcomes per user and video and combine them into one value score tuned against retention. "
        "We can't score a billion videos per request, so I'd split the system into candidate generation, a "
        "ranker and a re-ranking pass."
    )
    reply = (
        "Candidate generation is a retrieval problem, the ranker is a multi-output pointwise model, and the "
        "re-ranker is mostly rules plus a diversity penalty."
    )
    stages = {s: ScriptedStage(answer="I'm not sure yet.") for s in Stage}
    stages[Stage.framing] = ScriptedStage(answer=framing, replies={"default": reply})
    interview = _played(store, engine, Script(case=VIDEO, stages=stages))
    asked = [t for t in interview.turns if t.stage is Stage.framing and t.idea == "task_types_per_stage"]
    assert asked, "the follow-up was aimed at each stage's task"
    st = interview.state.stages[Stage.framing]
    assert "task_types_per_stage" in st.met
    assert st.credit().get("task_types_per_stage", 1.0) == 1.0, "an open follow-up gives nothing away"
