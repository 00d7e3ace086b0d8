"""The Streamlit app, headless through AppTest: every page, escaping, resume, privacy."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from common.ids import Stage
from common.markup import literal as escape
from common.processes import free_port
from interviewer.identity import browser_owner
from interviewer.models import MoveKind, Outcome, Turn
from interviewer.store import Store
from tests.test_app_logic import _report
from ui.views import past_stage_text, stage_runs

APP = str(Path(__file__).resolve().parent.parent / "ui" / "app.py")
ATTACK = "<img src=x onerror=alert(1)> **bold** [click](http://evil.example) ![x](http://evil.example/x.png)"
ANSWER = "I'd split by time and use PR-AUC, logging served features."


def _browser(token: str | None = None, session: str | None = None) -> AppTest:
    """A fresh browser (a new AppTest has a new anonymous id unless given one's token)."""
    st.cache_resource.clear()
    app = AppTest.from_file(APP, default_timeout=60)
    if token:
        app.session_state["browser_token"] = token
    if session:
        app.query_params["session"] = session
    return app.run()


@pytest.fixture
def app() -> AppTest:
    return _browser()


def _button(app: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in app.button if b.label == label)


def _started(app: AppTest, case: str = "ad_click_prediction") -> AppTest:
    app.selectbox(key="setup_case").select(case)
    _button(app, "Start the interview").click().run()
    assert not app.exception
    return app


def _finish(app: AppTest) -> AppTest:
    for _ in range(60):
        if not app.chat_input:
            break
        app.chat_input[0].set_value(ANSWER).run()
    assert not app.exception
    return app


def test_the_setup_preselects_no_case_and_names_the_engines(app: AppTest) -> None:
    assert not app.exception
    box = app.selectbox(key="setup_case")
    assert box.value is None
    assert "Surprise me" in box.options
    assert "Ad click-through rate prediction" in box.options
    assert app.radio(key="engine_provider").value == "offline"
    app.radio(key="engine_provider").set_value("openai").run()
    assert app.text_input(key="engine_key").proto.type == 1  # PASSWORD
    _button(app, "Start the interview").click().run()
    assert "Choose a case" in app.error[0].value


def test_surprise_me_starts_some_case_and_the_page_says_who_speaks(app: AppTest) -> None:
    _started(app, "surprise")
    assert "engine speaking: **offline**" in app.caption[0].value
    assert app.title[0].value in app.chat_message[0].markdown[0].value  # the opening names the case
    assert any("used ·" in h.proto.body for h in app.sidebar.get("html"))  # the clock


def test_a_whole_interview_ends_on_the_scorecard_and_in_history(app: AppTest) -> None:
    _finish(_started(app))
    assert not app.chat_input
    assert not app.metric  # the grade waits for the candidate's own scores
    _button(app, "Show my scorecard").click().run()
    assert not app.exception
    assert app.title[0].value == "Scorecard: Ad click-through rate prediction"
    assert app.metric[0].label == "Overall"
    assert [b.label for b in app.get("download_button")] == ["Download Markdown", "Download printable HTML"]
    assert app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    assert "Study notes" in [h.value for h in app.subheader]
    labels = [e.label for e in app.expander]
    assert "3. Data preparation: " in " ".join(labels)
    assert "you said 3" in labels[0]
    app.switch_page("screens/history.py").run()
    assert not app.exception
    assert "1 sessions and grades" in app.caption[0].value
    assert "Suggested next practice" in [h.value for h in app.subheader]


def test_the_case_box_keeps_its_choice_across_pages(app: AppTest) -> None:
    app.selectbox(key="setup_case").select("news_feed").run()
    app.switch_page("screens/evals.py").run()
    app.switch_page("screens/interview.py").run()
    assert app.selectbox(key="setup_case").value == "news_feed"


def test_candidate_text_is_shown_literally(app: AppTest) -> None:
    _started(app)
    app.chat_input[0].set_value(ATTACK).run()
    sources = [m.value for m in app.markdown]
    assert escape(ATTACK) in sources
    assert ATTACK not in sources


def test_a_finished_stage_folds_into_one_text_with_every_turn_shown_literally() -> None:
    asked = Turn(
        role="interviewer",
        stage=Stage.clarifying_requirements,
        text="Welcome: **the case**.",
        voice="offline",
    )
    answered = Turn(role="candidate", stage=Stage.clarifying_requirements, text=ATTACK)
    model = Turn(
        role="interviewer",
        stage=Stage.clarifying_requirements,
        move=MoveKind.advance,
        text=ATTACK,
        voice="openai:m",
        outcome=Outcome.fallback,
        reason="<b>HTTP 500</b>",
        judge_fallback="deadline 2 s",
    )
    folded = past_stage_text([asked, answered, model])
    assert "Welcome: **the case**." in folded  # the template voice's own Markdown, as written
    assert folded.count(escape(ATTACK)) == 2
    assert ATTACK not in folded
    assert "<b>" not in folded
    assert escape("<b>HTTP 500</b>") in folded
    assert folded.count("**Interviewer**") == 2
    assert folded.count("**You**") == 1
    assert "· 1/7 · advance ·" in folded
    assert "deadline 2 s" in folded
    later = Turn(role="interviewer", stage=Stage.framing, text="Next.", voice="offline")
    assert stage_runs([asked, answered, later]) == [
        (Stage.clarifying_requirements, [asked, answered]),
        (Stage.framing, [later]),
    ]


def test_finished_stages_are_folded_and_every_turn_stays_on_the_page(app: AppTest) -> None:
    _started(app)
    for _ in range(6):
        app.chat_input[0].set_value(ANSWER).run()
    assert not app.exception
    session, token = app.query_params["session"], app.session_state["browser_token"]
    turns = app.session_state["interview"].turns
    finished = stage_runs(turns)[:-1]
    assert finished
    assert [e.label for e in app.expander] == [
        f"{stage.number}. {stage.label} · {len(run)} turns" for stage, run in finished
    ]
    assert sum(len(run) for _, run in finished) + len(app.chat_message) == len(turns)
    shown = [m.markdown[0].value for m in app.chat_message]
    same = _browser(token, session)  # a refresh shows the same
    assert [e.label for e in same.expander] == [e.label for e in app.expander]
    assert [m.markdown[0].value for m in same.chat_message] == shown


def test_an_over_long_answer_is_kept_for_editing(app: AppTest) -> None:
    _started(app)
    long_answer = "word " * 5000
    app.chat_input[0].set_value(long_answer).run()
    assert "20,000 characters" in app.error[0].value
    assert app.text_area[0].value == long_answer


def test_a_refresh_resumes_and_another_browser_sees_nothing(app: AppTest) -> None:
    _started(app)
    app.chat_input[0].set_value("What latency budget do we have?").run()
    session, token = app.query_params["session"], app.session_state["browser_token"]
    said = [m.markdown[0].value for m in app.chat_message]
    same = _browser(token, session)
    assert [m.markdown[0].value for m in same.chat_message] == said
    other = _browser(session=session)
    assert not other.chat_message
    assert "no interview of yours" in other.warning[0].value
    assert said[1] not in [m.value for m in other.markdown]
    other.switch_page("screens/history.py").run()
    assert "Nothing yet" in other.info[0].value


def test_history_resumes_an_unfinished_interview_and_deletes_one(app: AppTest) -> None:
    _started(app, "news_feed")
    app.chat_input[0].set_value("What is the peak traffic?").run()
    session = app.query_params["session"]
    app.session_state["interview"] = None
    app.switch_page("screens/history.py").run()
    app.selectbox[0].select(session).run()
    _button(app, "Resume").click().run()
    assert not app.exception
    assert app.query_params["session"] == session
    assert len(app.chat_message) == 3
    app.switch_page("screens/history.py").run()
    app.selectbox[0].select(session).run()
    _button(app, "Delete").click().run()
    assert "Nothing yet" in app.info[0].value


def test_self_grading_one_answer_then_a_transcript(app: AppTest) -> None:
    app.switch_page("screens/self_grade.py").run()
    app.selectbox[0].select("ad_click_prediction")
    app.selectbox[1].select("data_preparation")
    app.text_area[0].input("Split by time, not at random: a random split leaks future clicks. " + ATTACK)
    app.select_slider[0].set_value(4)
    _button(app, "Grade my answer").click().run()
    assert not app.exception
    assert [m.label for m in app.metric] == ["Grade", "You said", "Difference (you - grade)"]
    assert app.metric[1].value == "4 / 4"
    assert ATTACK not in [m.value for m in app.markdown]
    _button(app, "Grade another").click().run()
    app.radio[0].set_value("Whole transcript").run()
    transcript = "# Case: news_feed\n## evaluation\nInterviewer: Metrics?\nCandidate: NDCG, then A/B.\n"
    app.text_area[0].input(transcript)
    _button(app, "Grade the transcript").click().run()
    assert not app.exception
    assert app.metric[0].label == "Overall"
    app.switch_page("screens/history.py").run()
    assert "2 sessions and grades" in app.caption[0].value


def test_a_bad_transcript_gets_a_clear_message(app: AppTest) -> None:
    app.switch_page("screens/self_grade.py").run()
    app.radio[0].set_value("Whole transcript").run()
    app.text_area[0].input("## nowhere\nCandidate: hi")
    _button(app, "Grade the transcript").click().run()
    assert "names no case" in app.error[0].value or "unknown stage" in app.error[0].value


def test_a_suggested_drill_runs_on_the_self_grade_page(app: AppTest) -> None:
    app.switch_page("screens/self_grade.py").run()
    app.query_params["drill"] = "stage:evaluation"
    app.run()
    assert app.subheader[0].value.startswith("Drill: Evaluation")
    for n in range(3):
        app.text_area[0].input(f"PR-AUC offline and an A/B test online ({n}).")
        _button(app, "Grade and go on").click().run()
        assert not app.exception
    assert "Drill done" in app.success[0].value


def test_the_evals_page_compares_two_reports(
    app: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLSD_REPORTS_DIR", str(tmp_path))
    _report(tmp_path / "a.json", "voice-v1", [1, 1, 1])
    _report(tmp_path / "b.json", "voice-v2", [1, 0, 1])
    app.switch_page("screens/evals.py").run()
    app.selectbox[0].select(str(tmp_path / "a.json"))
    app.selectbox[1].select(str(tmp_path / "b.json")).run()
    assert not app.exception
    assert "Regressions: completed" in app.error[0].value
    assert "p1: completed 1 -> 0" in app.text[0].value


def test_an_openai_engine_that_fails_falls_back_visibly_and_keeps_the_key_private(
    app: AppTest, tmp_path: Path
) -> None:
    canary = "sk-canary-7f3a9c"
    app.radio(key="engine_provider").set_value("openai").run()
    app.text_input(key="engine_base_url").input(f"http://127.0.0.1:{free_port()}/v1")
    app.text_input(key="engine_key").input(canary)
    _started(app)
    app.chat_input[0].set_value(ANSWER).run()
    assert not app.exception
    assert any("template voice spoke" in w.value for w in app.warning)
    shown = [e.value for e in [*app.markdown, *app.caption, *app.warning] if isinstance(e.value, str)]
    assert not any(canary in text for text in shown)
    database = Path(tmp_path / "data" / "mlsd.sqlite3").read_bytes()
    assert canary.encode() not in database
    owner = browser_owner(app.session_state["browser_token"])
    assert Store(f"sqlite:///{tmp_path / 'data' / 'mlsd.sqlite3'}").owned_by(owner).recent()
