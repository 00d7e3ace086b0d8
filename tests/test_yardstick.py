"""The outside yardstick's builder plays a persona offline and writes the grader's format."""

from __future__ import annotations

from pathlib import Path

from evals.yardstick import PERSONAS, build


def test_the_builder_writes_one_persona_in_the_graders_format(tmp_path: Path) -> None:
    (written,) = build([PERSONAS / "staff_components_visual.yaml"], tmp_path)
    text = written.read_text(encoding="utf-8")
    assert text.startswith("PROBLEM DESCRIPTION\nVisual search")
    names = {"INTERVIEWER MESSAGE", "CANDIDATE MESSAGE", "INTERVIEWER HIDDEN NOTE", "FEEDBACK"}
    blocks = [line for line in text.splitlines() if line in names]
    assert blocks[0] == "INTERVIEWER MESSAGE"
    assert {"CANDIDATE MESSAGE", "INTERVIEWER HIDDEN NOTE"} <= set(blocks)
    assert blocks[-1] == "FEEDBACK"
    assert "Overall " in text.split("FEEDBACK", 1)[1]
    assert build([PERSONAS / "staff_components_visual.yaml"], tmp_path / "again")[0].read_text() == text
