"""OpenAI-compatible servers of your own (the embedded llama.cpp server, vLLM, ... at an
``api_base``), reached with the ``openai`` SDK directly.

litellm adds 10-15 ms of CPU per request on top of the SDK (measured: litellm 15-20 ms, the SDK
alone 8 ms), which is most of the runner's overhead against a fast server. The request body is
the same one litellm sends for an ``openai/<name>`` model (the recorded cassettes match it).

The server is not OpenAI: nothing from the OpenAI environment goes there. The SDK would read
``OPENAI_API_KEY``, ``OPENAI_ORG_ID`` and ``OPENAI_PROJECT_ID`` by itself; the only credential
sent is ``SUMMARIZER_API_KEY``, and without one no ``Authorization`` header at all.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from summarizer.backends.base import Endpoint
from summarizer.backends.streaming import STREAM_FIELDS, Assembler, OnText, consume

_IDENTITY_HEADERS = ("OpenAI-Organization", "OpenAI-Project")


async def _no_key() -> str:
    return ""


class OpenAICompatBackend:
    def __init__(self, endpoint: Endpoint) -> None:
        assert endpoint.api_base is not None
        self.base_url = endpoint.api_base
        self.api_key = endpoint.api_key
        self.model = endpoint.model.removeprefix("openai/")  # what litellm sends for openai/<name>

    async def create(self, request: dict[str, Any], timeout: float) -> Any:
        from openai import omit
        from openai.types.chat import ChatCompletion

        # The SDK's documented way to send a request as it is: ``chat.completions.create`` would
        # walk the whole body against its typed parameters first (~4 ms of CPU a request) to
        # send the same JSON. Bearer auth only: the generic default would also offer
        # OPENAI_ADMIN_KEY from the environment.
        options: dict[str, Any] = {"timeout": timeout, "security": {"bearer_auth": True}}
        if not self.api_key:
            options["headers"] = {"Authorization": omit}
        return await _client(self.base_url, self.api_key).post(
            "/chat/completions",
            cast_to=ChatCompletion,
            body={"model": self.model, **request},
            options=options,
        )

    async def stream(self, request: dict[str, Any], timeout: float, on_text: OnText | None) -> Any:
        """The same request with ``stream: true``; ``on_text`` sees the answer as it grows."""
        from openai import AsyncStream, omit
        from openai.types.chat import ChatCompletion

        options: dict[str, Any] = {"timeout": timeout, "security": {"bearer_auth": True}}
        if not self.api_key:
            options["headers"] = {"Authorization": omit}
        chunks = await _client(self.base_url, self.api_key).post(
            "/chat/completions",
            cast_to=object,
            body={"model": self.model, **request, **STREAM_FIELDS},
            options=options,
            stream=True,
            # Chunks as plain dicts: building an SDK object for each token cost more CPU than the
            # rest of the stream's handling together.
            stream_cls=AsyncStream[object],
        )
        assembler = Assembler(self.model)
        await consume(chunks, assembler, on_text, timeout)
        return ChatCompletion.model_validate(assembler.completion())


# One client per event loop and server, reused: its connection pool belongs to the loop that
# opened the connections (``summarize`` runs on one long-lived loop, ``summarizer run`` on its own).
_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str | None], Any]] = (
    weakref.WeakKeyDictionary()
)


def _client(base_url: str, api_key: str | None) -> Any:
    per_loop = _CLIENTS.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get((base_url, api_key))
    if client is None:
        from openai import AsyncOpenAI, omit

        client = AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or _no_key,  # never None: the SDK would read OPENAI_API_KEY
            max_retries=0,  # transport retries are ours (summarizer.backends.transport)
            default_headers={name: omit for name in _IDENTITY_HEADERS},  # type: ignore[misc]
        )
        per_loop[(base_url, api_key)] = client
    return client
