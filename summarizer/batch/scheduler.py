"""When articles go to the model: at most ``concurrency`` at a time, a small window more loaded,
identical work done once, and a stop that ends new model calls. (Rate limits count requests, not
articles, so they live where requests are sent: ``summarizer.backends.transport``.)

Every input's task is awaited and its exception retrieved: a handler that fails unexpectedly
becomes an error record through ``on_crash``, never a "Task exception was never retrieved".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

from summarizer.batch.sources import Input

T = TypeVar("T")


class Stopped(Exception):
    """Not attempted: the run is stopping (``Scheduler.stop_reason`` says why)."""


class Scheduler:
    def __init__(self, concurrency: int) -> None:
        self.slots = asyncio.Semaphore(concurrency)
        self.window = concurrency * 2 + 2  # inputs loaded ahead of the model: keeps memory flat
        self.stop_reason: str | None = None
        self._inflight: dict[str, asyncio.Future[Any]] = {}

    def stop(self, reason: str) -> None:
        self.stop_reason = self.stop_reason or reason

    async def run(
        self,
        items: Iterable[Input],
        handle: Callable[[Input], Coroutine[Any, Any, None]],
        on_crash: Callable[[Input, BaseException], None],
    ) -> None:
        """``handle`` every item, at most ``window`` at a time; the loop never stops early, so a
        stopped run still gives every remaining input its record."""
        pending: dict[asyncio.Task[None], Input] = {}

        def settle(done: set[asyncio.Task[None]]) -> None:
            for task in done:
                item = pending.pop(task)
                if (exc := task.exception()) is not None:
                    on_crash(item, exc)

        for item in items:
            if len(pending) >= self.window:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                settle(done)
            pending[asyncio.create_task(handle(item))] = item
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            settle(done)

    async def once(self, key: str, make: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``make()``'s result, computed once for all concurrent callers with the same ``key``;
        True when this caller waited on another's."""
        if key in self._inflight:
            shared: T = await asyncio.shield(self._inflight[key])
            return shared, True
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            result = await make()
            future.set_result(result)
            return result, False
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            # Waiters hold the future; later duplicates find the result in the store. Keeping
            # finished futures would hold every brief of the run in memory.
            self._inflight.pop(key, None)

    async def model_call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call`` in a model slot, unless the run is stopping."""
        async with self.slots:
            if self.stop_reason:
                raise Stopped(self.stop_reason)
            return await call()
