"""Exceptions users can catch, each with a message that says what to do next.

    SummarizerError
    ├── ArticleError            the input is not an article we can brief (also a ValueError)
    │   └── ArticleRejectedError  the provider refused this one article (context window, content filter)
    ├── ConfigurationError      bad key, unknown model, rejected request: retrying will not help
    ├── LocalModelError         the embedded model could not be assembled or served
    ├── ModelUnavailableError   transport faults outlasted the retry policy
    └── InvalidResponseError    the model kept answering with something that is not a brief
        └── GroundingError      strict mode: something the model wrote is not backed by the article

Errors from a model call carry what it cost: ``attempts`` (requests made) and ``usage`` (tokens).
"""

from __future__ import annotations

from typing import Any


class SummarizerError(Exception):
    """Base class of every error summarizer raises on purpose."""

    def __init__(self, message: str = "", *, attempts: int = 0, usage: Any = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.usage = usage


class ArticleError(SummarizerError, ValueError):
    """The input is not an article we can brief (missing, empty, binary, too large...)."""


class ArticleRejectedError(ArticleError):
    """The model's provider refused this one article (longer than its context window, stopped by a
    content filter): the article's own failure, so a run goes on with the others."""


class ConfigurationError(SummarizerError):
    """A setting is wrong (bad key, unknown model, rejected request): retrying will not help."""


class LocalModelError(SummarizerError):
    """The embedded model could not be assembled or served."""


class ModelUnavailableError(SummarizerError):
    """Transport faults (429, 5xx, timeouts, resets) outlasted the retry policy."""


class InvalidResponseError(SummarizerError):
    """The model kept answering with something that is not a valid brief."""


class GroundingError(InvalidResponseError):
    """Strict mode: an item or a summary sentence is not backed by the article."""
