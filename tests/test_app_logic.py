"""The logic behind the app's pages, without Streamlit: owners and privacy, the clock, history and
progress, drills, the scorecard's downloads, and the eval reports page."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from common.ids import CaseId, Level, Stage, Topic
from evals.browse import compare_files, list_reports, metric_rows
from evals.compare import compare, load_report
from evals.compare import markdown as compare_markdown
from evals.runner import CaseResult, EvalReport, Provenance
from interviewer.engine import Engine
from interviewer.export import build_report, markdown, printable_html, study_note, study_notes
from interviewer.identity import browser_owner, cookie_script, login_owner, new_token, valid_token
from interviewer.progress import (
    clock_text,
    drill_by_id,
    history,
    stage_drill,
    stage_times,
    suggest,
    topic_drill,
    trend,
    weakest_topics,
)
from interviewer.session import Interview
from interviewer.store import SelfGrade, SessionUsage, Store
from rubric.grading import grade_answer

from .helpers import both_backends

ATTACK = "<img src=x onerror=alert(1)> **bold** [click](http://evil.example) ![x](http://evil.example/x.png)"


def _finished(store: Store, engine: Engine, case: CaseId = CaseId.ad_click_prediction) -> Interview:
    interview = Interview.start(case, Level.senior, store, engine)
    interview.submit(f"I would split by time and log served features. {ATTACK}")
    interview.submit("/end")
    interview.assess_self(dict.fromkeys(Stage, 3))
    return interview


# ---------------------------------------------------------------- owners and privacy


def test_browser_tokens_are_unguessable_and_owners_never_hold_them() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    token = next(iter(tokens))
    assert valid_token(token)
    assert not valid_token("short")
    assert not valid_token(None)
    assert not valid_token(token + "'")
    owner = browser_owner(token)
    assert token not in owner
    assert owner == browser_owner(token)
    assert browser_owner(new_token()) != owner
    with pytest.raises(ValueError, match="not a browser token"):
        cookie_script("x'; alert(1); '")
    assert f"mlsd_browser={token}" in cookie_script(token)


def test_a_login_owner_is_issuer_and_subject_digested() -> None:
    alice = login_owner({"iss": "https://idp", "sub": "alice", "email": "a@example.com"})
    assert alice
    assert alice.startswith("login:")
    assert "alice" not in alice
    assert alice != login_owner({"iss": "https://other", "sub": "alice"})
    assert login_owner({"name": "nobody"}) is None


@both_backends
def test_one_person_cannot_list_open_resume_or_delete_anothers_session(store: Store, engine: Engine) -> None:
    alice, bob = store.owned_by("browser:alice"), store.owned_by("browser:bob")
    theirs = Interview.start(CaseId.news_feed, Level.senior, alice, engine)
    theirs.submit("What latency budget do we have?")
    assert [s.id for s in alice.recent()] == [theirs.state.id]
    assert bob.recent() == []
    assert bob.load(theirs.state.id) is None
    assert Interview.resume(theirs.state.id, bob, engine) is None
    with pytest.raises(KeyError):
        bob.append(theirs.state.id, [], theirs.state)
    with pytest.raises(KeyError):
        bob.add_usage(theirs.state.id, SessionUsage(calls=1))
    assert not bob.delete(theirs.state.id)
    assert Interview.resume(theirs.state.id, alice, engine) is not None
    assert len(theirs.state.id) == 32
    assert re.fullmatch(r"[0-9a-f]{32}", theirs.state.id)
    assert alice.delete(theirs.state.id)
    assert alice.load(theirs.state.id) is None


def test_self_grades_are_private_too(store: Store, engine: Engine) -> None:
    score = grade_answer(
        engine.grader, "offline", CaseId.ad_click_prediction, Stage.evaluation, "PR-AUC", 1000
    )
    grade = SelfGrade(id="g1", case=CaseId.ad_click_prediction, kind="answer", stages=[score])
    store.owned_by("a").save_grade(grade)
    assert [g.id for g in store.owned_by("a").grades()] == ["g1"]
    assert store.owned_by("b").grades() == []
    assert not store.owned_by("b").delete_grade("g1")
    assert store.owned_by("a").delete_grade("g1")


@both_backends
def test_twenty_concurrent_people_see_only_their_own_sessions(store: Store, engine: Engine) -> None:
    def practise(n: int) -> tuple[str, list[str], bool]:
        mine = store.owned_by(f"browser:{n}")
        interview = Interview.start(CaseId.ad_click_prediction, Level.mid, mine, engine)
        interview.submit(f"Person {n}: what is the peak traffic?")
        return interview.state.id, [s.id for s in mine.recent(100)], mine.load(interview.state.id) is not None

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(practise, range(20)))
    for session_id, listed, opened in results:
        assert listed == [session_id]
        assert opened
    for n, (session_id, _, _) in enumerate(results):
        _, turns = store.owned_by(f"browser:{n}").load(session_id)  # type: ignore[misc]
        assert f"Person {n}:" in turns[1].text
        assert store.owned_by(f"browser:{(n + 1) % 20}").load(session_id) is None


def test_a_database_from_before_owners_gains_the_columns(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE sessions (id VARCHAR(32) PRIMARY KEY, 'case' VARCHAR(64), level VARCHAR(16), "
            "provider VARCHAR(16), finished BOOLEAN, created_at DATETIME, updated_at DATETIME, state TEXT)"
        )
    store = Store(f"sqlite:///{path}")
    assert store.owned_by("x").recent() == []
    assert store.usage("none") == SessionUsage()


@both_backends
def test_usage_adds_up_per_session(store: Store, engine: Engine) -> None:
    interview = Interview.start(CaseId.ad_click_prediction, Level.senior, store, engine)
    store.add_usage(interview.state.id, SessionUsage(input_tokens=100, output_tokens=10, calls=1, model="m"))
    total = store.add_usage(interview.state.id, SessionUsage(input_tokens=50, output_tokens=5, calls=1))
    assert total == SessionUsage(input_tokens=150, output_tokens=15, calls=2, model="m")
    assert store.usage(interview.state.id) == total


# ---------------------------------------------------------------- the clock


def test_stage_times_split_the_budget_and_count_time_used(store: Store, engine: Engine) -> None:
    interview = Interview.start(CaseId.ad_click_prediction, Level.senior, store, engine, minutes=50)
    state = interview.state
    now = state.started_at + timedelta(minutes=4, seconds=30)
    times = stage_times(state, now)
    assert [t.status for t in times] == ["current", *["next"] * 6]
    assert sum(t.budget_minutes for t in times) == pytest.approx(50, abs=0.5)
    assert times[0].used_minutes == 4.5
    assert times[0].left_minutes == pytest.approx(6 - 4.5, abs=0.1)
    assert clock_text(state, now) == "4:30 used · 46 min left"
    assert clock_text(state, state.started_at + timedelta(minutes=53)).endswith("over by 3 min")
    interview.submit("/skip")
    later = stage_times(state, state.started_at + timedelta(minutes=9))
    assert later[0].status == "done"
    assert later[1].status == "current"


# ---------------------------------------------------------------- history, progress, drills


@both_backends
def test_history_lists_sessions_and_grades_newest_first(store: Store, engine: Engine) -> None:
    done = _finished(store, engine)
    open_one = Interview.start(CaseId.news_feed, Level.mid, store, engine)
    score = grade_answer(engine.grader, "offline", CaseId.fraud_detection, Stage.evaluation, "PR-AUC", 1000)
    grade = SelfGrade(
        id="g", case=CaseId.fraud_detection, kind="answer", stages=[score], self_scores={Stage.evaluation: 4}
    )
    rows = history(store.recent(), [grade])
    assert [r.id for r in rows] == ["g", open_one.state.id, done.state.id]
    assert rows[0].self_gap == 4 - score.score
    assert not rows[1].finished
    assert rows[1].stage.startswith("1. ")
    assert rows[2].overall == done.state.scorecard.overall  # type: ignore[union-attr]


def test_weakest_topics_and_the_suggested_drill(store: Store, engine: Engine) -> None:
    sessions = [_finished(store, engine, c).state for c in (CaseId.ad_click_prediction, CaseId.news_feed)]
    points = trend(sessions, [])
    assert len(points) == 14
    assert points[0].at <= points[-1].at
    weak = weakest_topics(sessions, [])
    assert weak
    assert weak[0].gaps >= 1
    assert weak == sorted(weak, key=lambda w: -w.weight)
    tip = suggest(sessions, [], seed="me")
    assert tip.kind == "drill"
    assert tip.drill is not None
    assert tip.drill.focus == weak[0].topic
    assert 5 <= tip.drill.minutes <= 10
    assert len({i.case for i in tip.drill.items}) == len(tip.drill.items) >= 2


def test_with_no_history_the_suggestion_is_a_fresh_case() -> None:
    tip = suggest([], [], seed="x")
    assert tip.kind == "case"
    assert tip.case is not None


def test_drills_go_across_cases() -> None:
    drill = topic_drill(Topic.data_leakage, seed="s")
    assert all(
        Topic.data_leakage in __import__("knowledge.cases").cases.load_case(i.case).plan(i.stage).topics
        for i in drill.items
    )
    staged = stage_drill(Stage.evaluation, seed="s")
    assert {i.stage for i in staged.items} == {Stage.evaluation}
    assert len({i.case for i in staged.items}) == 3
    assert drill_by_id(staged.id, seed="s") == staged
    with pytest.raises(ValueError, match="unknown drill"):
        drill_by_id("nope:x")


# ---------------------------------------------------------------- the scorecard and its downloads


def test_the_report_quotes_evidence_and_renders_study_notes(store: Store, engine: Engine) -> None:
    done = _finished(store, engine)
    card = done.state.scorecard
    assert card is not None
    report = build_report(card, done.state.self_scores, engine="offline", usage=SessionUsage())
    assert report.stages[2].mine == 3
    notes = study_notes(card)
    assert notes
    assert all(n.body and not n.body.startswith("# ") for n in notes)
    assert "knowledge/notes" not in markdown(report)  # study advice is the notes, not repository paths
    assert study_note(Topic.data_leakage).title == "Data leakage"  # type: ignore[union-attr]


def test_the_report_outlines_each_stage_and_the_deep_dives(store: Store, engine: Engine) -> None:
    done = _finished(store, engine)
    card = done.state.scorecard
    assert card is not None
    report = build_report(card, done.state.self_scores, engine="offline")
    assert all(s.outline == c.outline for s, c in zip(report.stages, card.stages, strict=True))
    assert report.dives == card.dives
    outlined = sum(bool(s.outline) for s in card.stages)
    assert outlined, "the stages short of a 4 outline what they missed"
    text, page = markdown(report), printable_html(report)
    assert text.count("A strong answer also covers:") == outlined
    assert text.count("A strong answer covers:") == len(card.dives)
    assert next(s.outline[0] for s in card.stages if s.outline) in text
    assert page.count("A strong answer also covers:") == outlined
    assert page.count("A strong answer covers:") == len(card.dives)
    for dive in card.dives:
        assert f"Deep dive: {dive.choice}" in text


def test_downloads_never_render_candidate_text_as_markup(store: Store, engine: Engine) -> None:
    done = _finished(store, engine)
    report = build_report(done.state.scorecard, done.state.self_scores, engine="offline")  # type: ignore[arg-type]
    text = markdown(report)
    assert "<img" not in text
    assert "](http" not in text
    page = printable_html(report)
    assert "<img" not in page
    assert "<script" not in page
    assert "href=" not in page
    assert page.startswith("<!doctype html>")
    assert "@media print" in page
    assert "$0 (no model calls)" in text


# ---------------------------------------------------------------- eval reports


def _report(path: Path, prompts: str, completed: list[float]) -> Path:
    report = EvalReport(
        provenance=Provenance(
            commit="abc",
            suite="personas",
            provider="local",
            model="smollm2",
            prompt_version=prompts,
            record_mode="none",
        ),
        metrics={"completed": sum(completed) / len(completed), "rejected_replies": 3.0},
        cases=[CaseResult(id=f"p{n}", metrics={"completed": v}) for n, v in enumerate(completed)],
        seconds=1.0,
    )
    path.write_text(report.model_dump_json())
    return path


def test_the_evals_page_compares_with_the_cli_numbers(tmp_path: Path) -> None:
    a = _report(tmp_path / "a.json", "voice-v1", [1, 1, 1])
    b = _report(tmp_path / "b.json", "voice-v2", [1, 0, 1])
    (tmp_path / "junk.json").write_text(json.dumps({"not": "a report"}))
    assert {r.path.name for r in list_reports(tmp_path)} == {"a.json", "b.json"}
    assert list_reports(tmp_path / "missing") == []
    ours = compare_files(a, b)
    theirs = compare(load_report(a), load_report(b))
    assert ours == theirs
    rows = {r["metric"]: r for r in metric_rows(ours)}
    assert rows["completed"]["regression"] == "regression"
    assert ours.flips == ["p1: completed 1 -> 0"]
    assert "| completed |" in compare_markdown(ours)
