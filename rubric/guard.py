"""Guarding candidate text: normalisation, and the sentences that address the grader.

Grader-directed sentences are dropped before assessment: text that tries to instruct the grader is
never evidence. Dropping text can only lower coverage, so a false alarm costs the candidate at most
one sentence and an injection can never raise a grade.
"""

from __future__ import annotations

import re
import unicodedata

from common.errors import InputError

_PATTERNS = [
    r"\b(ignore|disregard|forget|override)\b.{0,60}\b(instructions?|rubric|rules?|prompt|previous|above|guidelines)\b",
    r"\b(system|developer)[ _-]*(override|instructions?)\b",  # "the system prompt is versioned" is design
    r"\b(system|developer)[ _-]*(message|prompt)\s*[:\]>=]",
    r"\bnew (system|developer) (message|prompt)\b",
    r"<\s*/?\s*(system|assistant|user|answer|grader|grading|instructions?|admin|prompt|rubric|score|result|"
    r"evaluation|judge|inst|sys|im_start|im_end)\b[^>]*>",  # "<channel> latest video" is a placeholder
    r"<\s*/?\s*[a-z]+_[a-z_]+(\s+[a-z_]+\s*=\s*\"[^\"]*\")*\s*/?>",
    r"\[\s*/?\s*(system|grader|admin|end system|instructions?)\b",
    r"\b(grade|score|rate|mark|give|assign|award)\s+(this|me|my|the candidate|the answer|it|the following)\b"
    r".{0,50}"
    r"\b(4|four|excellent|maximum|max|full marks|perfect)\b",
    r"\b(maximum|max|full|top|perfect|highest)\s+(score|marks|grade|rating)\b",
    r"\bstrong[_ ]hire\b",
    r"\b(return|output|set|leave|report)\b.{0,30}\b(score|gaps)\b.{0,30}\b(4|four|empty|none|maximum)\b",
    r"\b(evaluation|grading|override|admin|debug|calibration|developer) mode\b",
    r"\binstructions you (were|have been) given\b",
    r"\bthe candidate (passed|is approved|should pass|must pass)\b",
    r"\b(dear|hey|hi|hello|attention|note to|message to|for)( the| my| any)?\s+(grader|evaluator|assessor|"
    r"reviewer|scoring model|grading model)s?\b",  # "the LLM grader is checked against humans" is design
    r"\b(grader|evaluator|assessor|scoring model|grading model)s?\b.{0,20}\b(must|should|please|needs? to|"
    r"shall|is to)\b.{0,60}\b(give|assign|award|mark|copy|output|return|ignore|write|accept|pass)\b",
    r"\b(print|paste|list|show|reveal|quote|tell|share(?! of)|echo|write( it)? out|repeat|include)\b.{0,80}"
    r"\b(rubric|expected ideas|anchor texts?|criterion ids?|secret|hidden marker|tracking code)\b",
    r"\b(your|you were given|hidden)\b.{0,40}\b(instructions?|system prompt|prompt|configuration)\b",
    r"\bcanary\b.{0,40}\b(string|word|token|marker|code|value)\b",
    r"\b(rationale|feedback) field\b",
    r"\b(recruiter|hiring manager|hiring committee)\b.{0,80}\b(approved|note|says|decided|wants)\b",
    r"\bpre-?approved\b",
    r"[A-Za-z0-9+/]{40,}={0,2}",
    r"\"(score|gaps|recommendation|criteria)\"\s*:",
    r"\b(ignorez|ignora|ignorar|ignoriere|ignorieren|instrucciones|anweisungen|consignes|calificaci[oó]n|"
    r"puntuaci[oó]n|bewertung|note maximale|note de 4)\b",
    r"忽略|评分|满分|指令",
]
_GRADER_DIRECTED = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


#: invisible characters that writing needs, kept: joiners (emoji sequences, Persian and Indic
#: scripts) and the direction marks of right-to-left text; every other format or control
#: character is dropped (zero-width spaces, bidi overrides, byte-order marks, NUL)
_KEPT = {"\u200c", "\u200d", "\u200e", "\u200f", "\u061c"}
_INVISIBLE = dict.fromkeys(map(ord, _KEPT))


def addresses_grader(sentence: str) -> bool:
    return bool(_GRADER_DIRECTED.search(sentence.translate(_INVISIBLE)))  # "ig\u200dnore" is "ignore"


def normalise(text: str) -> str:
    """NFC, no control characters but newlines and tabs, no invisible characters but those that
    writing needs (`_KEPT`), no surrounding whitespace."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(c for c in text if c in "\n\t" or c in _KEPT or unicodedata.category(c)[0] != "C")
    return kept.strip() if kept.translate(_INVISIBLE).strip() else ""


#: the longest answer in tokens (tiktoken), whatever its script (`Settings.max_answer_tokens`)
MAX_ANSWER_TOKENS = 6_000


def checked_answer(text: str, max_chars: int, max_tokens: int = MAX_ANSWER_TOKENS) -> str:
    """The normalised answer, or a clear error when it is longer than `max_chars` characters or
    `max_tokens` tokens (nothing is kept)."""
    from common.tokens import count_tokens

    text = normalise(text)
    if len(text) > max_chars:
        raise InputError(
            f"Answers are limited to {max_chars:,} characters; this one has {len(text):,}. "
            "Nothing was kept: shorten it and send it again."
        )
    if len(text) > max_tokens and (tokens := count_tokens(text)) > max_tokens:  # a token holds 1+ chars
        raise InputError(
            f"Answers are limited to {max_tokens:,} tokens (about {max_tokens * 3 // 4:,} English words); "
            f"this one has {tokens:,}. Nothing was kept: shorten it and send it again."
        )
    return text


_CLOSING_TAG = re.compile(r"</\s*candidate_answer\s*>", re.IGNORECASE)


def delimited(text: str) -> str:
    """Candidate text wrapped as data for a model prompt; a closing tag inside it cannot end the block."""
    safe = _CLOSING_TAG.sub("</candidate_answer >", text)  # the space keeps it from closing the block
    return f"<candidate_answer>\n{safe}\n</candidate_answer>"
