"""Shipped content is valid, and the validator names the file and the id of any broken reference."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from common.ids import Level, Stage, Topic
from interviewer.voices import PROMPTS_DIR
from knowledge.cases import CASES_DIR, available_cases, load_case
from knowledge.index import NOTES_DIR
from rubric.schema import RUBRIC_FILE, load_rubric
from rubric.validate import problems


def test_shipped_content_has_no_problems() -> None:
    assert problems() == []


def test_at_least_two_cases_with_a_question_for_every_stage() -> None:
    assert len(available_cases()) >= 2
    for case_id in available_cases():
        case = load_case(case_id)
        assert list(case.stages) == list(Stage)
        assert all(plan.question.strip() for plan in case.stages.values())


@pytest.mark.parametrize("case_id", available_cases())
def test_each_case_calls_for_the_core_topics_where_they_belong(case_id: str) -> None:
    case = load_case(case_id)
    assert Topic.data_leakage in case.plan(Stage.data_preparation).topics
    assert Topic.metric_choice in case.plan(Stage.evaluation).topics
    assert Topic.training_serving_skew in case.plan(Stage.deployment_serving).topics


@pytest.mark.parametrize("case_id", available_cases())
def test_every_idea_and_mistake_is_also_written_as_write_ups_put_it(case_id: str) -> None:
    """The judge reads public write-ups (headings, bold-label bullets, table rows, spec lines) as
    well as speech and notes; every item of every stage, at every level, has such lines."""
    case = load_case(case_id).for_candidate(Level.staff)
    for stage in Stage:
        plan = case.plan(stage)
        for item in (*plan.ideas, *plan.misconceptions):
            assert len(item.writeup) >= 3, (case_id, stage, item.id)


def test_the_rubric_covers_every_stage_with_four_anchors() -> None:
    rubric = load_rubric()
    assert list(rubric.stages) == list(Stage)
    for stage in rubric.stages.values():
        assert all(sorted(c.anchors) == [1, 2, 3, 4] for c in stage.criteria)


def _copy_case(tmp_path: Path, edit: str, replacement: str) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    source = CASES_DIR / "ad_click_prediction.yaml"
    text = source.read_text()
    assert edit in text
    (folder / source.name).write_text(text.replace(edit, replacement, 1))
    return folder


def test_an_unknown_criterion_is_reported_with_file_and_id(tmp_path: Path) -> None:
    idea = load_case("ad_click_prediction").plan(Stage.framing).ideas[0]
    folder = _copy_case(tmp_path, f"criterion: {idea.criterion}", "criterion: vibes")
    (problem,) = problems(folder)
    assert "ad_click_prediction.yaml" in problem
    assert "vibes" in problem
    assert idea.id in problem


def test_an_unknown_topic_is_reported_with_file_and_id(tmp_path: Path) -> None:
    folder = _copy_case(tmp_path, "topic: data_leakage", "topic: astrology")
    (problem,) = problems(folder)
    assert "ad_click_prediction.yaml" in problem
    assert "astrology" in problem


def test_an_unknown_case_id_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    data = yaml.safe_load((CASES_DIR / "ad_click_prediction.yaml").read_text())
    data["id"] = "time_machine"
    (folder / "time_machine.yaml").write_text(yaml.safe_dump(data))
    (problem,) = problems(folder)
    assert "time_machine.yaml" in problem
    assert "time_machine" in problem


def test_a_broken_rubric_is_reported_with_its_file(tmp_path: Path) -> None:
    rubric = tmp_path / "rubric.yaml"
    shutil.copy(RUBRIC_FILE, rubric)
    rubric.write_text(rubric.read_text().replace("  monitoring:\n", "  monitorin:\n", 1))
    (problem,) = problems(CASES_DIR, rubric)
    assert "rubric.yaml" in problem
    assert "monitorin" in problem


# ---------------------------------------------------------------- content lint: how the interviewer speaks

#: a requirement answer gives facts; these are the shapes of a conclusion drawn for the candidate
_DERIVED = [
    r"\bso (that )?(the|a|each|you|we) [\w-]+( [\w-]+){0,2} (must|needs? to|has to|can only|would)\b",
    r"\bwhich (leaves|means|implies)\b",
    r"\b(leaves|of which) (about |roughly |only )?\d+ ?ms\b",
]
#: a latency budget already split between components (one service's own deadline is a fact)
_ALLOCATION = re.compile(r"\b(gets|allows|takes) (about |roughly |up to )?\d+ ?ms\b", re.IGNORECASE)
#: verdict words a challenge must not use: it restates the candidate's words neutrally, then asks
_VERDICTS = r"\b(wrong|worr\w*|mistake|flaw\w*|distort\w*|bad|incorrect|misconception)\b"


def _ideas() -> list[tuple[str, object]]:
    """Every expected idea: for every level, and the adjustments curveballs call for."""
    return [
        (f"{case_id}:{idea.id}", idea)
        for case_id in available_cases()
        for plan in load_case(case_id).for_candidate(Level.staff).stages.values()
        for idea in plan.ideas
    ] + [(f"{c}:{b.idea.id}", b.idea) for c in available_cases() for b in load_case(c).curveballs]


@pytest.mark.parametrize("case_id", available_cases())
def test_requirement_answers_state_facts_not_conclusions(case_id: str) -> None:
    found = [
        f"{fact.id}: {m.group(0)!r}"
        for fact in load_case(case_id).requirements
        for pattern in _DERIVED
        if (m := re.search(pattern, " ".join(fact.answer.split()), re.IGNORECASE))
    ]
    found += [
        f"{fact.id}: a budget split between components"
        for fact in load_case(case_id).requirements
        if len(_ALLOCATION.findall(fact.answer)) > 1
    ]
    assert not found, f"{case_id}: requirement answers that reason for the candidate: {found}"


def test_no_hint_or_pointed_question_contains_the_words_that_would_credit_its_idea() -> None:
    """A candidate who echoes the interviewer's question must not be credited with the idea."""
    found = [
        f"{name} {field}: {cue}"
        for name, idea in _ideas()
        for field in ("hint", "question")
        for cue in idea.cues  # type: ignore[attr-defined]
        if re.search(cue, getattr(idea, field), re.IGNORECASE)
    ]
    assert not found, found


@pytest.mark.parametrize("case_id", available_cases())
def test_every_deep_dive_has_a_hint_that_points_without_giving_a_point_away(case_id: str) -> None:
    """A candidate stuck on a dive gets a nudge: where to look, never three words in a row of what a
    strong answer says (beyond words such as "the" and "of"), never a verdict."""

    def runs(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"[a-z0-9]+", text.lower())
        return {tuple(words[i : i + 3]) for i in range(len(words) - 2) if not set(words[i : i + 3]) <= _GLUE}

    for dive in load_case(case_id).deep_dives:
        assert dive.hint, f"{dive.id}: no hint"
        shared = runs(dive.hint) & set().union(*(runs(point) for point in dive.look_for))
        assert not shared, f"{dive.id}: the hint says part of a point: {shared}"
        assert not re.search(_VERDICTS, dive.hint, re.IGNORECASE), dive.id


_GLUE = {"the", "a", "an", "of", "to", "in", "on", "for", "and", "or", "is", "it", "that", "what", "how"}


def test_challenges_restate_the_candidate_without_a_verdict() -> None:
    templates = yaml.safe_load((PROMPTS_DIR / "template_voice.yaml").read_text(encoding="utf-8"))
    for text in templates["challenge"] + templates["challenge_unquoted"]:
        assert not re.search(_VERDICTS, text, re.IGNORECASE), text
        assert text.rstrip().endswith("?"), text
    assert all("{said}" in text for text in templates["challenge"])
    for text in templates["pump"] + templates["pump_on_claim"]:  # a follow-up does not echo the answer
        assert "{said}" not in text, text
    for text in templates["dive"] + templates["dive_closing"]:  # name the component, read nothing back
        assert "{choice}" in text, text
        assert "{said}" not in text, text
    assert "assert" not in templates, "the interview does not read out what it was looking for"


# ---------------------------------------------------------------- content lint: facts that were once wrong

#: claims found wrong in review; each pattern is one that must never come back
_WRONG_CLAIMS = {
    "a useless model scores ROC-AUC 0.5, it does not look good": (
        r"roc[- ]?auc[^.]{0,60}\b(looks? (good|great|fine|rosy)|flatter\w*|misleadingly high)"
    ),
    "in a click-priced second-price auction a uniform over-prediction cancels": (
        r"\b\d+% (too high|over-?predict\w*)[^.]{0,40}overcharges? (advertisers )?by (about )?\d+%"
    ),
    "mAP assumes binary relevance": r"\bmap\b[^.\n]{0,30}\bgraded\b",
    "NE is less sensitive to the base rate, not independent of it": (
        r"\b(independent of|regardless of|comparable across [^.]{0,30}different) (the )?base rates?"
    ),
}


#: where a note names a claim as a mistake rather than stating it: a mistakes section, a weak answer
_WARNS = re.compile(r"\b(mistakes?|pitfalls?|traps?|weak answers?|claim that)\b", re.IGNORECASE)


def _stated_lines(text: str) -> list[str]:
    """The lines of a file that state things, without those under a mistakes heading."""
    out, warning = [], False
    for line in text.splitlines():
        if line.startswith("#"):
            warning = bool(_WARNS.search(line))
        elif not warning and not _WARNS.search(line):
            out.append(line)
    return out


@pytest.mark.parametrize("claim", sorted(_WRONG_CLAIMS))
def test_content_never_states_a_claim_found_wrong(claim: str) -> None:
    pattern = re.compile(_WRONG_CLAIMS[claim], re.IGNORECASE)
    files = [*CASES_DIR.glob("*.yaml"), *NOTES_DIR.rglob("*.md")]
    found = [
        f"{p.name}: {m.group(0)!r}"
        for p in files
        for line in _stated_lines(p.read_text(encoding="utf-8"))
        if (m := pattern.search(line))
    ]
    assert not found, f"{claim}: {found}"


def test_the_fraud_sheet_blocks_no_more_fraud_than_there_is() -> None:
    """The declined share times the share of declines that are fraud cannot exceed the fraud rate."""
    answers = " ".join(" ".join(f.answer.split()) for f in load_case("fraud_detection").requirements)
    words = {
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
    }
    declined = re.search(r"declines about ([\d.]+)% of payments", answers)
    good = re.search(r"(\w+) out of (\w+) of those declines were good", answers)
    fraud = re.search(r"([\d.]+)% of approved payments", answers)
    assert declined, "the sheet states the decline rate"
    assert good, "the sheet states the share of declines that were good customers"
    assert fraud, "the sheet states the fraud rate"
    tens = {"ten": 10, **words}
    good_share = words[good.group(1)] / tens[good.group(2)]
    assert float(declined.group(1)) * (1 - good_share) <= float(fraud.group(1))
