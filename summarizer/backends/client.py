"""The model client: one structured call, with re-asks kept apart from transport retries.

Layering (inside out):
1. A backend (``base.Backend``) sends one HTTP request: the ``openai`` SDK for a server of your
   own, litellm for hosted providers. Neither retries.
2. ``_Call.send`` wraps it: the process's rate limits, then a tenacity policy that retries
   transport faults only (``transport``), counting the attempts and token usage of *every*
   request. Where the provider offers strict structured outputs, the response format is made
   strict here (``strict``).
3. instructor calls ``_Call.send`` once per validation round and re-asks when the answer fails
   validation (schema or grounding): a validation message goes back to the model, a 429 never does.

Failures end as the package's own errors (``_translate``), with a message a person can act on.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from summarizer.backends.base import Backend, Endpoint
from summarizer.backends.streaming import OnText
from summarizer.backends.strict import strict_request
from summarizer.backends.transport import (
    article_rejection,
    is_transient,
    quota_exhausted,
    rate_limits,
    retry_policy,
    status_of,
)
from summarizer.errors import (
    ArticleRejectedError,
    ConfigurationError,
    InvalidResponseError,
    ModelUnavailableError,
    SummarizerError,
)
from summarizer.models import Usage
from summarizer.redact import redact
from summarizer.settings import Settings

__all__ = [
    "CallResult", "Deferred", "Endpoint", "Interceptor", "OnText", "acomplete", "answer_text", "intercepted",
    "resolve_endpoint",
]  # fmt: skip

log = logging.getLogger(__name__)

_FATAL_HINTS = {
    400: "the provider rejected the request as malformed; check SUMMARIZER_MODEL, "
    "SUMMARIZER_MODE and SUMMARIZER_MAX_TOKENS",
    401: "the provider rejected the credentials; set the provider's key (e.g. OPENAI_API_KEY, "
    "ANTHROPIC_API_KEY), or SUMMARIZER_API_KEY for SUMMARIZER_API_BASE",
    402: "the provider wants payment; add credit to the account or use another key",
    403: "the key is not allowed to use this model; check the provider key and SUMMARIZER_MODEL",
    404: "the model or endpoint does not exist; check SUMMARIZER_MODEL and SUMMARIZER_API_BASE",
}
_STRICT_PROVIDERS = frozenset({"openai", "azure"})


def resolve_endpoint(settings: Settings) -> Endpoint:
    """The configured model, or the embedded one (started on first use).

    A server at ``SUMMARIZER_API_BASE`` gets ``SUMMARIZER_API_KEY`` or no key: never a provider's
    key from the environment (the backends see to it).
    """
    key = settings.api_key.get_secret_value() if settings.api_key else None
    if settings.model:
        constrained = settings.constrain_evidence
        if constrained is None:
            constrained = bool(settings.api_base) and settings.model.startswith("openai/")
        return Endpoint(
            settings.model,
            settings.api_base,
            key,
            settings.context_tokens,
            constrained,
            strict=_offers_strict(settings.model, settings.api_base),
        )
    from summarizer.backends.local_server import ensure_server

    server = ensure_server(settings)
    return Endpoint(
        f"openai/{server.model_alias}",
        server.api_base,
        None,  # llama.cpp on 127.0.0.1 wants no key
        server.n_ctx,
        settings.constrain_evidence is not False,
        embedded=True,
    )


def _offers_strict(model: str, api_base: str | None) -> bool:
    """Whether the provider decodes to a strict JSON schema (OpenAI and Azure OpenAI models that
    support structured outputs, per litellm's model map). Servers of your own get the grammar
    schema instead."""
    if api_base and model.startswith("openai/"):
        return False
    from summarizer.backends._litellm import litellm

    try:
        provider = litellm().get_llm_provider(model)[1]
        if provider not in _STRICT_PROVIDERS or (provider == "openai" and api_base):
            return False
        return bool(litellm().supports_response_schema(model=model, custom_llm_provider=provider))
    except Exception:  # an unknown model: litellm will say so, clearly, on the first request
        return False


@dataclass
class CallResult:
    draft: Any  # an instance of the call's response model
    attempts: int
    usage: Usage


def backend_for(endpoint: Endpoint) -> Backend:
    """The OpenAI SDK for a server of your own, litellm for every other provider (chosen here,
    where the client is built: the backends import ``base``, and ``base`` imports no backend)."""
    if endpoint.openai_compatible:
        from summarizer.backends.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend(endpoint)
    from summarizer.backends.litellm import LiteLLMBackend

    return LiteLLMBackend(endpoint)


@functools.lru_cache(maxsize=64)
def _backend(endpoint: Endpoint) -> Backend:
    return backend_for(endpoint)


class Deferred(BaseException):
    """Raised by an interceptor: the request is held back for a provider batch, not sent.

    A ``BaseException``, like ``CancelledError``: it is a signal, not a failure, so it leaves
    ``acomplete`` (and ``asummarize``) as it is, through instructor's ``except Exception`` retry
    loop without being logged or retried."""


# Sees each request as the backend would send it (after strict conversion) and returns the
# provider's response (a provider batch's answer), or None to send it, or raises ``Deferred``.
Interceptor = Callable[[Endpoint, dict[str, Any]], Any]
_INTERCEPT: ContextVar[Interceptor | None] = ContextVar("summarizer_intercept", default=None)


@contextmanager
def intercepted(interceptor: Interceptor) -> Iterator[None]:
    """Route this task's requests (and those of tasks it starts) through ``interceptor``."""
    token = _INTERCEPT.set(interceptor)
    try:
        yield
    finally:
        _INTERCEPT.reset(token)


class _Call:
    """One structured call: counts every request, sums its usage, retries transport faults."""

    def __init__(
        self, settings: Settings, endpoint: Endpoint, on_text: OnText | None = None, stream: bool = False
    ) -> None:
        self.settings = settings
        self.on_text = on_text  # sees each answer as it arrives ("" when a new request starts)
        self.stream = stream  # send ``stream: true`` and read the answer as it comes
        self.endpoint = endpoint
        self.backend = _backend(endpoint)
        self.timeout = settings.request_timeout(endpoint.embedded)
        self.attempts = 0
        self.rounds = 0  # instructor sends once per validation round
        self.usage = Usage()

    async def send(self, request: dict[str, Any]) -> Any:
        self.rounds += 1
        if self.endpoint.strict:
            request = strict_request(request)
        if (intercept := _INTERCEPT.get()) is not None:
            answer = intercept(self.endpoint, request)
            if answer is not None:  # answered without a request of our own: validated as one
                self.attempts += 1
                if self.on_text is not None:
                    self.on_text("")  # an answer begins
                self._whole(answer)
                return self._record(answer)
        limits = rate_limits(self.settings)
        async for attempt in retry_policy(self.settings, self._log_retry):
            with attempt:
                if limits is not None:
                    await limits.acquire(request)
                self.attempts += 1
                if self.on_text is not None:
                    self.on_text("")  # a new answer begins (a retry starts over)
                if self.stream:
                    response = await self.backend.stream(request, self.timeout, self.on_text)
                else:
                    response = await self.backend.create(request, self.timeout)
                    self._whole(response)
        return self._record(response)

    def _whole(self, response: Any) -> None:
        """An answer that came in one piece is seen whole, as a streamed one is at its end."""
        if self.on_text is not None and (text := answer_text(response)):
            self.on_text(text)

    def _log_retry(self, state: Any) -> None:
        exc = state.outcome.exception()
        log.warning(
            "model request failed (%s), retrying: attempt %d", redact(_describe(exc)), state.attempt_number
        )

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


def answer_text(response: Any) -> str:
    """The answer's text: a tool call's arguments (TOOLS mode), else the message content."""
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return ""
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        return "".join(getattr(getattr(c, "function", None), "arguments", "") or "" for c in calls)
    return str(getattr(message, "content", None) or "")


_CALL: ContextVar[_Call] = ContextVar("summarizer_call")


async def _send(**request: Any) -> Any:
    """What instructor calls: the current task's ``_Call`` (one instructor client serves all)."""
    return await _CALL.get().send(request)


@functools.cache
def _instructor(mode: str) -> Any:
    """One instructor client per mode, built once (building one costs more than a request's parsing)."""
    import instructor

    modes = {
        "json_schema": instructor.Mode.JSON_SCHEMA,
        "tools": instructor.Mode.TOOLS,
        "json": instructor.Mode.JSON,
    }
    # from_litellm wraps any completion function that takes and returns the OpenAI chat shape:
    # here ``_send``, in front of whichever backend the call uses.
    return instructor.from_litellm(_send, mode=modes[mode])


# Per call, per asyncio task: the schema to send and the context for the validators.
_SCHEMA: ContextVar[dict[str, Any] | None] = ContextVar("summarizer_response_schema", default=None)
_VALIDATION: ContextVar[dict[str, Any] | None] = ContextVar("summarizer_validation_context", default=None)


@functools.cache
def _with_schema(response_model: type[BaseModel]) -> type[BaseModel]:
    """The class instructor is handed for ``response_model``: built once, serving every call.

    - It is instructor's own ResponseSchema subclass, so instructor does not build one (with
      ``create_model``, ~5 ms of CPU) on every call.
    - Its JSON Schema is the one set for the current call (a grammar server decodes to the
      per-article schema: sentence numbers, fixed slots), else the model's own, generated once.
    - Its validators get the current call's context. The context is *not* given to instructor:
      instructor renders every message as a Jinja template when it has one, so the article would
      run as template code ("{{ 7*7 }}" sent as "49", "{% if" failing the article).

    Context variables keep concurrent asyncio tasks apart.
    """
    import instructor
    from pydantic import create_model

    class _PerCall:
        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            schema = _SCHEMA.get()
            if schema is None:
                schema = _own_schema(response_model)
            return copy.deepcopy(schema)

        @classmethod
        def model_validate_json(cls, json_data: Any, **kwargs: Any) -> Any:
            kwargs["context"] = _VALIDATION.get()
            return super().model_validate_json(json_data, **kwargs)  # type: ignore[misc]

        @classmethod
        def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
            kwargs["context"] = _VALIDATION.get()
            return super().model_validate(obj, **kwargs)  # type: ignore[misc]

    return create_model(
        response_model.__name__,
        __base__=(_PerCall, instructor.openai_schema(response_model)),  # type: ignore[arg-type]
        __doc__=response_model.__doc__,
    )


@functools.cache
def _own_schema(response_model: type[BaseModel]) -> dict[str, Any]:
    return response_model.model_json_schema()


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
    on_text: OnText | None = None,
    stream: bool = False,
) -> CallResult:
    """One structured call, with re-asks after invalid answers and transport retries.

    ``context`` reaches the response model's validators as ``info.context``; ``schema``, if
    given, is sent as the response format instead of the model's own (grammar-constrained
    servers decode to it). ``on_text`` is told the answer text of every request: "" when one
    starts, then the text so far after each streamed chunk (``stream``: the same request with
    ``stream: true``), or the whole answer at once. It sees answers before validation: one may
    still be re-asked.
    """
    call = _Call(settings, endpoint, on_text, stream)
    tokens = (_CALL.set(call), _SCHEMA.set(schema), _VALIDATION.set(context or {}))
    try:
        draft = await _instructor(settings.mode).chat.completions.create(
            messages=messages,
            response_model=_with_schema(response_model),
            max_retries=settings.reasks,
            temperature=settings.temperature,
            max_tokens=settings.max_tokens,
        )
    except Exception as exc:
        raise _translate(exc, call) from None
    finally:
        _CALL.reset(tokens[0])
        _SCHEMA.reset(tokens[1])
        _VALIDATION.reset(tokens[2])
    return CallResult(draft, call.attempts, call.usage)


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


def _translate(exc: Exception, call: _Call) -> Exception:
    """Turn instructor/provider exceptions into ours, with a message a person can act on."""
    cause: BaseException = exc
    if type(exc).__name__ == "InstructorRetryException" and exc.__cause__ is not None:
        cause = exc.__cause__
    if isinstance(cause, SummarizerError):
        return cause
    n = call.attempts
    status = status_of(cause)
    where = call.endpoint.where
    rejection = article_rejection(cause)
    kind: type[SummarizerError]
    if rejection == "too_long":
        kind = ArticleRejectedError
        message = (
            f"{where} refused the article as longer than its context window ({_describe(cause)}); "
            "set SUMMARIZER_CONTEXT_TOKENS to the model's window so long articles are split"
        )
    elif rejection == "filtered":
        kind, message = (
            ArticleRejectedError,
            f"{where}: a content filter refused the article ({_describe(cause)})",
        )
    elif quota_exhausted(cause):
        kind = ConfigurationError
        message = (
            f"{where}: HTTP 429 insufficient_quota: the account has no quota or credit left; add "
            "credit or use another key (retrying will not help)"
        )
    elif status in _FATAL_HINTS and not is_transient(cause):
        kind, message = ConfigurationError, f"{where}: HTTP {status}: {_FATAL_HINTS[status]}"
    elif is_transient(cause):
        kind, message = ModelUnavailableError, f"{where} failed after {n} attempt(s): {_describe(cause)}"
    elif type(exc).__name__ == "InstructorRetryException" or _is_validation(cause):
        kind = InvalidResponseError
        message = f"{where} gave no valid brief after {call.rounds} answer(s): {_describe(cause)}"
    elif status is not None:
        kind, message = ConfigurationError, f"{where}: {_describe(cause)}"
    else:
        kind, message = InvalidResponseError, f"{where}: {_describe(cause)}"
    return kind(redact(message), attempts=n, usage=call.usage)


def _is_validation(exc: BaseException) -> bool:
    import json

    from pydantic import ValidationError

    return isinstance(exc, (ValidationError, json.JSONDecodeError)) or "Validation" in type(exc).__name__
