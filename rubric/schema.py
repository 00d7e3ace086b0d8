"""The rubric: per stage, criteria with level anchors 1-4 and what changes by seniority."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, model_validator

from common.base import Strict, load_yaml
from common.errors import ContentError
from common.ids import Level, Stage

RUBRIC_FILE = Path(__file__).parent / "rubric.yaml"


class Criterion(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    description: str
    anchors: dict[int, str]
    """What a 1 (missing or wrong), 2 (shallow), 3 (solid) and 4 (excellent) look like."""

    @model_validator(mode="after")
    def _four_anchors(self) -> Criterion:
        if sorted(self.anchors) != [1, 2, 3, 4]:
            raise ValueError(f"criterion {self.id}: anchors must be exactly 1, 2, 3, 4")
        return self


class StageRubric(Strict):
    summary: str
    """What a strong answer to this stage does, in one or two sentences."""
    criteria: list[Criterion] = Field(min_length=1)
    levels: dict[Level, str]
    """How expectations for the stage change from junior to staff."""

    def criterion_ids(self) -> list[str]:
        return [c.id for c in self.criteria]


class Rubric(Strict):
    version: str
    stages: dict[Stage, StageRubric]

    @model_validator(mode="after")
    def _complete(self) -> Rubric:
        missing = [s.value for s in Stage if s not in self.stages]
        if missing:
            raise ValueError(f"stages missing: {', '.join(missing)}")
        return self


@cache
def load_rubric(path: Path = RUBRIC_FILE) -> Rubric:
    try:
        return Rubric.model_validate(load_yaml(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ContentError(f"{path}: {exc}") from exc
