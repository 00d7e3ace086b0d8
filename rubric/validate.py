"""Cross-checks content: every reference to a stage, criterion, case or topic must resolve.

Run `python -m rubric.validate` (or `mlsd validate`); each problem names the file and the id.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from common.errors import ContentError
from common.ids import Level
from knowledge.cases import CASES_DIR, Case, load_case_file
from rubric.schema import RUBRIC_FILE, Rubric, load_rubric


def case_problems(case: Case, rubric: Rubric, where: Path) -> Iterator[str]:
    for stage, plan in case.for_candidate(Level.staff).stages.items():
        allowed = rubric.stages[stage].criterion_ids()
        ids = [i.id for i in [*plan.ideas, *plan.misconceptions]]
        curveballs = [c.idea for c in case.curveballs if c.stage is stage]
        for idea in [*plan.ideas, *curveballs]:
            if idea.criterion not in allowed:
                yield (
                    f"{where}: {stage.value}.{idea.id}: unknown criterion {idea.criterion!r}"
                    f" (valid: {', '.join(allowed)})"
                )
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            yield f"{where}: {stage.value}: id {dup!r} is used twice"


def problems(cases_dir: Path = CASES_DIR, rubric_file: Path = RUBRIC_FILE) -> list[str]:
    """Every content problem found, as one line each."""
    found: list[str] = []
    try:
        rubric = load_rubric(rubric_file)
    except ContentError as exc:
        return [str(exc)]
    for path in sorted(cases_dir.glob("*.yaml")):
        try:
            case = load_case_file(path)
        except (ContentError, ValueError) as exc:
            found.append(str(exc))
            continue
        found.extend(case_problems(case, rubric, path))
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    print(f"{len(found)} problem(s)" if found else "content OK")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
