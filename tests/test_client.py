"""Transport retries vs re-asks, against a fault-injecting OpenAI-compatible stub on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest

from summarizer import summarize
from summarizer.batch import RunOptions, run_sync
from summarizer.errors import (
    ArticleRejectedError,
    ConfigurationError,
    InvalidResponseError,
    ModelUnavailableError,
)
from summarizer.settings import Settings
from summarizer.testing.stub_server import StubConfig, stub_server

ARTICLE = (
    "The council voted on Tuesday to close the old library. Mayor Ana Ruiz said the building was unsafe. "
    "Residents warned that children would lose their only study space."
)
KEY = "sk-test-SECRETSECRETSECRET0123456789"


def _settings(stub, **kw):
    base = dict(model="openai/stub", api_base=stub.api_base, api_key=KEY, timeout=2, retry_max_wait=0.05)
    return Settings(**{**base, "max_attempts": 4, **kw})


@pytest.mark.parametrize(
    "fault", ["429", "429-no-retry-after", "500", "502", "503", "reset", "truncated", "hang"]
)
def test_transient_faults_are_retried_and_counted(fault):
    with stub_server(StubConfig(script=[fault, "ok"], hang_seconds=5)) as stub:
        brief = summarize(ARTICLE, settings=_settings(stub, timeout=1))
    assert stub.state.requests == 2
    assert brief.metadata.attempts == 2
    assert brief.items >= 1


def test_retry_after_is_honoured():
    with stub_server(StubConfig(script=["429", "ok"], retry_after=0.6)) as stub:
        summarize(ARTICLE, settings=_settings(stub))  # warm imports so timing is the wait
    with stub_server(StubConfig(script=["429", "ok"], retry_after=0.6)) as stub:
        started = time.perf_counter()
        summarize(ARTICLE, settings=_settings(stub, retry_max_wait=5))
        assert time.perf_counter() - started >= 0.6


def test_transient_faults_stop_at_the_attempt_bound():
    with stub_server(StubConfig(script=["503"] * 10)) as stub:
        with pytest.raises(ModelUnavailableError, match="after 3 attempt"):
            summarize(ARTICLE, settings=_settings(stub, max_attempts=3))
    assert stub.state.requests == 3


def test_transient_faults_stop_at_the_time_bound():
    with stub_server(StubConfig(script=["503"] * 50, latency=0.2)) as stub:
        started = time.perf_counter()
        with pytest.raises(ModelUnavailableError):
            summarize(ARTICLE, settings=_settings(stub, max_attempts=50, retry_total=0.5))
    assert time.perf_counter() - started < 3
    assert stub.state.requests < 10


@pytest.mark.parametrize("status,setting", [("401", "API_KEY"), ("400", "SUMMARIZER_MODEL")])
def test_auth_and_bad_request_fail_at_once_naming_the_setting(status, setting):
    with stub_server(StubConfig(script=[status] * 5)) as stub:
        with pytest.raises(ConfigurationError) as info:
            summarize(ARTICLE, settings=_settings(stub))
    assert stub.state.requests == 1, "no retry on 400/401"
    assert setting in str(info.value)
    assert KEY not in str(info.value)


@pytest.mark.parametrize("fault", ["not-schema", "empty-choices"])
def test_invalid_answers_are_reasked_not_retried_blindly(fault):
    with stub_server(StubConfig(script=[fault, "ok"])) as stub:
        brief = summarize(ARTICLE, settings=_settings(stub, reasks=1))
    assert brief.metadata.attempts == 2
    # The re-ask carries the validation problem back to the model; a 429 never would.
    if fault == "not-schema":
        assert len(stub.state.bodies[1]["messages"]) > len(stub.state.bodies[0]["messages"])


def test_invalid_answers_fail_clearly_after_the_reasks():
    with stub_server(StubConfig(script=["not-schema"] * 5)) as stub:
        with pytest.raises(InvalidResponseError, match="no valid brief after 2"):
            summarize(ARTICLE, settings=_settings(stub, reasks=1))


def test_an_answer_citing_no_real_sentence_is_re_asked_with_the_problem():
    with stub_server(StubConfig(script=["ungrounded", "ok"])) as stub:
        brief = summarize(ARTICLE, settings=_settings(stub, reasks=1, constrain_evidence=False))
    assert brief.metadata.attempts == 2 and brief.key_developments
    assert "do not exist" in stub.state.bodies[1]["messages"][-1]["content"]


def test_an_answer_that_stays_unusable_is_an_error_not_a_brief():
    with stub_server(StubConfig(script=["ungrounded", "ungrounded"])) as stub:
        with pytest.raises(InvalidResponseError, match="do not exist"):
            summarize(ARTICLE, settings=_settings(stub, reasks=1, constrain_evidence=False))


def test_usage_counts_every_attempt_including_failed_ones():
    with stub_server(StubConfig(script=["not-schema", "ok"])) as stub:
        brief = summarize(ARTICLE, settings=_settings(stub, reasks=1))
    # The stub bills prompt chars // 4 and completion chars // 4 for each answer it gives.
    bodies = stub.state.bodies
    assert brief.metadata.usage.prompt_tokens == sum(
        sum(len(m.get("content") or "") for m in b["messages"]) // 4 for b in bodies
    )


def test_the_key_reaches_the_server_but_no_output():
    with stub_server(StubConfig()) as stub:
        brief = summarize(ARTICLE, settings=_settings(stub))
    assert stub.state.auth_headers[0] == f"Bearer {KEY}"
    assert KEY not in brief.model_dump_json()


# -- failures that look transient, or fatal, and are neither ---------------------------------------


BACKENDS = pytest.mark.parametrize("model", ["openai/stub", "hosted_vllm/stub"])  # SDK, litellm


@BACKENDS
@pytest.mark.parametrize(
    "fault,words", [("context-length", "context window"), ("content-filter", "content filter")]
)
def test_a_400_about_the_articles_content_is_that_articles_error(fault, words, model):
    with stub_server(StubConfig(script=[fault] * 5)) as stub:
        with pytest.raises(ArticleRejectedError, match=words) as info:
            summarize(ARTICLE, settings=_settings(stub, model=model))
    assert stub.state.requests == 1, "the same article would be refused again"
    assert not isinstance(info.value, ConfigurationError)
    if fault == "context-length":
        assert "SUMMARIZER_CONTEXT_TOKENS" in str(info.value)


@BACKENDS
def test_insufficient_quota_is_not_retried_and_says_so(model):
    with stub_server(StubConfig(script=["insufficient-quota"] * 5)) as stub:
        with pytest.raises(ConfigurationError, match="insufficient_quota") as info:
            summarize(ARTICLE, settings=_settings(stub, model=model, max_attempts=5))
    assert stub.state.requests == 1
    assert "credit" in str(info.value)


def test_a_run_goes_on_past_an_article_the_model_refuses(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (src / name).write_text(f"{name} opens the story. " + ARTICLE)
    out = tmp_path / "out"
    with stub_server(StubConfig(script=["context-length"])) as stub:
        code = run_sync(RunOptions(paths=[str(src)], out=out, concurrency=1, quiet=True), _settings(stub))
    assert code == 1
    (error,) = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert error["kind"] == "input" and "context window" in error["reason"]
    assert len((out / "briefs.jsonl").read_text().splitlines()) == 2
