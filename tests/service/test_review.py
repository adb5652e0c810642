"""Review round 3 of the service: what one key may learn of another's, which model a caller may
run, what an anonymous caller is told, and the edges of jobs, events, bodies and metrics."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.service.support import article, model_settings, service_config, threaded_server, wait_for

KEY_A = "service-key-alpha-0001"
KEY_B = "service-key-bravo-0002"


def _auth(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def _metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


# -- the cache is per key ---------------------------------------------------------------------------


def test_another_key_posting_the_same_text_is_a_miss_with_its_own_metadata(
    client_keys: Any, stub: Any
) -> None:
    first = client_keys.post("/v1/briefs", json={"text": article(1)}, headers=_auth(KEY_A))
    assert first.headers["x-summarizer-cache"] == "miss"
    again = client_keys.post("/v1/briefs", json={"text": article(1)}, headers=_auth(KEY_A))
    assert again.headers["x-summarizer-cache"] == "hit"  # a key's own cache still works
    time.sleep(0.01)
    other = client_keys.post("/v1/briefs", json={"text": article(1)}, headers=_auth(KEY_B))
    assert other.status_code == 200
    assert other.headers["x-summarizer-cache"] == "miss", "B must not learn that A briefed this text"
    assert other.json()["metadata"]["created_at"] != first.json()["metadata"]["created_at"]
    assert stub.state.requests == 2


def test_a_job_of_another_key_does_not_reuse_the_first_keys_brief(client_keys: Any, stub: Any) -> None:
    client_keys.post("/v1/briefs", json={"text": article(2)}, headers=_auth(KEY_A))
    created = client_keys.post("/v1/jobs", json=[{"id": "x", "text": article(2)}], headers=_auth(KEY_B))
    location = created.headers["location"]
    wait_for(lambda: client_keys.get(location, headers=_auth(KEY_B)).json()["state"] == "done")
    (line,) = [
        json.loads(x) for x in client_keys.get(location + "/briefs", headers=_auth(KEY_B)).text.splitlines()
    ]
    assert line["cached"] is False and stub.state.requests == 2


def test_a_shared_cache_is_an_operators_choice_and_hides_the_first_callers_metadata(
    make_client: Any, stub: Any
) -> None:
    client = make_client(keys=f"{KEY_A},{KEY_B}", share_cache=True)
    first = client.post("/v1/briefs", json={"text": article(3)}, headers=_auth(KEY_A)).json()
    other = client.post("/v1/briefs", json={"text": article(3)}, headers=_auth(KEY_B))
    assert other.headers["x-summarizer-cache"] == "hit" and stub.state.requests == 1
    meta = other.json()["metadata"]
    assert meta["created_at"] != first["metadata"]["created_at"]
    assert meta["usage"]["total_tokens"] == 0 and meta["latency_s"] == 0 and meta["attempts"] == 0


@pytest.fixture
def client_keys(make_client: Any) -> Any:
    return make_client(keys=f"{KEY_A},{KEY_B}")


# -- which model a caller may run -------------------------------------------------------------------


@pytest.mark.parametrize("model", ["openai/gpt-4o", "anthropic/claude-3-opus", "openai/stub-other"])
def test_a_caller_cannot_choose_a_model_the_operator_did_not_allow(
    client: Any, stub: Any, model: str
) -> None:
    response = client.post("/v1/briefs", json={"text": article(4), "model": model})
    assert response.status_code == 422 and "SUMMARIZER_SERVER_MODELS" in response.json()["detail"]
    job = client.post(f"/v1/jobs?model={model}", json=[{"text": article(4)}])
    assert job.status_code == 422
    assert stub.state.requests == 0


def test_the_configured_model_and_listed_models_are_allowed(make_client: Any, stub: Any) -> None:
    client = make_client(models="openai/stub-two")
    assert client.post("/v1/briefs", json={"text": article(5), "model": "openai/stub"}).status_code == 200
    assert client.post("/v1/briefs", json={"text": article(5), "model": "openai/stub-two"}).status_code == 200
    assert client.post("/v1/jobs?model=openai/stub-two", json=[{"text": article(6)}]).status_code == 202


# -- what an anonymous caller is told ---------------------------------------------------------------


def test_readyz_does_not_tell_the_model_address(make_client: Any, stub: Any, caplog: Any) -> None:
    from tests.service.support import free_port

    address = f"http://127.0.0.1:{free_port()}/v1"
    client = make_client(settings=model_settings(stub, api_base=address))
    caplog.set_level(logging.WARNING)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "model: unreachable" in response.json()["detail"]
    assert address not in response.text and "127.0.0.1" not in response.text
    assert any(address in r.getMessage() for r in caplog.records), "the operator's log has the detail"


def test_the_401_message_names_the_bearer_scheme(client_keys: Any) -> None:
    response = client_keys.post("/v1/briefs", json={"text": article(7)})
    assert response.status_code == 401
    assert "'Authorization: Bearer <key>'" in response.json()["detail"]


# -- jobs -------------------------------------------------------------------------------------------


def test_a_json_string_record_fails_as_not_an_object_without_echoing_its_text(client: Any) -> None:
    secretish = "This is the article text as a bare JSON string, not an object."
    created = client.post("/v1/jobs", json=[secretish, {"id": "ok", "text": article(8)}])
    location = created.headers["location"]
    wait_for(lambda: client.get(location).json()["state"] == "done")
    (error,) = [json.loads(x) for x in client.get(location + "/errors").text.splitlines()]
    assert "expected a JSON object" in error["reason"] and secretish not in error["reason"]
    line = client.post(
        "/v1/jobs", content=b'"just a string"\n', headers={"content-type": "application/x-ndjson"}
    )
    wait_for(lambda: client.get(line.headers["location"]).json()["state"] == "done")
    (error,) = [json.loads(x) for x in client.get(line.headers["location"] + "/errors").text.splitlines()]
    assert "expected a JSON object" in error["reason"]


def test_repeated_ids_get_unique_names_that_no_record_has(client: Any) -> None:
    records = [{"id": "a", "text": article(9)}, {"id": "a", "text": article(10)}, {"id": "a-2", "text": "x"}]
    created = client.post("/v1/jobs", json=records)
    location = created.headers["location"]
    wait_for(lambda: client.get(location).json()["state"] == "done")
    ids = [json.loads(x)["id"] for x in client.get(location + "/briefs").text.splitlines()]
    ids += [json.loads(x)["id"] for x in client.get(location + "/errors").text.splitlines()]
    assert len(ids) == len(set(ids)) == 3 and {"a", "a-2"} <= set(ids)


# -- event streams ----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["¹²", "99999999999999999999", "-1", "1e3"])
def test_a_bad_last_event_id_is_a_400_before_the_stream(client: Any, header: str) -> None:
    created = client.post("/v1/jobs", json=[{"text": article(11)}])
    location = created.headers["location"]
    response = client.get(location + "/events", headers={"Last-Event-ID": header.encode("latin-1")})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_an_out_of_range_last_event_id_query_is_a_422(client: Any) -> None:
    created = client.post("/v1/jobs", json=[{"text": article(12)}])
    response = client.get(created.headers["location"] + "/events?last_event_id=99999999999999999999")
    assert response.status_code == 422


# -- bodies over the limit --------------------------------------------------------------------------


def test_an_oversized_body_is_answered_413_not_reset(tmp_path: Path, stub: Any) -> None:
    from summarizer.service.app import create_app

    app = create_app(service_config(tmp_path, max_body_bytes=100_000), model_settings(stub))
    body = json.dumps({"text": "word " * 1_000_000}).encode()  # 5 MB
    with threaded_server(app) as url:
        for _ in range(5):
            request = urllib.request.Request(
                url + "/v1/briefs", data=body, headers={"content-type": "application/json"}
            )
            with pytest.raises(urllib.error.HTTPError) as raised:
                urllib.request.urlopen(request, timeout=30)
            assert raised.value.code == 413
            assert "over the limit" in json.loads(raised.value.read())["detail"]


# -- metrics ----------------------------------------------------------------------------------------


def test_job_metrics_count_what_the_job_delivered(make_client: Any, stub: Any) -> None:
    stub.state.config.latency = 0.4
    client = make_client(concurrency=1)
    created = client.post("/v1/jobs", json=[{"id": f"c{n}", "text": article(50 + n)} for n in range(6)])
    location = created.headers["location"]
    wait_for(lambda: client.get(location).json()["counts"]["done"] >= 1)
    client.delete(location)
    requests = stub.state.requests
    wait_for(lambda: client.get("/metrics").text.count("summarizer_model_calls_in_flight 0.0") == 1)
    done = client.get(location).json()["counts"]["done"]
    text = client.get("/metrics").text
    assert requests > done, "a model call was in flight when the job was cancelled"
    assert _metric(text, 'summarizer_briefs_total{outcome="briefed",via="job"}') == done


def test_an_unknown_cost_is_not_reported_as_zero(client: Any) -> None:
    client.post("/v1/briefs", json={"text": article(13)})
    text = client.get("/metrics").text
    assert not any(line.startswith("summarizer_model_cost_usd_total") for line in text.splitlines())
    unpriced = [
        line for line in text.splitlines() if line.startswith("summarizer_model_unpriced_briefs_total")
    ]
    assert len(unpriced) == 1 and unpriced[0].endswith(" 1.0")


# -- the README and the service agree ---------------------------------------------------------------


def test_the_readme_says_a_cancelled_articles_status_is_cancelled(client: Any) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "`stopped`, status `cancelled`" in readme


# -- logs -------------------------------------------------------------------------------------------


def test_the_service_log_is_one_json_format_without_library_chatter(
    tmp_path: Path, stub: Any, processes: list[Any]
) -> None:
    import httpx

    from tests.service.support import ServiceProcess, service_env

    service = ServiceProcess(service_env(stub, f"sqlite:///{tmp_path / 's.db'}"), tmp_path / "service.log")
    processes.append(service)
    service.wait_ready()
    assert httpx.post(service.url + "/v1/briefs", json={"text": article(20)}).status_code == 200
    created = httpx.post(
        service.url + "/v1/jobs", json=[{"id": "empty", "html": "<html><body></body></html>"}]
    )
    wait_for(lambda: httpx.get(service.url + created.headers["location"]).json()["state"] == "done")
    service.stop()
    lines = [json.loads(line) for line in service.log.read_text().splitlines()]  # every line is JSON
    assert any(line.get("event") == "request" and line.get("route") == "/v1/briefs" for line in lines)
    assert any("Started server process" in line.get("message", "") for line in lines)
    loggers = {line["logger"] for line in lines}
    assert all(name.split(".")[0] in ("summarizer", "uvicorn") for name in loggers), loggers


# -- slow uploads -----------------------------------------------------------------------------------


def test_slow_uploads_hold_no_queue_places(tmp_path: Path, stub: Any) -> None:
    """Uploads that never finish (more of them than there are places) do not make a ready request
    get 429; an upload slower than the body timeout gets 408."""
    import socket

    import httpx

    from summarizer.service.app import create_app

    config = service_config(tmp_path, concurrency=1, queue_limit=1, body_timeout_s=2.0)
    app = create_app(config, model_settings(stub))
    with threaded_server(app) as url:
        host, port = url.removeprefix("http://").split(":")
        slow = []
        for _ in range(6):  # three times the places (1 slot + 1 queue place)
            sock = socket.create_connection((host, int(port)))
            sock.sendall(
                b"POST /v1/briefs HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 1000\r\n\r\nThe first bytes of a body that never ends"
            )
            slow.append(sock)
        try:
            time.sleep(0.5)  # the server has read what they sent
            ready = httpx.post(url + "/v1/briefs", json={"text": article(30)}, timeout=30)
            assert ready.status_code == 200, ready.text
            slow[0].settimeout(10)
            answer = slow[0].recv(4096).decode()
            assert answer.startswith("HTTP/1.1 408"), answer[:200]
        finally:
            for sock in slow:
                sock.close()


# -- leases -----------------------------------------------------------------------------------------


def test_a_busy_event_loop_keeps_its_leases(make_client: Any, tmp_path: Path) -> None:
    """An article that holds the loop longer than the lease: another replica cannot take the
    item meanwhile, and it ends done on its first claim (not re-claimed until it is poison)."""
    from summarizer.service.store import Store

    client = make_client(lease_s=1.0, concurrency=1)
    briefer = client.app.state.service.briefer
    original = briefer.brief_in_slot
    stalled: list[bool] = []

    async def stalls_the_loop(*args: Any) -> Any:
        if not stalled:
            stalled.append(True)
            time.sleep(3.5)  # synchronous: the event loop runs nothing else for 3.5 leases
        return await original(*args)

    briefer.brief_in_slot = stalls_the_loop
    created = client.post("/v1/jobs", json=[{"id": "slow", "text": article(40)}])
    thief = Store(f"sqlite:///{tmp_path / 'service.db'}")
    try:
        wait_for(lambda: stalled)
        taken = []
        for _ in range(6):
            time.sleep(0.5)
            taken += thief.claim("another-replica", 1, lease_s=30, max_attempts=3)
        assert taken == [], "a live worker's lease ran out while its loop was busy"
    finally:
        thief.close()
    status = wait_for(lambda: (s := client.get(created.headers["location"]).json())["state"] == "done" and s)
    assert status["counts"]["done"] == 1
