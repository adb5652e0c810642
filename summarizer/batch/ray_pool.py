"""``--executor ray``: articles flow out to Ray workers, briefs flow back to the driver.

Workers are **async actors**, not tasks: a brief is mostly waiting on the model server, so one
worker process holds many articles in flight (its own limit, Ray's ``max_concurrency``) on one
event loop, and pays litellm's import (~4 s), its HTTP connection pools and its rate-limit
buckets once, not per article. A task would hold a CPU slot for each article's network wait (2
cores: 2 in flight). One actor per CPU of the cluster (``num_cpus=1``: the CPU part of a brief,
splitting and grounding, is single-threaded Python), spread over the nodes.

What crosses the wire is JSON validated by pydantic models on arrival: the article out; back a
``Brief`` or a ``RemoteError`` naming the package's own ``SummarizerError`` subclass with its
data (attempts, usage), re-raised in the driver so ``kind_of`` classifies it as in a live run.

A worker that dies (killed, out of memory, its node lost) is replaced, and the article is tried
again on another actor, ``TRIES`` times in all; then it becomes an error record
(``WorkerLostError``, kind ``model_unavailable``: a re-run tries it again). Never lost.

Secrets: the settings (``api_key`` a ``SecretStr``) and the driver's credential variables go to
the actors as constructor arguments, in Ray's object store, never in a ``runtime_env`` (which
Ray's dashboard and job records show); workers log through the same redacting filter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from typing import Any

import ray
from pydantic import BaseModel, SecretStr
from ray.exceptions import ObjectLostError, RayActorError, RayTaskError, WorkerCrashedError

from summarizer import errors
from summarizer.batch.failures import UsageError
from summarizer.brief.pipeline import asummarize
from summarizer.errors import ConfigurationError, ModelUnavailableError, SummarizerError
from summarizer.models import Article, Brief, Usage
from summarizer.redact import redact, secret_values
from summarizer.settings import Settings

logger = logging.getLogger(__name__)
TRIES = 3  # actors an article may be sent to when they keep dying under it
_DIED = (RayActorError, WorkerCrashedError, ObjectLostError)


class WorkerLostError(ModelUnavailableError):
    """Every Ray worker this article was sent to died before answering."""


class WorkerBugError(RuntimeError):
    """An exception on a worker that is not one of summarizer's own (a bug: kind ``internal``)."""


class RemoteError(BaseModel):
    """A ``SummarizerError`` raised on a worker, as data: its class (most specific known first)."""

    types: list[str]
    message: str
    attempts: int = 0
    usage: Usage | None = None

    @classmethod
    def of(cls, exc: BaseException) -> RemoteError:
        usage = getattr(exc, "usage", None)
        return cls(
            types=[t.__name__ for t in type(exc).__mro__],
            message=redact(str(exc)),
            attempts=getattr(exc, "attempts", 0),
            usage=usage if isinstance(usage, Usage) else None,
        )

    def exception(self) -> Exception:
        known = _error_classes()
        for name in self.types:
            if (kind := known.get(name)) is not None:
                return kind(self.message, attempts=self.attempts, usage=self.usage)
        return WorkerBugError(f"{self.types[0]} on a Ray worker: {self.message}")


def _error_classes() -> dict[str, type[SummarizerError]]:
    found: dict[str, type[SummarizerError]] = {}
    todo: list[type[SummarizerError]] = [errors.SummarizerError]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.__name__, cls)
        todo.extend(cls.__subclasses__())
    return found


class Outcome(BaseModel):
    """A worker's answer for one article: exactly one of the two."""

    brief: Brief | None = None
    error: RemoteError | None = None

    def result(self) -> Brief:
        if self.brief is not None:
            return self.brief
        if self.error is None:
            raise WorkerBugError("a Ray worker answered with neither a brief nor an error")
        raise self.error.exception()


class BriefWorker:
    """One Ray worker process (an async actor): ``asummarize`` with its own event loop."""

    def __init__(self, settings: Settings, secrets: dict[str, SecretStr]) -> None:
        # The driver's credentials: litellm reads provider keys from the environment, and
        # redact() masks every credential variable's value in what this process logs.
        for name, value in secrets.items():
            os.environ[name] = value.get_secret_value()
        if settings.api_key is not None:
            os.environ["SUMMARIZER_API_KEY"] = settings.api_key.get_secret_value()
        from summarizer.redact import RedactingFilter

        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactingFilter())
        self.settings = settings
        # litellm and instructor (~4 s to import) load now, before any call is let in, rather
        # than inside the first brief, where the import would stall every article in flight.
        _warm_up(settings.mode)

    async def ready(self) -> int:
        return os.getpid()

    async def brief(self, article_json: str) -> str:
        try:
            brief = await asummarize(Article.model_validate_json(article_json), settings=self.settings)
        except Exception as exc:  # every failure goes back as data; none may kill the actor
            return Outcome(error=RemoteError.of(exc)).model_dump_json()
        return Outcome(brief=brief).model_dump_json()


def _warm_up(mode: str) -> None:
    from summarizer.backends._litellm import litellm
    from summarizer.backends.client import _instructor

    litellm()
    _instructor(mode)


def worker_settings(settings: Settings, workers: int) -> Settings:
    """Rate limits are counted per process: each worker gets its share of the run's."""
    limits = {k: max(1, v // workers) for k in ("rpm", "tpm") if (v := getattr(settings, k))}
    return settings.model_copy(update=limits)


class RayExecutor:
    """A pool of ``BriefWorker`` actors; each article goes to the least loaded one."""

    def __init__(self, settings: Settings, concurrency: int, workers: int, owns_ray: bool) -> None:
        self.workers = workers
        self.concurrency = concurrency
        self.owns_ray = owns_ray
        self.replaced = 0  # actors replaced after dying (for tests and benchmarks)
        credentials = set(secret_values())
        secrets = {n: SecretStr(v) for n, v in os.environ.items() if v in credentials}
        self._args = (worker_settings(settings, workers), secrets)
        self._actor = ray.remote(BriefWorker).options(
            num_cpus=1,
            max_concurrency=concurrency,
            max_restarts=0,  # replaced by the pool instead, so a lost node's actor is not awaited
            max_task_retries=0,  # a retry is the pool's, counted against TRIES
            scheduling_strategy="SPREAD",
        )
        self.actors: list[Any] = [self._new() for _ in range(workers)]
        self.load = [0] * workers

    @classmethod
    async def start(cls, settings: Settings, concurrency: int, address: str | None) -> RayExecutor:
        if address:
            _probe(address)
        owns = not ray.is_initialized()  # a caller's own Ray (tests, a notebook) is used as it is
        if owns:
            _init(address)
        workers = max(1, int(ray.cluster_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]
        pool = cls(settings, concurrency, workers, owns)
        try:
            await asyncio.gather(*(actor.ready.remote() for actor in pool.actors))
        except (*_DIED, RayTaskError) as exc:  # e.g. summarizer not installed on a node
            pool.close()
            raise UsageError(f"Ray workers could not start: {_first_line(exc)}") from None
        return pool

    def _new(self) -> Any:
        return self._actor.remote(*self._args)

    def _pick(self) -> int:
        return min(range(self.workers), key=self.load.__getitem__)

    def _replace(self, slot: int, dead: Any, why: BaseException) -> None:
        if self.actors[slot] is not dead:
            return  # another article's failure already replaced it
        logger.warning("a Ray worker died (%s); a new one takes its place", _first_line(why))
        with contextlib.suppress(Exception):
            ray.kill(dead, no_restart=True)
        self.actors[slot] = self._new()
        self.replaced += 1

    async def brief(self, article: Article) -> Brief:
        payload = article.model_dump_json()
        last: BaseException | None = None
        for _ in range(TRIES):
            slot = self._pick()
            actor = self.actors[slot]
            self.load[slot] += 1
            try:
                answer = await actor.brief.remote(payload)
            except RayTaskError as exc:  # the worker code itself failed, outside brief()'s guard
                raise WorkerBugError(f"a Ray worker failed: {_first_line(exc)}") from None
            except _DIED as exc:
                if isinstance(exc, RayActorError) and exc.actor_init_failed:
                    raise ConfigurationError(f"Ray workers cannot start: {_first_line(exc)}") from None
                last = exc
                self._replace(slot, actor, exc)
                continue
            finally:
                self.load[slot] -= 1
            return Outcome.model_validate_json(answer).result()
        raise WorkerLostError(
            f"{TRIES} Ray workers died while briefing this article (last: {_first_line(last)})",
            attempts=TRIES,
        )

    def close(self) -> None:
        """Stop the workers (and a Ray of our own); a cluster already gone is no error here."""
        for actor in self.actors:
            with contextlib.suppress(Exception):
                ray.kill(actor, no_restart=True)
        self.actors = []
        if self.owns_ray:
            ray.shutdown()


def _init(address: str | None) -> None:
    address = address or os.environ.get("RAY_ADDRESS")
    common: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    try:
        if address:
            ray.init(address=address, **common)
        else:  # a Ray of our own on this machine, gone when the run ends
            ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, **common)
    except Exception as exc:  # ConnectionError, a version mismatch, a bad address: all usage
        where = f"join the Ray cluster at {address}" if address else "start a local Ray"
        raise UsageError(f"could not {where}: {_first_line(exc)}") from None


def _probe(address: str) -> None:
    """A HOST:PORT nobody listens on: say so now (Ray itself retries for minutes)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or "://" in address:
        return  # "auto", ray://..., anything else: Ray's own error
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise UsageError(
            f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
            "`ray start --head` and pass the address it prints"
        ) from None


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip().splitlines()
    return redact(text[0]) if text else type(exc).__name__
