"""The database summarizer keeps briefs in: one SQLAlchemy Core schema for SQLite (WAL, the
default) and PostgreSQL (shared by replicas), Alembic migrations in ``summarizer/migrations``
applied under a lock (SQLite's write lock, or a PostgreSQL advisory lock) so processes starting
together migrate once, and the **brief cache**: a brief under its work key.

It sits below both of its users: ``summarizer serve`` (``service.store.Store`` adds jobs and
idempotency records) and ``summarizer run --database-url`` (the cache alone). Needs SQLAlchemy
and Alembic (the ``serve`` extra).

Methods are synchronous; ``run`` calls one in a small thread pool.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")
MIGRATIONS = Path(__file__).parent / "migrations"

metadata = sa.MetaData()
briefs_t = sa.Table(
    "briefs",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("model", sa.Text),
    sa.Column("prompt_version", sa.String(32)),
    sa.Column("brief", sa.Text),
    sa.Column("created_at", sa.Float),
)
jobs_t = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("owner", sa.String(32)),
    sa.Column("state", sa.String(16)),
    sa.Column("model", sa.Text),
    sa.Column("total", sa.Integer),
    sa.Column("finished", sa.Integer),
    sa.Column("created_at", sa.Float),
    sa.Column("updated_at", sa.Float),
)
items_t = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(32)),
    sa.Column("seq", sa.Integer),
    sa.Column("item_id", sa.Text),
    sa.Column("source", sa.Text),
    sa.Column("article", sa.Text),
    sa.Column("state", sa.String(16)),
    sa.Column("brief_key", sa.String(64)),
    sa.Column("cached", sa.Boolean),
    sa.Column("error_kind", sa.String(64)),
    sa.Column("error", sa.Text),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("lease_until", sa.Float),
    sa.Column("attempts", sa.Integer),
    sa.Column("finished_seq", sa.Integer),
    sa.Column("finished_at", sa.Float),
)
idempotency_t = sa.Table(
    "idempotency",
    metadata,
    sa.Column("owner", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("request_hash", sa.String(64)),
    sa.Column("status", sa.Integer),
    sa.Column("content_type", sa.Text),
    sa.Column("location", sa.Text),
    sa.Column("body", sa.LargeBinary),
    sa.Column("created_at", sa.Float),
    sa.Column("holder", sa.String(32)),  # the request that holds a pending record (0002)
    sa.Column("renewed_at", sa.Float),  # when its holder last renewed it
)


def default_database_url() -> str:
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("summarizer"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'service.db'}"


def engine_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 (SQLAlchemy's bare default is psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """The database of summarizer's brief cache (and of the service's jobs, ``service.store``):
    an engine, migrations, and the cache both `summarizer serve` and `summarizer run
    --database-url` use."""

    def __init__(self, url: str | None = None, threads: int = 8):
        self.url = engine_url(url or default_database_url())
        self.is_sqlite = self.url.startswith("sqlite")
        self.engine = _engine(self.url, threads)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="store")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Call a store method off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- schema ------------------------------------------------------------------------------

    def migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._write() as conn:
            if not self.is_sqlite:
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7251001)")
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def revision(self) -> str | None:
        with self._read() as conn:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    def ping(self) -> None:
        with self._read() as conn:
            conn.exec_driver_sql("SELECT 1").scalar()

    # -- brief cache -------------------------------------------------------------------------

    def cached(self, key: str) -> str | None:
        with self._read() as conn:
            return conn.execute(sa.select(briefs_t.c.brief).where(briefs_t.c.key == key)).scalar()

    def cache_put(self, key: str, model: str, prompt_version: str, brief_json: str) -> None:
        with self._write() as conn:
            _insert_ignore(
                conn,
                briefs_t,
                {
                    "key": key,
                    "model": model,
                    "prompt_version": prompt_version,
                    "brief": brief_json,
                    "created_at": time.time(),
                },
                ["key"],
            )


def _insert_ignore(conn: Connection, table: sa.Table, values: dict[str, Any], keys: list[str]) -> bool:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    result = conn.execute(insert(table).values(**values).on_conflict_do_nothing(index_elements=keys))
    return bool(result.rowcount)


def _engine(url: str, threads: int) -> Engine:
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_size=threads, max_overflow=threads, pool_pre_ping=True)
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, pool_size=threads, max_overflow=threads, connect_args={"check_same_thread": False, "timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves: IMMEDIATE for writes, so two writers never deadlock on upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine
