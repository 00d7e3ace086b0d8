"""Grade one answer to one stage against the rubric (the `mlsd grade` contract)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from common.errors import InputError
from common.ids import CaseId, Stage
from knowledge.cases import load_case
from rubric.guard import checked_answer
from rubric.schema import load_rubric
from rubric.scoring import StageScore, score_stage

if TYPE_CHECKING:
    from rubric.assessors import Assessor


def grade_answer(
    grader: Assessor, provider: str, case_id: CaseId, stage: Stage, text: str, max_chars: int
) -> StageScore:
    """One stage answer graded by `grader`; `provider` names the engine in the result."""
    text = checked_answer(text, max_chars)
    if not text:
        raise InputError("The answer is empty: there is nothing to grade.")
    case = load_case(case_id)
    coverage = grader.assess(case, stage, text)
    return score_stage(
        case,
        stage,
        coverage,
        criteria=load_rubric().stages[stage].criterion_ids(),
        provider=provider,
        prompt_version=grader.version,
    )
