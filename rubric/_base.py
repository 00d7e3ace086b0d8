"""The strict pydantic base every boundary model uses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown fields are an error; instances are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
