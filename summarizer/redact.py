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


_OURS = ("summarizer", "uvicorn")  # the application's loggers; every other one is a library's


class _LevelByOrigin(logging.Filter):
    """Our records from ``level``; a library's (httpx, litellm, trafilatura...) only from
    ``library_level``: their chatter (a line per HTTP request, "discarding data: None") is for
    --verbose, not for every run."""

    def __init__(self, level: int, library_level: int) -> None:
        super().__init__()
        self.level, self.library_level = level, library_level

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name.split(".", 1)[0] in _OURS
        return record.levelno >= (self.level if ours else self.library_level)


def install_stderr_logging(
    level: int | str,
    library_level: int | str = logging.ERROR,
    formatter: logging.Formatter | None = None,
) -> None:
    """One redacted stderr handler on the root logger (the CLI's and the service's setup)."""
    import sys

    ours = logging.getLevelName(level) if isinstance(level, str) else level
    libraries = logging.getLevelName(library_level) if isinstance(library_level, str) else library_level
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_LevelByOrigin(ours, libraries))
    handler.addFilter(RedactingFilter())
    handler.setFormatter(formatter or logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(min(ours, libraries))
    for name in _OURS:
        logging.getLogger(name).setLevel(ours)
