"""An article's CPU-bound analysis, off the event loop and within a time budget.

Splitting into sentences, the recall net and the injection scan are linear in the article (issue
18: ``net.find`` once took 24 s on 7 KB), but a 2 MB article still costs seconds of CPU. Run on
the event loop, those seconds would hold up every other article in flight and a service's health
checks. So :func:`run` hands the work to a worker thread and waits without blocking the loop,
and the work has a budget of ``SECONDS`` from the moment it starts: the work calls ``check()``
between steps (and ``net.find`` before every sentence), which raises once the budget is spent,
and the waiting side gives up a ``GRACE`` later even if the worker is inside one long call.
Either way the article fails with an ``ArticleError`` (an input error: it is this article's
fault, and a run goes on with the others); the loop never stalls.

Why a thread and not a process pool (measured, ``benchmarks/linear_time.py --loop``): the work
is regex matching in short calls (a 2,000-character window around each reporting verb; sentences
cut at 4,000 characters), and CPython switches threads between calls every few milliseconds.
With a 1 MB hostile article (load ~10 on 2 cores) the loop's longest pause was 21-64 ms with
the worker thread, 4-300 ms with a process pool (the loop unpickles every sentence of the
result: 300 ms for 28,000 short sentences) and up to 10 s with the work on the loop itself, as
before. A pool would also start its own interpreters (spawn re-runs an unguarded ``__main__``
of a user's script; fork is unsafe with the loop's threads) in every CLI run, Ray worker and
service replica. So: a thread.

The workers are a small pool of their own, so a burst of large articles queues here instead
of taking the default executor's threads from file reads and endpoint look-ups. An article's
clock starts when a worker takes it, not while it queues.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from summarizer.errors import ArticleError

T = TypeVar("T")

SECONDS = 20.0  # CPU-bound analysis of one article, at most (a 13 KB article takes ~0.05 s)
GRACE = 2.0  # how long after the budget the waiting side stops waiting for a worker
WORKERS = 4

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


class OverBudget(Exception):
    """Raised inside the work by ``check()`` once its time is spent (or its waiter has gone)."""


class Budget:
    """The clock of one piece of work: started by the worker, read by ``check``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline: float | None = None
        self.abandoned = False

    def start(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def check(self) -> None:
        if self.abandoned or (self.deadline is not None and time.monotonic() > self.deadline):
            raise OverBudget


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="summarizer-analysis")
        return _POOL


async def run(work: Callable[[Callable[[], None]], T], *, seconds: float | None = None) -> T:
    """``work(check)`` in a worker thread, within ``seconds`` (``SECONDS`` by default).

    Raises ``ArticleError`` when the budget is spent. Cancelling the caller makes the work's
    next ``check()`` stop it.
    """
    budget = Budget(SECONDS if seconds is None else seconds)

    def job() -> T:
        budget.start()
        return work(budget.check)

    future = asyncio.get_running_loop().run_in_executor(_pool(), job)
    try:
        while True:
            if budget.deadline is None:
                wait = budget.seconds  # still queued: its clock has not started
            else:
                wait = budget.deadline + GRACE - time.monotonic()
                if wait <= 0:
                    raise OverBudget
            done, _ = await asyncio.wait({future}, timeout=wait)
            if done:
                return future.result()
    except OverBudget:
        raise ArticleError(
            f"the article took more than {budget.seconds:g} s to analyse before any model call "
            "(sentences, voices, warnings, injected instructions); it is refused so that it does "
            "not hold up other articles"
        ) from None
    finally:
        if not future.done():
            budget.abandoned = True  # the worker stops at its next check()
            future.cancel()
