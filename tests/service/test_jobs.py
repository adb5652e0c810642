"""Jobs: submit, status, streamed briefs and errors, server-sent events, cancel, idempotency."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.service.support import article, wait_for


def _done(client: Any, location: str, timeout: float = 30) -> dict[str, Any]:
    return dict(
        wait_for(lambda: (s := client.get(location).json())["state"] in ("done", "cancelled") and s, timeout)
    )


def _jsonl(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def _events(text: str) -> list[dict[str, Any]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            if name in ("id", "event", "data"):
                fields[name] = value.lstrip(" ")
        if "event" in fields:
            fields["data"] = json.loads(fields["data"])
            events.append(fields)
    return events


def test_a_json_array_job_ends_with_a_brief_or_an_error_per_record(client: Any, stub: Any) -> None:
    records = [{"id": f"a{n}", "text": article(n), "published": "2024-09-16"} for n in range(5)]
    records += [{"id": "no-text", "title": "nothing"}, {"id": "blank", "text": "  "}]
    created = client.post("/v1/jobs", json=records)
    assert created.status_code == 202
    job = created.json()
    assert created.headers["location"] == f"/v1/jobs/{job['id']}" == job["links"]["self"]
    assert job["total"] == 7 and job["state"] in ("queued", "running")
    status = _done(client, created.headers["location"])
    assert status["state"] == "done"
    assert status["counts"] == {"queued": 0, "running": 0, "done": 5, "failed": 2, "cancelled": 0}
    assert status["progress"] == 1.0 and status["eta_s"] == 0.0
    briefs = _jsonl(client.get(job["links"]["briefs"]))
    assert [b["id"] for b in briefs] == [f"a{n}" for n in range(5)]  # submission order
    assert all(b["brief"]["metadata"]["source"] == b["id"] for b in briefs)
    assert all(b["brief"]["key_developments"] for b in briefs)
    errors = _jsonl(client.get(job["links"]["errors"]))
    assert {e["id"]: e["kind"] for e in errors} == {"no-text": "input", "blank": "input"}
    assert "no text field" in errors[0]["reason"] and "empty article" in errors[1]["reason"]
    assert stub.state.requests == 5


def test_a_jsonl_job_keeps_a_broken_line_as_an_error(client: Any) -> None:
    lines = [json.dumps({"text": article(10)}), "{not json", "", json.dumps({"id": "x", "text": article(11)})]
    created = client.post(
        "/v1/jobs", content="\n".join(lines).encode(), headers={"content-type": "application/x-ndjson"}
    )
    assert created.status_code == 202, created.text
    _done(client, created.headers["location"])
    briefs = _jsonl(client.get(created.headers["location"] + "/briefs"))
    errors = _jsonl(client.get(created.headers["location"] + "/errors"))
    assert [b["id"] for b in briefs] == ["line-1", "x"]
    assert [e["id"] for e in errors] == ["line-2"] and "invalid JSON" in errors[0]["reason"]


def test_identical_articles_in_a_job_are_briefed_once(client: Any, stub: Any) -> None:
    created = client.post("/v1/jobs", json=[{"text": article(20)}] * 4)
    status = _done(client, created.headers["location"])
    assert status["counts"]["done"] == 4
    assert stub.state.requests == 1
    cached = [b["cached"] for b in _jsonl(client.get(created.headers["location"] + "/briefs"))]
    assert sorted(cached) == [False, True, True, True]


@pytest.mark.parametrize(
    "body, media, status",
    [
        (b"[]", "application/json", 422),
        (b'{"text": "one object"}', "application/json", 422),
        (b"[{", "application/json", 400),
        (b"<articles/>", "application/xml", 415),
    ],
)
def test_bad_job_bodies(client: Any, body: bytes, media: str, status: int) -> None:
    response = client.post("/v1/jobs", content=body, headers={"content-type": media})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_job_limits_are_413(make_client: Any) -> None:
    client = make_client(max_job_articles=3, max_job_bytes=20_000)
    too_many = client.post("/v1/jobs", json=[{"text": article(n)} for n in range(4)])
    assert too_many.status_code == 413 and "over the limit of 3" in too_many.json()["detail"]
    too_big = client.post("/v1/jobs", json=[{"text": "word " * 5000}])
    assert too_big.status_code == 413


def test_briefs_are_available_while_the_job_runs(make_client: Any, stub: Any) -> None:
    stub.state.config.latency = 0.3
    client = make_client(concurrency=1)
    created = client.post("/v1/jobs", json=[{"id": f"r{n}", "text": article(30 + n)} for n in range(4)])
    location = created.headers["location"]
    running = wait_for(lambda: (s := client.get(location).json())["counts"]["done"] >= 1 and s)
    partial = _jsonl(client.get(location + "/briefs"))
    assert 1 <= len(partial) < 4 and running["state"] == "running"
    assert running["eta_s"] is None or running["eta_s"] > 0
    _done(client, location)
    assert len(_jsonl(client.get(location + "/briefs"))) == 4


def test_events_stream_progress_and_resume_after_last_event_id(client: Any) -> None:
    created = client.post(
        "/v1/jobs", json=[{"id": f"e{n}", "text": article(40 + n)} for n in range(4)] + [{"id": "bad"}]
    )
    location = created.headers["location"]
    with client.stream("GET", location + "/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = _events(stream.read().decode())
    assert events[0]["event"] == "status"
    items = [e for e in events if e["event"] == "item"]
    assert [int(e["id"]) for e in items] == [1, 2, 3, 4, 5]
    assert sorted(e["data"]["item"] for e in items) == ["bad", "e0", "e1", "e2", "e3"]
    assert items[-1]["data"]["finished"] == 5 == items[-1]["data"]["total"]
    assert events[-1]["event"] == "end" and events[-1]["data"]["state"] == "done"
    with client.stream("GET", location + "/events", headers={"Last-Event-ID": "3"}) as stream:
        resumed = _events(stream.read().decode())
    assert [int(e["id"]) for e in resumed if e["event"] == "item"] == [4, 5]
    assert resumed[-1]["event"] == "end"


def test_cancel_stops_the_job_and_accounts_for_every_article(make_client: Any, stub: Any) -> None:
    stub.state.config.latency = 0.4
    client = make_client(concurrency=1)
    created = client.post("/v1/jobs", json=[{"id": f"c{n}", "text": article(50 + n)} for n in range(6)])
    location = created.headers["location"]
    wait_for(lambda: client.get(location).json()["counts"]["done"] >= 1)
    cancelled = client.delete(location)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    status = client.get(location).json()
    counts = status["counts"]
    assert counts["queued"] == counts["running"] == 0
    assert counts["done"] + counts["cancelled"] == 6 and counts["cancelled"] >= 3
    errors = _jsonl(client.get(location + "/errors"))
    assert {(e["status"], e["kind"]) for e in errors} == {("cancelled", "stopped")} and len(errors) == counts[
        "cancelled"
    ]
    requests = stub.state.requests
    import time

    time.sleep(1.0)
    assert stub.state.requests == requests  # nothing more goes to the model
    assert client.get(location).json()["counts"] == counts
    assert client.delete(location).json()["state"] == "cancelled"  # cancelling again changes nothing


def test_idempotency_key_on_jobs(client: Any) -> None:
    body = [{"text": article(60)}]
    first = client.post("/v1/jobs", json=body, headers={"idempotency-key": "job-1"})
    again = client.post("/v1/jobs", json=body, headers={"idempotency-key": "job-1"})
    assert again.status_code == 202 and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert len(client.get("/v1/jobs").json()["jobs"]) == 1
    different = client.post("/v1/jobs", json=[{"text": article(61)}], headers={"idempotency-key": "job-1"})
    assert different.status_code == 422


def test_unknown_job_is_404(client: Any) -> None:
    assert client.get("/v1/jobs/" + "0" * 32).status_code == 404
    assert client.get("/v1/jobs/not-a-job/briefs").status_code == 404
    assert client.delete("/v1/jobs/" + "0" * 32).status_code == 404


def test_job_with_a_model_that_fails_records_the_reason(client: Any, stub: Any) -> None:
    from tests.service.support import PROVIDER_KEY, fault

    fault(stub, "401", times=10)
    created = client.post("/v1/jobs", json=[{"id": "k", "text": article(70)}])
    _done(client, created.headers["location"])
    errors = _jsonl(client.get(created.headers["location"] + "/errors"))
    assert errors[0]["kind"] == "configuration" and "credentials" in errors[0]["reason"]
    assert PROVIDER_KEY not in json.dumps(errors)
