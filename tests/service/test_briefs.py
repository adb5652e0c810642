"""POST /v1/briefs: bodies, Markdown, the cache, and every error as a problem document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from summarizer import Brief
from tests.service.support import PROVIDER_KEY, SEED, article, fault, model_settings


def test_json_body_returns_the_brief_with_grounded_offsets(client: Any, stub: Any) -> None:
    text = article(1)
    response = client.post("/v1/briefs", json={"text": text, "id": "bridge-1", "published": "2024-09-16"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-summarizer-cache"] == "miss"
    brief = Brief.model_validate_json(response.text)
    assert brief.metadata.source == "bridge-1"
    spans = brief.metadata.grounding.spans
    assert spans and all(text[s.start : s.end] for s in spans)
    first = next(s for s in spans if s.item == "key_developments[0].evidence")
    assert text[first.start : first.end] == brief.key_developments[0].evidence
    assert stub.state.requests == 1


def test_same_article_again_is_a_cache_hit_without_a_model_call(client: Any, stub: Any) -> None:
    first = client.post("/v1/briefs", json={"text": article(2), "id": "first"})
    assert first.headers["x-summarizer-cache"] == "miss"
    second = client.post("/v1/briefs", json={"text": article(2), "id": "second"})
    assert second.status_code == 200
    assert second.headers["x-summarizer-cache"] == "hit"
    assert stub.state.requests == 1
    brief = Brief.model_validate_json(second.text)
    assert brief.headline == Brief.model_validate_json(first.text).headline
    assert brief.metadata.source == "second"  # the stored brief, named for this request
    raw = client.post("/v1/briefs", content=article(2).encode(), headers={"content-type": "text/plain"})
    raw_again = client.post("/v1/briefs", content=article(2).encode(), headers={"content-type": "text/plain"})
    assert raw_again.headers["x-summarizer-cache"] == "hit" and raw.status_code == 200


def test_a_text_body_has_the_work_key_summarizer_run_gives_the_same_txt_file(
    client: Any, tmp_path: Path
) -> None:
    from summarizer.batch.inputs import read_article, text_article
    from summarizer.batch.manifest import work_key
    from summarizer.brief.prompts import prompt_version

    service = client.app.state.service
    path = tmp_path / "bridge.txt"
    path.write_text(article(12), encoding="utf-8")
    from_run = work_key(read_article(path), service.briefer.model, prompt_version(), service.settings)
    assert service.briefer.key(text_article(article(12), "request body"), None) == from_run


def test_cache_key_includes_the_output_settings(make_client: Any, stub: Any) -> None:
    make_client().post("/v1/briefs", json={"text": article(3)})
    other = make_client(settings=model_settings(stub, max_tokens=999))
    assert other.post("/v1/briefs", json={"text": article(3)}).headers["x-summarizer-cache"] == "miss"
    assert stub.state.requests == 2


def test_cache_survives_a_restart(make_client: Any, stub: Any) -> None:
    make_client().post("/v1/briefs", json={"text": article(4)})
    again = make_client()  # a new app on the same database
    assert again.post("/v1/briefs", json={"text": article(4)}).headers["x-summarizer-cache"] == "hit"
    assert stub.state.requests == 1


@pytest.mark.parametrize("media", ["text/plain", "text/markdown; charset=utf-8"])
def test_raw_text_bodies(client: Any, media: str) -> None:
    response = client.post("/v1/briefs", content=SEED.encode(), headers={"content-type": media})
    assert response.status_code == 200, response.text
    assert Brief.model_validate_json(response.text).key_developments


def test_html_body_is_extracted(client: Any) -> None:
    paragraphs = "".join(f"<p>{s}.</p>" for s in article(5).split(". "))
    page = (
        "<html><head><title>Bridge</title><script>alert(1)</script></head>"
        f"<body><nav>Home</nav><article>{paragraphs}</article></body></html>"
    )
    response = client.post("/v1/briefs?include=article", content=page, headers={"content-type": "text/html"})
    assert response.status_code == 200, response.text
    payload = response.json()
    assert "alert(1)" not in payload["article"]["text"]
    assert "bridge number 50" in payload["article"]["text"]
    assert payload["brief"]["key_developments"]


def test_accept_markdown(client: Any) -> None:
    response = client.post("/v1/briefs", json={"text": article(6)}, headers={"accept": "text/markdown"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text.startswith("# ")
    assert "## Key developments" in response.text
    json_wins = client.post(
        "/v1/briefs", json={"text": article(6)}, headers={"accept": "application/json, text/markdown;q=0.5"}
    )
    assert json_wins.headers["content-type"] == "application/json"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
    return dict(body)


def test_malformed_json_is_400(client: Any) -> None:
    _problem(
        client.post("/v1/briefs", content=b'{"text": ', headers={"content-type": "application/json"}), 400
    )


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ({"title": "no text"}, "exactly one of 'text' or 'html'"),
        ({"text": "x", "html": "<p>x</p>"}, "exactly one of"),
        ({"text": "   \n "}, "empty article"),
        ({"html": "<html><body><nav>Home | About</nav></body></html>"}, "no article text found"),
        ({"text": "fine", "published": "not a date"}, "published"),
        (["a list"], "expected a JSON object"),
    ],
)
def test_bad_articles_are_422_with_the_cli_message(client: Any, payload: Any, fragment: str) -> None:
    body = _problem(client.post("/v1/briefs", json=payload), 422)
    assert fragment in body["detail"]


def test_binary_text_body_is_422(client: Any) -> None:
    body = _problem(
        client.post("/v1/briefs", content=b"\x00\x01\x02binary", headers={"content-type": "text/plain"}), 422
    )
    assert "binary" in body["detail"]


def test_unsupported_media_type_is_415(client: Any) -> None:
    _problem(client.post("/v1/briefs", content=b"%PDF-1.4", headers={"content-type": "application/pdf"}), 415)


def test_body_over_the_limit_is_413(make_client: Any, stub: Any) -> None:
    client = make_client(max_body_bytes=1000)
    body = _problem(
        client.post("/v1/briefs", content=("word " * 400).encode(), headers={"content-type": "text/plain"}),
        413,
    )
    assert "1,000" in body["detail"]
    assert stub.state.requests == 0


def test_article_over_the_character_limit_is_413(make_client: Any, stub: Any) -> None:
    client = make_client(settings=model_settings(stub, max_article_chars=500))
    body = _problem(client.post("/v1/briefs", json={"text": article(7, sentences=20)}), 413)
    assert "SUMMARIZER_MAX_ARTICLE_CHARS" in body["detail"]


@pytest.mark.parametrize("outcome, status", [("500", 502), ("not-schema", 502), ("401", 502)])
def test_model_failures_are_502_and_never_leak_the_provider_key(
    client: Any, stub: Any, outcome: str, status: int
) -> None:
    fault(stub, outcome, times=5)
    response = client.post("/v1/briefs", json={"text": article(8)})
    body = _problem(response, status)
    assert "openai/stub" in body["detail"]
    assert PROVIDER_KEY not in response.text
    # a failure is not cached: the next try goes to the model again
    before = stub.state.requests
    stub.state.config.script = []
    assert client.post("/v1/briefs", json={"text": article(8)}).status_code == 200
    assert stub.state.requests == before + 1


def test_model_timeout_is_504(make_client: Any, stub: Any) -> None:
    client = make_client(settings=model_settings(stub, timeout=0.3))
    stub.state.config.hang_seconds = 1.0
    fault(stub, "hang", times=1)
    _problem(client.post("/v1/briefs", json={"text": article(9)}), 504)


def test_unknown_route_and_method_are_problems(client: Any) -> None:
    _problem(client.get("/v1/nothing"), 404)
    _problem(client.get("/v1/briefs"), 405)


def test_health_readiness_and_openapi(client: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"store": "ok", "model": "ok"}
    spec = client.get("/openapi.json").json()
    assert {"/v1/briefs", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/events"} <= set(spec["paths"])
    assert "text/markdown" in spec["paths"]["/v1/briefs"]["post"]["requestBody"]["content"]
    assert client.get("/docs").status_code == 200


def test_readyz_is_503_when_the_model_server_is_down(make_client: Any, stub: Any) -> None:
    from tests.service.support import free_port

    client = make_client(settings=model_settings(stub, api_base=f"http://127.0.0.1:{free_port()}/v1"))
    body = _problem(client.get("/readyz"), 503)
    assert "model" in body["detail"]


def test_metrics_count_requests_tokens_and_cache(client: Any) -> None:
    client.post("/v1/briefs", json={"text": article(10)})
    client.post("/v1/briefs", json={"text": article(10)})
    text = client.get("/metrics").text
    assert 'summarizer_http_requests_total{method="POST",route="/v1/briefs",status="200"} 2.0' in text
    assert 'summarizer_cache_lookups_total{result="hit"} 1.0' in text
    assert 'summarizer_briefs_total{outcome="briefed",via="request"} 1.0' in text
    prompt_tokens = next(
        line for line in text.splitlines() if line.startswith('summarizer_model_tokens_total{kind="prompt"}')
    )
    assert float(prompt_tokens.split()[-1]) > 0
    assert "summarizer_http_request_duration_seconds_bucket" in text
    assert "summarizer_queue_depth 0.0" in text
    assert 'summarizer_jobs{state="queued"}' in text


def test_request_id_is_echoed_and_logged_without_secrets(client: Any, caplog: Any) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="summarizer.access")
    response = client.post("/v1/briefs", json={"text": article(11)}, headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    line = json.loads(next(r.getMessage() for r in caplog.records if r.name == "summarizer.access"))
    assert line["request_id"] == "abc-123" and line["status"] == 200 and line["route"] == "/v1/briefs"
    assert line["cache"] == "miss" and line["duration_ms"] > 0
