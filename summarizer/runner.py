"""``summarizer run``: many articles, concurrently, resumably, with nothing lost.

Inputs stream in lazily (``sources``); at most ``concurrency`` articles are with the model and a
small window more are loaded. Each input ends as a brief (``OUT/<name>.json`` and a line of
``briefs.jsonl``) or an error record (``errors.jsonl``) with a reason a person can act on. The
manifest makes re-runs skip finished work; all files are written atomically.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer.errors import ArticleError, ConfigurationError, SummarizerError
from summarizer.files import atomic_write, atomic_writer, inside
from summarizer.manifest import Manifest, work_key
from summarizer.models import Article, Brief
from summarizer.redact import redact
from summarizer.settings import Settings, get_settings
from summarizer.sources import Input, iter_inputs

log = logging.getLogger(__name__)


class _Stopped(Exception):
    """An input not attempted because the run stopped on a configuration error."""


@dataclass
class RunOptions:
    paths: list[str]
    out: Path
    model: str | None = None
    markdown: bool = False
    concurrency: int | None = None
    rpm: int | None = None
    tpm: int | None = None
    force: bool = False
    dry_run: bool = False
    strict: bool = False
    max_bytes: int = 2_000_000
    quiet: bool = False
    settings: Settings | None = None  # for library callers and tests; else from the environment


@dataclass
class Stats:
    briefed: int = 0
    reused: int = 0  # identical article already briefed in this run or an earlier one
    already_done: int = 0
    failed: int = 0
    unsupported: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    started: float = field(default_factory=time.perf_counter)

    @property
    def done(self) -> int:
        return self.briefed + self.reused + self.already_done


class Runner:
    def __init__(self, options: RunOptions, settings: Settings):
        self.o = options
        self.settings = settings
        self.out = options.out
        self.manifest = Manifest(self.out)
        self.stats = Stats()
        self.inflight: dict[str, asyncio.Future[Brief]] = {}
        self.fatal: ConfigurationError | None = None
        self.model_name = ""
        self.prompt_version = ""
        self.progress: Any = None
        self._limits: tuple[Any, Any] = (None, None)
        self.taken = {r["output"]: r["source"] for r in self.manifest.records.values() if r.get("output")}

    # -- setup ---------------------------------------------------------------------------------

    async def prepare(self) -> None:
        from summarizer.backends.client import resolve_endpoint
        from summarizer.brief.prompts import prompt_version

        # Starts the embedded server (if that is the model) once, before any article is read.
        endpoint = await asyncio.to_thread(resolve_endpoint, self.settings)
        self.model_name = endpoint.model
        self.prompt_version = prompt_version()
        if self.o.rpm or self.o.tpm:
            from aiolimiter import AsyncLimiter

            self._limits = (
                AsyncLimiter(self.o.rpm, 60) if self.o.rpm else None,
                AsyncLimiter(self.o.tpm, 60) if self.o.tpm else None,
            )

    # -- one input -----------------------------------------------------------------------------

    async def handle(self, item: Input, slots: asyncio.Semaphore) -> None:
        if self.fatal:
            return
        try:
            article = await asyncio.to_thread(item.load)
        except ArticleError as exc:
            self._failed(item, str(exc), "unsupported" if item.unsupported else "input")
            return
        except Exception as exc:  # an unexpected reader bug must not lose the input
            self._failed(item, f"{item.source}: could not read: {type(exc).__name__}: {exc}", "input")
            return
        if len(article.text) > self.settings.max_article_chars:
            self._failed(item, f"{item.source}: {len(article.text):,} characters, over the {self.settings.max_article_chars:,} limit", "input")
            return
        article = article.model_copy(update={"source_id": item.source})
        key = work_key(article, self.model_name, self.prompt_version)
        previous = self.manifest.records.get(item.source)
        output = Path(previous["output"]) if previous and previous.get("output") else self._output_name(item)
        if not self.o.force and self.manifest.finished(item.source, key, self.out):
            self.stats.already_done += 1
            self._tick(item, "skipped (done)")
            return
        try:
            brief, reused = await self._brief(article, key, slots)
        except _Stopped:
            return  # the run is stopping on a configuration error; a re-run picks this input up
        except ConfigurationError as exc:
            self.fatal = self.fatal or exc
            self._failed(item, str(exc), "configuration")
            return
        except SummarizerError as exc:
            self._failed(item, str(exc), type(exc).__name__)
            return
        except Exception as exc:
            self._failed(item, f"unexpected {type(exc).__name__}: {exc}", "internal")
            return
        self._write(item, output, key, brief, article)
        if reused:
            self.stats.reused += 1
        else:
            self.stats.briefed += 1
            self.stats.prompt_tokens += brief.metadata.usage.prompt_tokens
            self.stats.completion_tokens += brief.metadata.usage.completion_tokens
        self._tick(item, f"{'reused' if reused else 'briefed'} ({brief.metadata.latency_s:.1f}s, {brief.metadata.usage.total_tokens} tokens)")

    async def _brief(self, article: Article, key: str, slots: asyncio.Semaphore) -> tuple[Brief, bool]:
        if key in self.inflight:
            return await asyncio.shield(self.inflight[key]), True
        if not self.o.force and (stored := self.manifest.stored(key)) is not None:
            return stored, True
        future: asyncio.Future[Brief] = asyncio.get_running_loop().create_future()
        self.inflight[key] = future
        try:
            async with slots:
                if self.fatal:  # a bad key or model: don't send more doomed requests
                    raise _Stopped
                await self._rate_limit(article)
                from summarizer.brief.pipeline import asummarize

                brief = await asummarize(article, settings=self.settings)
            self.manifest.store(key, brief)
            future.set_result(brief)
            return brief, False
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            # Waiters hold the future; later duplicates find the brief in the manifest's store.
            # Keeping finished futures would hold every brief of the run in memory.
            self.inflight.pop(key, None)

    async def _rate_limit(self, article: Article) -> None:
        requests, tokens = self._limits
        if requests is not None:
            await requests.acquire()
        if tokens is not None:
            estimate = len(article.text) // 4 + self.settings.max_tokens
            await tokens.acquire(min(estimate, tokens.max_rate))

    def _output_name(self, item: Input) -> Path:
        name = item.output.with_name(item.output.name + ".json")
        n = 2
        while self.taken.get(str(name), item.source) != item.source:  # a.txt and a.md: a.json, a-2.json
            name = item.output.with_name(f"{item.output.name}-{n}.json")
            n += 1
        inside(self.out, name)  # raises if a crafted name would escape OUT
        self.taken[str(name)] = item.source
        return name

    def _write(self, item: Input, output: Path, key: str, brief: Brief, article: Article) -> None:
        mine = brief.model_copy(deep=True)
        mine.metadata.source = item.source
        target = inside(self.out, output)
        atomic_write(target, mine.model_dump_json(indent=2))
        if self.o.markdown:
            from summarizer.brief.render import brief_markdown

            atomic_write(target.with_suffix(".md"), brief_markdown(mine, article.title))
        from summarizer.files import append_line

        append_line(self.out / "briefs.jsonl", _brief_line(item.source, str(output), mine))
        self.manifest.record(item.source, "done", key=key, output=str(output))

    def _failed(self, item: Input, reason: str, kind: str) -> None:
        reason = redact(reason)
        if kind == "unsupported":
            self.stats.unsupported += 1
        else:
            self.stats.failed += 1
        self.manifest.record(item.source, "skipped" if kind == "unsupported" else "failed", kind=kind, reason=reason)
        label = "skipped" if kind == "unsupported" else "FAILED"
        shown = reason if reason.startswith(item.source) else f"{item.source}: {reason}"
        self._tick(item, f"{label}: {shown}", error=True, prefixed=True)

    # -- reporting -----------------------------------------------------------------------------

    def _tick(self, item: Input, message: str, error: bool = False, prefixed: bool = False) -> None:
        if self.progress is not None:
            self.progress.advance(self.stats, message if error else None)
        elif not self.o.quiet:
            print(message if prefixed else f"{item.source}: {message}", file=sys.stderr, flush=True)

    def finish(self) -> None:
        """Rewrite briefs.jsonl, errors.jsonl (and index.md) from the manifest: exact, whatever
        was interrupted. One pass, brief by brief from the store, so the end of a 10,000-article
        run does not hold every brief in memory."""
        from summarizer.brief.render import DIGEST_HEAD, digest_entry

        digest = atomic_writer(self.out / "index.md") if self.o.markdown else nullcontext()
        with atomic_writer(self.out / "briefs.jsonl") as jsonl, atomic_writer(self.out / "errors.jsonl") as errors, digest as index:
            if index is not None:
                index.write(DIGEST_HEAD)
            for record in list(self.manifest.records.values()):
                if record["status"] != "done":
                    fields = {k: record.get(k) for k in ("source", "status", "kind", "reason")}
                    errors.write(json.dumps(fields, ensure_ascii=False) + "\n")
                elif (brief := self.manifest.stored(record["key"])) is not None:
                    brief.metadata.source = record["source"]
                    jsonl.write(_brief_line(record["source"], record["output"], brief) + "\n")
                    if index is not None:
                        index.write(digest_entry(record["source"], str(Path(record["output"]).with_suffix(".md")), brief))


def _brief_line(source: str, output: str, brief: Brief) -> str:
    return json.dumps({"source": source, "output": output, "brief": brief.model_dump(mode="json")}, ensure_ascii=False)


async def run(options: RunOptions) -> int:
    settings = options.settings or get_settings()
    settings = settings.model_copy(update={k: v for k, v in {"model": options.model, "strict": options.strict or None}.items() if v is not None})
    if options.dry_run:
        from summarizer.dryrun import dry_run

        return dry_run(options, settings)
    options.out.mkdir(parents=True, exist_ok=True)
    embedded = settings.model is None
    runner = Runner(options, settings)
    await runner.prepare()
    # The embedded server has one slot on a small CPU: more in flight only queues at the server.
    concurrency = options.concurrency or (1 if embedded else 8)
    slots = asyncio.Semaphore(concurrency)
    window = concurrency * 2 + 2  # inputs loaded ahead of the model: keeps memory flat
    from summarizer.progress import make_progress

    from summarizer.sources import count_inputs

    with make_progress(options.quiet, lambda: count_inputs(options.paths)) as progress:
        runner.progress = progress
        pending: set[asyncio.Task[None]] = set()
        for item in iter_inputs(options.paths, options.max_bytes):
            if runner.fatal:
                break
            if len(pending) >= window:
                _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            pending.add(asyncio.create_task(runner.handle(item, slots)))
        if pending:
            await asyncio.wait(pending)
    runner.finish()
    if not options.quiet:
        from summarizer.progress import print_summary

        print_summary(runner.stats, runner.model_name)
    if runner.fatal:
        raise runner.fatal
    return 1 if runner.stats.failed else 0


def run_sync(options: RunOptions) -> int:
    return asyncio.run(run(options))
