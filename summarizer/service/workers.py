"""Job workers: each process claims job items from the store while it has a free model slot.

An item is claimed with a lease the process renews while it works; if the process is killed,
the lease runs out and another process (or this one, restarted) claims the item again. Its
outcome is recorded only while the claim is held, so every item ends once: as a brief, or as an
error record saying why. On shutdown unfinished items are handed back to the queue at once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import threading
import uuid
from typing import Any

from summarizer.batch.failures import FailureKind, kind_of
from summarizer.errors import SummarizerError
from summarizer.models import Article
from summarizer.redact import redact
from summarizer.service.briefing import Briefer
from summarizer.service.config import ServiceSettings
from summarizer.service.store import Claimed, Store

log = logging.getLogger(__name__)


class JobWorkers:
    def __init__(self, briefer: Briefer, store: Store, config: ServiceSettings):
        self.briefer = briefer
        self.store = store
        self.config = config
        self.id = f"{socket.gethostname()[:24]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.working: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._loops: list[asyncio.Task[None]] = []
        self._renewer: _LeaseRenewer | None = None

    def start(self) -> None:
        self._loops = [asyncio.create_task(self._claim_loop())]
        self._renewer = _LeaseRenewer(self, asyncio.get_running_loop())
        self._renewer.start()

    def wake(self) -> None:
        """A job was just submitted here: look now instead of at the next poll."""
        self._wake.set()

    async def stop(self, grace_s: float) -> None:
        """Claim nothing more; let in-flight items finish for ``grace_s``, then hand the rest back."""
        self._stopping = True
        self._wake.set()
        if self._renewer is not None:
            self._renewer.stop()
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        if self.working:
            _, pending = await asyncio.wait(list(self.working.values()), timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        released = await self.store.run(self.store.release, self.id)
        if released:
            log.info("handed %d unfinished job item(s) back to the queue", released)

    async def _claim_loop(self) -> None:
        slots = self.briefer.slots
        while not self._stopping:
            await slots.acquire()
            try:
                claimed = await self.store.run(
                    self.store.claim, self.id, 1, self.config.lease_s, self.config.max_item_attempts
                )
            except Exception:
                slots.release()
                log.exception("claiming job items failed; retrying")
                await asyncio.sleep(self.config.poll_s)
                continue
            except BaseException:
                slots.release()
                raise
            if not claimed:
                slots.release()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.config.poll_s)
                except asyncio.TimeoutError:
                    pass
                self._wake.clear()
                continue
            for item in claimed:
                self.working[item.id] = asyncio.create_task(self._work(item))

    async def _work(self, item: Claimed) -> None:
        try:
            await self._brief(item)
        except asyncio.CancelledError:
            pass  # cancelled job, lost lease or shutdown: nothing to record here
        except Exception:
            log.exception("job %s item %s: could not record its outcome", item.job_id, item.item_id)
        finally:
            self.briefer.slots.release()
            self.working.pop(item.id, None)

    async def _brief(self, item: Claimed) -> None:
        try:
            article = Article.model_validate_json(item.article)
            brief, cache = await self.briefer.brief_in_slot(article, item.model, item.owner)
        except SummarizerError as exc:
            await self._finish(item, "failed", error_kind=kind_of(exc).value, error=redact(str(exc)))
            return
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug must not lose the item: it ends as an error record
            log.exception("job %s item %s failed unexpectedly", item.job_id, item.item_id)
            reason = redact(f"unexpected {type(exc).__name__}: {exc}")
            await self._finish(item, "failed", error_kind=FailureKind.INTERNAL.value, error=reason)
            return
        key = self.briefer.key(article, item.model, item.owner)
        if not await self._finish(item, "done", brief_key=key, cached=cache == "hit"):
            log.info(
                "job %s item %s: result discarded (cancelled, or claimed by another worker)",
                item.job_id,
                item.item_id,
            )

    async def _finish(self, item: Claimed, state: str, **outcome: Any) -> bool:
        """Record the item's outcome while the claim is held; only a recorded outcome is counted
        (a result discarded after a cancel or a lost lease was delivered to nobody)."""
        finish = functools.partial(self.store.finish_item, self.id, item.id, item.job_id, state, **outcome)
        recorded = bool(await self.store.run(finish))
        if recorded:
            label = "failed" if state == "failed" else "cached" if outcome.get("cached") else "briefed"
            self.briefer.metrics.briefs.labels("job", label).inc()
        return recorded


class _LeaseRenewer:
    """Renews the leases of the items in flight from a thread of its own, every third of the
    lease: a busy event loop (an article's CPU work, a slow call) then cannot let its leases run
    out and another replica take the item, and the next, until it fails as poison. Items this
    worker no longer holds (cancelled, or taken after a real stall) are stopped on the loop."""

    def __init__(self, workers: JobWorkers, loop: asyncio.AbstractEventLoop) -> None:
        self.workers, self.loop = workers, loop
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="summarizer-leases", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        workers = self.workers
        while not self._stop.wait(workers.config.lease_s / 3):
            ids = list(workers.working)
            try:
                held = workers.store.renew(workers.id, ids, workers.config.lease_s)
            except Exception:
                log.exception("renewing job item leases failed")
                continue
            lost = set(ids) - held
            if lost:
                self.loop.call_soon_threadsafe(self._cancel, lost)

    def _cancel(self, lost: set[int]) -> None:
        for item in lost:
            task = self.workers.working.get(item)
            if task is not None:
                task.cancel()
