"""Streamed answers: the same request with ``stream: true``, read as it arrives.

A backend's ``stream`` sends the structured-output request of ``create`` with ``"stream": true``
and ``"stream_options": {"include_usage": true}`` (llama.cpp and OpenAI then send the token
counts in a last chunk), hands the answer text received so far to ``on_text`` after every chunk,
and returns the whole answer in the shape ``create`` returns (a chat completion), so
validation, re-asks and usage counting are the same for both.

The time limit of a streamed request is on the whole answer (``asyncio.timeout``), besides the
SDK's limit on each read: a server that trickles tokens forever still ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

# What ``stream`` adds to a request body; nothing else changes.
STREAM_FIELDS: dict[str, Any] = {"stream": True, "stream_options": {"include_usage": True}}
OnText = Callable[[str], None]
_FINISH = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})


class Assembler:
    """Chat-completion chunks in, the whole completion out (content, tool calls, usage)."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = ""
        self.created = 0
        self.content: list[str] = []
        self.tool_calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.choices = False

    def add(self, chunk: Any) -> bool:
        """Take one chunk (an SDK object or a dict); True if the answer text grew."""
        get = _getter(chunk)
        self.id = self.id or str(get("id") or "")
        self.created = self.created or int(get("created") or 0)
        usage = get("usage")
        if usage:
            self.usage = _plain(usage)
        grew = False
        for choice in get("choices") or []:
            cget = _getter(choice)
            self.choices = True
            if cget("finish_reason"):
                self.finish_reason = str(cget("finish_reason"))
            delta = _getter(cget("delta") or {})
            if piece := delta("content"):
                self.content.append(piece)
                grew = True
            for call in delta("tool_calls") or []:
                tget = _getter(call)
                slot = self.tool_calls.setdefault(
                    int(tget("index") or 0),
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                if tget("id"):
                    slot["id"] = tget("id")
                function = _getter(tget("function") or {})
                slot["function"]["name"] += function("name") or ""
                if arguments := function("arguments"):
                    slot["function"]["arguments"] += arguments
                    grew = True
        return grew

    @property
    def text(self) -> str:
        """The answer so far: the tool call's arguments (TOOLS mode), else the content."""
        if self.tool_calls:
            return "".join(c["function"]["arguments"] for _, c in sorted(self.tool_calls.items()))
        return "".join(self.content)

    def completion(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self.content) or None}
        if self.tool_calls:
            message["tool_calls"] = [c for _, c in sorted(self.tool_calls.items())]
        finish = self.finish_reason if self.finish_reason in _FINISH else "stop"
        return {
            "id": self.id or "chatcmpl-stream",
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "finish_reason": finish, "message": message}] if self.choices else [],
            "usage": self.usage,
        }


def _getter(obj: Any) -> Callable[[str], Any]:
    if isinstance(obj, dict):
        return obj.get
    return lambda name: getattr(obj, name, None)


def _plain(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    dump = getattr(value, "model_dump", None)
    return dict(dump()) if dump else dict(vars(value))


async def consume(
    chunks: AsyncIterator[Any], assembler: Assembler, on_text: OnText | None, timeout: float
) -> None:
    """Read every chunk into ``assembler`` within ``timeout`` seconds in all, telling ``on_text``."""
    import httpx

    async def read() -> None:
        async for chunk in chunks:
            if assembler.add(chunk) and on_text is not None:
                on_text(assembler.text)

    try:
        await asyncio.wait_for(read(), timeout)
    except asyncio.TimeoutError:
        # A transport fault like any read timeout: retried by the client's policy.
        raise httpx.ReadTimeout(f"the streamed answer took longer than {timeout:g} s") from None
    finally:
        close = getattr(chunks, "aclose", None) or getattr(chunks, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close()
