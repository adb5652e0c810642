"""``summarizer run --batch``: the run's model requests through a provider's batch API (OpenAI,
Azure, vLLM... through litellm: about half the price, answers within the 24 h window), answered
by the same code as a live run.

1. **collect**: each pending article is briefed with an interceptor (``client.intercepted``)
   that takes the exact request the live path would send and holds it back (``Deferred``).
   The requests go to JSONL files under ``OUT/.summarizer/batch/``, split at the provider's
   limits, one line per distinct request (identical articles share one).
2. **submit and poll**: every file is recorded in ``state.json`` before it is uploaded, and its
   file and batch ids the moment the provider gives them, so a re-run after Ctrl-C or kill -9
   polls the same batches and never submits twice.
3. **apply**: the ordinary run briefs every input with an interceptor that answers a request
   from the batch output line whose ``custom_id`` names it. A request with no answer there (a
   re-ask after an invalid answer, a summary repair, a later part of a long article, an errored
   or expired line) is sent live. Validation, grounding, output files and the exit status are
   the live run's own.

With ``retries`` > 0, steps 1-2 repeat: what one round left unanswered goes to a new batch
before anything is sent live.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, Field

from summarizer.backends.base import Endpoint
from summarizer.backends.client import Deferred, intercepted
from summarizer.batch.failures import UsageError
from summarizer.batch.files import atomic_write, atomic_writer
from summarizer.batch.manifest import work_key
from summarizer.errors import ArticleError, SummarizerError
from summarizer.redact import redact
from summarizer.settings import Settings

log = logging.getLogger(__name__)

URL = "/v1/chat/completions"
TERMINAL = frozenset({"completed", "expired", "cancelled", "failed"})
# Providers whose batch API litellm drives end to end (files, batches, results, cancel).
_PROVIDERS = frozenset({"openai", "azure"})
_MAX_LIST_PAGES = 1_000  # 100,000 batches: far more than a provider keeps listing
BATCH_DISCOUNT = 0.5  # OpenAI's and Azure's batch price, where litellm's cost map has none
NO_BATCH_API = (
    "the embedded model has no batch API: --batch needs SUMMARIZER_MODEL (--model) set to a provider "
    "with one (OpenAI, Azure), or SUMMARIZER_API_BASE pointing to a server that speaks /v1/files and "
    "/v1/batches (vLLM does)"
)


@dataclass(frozen=True)
class BatchOptions:
    """How ``--batch`` submits: limits per request file (OpenAI's by default) and polling."""

    retries: int = 0  # further batch rounds for what a round left unanswered, before going live
    poll_s: float = 30.0
    max_requests: int = 50_000
    max_bytes: int = 200_000_000  # "200 MB": read as decimal, the stricter reading
    completion_window: str = "24h"


# --- where the batch API is ------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """litellm's name for the provider, the model name request bodies carry, and credentials:
    a server at ``SUMMARIZER_API_BASE`` gets ``SUMMARIZER_API_KEY`` (or none), never a provider's
    key from the environment; a hosted provider gets its own key, as litellm reads it."""

    name: str
    model: str
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)

    def kwargs(self) -> dict[str, Any]:
        args: dict[str, Any] = {"custom_llm_provider": self.name}
        if self.api_base:
            from summarizer.backends.litellm import NO_KEY

            args.update(api_base=self.api_base, api_key=self.api_key or NO_KEY)
        elif self.api_key:
            args["api_key"] = self.api_key
        return args


def check_batch(settings: Settings, executor: str = "asyncio") -> None:
    """Before anything starts: the embedded model (no SUMMARIZER_MODEL) has no batch API, and
    batch answers are served in this process (not on Ray workers)."""
    if not settings.model:
        raise UsageError(NO_BATCH_API)
    if executor != "asyncio":
        raise UsageError(f"--batch runs in this process: leave out --executor {executor}")


def batch_cost(model: str, prompt_tokens: int, completion_tokens: int) -> tuple[float, str] | None:
    """The batch price of these tokens: litellm's batch prices where its cost map has them
    (``input_cost_per_token_batches``...), else half the live price (OpenAI's and Azure's
    discount); None when litellm has no price for the model."""
    from summarizer.backends._litellm import litellm

    lib = litellm()
    try:
        info = lib.get_model_info(model)
        prompt, completion = lib.cost_per_token(
            model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
    except Exception:
        return None
    cin, cout = info.get("input_cost_per_token_batches"), info.get("output_cost_per_token_batches")
    if cin is not None and cout is not None:
        return float(cin) * prompt_tokens + float(cout) * completion_tokens, "litellm batch prices"
    return (float(prompt) + float(completion)) * BATCH_DISCOUNT, "half the live price"


def provider_for(model: str, api_base: str | None, api_key: str | None) -> Provider:
    from summarizer.backends._litellm import litellm

    try:
        name, provider = litellm().get_llm_provider(model, api_base=api_base)[:2]
    except Exception as exc:
        raise UsageError(f"--batch: litellm does not know the model {model!r} ({exc})") from None
    if api_base:  # a server of your own speaks OpenAI's protocol (vLLM: /v1/files, /v1/batches)
        return Provider("openai", name, api_base, api_key)
    if provider not in _PROVIDERS:
        raise UsageError(
            f"--batch: summarizer drives batch APIs of {', '.join(sorted(_PROVIDERS))} (through litellm), "
            f"not {provider}; run without --batch"
        )
    return Provider(provider, name if provider == "openai" else model.split("/", 1)[-1], None, api_key)


# --- requests and their custom ids ---------------------------------------------------------------


def request_hash(model: str, request: dict[str, Any]) -> str:
    """The request's identity: the same body, the same answer (and the same line of the batch)."""
    text = json.dumps({"model": model, **request}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def custom_id(work: str, digest: str) -> str:
    """``<work key head>-<request hash>``: valid everywhere (``^[A-Za-z0-9_-]{1,64}$``, 57 chars),
    stable across re-runs, and naming the request it answers."""
    return f"{work[:16]}-{digest[:40]}"


def _digest_of(cid: str) -> str:
    return cid.rpartition("-")[2]


class RequestFiles:
    """Request lines to JSONL files, a new file at ``max_requests`` lines or ``max_bytes``; each
    file is written atomically, so a kill leaves whole files or none."""

    def __init__(self, folder: Path, prefix: str, max_requests: int, max_bytes: int) -> None:
        self.folder, self.prefix = folder, prefix
        self.max_requests, self.max_bytes = max_requests, max_bytes
        self.done: list[tuple[str, int, int]] = []  # (name, lines, bytes)
        self._writer: contextlib.ExitStack | None = None
        self._handle: IO[str] | None = None
        self._lines = self._bytes = 0
        self.skipped = 0

    def add(self, line: dict[str, Any]) -> None:
        text = json.dumps(line, ensure_ascii=False) + "\n"
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > self.max_bytes:  # no file can take it: it goes live in the apply step
            self.skipped += 1
            return
        if self._handle and (self._lines >= self.max_requests or self._bytes + size > self.max_bytes):
            self._close()
        if self._handle is None:
            self._open()
        assert self._handle is not None
        self._handle.write(text)
        self._lines += 1
        self._bytes += size

    def _name(self) -> str:
        return f"{self.prefix}-{len(self.done):03d}.jsonl"

    def _open(self) -> None:
        self._writer = contextlib.ExitStack()
        self._handle = self._writer.enter_context(atomic_writer(self.folder / self._name()))

    def _close(self) -> None:
        if self._writer is not None:
            name = self._name()
            self._writer.close()
            self.done.append((name, self._lines, self._bytes))
        self._writer, self._handle, self._lines, self._bytes = None, None, 0, 0

    def finish(self) -> list[tuple[str, int, int]]:
        self._close()
        return self.done

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.__exit__(RuntimeError, RuntimeError("aborted"), None)


# --- the batch manifest ----------------------------------------------------------------------------


class BatchRecord(BaseModel):
    """One request file and the provider's batch for it."""

    round: int
    file: str  # the request file, in OUT/.summarizer/batch/
    requests: int
    bytes: int
    file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)  # total / completed / failed
    output: str | None = None  # the downloaded output file
    errors: str | None = None  # the downloaded error file
    settled: bool = False  # terminal, and its files downloaded


class BatchState(BaseModel):
    """``OUT/.summarizer/batch/state.json``: ids saved before polling, so re-runs resume."""

    run: str  # names this run's files
    model: str
    api_base: str | None = None  # where the batches are (never a key)
    rounds: int = 0  # rounds collected
    batches: list[BatchRecord] = Field(default_factory=list)
    applied: bool = False  # the run that used these answers finished


def batch_dir(out: Path) -> Path:
    return out / ".summarizer" / "batch"


def load_state(out: Path) -> BatchState | None:
    path = batch_dir(out) / "state.json"
    if not path.is_file():
        return None
    try:
        return BatchState.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UsageError(
            f"{path} is damaged ({exc.__class__.__name__}); move it away to start afresh"
        ) from None


def save_state(out: Path, state: BatchState) -> None:
    atomic_write(batch_dir(out) / "state.json", state.model_dump_json(indent=2))


# --- answers ---------------------------------------------------------------------------------------


class Answers:
    """Batch output lines by request hash: where each line is, read when its request comes (a
    million answers stay on disk, not in memory)."""

    def __init__(self) -> None:
        self.where: dict[str, tuple[Path, int]] = {}
        self.used = 0
        self.live = 0

    def load(self, path: Path) -> None:
        with path.open("rb") as handle:
            offset = 0
            for line in handle:
                with contextlib.suppress(ValueError, TypeError, AttributeError, KeyError):
                    record = json.loads(line)
                    response = record.get("response") or {}
                    if response.get("status_code") == 200 and isinstance(response.get("body"), dict):
                        self.where[_digest_of(str(record["custom_id"]))] = (path, offset)
                offset += len(line)

    def body(self, digest: str) -> dict[str, Any] | None:
        found = self.where.get(digest[:40])
        if found is None:
            return None
        path, offset = found
        with path.open("rb") as handle:
            handle.seek(offset)
            body: dict[str, Any] = json.loads(handle.readline())["response"]["body"]
            return body

    def response(self, digest: str) -> Any:
        """The batch's answer to a request, as the provider's response object, or None."""
        from openai.types.chat import ChatCompletion

        try:
            body = self.body(digest)
            return None if body is None else ChatCompletion.model_validate(body)
        except (OSError, ValueError, KeyError, TypeError):  # a line not in the provider's shape: go live
            return None

    def answer(self, model: str) -> Callable[[Endpoint, dict[str, Any]], Any]:
        """The apply-step interceptor: the batch's answer, else None (the request goes live)."""

        def intercept(_endpoint: Endpoint, request: dict[str, Any]) -> Any:
            found = self.response(request_hash(model, request))
            if found is None:
                self.live += 1
            else:
                self.used += 1
            return found

        return intercept


# --- the three steps -------------------------------------------------------------------------------


@dataclass
class ProviderBatches:
    """Collect, submit, poll for one ``summarizer run --batch``; ``answers`` for the apply step."""

    out: Path
    options: BatchOptions
    provider: Provider
    state: BatchState
    settings: Settings
    answers: Answers = field(default_factory=Answers)
    quiet: bool = False
    waited_s: float = 0.0  # polls that said "not yet" and the sleeps between (the provider's time)
    applying: contextlib.ExitStack | None = None  # the apply step's interceptor, while it is set

    def say(self, line: str) -> None:
        if not self.quiet:
            print(line, file=sys.stderr, flush=True)

    def finished(self, applied: bool = True) -> None:
        """The run that used the answers has ended: with ``applied`` (the run was not stopped)
        the next ``--batch`` run starts new batches; else it applies these answers again."""
        if self.applying is not None:
            self.applying.close()
            self.applying = None
        if applied:
            self.state.applied = True
            self.save()
        self.say(self.summary())

    @property
    def folder(self) -> Path:
        return batch_dir(self.out)

    def save(self) -> None:
        save_state(self.out, self.state)

    def load_answers(self) -> None:
        self.answers = Answers()
        for record in self.state.batches:
            if record.output and (self.folder / record.output).is_file():
                self.answers.load(self.folder / record.output)

    async def write_round(self, number: int, lines: AsyncIterator[dict[str, Any]]) -> int:
        """Write round ``number``'s request files, then record them (before any upload)."""
        files = RequestFiles(
            self.folder, f"{self.state.run}-r{number}", self.options.max_requests, self.options.max_bytes
        )
        try:
            async for line in lines:
                files.add(line)
            done = files.finish()
        except BaseException:
            files.abort()
            raise
        for name, count, size in done:
            self.state.batches.append(BatchRecord(round=number, file=name, requests=count, bytes=size))
        self.state.rounds = number + 1
        self.save()
        return sum(count for _, count, _ in done)

    async def submit(self) -> None:
        """Upload and create a batch for every recorded file that has none: each id is saved the
        moment it is known, so a re-run never uploads or submits a file twice."""
        from summarizer.backends._litellm import litellm

        lib, kwargs = litellm(), self.provider.kwargs()
        for record in self.state.batches:
            if record.settled:  # given up (`summarizer batch cancel`) or done
                continue
            if record.file_id is None:
                data = (self.folder / record.file).read_bytes()
                upload = functools.partial(
                    lib.acreate_file, file=(record.file, data), purpose="batch", **kwargs
                )
                uploaded = await _call(upload, self.settings)
                record.file_id = str(uploaded.id)
                self.save()
            elif record.batch_id is None:
                # Uploaded by a run killed around creating its batch: the provider may have one.
                record.batch_id = await self._created_for(record.file_id)
                if record.batch_id:
                    self.save()
            if record.batch_id is None:
                created = await _call(
                    functools.partial(
                        lib.acreate_batch,
                        completion_window=self.options.completion_window,
                        endpoint=URL,
                        input_file_id=record.file_id,
                        metadata={"summarizer_file": record.file},
                        **kwargs,
                    )
                )
                record.batch_id, record.status = str(created.id), str(created.status)
                self.save()

    async def _created_for(self, file_id: str) -> str | None:
        """The id of a batch already made from ``file_id``, if any: the provider's list, newest
        first, page by page until it ends (or reaches batches older than the upload)."""
        from summarizer.backends._litellm import litellm

        after: str | None = None
        for _ in range(_MAX_LIST_PAGES):
            listed = await _call(
                functools.partial(litellm().alist_batches, limit=100, after=after, **self.provider.kwargs()),
                self.settings,
            )
            data = list(getattr(listed, "data", None) or [])
            for batch in data:
                if getattr(batch, "input_file_id", None) == file_id:
                    return str(batch.id)
            if not data or not getattr(listed, "has_more", False):
                return None
            after = str(data[-1].id)
        return None

    async def wait(self) -> None:
        """Poll every unsettled batch until it ends, then download its output and error files."""
        with _poll_progress(self.quiet) as show:
            while pending := [r for r in self.state.batches if not r.settled]:
                for record in pending:
                    await self._refresh(record)
                show(self.state.batches)
                if any(not r.settled for r in self.state.batches):
                    started = time.monotonic()
                    await asyncio.sleep(self.options.poll_s)
                    self.waited_s += time.monotonic() - started

    async def _refresh(self, record: BatchRecord) -> None:
        from summarizer.backends._litellm import litellm

        lib, kwargs = litellm(), self.provider.kwargs()
        assert record.batch_id is not None
        started = time.monotonic()
        batch = await _call(
            functools.partial(lib.aretrieve_batch, batch_id=record.batch_id, **kwargs), self.settings
        )
        status = str(batch.status)
        counts = _counts(batch)
        if (status, counts) != (record.status, record.counts):
            record.status, record.counts = status, counts
            self.save()
        if status not in TERMINAL:
            self.waited_s += time.monotonic() - started  # a poll that says "not yet" is waiting too
            return
        for attr, kind in (("output_file_id", "output"), ("error_file_id", "errors")):
            file_id = getattr(batch, attr, None)
            if file_id:
                content = await _call(
                    functools.partial(lib.afile_content, file_id=file_id, **kwargs), self.settings
                )
                name = f"{Path(record.file).stem}.{kind}.jsonl"
                atomic_write(self.folder / name, _bytes_of(content).decode("utf-8", "replace"))
                setattr(record, kind, name)
        record.settled = True
        self.save()

    def summary(self) -> str:
        sent = sum(r.requests for r in self.state.batches)
        counts = {k: sum(r.counts.get(k, 0) for r in self.state.batches) for k in ("completed", "failed")}
        return (
            f"batch: {len(self.state.batches)} batch(es), {sent:,} request(s) submitted, "
            f"{counts['completed']:,} completed, {counts['failed']:,} failed; "
            f"{self.answers.used:,} answer(s) used, {self.answers.live:,} request(s) sent live"
        )


async def _call(make: Callable[[], Awaitable[Any]], settings: Settings | None = None) -> Any:
    """A provider call, its transport faults (429, 5xx, timeouts) retried as a model request's
    are when ``settings`` is given: not for creating a batch, where a retry after a lost answer
    would submit twice (a re-run finds that batch instead). A failure becomes a message a person
    can act on, with no secret in it."""
    from summarizer.backends.transport import retry_policy

    def note(state: Any) -> None:
        exc = state.outcome.exception()
        log.warning("batch API call failed (%s), retrying", redact(type(exc).__name__))

    try:
        if settings is None:
            return await make()
        async for attempt in retry_policy(settings, note):
            with attempt:
                result = await make()
        return result
    except SummarizerError:
        raise
    except Exception as exc:
        from summarizer.backends.client import _describe
        from summarizer.errors import ModelUnavailableError

        raise ModelUnavailableError(
            redact(f"batch API: {_describe(exc)} (re-run to resume: submitted batches are kept)")
        ) from None


def _counts(batch: Any) -> dict[str, int]:
    counts = getattr(batch, "request_counts", None)
    if counts is None:
        return {}
    if not isinstance(counts, dict):
        counts = counts.model_dump() if hasattr(counts, "model_dump") else dict(vars(counts))
    return {k: int(v or 0) for k, v in counts.items() if k in {"total", "completed", "failed"}}


def _bytes_of(content: Any) -> bytes:
    if isinstance(content, bytes):
        return content
    data = getattr(content, "content", None)
    if isinstance(data, bytes):
        return data
    return bytes(content.read())


@contextlib.contextmanager
def _poll_progress(quiet: bool) -> Iterator[Callable[[list[BatchRecord]], None]]:
    """A bar of requests finished over all batches on a terminal; a line per change otherwise."""
    if quiet:
        yield lambda records: None
        return
    if not sys.stderr.isatty():
        last: list[str] = []

        def lines(records: list[BatchRecord]) -> None:
            now = [
                f"{r.batch_id}: {r.status} {_done(r)}/{r.counts.get('total', r.requests)}" for r in records
            ]
            if now != last:
                print("batch " + "; ".join(now), file=sys.stderr, flush=True)
                last[:] = now

        yield lines
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("batch {task.fields[states]}"),
        BarColumn(),
        TextColumn("{task.fields[done]:,}/{task.fields[requests]:,} requests"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("batch", total=None, states="submitted", done=0, requests=0)
        bar.refresh()  # drawn now, in this thread: a poll every few seconds is slow enough

        def update(records: list[BatchRecord]) -> None:
            states: dict[str, int] = {}
            for r in records:
                states[r.status or "?"] = states.get(r.status or "?", 0) + 1
            total, done = sum(_total(r) for r in records), sum(_done(r) for r in records)
            bar.update(
                task,
                total=total,
                completed=done,
                requests=total,
                done=done,
                states=", ".join(f"{n} {s}" for s, n in sorted(states.items())),
                refresh=True,
            )

        yield update


def _running(record: BatchRecord) -> bool:
    """Submitted (or about to be) and neither given up nor ended at the provider."""
    return not record.settled and record.status not in TERMINAL | {"cancelling"}


def _total(record: BatchRecord) -> int:
    return record.counts.get("total") or record.requests


def _done(record: BatchRecord) -> int:
    return record.counts.get("completed", 0) + record.counts.get("failed", 0)


# --- collect ---------------------------------------------------------------------------------------


async def collect(
    articles: AsyncIterator[tuple[Any, str]],
    settings: Settings,
    answers: Answers,
    model: str,
    concurrency: int = 8,
) -> AsyncIterator[dict[str, Any]]:
    """Each article's next unanswered request, as a batch line; one line per distinct request.

    The article is briefed as a live run would brief it; answered requests get their batch
    answer, the first one without is held back (``Deferred``) and yielded. An article that
    fails here (a bad answer with no re-ask left...) is left to the apply step, which records it.
    """
    from summarizer.brief.pipeline import asummarize

    seen: set[str] = set()
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=concurrency * 4)
    slots = asyncio.Semaphore(concurrency)

    async def one(article: Any, work: str) -> None:
        held: list[tuple[str, dict[str, Any]]] = []

        def intercept(_endpoint: Endpoint, request: dict[str, Any]) -> Any:
            digest = request_hash(model, request)
            found = answers.response(digest)
            if found is None:
                held.append((digest, request))
                raise Deferred()
            return found

        try:
            with intercepted(intercept):
                await asummarize(article, settings=settings)
        except Deferred:
            digest, request = held[-1]
            if digest not in seen:
                seen.add(digest)
                await queue.put(
                    {
                        "custom_id": custom_id(work, digest),
                        "method": "POST",
                        "url": URL,
                        "body": {"model": model, **request},
                    }
                )
        except Exception:  # the apply step meets the same failure and records it
            pass
        finally:
            slots.release()

    async def feed() -> None:
        tasks: set[asyncio.Task[None]] = set()
        try:
            async for article, work in articles:
                await slots.acquire()
                task = asyncio.create_task(one(article, work))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if tasks:
                await asyncio.gather(*tasks)
        finally:
            await queue.put(None)

    feeder = asyncio.create_task(feed())
    try:
        while (line := await queue.get()) is not None:
            yield line
        await feeder
    finally:
        feeder.cancel()


# --- the run's entry point -------------------------------------------------------------------------


async def prepare(
    run_options: Any,  # runner.RunOptions (not imported: the runner imports this module)
    settings: Settings,
    endpoint: Endpoint,
    store: Any,  # store.OutputStore: what is finished
) -> ProviderBatches:
    """Steps 1 and 2 for every round, then step 3 begins: the rest of the calling task's run has
    its requests answered from the batches (``ProviderBatches.finished`` ends it)."""
    from summarizer.batch.sources import iter_inputs
    from summarizer.brief.prompts import prompt_version

    options: BatchOptions = run_options.batch
    out: Path = run_options.out
    if endpoint.embedded:
        raise UsageError(NO_BATCH_API)
    provider = provider_for(endpoint.model, endpoint.api_base, endpoint.api_key)
    state = load_state(out)
    where = redact(endpoint.api_base) if endpoint.api_base else None  # no credentials in a file
    if state is not None and (state.model, state.api_base) != (endpoint.model, where):
        if any(_running(r) for r in state.batches):
            raise UsageError(
                f"{out} has unfinished batches for model {state.model}: re-run with that model, or "
                f"`summarizer batch cancel {out}` first"
            )
        state = None
    if state is None or state.applied:
        state = BatchState(run=time.strftime("%Y%m%dT%H%M%S"), model=endpoint.model, api_base=where)
    batches = ProviderBatches(out, options, provider, state, settings, quiet=run_options.quiet)
    batches.load_answers()
    version = prompt_version()

    async def articles() -> AsyncIterator[tuple[Any, str]]:
        works: set[str] = set()
        for item in iter_inputs(run_options.paths, run_options.max_bytes, out):
            try:
                article = await asyncio.to_thread(item.load)
            except ArticleError:
                continue  # the apply step records it
            if len(article.text) > settings.max_article_chars:
                continue
            article = article.model_copy(update={"source_id": item.source})
            work = work_key(article, endpoint.model, version, settings)
            if work in works or (not run_options.force and store.manifest.finished(item.key, work, out)):
                continue
            works.add(work)
            yield article, work

    for number in range(options.retries + 1):
        if number >= state.rounds:
            batches.say(
                f"batch: collecting the requests of round {number + 1} (the prompts a live run sends)"
            )
            lines = collect(articles(), settings, batches.answers, provider.model)
            if not (count := await batches.write_round(number, lines)):
                break
            files = sum(1 for r in state.batches if r.round == number)
            batches.say(f"batch: {count:,} request(s) in {files} file(s); submitting")
        await batches.submit()
        await batches.wait()
        batches.load_answers()
    _apply(batches)
    return batches


def _apply(batches: ProviderBatches) -> None:
    """Step 3: from here on, requests of the calling task, and of the tasks it starts, are
    answered from the batches (``finished`` ends it)."""
    batches.applying = contextlib.ExitStack()
    batches.applying.enter_context(intercepted(batches.answers.answer(batches.provider.model)))


# --- `summarizer batch status|cancel OUT` ----------------------------------------------------------


async def batch_command(out: Path, settings: Settings, cancel: bool = False) -> list[BatchRecord]:
    """Every batch of OUT as the provider reports it now (cancelling the unfinished ones first
    with ``cancel``); the state is updated. A provider that cannot be reached leaves the saved
    status, and says so."""
    from summarizer.backends._litellm import litellm

    state = load_state(out)
    if state is None:
        raise UsageError(f"{out} has no provider batches (`summarizer run --batch --out {out}` makes them)")
    # SUMMARIZER_API_KEY belongs to SUMMARIZER_API_BASE's server: only to that server.
    key = settings.api_key.get_secret_value() if settings.api_key else None
    base = state.api_base
    if base and settings.api_base and redact(settings.api_base) == base:
        base = settings.api_base  # the saved address is masked where it held credentials
    elif base:
        key = None
    provider = provider_for(state.model, base, key)
    lib, kwargs = litellm(), provider.kwargs()
    for record in state.batches:
        if record.batch_id is not None and record.status not in TERMINAL:
            call = lib.acancel_batch if cancel else lib.aretrieve_batch
            batch = await _call(functools.partial(call, batch_id=record.batch_id, **kwargs), settings)
            record.status, record.counts = str(batch.status), _counts(batch) or record.counts
        if cancel and not record.settled:
            # Given up: a re-run waits for none of it (what it left unanswered goes live), and a
            # run with another model may start afresh.
            record.settled = True
    save_state(out, state)
    return state.batches


def describe(records: list[BatchRecord]) -> list[str]:
    """One line per batch: id, status, counts, request file."""
    rows = []
    for r in records:
        counts = f"{r.counts.get('completed', 0):,} completed, {r.counts.get('failed', 0):,} failed"
        rows.append(
            f"{r.batch_id or '(not submitted)'}  {r.status or 'not submitted'}  {counts} of {_total(r):,}  "
            f"round {r.round}  {r.file}"
        )
    return rows
