"""`mlsd app`'s warm start: what the first page needs is ready before the server answers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from common.ids import CaseId
from knowledge.cases import available_cases, load_case


def test_a_case_and_its_id_string_share_one_parsed_copy() -> None:
    case = available_cases()[0]
    assert load_case(case) is load_case(case.value) is load_case(CaseId(case.value))


def test_the_warm_start_parses_every_case_and_builds_the_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st

    from knowledge import cases
    from ui import serve, state

    monkeypatch.setenv("MLSD_DATA_DIR", str(tmp_path))
    st.cache_resource.clear()
    cases._load_case.cache_clear()
    serve.warm()
    assert cases._load_case.cache_info().currsize == len(available_cases())
    assert all(m in sys.modules for m in serve.PAGE_MODULES)
    assert state.services() is state.services()  # built once, then cached
    assert str(tmp_path) in state.services().settings.db_url
    st.cache_resource.clear()


def test_the_server_runs_without_a_full_collection_after_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from streamlit.web import cli

    from ui import serve

    called: list[list[str]] = []
    monkeypatch.setattr(serve, "warm", lambda: 0.0)
    monkeypatch.setattr(cli, "main", lambda args, **_: called.append(args))
    try:
        assert serve.main(["--server.port", "1"]) == 0
        assert gc.get_freeze_count() > 0  # the warmed heap is frozen
    finally:
        gc.unfreeze()
    args = called[0]
    assert args[args.index("--runner.postScriptGC") + 1] == "false"
    assert args.index("--runner.postScriptGC") < args.index("--server.port")  # given options win
