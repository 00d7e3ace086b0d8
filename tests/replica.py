"""One app replica for the scale-out test: its own process, its own store, engine and knowledge
index, built from the environment (MLSD_DATABASE_URL, MLSD_CHROMA_HOST/PORT) as `mlsd app` builds
them. It serves requests like the app's pages do: an interview is resumed on first use and kept in
memory (the app keeps it in the browser session), and refreshed before each turn.

Requests and answers are JSON lines on stdin and stdout:
  {"op": "start", "case": ..., "level": ...}   -> {"session": id, "turns": n}
  {"op": "open", "session": id}                -> {"turns": n, "reloaded": bool}
  {"op": "submit", "session": id, "text": ...} -> {"replies": [text...], "turns": n} or {"error": ...}
  {"op": "recent"}                             -> {"sessions": [id...]}
  {"op": "search", "query": ...}               -> {"sources": [source...]}

Run as `python -m tests.replica`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from common.errors import InterviewerError
from common.ids import CaseId, Level
from common.settings import Settings
from common.tokens import use_cache_dir
from interviewer.engine import Engine, build_engine
from interviewer.session import Interview
from interviewer.store import Store
from knowledge.index import KnowledgeIndex


class Replica:
    def __init__(self, settings: Settings) -> None:
        use_cache_dir(settings.tiktoken_dir)
        self.store: Store = Store(settings.db_url)
        self.engine: Engine = build_engine(settings)
        self.index = KnowledgeIndex.from_settings(settings)
        self.open: dict[str, Interview] = {}

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        if op == "start":
            case, level = CaseId(request["case"]), Level(request["level"])
            interview = Interview.start(case, level, self.store, self.engine)
            self.open[interview.state.id] = interview
            return {"session": interview.state.id, "turns": len(interview.turns)}
        if op == "open":
            return self._open(request["session"])
        if op == "submit":
            return self._submit(request["session"], request["text"])
        if op == "recent":
            return {"sessions": [s.id for s in self.store.recent()]}
        if op == "search":
            return {"sources": [c.source for c in self.index.search(request["query"], k=3)]}
        raise ValueError(f"unknown op {op!r}")

    def _open(self, session_id: str) -> dict[str, Any]:
        cached = self.open.get(session_id)
        if cached is not None:
            reloaded = cached.refresh()
            return {"turns": len(cached.turns), "reloaded": reloaded}
        found = Interview.resume(session_id, self.store, self.engine)
        if found is None:
            return {"error": f"no session {session_id}"}
        self.open[session_id] = found
        return {"turns": len(found.turns), "reloaded": True}

    def _submit(self, session_id: str, text: str) -> dict[str, Any]:
        interview = self.open[session_id]
        try:
            replies = interview.submit(text)
        except InterviewerError as exc:
            return {"error": str(exc), "turns": len(interview.turns)}
        return {"replies": [t.text for t in replies], "turns": len(interview.turns)}


def main() -> None:
    replica = Replica(Settings())
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        print(json.dumps(replica.handle(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
