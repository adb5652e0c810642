"""``POST /v1/briefs`` with ``Accept: text/event-stream``: the brief as it forms, over real HTTP
(uvicorn in a thread) against the stub model streaming its answers slowly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from summarizer.models import EVENT_ADAPTER, Brief, DoneEvent, ItemEvent
from summarizer.testing.stub_server import RunningStub
from tests.service.support import article, model_settings, service_config, threaded_server
from tests.test_stream import ARTICLE

EVENTS = {"Accept": "text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def site(tmp_path: Path, stub: RunningStub) -> Iterator[str]:
    from summarizer.service.app import create_app

    stub.state.config.chunk_chars = 4
    stub.state.config.chunk_delay = 0.01
    stub.state.config.hold_after = 90  # half-way through an answer: see the tests
    with threaded_server(create_app(service_config(tmp_path), model_settings(stub, timeout=30))) as base:
        yield base


def _sse(response: httpx.Response) -> Iterator[tuple[str, str]]:
    """(event, data) of each server-sent event, as it arrives."""
    event, data = "message", []
    for line in response.iter_lines():
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


def test_events_stream_in_order_and_a_repeat_is_done_at_once(site: str, stub: RunningStub) -> None:
    body = json.dumps({"text": ARTICLE})
    seen: list[tuple[str, int]] = []  # (event, streamed answers finished when it came)
    payloads = []
    with httpx.stream(
        "POST", site + "/v1/briefs?include=article", content=body, headers=EVENTS, timeout=60
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["x-summarizer-cache"] == "miss"
        for event, data in _sse(r):
            seen.append((event, stub.state.streams_finished))
            payloads.append((event, data))
            if event == "item" and json.loads(data)["origin"] == "model":
                stub.state.release.set()  # the stub held its answer half-way until now
    names = [e for e, _ in seen]
    assert names[0] == "article" and names[1] == "candidates" and names[-2:] == ["summary", "done"]
    assert json.loads(payloads[0][1])["article"]["text"] == ARTICLE
    events = [EVENT_ADAPTER.validate_json(data) for name, data in payloads[1:]]
    models = [i for i, e in enumerate(events) if isinstance(e, ItemEvent) and e.origin == "model"]
    assert models and seen[models[0] + 1][1] == 0, "a model item came before the model had finished"
    done = events[-1]
    assert isinstance(done, DoneEvent)
    for e in events:
        if isinstance(e, ItemEvent):
            assert getattr(done.brief, e.section)[e.index] == e.item
    requests = stub.state.requests

    # The same article again: from the cache, one done event, no model call.
    with httpx.stream("POST", site + "/v1/briefs", content=body, headers=EVENTS, timeout=60) as r:
        assert r.headers["x-summarizer-cache"] == "hit"
        again = list(_sse(r))
    assert [e for e, _ in again] == ["done"]
    assert EVENT_ADAPTER.validate_json(again[0][1]) == DoneEvent(brief=done.brief)
    assert stub.state.requests == requests
    plain = httpx.post(site + "/v1/briefs", content=body, headers={"Content-Type": "application/json"})
    assert Brief.model_validate_json(plain.text) == done.brief


def test_a_client_that_disconnects_cancels_the_model_call(site: str, stub: RunningStub) -> None:
    stub.state.config.chunk_chars = 2
    stub.state.config.chunk_delay = 0.0
    stub.state.config.hold_after = 120  # held half-way: the client leaves before the end
    body = json.dumps({"text": ARTICLE})
    with httpx.stream("POST", site + "/v1/briefs", content=body, headers=EVENTS, timeout=60) as r:
        for event, data in _sse(r):
            if event == "item" and json.loads(data)["origin"] == "model":
                break
    # The service hangs up on the model, which was holding the rest of its answer.
    assert stub.state.abandoned.wait(10)
    stub.state.release.set()
    assert stub.state.streams_finished == 0
    # The slot is free again, and nothing half-made was cached.
    again = httpx.post(site + "/v1/briefs", content=body, headers=EVENTS, timeout=60)
    assert again.headers["x-summarizer-cache"] == "miss"
    assert "event: done" in again.text


def test_a_model_failure_is_an_error_event_with_a_problem_document(site: str, stub: RunningStub) -> None:
    stub.state.config.hold_after = None
    stub.state.config.script = ["500"] * 5
    body = json.dumps({"text": article(3)})
    with httpx.stream("POST", site + "/v1/briefs", content=body, headers=EVENTS, timeout=60) as r:
        events = list(_sse(r))
    assert events[0][0] == "candidates"
    name, data = events[-1]
    assert name == "error"
    problem = json.loads(data)
    assert problem["status"] == 502 and problem["title"]


def test_a_bad_article_is_a_plain_problem_before_any_event(site: str) -> None:
    r = httpx.post(site + "/v1/briefs", content=json.dumps({"text": "   "}), headers=EVENTS, timeout=30)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
