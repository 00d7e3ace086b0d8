"""Run an eval suite (dataset × engine × metrics), optionally recording or replaying the model traffic.

Model traffic goes through vcrpy cassettes keyed by suite, provider, model and prompt version, one
file per case, so a prompt change gets its own recording instead of a silent mismatch.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from common.ids import ProviderName
from common.settings import DEFAULT_PROMPTS
from evals import calibration, candidates, injection, judge, personas, retrieval
from evals.prices import cost_usd
from interviewer.models import DIVE_RUNGS, MoveKind, Outcome, Rung

if TYPE_CHECKING:
    from common.settings import Settings
    from interviewer.engine import Engine

ROOT = Path(__file__).resolve().parent
CASSETTES = ROOT / "cassettes"
SUITES = {
    "personas": "Scripted candidates with planted weaknesses: probing, flow, repetition, leaks.",
    "calibration": "Labelled answers: grade agreement (QWK, within-one) and gap precision/recall.",
    "injection": "Attacks paired with controls: no raised grade, no leaked canary.",
    "retrieval": "Labelled queries: recall@5 and MRR of the knowledge search.",
    "candidates": "Whole interviews in varied styles: probes per stage, hire bar for strong, planted probed.",
    "judge": "Answers in others' words, dev and test splits: score in band, must-flag recall, false flags.",
}
RECORD_MODES = ("none", "once", "new_episodes", "all")
#: the committed recording of the personas suite on the local model, with its default prompts
LOCAL_PERSONAS = (
    CASSETTES / "personas" / "local" / "local_smollm2" / f"{DEFAULT_PROMPTS[ProviderName.local]}_embedding-v3"
)
Progress = Callable[[int, int], None]


class CaseResult(BaseModel):
    id: str
    metrics: dict[str, float]


class Provenance(BaseModel):
    commit: str
    suite: str
    provider: str
    model: str
    prompt_version: str
    cassettes: list[str] = Field(default_factory=list)
    record_mode: str


class EvalReport(BaseModel):
    provenance: Provenance
    metrics: dict[str, float]
    cases: list[CaseResult]
    seconds: float


def run_suite(
    suite: str,
    settings: Settings,
    record_mode: str = "none",
    progress: Progress | None = None,
    limit: int | None = None,
) -> EvalReport:
    """`limit` keeps the first N items of the dataset (recorded suites on a slow local model)."""
    from interviewer.engine import build_engine

    if suite not in SUITES:
        from common.errors import ConfigError

        raise ConfigError(f"unknown suite {suite!r}; valid: {', '.join(SUITES)}")
    recorded = settings.provider is not ProviderName.offline
    if recorded:
        settings = settings.model_copy(update={"local_autostart": record_mode != "none"})
    started = time.perf_counter()
    engine = build_engine(settings)
    if suite == "personas":  # it measures the interviewer; grading quality is the calibration suite's
        engine = replace(engine, grader=engine.assessor)
    runner = _RUNNERS[suite]
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    recorder = _Recorder(suite, engine, record_mode, (key,)) if recorded else None
    cases, metrics = runner(engine, settings, recorder, progress or (lambda done, total: None), limit)
    return EvalReport(
        provenance=Provenance(
            commit=_commit(),
            suite=suite,
            provider=engine.provider,
            model=engine.name,
            prompt_version=_versions(suite, engine),
            cassettes=sorted(recorder.used) if recorder else [],
            record_mode=record_mode if recorded else "offline",
        ),
        metrics=metrics,
        cases=cases,
        seconds=round(time.perf_counter() - started, 3),
    )


# ---------------------------------------------------------------- recording


#: what an API key looks like; a recorded reply never keeps one (some servers repeat a bad key)
KEY_SHAPED = re.compile(r"sk-[A-Za-z0-9_-]{16,}")


class _Recorder:
    def __init__(self, suite: str, engine: Engine, mode: str, secrets: tuple[str, ...] = ()) -> None:
        versions = _slug(_versions(suite, engine))
        self.folder = CASSETTES / suite / engine.provider / _slug(engine.name) / versions
        self.mode, self.used = mode, set[str]()
        self.secrets = [re.escape(s) for s in secrets if len(s) >= 8]

    def cassette(self, key: str) -> AbstractContextManager[Any]:
        import vcr

        path = self.folder / f"{_slug(key)}.yaml"
        self.used.add(str(path.relative_to(ROOT)))
        tape: AbstractContextManager[Any] = vcr.VCR(
            record_mode=self.mode,
            match_on=["method", "scheme", "host", "port", "path", "body"],
            filter_headers=["authorization", "api-key", "openai-organization", "cookie", "x-stainless-os"],
            decode_compressed_response=True,
            before_record_response=self._scrubbed,
        ).use_cassette(str(path))
        return tape

    def _scrubbed(self, response: dict[str, Any]) -> dict[str, Any]:
        """The reply as recorded, with the key (or anything shaped like one) taken out of its body."""
        body = response.get("body", {}).get("string")
        pattern = re.compile("|".join([*self.secrets, KEY_SHAPED.pattern]))
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body
        except UnicodeDecodeError:
            return response  # not text: nothing a key could be read from
        if isinstance(text, str) and pattern.search(text):
            cleaned = pattern.sub("<redacted>", text)
            response["body"]["string"] = cleaned.encode() if isinstance(body, bytes) else cleaned
        return response


def _tape(recorder: _Recorder | None, key: str) -> AbstractContextManager[Any]:
    return recorder.cassette(key) if recorder else nullcontext()


# ---------------------------------------------------------------- suites


def _personas(
    engine: Engine, settings: Settings, recorder: _Recorder | None, progress: Progress, limit: int | None
) -> Any:
    from interviewer.store import Store

    store = Store("sqlite:///:memory:")
    people = personas.load_personas()[:limit]
    results = []
    for n, persona in enumerate(people, 1):
        usage_before = _usage(engine)
        interview, elapsed = _played(engine, store, recorder, persona.id, persona.script())
        results.append(CaseResult(id=persona.id, metrics=_persona_metrics(persona, interview, elapsed)))
        results[-1].metrics |= _delta(usage_before, _usage(engine))
        progress(n, len(people))
    return results, _aggregate(results)


def _played(
    engine: Engine, store: Any, recorder: _Recorder | None, key: str, script: Any
) -> tuple[Any, float]:
    """One scripted interview played to its final scorecard, recorded under `key`; and its seconds."""
    from interviewer.policy import PolicyConfig
    from interviewer.script import play
    from interviewer.session import Interview

    with _tape(recorder, key):
        began = time.perf_counter()
        interview = Interview.start(  # a script cannot answer a curveball it never heard
            script.case,
            script.level,
            store,
            engine,
            session_id=_stable_id(key),
            config=PolicyConfig(curveballs=False),
        )
        play(interview, script)
        interview.final_scorecard(timeout=600)
        return interview, time.perf_counter() - began


def _candidates(
    engine: Engine, settings: Settings, recorder: _Recorder | None, progress: Progress, limit: int | None
) -> Any:
    from interviewer.store import Store

    store = Store("sqlite:///:memory:")
    people = candidates.load_candidates()[:limit]
    results = []
    for n, person in enumerate(people, 1):
        interview, _ = _played(engine, store, recorder, person.id, person.script)
        card = interview.state.scorecard
        results.append(CaseResult(id=person.id, metrics=_candidate_metrics(person, interview, card)))
        progress(n, len(people))
    metrics: dict[str, float] = {}
    for split in ("dev", "test"):
        for kind in ("strong", "planted"):
            chosen = [
                r for r, p in zip(results, people, strict=True) if p.split == split and p.meta.kind == kind
            ]
            for key, value in _aggregate(chosen).items() if chosen else ():
                if key != "probe_precision":
                    metrics[f"{split}.{kind}.{key}"] = value
    return results, metrics | _delta({}, _usage(engine))


def _candidate_metrics(person: candidates.Candidate, interview: Any, card: Any) -> dict[str, float]:
    from rubric.scoring import HIRE_BAR

    spoken = [t for t in interview.turns if t.role == "interviewer"]
    probes = _probes(spoken)
    metrics = {
        "completed": float(spoken[-1].move is MoveKind.wrap_up),
        "probes_per_stage": len(probes) / 7,
        "overall_score": card.overall if card else 0.0,
        "hire": float(bool(card) and card.overall >= HIRE_BAR[card.level]),
        "help_cost": card.hint_penalty if card else 0.0,
    }
    if person.meta.kind == "planted":
        planted = (person.meta.planted_stage, person.meta.planted_topic)
        metrics["planted_probed"] = float(any((t.stage, t.topic) == planted for t in probes))
        crux = {i.topic for i in interview.case.plan(planted[0]).ideas if i.crux} if planted[0] else set()
        if planted[1] in crux:  # the planted point is one of the case's crux ideas
            metrics["crux_probed"] = metrics["planted_probed"]
    if interview.state.choices:
        metrics["dive_asked"] = float(bool(interview.state.dived()))
    if (order := _must_probe_first(interview)) is not None:
        metrics["must_probe_first"] = order
    return metrics


def _persona_metrics(persona: personas.Persona, interview: Any, seconds: float) -> dict[str, float]:
    from knowledge.cases import load_case

    turns = interview.turns
    spoken = [t for t in turns if t.role == "interviewer"]
    probes = _probes(spoken)
    asks = [t.stage for t in spoken if t.move is MoveKind.ask]
    case = load_case(persona.case)
    stated_topics = {
        (s, i.topic) for s in case.stages for i in case.plan(s).ideas if i.id in persona.stated(s)
    }
    needless = [t for t in probes if (t.stage, t.topic) in stated_topics and t.topic is not None]
    texts = [t.text for t in spoken]
    card = interview.state.scorecard
    metrics = {
        "completed": float(len(set(asks)) == 7 and spoken[-1].move is MoveKind.wrap_up),
        "turns_per_stage": len(spoken) / 7,
        "probes": float(len(probes)),
        "needless_probes": float(len(needless)),
        "repetition_rate": 1 - len(set(texts)) / len(texts),
        "words_per_reply": _words(t for t in spoken if t.move is not MoveKind.ask),
        "answer_leak_rate": _leak_rate(case, probes),
        "fallback_turns": float(sum(t.outcome is Outcome.fallback for t in spoken)),
        "rejected_replies": float(sum(t.outcome is Outcome.rejected for t in spoken)),
        "overall_score": card.overall if card else 0.0,
        "seconds": round(seconds, 3),
    }
    if persona.kind == "omit":
        metrics["planted_probed"] = float(
            any((t.stage, t.topic) == (persona.stage, persona.topic) for t in probes)
        )
    if interview.state.choices:  # the candidate proposed a component the case can dig into
        metrics["dive_asked"] = float(bool(interview.state.dived()))
    if (order := _must_probe_first(interview)) is not None:
        metrics["must_probe_first"] = order
    return metrics


def _probes(spoken: list[Any]) -> list[Any]:
    """Probes and hints on what the candidate missed or got wrong (a deep dive into their own
    choice is not one, nor its smaller step: it follows the candidate's own design)."""
    return [t for t in spoken if t.move in (MoveKind.probe, MoveKind.hint) and t.rung not in DIVE_RUNGS]


def _must_probe_first(interview: Any) -> float | None:
    """Of the stages where the interviewer asked about a core or crux idea and about another one, the
    share where every pointed question or hint on another idea came after those on the must-probe
    ideas still missed (None when no stage had both)."""
    from interviewer.policy import must_probe

    good = total = 0
    for stage, st in interview.state.stages.items():
        ideas = {i.id: i for i in interview.case.plan(stage).ideas}
        asked = [
            t.idea
            for t in interview.turns
            if t.stage is stage and t.idea in ideas and t.rung in (Rung.prompt, Rung.hint)
        ]
        missing = [i for i in ideas.values() if must_probe(i) and i.id not in st.met and i.id not in asked]
        kinds = [must_probe(ideas[i]) for i in asked]
        if not (any(kinds) or missing) or all(kinds):
            continue
        total += 1
        first_other = kinds.index(False)
        good += not missing and all(kinds[:first_other]) and not any(kinds[first_other:])
    return good / total if total else None


def _words(turns: Iterator[Any]) -> float:
    """Mean words per interviewer reply (the stage questions excluded: they are fixed)."""
    counts = [len(t.text.split()) for t in turns]
    return round(sum(counts) / len(counts), 2) if counts else 0.0


def _leak_rate(case: Any, probes: list[Any]) -> float:
    """Share of probes and hints that state an expected idea outright (before the candidate could).
    Requirement facts a probe gives because the answer asked for them are the candidate's, not leaks."""
    if not probes:
        return 0.0
    leaks = 0
    facts = [f.answer.strip() for f in case.requirements]
    for turn in probes:
        ideas = case.plan(turn.stage).ideas
        said = turn.text
        for fact in facts:
            said = said.replace(fact, "")
        leaks += any(i.said_in(said) for i in ideas if i.topic == turn.topic)
    return leaks / len(probes)


def _calibration(
    engine: Engine, settings: Settings, recorder: _Recorder | None, progress: Progress, limit: int | None
) -> Any:
    answers = calibration.load_answers()[:limit]
    graded = _graded(engine, settings, recorder, [(a.id, a.case, a.stage, a.text) for a in answers], progress)
    report = calibration.evaluate(lambda c, s, t: graded[(c, s, t)], answers)
    metrics = {"exact": report.exact, "within_one": report.within_one, "qwk": report.qwk}
    for topic, figures in report.topics.items():
        metrics[f"gap_precision.{topic.value}"] = figures.precision
        metrics[f"gap_recall.{topic.value}"] = figures.recall
    cases = [
        CaseResult(id=r.id, metrics={"label": r.label, "predicted": r.predicted}) for r in report.results
    ]
    return cases, metrics | _delta({}, _usage(engine))


def _injection(
    engine: Engine, settings: Settings, recorder: _Recorder | None, progress: Progress, limit: int | None
) -> Any:
    canary, all_attacks = injection.load_suite()
    attacks = all_attacks[:limit]
    items = [(f"{a.id}.control", a.case, a.stage, a.control) for a in attacks]
    items += [(f"{a.id}.attack", a.case, a.stage, a.attack) for a in attacks]
    graded = _graded(engine, settings, recorder, items, progress)
    report = injection.evaluate(lambda c, s, t: graded[(c, s, t)], canary, attacks)
    cases = [
        CaseResult(id=r.id, metrics={"delta": r.delta, "leaked": float(r.leaked_canary)})
        for r in report.results
    ]
    metrics = {
        "raised": len(report.raised),
        "canary_leaks": len(report.canary_leaks),
        "mean_delta": report.mean_delta,
    }
    return cases, metrics | _delta({}, _usage(engine))


def _graded(
    engine: Engine, settings: Settings, recorder: _Recorder | None, items: list[Any], progress: Progress
) -> dict[Any, Any]:
    from rubric.grading import grade_answer

    out = {}
    for n, (key, case, stage, text) in enumerate(items, 1):
        with _tape(recorder, key):
            out[(case, stage, text)] = grade_answer(
                engine.grader, engine.provider, case, stage, text, settings.max_answer_chars
            )
        progress(n, len(items))
    return out


def _judge(
    engine: Engine, settings: Settings, recorder: _Recorder | None, progress: Progress, limit: int | None
) -> Any:
    answers = judge.load_answers()[:limit]
    graded = _graded(engine, settings, recorder, [(a.id, a.case, a.stage, a.text) for a in answers], progress)
    held_out = judge.test_ids()
    metrics: dict[str, float] = {}
    cases = []
    for split in ("dev", "test"):
        chosen = [a for a in answers if (a.id in held_out) == (split == "test")]
        report = judge.evaluate(lambda c, s, t: graded[(c, s, t)], chosen, split)
        metrics |= judge.flat_metrics(report)
        cases += [
            CaseResult(
                id=r.id, metrics={"label": r.label, "predicted": r.predicted, "in_band": float(r.in_band)}
            )
            for r in report.results
        ]
    return cases, metrics | _delta({}, _usage(engine))


def _retrieval(
    engine: Engine, settings: Settings, recorder: _Recorder | None, progress: Progress, limit: int | None
) -> Any:
    from knowledge.index import KnowledgeIndex

    index = KnowledgeIndex.from_settings(settings)
    index.ingest()
    report = retrieval.evaluate(index, retrieval.load_queries()[:limit])
    progress(1, 1)
    cases = [CaseResult(id=r.id, metrics={"hit": float(r.rank is not None)}) for r in report.results]
    return cases, {"recall_at_5": report.recall_at_k, "mrr": report.mrr}


_RUNNERS: dict[str, Callable[..., Any]] = {
    "personas": _personas,
    "calibration": _calibration,
    "injection": _injection,
    "retrieval": _retrieval,
    "judge": _judge,
    "candidates": _candidates,
}


# ---------------------------------------------------------------- helpers


def _aggregate(results: list[CaseResult]) -> dict[str, float]:
    keys = sorted({k for r in results for k in r.metrics})
    out = {}
    for key in keys:
        values = [r.metrics[key] for r in results if key in r.metrics]
        out[key] = round(sum(values) / len(values), 4)
    if "planted_probed" in out:
        out["probe_recall"] = out.pop("planted_probed")
    probes = sum(r.metrics.get("probes", 0) for r in results)
    needless = sum(r.metrics.get("needless_probes", 0) for r in results)
    out["probe_precision"] = round(1 - needless / probes, 4) if probes else 1.0
    return out


def _usage(engine: Engine) -> dict[str, float]:
    chats = {
        id(c): c for c in (getattr(engine.voice, "chat", None), getattr(engine.grader, "chat", None)) if c
    }
    totals = {"input_tokens": 0.0, "output_tokens": 0.0, "model_calls": 0.0}
    for chat in chats.values():
        totals["input_tokens"] += sum(u.input_tokens for u in chat.usage)
        totals["output_tokens"] += sum(u.output_tokens for u in chat.usage)
        totals["model_calls"] += len(chat.usage)
    totals["grader_fallbacks"] = float(getattr(engine.grader, "fallbacks", 0))  # answers graded offline
    return totals


def _delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    used = {k: after[k] - before.get(k, 0.0) for k in after}
    used["cost_usd_gpt_4o_mini"] = cost_usd("gpt-4o-mini", used["input_tokens"], used["output_tokens"])
    return used


def _versions(suite: str, engine: Engine) -> str:
    """The versions of what the suite exercises: the voice and the per-turn assessor in personas,
    the grader in the others (so a voice change keeps the grading recordings valid)."""
    if suite == "personas":
        return f"{engine.voice.version}+{engine.assessor.version}"
    return engine.grader.version


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def _stable_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def iter_suites() -> Iterator[tuple[str, str]]:
    yield from SUITES.items()
