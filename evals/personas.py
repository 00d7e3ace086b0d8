"""The personas suite: scripted candidates built from each case's own content, with planted
weaknesses. The dataset names the personas; their words are derived from the case files."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from common.base import Strict, load_yaml
from common.ids import CaseId, Level, Stage, Topic
from interviewer.script import Script, ScriptedStage
from knowledge.cases import load_case

DATASET = Path(__file__).parent / "datasets" / "personas.yaml"
Kind = Literal["strong", "omit", "weak", "off_topic", "terse", "rambling", "typical"]
FILLER = (
    "Let me think out loud for a second here. There are many ways to do this and I have seen a few in "
    "my career. Anyway, to get back to the point."
)


class Persona(Strict):
    id: str
    case: CaseId
    kind: Kind
    level: Level = Level.senior
    stage: Stage | None = None
    """For `omit`: the stage where the planted weakness is."""
    topic: Topic | None = None
    """For `omit`: the topic left out until probed."""

    def script(self) -> Script:
        case = load_case(self.case)
        stages = {
            stage: self._stage(stage, [i.phrasings for i in plan.ideas], [i.topic for i in plan.ideas])
            for stage, plan in case.stages.items()
        }
        return Script(case=self.case, level=self.level, stages=stages)

    def stated(self, stage: Stage) -> set[str]:
        """Ids of the ideas this persona states in its answer to the stage."""
        if self.kind not in ("strong", "omit", "rambling", "typical"):
            return set()
        ideas = load_case(self.case).plan(stage).ideas
        if self.kind == "typical":
            return {i.id for i in ideas[::2]}
        return {i.id for i in ideas if not self._omitted(stage, i.topic)}

    def _omitted(self, stage: Stage, topic: Topic | None) -> bool:
        return self.kind == "omit" and (stage, topic) == (self.stage, self.topic)

    def _stage(self, stage: Stage, phrasings: list[list[str]], topics: list[Topic | None]) -> ScriptedStage:
        if self.kind == "weak":
            return ScriptedStage(answer="I would train a model on the data and see how it does.")
        if self.kind == "off_topic":
            return ScriptedStage(answer="Honestly I mostly work on mobile apps; I'd ask the data team.")
        if self.kind == "terse":
            return ScriptedStage(answer=" ".join(phrasings[0][0].split()[:6]) + ".")
        if self.kind == "typical":
            return self._typical(phrasings, topics)
        kept = [p[0] for p, t in zip(phrasings, topics, strict=True) if not self._omitted(stage, t)]
        answer = " ".join(kept)
        if self.kind == "rambling":
            answer = f"{FILLER} {answer} {FILLER}"
        replies = {
            t.value: p[1] for p, t in zip(phrasings, topics, strict=True) if t and self._omitted(stage, t)
        }
        return ScriptedStage(answer=answer, replies=replies)

    @staticmethod
    def _typical(phrasings: list[list[str]], topics: list[Topic | None]) -> ScriptedStage:
        """A full-length interview: every other idea at first, each in two phrasings (a claim and its
        reason); the rest only when probed on their topic, again in two phrasings."""
        said = [f"{p[0]} {p[-1]}" for p in phrasings[::2]]
        missed = list(zip(phrasings[1::2], topics[1::2], strict=True))
        replies = {t.value: f"{p[1]} {p[-1]}" for p, t in missed if t}
        untagged = [f"{p[1]} {p[-1]}" for p, t in missed if not t]
        if untagged:
            replies["default"] = " ".join(untagged)
        return ScriptedStage(answer=" ".join(said), replies=replies)


def load_personas(path: Path = DATASET) -> list[Persona]:
    data = load_yaml(path.read_text(encoding="utf-8"))
    return [Persona.model_validate(p) for p in data["personas"]]
