"""The LLM assessor: a chat model judges coverage into a validated schema; code verifies the evidence.

Invalid output is retried at most twice with the validation error; after that, or on any provider
error, it fails closed to the offline assessor (never to a default score). A claim counts only when
its quote is a verbatim substring of the answer and the offline assessor agrees the quote is about
that idea (a cue or semantic similarity), so a model talked into a claim cannot raise a grade.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor, TimeoutError
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from common.base import Strict, load_yaml
from common.errors import ProviderError
from common.ids import Stage
from rubric.assessors import Coverage, EmbeddingAssessor, sentences
from rubric.guard import addresses_grader, delimited

if TYPE_CHECKING:
    from knowledge.cases import Case
    from providers import ChatModel, Message

PROMPT = Path(__file__).parent / "prompts" / "llm_assessor.yaml"
CANARY = "CANARY-7f3a9c"


class Claim(Strict):
    id: str
    quote: str = Field(min_length=3)


class Verdict(Strict):
    met: list[Claim] = []
    misconceptions: list[Claim] = []


@cache
def _prompt() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(PROMPT.read_text(encoding="utf-8"))
    return data


class LLMAssessor:
    def __init__(
        self,
        chat: ChatModel,
        fallback: EmbeddingAssessor,
        retries: int = 2,
        support_threshold: float = 0.45,
        canary: str = CANARY,
    ) -> None:
        self.chat, self.fallback, self.retries = chat, fallback, retries
        self.support_threshold, self.canary = support_threshold, canary
        self.name = chat.name
        self.version = str(_prompt()["version"])
        self.fallbacks = 0
        """How many answers fell back to the offline assessor."""

    def assess(self, case: Case, stage: Stage, text: str) -> Coverage:
        judged = self.judge(case, stage, text)
        if judged is not None:
            return judged
        self.fallbacks += 1
        return self.fallback.assess(case, stage, text).model_copy(update={"fallback": "model failed"})

    def judge(self, case: Case, stage: Stage, text: str) -> Coverage | None:
        """The model's verified coverage, or None when the model fails (error or invalid output)."""
        answer = " ".join(s for s in sentences(text) if not addresses_grader(s))
        if not answer:
            return Coverage(judge=self.name)
        messages = self.messages(case, stage, answer)
        for _ in range(self.retries + 1):
            try:
                raw = self.chat.complete(messages, json_schema=verdict_schema(case, stage))
            except ProviderError:
                return None
            try:
                verdict = self._parse(raw, case, stage)
            except ValueError as exc:
                messages = [*messages, _msg("assistant", raw), _msg("system", _retry(exc))]
                continue
            return self._verified(case, stage, answer, verdict)
        return None

    def messages(self, case: Case, stage: Stage, answer: str) -> list[Message]:
        from rubric.schema import load_rubric

        plan = case.plan(stage)
        system = _prompt()["system"].format(
            title=case.title,
            stage=stage.label,
            summary=load_rubric().stages[stage].summary.strip(),
            ideas="\n".join(f"- {i.id}: {i.text}" for i in plan.ideas),
            misconceptions="\n".join(f"- {m.id}: {m.text}" for m in plan.misconceptions) or "(none)",
            canary=self.canary,
        )
        return [_msg("system", system), _msg("user", delimited(answer))]

    @staticmethod
    def _parse(raw: str, case: Case, stage: Stage) -> Verdict:
        try:
            verdict = Verdict.model_validate_json(raw)
        except ValidationError as exc:
            raise ValueError(str(exc)) from exc
        plan = case.plan(stage)
        known = {i.id for i in plan.ideas}, {m.id for m in plan.misconceptions}
        unknown = [c.id for c in verdict.met if c.id not in known[0]]
        unknown += [c.id for c in verdict.misconceptions if c.id not in known[1]]
        if unknown:
            raise ValueError(f"unknown ids: {', '.join(unknown)}")
        return verdict

    def _verified(self, case: Case, stage: Stage, answer: str, verdict: Verdict) -> Coverage:
        """Claims whose quote is verbatim and that the offline assessor agrees are about the item."""
        t = self.support_threshold
        # any closeness supports; a claimed point is checked for its topic only, not against the
        # mistakes (at this loose bar a time split is also near the random split it replaces)
        supports = {
            "met": EmbeddingAssessor(t, 2.0, shallow_threshold=t, margin=-1.0),
            "wrong": EmbeddingAssessor(t, t, shallow_threshold=t, margin=-1.0),
        }
        met: dict[str, list[str]] = {}
        wrong: dict[str, list[str]] = {}
        for claims, target, kind in ((verdict.met, met, "met"), (verdict.misconceptions, wrong, "wrong")):
            for claim in claims:
                quote = claim.quote.strip()
                if (
                    quote
                    and quote in answer
                    and _supports(supports[kind], case, stage, quote, claim.id, kind)
                ):
                    target.setdefault(claim.id, []).append(quote)
        return Coverage(met=met, misconceptions=wrong, judge=self.name)


class DeadlineAssessor:
    """The model judges each turn on the critical path, within `deadline_s`; when it is late or
    fails, the offline judge answers and the coverage says why (`fallback`). A late model call runs
    on in its thread and its result is dropped."""

    def __init__(self, model: LLMAssessor, offline: EmbeddingAssessor, deadline_s: float = 2.0) -> None:
        self.model, self.offline, self.deadline_s = model, offline, deadline_s
        self.name = model.name
        self.version = f"{model.version}+{offline.version}"
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="turn-judge")

    def assess(self, case: Case, stage: Stage, text: str) -> Coverage:
        # in a copy of this context: the call is charged to the session it is for (common.limits)
        job = self._pool.submit(contextvars.copy_context().run, self.model.judge, case, stage, text)
        try:
            judged = job.result(timeout=self.deadline_s)
        except TimeoutError:
            reason = f"deadline {self.deadline_s:g} s"
        else:
            if judged is not None:
                return judged
            reason = "model failed"
        return self.offline.assess(case, stage, text).model_copy(update={"fallback": reason})


def verdict_schema(case: Case, stage: Stage) -> dict[str, Any]:
    """The Verdict's JSON schema with the stage's ids as enums (constrained decoding where supported)."""
    plan = case.plan(stage)

    def claims(ids: list[str]) -> dict[str, Any]:
        item = {
            "type": "object",
            "properties": {"id": {"type": "string", "enum": ids}, "quote": {"type": "string"}},
            "required": ["id", "quote"],
            "additionalProperties": False,
        }
        return {"type": "array", "items": item, "maxItems": len(ids)}

    return {
        "type": "object",
        "properties": {
            "met": claims([i.id for i in plan.ideas]),
            "misconceptions": claims([m.id for m in plan.misconceptions] or ["none"]),
        },
        "required": ["met", "misconceptions"],
        "additionalProperties": False,
    }


def _supports(support: EmbeddingAssessor, case: Case, stage: Stage, quote: str, item: str, kind: str) -> bool:
    found = support.assess(case, stage, quote)
    return item in (found.met if kind == "met" else found.misconceptions)


def _retry(error: Exception) -> str:
    return str(_prompt()["retry"]).format(error=str(error)[:500])


def _msg(role: str, content: str) -> Message:
    from providers import Message

    return Message(role=role, content=content)
