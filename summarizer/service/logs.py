"""Service logging: every line to stderr through the redaction filter; access lines are JSON."""

from __future__ import annotations

import logging
import os

from summarizer.redact import install_stderr_logging


def configure(level: str | None = None) -> None:
    level = (level or os.environ.get("SUMMARIZER_SERVER_LOG_LEVEL") or "INFO").upper()
    install_stderr_logging(level)
    for noisy in ("httpx", "LiteLLM", "litellm", "LiteLLM Router", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # instructor logs handled re-asks as errors; the outcome is in our own records.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    logging.getLogger("uvicorn.access").disabled = True  # ours has the request id
