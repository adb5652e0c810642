"""vcrpy configuration for recorded model traffic: the pytest plugin, the project's tests and
its re-recording script all use ``make_vcr``.

Every model call is a POST to the same path, so requests match on method, path and the *parsed*
JSON body (key order and whitespace don't matter; host and port do not count, since the
embedded server picks a free port). Bodies are stored pretty-printed as YAML block text so a
person can read a cassette. Secrets are scrubbed from headers, and a cassette that would still
hold one is refused outright.

A streamed answer (``stream: true``) is recorded as the server sent it: its server-sent events,
one ``data:`` line per chunk, replayed as one body that the client reads as a stream.
``streamed_copy`` turns recorded plain answers into the same answers streamed, for tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import vcr
import yaml
from vcr.persisters.filesystem import FilesystemPersister

from summarizer.redact import _PATTERNS, secret_values

# The repository's own cassettes (in a checkout; an installed package has none).
CASSETTE_DIR = Path(__file__).resolve().parents[2] / "cassettes"
REQUEST_HEADERS_DROPPED = (
    "authorization",
    "api-key",
    "x-api-key",
    "cookie",
    "openai-organization",
    "openai-project",
)
RESPONSE_HEADERS_DROPPED = (
    "set-cookie",
    "openai-organization",
    "openai-project",
    "content-length",
    "content-encoding",
    "transfer-encoding",  # a recorded body is stored whole (a streamed one too)
    "x-request-id",
    "cf-ray",
    "date",
)


class SecretInCassetteError(RuntimeError):
    """Raised instead of writing a cassette that holds a credential."""


def json_body_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: the parsed JSON bodies must be equal (raw bytes as a fallback)."""
    b1, b2 = _parsed(r1.body), _parsed(r2.body)
    if b1 != b2:
        raise AssertionError("request bodies differ")


def _parsed(body: Any) -> Any:
    if body is None:
        return None
    raw = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else str(body)
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _pretty(body: Any) -> Any:
    parsed = _parsed(body)
    if isinstance(parsed, (dict, list)):
        return json.dumps(parsed, indent=2, ensure_ascii=False)
    return body


def assert_no_secret(text: str, where: str) -> None:
    hits = [v for v in secret_values() if v in text]
    hits += [m.group(0) for pattern, _ in _PATTERNS for m in pattern.finditer(text)]
    if hits:
        raise SecretInCassetteError(f"refusing to record {where}: it contains a credential")


def _before_record_request(request: Any) -> Any:
    for name in list(request.headers):
        if name.lower() in REQUEST_HEADERS_DROPPED:
            del request.headers[name]
    request.body = _pretty(request.body)
    body = request.body if isinstance(request.body, str) else (request.body or b"").decode("utf-8", "replace")
    assert_no_secret(body + json.dumps(dict(request.headers)) + request.uri, "a request")
    return request


def _before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in RESPONSE_HEADERS_DROPPED:
            del headers[name]
    body = response.get("body", {})
    if "string" in body:
        pretty = _pretty(body["string"])
        body["string"] = pretty.encode("utf-8") if isinstance(pretty, str) else pretty
        text = (
            body["string"].decode("utf-8", "replace")
            if isinstance(body["string"], bytes)
            else str(body["string"])
        )
        assert_no_secret(text + json.dumps(headers, default=str), "a response")
    return response


class _ReadableYaml:
    """vcrpy serializer: YAML with multi-line strings as literal blocks (readable diffs)."""

    @staticmethod
    def serialize(cassette_dict: dict[str, Any]) -> str:
        class Dumper(yaml.SafeDumper):
            pass

        def text(dumper: Any, data: str) -> Any:
            style = "|" if "\n" in data else None
            return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

        def binary(dumper: Any, data: bytes) -> Any:
            try:
                return text(dumper, data.decode("utf-8"))
            except UnicodeDecodeError:
                return dumper.represent_binary(data)

        Dumper.add_representer(str, text)
        Dumper.add_representer(bytes, binary)
        return str(yaml.dump(cassette_dict, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=100))

    @staticmethod
    def deserialize(cassette_string: str) -> dict[str, Any]:
        data = yaml.safe_load(cassette_string)
        for interaction in data.get("interactions", []):
            body = interaction["response"].get("body", {})
            if isinstance(body.get("string"), str):
                body["string"] = body["string"].encode("utf-8")
        return dict(data)


class _MergingPersister:
    """Replays several cassettes as one: their paths joined by ``os.pathsep``."""

    save_cassette = staticmethod(FilesystemPersister.save_cassette)

    @classmethod
    def load_cassette(cls, cassette_path: Any, serializer: Any) -> tuple[list[Any], list[Any]]:
        requests: list[Any] = []
        responses: list[Any] = []
        for path in str(cassette_path).split(os.pathsep):
            more_requests, more_responses = FilesystemPersister.load_cassette(path, serializer)
            requests += more_requests
            responses += more_responses
        return requests, responses


def make_vcr(record_mode: str = "none", cassette_dir: Path = CASSETTE_DIR) -> vcr.VCR:
    """A configured ``vcr.VCR``; ``record_mode='none'`` replays only and fails on anything new."""
    recorder = vcr.VCR(
        cassette_library_dir=str(cassette_dir),
        record_mode=record_mode,
        match_on=["method", "path", "json_body"],
        before_record_request=_before_record_request,
        before_record_response=_before_record_response,
        decode_compressed_response=True,
        serializer="readable_yaml",
        path_transformer=lambda p: p if p.endswith(".yaml") else p + ".yaml",
    )
    recorder.register_matcher("json_body", json_body_matcher)
    recorder.register_serializer("readable_yaml", _ReadableYaml)
    recorder.register_persister(_MergingPersister)
    return recorder


@contextmanager
def replaying(*names: str, cassette_dir: Path = CASSETTE_DIR) -> Iterator[Any]:
    """Replay one or more recorded cassettes (as one), failing on any unrecorded request."""
    files = [cassette_dir / (name if name.endswith(".yaml") else f"{name}.yaml") for name in names]
    paths = os.pathsep.join(str(path.resolve()) for path in files)
    with make_vcr("none", cassette_dir).use_cassette(paths, allow_playback_repeats=True) as cassette:
        yield cassette


def interactions(name: str, cassette_dir: Path = CASSETTE_DIR) -> list[dict[str, Any]]:
    """A cassette's recorded interactions as plain data."""
    return list(yaml.safe_load((cassette_dir / f"{name}.yaml").read_text(encoding="utf-8"))["interactions"])


def sse_body(completion: dict[str, Any], piece_chars: int = 6) -> str:
    """A chat completion as the server-sent events of the same answer streamed (OpenAI's and
    llama.cpp's chunk shape): the content in pieces, the finish reason, then the usage."""
    choice = completion["choices"][0]
    content = choice["message"].get("content") or ""
    base: dict[str, Any] = {k: completion[k] for k in ("id", "created", "model") if k in completion}
    base["object"] = "chat.completion.chunk"
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    chunks += [
        {**base, "choices": [{"index": 0, "delta": {"content": content[i : i + piece_chars]}}]}
        for i in range(0, len(content), piece_chars)
    ]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]})
    if completion.get("usage"):
        chunks.append({**base, "choices": [], "usage": completion["usage"]})
    return "".join(f"data: {json.dumps(c, ensure_ascii=False)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def streamed_copy(names: list[str], target: Path, cassette_dir: Path = CASSETTE_DIR) -> Path:
    """Write ``target``: the recorded interactions of ``names`` as the same requests with
    ``stream: true`` answered by the same answers streamed."""
    from summarizer.backends.streaming import STREAM_FIELDS

    out = []
    for name in names:
        for interaction in interactions(name, cassette_dir):
            request = dict(interaction["request"])
            body = json.loads(request["body"])
            request["body"] = json.dumps({**body, **STREAM_FIELDS}, indent=2, ensure_ascii=False)
            response = dict(interaction["response"])
            completion = json.loads(response["body"]["string"])
            response["body"] = {"string": sse_body(completion)}
            response["headers"] = {**response.get("headers", {}), "content-type": ["text/event-stream"]}
            out.append({"request": request, "response": response})
    target.write_text(_ReadableYaml.serialize({"version": 1, "interactions": out}), encoding="utf-8")
    return target
