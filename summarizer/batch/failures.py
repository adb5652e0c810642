"""How a run fails: the closed set of failure kinds in ``errors.jsonl``, and the usage errors
that stop a run before it starts (exit status 2).

Every input that does not end as a brief ends as one error record whose ``kind`` is one of
``FailureKind`` (documented in the README, tested against it) and whose ``reason`` is one line
a person can act on.
"""

from __future__ import annotations

from enum import Enum

from summarizer.errors import (
    ArticleError,
    ConfigurationError,
    GroundingError,
    InvalidResponseError,
    LocalModelError,
    ModelUnavailableError,
    SummarizerError,
)


class FailureKind(str, Enum):
    INPUT = "input"  # not an article: missing, empty, binary, too large, invalid JSON
    UNSUPPORTED = "unsupported"  # a file type summarizer does not read: skipped, not failed
    CONFIGURATION = "configuration"  # bad key, model or server: the run stops at once
    STOPPED = "stopped"  # not attempted: the run stopped (configuration error, full disk)
    MODEL_UNAVAILABLE = "model_unavailable"  # transport faults outlasted the retry policy
    INVALID_RESPONSE = "invalid_response"  # the model kept answering with no valid brief
    GROUNDING = "grounding"  # strict mode: the model's items were not backed by the article
    WRITE = "write"  # the output could not be written (full disk, permissions, a folder in the way)
    INTERNAL = "internal"  # a bug in summarizer: please report it

    @property
    def status(self) -> str:
        """``skipped`` for what was never meant to be briefed, ``failed`` for the rest."""
        return "skipped" if self is FailureKind.UNSUPPORTED else "failed"


# Most specific first: a GroundingError is also an InvalidResponseError.
_KINDS: tuple[tuple[type[SummarizerError], FailureKind], ...] = (
    (ArticleError, FailureKind.INPUT),
    (ConfigurationError, FailureKind.CONFIGURATION),
    (LocalModelError, FailureKind.CONFIGURATION),
    (ModelUnavailableError, FailureKind.MODEL_UNAVAILABLE),
    (GroundingError, FailureKind.GROUNDING),
    (InvalidResponseError, FailureKind.INVALID_RESPONSE),
)


def kind_of(error: SummarizerError) -> FailureKind:
    """The failure kind of an error raised while briefing one article."""
    return next((kind for cls, kind in _KINDS if isinstance(error, cls)), FailureKind.INTERNAL)


def stops_the_run(kind: FailureKind) -> bool:
    """A bad key, model or server fails every article the same way: send no more requests."""
    return kind is FailureKind.CONFIGURATION


class UsageError(SummarizerError):
    """The run cannot start as asked (OUT is a file, another run is writing OUT): exit status 2."""
