"""Voices phrase the policy's moves. The template voice is offline and deterministic."""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Protocol

import yaml

from interviewer.models import Move, MoveKind, Rung
from knowledge.cases import Case
from rubric.ids import Stage

PROMPTS_DIR = Path(__file__).parent / "prompts"


class Voice(Protocol):
    name: str
    version: str

    def render(self, move: Move, case: Case, seed: str) -> Iterator[str]:
        """The interviewer's words for a move, in chunks (streamed where the voice can)."""
        ...


@cache
def _templates() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((PROMPTS_DIR / "template_voice.yaml").read_text())
    return data


class TemplateVoice:
    """Varied wording picked from versioned templates; the same seed gives the same words."""

    name = "offline"

    def __init__(self) -> None:
        self.version = str(_templates()["version"])

    def render(self, move: Move, case: Case, seed: str) -> Iterator[str]:
        yield self.text(move, case, seed)

    def text(self, move: Move, case: Case, seed: str) -> str:
        rng = random.Random(seed)
        parts = []
        if move.asserted:
            ideas = {i.id: i.text for i in case.plan(move.stage).ideas}
            parts.append(self._pick(rng, "assert", asserted=" ".join(ideas[a] for a in move.asserted)))
        parts.append(self._pick(rng, self._key(move), **self._slots(move, case)))
        return "\n\n".join(parts)

    def opening(self, case: Case, seed: str) -> str:
        question = case.plan(Stage.clarifying_requirements).question
        return self._pick(
            random.Random(seed), "open", title=case.title, prompt=case.prompt.strip(), question=question
        )

    def ask(self, stage: Stage, case: Case, seed: str, retry: bool = False) -> str:
        key = "retry" if retry else "ask"
        return self._pick(
            random.Random(seed),
            key,
            stage_title=_lower_first(stage.label),
            question=case.plan(stage).question,
        )

    @staticmethod
    def _key(move: Move) -> str:
        if move.kind is MoveKind.clarify:
            return "time" if move.time_left else "clarify" if move.facts else "clarify_unknown"
        if move.kind is MoveKind.hint:
            return "hint" if move.idea else "no_hint"
        if move.kind is MoveKind.probe:
            return (move.rung or Rung.prompt).value
        return move.kind.value

    @staticmethod
    def _slots(move: Move, case: Case) -> dict[str, str]:
        plan = case.plan(move.stage)
        areas: dict[str, str] = _templates()["areas"]  # type: ignore[assignment]
        slots = {"stage_title": _lower_first(move.stage.label), "area": areas[move.stage.value]}
        facts = {f.id: f.answer for f in case.requirements}
        slots["facts"] = " ".join(facts[f] for f in move.facts)
        if move.time_left:
            slots["stage_minutes"] = f"{max(move.time_left.stage_minutes, 0):.0f}"
            slots["total_minutes"] = f"{max(move.time_left.total_minutes, 0):.0f}"
        for idea in plan.ideas:
            if idea.id == move.idea:
                slots |= {"hint": idea.hint, "idea_question": idea.question}
        for wrong in plan.misconceptions:
            if wrong.id == move.idea:
                slots["wrong"] = wrong.text
        return slots

    @staticmethod
    def _pick(rng: random.Random, key: str, **slots: str) -> str:
        variants: list[str] = _templates()[key]  # type: ignore[assignment]
        return rng.choice(variants).format_map(_Slots(slots))


class _Slots(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _lower_first(title: str) -> str:
    """'Framing the problem as an ML task' -> 'framing the problem as an ML task'."""
    return title[:1].lower() + title[1:]
