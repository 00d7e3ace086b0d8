"""The Streamlit app, headless through AppTest: a whole interview, escaping, resume on refresh."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from common.markup import literal as escape

APP = str(Path(__file__).resolve().parent.parent / "ui" / "app.py")
ATTACK = "<img src=x onerror=alert(1)> **bold** [click](http://evil.example) ![x](http://evil.example/x.png)"


@pytest.fixture
def app() -> AppTest:
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=60).run()


def _started(app: AppTest) -> AppTest:
    app.sidebar.button[0].click().run()
    assert not app.exception
    return app


def test_the_landing_page_offers_cases_and_names_the_engine(app: AppTest) -> None:
    assert not app.exception
    assert "offline" in app.sidebar.caption[0].value
    assert "Ad click-through rate prediction" in app.sidebar.selectbox[0].options


def test_a_whole_interview_ends_on_a_scorecard(app: AppTest) -> None:
    _started(app)
    for _ in range(60):
        if not app.chat_input:
            break
        app.chat_input[0].set_value("I'd split by time and use PR-AUC, logging served features.").run()
    assert not app.exception
    assert not app.chat_input
    assert not app.metric  # the grade waits for the candidate's own scores
    next(b for b in app.button if b.label == "Show my scorecard").click().run()
    assert app.metric[0].label == "Overall"
    assert any("Scorecard" in h.value for h in app.subheader)
    assert "Your history (1)" in [e.label for e in app.sidebar.expander]


def test_candidate_text_is_shown_literally(app: AppTest) -> None:
    _started(app)
    app.chat_input[0].set_value(ATTACK).run()
    sources = [m.value for m in app.markdown]
    assert escape(ATTACK) in sources
    assert ATTACK not in sources


def test_an_over_long_answer_is_kept_for_editing(app: AppTest) -> None:
    _started(app)
    long_answer = "word " * 5000
    app.chat_input[0].set_value(long_answer).run()
    assert "20,000 characters" in app.error[0].value
    assert app.text_area[0].value == long_answer


def test_a_refresh_resumes_the_session_from_the_url(app: AppTest) -> None:
    _started(app)
    app.chat_input[0].set_value("What latency budget do we have?").run()
    session = app.query_params["session"]
    said = [m.markdown[0].value for m in app.chat_message]
    st.cache_resource.clear()
    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params["session"] = session
    fresh.run()
    assert [m.markdown[0].value for m in fresh.chat_message] == said
