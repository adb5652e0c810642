"""The model client: instructor over litellm, with transport retries kept apart from re-asks.

Layering (inside out):
1. ``litellm.(a)completion`` makes one HTTP request; its own and the OpenAI SDK's hidden retries
   are switched off so every request is ours to count.
2. ``_Attempts`` wraps it: a tenacity policy retries transport faults only (429 honouring
   Retry-After, 5xx, timeouts, resets) with jittered exponential backoff, bounded in attempts and
   total time, and counts attempts and token usage of *every* request.
3. instructor calls that wrapper and re-asks when the answer fails validation (schema or
   grounding): a validation message goes back to the model, a 429 never does.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from summarizer.errors import (
    ConfigurationError,
    InvalidResponseError,
    ModelUnavailableError,
)
from summarizer.models import Usage
from summarizer.backends._litellm import litellm as load_litellm
from summarizer.redact import redact
from summarizer.settings import Settings

log = logging.getLogger(__name__)


_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529}
_FATAL_HINTS = {
    400: "the provider rejected the request as malformed; check SUMMARIZER_MODEL, "
    "SUMMARIZER_MODE and SUMMARIZER_MAX_TOKENS",
    401: "the provider rejected the credentials; set the provider's key (e.g. OPENAI_API_KEY, "
    "ANTHROPIC_API_KEY) or SUMMARIZER_API_KEY for SUMMARIZER_API_BASE",
    403: "the key is not allowed to use this model; check the provider key and SUMMARIZER_MODEL",
    404: "the model or endpoint does not exist; check SUMMARIZER_MODEL and SUMMARIZER_API_BASE",
}


@dataclass(frozen=True)
class Endpoint:
    """Where requests go: a litellm model string plus optional base URL and key."""

    model: str
    api_base: str | None = None
    api_key: str | None = None
    context_tokens: int | None = None
    constrained: bool = False  # evidence as an enum of article sentences (grammar servers)
    embedded: bool = False

    def litellm_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": self.model}
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        return kwargs


def resolve_endpoint(settings: Settings) -> Endpoint:
    """The configured model, or the embedded one (started on first use)."""
    key = settings.api_key.get_secret_value() if settings.api_key else None
    if settings.model:
        if settings.api_base and not key and settings.model.startswith("openai/") and not os.environ.get("OPENAI_API_KEY"):
            key = "no-key"  # a self-hosted OpenAI-compatible server; the SDK insists on some key
        constrained = settings.constrain_evidence
        if constrained is None:
            constrained = bool(settings.api_base) and settings.model.startswith("openai/")
        return Endpoint(settings.model, settings.api_base, key, settings.context_tokens, constrained)
    from summarizer.backends.local_server import ensure_server

    server = ensure_server(settings)
    # llama.cpp ignores the key, but the OpenAI SDK insists on having one.
    return Endpoint(
        f"openai/{server.model_alias}",
        server.api_base,
        key or "embedded",
        server.n_ctx,
        settings.constrain_evidence is not False,
        embedded=True,
    )


@dataclass
class CallResult:
    draft: Any  # an instance of the call's response model
    attempts: int
    usage: Usage


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def is_transient(exc: BaseException) -> bool:
    """Worth another try: rate limits, server errors, timeouts, dropped connections."""
    import httpx

    if isinstance(exc, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)):
        return True
    name = type(exc).__name__
    if name in {"Timeout", "APITimeoutError", "APIConnectionError", "ServiceUnavailableError",
                "InternalServerError", "RateLimitError", "BadGatewayError"}:
        return True
    status = status_of(exc)
    return status in _RETRY_STATUS


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


class _Attempts:
    """Counts every request and sums its usage; retries transport faults under a tenacity policy."""

    def __init__(self, settings: Settings, endpoint: Endpoint):
        self.settings = settings
        self.endpoint = endpoint
        self.attempts = 0
        self.usage = Usage()
        self.validation_round = 0

    def _policy(self, is_async: bool) -> Any:
        import tenacity

        s = self.settings

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            asked = retry_after(exc) if exc else None
            if asked is not None:
                return min(asked, s.retry_max_wait)
            return tenacity.wait_random_exponential(multiplier=0.5, max=s.retry_max_wait)(state)

        cls = tenacity.AsyncRetrying if is_async else tenacity.Retrying
        return cls(
            retry=tenacity.retry_if_exception(is_transient),
            stop=tenacity.stop_after_attempt(s.max_attempts) | tenacity.stop_after_delay(s.retry_total),
            wait=wait,
            reraise=True,
            before_sleep=self._log_retry,
        )

    def _log_retry(self, state: Any) -> None:
        exc = state.outcome.exception()
        log.warning("model request failed (%s), retrying: attempt %d", redact(_describe(exc)), state.attempt_number)

    def _prepare(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.validation_round += 1  # instructor calls us once per validation round
        return {
            **kwargs,
            **self.endpoint.litellm_kwargs(),
            "timeout": self.settings.request_timeout(self.endpoint.embedded),
            "num_retries": 0,
            "max_retries": 0,
        }

    def _record(self, response: Any) -> Any:
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.usage = self.usage.add(
                Usage(
                    prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                    completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                    total_tokens=getattr(usage, "total_tokens", 0) or 0,
                )
            )
        if not getattr(response, "choices", None):
            from pydantic import ValidationError

            # An empty answer is the model's fault, not the network's: let instructor re-ask.
            raise ValidationError.from_exception_data(
                "ChatCompletion", [{"type": "missing", "loc": ("choices",), "input": None}]
            )
        return response

    async def async_(self, *args: Any, **kwargs: Any) -> Any:
        litellm = load_litellm()
        call = self._prepare(kwargs)
        async for attempt in self._policy(is_async=True):
            with attempt:
                self.attempts += 1
                response = await litellm.acompletion(*args, **call)
        return self._record(response)


def _mode(settings: Settings) -> Any:
    import instructor

    return {
        "json_schema": instructor.Mode.JSON_SCHEMA,
        "tools": instructor.Mode.TOOLS,
        "json": instructor.Mode.JSON,
    }[settings.mode]


@functools.cache
def _wrapped(response_model: type[BaseModel]) -> type[BaseModel]:
    """instructor's ResponseSchema subclass of a response model, built once per model.

    instructor builds the same subclass (``create_model``) on every call when handed a plain
    model: ~7 ms of CPU per article that a 10,000-article run does not need to repeat.
    """
    import instructor

    return instructor.openai_schema(response_model)


_SCHEMA: ContextVar[dict[str, Any] | None] = ContextVar("summarizer_response_schema", default=None)


@functools.cache
def _with_schema(response_model: type[BaseModel]) -> type[BaseModel]:
    """A subclass of ``response_model`` whose JSON Schema is the one set for the current call.

    instructor sends ``response_model.model_json_schema()`` as the response format; a grammar
    server turns it into a grammar. The per-article schema (sentence numbers, fixed slots) comes
    from a context variable, so one class serves every article (building a pydantic class per
    article cost ~30 ms) and concurrent asyncio tasks each see their own.
    """
    from pydantic import create_model

    class _Override:
        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            schema = _SCHEMA.get()
            return schema if schema is not None else super().model_json_schema(*args, **kwargs)  # type: ignore[misc]

    return create_model(  # type: ignore[call-overload, no-any-return]
        response_model.__name__, __base__=(_Override, response_model), __doc__=response_model.__doc__
    )


@contextmanager
def _schema(schema: dict[str, Any] | None) -> Iterator[None]:
    token = _SCHEMA.set(schema)
    try:
        yield
    finally:
        _SCHEMA.reset(token)


async def acomplete(
    settings: Settings,
    endpoint: Endpoint,
    messages: list[dict[str, str]],
    response_model: type[BaseModel],
    *,
    context: dict[str, Any] | None = None,
    schema: dict[str, Any] | None = None,
) -> CallResult:
    """One structured call, with re-asks after invalid answers and transport retries.

    ``context`` reaches the response model's validators as ``info.context``; ``schema``, if
    given, is sent as the response format instead of the model's own (grammar-constrained
    servers decode to it).
    """
    import instructor

    attempts = _Attempts(settings, endpoint)
    client = instructor.from_litellm(attempts.async_, mode=_mode(settings))
    model = _with_schema(response_model) if schema is not None else _wrapped(response_model)
    with _schema(schema):
        try:
            draft = await client.chat.completions.create(
                messages=messages,
                response_model=model,
                max_retries=settings.reasks,
                context=context or {},
                temperature=settings.temperature,
                max_tokens=settings.max_tokens,
            )
        except Exception as exc:
            raise _translate(exc, attempts, endpoint) from None
    return CallResult(draft, attempts.attempts, attempts.usage)


def _describe(exc: BaseException) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {' '.join(str(e['msg']).split())[:300]}"
            for e in exc.errors()[:3]
        )
        return f"invalid answer ({exc.error_count()} problem(s)): {problems}"
    status = status_of(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    label = type(exc).__name__ + (f" (HTTP {status})" if status else "")
    return f"{label}: {text[:300]}" if text else label


def _translate(exc: Exception, attempts: _Attempts, endpoint: Endpoint) -> Exception:
    """Turn instructor/litellm exceptions into ours, with a message a person can act on."""
    from summarizer.errors import SummarizerError

    cause: BaseException = exc
    if type(exc).__name__ == "InstructorRetryException" and exc.__cause__ is not None:
        cause = exc.__cause__
    if isinstance(cause, SummarizerError):
        return cause
    n = attempts.attempts
    status = status_of(cause)
    where = f"model {endpoint.model}" + (f" at {endpoint.api_base}" if endpoint.api_base else "")
    if status in _FATAL_HINTS and not is_transient(cause):
        kind: type[SummarizerError] = ConfigurationError
        message = f"{where}: HTTP {status}: {_FATAL_HINTS[status]}"
    elif is_transient(cause):
        kind, message = ModelUnavailableError, f"{where} failed after {n} attempt(s): {_describe(cause)}"
    elif type(exc).__name__ == "InstructorRetryException" or _is_validation(cause):
        kind = InvalidResponseError
        message = f"{where} gave no valid brief after {attempts.validation_round} answer(s): {_describe(cause)}"
    elif status is not None:
        kind, message = ConfigurationError, f"{where}: {_describe(cause)}"
    else:
        kind, message = InvalidResponseError, f"{where}: {_describe(cause)}"
    return kind(redact(message), attempts=n, usage=attempts.usage)


def _is_validation(exc: BaseException) -> bool:
    import json

    from pydantic import ValidationError

    return isinstance(exc, (ValidationError, json.JSONDecodeError)) or "Validation" in type(exc).__name__
