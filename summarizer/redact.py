"""Keep secrets out of everything summarizer writes: messages, logs, outputs, cassettes."""

from __future__ import annotations

import logging
import os
import re

_SECRET_ENV = re.compile(r"(API_KEY|_KEY|_TOKEN|_SECRET|PASSWORD)$", re.IGNORECASE)
_PATTERNS = [  # (pattern, replacement)
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), "[REDACTED]"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._\-]{8,}"), r"\1[REDACTED]"),
    # "Authorization: Bearer <secret>": the scheme word stays (it is no secret; "Bearer <key>" in
    # a message is an instruction, not a credential).
    (
        re.compile(
            r"(?i)(api[_-]?key|authorization)(['\"]?\s*[:=]\s*['\"]?(?:(?:bearer|basic|token)\s+)?)"
            r"(?!(?:bearer|basic|token)\b|\[REDACTED\])[^\s'\",}<>]{6,}"
        ),
        r"\1\2[REDACTED]",
    ),
    # Credentials in a URL's user-info (http://user:pass@host/): the host stays, to say where.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@'\"<>]+@"), r"\1[REDACTED]@"),
]
MASK = "[REDACTED]"


def secret_values() -> list[str]:
    """Values of environment variables that look like credentials (longest first)."""
    values = {
        value for name, value in os.environ.items() if _SECRET_ENV.search(name) and value and len(value) >= 6
    }
    return sorted(values, key=len, reverse=True)


def redact(text: str) -> str:
    for value in secret_values():
        text = text.replace(value, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        # A traceback logged with exc_info can quote a request URL or header: the formatter
        # uses exc_text when it is set, so set it, masked.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_stderr_logging(level: int | str) -> None:
    """One redacted stderr handler on the root logger (the CLI's and the service's setup)."""
    import logging
    import sys

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
