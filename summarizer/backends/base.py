"""Where requests go (``Endpoint``) and the one thing a backend does (``Backend``).

A backend sends one chat-completions request and returns the provider's response object, the
shape instructor reads (``choices[0].message``, ``usage``). It never retries and never
validates: transport retries, rate limits and re-asks belong to ``client`` and ``transport``,
once for every backend. Two backends exist (``client.backend_for`` chooses; this module imports
neither, so they can import it):

- ``openai_compat``: the ``openai`` SDK, for OpenAI-compatible servers of your own (the
  embedded llama.cpp server, ``openai/<name>`` at a ``SUMMARIZER_API_BASE``): lean, and the
  only key it ever sends is ``SUMMARIZER_API_KEY``.
- ``litellm``: every other provider litellm knows, which reads the provider's own key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Endpoint:
    """Where requests go and what the server there offers."""

    model: str  # a litellm model string ("gpt-4o-mini", "openai/<name>", "anthropic/...")
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)  # only ever SUMMARIZER_API_KEY for an api_base
    context_tokens: int | None = None
    constrained: bool = False  # evidence as an enum of article sentences (grammar servers)
    embedded: bool = False
    strict: bool = False  # the provider decodes to a strict JSON schema (OpenAI structured outputs)

    @property
    def openai_compatible(self) -> bool:
        """A server of the user's own that speaks the OpenAI protocol (llama.cpp, vLLM, ...)."""
        return self.api_base is not None and self.model.startswith("openai/")

    @property
    def where(self) -> str:
        """For messages: the model and, for a server of your own, its address."""
        return f"model {self.model}" + (f" at {self.api_base}" if self.api_base else "")


class Backend(Protocol):
    async def create(self, request: dict[str, Any], timeout: float) -> Any:
        """Send one chat-completions request (``messages``, ``response_format``...) and return the
        provider's response; raise the provider's exception on any failure."""
        ...

    async def stream(
        self, request: dict[str, Any], timeout: float, on_text: Callable[[str], None] | None
    ) -> Any:
        """The same request with ``stream: true`` (``streaming``): ``on_text`` gets the answer text
        received so far after each chunk; the whole answer is returned as ``create`` returns it."""
        ...
