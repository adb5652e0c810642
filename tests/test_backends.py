"""Backends: what goes over the wire to which server, captured by a stub on 127.0.0.1.

- The OpenAI SDK backend sends the very body litellm sends (the cassettes were recorded through
  litellm and match on the body).
- A server at SUMMARIZER_API_BASE gets SUMMARIZER_API_KEY or nothing: no provider key, no
  OpenAI organisation or project from the environment.
- A hosted OpenAI model gets a strict response format that keeps OpenAI's documented rules; a
  grammar server gets the per-article schema unchanged.
- --rpm counts requests (re-asks included), across concurrent articles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from summarizer import summarize
from summarizer.backends import client
from summarizer.backends.base import Endpoint
from summarizer.backends.litellm import LiteLLMBackend
from summarizer.backends.strict import UNSUPPORTED, strict_schema
from summarizer.batch import RunOptions, run_sync
from summarizer.brief import net
from summarizer.brief.draft import BriefDraft, Plan, response_schema
from summarizer.brief.sentences import split
from summarizer.errors import InvalidResponseError
from summarizer.settings import Settings
from summarizer.testing.stub_server import StubConfig, stub_server
from tests.helpers import ROOT

SEED = (ROOT / "seeds" / "000_aeb030d6c15efacd.txt").read_text(encoding="utf-8")
PROVIDER_SECRETS = {
    "OPENAI_API_KEY": "sk-proj-PROVIDERKEY-0123456789",
    "HOSTED_VLLM_API_KEY": "vllm-PROVIDERKEY-0123456789",
    "OPENAI_ORG_ID": "org-PROVIDERORG0123",
    "OPENAI_PROJECT_ID": "proj_PROVIDERPROJECT0123",
    "OPENAI_ADMIN_KEY": "sk-admin-PROVIDERADMIN0123",
}


def _bodies(monkeypatch: pytest.MonkeyPatch, via_litellm: bool, mode: str) -> list[dict[str, Any]]:
    monkeypatch.setattr(client, "backend_for", LiteLLMBackend if via_litellm else client.backend_for)
    client._backend.cache_clear()
    try:
        with stub_server(StubConfig(script=["not-schema", "ok"])) as stub:
            try:
                summarize(SEED, settings=stub.settings(mode=mode, reasks=1, max_attempts=1))
            except Exception:  # tools mode: the stub answers in content, not tool calls
                assert mode == "tools"
            return stub.state.bodies
    finally:
        client._backend.cache_clear()


@pytest.mark.parametrize("mode", ["json_schema", "tools", "json"])
def test_the_sdk_backend_sends_exactly_the_body_litellm_sends(monkeypatch, mode):
    through_litellm = _bodies(monkeypatch, True, mode)
    monkeypatch.undo()
    through_sdk = _bodies(monkeypatch, False, mode)
    assert len(through_sdk) == len(through_litellm) == 2  # the answer and its re-ask
    assert through_sdk == through_litellm
    assert through_sdk[0]["model"] == "stub"  # "openai/stub" loses its prefix, as with litellm


def test_a_server_of_your_own_is_reached_without_litellm(monkeypatch):
    endpoint = Endpoint("openai/stub", "http://127.0.0.1:9/v1")
    assert type(client._backend(endpoint)).__name__ == "OpenAICompatBackend"
    assert type(client._backend(Endpoint("gpt-4o-mini"))).__name__ == "LiteLLMBackend"


@pytest.mark.parametrize("model", ["openai/stub", "hosted_vllm/stub"])
def test_a_custom_base_never_gets_a_provider_key_or_openai_identity(monkeypatch, model):
    for name, value in PROVIDER_SECRETS.items():
        monkeypatch.setenv(name, value)
    with stub_server() as stub:
        summarize(SEED, settings=Settings(model=model, api_base=stub.api_base, timeout=5))
    assert stub.state.headers, "no request reached the stub: the test would prove nothing"
    for headers in stub.state.headers:
        assert headers.get("authorization", "") in ("", "Bearer no-key")
        assert not [v for v in PROVIDER_SECRETS.values() if v in str(headers)]


@pytest.mark.parametrize("model", ["openai/stub", "hosted_vllm/stub"])
def test_a_custom_base_gets_summarizer_api_key_and_only_that(monkeypatch, model):
    for name, value in PROVIDER_SECRETS.items():
        monkeypatch.setenv(name, value)
    with stub_server() as stub:
        summarize(
            SEED, settings=Settings(model=model, api_base=stub.api_base, api_key="own-key-0000", timeout=5)
        )
    assert set(stub.state.auth_headers) == {"Bearer own-key-0000"}


def test_the_article_reaches_the_model_verbatim_even_when_it_looks_like_a_template():
    """instructor renders messages as Jinja templates when it is given a validation context; the
    context must reach the validators without the article being run as template code."""
    text = "The fee is {{ 7*7 }} euros, {# not a comment #} said the mayor. The {% if vote %} passed."
    with stub_server(StubConfig(script=["ungrounded", "ok"])) as stub:
        brief = summarize(text, settings=stub.settings(reasks=1, constrain_evidence=False))
    sent = stub.state.bodies[0]["messages"][1]["content"]
    assert "{{ 7*7 }} euros, {# not a comment #}" in sent and "{% if vote %}" in sent
    # ... and the validators still held the answer to the plan: the ungrounded one was re-asked.
    assert brief.metadata.attempts == 2


# -- strict structured outputs -----------------------------------------------------------------


def _strict_violations(schema: dict[str, Any]) -> list[str]:
    """Where ``schema`` breaks OpenAI's documented rules for strict structured outputs."""
    problems: list[str] = []
    properties = 0

    def walk(node: Any, path: str, depth: int) -> None:
        nonlocal properties
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{path}[{i}]", depth)
            return
        if not isinstance(node, dict):
            return
        for key in (*UNSUPPORTED, "allOf", "oneOf", "not", "if", "then", "else", "default"):
            if key in node:
                problems.append(f"{path}: {key} is not supported")
        if "$ref" in node and len(node) > 1:
            problems.append(f"{path}: $ref with sibling keywords")
        if node.get("type") == "object":
            props = node.get("properties", {})
            properties += len(props)
            if node.get("additionalProperties") is not False:
                problems.append(f"{path}: additionalProperties must be false")
            if sorted(node.get("required", [])) != sorted(props):
                problems.append(f"{path}: every property must be required")
        if depth > 10:
            problems.append(f"{path}: nested deeper than 10 levels")
        for key, child in node.items():
            if key in ("properties", "$defs") and isinstance(child, dict):
                for name, sub in child.items():
                    walk(sub, f"{path}.{key}.{name}", depth + (key == "properties"))
            elif key in ("items", "anyOf", "prefixItems"):
                walk(child, f"{path}.{key}", depth)

    if schema.get("type") != "object":
        problems.append("the root must be an object")
    walk(schema, "$", 0)
    if properties > 5000:
        problems.append("more than 5000 properties")
    return problems


def test_the_drafts_own_schema_breaks_the_strict_rules_that_the_conversion_keeps():
    raw = BriefDraft.model_json_schema()
    assert _strict_violations(raw), "the checker must catch the non-strict schema"
    assert _strict_violations(strict_schema(raw)) == []
    assert raw == BriefDraft.model_json_schema(), "the conversion must not touch its input"


def test_a_hosted_openai_model_gets_a_strict_response_format(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-strict-000000000000")
    with stub_server() as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.api_base)  # litellm's own OpenAI address
        brief = summarize(SEED, settings=Settings(model="gpt-4o-mini", timeout=5))
    body = stub.state.bodies[0]
    assert body["model"] == "gpt-4o-mini" and brief.key_developments
    spec = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema" and spec["strict"] is True
    assert spec["name"] == "BriefDraft"
    assert _strict_violations(spec["schema"]) == []
    # The length limits strict mode cannot take are still said to the model.
    what = spec["schema"]["$defs"]["DevelopmentDraft"]["properties"]["what"]
    assert "at most 140 characters" in what["description"]


def test_tools_mode_gets_a_strict_function(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-strict-000000000000")
    with stub_server() as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.api_base)
        with pytest.raises(InvalidResponseError):  # the stub answers in content, not a tool call
            summarize(SEED, settings=Settings(model="gpt-4o-mini", mode="tools", reasks=0, timeout=5))
    (tool,) = stub.state.bodies[0]["tools"]
    assert tool["function"]["strict"] is True
    assert _strict_violations(tool["function"]["parameters"]) == []


@pytest.mark.parametrize("model", ["anthropic/claude-3-5-haiku-latest", "gpt-3.5-turbo"])
def test_providers_without_strict_outputs_are_not_sent_strict(model):
    assert not client.resolve_endpoint(Settings(model=model)).strict


def test_a_grammar_server_gets_the_per_article_schema_unchanged():
    with stub_server() as stub:
        summarize(SEED, settings=stub.settings())
    sentences = split(SEED)
    expected = response_schema(Plan.of(sentences, net.find(sentences), set()))
    spec = stub.state.bodies[0]["response_format"]["json_schema"]
    assert "strict" not in spec
    assert spec["schema"] == expected


# -- rate limits count requests ------------------------------------------------------------------


def test_rpm_spaces_every_request_including_re_asks():
    with stub_server(StubConfig(script=["ok", "not-schema", "ok"])) as stub:
        summarize(SEED, settings=stub.settings())  # warm: the first request opens the connection
        summarize(SEED, settings=stub.settings(rpm=200, reasks=1))  # one request per 0.3 s
    assert stub.state.requests == 3
    first, reask = stub.state.times[1:]
    assert reask - first >= 0.25


def test_rpm_of_a_run_is_shared_by_concurrent_articles_and_counts_their_re_asks(tmp_path: Path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        (src / f"a{i}.txt").write_text(f"Article {i}. " + SEED[:1500])
    with stub_server(StubConfig(script=["not-schema"] * 3)) as stub:
        code = run_sync(
            RunOptions(paths=[str(src)], out=tmp_path / "out", concurrency=3, rpm=120, quiet=True),
            stub.settings(reasks=1),
        )
    assert code == 0 and stub.state.requests == 6  # three articles, each answered twice
    # Six requests at one per 0.5 s span at least 2.5 s from the first *sent*; the first one
    # also opens the connection, so allow it one compressed gap. Counting articles, the
    # re-asks would go at once: about 1 s in all.
    times = sorted(stub.state.times)
    assert times[-1] - times[0] >= 2.0
