"""Voices phrase the policy's moves. The template voice is offline and deterministic."""

from __future__ import annotations

import random
import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from common.base import load_yaml
from common.errors import ConfigError
from common.ids import CORE_TOPICS, CaseId, Stage, Topic
from common.markup import literal, lower_first
from interviewer.models import Move, MoveKind, Rung, Turn
from knowledge.cases import Case
from knowledge.retriever import Filter
from providers import ChatModel, Message
from rubric.guard import delimited

if TYPE_CHECKING:
    from knowledge.retriever import Retriever

PROMPTS_DIR = Path(__file__).parent / "prompts"


@dataclass(frozen=True)
class VoiceContext:
    """What a voice may know beyond the move: the conversation so far and a summary of it."""

    history: Sequence[Turn] = ()
    summary: str = ""


class Voice(Protocol):
    name: str
    version: str
    instructions: str
    """The voice's own rules and instructions to a model (empty for the template voice): a reply
    must never read them out."""

    def render(self, move: Move, case: Case, seed: str, context: VoiceContext) -> Generator[str, None, None]:
        """The interviewer's words for a move, in chunks (streamed where the voice can)."""
        ...


@cache
def _templates() -> dict[str, object]:
    data: dict[str, object] = load_yaml((PROMPTS_DIR / "template_voice.yaml").read_text())
    return data


class TemplateVoice:
    """Varied wording picked from versioned templates; the same seed gives the same words."""

    name = "offline"
    instructions = ""

    def __init__(self) -> None:
        self.version = str(_templates()["version"])

    def render(self, move: Move, case: Case, seed: str, context: VoiceContext) -> Generator[str, None, None]:
        yield self.text(move, case, seed)

    def text(self, move: Move, case: Case, seed: str) -> str:
        rng = random.Random(seed)
        slots = self._slots(move, case)
        text = self._pick(rng, self._key(move), move.nth, **slots)
        if move.facts and move.kind is not MoveKind.clarify:  # questions asked inside an answer
            text = self._pick(rng, "inline_facts", move.nth, **slots) + "\n\n" + text
        if move.recap:  # asked again: said again, as said before
            recap = self._pick(rng, "recap", move.nth, facts=_recap(case, move.recap, move.recap_asked))
            text = recap + "\n\n" + text
        elif move.unknown_again:
            text = self._pick(rng, "recap_unknown", move.nth) + "\n\n" + text
        return text

    def opening(self, case: Case, seed: str, minutes: float) -> str:
        question = case.plan(Stage.clarifying_requirements).question
        return self._pick(
            random.Random(seed),
            "open",
            0,
            title=case.title,
            prompt=case.prompt.strip(),
            question=question,
            minutes=f"{minutes:.0f}",
        )

    def ask(
        self,
        stage: Stage,
        case: Case,
        seed: str,
        retry: bool = False,
        change: str | None = None,
        question: str | None = None,
    ) -> str:
        """A stage's opening question (again, after an empty answer); `change` is a curveball's
        changed requirement, announced before the question (`question`, when the change rewords it)."""
        key = "retry" if retry else "curveball" if change else "ask"
        return self._pick(
            random.Random(seed),
            key,
            stage.number,  # each stage opens with the next variant
            stage_title=_in_passing(stage),
            question=question or case.plan(stage).question,
            change=" ".join((change or "").split()),
        )

    @staticmethod
    def _key(move: Move) -> str:
        if move.closing:
            return "closing_after_dive" if move.idea else "closing"
        if move.kind is MoveKind.clarify:
            if move.time_left:
                return "time"
            return ("clarify_more" if move.more else "clarify") if move.facts else "clarify_unknown"
        if move.kind is MoveKind.hint:
            return "hint" if move.idea else "no_hint"
        if move.kind is MoveKind.probe and move.rung is Rung.challenge and not move.quote:
            return "challenge_unquoted"
        if move.rung is Rung.pump and move.quote:
            return "pump_on_claim"
        if move.rung is Rung.dive and move.stage is list(Stage)[-1]:
            return "dive_closing"
        if move.rung is Rung.narrow and not move.unsure:
            return "narrow_elsewhere"
        if move.kind is MoveKind.probe:
            return (move.rung or Rung.prompt).value
        if move.kind is MoveKind.wrap_up and move.stage is not list(Stage)[-1]:
            return "ended"
        if move.repeated:
            return "advance_repeated"
        return move.kind.value

    @staticmethod
    def _slots(move: Move, case: Case) -> dict[str, str]:
        plan = case.plan(move.stage)
        areas: dict[str, str] = _templates()["areas"]  # type: ignore[assignment]
        slots = {"stage_title": _in_passing(move.stage), "area": areas[move.stage.value]}
        slots["facts"] = _facts(case, move.facts)
        if move.time_left:
            slots["stage_minutes"] = f"{max(move.time_left.stage_minutes, 0):.0f}"
            slots["total_minutes"] = f"{max(move.time_left.total_minutes, 0):.0f}"
        for idea in plan.ideas:
            if idea.id == move.idea:
                slots |= {"hint": idea.hint, "idea_question": idea.question}
        for dive in case.deep_dives:
            if dive.id == move.idea:
                question = dive.asked(move.skip)
                slots |= {"choice": dive.choice, "dive_question": question, "hint": dive.hint or ""}
                part = dive.first_part(move.skip) or question
                slots["dive_part"] = part if part[1:2].isupper() else lower_first(part)  # after a colon
        slots["said"] = literal((move.quote or "").rstrip(" .;,:"))  # the candidate's words, as typed
        return slots

    @staticmethod
    def _pick(rng: random.Random, key: str, nth: int, **slots: str) -> str:
        """A variant picked by the seed, then the next ones in turn as the same kind of move comes
        again (`nth`), so the interviewer does not say the same sentence twice in a row."""
        variants: list[str] = _templates()[key]  # type: ignore[assignment]
        chosen = variants[(rng.randrange(len(variants)) + nth) % len(variants)]
        return re.sub(r"[ \t]+\n", "\n", chosen.format_map(_Slots(slots))).rstrip(" \t")


def _in_passing(stage: Stage) -> str:
    """A stage's name in a sentence, without its heading's gloss: "evaluation", not "evaluation
    (offline and online metrics)"."""
    return lower_first(re.sub(r"\s*\(.*\)$", "", stage.label))


def _facts(case: Case, ids: list[str]) -> str:
    """The requirement sheet's answers to what was asked: one as a sentence, several as a list, each
    under what it answers, so a question in three parts gets three answers, not one block."""
    answers = {f.id: " ".join(f.answer.split()) for f in case.requirements}
    if len(ids) == 1:
        return answers[ids[0]]
    return "\n\n" + "\n".join(f"- **{_label(i)}:** {answers[i]}" for i in ids)


def _recap(case: Case, ids: list[str], asked: str) -> str:
    """Facts said again: of each, only its sentences that share the most words with what was asked
    (its first when none does), so a question asked twice gets its answer, not the whole sheet."""
    answers = {f.id: " ".join(f.answer.split()) for f in case.requirements}
    said = {i: _on_point(answers[i], asked) for i in ids}
    if len(ids) == 1:
        return said[ids[0]]
    return "\n\n" + "\n".join(f"- **{_label(i)}:** {said[i]}" for i in ids)


def _on_point(answer: str, asked: str) -> str:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"])", answer) if s]
    words = _stems(asked)
    shared = [len(_stems(s) & words) for s in sentences]
    best = max(shared, default=0)
    if not best:
        return sentences[0] if sentences else answer
    return " ".join(s for s, n in zip(sentences, shared, strict=True) if n == best)


def _stems(text: str) -> set[str]:
    """Content words by their first four letters ("showed" and "show", "estimates" and "estimate")."""
    return {w[:4] for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 4 and w not in _COMMON}


_COMMON = frozenset(
    {
        "what",
        "that",
        "this",
        "with",
        "have",
        "there",
        "their",
        "about",
        "would",
        "which",
        "when",
        "also",
        "then",
        "from",
        "does",
        "should",
        "could",
    }
)


#: words of a requirement fact's id that read otherwise in a heading
_LABEL_WORDS = {"eta": "ETA", "qps": "QPS", "infra": "infrastructure"}


def _label(fact: str) -> str:
    """A fact's id as the heading of its answer: "traffic_qps" -> "Traffic QPS"."""
    words = [_LABEL_WORDS.get(w, w) for w in fact.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


class _Slots(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


NOTES_MODES = ("none", "prefix", "move")
NOTE_CHARS = 500
PREFIX_NOTE_CHARS = 900


def prompt_versions() -> list[str]:
    return sorted(p.stem for p in (PROMPTS_DIR / "llm_voice").glob("*.yaml"))


@cache
def _llm_prompts(version: str) -> dict[str, Any]:
    path = PROMPTS_DIR / "llm_voice" / f"{version}.yaml"
    if not path.exists():
        raise ConfigError(f"unknown prompt version {version!r}; valid: {', '.join(prompt_versions())}")
    data: dict[str, Any] = load_yaml(path.read_text())
    return data


class LLMVoice:
    """A chat model phrases the policy's move from the template voice's draft, grounded in notes.

    The prompt is a stable system prefix (rules and the case, the same for the whole session) plus
    the recent conversation within a token budget, with the candidate's words delimited as data,
    and a short instruction for this move at the end. The prompt file's `context` says which turns
    the model sees (all recent ones, or the current stage's) and where the knowledge base's notes
    go: `none`; `prefix` (the core topics' notes in the prefix, another topic's note on its probe
    or hint); `move` (a hint, pointed question or challenge carries its topic's note; a pump,
    which names no topic, and the prefix carry none).
    """

    def __init__(
        self,
        chat: ChatModel,
        draft: TemplateVoice,
        prompts: str,
        retriever: Retriever | None = None,
    ) -> None:
        self.chat, self.draft, self.retriever = chat, draft, retriever
        self.name = chat.name
        self.prompts = _llm_prompts(prompts)
        self.version = str(self.prompts["version"])
        fixed = [self.prompts["system"], self.prompts["move"], self.prompts.get("notes", "")]
        self.instructions = "\n".join([*fixed, *self.prompts["instructions"].values()])
        context = self.prompts.get("context", {})
        self.history_tokens = int(context.get("history_tokens", 600))
        self.stage_only = context.get("history", "all") == "stage"
        self.notes_mode = str(context.get("notes", "none"))
        if self.notes_mode not in NOTES_MODES:
            raise ConfigError(f"{prompts}: context.notes must be one of {', '.join(NOTES_MODES)}")
        self._prefix_notes: dict[CaseId, str] = {}

    def render(self, move: Move, case: Case, seed: str, context: VoiceContext) -> Generator[str, None, None]:
        yield from self.chat.stream(self.messages(move, case, seed, context))

    def messages(self, move: Move, case: Case, seed: str, context: VoiceContext) -> list[Message]:
        prompts = self.prompts
        system = _system_prompt(prompts["system"], case.id, self._knowledge(case))
        instruction = prompts["move"].format(
            stage=move.stage.label,
            stage_number=move.stage.number,
            summary=context.summary,
            done=", ".join(s.label for s in Stage if s.number < move.stage.number) or "none",
            kind=move.kind.value,
            instruction=prompts["instructions"][move.kind.value],
            notes=self._notes(move, case),
            draft=self.draft.text(move, case, seed),
        )
        turns = [t for t in context.history if t.stage is move.stage] if self.stage_only else context.history
        return [
            Message(role="system", content=system),
            *self._history(turns),
            Message(role="system", content=instruction),
        ]

    def _history(self, turns: Sequence[Turn]) -> list[Message]:
        """The most recent turns that fit the token budget, oldest first. The latest turn is always
        there (cut to the budget when it alone is longer), so the model sees what it answers."""
        from common.tokens import clip_tokens, count_tokens

        kept: list[Message] = []
        budget = self.history_tokens
        for turn in reversed(turns):
            message = _as_message(turn)
            budget -= count_tokens(message.content)
            if budget < 0:
                if not kept:
                    kept.append(_as_message(turn, clip_tokens(turn.text, self.history_tokens - 20)))
                break
            kept.append(message)
        return kept[::-1]

    def _notes(self, move: Move, case: Case) -> str:
        """A probe or hint on a topic whose note is not already in the prefix: the index's note on it."""
        if self.notes_mode == "none":
            return "(none)"
        in_prefix = self.notes_mode == "prefix" and move.topic in CORE_TOPICS
        generic = move.rung is Rung.pump  # a pump names no topic, so it gets no note to point with
        if move.topic is None or in_prefix or generic or move.kind not in (MoveKind.probe, MoveKind.hint):
            return ""
        ideas = {i.id: i.text for i in case.plan(move.stage).ideas}
        note = self._note(move.topic, ideas.get(move.idea or "", ""), NOTE_CHARS)
        return str(self.prompts["notes"]).format(text=note) if note else ""

    def _knowledge(self, case: Case) -> str:
        """The core topics' notes for the prefix, retrieved once per case."""
        if self.notes_mode != "prefix":
            return ""
        if case.id not in self._prefix_notes:
            notes = [(t, self._note(t, case.title, PREFIX_NOTE_CHARS)) for t in CORE_TOPICS]
            self._prefix_notes[case.id] = (
                "\n".join(f"- {t.value.replace('_', ' ')}: {n}" for t, n in notes if n) or "(none)"
            )
        return self._prefix_notes[case.id]

    def _note(self, topic: Topic, about: str, limit: int) -> str:
        """The best general note on `topic` (BM25 over the notes tagged with it: deterministic, and no
        model call on the turn's path); the case's own answer notes are left out on purpose."""
        if self.retriever is None:
            return ""
        query = f"{topic.value.replace('_', ' ')} {about}"
        chunks = self.retriever.search(query, Filter(topic=topic), k=8, mode="lexical")
        general = [c for c in chunks if c.case is None]
        return _clip(general[0].text, limit) if general else ""


def _clip(text: str, limit: int) -> str:
    """The note's prose (no headings) in at most `limit` characters, cut at a sentence end."""
    prose = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    text = " ".join(" ".join(prose).replace("**", "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > 0 else cut


@cache
def _system_prompt(template: str, case_id: CaseId, knowledge: str = "") -> str:
    """The stable, cacheable prefix: the rules and everything about the case that never changes."""
    from knowledge.cases import load_case
    from rubric.schema import load_rubric

    case, rubric = load_case(case_id), load_rubric()
    stages = "\n".join(f"{s.number}. {s.label}: {rubric.stages[s].summary.strip()}" for s in Stage)
    requirements = "\n".join(f"- {f.id}: {f.answer}" for f in case.requirements)
    return template.format(
        title=case.title,
        prompt=case.prompt.strip(),
        requirements=requirements,
        stages=stages,
        stage_names="; ".join(s.label for s in Stage),
        notes=case.notes.strip(),
        knowledge=knowledge,
    )


def _as_message(turn: Turn, text: str | None = None) -> Message:
    text = turn.text if text is None else text
    if turn.role == "interviewer":
        return Message(role="assistant", content=text)
    return Message(role="user", content=delimited(text))
