"""A stub of OpenAI's Batch API on 127.0.0.1, beside the stub chat server, for tests and benchmarks.

It speaks the wire protocol litellm (and the OpenAI SDK under it) speaks:

    POST /v1/files                  multipart upload, purpose=batch
    GET  /v1/files/{id}             the file object
    GET  /v1/files/{id}/content     the file's bytes (request, output or error JSONL)
    POST /v1/batches                {input_file_id, endpoint, completion_window, metadata}
    GET  /v1/batches/{id}           status validating / in_progress / finalizing / completed /
                                    expired / cancelling / cancelled / failed, request_counts
    GET  /v1/batches                the list, newest first, paged (limit, after, has_more)
    POST /v1/batches/{id}/cancel

Every other request is the stub chat server's (``stub_server``): a live request gets the same
canned brief a batch line gets, with the same usage, so a batch run and a live run can be
compared output for output. Configurable: the simulated processing time, a batch that expires
part way (the rest in the error file as ``batch_expired``), lines answered with an error.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from summarizer.testing.stub_server import RunningStub, StubConfig, StubState, _Handler, _Server, brief_for

_CUSTOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_URL = "/v1/chat/completions"
MAX_LINES = 50_000
MAX_FILE_BYTES = 200_000_000


@dataclass
class BatchStubConfig:
    processing_s: float = 0.0  # from creation to the end of processing (the provider's wait)
    expire_after: float | None = None  # a share of lines (0.5): the batch expires with the rest undone
    error_lines: frozenset[int] = frozenset()  # line numbers (0-based, per batch) answered with HTTP 500
    not_schema_lines: frozenset[int] = frozenset()  # lines answered 200 with JSON that is not a brief
    items: int = 3
    seed: int = 0  # output lines come back shuffled, as the real API does not keep order
    unavailable: int = 0  # the first N status polls (GET /v1/batches/{id}) are answered 503


@dataclass
class _Batch:
    record: dict[str, Any]
    lines: list[dict[str, Any]]
    created: float
    outputs: list[str] = field(default_factory=list)  # output line per input line (None-free)
    ready: threading.Event = field(default_factory=threading.Event)
    cancelled_at: float | None = None


class BatchStubState:
    def __init__(self, config: BatchStubConfig) -> None:
        self.config = config
        self.lock = threading.RLock()  # a batch's end adds its files under the lock it holds
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.batches: dict[str, _Batch] = {}
        self.created = 0  # batches created
        self.uploads = 0
        self.cancels = 0
        self.polls = 0
        self.auth_headers: list[str] = []  # of batch and file requests

    def add_file(self, name: str, purpose: str, data: bytes) -> dict[str, Any]:
        with self.lock:
            file_id = f"file-stub{len(self.files):05d}"
            record = {
                "id": file_id,
                "object": "file",
                "bytes": len(data),
                "created_at": int(time.time()),
                "filename": name,
                "purpose": purpose,
                "status": "processed",
            }
            self.files[file_id] = (record, data)
            return record


def completion(body: dict[str, Any], items: int, content: str | None = None) -> dict[str, Any]:
    """The stub chat server's answer to ``body`` (its canned brief, or ``content``), as a batch
    output line carries it: the same content and usage a live request gets."""
    content = json.dumps(brief_for(body.get("messages", []), items)) if content is None else content
    prompt = sum(len(m.get("content") or "") for m in body.get("messages", [])) // 4
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "stub"),
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": len(content) // 4,
            "total_tokens": prompt + len(content) // 4,
        },
    }


def _process(state: BatchStubState, batch: _Batch) -> None:
    """Answer every line (in a thread: the provider's work, not the client's)."""
    config = state.config
    outputs = []
    for n, line in enumerate(batch.lines):
        if n in config.error_lines:
            response = {
                "status_code": 500,
                "request_id": f"req-{n}",
                "body": {"error": {"message": "stub server error", "type": "server_error"}},
            }
        else:
            # The stub chat server's "not-schema" fault, word for word.
            odd = json.dumps({"answer": "this is not a brief"}) if n in config.not_schema_lines else None
            answer = completion(line["body"], config.items, odd)
            response = {"status_code": 200, "request_id": f"req-{n}", "body": answer}
        outputs.append(
            json.dumps(
                {"id": f"batch_req_{n}", "custom_id": line["custom_id"], "response": response, "error": None}
            )
        )
    batch.outputs = outputs
    batch.ready.set()


def _error_line(n: int, line: dict[str, Any], code: str, message: str) -> str:
    error = {"code": code, "message": message}
    return json.dumps(
        {"id": f"batch_req_{n}", "custom_id": line["custom_id"], "response": None, "error": error}
    )


def _view(state: BatchStubState, batch: _Batch) -> dict[str, Any]:
    """The batch as it stands now; at its end its output and error files are made, once."""
    config, record = state.config, batch.record
    if record["status"] in {"completed", "expired", "cancelled", "failed"}:
        return record
    now = time.time()
    total = len(batch.lines)
    share = 1.0 if config.processing_s <= 0 else min(1.0, (now - batch.created) / config.processing_s)
    if batch.cancelled_at is not None:
        share = (
            min(1.0, (batch.cancelled_at - batch.created) / config.processing_s) if config.processing_s else 0
        )
        if record["status"] != "cancelling":
            record.update(status="cancelling", cancelling_at=int(now))
            return record
        return _finish(state, batch, int(total * share), "cancelled", "batch_cancelled")
    if config.expire_after is not None and share >= config.expire_after:
        return _finish(state, batch, int(total * config.expire_after), "expired", "batch_expired")
    if share < 1.0 or not batch.ready.is_set():
        record.update(status="in_progress", in_progress_at=record.get("in_progress_at") or int(now))
        done = int(total * share) if batch.ready.is_set() else 0
        record["request_counts"] = {"total": total, "completed": done, "failed": 0}
        return record
    return _finish(state, batch, total, "completed", "")


def _finish(state: BatchStubState, batch: _Batch, done: int, status: str, code: str) -> dict[str, Any]:
    batch.ready.wait()
    record = batch.record
    errors = [n for n in range(done) if n in state.config.error_lines]
    good = [batch.outputs[n] for n in range(done) if n not in state.config.error_lines]
    bad = [batch.outputs[n] for n in errors]
    message = {
        "batch_expired": "This request could not be executed before the completion window expired.",
        "batch_cancelled": "This request was not executed because the batch was cancelled.",
    }
    bad += [_error_line(n, batch.lines[n], code, message[code]) for n in range(done, len(batch.lines))]
    random.Random(state.config.seed).shuffle(good)
    for kind, lines in (("output_file_id", good), ("error_file_id", bad)):
        if lines:
            data = ("\n".join(lines) + "\n").encode()
            record[kind] = state.add_file(f"{record['id']}_{kind[:-8]}.jsonl", "batch_output", data)["id"]
    now = int(time.time())
    record.update(status=status, finalizing_at=now, **{f"{status}_at": now})
    record["request_counts"] = {"total": len(batch.lines), "completed": len(good), "failed": len(bad)}
    return record


class _BatchHandler(_Handler):
    server: _BatchServer

    def do_GET(self) -> None:
        batch_state = self.server.batch
        self._note()
        parts = self.path.split("?")[0].rstrip("/").split("/")[1:]  # ["v1", "batches", id]
        with batch_state.lock:
            if parts[1:2] == ["files"] and len(parts) >= 3 and parts[2] in batch_state.files:
                record, data = batch_state.files[parts[2]]
                if parts[3:] == ["content"]:
                    self._bytes(data)
                else:
                    self._json(200, record)
                return
            if parts[1:] == ["batches"]:  # newest first, a page of `limit` after the id `after`
                query = parse_qs(urlsplit(self.path).query)
                limit = int(query.get("limit", ["20"])[0])
                ids = list(reversed(batch_state.batches))
                after = query.get("after", [None])[0]
                start = ids.index(after) + 1 if after in ids else 0
                page = ids[start : start + limit]
                listed = [_view(batch_state, batch_state.batches[i]) for i in page]
                more = start + limit < len(ids)
                self._json(200, {"object": "list", "data": listed, "has_more": more})
                return
            if parts[1:2] == ["batches"] and len(parts) == 3 and parts[2] in batch_state.batches:
                batch_state.polls += 1
                if batch_state.polls <= batch_state.config.unavailable:
                    self._error(503, "stub: the batch service is unavailable")
                else:
                    self._json(200, _view(batch_state, batch_state.batches[parts[2]]))
                return
        self._error(404, f"no such object: {self.path}")

    def do_POST(self) -> None:
        parts = self.path.split("?")[0].rstrip("/").split("/")[1:]
        if parts[1:2] not in (["files"], ["batches"]):
            super().do_POST()  # a live chat request
            return
        self._note()
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        batch_state = self.server.batch
        if parts[1:] == ["files"]:
            fields = _multipart(raw, self.headers.get("content-type") or "")
            if fields.get("purpose", (None, b""))[1] != b"batch" or "file" not in fields:
                self._error(400, "expected a multipart upload with purpose=batch and a file")
                return
            name, data = fields["file"]
            with batch_state.lock:
                batch_state.uploads += 1
            self._json(200, batch_state.add_file(name or "upload.jsonl", "batch", data))
        elif parts[1:] == ["batches"]:
            self._create(json.loads(raw or b"{}"))
        elif len(parts) == 4 and parts[3] == "cancel" and parts[2] in batch_state.batches:
            with batch_state.lock:
                batch = batch_state.batches[parts[2]]
                batch_state.cancels += 1
                if batch.cancelled_at is None and batch.record["status"] not in {"completed", "expired"}:
                    batch.cancelled_at = time.time()
                self._json(200, _view(batch_state, batch))
        else:
            self._error(404, f"no such object: {self.path}")

    def _note(self) -> None:
        with self.server.batch.lock:
            self.server.batch.auth_headers.append(self.headers.get("authorization") or "")

    def _create(self, request: dict[str, Any]) -> None:
        batch_state = self.server.batch
        with batch_state.lock:
            found = batch_state.files.get(str(request.get("input_file_id")))
        if found is None or request.get("endpoint") != "/v1/chat/completions":
            self._error(400, "unknown input_file_id, or an endpoint other than /v1/chat/completions")
            return
        data = found[1]
        lines = [json.loads(text) for text in data.decode().splitlines() if text.strip()]
        ids = [line.get("custom_id", "") for line in lines]
        problem = (
            "too many requests in one file" if len(lines) > MAX_LINES
            else "file over 200 MB" if len(data) > MAX_FILE_BYTES
            else "invalid custom_id" if not all(isinstance(i, str) and _CUSTOM_ID.match(i) for i in ids)
            else "duplicate custom_id" if len(set(ids)) != len(ids)
            else "a line is not a POST to /v1/chat/completions"
            if any((line.get("method"), line.get("url")) != ("POST", _URL) for line in lines)
            else None
        )  # fmt: skip
        with batch_state.lock:
            batch_id = f"batch_stub{len(batch_state.batches):05d}"
            record: dict[str, Any] = {
                "id": batch_id,
                "object": "batch",
                "endpoint": request["endpoint"],
                "input_file_id": request["input_file_id"],
                "completion_window": request.get("completion_window", "24h"),
                "status": "validating",
                "created_at": int(time.time()),
                "expires_at": int(time.time()) + 86400,
                "metadata": request.get("metadata"),
                "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            }
            if problem:
                record.update(
                    status="failed",
                    failed_at=int(time.time()),
                    errors={"object": "list", "data": [{"code": "invalid_request", "message": problem}]},
                )
            batch = _Batch(record, lines, time.time())
            batch_state.batches[batch_id] = batch
            batch_state.created += 1
        if not problem:
            threading.Thread(target=_process, args=(batch_state, batch), daemon=True).start()
        self._json(200, record)

    def _bytes(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/octet-stream")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _multipart(raw: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """name -> (filename, value) of a multipart/form-data body."""
    match = re.search(r"boundary=\"?([^\";]+)\"?", content_type)
    if not match:
        return {}
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in raw.split(b"--" + match.group(1).encode())[1:-1]:
        head, _, value = part.partition(b"\r\n\r\n")
        disposition = head.decode("utf-8", "replace")
        name = re.search(r'name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if name:
            fields[name.group(1)] = (filename.group(1) if filename else None, value.removesuffix(b"\r\n"))
    return fields


class _BatchServer(_Server):
    def __init__(self, state: StubState, batch: BatchStubState) -> None:
        super().__init__(state)
        self.RequestHandlerClass = _BatchHandler
        self.batch = batch


@dataclass
class RunningBatchStub(RunningStub):
    batch: BatchStubState = field(default_factory=lambda: BatchStubState(BatchStubConfig()))


@contextmanager
def batch_stub(
    config: BatchStubConfig | None = None, chat: StubConfig | None = None
) -> Iterator[RunningBatchStub]:
    """Serve the Batch API and the chat API on a free 127.0.0.1 port for the ``with`` block."""
    batch = BatchStubState(config or BatchStubConfig())
    server = _BatchServer(StubState(chat or StubConfig()), batch)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield RunningBatchStub(f"http://{host!s}:{port}", server.state, batch)
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """``python -m summarizer.testing.batch_stub --processing 60``: serve until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processing", type=float, default=5.0, help="seconds a batch takes")
    parser.add_argument(
        "--expire-after", type=float, default=None, help="share of lines done when it expires"
    )
    args = parser.parse_args()
    with batch_stub(BatchStubConfig(processing_s=args.processing, expire_after=args.expire_after)) as stub:
        print(f"batch stub at {stub.api_base}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
