"""The bounded queue's door: ``POST /v1/briefs`` past the limit gets 429 before any other work.

An ASGI middleware, so a refusal costs no routing, body parsing or cache lookup. The body is
received first (within ``SUMMARIZER_SERVER_BODY_TIMEOUT_S``, else 408), holding no place: the
places are for requests ready to be briefed, and slow uploads must not take them all.
(Measured with the check inside the endpoint: 429s took 57 ms at the median, 65 ms at most.)
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from summarizer.service.briefing import Briefer, QueueFull
from summarizer.service.problems import MEDIA_TYPE

GATED = ("POST", "/v1/briefs")


class Admission:
    def __init__(
        self, app: Any, briefer: Briefer, max_body_bytes: int = 5_000_000, body_timeout_s: float = 30.0
    ):
        self.app = app
        self.briefer = briefer
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (scope.get("method"), scope.get("path")) != GATED:
            await self.app(scope, receive, send)
            return
        # The body first, holding no place: a slow upload must not keep a model slot or a
        # place in the queue from everyone else (80 slow uploads would make every request 429).
        try:
            received = await asyncio.wait_for(self._read(receive), self.body_timeout_s)
        except asyncio.TimeoutError:
            await _problem(scope, send, 408, "Request timeout", (
                f"the body did not arrive within {self.body_timeout_s:g} s "
                "(SUMMARIZER_SERVER_BODY_TIMEOUT_S)"
            ), [(b"connection", b"close")])  # fmt: skip
            return
        try:
            place = self.briefer.admit()
        except QueueFull as exc:
            await _refuse(scope, send, exc)
            return
        with place:
            await asyncio.sleep(0)  # let requests that arrived with this one be refused first
            await self.app(scope, _replay(received, receive), send)

    async def _read(self, receive: Any) -> list[dict[str, Any]]:
        """The request's messages up to the end of its body, or past the body limit (the route
        answers 413 for those, reading on from ``receive``)."""
        messages: list[dict[str, Any]] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if not message.get("more_body", False) or size > self.max_body_bytes:
                return messages


def _replay(messages: list[dict[str, Any]], receive: Any) -> Any:
    pending = list(messages)

    async def replayed() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        message: dict[str, Any] = await receive()
        return message

    return replayed


async def _problem(
    scope: dict[str, Any], send: Any, status: int, title: str, detail: str, extra: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps({
        "type": "about:blank", "title": title, "status": status, "detail": detail,
        "instance": scope.get("path"), "request_id": scope.get("state", {}).get("request_id"),
    }).encode()  # fmt: skip
    headers = [
        (b"content-type", MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope: dict[str, Any], send: Any, exc: QueueFull) -> None:
    await _problem(
        scope, send, 429, "Too many requests", str(exc), [(b"retry-after", str(exc.retry_after).encode())]
    )
