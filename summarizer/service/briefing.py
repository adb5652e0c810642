"""The one way the service briefs an article: the cache, then a model slot, then the pipeline.

Both ``POST /v1/briefs`` and the job workers come through here, so the cache rule, the model
slots (``concurrency`` calls in flight per process) and the metrics have one home. A brief is
cached under the same work key as ``summarizer run`` uses (``summarizer.batch.manifest``):
everything of the article that reaches the prompt or the brief, the model, the prompt version
and the settings that shape the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import logging
import math
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from typing import Any, Literal, TypeVar

from summarizer.batch.manifest import work_key
from summarizer.models import Article, Brief, BriefEvent, DoneEvent, Usage
from summarizer.service.metrics import Metrics
from summarizer.service.store import Store
from summarizer.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
CacheResult = Literal["hit", "miss"]


class QueueFull(Exception):
    """Every model slot is busy and the waiting line is full."""

    def __init__(self, waiting: int, retry_after: int):
        super().__init__(
            f"the service is busy: {waiting} brief requests are already waiting for the model; "
            f"retry in {retry_after} s"
        )
        self.waiting = waiting
        self.retry_after = retry_after


class Briefer:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        metrics: Metrics,
        concurrency: int,
        queue_limit: int,
        share_cache: bool = False,
    ):
        self.settings = settings
        self.share_cache = share_cache  # one cache for every key (else one per key)
        self.store = store
        self.metrics = metrics
        self.concurrency = concurrency
        self.queue_limit = queue_limit
        self.slots = asyncio.Semaphore(concurrency)
        self.waiting = 0  # requests waiting for a model slot
        self.pending = 0  # requests admitted and not answered yet
        self.model = settings.model or ""
        self.prompt_version = ""
        self._inflight: dict[str, asyncio.Future[Brief]] = {}
        self._mean_s = 1.0  # moving average of a model brief, for Retry-After
        self._pipeline = pipeline_thread()

    async def start(self) -> None:
        """Resolve the model once (this starts the embedded server, if that is the model)."""
        from summarizer.backends._litellm import litellm
        from summarizer.backends.client import resolve_endpoint
        from summarizer.brief import pipeline  # noqa: F401 - imported now, not on the first request
        from summarizer.brief.prompts import prompt_version

        # Seconds of imports, paid before the service says it is ready rather than by the first
        # requests: litellm (~4 s) and the OpenAI SDK's resources, which it loads on first use
        # (measured: the first brief took 1.5 s longer than the next ones without this).
        await asyncio.to_thread(litellm)
        await asyncio.to_thread(importlib.import_module, "openai.resources")
        endpoint = await asyncio.to_thread(resolve_endpoint, self.settings)
        self.model = endpoint.model
        self.prompt_version = prompt_version()

    def settings_for(self, model: str | None) -> Settings:
        return self.settings if not model else self.settings.model_copy(update={"model": model})

    def key(self, article: Article, model: str | None, owner: str = "") -> str:
        """The cache key: ``summarizer run``'s work key, scoped to the caller's key unless the
        cache is shared (or the service has no keys: one caller). A cache shared across keys
        would tell key B whether, and when, key A briefed the same text."""
        work = work_key(article, model or self.model, self.prompt_version, self.settings_for(model))
        if self.share_cache or not owner:
            return work
        return hashlib.sha256(f"{owner}\n{work}".encode()).hexdigest()

    def admit(self) -> AbstractContextManager[None]:
        """One of ``concurrency + queue_limit`` places for a brief request (released on exit),
        or QueueFull at once.

        Checked before anything else is done for the request (``admission.Admission``): under
        overload the answer must not wait behind the work it protects.
        """
        if self.pending >= self.concurrency + self.queue_limit:
            self.metrics.rejected.labels("queue_full").inc()
            waiting = max(0, self.pending - self.concurrency)
            retry = max(1, math.ceil((waiting + 1) / self.concurrency * self._mean_s))
            raise QueueFull(waiting, retry)
        self.pending += 1

        @contextmanager
        def place() -> Iterator[None]:
            try:
                yield
            finally:
                self.pending -= 1

        return place()

    async def brief(
        self, article: Article, model: str | None = None, owner: str = ""
    ) -> tuple[Brief, CacheResult]:
        """For an admitted request: from the cache, or shared with an identical call in flight,
        or from the model once a slot is free."""
        key, found = await self._reuse(article, model, owner)
        if found is not None:
            return found, "hit"
        await self._acquire_slot()
        try:
            return await self._model(article, model, key, via="request"), "miss"
        finally:
            self.slots.release()

    async def brief_in_slot(
        self, article: Article, model: str | None, owner: str = ""
    ) -> tuple[Brief, CacheResult]:
        """For a job worker that already holds a model slot. Its outcome is counted where it is
        recorded (``JobWorkers``): a result discarded (job cancelled, lease lost) is no brief."""
        key, found = await self._reuse(article, model, owner)
        if found is not None:
            return found, "hit"
        return await self._model(article, model, key, via="job"), "miss"

    async def _reuse(self, article: Article, model: str | None, owner: str) -> tuple[str, Brief | None]:
        """The key, and a brief from the store or from an identical call already in flight."""
        key = self.key(article, model, owner)
        while True:
            stored = await self.store.run(self.store.cached, key)
            self.metrics.cache.labels("hit" if stored else "miss").inc()
            if stored:
                return key, self._for(Brief.model_validate_json(stored), article)
            shared = self._inflight.get(key)
            if shared is None:
                return key, None
            try:
                return key, self._for(await asyncio.shield(shared), article)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                ours = getattr(task, "cancelling", None)  # Python 3.11+: is it us being cancelled?
                if shared.cancelled() and not (ours and ours()):
                    continue  # the call we shared was abandoned (its job was cancelled): look again
                raise

    async def _model(self, article: Article, model: str | None, key: str, via: str) -> Brief:
        from summarizer.brief.pipeline import asummarize

        future: asyncio.Future[Brief] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        started = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            brief = await self._pipeline.run(asummarize(article, settings=self.settings_for(model)))
            await self.store.run(
                self.store.cache_put,
                key,
                brief.metadata.model,
                brief.metadata.prompt_version,
                brief.model_dump_json(),
            )
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            if via == "request":
                self.metrics.briefs.labels(via, "failed").inc()
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it themselves
            raise
        finally:
            self._inflight.pop(key, None)
            self.metrics.in_flight.dec()
        elapsed = time.perf_counter() - started
        self._mean_s = 0.9 * self._mean_s + 0.1 * elapsed
        self.metrics.model_latency.observe(elapsed)
        if via == "request":
            self.metrics.briefs.labels(via, "briefed").inc()
        self._count_usage(brief)
        future.set_result(brief)
        return brief

    async def open_stream(
        self, article: Article, model: str | None = None, owner: str = ""
    ) -> tuple[CacheResult, AsyncIterator[BriefEvent]]:
        """For an admitted request that takes the brief as it forms (``asummarize_stream``): a
        cached brief is one ``done`` event at once; otherwise the events of a model call made
        once a slot is free. Closing the iterator (the client left) cancels the call."""
        key, found = await self._reuse(article, model, owner)
        if found is not None:
            return "hit", _one(DoneEvent(brief=found))
        return "miss", self._stream_in_slot(article, model, key)

    async def _acquire_slot(self) -> None:
        """Wait for a model slot, counted as waiting (and in the queue-depth gauge) meanwhile."""
        self.waiting += 1
        self.metrics.queue_depth.inc()
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
            self.metrics.queue_depth.dec()

    async def _stream_in_slot(
        self, article: Article, model: str | None, key: str
    ) -> AsyncGenerator[BriefEvent, None]:
        await self._acquire_slot()
        try:
            # aclosing: a client that leaves closes this at once, and the inner iterators with it
            # (their ``finally`` cancels the model call), not when they are garbage-collected.
            async with contextlib.aclosing(self._model_stream(article, model, key)) as events:
                async for event in events:
                    yield event
        finally:
            self.slots.release()

    async def _model_stream(
        self, article: Article, model: str | None, key: str
    ) -> AsyncGenerator[BriefEvent, None]:
        """``_model``'s bookkeeping (in-flight sharing, cache, metrics) around a streamed brief."""
        from summarizer.brief.pipeline import asummarize_stream

        future: asyncio.Future[Brief] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        started = time.perf_counter()
        self.metrics.in_flight.inc()
        brief: Brief | None = None
        try:
            events = asummarize_stream(article, settings=self.settings_for(model))
            async with contextlib.aclosing(self._pipeline.iterate(events)) as handed:
                async for event in handed:
                    if isinstance(event, DoneEvent):
                        brief = event.brief
                        await self.store.run(
                            self.store.cache_put,
                            key,
                            brief.metadata.model,
                            brief.metadata.prompt_version,
                            brief.model_dump_json(),
                        )
                    yield event
        except (asyncio.CancelledError, GeneratorExit):
            future.cancel()
            raise
        except Exception as exc:
            self.metrics.briefs.labels("request", "failed").inc()
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it themselves
            raise
        finally:
            self._inflight.pop(key, None)
            self.metrics.in_flight.dec()
        if brief is None:  # pragma: no cover - the pipeline always ends with done
            future.cancel()
            return
        elapsed = time.perf_counter() - started
        self._mean_s = 0.9 * self._mean_s + 0.1 * elapsed
        self.metrics.model_latency.observe(elapsed)
        self.metrics.briefs.labels("request", "briefed").inc()
        self._count_usage(brief)
        future.set_result(brief)

    def _count_usage(self, brief: Brief) -> None:
        usage = brief.metadata.usage
        self.metrics.tokens.labels("prompt").inc(usage.prompt_tokens)
        self.metrics.tokens.labels("completion").inc(usage.completion_tokens)
        try:
            from summarizer.backends._litellm import litellm

            prompt, completion = litellm().cost_per_token(
                model=brief.metadata.model,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
            )
        except Exception:  # no price known for this model (self-hosted, embedded): unknown, not 0
            self.metrics.unpriced.labels(brief.metadata.model).inc()
        else:
            self.metrics.cost.labels(brief.metadata.model).inc(prompt + completion)

    def _for(self, brief: Brief, article: Article) -> Brief:
        """A stored brief, its metadata naming this request's article. From a cache shared across
        keys, the first call's time, usage and latency are another caller's: not returned."""
        copy = _for(brief, article)
        if self.share_cache:
            meta = copy.metadata
            meta.created_at = datetime.now(timezone.utc)
            meta.usage, meta.latency_s, meta.attempts = Usage(), 0.0, 0
        return copy


class PipelineThread:
    """An event loop in its own thread for the pipeline's model calls.

    Building and checking a brief costs tens of milliseconds of CPU per article (litellm,
    instructor, pydantic, grounding). On the HTTP loop that work would delay every other
    request; here the interpreter switches threads every few milliseconds, and the HTTP loop
    stays responsive. One per process, never closed: litellm keeps HTTP clients bound to the
    loop they were made on.
    """

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._start()

    def _start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            ready.set()
            self.loop.run_forever()

        self._thread = threading.Thread(target=serve, name="summarizer-pipeline", daemon=True)
        self._thread.start()
        ready.wait()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Await ``coroutine`` on the pipeline loop; cancelling the caller cancels it there."""
        assert self.loop is not None, "the pipeline thread is not started"
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    async def iterate(self, events: AsyncIterator[T]) -> AsyncGenerator[T, None]:
        """Iterate ``events`` on the pipeline loop, each handed over to the caller's loop as it
        comes; closing or cancelling the caller cancels the iteration there."""
        assert self.loop is not None, "the pipeline thread is not started"
        here = asyncio.get_running_loop()
        handed: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        def hand(kind: str, value: Any) -> None:
            here.call_soon_threadsafe(handed.put_nowait, (kind, value))

        async def pump() -> None:
            try:
                async for event in events:
                    hand("event", event)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                hand("error", exc)
            else:
                hand("end", None)

        running = asyncio.run_coroutine_threadsafe(pump(), self.loop)
        try:
            while True:
                kind, value = await handed.get()
                if kind == "event":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            running.cancel()


_PIPELINE = PipelineThread()


def pipeline_thread() -> PipelineThread:
    _PIPELINE.start()
    return _PIPELINE


async def _one(event: BriefEvent) -> AsyncIterator[BriefEvent]:
    yield event


def _for(brief: Brief, article: Article) -> Brief:
    """A stored brief, its metadata naming this request's article."""
    copy = brief.model_copy(deep=True)
    copy.metadata.source = article.source_id or article.url
    return copy
