"""The ``summarizer`` command line.

Only typer is imported at start-up: pydantic models, litellm and instructor load inside the
command that needs them, so ``summarizer --help`` answers at once.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

app = typer.Typer(
    name="summarizer",
    help="Turn news articles into typed, evidence-backed briefs with a real language model.\n\n"
    "With no configuration it runs an embedded local model; set SUMMARIZER_MODEL (or --model) "
    "to any litellm model string to use a hosted one.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(str, Enum):
    json = "json"
    markdown = "markdown"


class ExecutorChoice(str, Enum):
    asyncio = "asyncio"
    ray = "ray"


ModelOpt = Annotated[
    Optional[str],
    typer.Option(
        "--model", "-m", help="litellm model string; default: SUMMARIZER_MODEL or the embedded model."
    ),
]
VerboseOpt = Annotated[
    int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")
]


def _fail(message: str, code: int = 1) -> None:
    from summarizer.redact import redact

    typer.echo(f"error: {redact(message)}", err=True)
    raise typer.Exit(code)


def _logging(verbose: int) -> None:
    import logging

    from summarizer.redact import install_stderr_logging

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    # Libraries (httpx, litellm, trafilatura...) speak from ERROR; -v their warnings, -vv all.
    libraries = logging.ERROR if verbose == 0 else logging.WARNING if verbose == 1 else logging.DEBUG
    install_stderr_logging(level, libraries)
    # instructor logs handled re-asks as errors; our own messages say what happened.
    logging.getLogger("instructor").setLevel(logging.DEBUG if verbose >= 2 else logging.CRITICAL)


@app.command()
def brief(
    path: Annotated[str, typer.Argument(help="An article file (txt, md, html, json), or - for stdin.")],
    model: ModelOpt = None,
    format: Annotated[
        Format, typer.Option("--format", "-f", help="json (default) or markdown.")
    ] = Format.json,
    strict: Annotated[
        bool, typer.Option(help="Fail if items stay ungrounded instead of dropping them.")
    ] = False,
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="Show the brief as it forms: live in a terminal; piped, one JSON line per event "
            "(candidates, item, summary, done).",
        ),
    ] = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Brief one article and print it."""
    _logging(verbose)
    from summarizer.batch.inputs import decode, read_article, text_article
    from summarizer.brief.pipeline import summarize
    from summarizer.errors import SummarizerError

    try:
        if path == "-":
            article = text_article(decode(sys.stdin.buffer.read(), "<stdin>"), "<stdin>")
        else:
            article = read_article(Path(path))
        if stream:
            _brief_stream(article, model, strict, format)
            return
        result = summarize(article, model=model, strict=strict or None)
    except SummarizerError as exc:
        _fail(str(exc))
        return
    if format is Format.markdown:
        from summarizer.brief.render import brief_markdown

        typer.echo(brief_markdown(result, article.title, article.text), nl=False)
    else:
        typer.echo(result.model_dump_json(indent=2))


def _brief_stream(article: Any, model: str | None, strict: bool, format: Format) -> None:
    """``brief --stream``: a live view on a terminal, JSON lines of events when piped."""
    from summarizer.brief.pipeline import summarize_stream
    from summarizer.live import show_live, write_json_lines

    events = summarize_stream(article, model=model, strict=strict or None)
    if not sys.stdout.isatty():
        write_json_lines(events, sys.stdout)
        return
    done = show_live(events, article.title)
    if done is not None and format is Format.markdown:
        from summarizer.brief.render import brief_markdown

        typer.echo(brief_markdown(done.brief, article.title, article.text), nl=False)


@app.command()
def run(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive), globs, or - for stdin.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("briefs"),
    model: ModelOpt = None,
    format: Annotated[
        Format, typer.Option("--format", "-f", help="markdown adds a .md per article and index.md.")
    ] = Format.json,
    concurrency: Annotated[
        Optional[int],
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            help="Articles in flight (default: 1 for the embedded model, 8 otherwise).",
        ),
    ] = None,
    rpm: Annotated[Optional[int], typer.Option(min=1, help="At most this many requests per minute.")] = None,
    tpm: Annotated[Optional[int], typer.Option(min=1, help="At most this many tokens per minute.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-brief articles that are already done.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be briefed and estimate tokens; call no model.")
    ] = False,
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="Send the requests through the provider's batch API (about half the price, answers "
            "within 24 h); a re-run resumes the same batches. See `summarizer batch`.",
        ),
    ] = False,
    batch_retries: Annotated[
        int, typer.Option(min=0, help="With --batch: further batches for what a batch left unanswered.")
    ] = 0,
    batch_poll: Annotated[
        float, typer.Option(min=0.0, help="With --batch: seconds between status polls.")
    ] = 30.0,
    strict: Annotated[bool, typer.Option(help="Fail an article if items stay ungrounded.")] = False,
    max_bytes: Annotated[int, typer.Option(help="Refuse input files larger than this.")] = 2_000_000,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
    database_url: Annotated[
        Optional[str],
        typer.Option(help="Share briefs with a `summarizer serve` store: sqlite:///PATH or postgresql://..."),
    ] = None,
    executor: Annotated[
        ExecutorChoice,
        typer.Option(help="Where articles are briefed: this process, or Ray workers (summarizer[ray])."),
    ] = ExecutorChoice.asyncio,
    ray_address: Annotated[
        Optional[str],
        typer.Option(help="Join this Ray cluster (HOST:PORT of `ray start --head`); default: a local Ray."),
    ] = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Brief every article under PATHS into OUT/ (resumable: a re-run skips finished work)."""
    _logging(verbose)
    from summarizer.batch import RunOptions, UsageError, run_sync
    from summarizer.errors import SummarizerError
    from summarizer.settings import get_settings

    options = RunOptions(
        paths=paths, out=out, markdown=format is Format.markdown, concurrency=concurrency,
        rpm=rpm, tpm=tpm, force=force, dry_run=dry_run, max_bytes=max_bytes, quiet=quiet,
        database_url=database_url, executor=executor.value, ray_address=ray_address,
    )  # fmt: skip
    if batch:
        from dataclasses import replace

        from summarizer.batch.provider_batch import BatchOptions

        options = replace(options, batch=BatchOptions(retries=batch_retries, poll_s=batch_poll))
    try:
        # rpm/tpm also go to Settings, where the model client counts every request it sends.
        settings = get_settings(model=model, strict=strict or None, rpm=rpm, tpm=tpm)
        code = run_sync(options, settings)
    except UsageError as exc:
        _fail(str(exc), 2)
        return
    except SummarizerError as exc:
        _fail(str(exc), 1)
        return
    except ValueError as exc:  # a setting with an invalid value
        _fail(str(exc), 2)
        return
    raise typer.Exit(code)


batch_app = typer.Typer(
    help="The provider batches of `summarizer run --batch` in an output folder.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(batch_app, name="batch")
OutArg = Annotated[Path, typer.Argument(help="The output folder of `summarizer run --batch`.")]


def _batches(out: Path, cancel: bool) -> None:
    import asyncio

    from summarizer.batch import UsageError
    from summarizer.batch.provider_batch import batch_command, describe
    from summarizer.errors import SummarizerError
    from summarizer.settings import get_settings

    try:
        records = asyncio.run(batch_command(out, get_settings(), cancel=cancel))
    except UsageError as exc:
        _fail(str(exc), 2)
        return
    except SummarizerError as exc:
        _fail(str(exc), 1)
        return
    for line in describe(records):
        typer.echo(line)


@batch_app.command("status")
def batch_status(out: OutArg, verbose: VerboseOpt = 0) -> None:
    """Each batch: id, status, requests completed and failed (asks the provider)."""
    _logging(verbose)
    _batches(out, cancel=False)


@batch_app.command("cancel")
def batch_cancel(out: OutArg, verbose: VerboseOpt = 0) -> None:
    """Cancel the unfinished batches; a re-run of `summarizer run --batch` then uses what they
    finished and sends the rest live."""
    _logging(verbose)
    _batches(out, cancel=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a brief."""
    import json

    from summarizer.models import brief_json_schema

    typer.echo(json.dumps(brief_json_schema(), indent=2))


@app.command(name="eval")
def eval_(
    corpus: Annotated[Path, typer.Argument(help="JSONL with id, text and references per line.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for briefs and report.{md,json,png}.")
    ] = Path("eval"),
    model: ModelOpt = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Only the first N articles.")] = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Brief a reference corpus and report validity, grounding, ROUGE vs lead-3, latency, tokens."""
    _logging(verbose)
    from summarizer.errors import SummarizerError
    from summarizer.eval import evaluate

    if not corpus.is_file():
        _fail(f"{corpus}: no such file", 2)
    try:
        report = evaluate(corpus, out, model=model, limit=limit)
    except SummarizerError as exc:
        _fail(str(exc))
        return
    typer.echo(report)


@app.command()
def serve(
    host: Annotated[
        Optional[str], typer.Option(help="Interface to bind (default 127.0.0.1: this machine only).")
    ] = None,
    port: Annotated[Optional[int], typer.Option(help="TCP port (default 8000).")] = None,
    workers: Annotated[
        Optional[int],
        typer.Option(min=1, help="Server processes, each with its own job workers (default 1)."),
    ] = None,
    database_url: Annotated[
        Optional[str],
        typer.Option(
            help="postgresql://... to share jobs and cache between replicas; "
            "default: SQLite in the user data dir."
        ),
    ] = None,
    model: ModelOpt = None,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, help="Libraries' log lines too: -v their warnings, -vv everything."
        ),
    ] = 0,
) -> None:
    """Run the brief service: HTTP API under /v1, a page at /, jobs that survive restarts.

    Needs the serve extra (pip install 'summarizer[serve]'). API keys: SUMMARIZER_SERVER_KEYS.
    """
    import os

    # Through the environment, so every server process (--workers) reads the same settings.
    for name, value in (
        ("SUMMARIZER_SERVER_HOST", host),
        ("SUMMARIZER_SERVER_PORT", port),
        ("SUMMARIZER_SERVER_WORKERS", workers),
        ("SUMMARIZER_DATABASE_URL", database_url),
        ("SUMMARIZER_MODEL", model),
        ("SUMMARIZER_SERVER_VERBOSE", verbose or None),
    ):
        if value is not None:
            os.environ[name] = str(value)
    try:
        from summarizer.service.server import serve as run_server
    except ImportError as exc:
        _fail(
            f"the service needs the serve extra: pip install 'summarizer[serve]' ({exc.name} is missing)", 2
        )
        return
    from pydantic import ValidationError

    from summarizer.service.config import ServiceSettings

    try:
        config = ServiceSettings()
    except ValidationError as exc:
        _fail(f"bad service setting: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", 2)
        return
    run_server(config)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
