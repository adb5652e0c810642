"""The service on a real PostgreSQL server: shared cache and jobs, two replicas, each item once.

The server is Debian's ``postgresql`` package, started here in a temporary folder (as the
``postgres`` user when the tests run as root: initdb refuses root). Skipped, saying why, only
where no server can be started.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.support import ServiceProcess, article, free_port, service_env, wait_for


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or (
        [shutil.which(name)] if shutil.which(name) else []
    )
    return found[-1] if found else None


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A PostgreSQL server for this module; yields its URL without a database name."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
    as_root = os.geteuid() == 0
    if as_root:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a 'postgres' user to run the server as")
    root = Path(tempfile.mkdtemp(prefix="summarizer-pg-"))
    data, sockets, log = root / "data", root / "sock", root / "log"
    sockets.mkdir()
    port = free_port()

    def run(*args: str) -> None:
        command = list(args)
        if as_root:
            command = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in args)]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    if as_root:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    try:
        run(initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        run(
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-t",
            "30",
            "-o",
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            "start",
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(
            f"could not start PostgreSQL: {getattr(exc, 'stderr', b'').decode(errors='replace')[-500:]}"
        )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        try:
            run(pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def database(postgres: str) -> str:
    """A fresh, empty database on the module's server."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres}/{name}"


def test_replicas_starting_together_migrate_once(database: str) -> None:
    from summarizer.service.store import Store

    stores = [Store(database) for _ in range(3)]
    errors: list[BaseException] = []

    def migrate(store: Store) -> None:
        try:
            store.migrate()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert stores[0].revision() == "0002"
    for store in stores:
        store.close()


def test_claims_skip_locked_items_and_a_lost_lease_cannot_finish(database: str) -> None:
    from summarizer.service.store import NewItem, Store

    store = Store(database)
    store.migrate()
    job = store.create_job("", None, [NewItem(f"i{n}", f"i{n}", '{"text": "x"}') for n in range(5)])
    a = store.claim("worker-a", 3, lease_s=30, max_attempts=3)
    b = store.claim("worker-b", 3, lease_s=30, max_attempts=3)
    assert len(a) == 3 and len(b) == 2 and not {c.id for c in a} & {c.id for c in b}
    # worker-a's lease on a[0] runs out; worker-c takes it over; worker-a's late result is refused
    stolen = store.claim("worker-c", 1, lease_s=-1, max_attempts=3)  # nothing stale yet
    assert stolen == []
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE items SET lease_until = 0 WHERE id = {a[0].id}")
    stolen = store.claim("worker-c", 1, lease_s=30, max_attempts=3)
    assert [c.id for c in stolen] == [a[0].id]
    assert store.finish_item("worker-a", a[0].id, job, "failed", error="late") is False
    assert store.finish_item("worker-c", a[0].id, job, "failed", error="why") is True
    assert store.renew("worker-a", [c.id for c in a], 30) == {a[1].id, a[2].id}
    store.close()


def test_the_app_on_postgres(make_client: Any, database: str, stub: Any) -> None:
    client = make_client(database_url=database)
    assert client.post("/v1/briefs", json={"text": article(1)}).headers["x-summarizer-cache"] == "miss"
    assert client.post("/v1/briefs", json={"text": article(1)}).headers["x-summarizer-cache"] == "hit"
    created = client.post(
        "/v1/jobs",
        json=[{"id": f"p{n}", "text": article(n)} for n in range(6)],
        headers={"idempotency-key": "pg-job"},
    )
    location = created.headers["location"]
    assert (
        client.post(
            "/v1/jobs",
            json=[{"id": f"p{n}", "text": article(n)} for n in range(6)],
            headers={"idempotency-key": "pg-job"},
        ).headers["location"]
        == location
    )
    status = wait_for(lambda: (s := client.get(location).json())["state"] == "done" and s)
    assert status["counts"]["done"] == 6
    assert stub.state.requests == 6  # article 1 came from the cache
    assert client.get("/readyz").json()["checks"]["store"] == "ok"


def _metric(url: str, name: str) -> float:
    for line in httpx.get(url + "/metrics").text.splitlines():
        if line.startswith(name):
            return float(line.split()[-1])
    return 0.0


def test_two_replicas_share_one_database_and_brief_every_item_exactly_once(
    tmp_path: Path, database: str, stub: Any, processes: list[ServiceProcess]
) -> None:
    stub.state.config.latency = 0.2
    env = service_env(stub, database, SUMMARIZER_SERVER_CONCURRENCY="4")
    a = ServiceProcess(env, tmp_path / "a.log")
    b = ServiceProcess(env, tmp_path / "b.log")
    processes.extend([a, b])
    a.wait_ready()
    b.wait_ready()
    total = 60
    created = httpx.post(a.url + "/v1/jobs", json=[{"id": f"k{n}", "text": article(n)} for n in range(total)])
    path = created.headers["location"]
    status = wait_for(
        lambda: (s := httpx.get(b.url + path).json())["state"] == "done" and s, timeout=90, every=0.2
    )
    assert status["counts"]["done"] == total
    briefs = [json.loads(line) for line in httpx.get(b.url + path + "/briefs").text.splitlines()]
    assert sorted(x["id"] for x in briefs) == sorted(f"k{n}" for n in range(total))
    events = httpx.get(a.url + path + "/events", timeout=10).text
    assert [int(line[4:]) for line in events.splitlines() if line.startswith("id: ")] == list(
        range(1, total + 1)
    )
    assert stub.state.requests == total  # no article went to the model twice
    by_a = _metric(a.url, 'summarizer_briefs_total{outcome="briefed",via="job"}')
    by_b = _metric(b.url, 'summarizer_briefs_total{outcome="briefed",via="job"}')
    assert by_a + by_b == total and by_a > 0 and by_b > 0  # both replicas did work
    # and the cache is shared: an article briefed through one replica is a hit on the other
    hit = httpx.post(b.url + "/v1/briefs", json={"text": article(3)})
    assert hit.headers["x-summarizer-cache"] == "hit"
