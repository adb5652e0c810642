"""API keys, per-key visibility, secrets, rate limit, the bounded queue, Idempotency-Key on briefs."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import httpx

from tests.service.support import PROVIDER_KEY, article, model_settings, service_config, threaded_server

KEY_A = "service-key-alpha-0001"
KEY_B = "service-key-bravo-0002"


def _auth(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def test_with_keys_every_v1_call_needs_a_valid_bearer_key(make_client: Any) -> None:
    client = make_client(keys=f"{KEY_A},{KEY_B}")
    for headers in (
        {},
        _auth("wrong-key-000000"),
        {"authorization": KEY_A},
        {"authorization": "Basic " + KEY_A},
    ):
        response = client.post("/v1/briefs", json={"text": article(1)}, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/problem+json"
        assert client.get("/v1/jobs", headers=headers).status_code == 401
    assert client.post("/v1/briefs", json={"text": article(1)}, headers=_auth(KEY_A)).status_code == 200
    assert client.get("/healthz").status_code == 200  # operations and the page stay open
    assert client.get("/").status_code == 200


def test_keys_from_a_file(make_client: Any, tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# service keys\n{KEY_A}\n\n")
    client = make_client(keys_file=keys)
    assert client.get("/v1/jobs", headers=_auth(KEY_A)).status_code == 200
    assert client.get("/v1/jobs", headers=_auth(KEY_B)).status_code == 401


def test_a_key_sees_only_its_own_jobs(make_client: Any) -> None:
    client = make_client(keys=f"{KEY_A},{KEY_B}")
    created = client.post("/v1/jobs", json=[{"text": article(2)}], headers=_auth(KEY_A))
    assert created.status_code == 202
    location = created.headers["location"]
    assert client.get(location, headers=_auth(KEY_A)).status_code == 200
    for path in (location, location + "/briefs", location + "/errors", location + "/events"):
        assert client.get(path, headers=_auth(KEY_B)).status_code == 404, path
    assert client.delete(location, headers=_auth(KEY_B)).status_code == 404
    assert client.get("/v1/jobs", headers=_auth(KEY_B)).json() == {"jobs": []}
    assert [j["id"] for j in client.get("/v1/jobs", headers=_auth(KEY_A)).json()["jobs"]] == [
        created.json()["id"]
    ]


def test_no_key_in_logs_responses_or_the_database(
    make_client: Any, caplog: Any, tmp_path: Path, stub: Any
) -> None:
    from tests.service.support import fault

    caplog.set_level(logging.DEBUG)
    client = make_client(keys=KEY_A)
    client.post("/v1/briefs", json={"text": article(3)}, headers=_auth(KEY_A))
    fault(stub, "401", times=3)
    failed = client.post("/v1/briefs", json={"text": article(4)}, headers=_auth(KEY_A))
    job = client.post(
        "/v1/jobs", json=[{"text": article(5)}], headers={**_auth(KEY_A), "idempotency-key": "k1"}
    )
    client.get(job.headers["location"], headers=_auth(KEY_A))
    client.post("/v1/briefs", json={"text": article(3)}, headers=_auth("not-a-key-but-looks-secret"))
    assert failed.status_code == 502
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "summarizer.access" in {r.name for r in caplog.records}
    for secret in (KEY_A, PROVIDER_KEY, "not-a-key-but-looks-secret"):
        assert secret not in logged
        assert secret not in failed.text
        for path in tmp_path.glob("service.db*"):
            assert secret.encode() not in path.read_bytes(), path


def test_rate_limit_per_key_is_429_with_retry_after(make_client: Any) -> None:
    client = make_client(keys=f"{KEY_A},{KEY_B}", rate_limit=2)
    codes = [client.get("/v1/jobs", headers=_auth(KEY_A)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = client.get("/v1/jobs", headers=_auth(KEY_A))
    assert int(limited.headers["retry-after"]) >= 1
    assert client.get("/v1/jobs", headers=_auth(KEY_B)).status_code == 200  # another key has its own budget


def test_past_the_queue_limit_requests_get_429_at_once(tmp_path: Path, stub: Any) -> None:
    from summarizer.service.app import create_app

    stub.state.config.latency = 1.0
    app = create_app(service_config(tmp_path, concurrency=1, queue_limit=1), model_settings(stub))

    async def burst(base: str) -> list[tuple[int, float, dict[str, str]]]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:

            async def one(n: int) -> tuple[int, float, dict[str, str]]:
                started = time.perf_counter()
                response = await http.post("/v1/briefs", json={"text": article(100 + n)})
                return response.status_code, time.perf_counter() - started, dict(response.headers)

            first = asyncio.create_task(one(0))
            await asyncio.sleep(0.3)  # the first one holds the only model slot
            rest = asyncio.gather(*(one(n) for n in range(1, 5)))
            return [await first, *await rest]

    with threaded_server(app) as base:
        results = asyncio.run(burst(base))
    codes = sorted(code for code, _, _ in results)
    assert codes == [200, 200, 429, 429, 429]
    for code, elapsed, headers in results:
        if code == 429:
            assert elapsed < 0.5
            assert int(headers["retry-after"]) >= 1
    assert stub.state.requests == 2


def test_idempotency_key_on_briefs(client: Any, stub: Any) -> None:
    headers = {"idempotency-key": "brief-1"}
    first = client.post("/v1/briefs", json={"text": article(6)}, headers=headers)
    again = client.post("/v1/briefs", json={"text": article(6)}, headers=headers)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert stub.state.requests == 1
    other = client.post("/v1/briefs", json={"text": article(7)}, headers=headers)
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    bad = client.post("/v1/briefs", json={"text": article(6)}, headers={"idempotency-key": "x" * 300})
    assert bad.status_code == 400


def test_a_failed_request_does_not_burn_its_idempotency_key(client: Any, stub: Any) -> None:
    from tests.service.support import fault

    fault(stub, "500", times=1)
    headers = {"idempotency-key": "retry-me"}
    assert client.post("/v1/briefs", json={"text": article(8)}, headers=headers).status_code == 502
    retried = client.post("/v1/briefs", json={"text": article(8)}, headers=headers)
    assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers


def test_a_repeat_while_the_first_request_runs_is_409(tmp_path: Path, stub: Any) -> None:
    from summarizer.service.app import create_app

    stub.state.config.latency = 0.8
    app = create_app(service_config(tmp_path), model_settings(stub))
    headers = {"idempotency-key": "slow-1"}

    async def twice(base: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            first = asyncio.create_task(http.post("/v1/briefs", json={"text": article(9)}, headers=headers))
            await asyncio.sleep(0.3)
            second = await http.post("/v1/briefs", json={"text": article(9)}, headers=headers)
            third = await http.post("/v1/briefs", json={"text": article(9)}, headers=headers)  # still running
            return [await first, second, third]

    with threaded_server(app) as base:
        first, second, _ = asyncio.run(twice(base))
        replay = httpx.post(base + "/v1/briefs", json={"text": article(9)}, headers=headers)
    assert first.status_code == 200
    assert second.status_code == 409 and second.headers["retry-after"] == "1"
    assert replay.status_code == 200 and replay.headers["idempotent-replayed"] == "true"
    assert stub.state.requests == 1
