"""Service logging: one JSON object a line on stderr, through the redaction filter.

An access line carries its fields (``event: request``, ``request_id``, ``status``...); any
other line ``time``, ``level``, ``logger`` and ``message``. Libraries (httpx, litellm,
trafilatura...) are heard only from ERROR, unless ``SUMMARIZER_SERVER_VERBOSE`` is 1 (their
warnings) or 2 (everything, debug included).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone

from summarizer.redact import install_stderr_logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = None
        if record.name == "summarizer.access" and message.startswith("{"):
            try:
                fields = json.loads(message)
            except ValueError:
                fields = None
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["message"] = message
        if record.exc_info or record.exc_text:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(line, ensure_ascii=False)


def configure(level: str | None = None, verbose: int | None = None) -> None:
    level = (level or os.environ.get("SUMMARIZER_SERVER_LOG_LEVEL") or "INFO").upper()
    if verbose is None:
        raw = os.environ.get("SUMMARIZER_SERVER_VERBOSE", "0").strip()
        verbose = int(raw) if raw.isascii() and raw.isdigit() else 0
    libraries = logging.ERROR if verbose <= 0 else logging.WARNING if verbose == 1 else logging.DEBUG
    install_stderr_logging(level, libraries, JsonFormatter())
    # instructor logs handled re-asks as errors; the outcome is in our own records.
    logging.getLogger("instructor").setLevel(logging.DEBUG if verbose >= 2 else logging.CRITICAL)
    logging.getLogger("uvicorn.access").disabled = True  # ours has the request id
