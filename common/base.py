"""The strict pydantic base every boundary model uses, and the one YAML loader."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown fields are an error; instances are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def load_yaml(text: str) -> Any:
    """`yaml.safe_load` through libyaml when PyYAML has it (about ten times faster on the case files)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
