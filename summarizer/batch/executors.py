"""Where an article is briefed: in this process (``asyncio``) or on a Ray cluster (``ray``).

The executor is the only thing ``--executor`` changes. Everything else of ``summarizer run``
stays in the one driver process: reading inputs, the work keys and de-duplication
(``Scheduler.once``), the manifest, the output files, errors.jsonl and progress. So resume after
a kill, exactly-once outcomes and the failure kinds hold for both executors by construction: the
executor only turns an ``Article`` into a ``Brief`` or raises a ``SummarizerError``.

``ray`` is an optional extra (``summarizer[ray]``), imported only when ``--executor ray`` is
asked for (see ``summarizer.batch.ray_pool``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal, Protocol

from summarizer.batch.failures import UsageError
from summarizer.brief.pipeline import asummarize
from summarizer.models import Article, Brief
from summarizer.settings import Settings

ExecutorName = Literal["asyncio", "ray"]
EXECUTORS: tuple[ExecutorName, ...] = ("asyncio", "ray")


class Executor(Protocol):
    """Briefs one article; ``workers`` processes do it, each with ``concurrency`` in flight."""

    workers: int

    async def brief(self, article: Article) -> Brief: ...


class AsyncioExecutor:
    """Today's behaviour: ``asummarize`` on this process's event loop."""

    workers = 1

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def brief(self, article: Article) -> Brief:
        return await asummarize(article, settings=self.settings)


def check(executor: str, settings: Settings, ray_address: str | None = None) -> None:
    """Refuse, before anything starts, a run the executor cannot do (exit status 2)."""
    if executor not in EXECUTORS:
        raise UsageError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if executor != "ray":
        if ray_address:
            raise UsageError("--ray-address joins a Ray cluster: use it with --executor ray")
        return
    if importlib.util.find_spec("ray") is None:
        raise UsageError("--executor ray needs Ray: pip install 'summarizer[ray]'")
    if settings.uses_embedded_model:
        # Each worker would assemble the 1.1 GB GGUF and start its own llama.cpp server wanting
        # every core of its machine: on one machine they only compete for the same cores.
        raise UsageError(
            "--executor ray needs a model server the workers can reach: set SUMMARIZER_MODEL "
            "(and SUMMARIZER_API_BASE for a server of your own, e.g. one llama.cpp or vLLM server "
            "per machine at http://127.0.0.1:PORT/v1); the embedded model would start one server "
            "per worker"
        )


@asynccontextmanager
async def open_executor(
    executor: str, settings: Settings, concurrency: int, ray_address: str | None = None
) -> AsyncIterator[Executor]:
    """The executor for a run, started, and stopped when the run ends."""
    check(executor, settings, ray_address)
    if executor == "asyncio":
        yield AsyncioExecutor(settings)
        return
    try:
        from summarizer.batch.ray_pool import RayExecutor
    except ImportError as exc:  # installed but broken (a missing native library, a bad wheel)
        raise UsageError(f"--executor ray: Ray does not import here: {exc}") from None

    pool = await RayExecutor.start(settings, concurrency, ray_address)
    try:
        yield pool
    finally:
        pool.close()
