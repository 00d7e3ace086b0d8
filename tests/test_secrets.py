"""The API key never leaks: an interview, a grade, a transcript grade, an eval run and `doctor`, all
with a canary key against the loopback fault server (the real openai client), then every artefact
is scanned for it: the commands' output and logs (the SDK's debug log on), the SQLite database and
its journal, the exported transcript, the eval reports and the recorded cassettes; and the same
with a server that repeats the key in its 401 error (tracebacks and error messages)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from providers.faults import Fault, FaultServer

from .helpers import ROOT, SCRIPTS

pytestmark = pytest.mark.reliability
KEY = f"sk-canary-{secrets.token_hex(16)}"
ANSWER = "I'd split by time and compute features point in time, logged at serving."


def _run(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = _process(args, env, stdin)
    return f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"


def _process(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _env(data: Path, server: FaultServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLSD_", "OPENAI_"))}
    return {
        **env,
        "MLSD_DATA_DIR": str(data),
        "MLSD_PROVIDER": "openai",
        "OPENAI_API_KEY": KEY,
        "OPENAI_BASE_URL": server.url,
        "MLSD_TIMEOUT_S": "2",
        "OPENAI_LOG": "debug",  # the SDK's own request log, which must not show it either
        "PYTHONPATH": str(ROOT),
    }


def _reasons(data: Path) -> set[str | None]:
    from interviewer.store import Store

    store = Store(f"sqlite:///{data / 'mlsd.sqlite3'}")
    latest = store.recent(1)[0]
    found = store.load(latest.id)
    assert found is not None
    return {t.reason for t in found[1]}


def _leaks(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]


def test_no_artefact_holds_the_api_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    out.mkdir()
    outputs = []
    with FaultServer(Fault.none) as server:
        env = _env(data, server)
        script = str(SCRIPTS / "ad_click_senior.yaml")
        judged = {**env, "MLSD_TURN_JUDGE": "model"}
        interview = _process(["interview", "--script", script, "--format", "json"], judged)
        outputs.append(f"exit {interview.returncode}\n{interview.stdout}\n{interview.stderr}")
        transcript = out / "interview.json"  # the export a user keeps
        transcript.write_text(interview.stdout)
        outputs.append(_run(["grade", "--transcript", str(transcript), "--format", "json"], env))
        outputs.append(
            _run(
                ["grade", "--case", "ad_click_prediction", "--stage", "data_preparation", "--answer", "-"],
                env,
                ANSWER,
            )
        )
        doctor = _run(["doctor", "--format", "json"], env)  # exits 1 here: the index is not built
        outputs.append(_eval(tmp_path, server, monkeypatch))
        server.fault = Fault.unauthorized  # the server now repeats the key in its error
        outputs.append(
            _run(
                ["grade", "--case", "ad_click_prediction", "--stage", "evaluation", "--answer", "-"],
                env,
                ANSWER,
            )
        )
        outputs.append(_run(["interview", "--script", script, "--format", "json"], env))
        seen = [r["headers"].get("Authorization", r["headers"].get("authorization")) for r in server.requests]
    assert f"Bearer {KEY}" in seen  # the canary did go out, where it belongs
    assert "the offline judge graded them instead" in outputs[-2]  # the grade says it fell back
    assert _reasons(data) & {"authentication failed: check OPENAI_API_KEY"}  # the turns say why, our words
    assert all(o.startswith("exit 0") for o in outputs), [
        o[:300] for o in outputs if not o.startswith("exit 0")
    ]
    assert not [o for o in [*outputs, doctor] if KEY in o]  # stdout, stderr, logs, error messages
    assert not _leaks(data)  # the SQLite database and journal, the index, the token files
    assert not _leaks(tmp_path)  # the exported transcript, reports, cassettes


def _eval(tmp_path: Path, server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """`mlsd evals run` in this process (its recordings redirected out of the repository)."""
    from typer.testing import CliRunner

    from evals import runner
    from ui.cli import app

    monkeypatch.setattr(runner, "ROOT", tmp_path)
    monkeypatch.setattr(runner, "CASSETTES", tmp_path / "cassettes")
    for name, value in _env(tmp_path / "eval-data", server).items():
        if name.startswith(("MLSD_", "OPENAI_")):
            monkeypatch.setenv(name, value)
    server.fault = Fault.unauthorized  # recorded once failing, with the key in the body: redacted
    args = ["evals", "run", "--suite", "calibration", "--record-mode", "all", "--limit", "1"]
    failed = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "reports-a")])
    server.fault = Fault.none
    passed = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "reports-b")])
    assert list((tmp_path / "cassettes").rglob("*.yaml"))
    assert list((tmp_path / "reports-b").glob("*.json"))
    return f"exit {max(failed.exit_code, passed.exit_code)}\n{failed.output}\n{passed.output}"
