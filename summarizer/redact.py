"""Keep secrets out of everything summarizer writes: messages, logs, outputs, cassettes."""

from __future__ import annotations

import logging
import os
import re

_SECRET_ENV = re.compile(r"(API_KEY|_KEY|_TOKEN|_SECRET|PASSWORD)$", re.IGNORECASE)
_PATTERNS = [  # (pattern, replacement)
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), "[REDACTED]"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._\-]{8,}"), "[REDACTED]"),
    (re.compile(r"(?i)(api[_-]?key|authorization)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]{6,}"), r"\1\2[REDACTED]"),
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
        return True
