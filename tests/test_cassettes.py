"""Cassettes are safe to publish: no keys, cookies or auth headers, and recording refuses them."""

from __future__ import annotations

import re

import pytest

from summarizer.testing.cassettes import (
    CASSETTE_DIR,
    SecretInCassetteError,
    _before_record_request,
    _before_record_response,
)

SECRET = re.compile(
    r"(?im)^\s*-?\s*(authorization|x-api-key|api-key|set-cookie|cookie|openai-organization|openai-project)\s*:"
    r"|sk-[A-Za-z0-9_-]{20,}|Bearer [A-Za-z0-9._-]{12,}"
)


def test_there_are_enough_recorded_cassettes():
    names = sorted(p.stem for p in CASSETTE_DIR.glob("*.yaml"))
    assert "seed" in names
    assert len([n for n in names if n.startswith("corpus-")]) >= 10


@pytest.mark.parametrize("path", sorted(CASSETTE_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_no_cassette_holds_a_secret(path):
    text = path.read_text()
    assert not SECRET.search(text), f"{path.name} holds a credential or auth header"


def _request(body: str, headers: dict[str, str]):
    from vcr.request import Request

    return Request("POST", "http://127.0.0.1:1/v1/chat/completions", body, headers)


def test_recording_scrubs_auth_headers():
    req = _before_record_request(
        _request(
            '{"a": 1}', {"Authorization": "Bearer xyz", "api-key": "k", "content-type": "application/json"}
        )
    )
    assert {k.lower() for k in req.headers} == {"content-type"}


def test_recording_refuses_a_secret_in_a_body(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnopqrstuvwxyz")
    with pytest.raises(SecretInCassetteError):
        _before_record_request(_request('{"note": "sk-test-abcdefghijklmnopqrstuvwxyz"}', {}))
    response = {
        "status": {"code": 200},
        "headers": {"set-cookie": ["a=b"]},
        "body": {"string": b'{"echo": "sk-test-abcdefghijklmnopqrstuvwxyz"}'},
    }
    with pytest.raises(SecretInCassetteError):
        _before_record_response(response)


def test_recording_drops_cookie_headers_and_pretty_prints_bodies():
    response = {
        "status": {"code": 200},
        "headers": {"Set-Cookie": ["a=b"], "openai-organization": ["org"], "server": ["x"]},
        "body": {"string": b'{"a":1}'},
    }
    out = _before_record_response(response)
    assert set(out["headers"]) == {"server"}
    assert out["body"]["string"] == b'{\n  "a": 1\n}'
