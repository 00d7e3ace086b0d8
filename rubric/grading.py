"""Grade one answer to one stage against the rubric (the `mlsd grade` contract)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge.cases import load_case
from rubric.errors import InputError
from rubric.guard import normalise
from rubric.ids import CaseId, Stage
from rubric.schema import load_rubric
from rubric.scoring import StageScore, score_stage

if TYPE_CHECKING:
    from interviewer.session import Engine


def grade_answer(engine: Engine, case_id: CaseId, stage: Stage, text: str, max_chars: int) -> StageScore:
    text = normalise(text)
    if not text:
        raise InputError("The answer is empty: there is nothing to grade.")
    if len(text) > max_chars:
        raise InputError(f"Answers are limited to {max_chars:,} characters; this one has {len(text):,}.")
    case = load_case(case_id)
    coverage = engine.grader.assess(case, stage, text)
    return score_stage(
        case,
        stage,
        coverage.met,
        coverage.misconceptions,
        criteria=load_rubric().stages[stage].criterion_ids(),
        provider=engine.provider,
        prompt_version=engine.grader.version,
    )
