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
