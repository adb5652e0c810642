"""What happens around one HTTP request, whatever the backend: the rate limits, and which
failures are worth another try.

Transport faults (429 honouring Retry-After, 5xx, timeouts, resets) are retried here under a
tenacity policy bounded in attempts and in total time. Nothing here re-asks: an answer that
fails validation goes back to the model through instructor (``client``), a 429 never does.
Some failures look transient and are not: a 429 ``insufficient_quota`` (the account is out of
credit) and a 400 about one article's content (context length, content filter).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import weakref
from typing import Any

from aiolimiter import AsyncLimiter

from summarizer.settings import Settings

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
_TRANSIENT_NAMES = frozenset(
    {
        "Timeout",
        "APITimeoutError",
        "APIConnectionError",
        "ServiceUnavailableError",
        "InternalServerError",
        "RateLimitError",
        "BadGatewayError",
        # httpcore's own, raised while a streamed body is being read (a connection cut mid-answer)
        "RemoteProtocolError",
        "ReadError",
        "ReadTimeout",
    }
)
_QUOTA = re.compile(r"insufficient_quota|exceeded your current quota|billing_hard_limit", re.I)
# What providers say when one article is too long for the model (OpenAI, vLLM: "maximum context
# length"; llama.cpp: "exceeds the available context size"; Anthropic: "prompt is too long";
# litellm: ContextWindowExceededError) or when a content filter stops it (OpenAI, Azure, litellm).
_TOO_LONG = re.compile(
    r"context[_ ]?length|context[_ ]?window|maximum context|exceeds? the (available )?context|"
    r"exceed_context_size|prompt is too long|input is too long|too many (input )?tokens",
    re.I,
)
_FILTERED = re.compile(
    r"content[_ ]?filter|content[_ ]?policy|content management policy|ResponsibleAIPolicyViolation", re.I
)


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _said(exc: BaseException) -> str:
    """Everything the provider said about a failure: class name, message, error code and body."""
    parts = [type(exc).__name__, str(exc), str(getattr(exc, "code", "") or "")]
    body = getattr(exc, "body", None)
    if body is not None:
        parts.append(json.dumps(body, default=str) if not isinstance(body, str) else body)
    return " ".join(parts)


def quota_exhausted(exc: BaseException) -> bool:
    """A 429 that says the account is out of credit: waiting will not bring it back."""
    return status_of(exc) in (429, None) and bool(_QUOTA.search(_said(exc)))


def article_rejection(exc: BaseException) -> str | None:
    """Why the provider refused *this article* ("too_long", "filtered"), or None.

    Only client errors count: a 400 that names the context window or a content filter is about
    the request's content, not about the settings, so the other articles of a run can go on.
    """
    status = status_of(exc)
    name = type(exc).__name__
    if status not in (400, 413, 422) and name not in {
        "ContextWindowExceededError",
        "ContentPolicyViolationError",
    }:
        return None
    said = _said(exc)
    if name == "ContextWindowExceededError" or _TOO_LONG.search(said):
        return "too_long"
    if name == "ContentPolicyViolationError" or _FILTERED.search(said):
        return "filtered"
    return None


def is_transient(exc: BaseException) -> bool:
    """Worth another try: rate limits, server errors, timeouts, dropped connections."""
    import httpx

    if quota_exhausted(exc) or article_rejection(exc):
        return False
    if isinstance(exc, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)):
        return True
    if type(exc).__name__ in _TRANSIENT_NAMES:
        return True
    return status_of(exc) in RETRY_STATUS


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After / retry-after-ms), if it did."""
    headers: Any = None
    response = getattr(exc, "response", None)
    if response is not None:
        headers = getattr(response, "headers", None)
    headers = headers or getattr(exc, "litellm_response_headers", None)
    if not headers:
        return None
    try:
        if ms := headers.get("retry-after-ms"):
            return max(0.0, float(ms) / 1000)
        if value := headers.get("retry-after"):
            try:
                return max(0.0, float(value))
            except ValueError:
                from email.utils import parsedate_to_datetime

                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, AttributeError):
        return None
    return None


def retry_policy(settings: Settings, before_sleep: Any) -> Any:
    """Tenacity's async policy for transport faults: jittered exponential backoff (or the server's
    Retry-After, capped), at most ``max_attempts`` requests and ``retry_total`` seconds."""
    import tenacity

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after(exc) if exc else None
        if asked is not None:
            return min(asked, settings.retry_max_wait)
        return float(tenacity.wait_random_exponential(multiplier=0.5, max=settings.retry_max_wait)(state))

    return tenacity.AsyncRetrying(
        retry=tenacity.retry_if_exception(is_transient),
        stop=tenacity.stop_after_attempt(settings.max_attempts)
        | tenacity.stop_after_delay(settings.retry_total),
        wait=wait,
        reraise=True,
        before_sleep=before_sleep,
    )


class RateLimits:
    """Requests and tokens per minute, counted per HTTP request (re-asks, parts, retries).

    Requests are spaced evenly (``rpm`` 60: one a second), not let out in a burst of a minute's
    worth at once, which would trip a provider's shorter windows. Tokens are a per-minute bucket:
    one request may need thousands at once.
    """

    def __init__(self, rpm: int | None, tpm: int | None) -> None:
        self.requests = AsyncLimiter(1, 60 / rpm) if rpm else None
        self.tokens = AsyncLimiter(tpm, 60) if tpm else None

    async def acquire(self, request: dict[str, Any]) -> None:
        if self.requests is not None:
            await self.requests.acquire()
        if self.tokens is not None:
            await self.tokens.acquire(min(estimated_tokens(request), self.tokens.max_rate))


def estimated_tokens(request: dict[str, Any]) -> int:
    """A request's cost before it is sent: ~4 characters a prompt token, plus the answer's cap."""
    prompt = sum(len(str(m.get("content") or "")) for m in request.get("messages", []))
    return prompt // 4 + int(request.get("max_tokens") or 0)


# One set of limits per event loop and rate: every article of a process draws from the same
# bucket (an aiolimiter bucket belongs to the loop whose tasks wait on it).
_LIMITS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[int | None, int | None], RateLimits]
] = weakref.WeakKeyDictionary()


def rate_limits(settings: Settings) -> RateLimits | None:
    """The process's shared limits for these settings (None when unlimited)."""
    if not settings.rpm and not settings.tpm:
        return None
    per_loop = _LIMITS.setdefault(asyncio.get_running_loop(), {})
    key = (settings.rpm, settings.tpm)
    if key not in per_loop:
        per_loop[key] = RateLimits(settings.rpm, settings.tpm)
    return per_loop[key]
