"""The service's store: the brief cache and the database under it (``summarizer.storage``,
which ``summarizer run --database-url`` uses too), plus jobs and their items and idempotency
records.

Job items are a queue in the ``items`` table. A worker *claims* an item (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite serialises writers) with a lease it renews while it works; the
lease of a killed worker runs out and the item is claimed again. Finishing an item is one
transaction that checks the worker still holds it, so a result can be recorded only once. It
also takes the job row's lock to number the finish: ``finished_seq`` is gapless in commit order,
which makes it the event id of the job's event stream.

Methods are synchronous; the app calls them in a small thread pool (``run``).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from summarizer.storage import (
    Database,
    _insert_ignore,
    briefs_t,
    default_database_url,
    idempotency_t,
    items_t,
    jobs_t,
)

T = TypeVar("T")

FINAL = ("done", "failed", "cancelled")
# A pending record whose holder has not renewed it for this long is taken over (its process
# died); a live holder renews it every IDEMPOTENCY_RENEW_S while its request runs.
IDEMPOTENCY_PENDING_S = 60.0
IDEMPOTENCY_RENEW_S = 15.0


@dataclass(frozen=True)
class NewItem:
    item_id: str
    source: str
    article: str | None  # Article JSON; None when the record could not be read
    error: str | None = None


@dataclass(frozen=True)
class Claimed:
    id: int
    job_id: str
    item_id: str
    source: str
    article: str
    model: str | None
    owner: str = ""  # the job's key id: whose cache the brief goes to


@dataclass(frozen=True)
class StoredResponse:
    status: int  # 0: the first request with this key is still running
    request_hash: str
    content_type: str | None
    location: str | None
    body: bytes | None


class Store(Database):
    """The service's store: the brief cache (``Database``), jobs and their items, idempotency
    records."""

    # -- idempotency -------------------------------------------------------------------------

    def idempotency_begin(
        self, owner: str, key: str, request_hash: str, holder: str = ""
    ) -> StoredResponse | None:
        """None: this request goes ahead (a pending record held by ``holder`` now holds the key).
        Otherwise the record of an earlier request with this key (pending, or its stored
        response). A pending record is taken over only when its holder has not renewed it for
        ``IDEMPOTENCY_PENDING_S`` (its process died): a slow first request is not run twice."""
        with self._write() as conn:
            row = conn.execute(
                sa.select(idempotency_t).where(idempotency_t.c.owner == owner, idempotency_t.c.key == key)
            ).first()
            now = time.time()
            alive = row is not None and now - (row.renewed_at or row.created_at) <= IDEMPOTENCY_PENDING_S
            if row is not None and (row.status != 0 or alive):
                return StoredResponse(row.status, row.request_hash, row.content_type, row.location, row.body)
            if row is not None:
                conn.execute(
                    idempotency_t.delete().where(idempotency_t.c.owner == owner, idempotency_t.c.key == key)
                )
            inserted = _insert_ignore(
                conn,
                idempotency_t,
                {
                    "owner": owner,
                    "key": key,
                    "request_hash": request_hash,
                    "status": 0,
                    "created_at": now,
                    "holder": holder,
                    "renewed_at": now,
                },
                ["owner", "key"],
            )
            if not inserted:  # another replica inserted it first
                return StoredResponse(0, request_hash, None, None, None)
            return None

    def _held(self, owner: str, key: str, holder: str) -> Any:
        """The pending record ``holder`` holds (not one that took over from it)."""
        return sa.and_(
            idempotency_t.c.owner == owner,
            idempotency_t.c.key == key,
            idempotency_t.c.holder == holder,
            idempotency_t.c.status == 0,
        )

    def idempotency_renew(self, owner: str, key: str, holder: str) -> bool:
        """The holder is alive and still working: False if its record was taken over."""
        with self._write() as conn:
            result = conn.execute(
                idempotency_t.update().where(self._held(owner, key, holder)).values(renewed_at=time.time())
            )
            return bool(result.rowcount)

    def idempotency_finish(
        self,
        owner: str,
        key: str,
        status: int,
        content_type: str | None,
        location: str | None,
        body: bytes,
        holder: str = "",
    ) -> bool:
        """Store the response, if ``holder`` still holds the record (False: another took it)."""
        with self._write() as conn:
            result = conn.execute(
                idempotency_t.update()
                .where(self._held(owner, key, holder))
                .values(status=status, content_type=content_type, location=location, body=body)
            )
            return bool(result.rowcount)

    def idempotency_drop(self, owner: str, key: str, holder: str = "") -> None:
        """Give up ``holder``'s pending record (a newer holder's record stays)."""
        with self._write() as conn:
            conn.execute(idempotency_t.delete().where(self._held(owner, key, holder)))

    # -- jobs --------------------------------------------------------------------------------

    def create_job(self, owner: str, model: str | None, items: list[NewItem]) -> str:
        """A job and all its items in one transaction. Records that could not be read are
        finished at once as failed items, numbered first in the event stream."""
        job_id = uuid.uuid4().hex
        now = time.time()
        failed = [i for i in items if i.article is None]
        with self._write() as conn:
            conn.execute(
                jobs_t.insert().values(
                    id=job_id,
                    owner=owner,
                    state="done" if len(failed) == len(items) else "queued",
                    model=model,
                    total=len(items),
                    finished=len(failed),
                    created_at=now,
                    updated_at=now,
                )
            )
            rows = []
            finished = 0
            for seq, item in enumerate(items):
                row: dict[str, Any] = {
                    "job_id": job_id,
                    "seq": seq,
                    "item_id": item.item_id,
                    "source": item.source,
                    "article": item.article,
                    "state": "queued",
                    "brief_key": None,
                    "cached": False,
                    "error_kind": None,
                    "error": None,
                    "attempts": 0,
                    "finished_seq": None,
                    "finished_at": None,
                }
                if item.article is None:
                    finished += 1
                    row.update(
                        state="failed",
                        error_kind="input",
                        error=item.error,
                        finished_seq=finished,
                        finished_at=now,
                    )
                rows.append(row)
            for start in range(0, len(rows), 500):
                conn.execute(items_t.insert(), rows[start : start + 500])
        return job_id

    def job(self, job_id: str) -> dict[str, Any] | None:
        with self._read() as conn:
            row = conn.execute(sa.select(jobs_t).where(jobs_t.c.id == job_id)).first()
            if row is None:
                return None
            counts: dict[str, int] = dict(
                conn.execute(
                    sa.select(items_t.c.state, sa.func.count())
                    .where(items_t.c.job_id == job_id)
                    .group_by(items_t.c.state)
                ).all()
            )
            first_finish = conn.execute(
                sa.select(sa.func.min(items_t.c.finished_at), sa.func.max(items_t.c.finished_at)).where(
                    items_t.c.job_id == job_id, items_t.c.state == "done"
                )
            ).first()
        job = dict(row._mapping)
        job["counts"] = {
            s: int(counts.get(s, 0)) for s in ("queued", "running", "done", "failed", "cancelled")
        }
        job["first_done_at"], job["last_done_at"] = first_finish or (None, None)
        return job

    def jobs(self, owner: str, limit: int = 50) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                sa.select(jobs_t)
                .where(jobs_t.c.owner == owner)
                .order_by(jobs_t.c.created_at.desc())
                .limit(limit)
            ).all()
        return [dict(r._mapping) for r in rows]

    def cancel_job(self, job_id: str) -> int:
        """Cancel every item not finished yet; a worker's later result for one is discarded."""
        now = time.time()
        with self._write() as conn:
            job = conn.execute(
                _locked(sa.select(jobs_t.c.finished, jobs_t.c.state).where(jobs_t.c.id == job_id), self)
            ).first()
            if job is None or job.state in ("done", "cancelled"):
                return 0
            open_items = (
                conn.execute(
                    sa.select(items_t.c.id)
                    .where(items_t.c.job_id == job_id, items_t.c.state.in_(("queued", "running")))
                    .order_by(items_t.c.seq)
                )
                .scalars()
                .all()
            )
            for n, item in enumerate(open_items, job.finished + 1):
                conn.execute(
                    items_t.update()
                    .where(items_t.c.id == item)
                    .values(
                        state="cancelled",
                        error_kind="stopped",
                        error="the job was cancelled before this article was briefed",
                        claimed_by=None,
                        lease_until=None,
                        finished_seq=n,
                        finished_at=now,
                    )
                )
            conn.execute(
                jobs_t.update()
                .where(jobs_t.c.id == job_id)
                .values(finished=job.finished + len(open_items), state="cancelled", updated_at=now)
            )
            return len(open_items)

    def finished_items(self, job_id: str, after: int, limit: int = 500) -> list[dict[str, Any]]:
        """Items finished after event number ``after``, in finishing order (the event stream)."""
        with self._read() as conn:
            rows = conn.execute(
                sa.select(
                    items_t.c.finished_seq,
                    items_t.c.seq,
                    items_t.c.item_id,
                    items_t.c.source,
                    items_t.c.state,
                    items_t.c.error,
                    items_t.c.cached,
                )
                .where(items_t.c.job_id == job_id, items_t.c.finished_seq > after)
                .order_by(items_t.c.finished_seq)
                .limit(limit)
            ).all()
        return [dict(r._mapping) for r in rows]

    def results(self, job_id: str, briefs: bool, after_seq: int, limit: int = 200) -> list[dict[str, Any]]:
        """A page of a job's briefs (joined from the cache) or of its error records, by position."""
        with self._read() as conn:
            if briefs:
                query = (
                    sa.select(
                        items_t.c.seq, items_t.c.item_id, items_t.c.source, items_t.c.cached, briefs_t.c.brief
                    )
                    .join(briefs_t, briefs_t.c.key == items_t.c.brief_key)
                    .where(items_t.c.job_id == job_id, items_t.c.state == "done")
                )
            else:
                query = sa.select(
                    items_t.c.seq,
                    items_t.c.item_id,
                    items_t.c.source,
                    items_t.c.state,
                    items_t.c.error_kind,
                    items_t.c.error,
                ).where(items_t.c.job_id == job_id, items_t.c.state.in_(("failed", "cancelled")))
            rows = conn.execute(
                query.where(items_t.c.seq > after_seq).order_by(items_t.c.seq).limit(limit)
            ).all()
        return [dict(r._mapping) for r in rows]

    # -- workers -----------------------------------------------------------------------------

    def claim(self, worker: str, n: int, lease_s: float, max_attempts: int) -> list[Claimed]:
        """Up to ``n`` items for ``worker``: first those whose worker went silent, then queued
        ones in submission order. An item claimed ``max_attempts`` times is failed instead.

        Only item rows are locked here (never a job row), so a claim cannot deadlock with a
        finish or a cancel, which lock the job first."""
        now = time.time()
        with self._write() as conn:
            stale = conn.execute(
                _locked(
                    sa.select(items_t.c.id, items_t.c.job_id, items_t.c.attempts)
                    .where(items_t.c.state == "running", items_t.c.lease_until < now)
                    .order_by(items_t.c.id)
                    .limit(n),
                    self,
                    skip_locked=True,
                )
            ).all()
            fresh = (
                conn.execute(
                    _locked(
                        sa.select(items_t.c.id, items_t.c.job_id, items_t.c.attempts)
                        .where(items_t.c.state == "queued")
                        .order_by(items_t.c.id)
                        .limit(n - len(stale)),
                        self,
                        skip_locked=True,
                    )
                ).all()
                if len(stale) < n
                else []
            )
            rows = [*stale, *fresh]
            for row in rows:
                conn.execute(
                    items_t.update()
                    .where(items_t.c.id == row.id)
                    .values(
                        state="running",
                        claimed_by=worker,
                        lease_until=now + lease_s,
                        attempts=row.attempts + 1,
                    )
                )
            loaded = (
                conn.execute(
                    sa.select(
                        items_t.c.id,
                        items_t.c.job_id,
                        items_t.c.item_id,
                        items_t.c.source,
                        items_t.c.article,
                        jobs_t.c.model,
                        jobs_t.c.owner,
                    )
                    .join(jobs_t, jobs_t.c.id == items_t.c.job_id)
                    .where(items_t.c.id.in_([r.id for r in rows if r.attempts < max_attempts]))
                    .order_by(items_t.c.id)
                ).all()
                if rows
                else []
            )
        for row in rows:
            if row.attempts >= max_attempts:
                self.finish_item(
                    worker,
                    row.id,
                    row.job_id,
                    "failed",
                    error_kind="internal",
                    error=(
                        f"the worker briefing this article stopped {row.attempts} times "
                        "(killed or crashed); giving up"
                    ),
                )
        return [
            Claimed(r.id, r.job_id, r.item_id, r.source, r.article, r.model, r.owner or "") for r in loaded
        ]

    def renew(self, worker: str, item_ids: list[int], lease_s: float) -> set[int]:
        """Extend this worker's leases; returns the items it still holds (not cancelled, not stolen)."""
        if not item_ids:
            return set()
        with self._write() as conn:
            conn.execute(
                items_t.update()
                .where(
                    items_t.c.id.in_(item_ids),
                    items_t.c.claimed_by == worker,
                    items_t.c.state == "running",
                )
                .values(lease_until=time.time() + lease_s)
            )
            return set(
                conn.execute(
                    sa.select(items_t.c.id).where(
                        items_t.c.id.in_(item_ids),
                        items_t.c.claimed_by == worker,
                        items_t.c.state == "running",
                    )
                )
                .scalars()
                .all()
            )

    def finish_item(
        self,
        worker: str,
        item: int,
        job_id: str,
        state: str,
        *,
        brief_key: str | None = None,
        cached: bool = False,
        error_kind: str | None = None,
        error: str | None = None,
    ) -> bool:
        """Record an item's outcome if ``worker`` still holds it; False if it lost it."""
        with self._write() as conn:
            # Lock the job row first (the order every writer uses), then check the claim.
            conn.execute(_locked(sa.select(jobs_t.c.id).where(jobs_t.c.id == job_id), self)).first()
            held = conn.execute(
                sa.select(items_t.c.id).where(
                    items_t.c.id == item, items_t.c.claimed_by == worker, items_t.c.state == "running"
                )
            ).first()
            if held is None:
                return False
            self._finish(
                conn,
                item,
                job_id,
                state,
                time.time(),
                brief_key=brief_key,
                cached=cached,
                error_kind=error_kind,
                error=error,
            )
            return True

    def _finish(
        self, conn: Connection, item: int, job_id: str, state: str, now: float, **values: Any
    ) -> None:
        conn.execute(
            jobs_t.update()
            .where(jobs_t.c.id == job_id)
            .values(
                finished=jobs_t.c.finished + 1,
                state=sa.case((jobs_t.c.finished + 1 >= jobs_t.c.total, "done"), else_=jobs_t.c.state),
                updated_at=now,
            )
        )
        number = conn.execute(sa.select(jobs_t.c.finished).where(jobs_t.c.id == job_id)).scalar()
        conn.execute(
            items_t.update()
            .where(items_t.c.id == item)
            .values(
                state=state, claimed_by=None, lease_until=None, finished_seq=number, finished_at=now, **values
            )
        )

    def release(self, worker: str) -> int:
        """Hand this worker's unfinished items back to the queue (graceful shutdown)."""
        with self._write() as conn:
            result = conn.execute(
                items_t.update()
                .where(items_t.c.claimed_by == worker, items_t.c.state == "running")
                .values(
                    state="queued",
                    claimed_by=None,
                    lease_until=None,
                    attempts=sa.func.max(items_t.c.attempts - 1, 0)
                    if self.is_sqlite
                    else sa.func.greatest(items_t.c.attempts - 1, 0),
                )
            )
            return int(result.rowcount or 0)

    # -- metrics -----------------------------------------------------------------------------

    def state_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """(jobs by state, items by state) across every replica."""
        with self._read() as conn:
            jobs: dict[str, int] = dict(
                conn.execute(sa.select(jobs_t.c.state, sa.func.count()).group_by(jobs_t.c.state)).all()
            )
            items: dict[str, int] = dict(
                conn.execute(
                    sa.select(items_t.c.state, sa.func.count())
                    .where(items_t.c.state.in_(("queued", "running")))
                    .group_by(items_t.c.state)
                ).all()
            )
        return {k: int(v) for k, v in jobs.items()}, {k: int(v) for k, v in items.items()}


def _locked(query: Any, store: Store, skip_locked: bool = False) -> Any:
    """FOR UPDATE on PostgreSQL (SKIP LOCKED for claims, so replicas never wait on each other's
    items). SQLite has no row locks: its write transaction (BEGIN IMMEDIATE) excludes others."""
    return query if store.is_sqlite else query.with_for_update(skip_locked=skip_locked)


def request_hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


__all__ = ["Claimed", "NewItem", "Store", "StoredResponse", "default_database_url", "request_hash"]
