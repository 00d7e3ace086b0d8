"""The process `mlsd app` runs: it warms what the first page needs, then starts Streamlit's server in
this same process, so the first browser finds the imports done, the cases parsed and the services
built (a cold first run took about 2 s of the first paint's 3.4 s).

Streamlit collects all garbage after every script run (`runner.postScriptGC`): a full collection
of this process's 100,000-odd objects held the interpreter for 20-80 ms after each turn's last
element, before the browser was sent the end of the run. Here the warmed heap is frozen instead
(`gc.freeze`: what warm-up built lives as long as the process, and the collector no longer walks
it), and the collector runs as Python schedules it: it still frees any cycle made later, walking
only objects made after the freeze.

`python -m ui.serve [streamlit run options]`; the app script is `ui/app.py`.
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().with_name("app.py")
OPTIONS = ("--runner.postScriptGC", "false")
"""Streamlit options `mlsd app` runs with (options given after them win)."""
PAGE_MODULES = ("ui.state", "ui.views", "interviewer.progress", "interviewer.export", "knowledge.cases")
"""What the pages import on their first run."""


def warm() -> float:
    """Import the pages' modules, parse every case and build the shared services; returns seconds.

    Nothing here loads a model: the judge's embedding model loads on an interview's first turn,
    inside the engine's own time."""
    began = time.perf_counter()
    import importlib
    import inspect

    for module in PAGE_MODULES:
        importlib.import_module(module)
    from knowledge.cases import available_cases, load_case
    from ui import state

    for case in available_cases():
        load_case(case)
    # Outside a script run, st.cache_resource caches all the same (one process-wide cache) but
    # warns once that there is no ScriptRunContext: expected here.
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        state.services()
    finally:
        quiet.setLevel(level)
    # Streamlit's first element of the process walks the stack once (is it a REPL?), and
    # inspect's module lookup is slow only the first time: do that here, not in the first page.
    inspect.stack()
    return time.perf_counter() - began


def main(argv: list[str]) -> int:
    warm()
    from streamlit.web import bootstrap, cli, server  # noqa: F401  (the server's modules, before the freeze)

    gc.collect()
    gc.freeze()
    try:
        cli.main(args=["run", str(SCRIPT), *OPTIONS, *argv], prog_name="streamlit", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
