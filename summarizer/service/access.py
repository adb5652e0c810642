"""Access log and request metrics: one JSON line per request, with a request id.

The id comes from the client's ``X-Request-ID`` when it is a sane token, else a fresh one; it is
echoed in the response and in problem documents. The key itself is never logged: only its id
(a hash), and the whole line goes through the redaction filter.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from summarizer.redact import redact
from summarizer.service.metrics import Metrics

log = logging.getLogger("summarizer.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class AccessLog:
    """Pure ASGI middleware (a BaseHTTPMiddleware would buffer streamed responses)."""

    def __init__(self, app: Any, metrics: Metrics, keys: list[str]):
        self.app = app
        self.metrics = metrics
        self.keys = keys

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "cache": None}

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"x-summarizer-cache":
                        seen["cache"] = value.decode()
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, template, str(seen["status"])).inc()
            self.metrics.latency.labels(method, template).observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                line = {
                    "event": "request",
                    "request_id": request_id,
                    "method": method,
                    "path": scope.get("path"),
                    "route": template,
                    "status": seen["status"],
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": (scope.get("client") or ("", 0))[0],
                    "key": state.get("owner") or None,
                    "cache": seen["cache"],
                }
                text = json.dumps(line)
                for key in self.keys:  # service keys are not environment secrets the filter knows
                    text = text.replace(key, "[REDACTED]")
                log.info(redact(text))
