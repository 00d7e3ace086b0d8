"""Grade a whole transcript (the interview JSON, or Markdown) into a per-stage scorecard.

Markdown transcripts look like this (stage headings by id or title; speakers at line start):

    # Case: ad_click_prediction
    ## data_preparation
    Interviewer: What data would you use?
    Candidate: Click logs joined to impressions, split by time...
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from common.errors import InputError
from common.ids import CaseId, Level, Stage
from rubric.grading import grade_answer
from rubric.scoring import Scorecard, build_scorecard

if TYPE_CHECKING:
    from rubric.assessors import Assessor

_SPEAKER = re.compile(r"^\s*\**(interviewer|candidate)\**\s*:\s*\**\s*(.*)$", re.IGNORECASE)
#: the longest transcript read: seven stages of long answers with the interviewer's turns between
MAX_TRANSCRIPT_CHARS = 400_000


def parse(text: str, case: CaseId | None = None) -> tuple[CaseId, dict[Stage, str]]:
    """The case and each stage's candidate text; errors say what is missing."""
    if len(text) > MAX_TRANSCRIPT_CHARS:
        raise InputError(
            f"Transcripts are limited to {MAX_TRANSCRIPT_CHARS:,} characters; this one has {len(text):,}. "
            "Nothing was graded: grade its stages one by one with --answer."
        )
    if text.lstrip().startswith(("{", "[")):
        return _parse_json(text, case)
    found_case, answers = case, dict[Stage, list[str]]()
    stage, speaker = None, None
    for line in text.splitlines():
        if match := re.match(r"^#\s*case\s*:\s*(\S+)", line, re.IGNORECASE):
            found_case = found_case or _case(match.group(1))
        elif line.startswith("## "):
            stage, speaker = _stage(line[3:].strip()), None
        elif match := _SPEAKER.match(line):
            speaker = match.group(1).lower()
            if speaker == "candidate" and stage:
                answers.setdefault(stage, []).append(match.group(2))
        elif speaker == "candidate" and stage and line.strip():
            answers[stage][-1] += "\n" + line
    if found_case is None:
        raise InputError("the transcript names no case: add '# Case: <case id>' or pass --case")
    if not answers:
        raise InputError("no candidate lines under a '## <stage>' heading were found")
    return found_case, {s: "\n".join(v) for s, v in answers.items()}


def _parse_json(text: str, case: CaseId | None) -> tuple[CaseId, dict[Stage, str]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"not an interview transcript in JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        raise InputError('not an interview transcript in JSON: expected {"case": …, "turns": [...]}')
    if case is None and not isinstance(data.get("case"), str):
        raise InputError('the transcript names no case: add "case": "<case id>" or pass --case')
    found = case or _case(data["case"])
    answers: dict[Stage, list[str]] = {}
    for n, turn in enumerate(data["turns"], 1):
        fields = ("role", "stage", "text")
        if not isinstance(turn, dict) or not all(isinstance(turn.get(k), str) for k in fields):
            raise InputError(f'turn {n} of the transcript needs "role", "stage" and "text" as strings')
        if turn["role"] == "candidate" and not turn["text"].startswith("/"):
            answers.setdefault(_stage(turn["stage"]), []).append(turn["text"])
    return found, {s: "\n".join(v) for s, v in answers.items()}


def _case(value: str) -> CaseId:
    try:
        return CaseId(value.strip())
    except ValueError as exc:
        raise InputError(f"unknown case {value!r}; valid: {', '.join(c.value for c in CaseId)}") from exc


def _stage(value: str) -> Stage:
    for stage in Stage:
        if value.strip().lower() in (stage.value, stage.label.lower()):
            return stage
    raise InputError(f"unknown stage heading {value!r}; use one of: {', '.join(s.value for s in Stage)}")


def grade_transcript(
    grader: Assessor, provider: str, text: str, level: Level, case: CaseId | None, max_chars: int
) -> Scorecard:
    found_case, answers = parse(text, case)
    stages = []
    for stage in Stage:
        answer = answers.get(stage, "").strip() or "(no answer)"
        try:
            stages.append(grade_answer(grader, provider, found_case, stage, answer, max_chars))
        except InputError as exc:
            raise InputError(f"stage {stage.value}: {exc}") from None
    return build_scorecard(found_case, level, stages)
