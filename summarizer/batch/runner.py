"""``summarizer run``: many articles, concurrently, resumably, with nothing lost.

Inputs stream in lazily (``sources``); the ``Scheduler`` decides when each goes to the model;
the ``OutputStore`` writes what comes back. Each input ends as a brief (``OUT/<name>.json``, a
line of ``briefs.jsonl``) or an error record (``errors.jsonl``) whose kind is one of
``FailureKind``, and the exit status says which happened: 0 all briefed, 1 some failed.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer.backends.client import resolve_endpoint
from summarizer.batch.dryrun import dry_run
from summarizer.batch.executors import AsyncioExecutor, Executor, check, open_executor
from summarizer.batch.failures import FailureKind, UsageError, kind_of, stops_the_run
from summarizer.batch.files import describe_os_error
from summarizer.batch.inputs import DEFAULT_MAX_BYTES
from summarizer.batch.lock import locked
from summarizer.batch.manifest import work_key
from summarizer.batch.progress import Progress, make_progress, print_summary
from summarizer.batch.provider_batch import BatchOptions, check_batch, prepare
from summarizer.batch.scheduler import Scheduler, Stopped
from summarizer.batch.sources import Input, count_inputs, iter_inputs
from summarizer.batch.stats import Stats
from summarizer.batch.store import OutputStore
from summarizer.brief.prompts import prompt_version
from summarizer.errors import ArticleError, SummarizerError
from summarizer.models import Article, Brief
from summarizer.redact import redact
from summarizer.settings import Settings, get_settings


@dataclass(frozen=True)
class RunOptions:
    """What ``summarizer run`` was asked to do (model settings live in ``Settings``)."""

    paths: list[str]
    out: Path = Path("briefs")
    markdown: bool = False
    concurrency: int | None = None  # default: 1 for the embedded model, 8 otherwise
    rpm: int | None = None
    tpm: int | None = None
    force: bool = False
    dry_run: bool = False
    batch: BatchOptions | None = None  # --batch: the provider's batch API first (provider_batch.py)
    max_bytes: int = DEFAULT_MAX_BYTES
    quiet: bool = False
    database_url: str | None = None  # a `summarizer serve` store whose brief cache the run shares
    executor: str = "asyncio"  # where articles are briefed: this process, or "ray" (executors.py)
    ray_address: str | None = None  # a Ray cluster to join; unset: a local Ray for the run


@dataclass
class Runner:
    """One input from article to outcome; the scheduler and the store do the rest."""

    options: RunOptions
    settings: Settings
    model: str  # the endpoint's model name, part of every work key
    store: OutputStore
    scheduler: Scheduler
    progress: Progress
    stats: Stats = field(default_factory=Stats)
    fatal: SummarizerError | None = None  # raised when the run ends
    shared: Any = None  # the brief cache (summarizer.storage.Database), with --database-url
    executor: Executor | None = None  # where the model is called; unset: this process

    async def handle(self, item: Input) -> None:
        try:
            article = await asyncio.to_thread(item.load)
        except ArticleError as exc:
            self.fail(item, FailureKind.UNSUPPORTED if item.unsupported else FailureKind.INPUT, str(exc))
            return
        limit = self.settings.max_article_chars
        if len(article.text) > limit:
            self.fail(
                item,
                FailureKind.INPUT,
                f"{item.source}: {len(article.text):,} characters, over the {limit:,} limit",
            )
            return
        article = article.model_copy(update={"source_id": item.source})
        work = work_key(article, self.model, prompt_version(), self.settings)
        if not self.options.force and self.store.finished(item, work):
            self.stats.already_done += 1
            self._tick(item, "skipped (done)")
            return
        output = self.store.output_for(item)
        try:
            (brief, fresh), waited = await self.scheduler.once(work, lambda: self._brief(article, work))
            mine = brief.model_copy(deep=True)
            mine.metadata.source = item.source
            self.store.write(item, output, work, mine, article)
        except Stopped as exc:
            self.fail(item, FailureKind.STOPPED, f"not attempted: {exc}", output)
        except SummarizerError as exc:
            self._failed_call(item, exc, output)
        except OSError as exc:
            if self.store.disk_trouble(exc):
                self.scheduler.stop(
                    f"no space left on the device holding {self.options.out}; free space and re-run"
                )
            reason = f"{item.source}: {describe_os_error(exc, self.options.out / output)}"
            self.fail(item, FailureKind.WRITE, reason, output)
        else:
            self._briefed(item, mine, fresh and not waited)

    async def _brief(self, article: Article, work: str) -> tuple[Brief, bool]:
        """The stored brief of this exact work, or a fresh one (True), stored before it returns."""
        if not self.options.force and (stored := self.store.stored(work)) is not None:
            return stored, False
        if self.shared is not None and not self.options.force:
            # The service caches under the same work key: its brief is this work's brief.
            if (found := await asyncio.to_thread(self.shared.cached, work)) is not None:
                brief = Brief.model_validate_json(found)
                self.store.keep(work, brief)
                return brief, False
        executor = self.executor or AsyncioExecutor(self.settings)
        brief = await self.scheduler.model_call(lambda: executor.brief(article))
        self.store.keep(work, brief)
        if self.shared is not None:
            meta = brief.metadata
            row = (work, meta.model, meta.prompt_version, brief.model_dump_json())
            await asyncio.to_thread(self.shared.cache_put, *row)
        return brief, True

    def _briefed(self, item: Input, brief: Brief, fresh: bool) -> None:
        meta = brief.metadata
        if fresh:
            self.stats.briefed += 1
            self.stats.add_usage(meta.usage)
        else:
            self.stats.reused += 1
        self._tick(
            item,
            f"{'briefed' if fresh else 'reused'} ({meta.latency_s:.1f}s, {meta.usage.total_tokens} tokens)",
        )

    def _failed_call(self, item: Input, exc: SummarizerError, output: Path) -> None:
        kind = kind_of(exc)
        if stops_the_run(kind):
            self.fatal = self.fatal or exc
            self.scheduler.stop(f"the run stopped on a configuration error: {exc}")
        self.fail(item, kind, str(exc), output)

    def fail(self, item: Input, kind: FailureKind, reason: str, output: Path | None = None) -> None:
        reason = redact(" ".join(reason.split()))
        if kind is FailureKind.UNSUPPORTED:
            self.stats.unsupported += 1
        else:
            self.stats.failed += 1
        self.store.failed(item, kind, reason, output)
        shown = reason if reason.startswith(item.source) else f"{item.source}: {reason}"
        label = "skipped" if kind is FailureKind.UNSUPPORTED else "FAILED"
        self.progress.advance(self.stats, f"{label}: {shown}", error=True)

    def crashed(self, item: Input, exc: BaseException) -> None:
        """A bug in the handler: the input still gets its record."""
        self.fail(item, FailureKind.INTERNAL, f"unexpected {type(exc).__name__}: {exc}")

    def _tick(self, item: Input, message: str) -> None:
        self.progress.advance(self.stats, f"{item.source}: {message}")


async def run(options: RunOptions, settings: Settings | None = None) -> int:
    """Brief every input of ``options``; the exit status (0 all briefed, 1 some failed)."""
    settings = settings or get_settings()
    # Rate limits count requests (re-asks, parts, retries), so they live where requests are sent.
    limits = {"rpm": options.rpm, "tpm": options.tpm}
    settings = settings.model_copy(update={k: v for k, v in limits.items() if v is not None})
    if options.batch is not None:
        check_batch(settings, options.executor)
    # The checks the real run makes before it starts: a dry run refuses what the run refuses.
    check(options.executor, settings, options.ray_address)
    if options.dry_run:
        batch = options.batch is not None
        return dry_run(
            options.paths, options.max_bytes, settings, options.out, batch=batch, force=options.force
        )
    out = options.out
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder; choose a folder for the briefs")
    out.mkdir(parents=True, exist_ok=True)
    with locked(out):
        store = OutputStore(out, options.markdown)
        store.set_ballast()
        store.open_views()  # briefs.jsonl / errors.jsonl grow from here as articles finish
        # Starts the embedded server (if that is the model) once, before any article is read.
        endpoint = await asyncio.to_thread(resolve_endpoint, settings)
        # The embedded server has one slot on a small CPU: more in flight only queues there.
        concurrency = options.concurrency or (1 if endpoint.embedded else 8)
        # --batch: the provider's batch API answers what it can; the run below sends the rest live.
        batches = await prepare(options, settings, endpoint, store) if options.batch else None
        shared = _shared_store(options.database_url) if options.database_url else None
        try:
            # Each executor worker (one process for asyncio) holds `concurrency` articles in flight.
            async with open_executor(options.executor, settings, concurrency, options.ray_address) as ex:
                scheduler = Scheduler(concurrency * ex.workers)
                with make_progress(options.quiet, lambda: count_inputs(options.paths, out)) as progress:
                    runner = Runner(options, settings, endpoint.model, store, scheduler, progress)
                    runner.shared, runner.executor = shared, ex
                    await scheduler.run(
                        iter_inputs(options.paths, options.max_bytes, out), runner.handle, runner.crashed
                    )
        finally:
            if shared is not None:
                shared.close()
        problems = store.finish(complete=True)
        if batches is not None:
            # A stopped run (a configuration error, a full disk) did not use every answer: the
            # re-run applies the same batches again instead of submitting and paying twice.
            batches.finished(applied=scheduler.stop_reason is None)
    if not options.quiet:
        print_summary(runner.stats, endpoint.model)
    for problem in problems:
        print(f"error: {redact(problem)}", file=sys.stderr)
    if runner.fatal:
        raise runner.fatal
    return 1 if runner.stats.failed or problems else 0


def _shared_store(url: str) -> Any:
    """The brief cache in a ``summarizer serve`` database (SQLite or PostgreSQL), migrated. It
    lives in ``summarizer.storage``, below both the run and the service."""
    try:
        from summarizer.storage import Database
    except ImportError:
        raise UsageError("--database-url needs the serve extra: pip install 'summarizer[serve]'") from None
    store = Database(url, threads=2)
    store.migrate()
    return store


def run_sync(options: RunOptions, settings: Settings | None = None) -> int:
    return asyncio.run(run(options, settings))
