"""The one way the service briefs an article: the cache, then a model slot, then the pipeline.

Both ``POST /v1/briefs`` and the job workers come through here, so the cache rule, the model
slots (``concurrency`` calls in flight per process) and the metrics have one home. A brief is
cached under everything that changes it: the article's exact text, title and date (its offsets
and the prompt depend on them), the model, the prompt version and the settings that change the
answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import time
from typing import Literal

from summarizer.models import Article, Brief
from summarizer.service.metrics import Metrics
from summarizer.service.store import Store
from summarizer.settings import Settings

log = logging.getLogger(__name__)

CacheResult = Literal["hit", "miss"]
# Settings that change what the model answers or what the pipeline keeps.
OUTPUT_SETTINGS = ("mode", "temperature", "max_tokens", "reasks", "strict", "constrain_evidence", "context_tokens")


class QueueFull(Exception):
    """Every model slot is busy and the waiting line is full."""

    def __init__(self, waiting: int, retry_after: int):
        super().__init__(f"the service is busy: {waiting} brief requests are already waiting for the model; retry in {retry_after} s")
        self.waiting = waiting
        self.retry_after = retry_after


def cache_key(article: Article, model: str, prompt_version: str, settings: Settings) -> str:
    title = (article.title or "").strip()
    if title and article.text.lstrip().lstrip("#").lstrip().startswith(title):
        title = ""  # a title the text begins with (a text file's first line) is not sent twice
    payload = {
        "text": article.text,
        "title": title or None,
        "published": article.published.isoformat() if article.published else None,
        "model": model,
        "prompt_version": prompt_version,
        **{name: getattr(settings, name) for name in OUTPUT_SETTINGS},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Briefer:
    def __init__(self, settings: Settings, store: Store, metrics: Metrics, concurrency: int, queue_limit: int):
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.concurrency = concurrency
        self.queue_limit = queue_limit
        self.slots = asyncio.Semaphore(concurrency)
        self.waiting = 0
        self.model = settings.model or ""
        self.prompt_version = ""
        self._inflight: dict[str, asyncio.Future[Brief]] = {}
        self._mean_s = 1.0  # moving average of a model brief, for Retry-After

    async def start(self) -> None:
        """Resolve the model once (this starts the embedded server, if that is the model)."""
        from summarizer.backends._litellm import litellm
        from summarizer.backends.client import resolve_endpoint
        from summarizer.brief import pipeline  # noqa: F401 - imported now, not on the first request
        from summarizer.brief.prompts import prompt_version

        await asyncio.to_thread(litellm)  # ~4 s of imports, before the service says it is ready
        endpoint = await asyncio.to_thread(resolve_endpoint, self.settings)
        self.model = endpoint.model
        self.prompt_version = prompt_version()

    def settings_for(self, model: str | None) -> Settings:
        return self.settings if not model else self.settings.model_copy(update={"model": model})

    def key(self, article: Article, model: str | None) -> str:
        return cache_key(article, model or self.model, self.prompt_version, self.settings_for(model))

    def admit(self) -> None:
        """Refuse at once, rather than queue without bound, when the waiting line is full."""
        if self.slots.locked() and self.waiting >= self.queue_limit:
            self.metrics.rejected.labels("queue_full").inc()
            retry = max(1, math.ceil((self.waiting + 1) / self.concurrency * self._mean_s))
            raise QueueFull(self.waiting, retry)

    async def brief(self, article: Article, model: str | None = None) -> tuple[Brief, CacheResult]:
        """For a request: from the cache, or shared with an identical call in flight, or (if
        admitted) from the model once a slot is free."""
        key, found = await self._reuse(article, model)
        if found is not None:
            return found, "hit"
        self.admit()
        self.waiting += 1
        self.metrics.queue_depth.inc()
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
            self.metrics.queue_depth.dec()
        try:
            return await self._model(article, model, key, via="request"), "miss"
        finally:
            self.slots.release()

    async def brief_in_slot(self, article: Article, model: str | None) -> tuple[Brief, CacheResult]:
        """For a job worker that already holds a model slot."""
        key, found = await self._reuse(article, model)
        if found is not None:
            self.metrics.briefs.labels("job", "cached").inc()
            return found, "hit"
        return await self._model(article, model, key, via="job"), "miss"

    async def _reuse(self, article: Article, model: str | None) -> tuple[str, Brief | None]:
        """The key, and a brief from the store or from an identical call already in flight."""
        key = self.key(article, model)
        while True:
            stored = await self.store.run(self.store.cached, key)
            self.metrics.cache.labels("hit" if stored else "miss").inc()
            if stored:
                return key, _for(Brief.model_validate_json(stored), article)
            shared = self._inflight.get(key)
            if shared is None:
                return key, None
            try:
                return key, _for(await asyncio.shield(shared), article)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if shared.cancelled() and not (task and task.cancelling()):
                    continue  # the call we shared was abandoned (its job was cancelled): look again
                raise

    async def _model(self, article: Article, model: str | None, key: str, via: str) -> Brief:
        from summarizer.brief.pipeline import asummarize

        future: asyncio.Future[Brief] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        started = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            brief = await asummarize(article, settings=self.settings_for(model))
            await self.store.run(self.store.cache_put, key, brief.metadata.model, brief.metadata.prompt_version,
                                 brief.model_dump_json())
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
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
        self.metrics.briefs.labels(via, "briefed").inc()
        self._count_usage(brief)
        future.set_result(brief)
        return brief

    def _count_usage(self, brief: Brief) -> None:
        usage = brief.metadata.usage
        self.metrics.tokens.labels("prompt").inc(usage.prompt_tokens)
        self.metrics.tokens.labels("completion").inc(usage.completion_tokens)
        try:
            from summarizer.backends._litellm import litellm

            prompt, completion = litellm().cost_per_token(
                model=brief.metadata.model, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)
            self.metrics.cost.inc(prompt + completion)
        except Exception:  # no price known for this model (self-hosted, embedded)
            pass


def _for(brief: Brief, article: Article) -> Brief:
    """A stored brief, its metadata naming this request's article."""
    copy = brief.model_copy(deep=True)
    copy.metadata.source = article.source_id or article.url
    return copy
