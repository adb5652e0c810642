"""The store on SQLite: migrations, claims and leases, poison items, cancel, idempotency records."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarizer.service.store import NewItem, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(f"sqlite:///{tmp_path / 'service.db'}")
    opened.migrate()
    yield opened
    opened.close()


def _expire(store: Store, item: int) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE items SET lease_until = 0 WHERE id = {item}")


def test_migrations_reach_the_head_revision_and_rerun_harmlessly(store: Store, tmp_path: Path) -> None:
    assert store.revision() == "0002"
    store.migrate()  # a restart: nothing to do
    assert store.revision() == "0002"
    with sqlite3.connect(tmp_path / "service.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"briefs", "jobs", "items", "idempotency", "alembic_version"} <= tables


def test_a_claim_is_held_until_its_lease_runs_out(store: Store) -> None:
    job = store.create_job("", None, [NewItem(f"i{n}", f"i{n}", '{"text": "x"}') for n in range(3)])
    first = store.claim("a", 2, lease_s=30, max_attempts=3)
    assert [c.item_id for c in first] == ["i0", "i1"]
    assert [c.item_id for c in store.claim("b", 5, lease_s=30, max_attempts=3)] == ["i2"]
    assert store.claim("c", 5, lease_s=30, max_attempts=3) == []
    _expire(store, first[0].id)
    taken = store.claim("c", 5, lease_s=30, max_attempts=3)
    assert [c.id for c in taken] == [first[0].id]
    assert not store.finish_item("a", first[0].id, job, "done", brief_key="k")  # "a" lost it
    assert store.finish_item("c", first[0].id, job, "failed", error_kind="internal", error="x")
    assert store.renew("a", [first[0].id, first[1].id], 30) == {first[1].id}


def test_an_item_that_keeps_killing_its_worker_is_failed_with_a_reason(store: Store) -> None:
    job = store.create_job("", None, [NewItem("poison", "poison", '{"text": "x"}')])
    for worker in ("a", "b"):
        (claimed,) = store.claim(worker, 1, lease_s=30, max_attempts=2)
        _expire(store, claimed.id)
    assert store.claim("c", 1, lease_s=30, max_attempts=2) == []
    status = store.job(job)
    assert status is not None and status["state"] == "done" and status["counts"]["failed"] == 1
    (error,) = store.results(job, briefs=False, after_seq=-1)
    assert error["error_kind"] == "internal" and "stopped 2 times" in error["error"]


def test_release_hands_work_back_without_counting_an_attempt(store: Store) -> None:
    store.create_job("", None, [NewItem("i", "i", '{"text": "x"}')])
    store.claim("a", 1, lease_s=30, max_attempts=1)
    assert store.release("a") == 1
    assert len(store.claim("b", 1, lease_s=30, max_attempts=1)) == 1  # not failed as poison


def test_finish_numbers_are_gapless_in_finishing_order(store: Store) -> None:
    job = store.create_job(
        "",
        None,
        [NewItem("bad", "bad", None, "no text")]
        + [NewItem(f"i{n}", f"i{n}", '{"text": "x"}') for n in range(3)],
    )
    claimed = store.claim("a", 3, lease_s=30, max_attempts=3)
    for item in reversed(claimed):
        store.finish_item("a", item.id, job, "done", brief_key="k")
    events = store.finished_items(job, after=0)
    assert [e["finished_seq"] for e in events] == [1, 2, 3, 4]
    assert [e["item_id"] for e in events] == ["bad", "i2", "i1", "i0"]
    assert [e["item_id"] for e in store.finished_items(job, after=2)] == ["i1", "i0"]


def test_cancel_finishes_every_open_item_once(store: Store) -> None:
    job = store.create_job("", None, [NewItem(f"i{n}", f"i{n}", '{"text": "x"}') for n in range(4)])
    (running,) = store.claim("a", 1, lease_s=30, max_attempts=3)
    assert store.cancel_job(job) == 4
    assert store.cancel_job(job) == 0
    assert not store.finish_item("a", running.id, job, "done", brief_key="k")
    status = store.job(job)
    assert status is not None and status["state"] == "cancelled" and status["finished"] == 4
    assert status["counts"]["cancelled"] == 4


def test_idempotency_records(store: Store) -> None:
    assert store.idempotency_begin("owner", "k", "hash-1", "first") is None
    pending = store.idempotency_begin("owner", "k", "hash-1", "second")
    assert pending is not None and pending.status == 0
    assert store.idempotency_finish("owner", "k", 202, "application/json", "/v1/jobs/x", b"{}", "first")
    done = store.idempotency_begin("owner", "k", "hash-2")
    assert done is not None and (done.status, done.request_hash, done.location) == (
        202,
        "hash-1",
        "/v1/jobs/x",
    )
    assert store.idempotency_begin("other-owner", "k", "hash-2") is None  # keys are per API key


def _age(store: Store, seconds: float, column: str = "renewed_at") -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE idempotency SET {column} = {column} - {seconds}")


def test_a_slow_first_request_that_renews_its_record_is_not_taken_over(store: Store) -> None:
    from summarizer.service.store import IDEMPOTENCY_PENDING_S

    assert store.idempotency_begin("o", "k", "h", "first") is None
    _age(store, IDEMPOTENCY_PENDING_S * 10, "created_at")  # started long ago...
    assert store.idempotency_renew("o", "k", "first")  # ...and still alive
    repeat = store.idempotency_begin("o", "k", "h", "second")
    assert repeat is not None and repeat.status == 0, "a live first request is not run twice"


def test_a_late_finish_does_not_overwrite_or_delete_the_record_that_took_over(store: Store) -> None:
    from summarizer.service.store import IDEMPOTENCY_PENDING_S

    assert store.idempotency_begin("o", "k", "h", "first") is None
    _age(store, IDEMPOTENCY_PENDING_S + 1)  # its holder stopped renewing: it died
    assert store.idempotency_begin("o", "k", "h", "second") is None  # taken over
    assert not store.idempotency_finish("o", "k", 200, "text/plain", None, b"late", "first")
    store.idempotency_drop("o", "k", "first")
    assert not store.idempotency_renew("o", "k", "first")
    held = store.idempotency_begin("o", "k", "h", "third")
    assert held is not None and held.status == 0, "the second request's record is intact"
    assert store.idempotency_finish("o", "k", 200, "text/plain", None, b"second", "second")
    done = store.idempotency_begin("o", "k", "h", "fourth")
    assert done is not None and (done.status, done.body) == (200, b"second")
