"""Exceptions users can catch, each with a message that says what to do next."""

from __future__ import annotations


class SummarizerError(Exception):
    """Base class of every error summarizer raises on purpose."""


class ArticleError(SummarizerError, ValueError):
    """The input is not an article we can brief (missing, empty, binary, too large...)."""


class ConfigurationError(SummarizerError):
    """A setting is wrong (bad key, unknown model, rejected request): retrying will not help."""


class LocalModelError(SummarizerError):
    """The embedded model could not be assembled or served."""


class ModelUnavailableError(SummarizerError):
    """Transport faults (429, 5xx, timeouts, resets) outlasted the retry policy."""


class InvalidResponseError(SummarizerError):
    """The model kept answering with something that is not a valid brief."""


class GroundingError(InvalidResponseError):
    """Strict mode: items stayed unsupported by the article after every re-ask."""
