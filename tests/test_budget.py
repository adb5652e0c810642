"""The article's analysis runs off the event loop, within a time budget (issue 18, section 1).

Before, ``net.find`` and ``injection.scan`` ran on the event loop: one hostile 7 KB article held
every other article in flight (and a service's /healthz) for 24 s. Now the analysis is a worker
thread's (``brief.budget``), and an article whose analysis runs over its budget fails alone with
an ``ArticleError``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from summarizer.brief import budget, net
from summarizer.brief.pipeline import asummarize
from summarizer.errors import ArticleError
from tests.helpers import replay_settings

ARTICLE = "Mayor Ana Ruiz said the building was unsafe. Police warned residents to stay away."


def test_the_event_loop_runs_while_an_article_is_analysed(monkeypatch):
    """The net waits for a coroutine on the loop to let it go: on the loop itself it would wait
    for ever (here: 10 s, then fail)."""
    released = threading.Event()

    def waiting_find(sentences, **kwargs):
        if not released.wait(10):
            raise AssertionError("the event loop did not run while the recall net was working")
        raise ArticleError("stopped after the net, before any model call")

    monkeypatch.setattr(net, "find", waiting_find)

    async def release() -> None:
        await asyncio.sleep(0.05)
        released.set()

    async def main() -> list[object]:
        return await asyncio.gather(
            asummarize(ARTICLE, settings=replay_settings()), release(), return_exceptions=True
        )

    outcome, _ = asyncio.run(main())
    assert isinstance(outcome, ArticleError) and "stopped after the net" in str(outcome)


def test_an_analysis_over_its_budget_is_the_articles_input_error(monkeypatch):
    """A step that never ends (a super-linear regex on hostile text, say) costs the budget, then
    the article fails with an ArticleError, before any model call."""
    monkeypatch.setattr(budget, "SECONDS", 0.3)
    stopped = threading.Event()

    def endless_find(sentences, *, check=None, **kwargs):
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if check is not None:
                    check()
                time.sleep(0.01)
            raise AssertionError("the net was never told to stop")
        finally:
            stopped.set()

    monkeypatch.setattr(net, "find", endless_find)
    with pytest.raises(ArticleError, match="to analyse"):
        asyncio.run(asummarize(ARTICLE, settings=replay_settings()))
    assert stopped.wait(5), "the worker went on after the article had failed"


def test_the_waiting_side_gives_up_even_when_the_work_never_checks(monkeypatch):
    monkeypatch.setattr(budget, "GRACE", 0.1)
    gate = threading.Event()

    def stuck(check):
        gate.wait(10)  # one long call that never looks at the clock
        return "late"

    async def main() -> None:
        with pytest.raises(ArticleError):
            await budget.run(stuck, seconds=0.2)

    try:
        asyncio.run(main())
    finally:
        gate.set()


def test_the_clock_starts_when_a_worker_takes_the_article(monkeypatch):
    """Articles queued behind a slow one are not charged for the wait."""
    monkeypatch.setattr(budget, "_POOL", ThreadPoolExecutor(max_workers=1))
    first_may_end = threading.Event()

    def slow(check):
        first_may_end.wait(10)
        return "first"

    def quick(check):
        check()
        return "second"

    async def main() -> list[str]:
        first = asyncio.ensure_future(budget.run(slow, seconds=30))
        second = asyncio.ensure_future(budget.run(quick, seconds=0.2))
        await asyncio.sleep(0.6)  # the second waits three times its budget in the queue
        first_may_end.set()
        return list(await asyncio.gather(first, second))

    try:
        assert asyncio.run(main()) == ["first", "second"]
    finally:
        first_may_end.set()
        budget._POOL.shutdown(wait=False)


def test_a_cancelled_article_stops_its_worker():
    stopped = threading.Event()
    started = threading.Event()

    def endless(check):
        started.set()
        try:
            while True:
                check()
                time.sleep(0.01)
        finally:
            stopped.set()

    async def main() -> None:
        task = asyncio.ensure_future(budget.run(endless, seconds=60))
        while not started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert stopped.wait(5)
