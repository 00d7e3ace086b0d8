"""The candidates suite: whole mock interviews by candidates written in the styles real people use
(bullet notes, abbreviations, spec lists, code, rambling speech, non-native English, plain prose),
by writers who saw each case's brief and requirement sheet but never its expected ideas.

Strong candidates should be let through with little probing and a hire recommendation at their
level; planted ones leave one core topic out of one stage, and the interviewer should probe it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from common.base import Strict, load_yaml
from common.ids import Stage, Topic
from interviewer.script import Script

FOLDER = Path(__file__).parent / "datasets" / "candidates"
#: the candidates held out from tuning (by case), as in the judge set's split
TEST_CASES = frozenset(
    {"fraud_detection", "visual_search", "harmful_content_detection", "video_recommendation"}
)


class Meta(Strict):
    kind: Literal["strong", "planted"]
    style: str
    planted_stage: Stage | None = None
    planted_topic: Topic | None = None


class Candidate(Strict):
    id: str
    meta: Meta
    script: Script

    @property
    def split(self) -> str:
        return "test" if self.script.case.value in TEST_CASES else "dev"


def load_candidates(folder: Path = FOLDER) -> list[Candidate]:
    out = []
    for path in sorted(folder.glob("*.yaml")):
        data = load_yaml(path.read_text(encoding="utf-8"))
        meta = Meta.model_validate(data.pop("meta"))
        out.append(Candidate(id=path.stem, meta=meta, script=Script.model_validate(data)))
    return out
