"""Hosted providers through litellm (OpenAI, Anthropic, Gemini, Ollama, ...)."""

from __future__ import annotations

from typing import Any

from summarizer.backends._litellm import litellm
from summarizer.backends.base import Endpoint
from summarizer.backends.streaming import STREAM_FIELDS, Assembler, OnText, consume

# litellm fills a missing key from the provider's environment variable (OPENAI_API_KEY...).
# A server at SUMMARIZER_API_BASE is not that provider: it gets SUMMARIZER_API_KEY or this.
NO_KEY = "no-key"


class LiteLLMBackend:
    def __init__(self, endpoint: Endpoint) -> None:
        self.target: dict[str, Any] = {"model": endpoint.model}
        if endpoint.api_base:
            self.target["api_base"] = endpoint.api_base
            self.target["api_key"] = endpoint.api_key or NO_KEY
        elif endpoint.api_key:
            self.target["api_key"] = endpoint.api_key

    async def create(self, request: dict[str, Any], timeout: float) -> Any:
        # litellm's and the OpenAI SDK's own retries are off: every request is ours to count.
        return await litellm().acompletion(
            **request, **self.target, timeout=timeout, num_retries=0, max_retries=0
        )

    async def stream(self, request: dict[str, Any], timeout: float, on_text: OnText | None) -> Any:
        """The same request with ``stream: true``; ``on_text`` sees the answer as it grows."""
        chunks = await litellm().acompletion(
            **request, **self.target, **STREAM_FIELDS, timeout=timeout, num_retries=0, max_retries=0
        )
        assembler = Assembler(self.target["model"])
        await consume(chunks, assembler, on_text, timeout)
        return litellm().ModelResponse(**assembler.completion())
