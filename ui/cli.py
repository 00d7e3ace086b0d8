"""The `mlsd` command line. Heavy modules load inside the commands, so `--help` is instant."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec

import typer

from common.errors import ConfigError, ContentError, InputError, InterviewerError
from common.ids import CaseId, Level, ProviderName, Stage, Topic

if TYPE_CHECKING:
    from common.settings import Settings
    from interviewer.script import Script
    from interviewer.session import Interview

P = ParamSpec("P")


class Format(StrEnum):
    text = "text"
    json = "json"


app = typer.Typer(
    help="MLSD Interviewer: mock interviews and grading for ML system design.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
knowledge_app = typer.Typer(help="Search the knowledge base.", no_args_is_help=True)
app.add_typer(knowledge_app, name="knowledge")
evals_app = typer.Typer(help="Batch-evaluate prompt and policy changes.", no_args_is_help=True)
app.add_typer(evals_app, name="evals")

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
ProviderOpt = Annotated[ProviderName | None, typer.Option(help="offline (default, no key), openai or local.")]


def _settings(**overrides: Any) -> Settings:
    from common.settings import Settings
    from common.tokens import use_cache_dir

    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    use_cache_dir(settings.tiktoken_dir)
    return settings


def _emit(data: object, fmt: Format, render: Any = None) -> None:
    if fmt is Format.json or render is None:
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        render(data)


def _fail(message: str, code: int = 1) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def main() -> None:
    app()


def handled(fn: Callable[P, None]) -> Callable[P, None]:
    """Our errors end the command with their message: exit 2 for bad input or settings, else 1."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except (ConfigError, ContentError, InputError) as exc:
            _fail(str(exc), code=2)
        except InterviewerError as exc:
            _fail(str(exc), code=1)

    return wrapper


# ---------------------------------------------------------------- listings


def _listing(rows: list[dict[str, str]], fmt: Format) -> None:
    def render(data: list[dict[str, str]]) -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table(*data[0].keys())
        for row in data:
            table.add_row(*row.values())
        Console().print(table)

    _emit(rows, fmt, render)


@app.command()
@handled
def stages(fmt: FormatOpt = Format.text) -> None:
    """List the seven stage ids, in interview order."""
    _listing([{"id": s.value, "title": s.label} for s in Stage], fmt)


@app.command()
@handled
def topics(fmt: FormatOpt = Format.text) -> None:
    """List the topic ids the interviewer probes."""
    _listing([{"id": t.value} for t in Topic], fmt)


@app.command()
@handled
def cases(fmt: FormatOpt = Format.text) -> None:
    """List the case studies."""
    from knowledge.cases import available_cases, load_case

    rows = [
        {"id": c.value, "title": (k := load_case(c)).title, "family": k.family} for c in available_cases()
    ]
    _listing(rows, fmt)


# ---------------------------------------------------------------- interview


@app.command()
@handled
def interview(
    case: Annotated[CaseId, typer.Option(help="Case id (see `mlsd cases`).")] = CaseId.ad_click_prediction,
    level: Annotated[Level, typer.Option(help="The level you are interviewing for.")] = Level.senior,
    provider: ProviderOpt = None,
    script: Annotated[Path | None, typer.Option(help="A scripted candidate (YAML) answers.")] = None,
    minutes: Annotated[float, typer.Option(min=5, max=180, help="The interview's time budget.")] = 45,
    resume: Annotated[
        str | None, typer.Option(help="Go on with a stored interview (its id is printed at the start).")
    ] = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """A mock interview in the terminal (or played by a scripted candidate)."""
    from interviewer.engine import build_engine
    from interviewer.script import play
    from interviewer.session import Interview
    from interviewer.store import Store

    settings = _settings(provider=provider)
    scripted = _script(script, settings) if script else None
    if scripted:
        case, level = scripted.case, scripted.level
    store = Store(settings.db_url)
    engine = build_engine(settings)
    if resume is not None:
        found = Interview.resume(resume, store, engine, max_chars=settings.max_answer_chars)
        if found is None:
            raise InputError(_unknown_session(resume, settings))
        session = found
    else:
        session = Interview.start(
            case, level, store, engine, minutes=minutes, max_chars=settings.max_answer_chars
        )
    if fmt is Format.text:  # (the JSON holds it as "session")
        print(f"Interview {session.state.id}: `mlsd interview --resume {session.state.id}` goes on with it.")
    if scripted:
        play(session, scripted)
    elif fmt is Format.text or not session.finished:  # a finished one resumed for JSON: its grade
        _converse(session)
    session.final_scorecard(timeout=settings.timeout_s * 10)
    result = {
        "case": session.state.case.value,
        "level": session.state.level.value,
        "provider": session.state.provider,
        "session": session.state.id,
        "prompt_version": session.state.prompt_version,
        "turns": [t.public() for t in session.turns],
        "scorecard": session.state.scorecard.model_dump(mode="json") if session.state.scorecard else None,
    }
    if fmt is Format.json:
        _emit(result, fmt)
    elif scripted:
        from ui.terminal import print_transcript

        print_transcript(session)


def _converse(session: Interview) -> None:
    from ui.terminal import converse

    converse(session)


def _unknown_session(session_id: str, settings: Settings) -> str:
    shown = session_id if len(session_id) <= 64 and session_id.isprintable() else repr(session_id[:64]) + "…"
    return (
        f"No interview {shown} is stored in {settings.data_dir} (check MLSD_DATA_DIR or "
        "MLSD_DATABASE_URL); start a new one with `mlsd interview`."
    )


def _script(path: Path, settings: Settings) -> Script:
    """The script, every answer in it checked as a turn would be, so a bad one fails before it starts."""
    from interviewer.script import load_script
    from rubric.guard import checked_answer

    script = load_script(path)
    for stage, scripted in script.stages.items():
        for where, text in [("answer", scripted.answer), *scripted.replies.items()]:
            try:
                if not checked_answer(text, settings.max_answer_chars, settings.max_answer_tokens):
                    raise InputError("it is empty (or only spaces and control characters)")
            except InputError as exc:
                raise ContentError(f"{path}: stages.{stage.value}.{where}: {exc}") from None
    return script


# ---------------------------------------------------------------- grading


@app.command()
@handled
def grade(
    case: Annotated[CaseId | None, typer.Option(help="Case id (a transcript may name it).")] = None,
    stage: Annotated[Stage | None, typer.Option(help="Stage id, with --answer.")] = None,
    answer: Annotated[Path | None, typer.Option(help="File with one answer; - for stdin.")] = None,
    transcript: Annotated[
        Path | None, typer.Option(help="A whole interview (JSON or Markdown); - for stdin.")
    ] = None,
    level: Annotated[Level, typer.Option(help="Level, for a transcript's recommendation.")] = Level.senior,
    provider: ProviderOpt = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Grade one answer to one stage (--answer), or a whole transcript (--transcript)."""
    from interviewer.engine import build_engine

    settings = _settings(provider=provider)
    if (answer is None) == (transcript is None):
        _fail("give exactly one of --answer (with --case and --stage) or --transcript", code=2)
    engine = build_engine(settings)
    if transcript is not None:
        from rubric.transcripts import grade_transcript

        card = grade_transcript(
            engine.grader, engine.provider, _text(transcript), level, case, settings.max_answer_chars
        )
        _say_fallbacks(engine.grader)
        _emit(card.model_dump(mode="json"), fmt, lambda _: _print_card(card))
        return
    if case is None or stage is None:
        _fail("--answer needs --case and --stage", code=2)
        return
    from rubric.grading import grade_answer

    result = grade_answer(
        engine.grader,
        engine.provider,
        case,
        stage,
        _text(answer),  # type: ignore[arg-type]
        settings.max_answer_chars,
    )
    _say_fallbacks(engine.grader)

    def render(data: dict[str, Any]) -> None:
        from ui.terminal import print_stage_score

        print_stage_score(result)

    _emit(result.model_dump(mode="json"), fmt, render)


def _print_card(card: Any) -> None:
    from ui.terminal import print_scorecard

    print_scorecard(card)


def _say_fallbacks(grader: Any) -> None:
    """On stderr, when the model could not grade (an error, invalid output) and the offline judge did."""
    if fallbacks := getattr(grader, "fallbacks", 0):
        print(
            f"note: the model could not grade {fallbacks} answer(s) (a provider error or invalid output); "
            "the offline judge graded them instead.",
            file=sys.stderr,
        )


def _text(path: Path) -> str:
    return _decoded(sys.stdin.buffer.read(), "stdin") if str(path) == "-" else _read(path)


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror}); nothing was graded.") from None
    return _decoded(data, str(path))


def _decoded(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where} is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start:,}): "
            "save it as UTF-8 and try again; nothing was graded."
        ) from None


# ---------------------------------------------------------------- knowledge


@app.command()
@handled
def ingest(
    rebuild: Annotated[bool, typer.Option(help="Drop the index and build it again.")] = False,
    fmt: FormatOpt = Format.text,
) -> None:
    """Build or refresh the knowledge index (idempotent, by content hash)."""
    from knowledge.index import KnowledgeIndex

    settings = _settings()
    report = KnowledgeIndex.from_settings(settings).ingest(rebuild=rebuild, progress=fmt is Format.text)
    _emit(report.model_dump(), fmt, lambda r: print(report.summary()))


@knowledge_app.command("search")
@handled
def knowledge_search(
    query: str,
    stage: Annotated[Stage | None, typer.Option(help="Only this stage.")] = None,
    case: Annotated[CaseId | None, typer.Option(help="Only this case (and general notes).")] = None,
    topic: Annotated[Topic | None, typer.Option(help="Only chunks tagged with this topic.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many chunks.")] = 5,
    fmt: FormatOpt = Format.text,
) -> None:
    """Ranked knowledge chunks with their metadata."""
    from knowledge.index import KnowledgeIndex
    from knowledge.retriever import Filter

    hits = KnowledgeIndex.from_settings(_settings()).search(
        query, Filter(stage=stage, case=case, topic=topic), k
    )

    def render(data: list[dict[str, Any]]) -> None:
        from ui.terminal import print_chunks

        print_chunks(hits)

    _emit([h.model_dump() for h in hits], fmt, render)


@evals_app.command("list")
@handled
def evals_list(fmt: FormatOpt = Format.text) -> None:
    """The eval suites."""
    from evals.runner import iter_suites

    _listing([{"suite": name, "measures": text} for name, text in iter_suites()], fmt)


@evals_app.command("run")
@handled
def evals_run(
    suite: Annotated[str, typer.Option(help="personas, calibration, injection or retrieval.")],
    provider: ProviderOpt = None,
    prompts: Annotated[str | None, typer.Option(help="LLM voice prompt version, e.g. voice-v1.")] = None,
    record_mode: Annotated[str, typer.Option(help="none (replay only), once, new_episodes or all.")] = "none",
    out: Annotated[Path, typer.Option(help="Folder for the JSON and Markdown reports.")] = Path(
        "evals/reports"
    ),
    limit: Annotated[int | None, typer.Option(help="Only the first N items of the suite.")] = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Run a suite; model traffic is replayed from (or recorded into) cassettes."""
    from evals.compare import report_markdown
    from evals.runner import RECORD_MODES, run_suite

    if record_mode not in RECORD_MODES:
        _fail(f"--record-mode must be one of {', '.join(RECORD_MODES)}", code=2)
    settings = _settings(provider=provider, prompts=prompts)
    with _bar(f"{suite}") as advance:
        report = run_suite(suite, settings, record_mode, progress=advance, limit=limit)
    out.mkdir(parents=True, exist_ok=True)
    p = report.provenance
    stem = out / f"{suite}-{p.provider}-{p.prompt_version.replace('+', '_')}-{p.commit}"
    stem.with_suffix(".json").write_text(report.model_dump_json(indent=2))
    stem.with_suffix(".md").write_text(report_markdown(report))
    _emit(
        report.model_dump(mode="json"), fmt, lambda _: print(report_markdown(report) + f"\n\n→ {stem}.json")
    )


@evals_app.command("compare")
@handled
def evals_compare(
    a: Path,
    b: Path,
    threshold: Annotated[float, typer.Option(help="Largest tolerated worsening of a metric.")] = 0.02,
    fmt: FormatOpt = Format.text,
) -> None:
    """Two reports side by side; exits 1 when B regresses beyond the threshold."""
    from evals.compare import compare, load_report, markdown

    result = compare(load_report(a), load_report(b), threshold)
    _emit(result.model_dump(mode="json"), fmt, lambda _: print(markdown(result)))
    if result.regressions:
        raise typer.Exit(1)


@contextmanager
def _bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on a terminal (stderr), nothing otherwise."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda done, total: None
        return
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@app.command()
@handled
def bench(
    quick: Annotated[bool, typer.Option(help="Fewer repetitions (a smoke run).")] = False,
    fmt: FormatOpt = Format.text,
) -> None:
    """The performance figures: medians and p95, each beside its baseline."""
    from evals.bench import run

    _settings()  # lays out the token files
    figures = run(quick=quick)

    def render(data: dict[str, Any]) -> None:
        from rich.console import Console
        from rich.table import Table

        table = Table("figure", "value", title="mlsd bench" + (" (quick)" if quick else ""))
        for key, value in data.items():
            table.add_row(key, str(value))
        Console().print(table)

    _emit(figures, fmt, render)


@app.command()
@handled
def validate() -> None:
    """Check every case and the rubric for broken references; names the file and the id."""
    from rubric.validate import main as run

    raise typer.Exit(run())


# ---------------------------------------------------------------- app and doctor


@app.command("app")
@handled
def run_app(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
    provider: ProviderOpt = None,
    address: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for a load balancer on another host).")
    ] = "127.0.0.1",
) -> None:
    """Start the Streamlit UI (on 127.0.0.1 unless --address says otherwise)."""
    import os
    import subprocess

    settings = _settings(provider=provider)
    env = {
        **os.environ,
        "MLSD_PROVIDER": settings.provider.value,
        "MLSD_DATA_DIR": str(settings.data_dir.resolve()),
    }
    command = [
        sys.executable,
        "-m",
        "ui.serve",  # warms the first page's imports and services, then runs Streamlit's server
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--client.toolbarMode",
        "viewer",
        "--browser.gatherUsageStats",
        "false",
    ]
    print(
        f"MLSD Interviewer on http://{address}:{port} (engine: {settings.provider.value}); Ctrl+C stops it."
    )
    raise typer.Exit(subprocess.call(command, env=env))


@app.command()
@handled
def doctor(fmt: FormatOpt = Format.text) -> None:
    """What is configured, what is missing, and what to do about it."""
    from interviewer.doctor import checks

    found = checks(_settings())

    def render(data: list[dict[str, str]]) -> None:
        from ui.terminal import print_checks

        print_checks(found)

    _emit([c.model_dump() for c in found], fmt, render)
    if any(c.status == "missing" for c in found):
        raise typer.Exit(1)


if __name__ == "__main__":
    main()
