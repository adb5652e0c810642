"""A stub OpenAI-compatible chat server on 127.0.0.1, for benchmarks and fault injection.

It is *not* a model: it answers ``/v1/chat/completions`` after a fixed latency with a
schema-valid brief built from the article in the request (verbatim sentences as evidence, so
grounding passes), or with a fault chosen by a seeded random draw or a fixed script:

    429 / 429-no-retry-after / 500 / 502 / 503 / 401 / 400   HTTP errors
    reset        the connection is closed without an answer
    hang         the answer never comes (until ``hang_seconds``)
    truncated    half a JSON body, then the connection closes
    not-schema   valid JSON that is not a brief
    empty-choices  ``"choices": []``
    context-length   400 as llama.cpp words it when the prompt exceeds the context
    content-filter   400 as OpenAI words a content-filter refusal
    insufficient-quota  429 as OpenAI words an account out of credit (not transient)
    ungrounded   a brief whose evidence is not in the article
    stream-cut   (a streamed request) half the answer's chunks, then the connection closes

Real model traffic is recorded from the real server; this is for the cases a real server will
not produce on demand, and for load.
"""

from __future__ import annotations

import json
import random
import re
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from summarizer.brief.draft import SUMMARY_SENTENCE_CHARS
from summarizer.settings import Settings

# Faults a run survives (retried, re-asked or recorded per article), then the ones that stop it.
RECOVERABLE_FAULTS = (
    "429",
    "429-no-retry-after",
    "500",
    "502",
    "503",
    "reset",
    "hang",
    "truncated",
    "not-schema",
    "empty-choices",
    "ungrounded",
)
FAULTS = (*RECOVERABLE_FAULTS, "401", "400", "context-length", "content-filter", "insufficient-quota")
_ARTICLE = re.compile(r"<article>\n(.*)\n</article>", re.S)


@dataclass
class StubConfig:
    latency: float = 0.0
    fault_rate: float = 0.0  # share of requests that get a fault drawn from ``faults``
    faults: tuple[str, ...] = (
        "429",
        "500",
        "502",
        "503",
        "reset",
        "truncated",
        "not-schema",
        "empty-choices",
    )
    script: list[str] = field(default_factory=list)  # if set: the i-th request gets script[i] ("ok" = normal)
    seed: int = 0
    retry_after: float = 0.05
    hang_seconds: float = 30.0
    items: int = 3  # developments per brief
    # A request with ``"stream": true`` is answered as server-sent events (as llama.cpp and OpenAI
    # do): the answer in pieces of ``chunk_chars`` characters, one every ``chunk_delay`` seconds
    # after ``latency`` (the prompt), then a usage chunk and ``[DONE]``. A plain request for the
    # same answer takes as long (``chunk_delay`` a piece), then gets it whole.
    chunk_chars: int = 8
    chunk_delay: float = 0.0
    # Tests: a streamed answer stops after this many pieces until ``state.release`` is set (at most
    # 30 s), so "the client had this before the model finished" is certain, not a race; a client
    # that hangs up meanwhile is noticed at once (as llama.cpp notices it and stops writing).
    hold_after: int | None = None


class StubState:
    def __init__(self, config: StubConfig):
        self.config = config
        self.lock = threading.Lock()
        self.random = random.Random(config.seed)
        self.requests = 0
        self.outcomes: Counter[str] = Counter()
        self.bodies: list[dict[str, Any]] = []
        self.auth_headers: list[str] = []
        self.headers: list[dict[str, str]] = []  # every request's headers, names lower-cased
        self.times: list[float] = []  # time.monotonic() when each request arrived
        self.streams_started = 0  # streamed answers begun
        self.streams_finished = 0  # streamed answers sent to the end
        self.streams_abandoned = 0  # streamed answers the client hung up on before the end
        self.abandoned = threading.Event()  # set at the first abandoned stream
        self.release = threading.Event()  # lets a held stream go on (``StubConfig.hold_after``)

    def next_outcome(self) -> str:
        with self.lock:
            n = self.requests
            self.requests += 1
            if self.config.script:
                outcome = self.config.script[n] if n < len(self.config.script) else "ok"
            elif self.config.fault_rate and self.random.random() < self.config.fault_rate:
                outcome = self.random.choice(self.config.faults)
            else:
                outcome = "ok"
            self.outcomes[outcome] += 1
            return outcome


# Provider errors as real servers word them (llama.cpp's server; OpenAI's API reference).
_WORDED: dict[str, tuple[int, dict[str, Any]]] = {
    "context-length": (
        400,
        {
            "code": 400,
            "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error",
        },
    ),
    "content-filter": (
        400,
        {
            "message": "The response was filtered due to the prompt triggering content management policy.",
            "type": "invalid_request_error",
            "code": "content_filter",
        },
    ),
    "insufficient-quota": (
        429,
        {
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "type": "insufficient_quota",
            "code": "insufficient_quota",
        },
    ),
}

_NUMBERED = re.compile(r"^\[(\d+)\] (.*)$", re.M)
_REPAIR_ITEM = re.compile(r"^\d+\. Sentence: ", re.M)


def brief_for(messages: list[dict[str, Any]], items: int, grounded: bool = True) -> dict[str, Any]:
    """A schema-valid draft of the numbered article in ``messages`` (or a summary repair).

    It answers the way the prompt asks: developments and summary sentences cite sentence
    numbers. ``grounded=False`` cites sentences that do not exist, which the validator rejects.
    """
    content = next((msg.get("content") or "" for msg in messages if msg.get("role") == "user"), "")
    match = _ARTICLE.search(content)
    if not match:  # a repair request: one rewritten sentence per numbered item
        repaired = [{"text": "The article reports this."} for _ in _REPAIR_ITEM.finditer(content)]
        return {"sentences": repaired or [{"text": "x"}]}
    numbered = [(int(n), text) for n, text in _NUMBERED.findall(match.group(1))]
    numbers = [n for n, _ in numbered] or [1]
    if not grounded:
        numbers = [9000 + n for n in numbers]
    title = re.search(r"^Title: (.*)$", match.group(1), re.M)
    first = title.group(1) if title else numbered[0][1] if numbered else "The article."
    fitting = [(n, text) for n, text in numbered if len(text) <= SUMMARY_SENTENCE_CHARS]
    summary = [{"text": text, "support": [n]} for n, text in fitting[:2]]
    return {
        "developments": [
            {"sentence": n, "what": f"Development {i + 1}."} for i, n in enumerate(numbers[:items])
        ],
        "summary": summary or [{"text": first[:SUMMARY_SENTENCE_CHARS], "support": [numbers[0]]}],
        "headline": first[:120],
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # The handler writes status, headers and body in separate sends; with Nagle's algorithm on,
    # the client's delayed ACK held every answer ~40 ms (measured: 45 ms a request at zero
    # latency, 1.7 ms without), which the benchmark counted as the model's latency.
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        with state.lock:
            state.bodies.append(body)
            state.auth_headers.append(self.headers.get("authorization") or "")
            state.headers.append({k.lower(): v for k, v in self.headers.items()})
            state.times.append(time.monotonic())
        outcome = state.next_outcome()
        if state.config.latency:
            time.sleep(state.config.latency)
        self._answer(outcome, body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"error": {"message": message, "type": "stub_error", "code": status}}, headers)

    def _completion(self, content: str | None, body: dict[str, Any], choices: bool = True) -> dict[str, Any]:
        prompt_chars = sum(len(m.get("content") or "") for m in body.get("messages", []))
        return {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "stub"),
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
            ]
            if choices
            else [],
            "usage": {
                "prompt_tokens": prompt_chars // 4,
                "completion_tokens": len(content or "") // 4,
                "total_tokens": prompt_chars // 4 + len(content or "") // 4,
            },
        }

    def _answer(self, outcome: str, body: dict[str, Any]) -> None:
        config = self.server.state.config
        messages = body.get("messages", [])
        if outcome == "429":
            self._error(429, "rate limited", {"retry-after": f"{config.retry_after}"})
        elif outcome == "429-no-retry-after":
            self._error(429, "rate limited")
        elif outcome in {"500", "502", "503", "401", "400"}:
            self._error(int(outcome), f"stub fault {outcome}")
        elif outcome in _WORDED:
            status, error = _WORDED[outcome]
            self._json(status, {"error": error})
        elif outcome == "reset":
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.connection.close()
            self.close_connection = True
        elif outcome == "hang":
            time.sleep(config.hang_seconds)
            self.close_connection = True
        elif outcome == "truncated":
            data = json.dumps(self._completion(json.dumps(brief_for(messages, config.items)), body)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif outcome == "not-schema":
            self._json(200, self._completion(json.dumps({"answer": "this is not a brief"}), body))
        elif outcome == "empty-choices":
            self._json(200, self._completion(None, body, choices=False))
        elif outcome == "ungrounded":
            self._json(
                200, self._completion(json.dumps(brief_for(messages, config.items, grounded=False)), body)
            )
        elif body.get("stream"):
            self._stream(json.dumps(brief_for(messages, config.items)), body, cut=outcome == "stream-cut")
        else:
            content = json.dumps(brief_for(messages, config.items))
            if config.chunk_delay:  # written as slowly as a streamed answer, then sent whole
                time.sleep(config.chunk_delay * -(-len(content) // config.chunk_chars))
            self._json(200, self._completion(content, body))

    def _stream(self, content: str, body: dict[str, Any], cut: bool = False) -> None:
        """The answer as server-sent events, piece by piece; a client that hangs up is counted."""
        state, config = self.server.state, self.server.state.config
        completion = self._completion(content, body)
        base = {k: completion[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
        pieces = [content[i : i + config.chunk_chars] for i in range(0, len(content), config.chunk_chars)]
        chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
        chunks += [{**base, "choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": completion["usage"]})
        with state.lock:
            state.streams_started += 1
        try:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            began = time.monotonic()
            for i, chunk in enumerate(chunks):
                if cut and i == len(chunks) // 2:
                    self.close_connection = True
                    return
                if config.hold_after is not None and i == config.hold_after + 1:
                    held = time.monotonic()
                    while not state.release.wait(0.02) and time.monotonic() - held < 30:
                        if self._peer_gone():  # the client left while the answer was held
                            raise ConnectionResetError("the client closed the connection")
                    if self._peer_gone():
                        raise ConnectionResetError("the client closed the connection")
                if config.chunk_delay and 1 <= i <= len(pieces):  # piece i of the answer
                    # On a fixed clock (piece i at i delays), as a model writes: late wake-ups of
                    # a loaded machine do not add up over hundreds of pieces.
                    time.sleep(max(0.0, began + i * config.chunk_delay - time.monotonic()))
                self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")
        except OSError:  # the client hung up: a cancelled call
            with state.lock:
                state.streams_abandoned += 1
            state.abandoned.set()
            self.close_connection = True
            return
        with state.lock:
            state.streams_finished += 1

    def _peer_gone(self) -> bool:
        """Whether the client has closed its end (readable, and nothing to read: EOF)."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        try:
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, state: StubState):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@dataclass
class RunningStub:
    base_url: str
    state: StubState

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1"

    def settings(self, **overrides: Any) -> Settings:
        """Settings that send every request here, with short timeouts and retry waits."""
        values: dict[str, Any] = dict(
            model="openai/stub",
            api_base=self.api_base,
            api_key="stub-key-0000",
            timeout=2,
            retry_max_wait=0.05,
        )
        return Settings(**{**values, **overrides})


@contextmanager
def stub_server(config: StubConfig | None = None) -> Iterator[RunningStub]:
    """Serve on a free 127.0.0.1 port for the duration of the ``with`` block."""
    state = StubState(config or StubConfig())
    server = _Server(state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield RunningStub(f"http://{host!s}:{port}", state)
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """``python -m summarizer.testing.stub_server --latency 0.3 --fault-rate 0.2``: serve until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between streamed pieces")
    args = parser.parse_args()
    config = StubConfig(
        latency=args.latency, fault_rate=args.fault_rate, seed=args.seed, chunk_delay=args.chunk_delay
    )
    with stub_server(config) as stub:
        print(f"stub server at {stub.api_base}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
