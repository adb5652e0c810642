"""Markup is not prose: the parts of a .txt/.md/.jsonl article that a reader does not read as its text.

A brief is made of the article's sentences. HTML comments, ``<details>`` blocks, hidden
elements, code fences, YAML front matter, JSON objects, footnote and link-reference
definitions, link and image titles, and chat-template markup (``<|im_start|>``, ``[INST]``,
``### Response:``) are not sentences of the story: a page shows them folded, hidden or not at
all, and an instruction planted there was shaped to look like the brief's own output. So
:func:`prose` blanks them out: each character of markup becomes a space (a newline stays a
newline), the text keeps its length, and every sentence split from it keeps its offsets into
the original. What is blanked is never shown to the model and can never be cited.

HTML pages never get here with markup: their loader (trafilatura) keeps the text alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

_FLAGS = re.IGNORECASE | re.DOTALL | re.MULTILINE

# Whole blocks: markup and everything inside it.
_BLOCKS = [
    re.compile(p, _FLAGS)
    for p in (
        r"<!--.*?(?:-->|\Z)",  # an HTML comment (an unclosed one runs to the end)
        r"<details\b.*?(?:</details\s*>|\Z)",  # a folded block
        r"<(\w+)\b[^>]*(?:display\s*:\s*none|visibility\s*:\s*hidden|\bhidden\b|aria-hidden)[^>]*>.*?</\1\s*>",
        r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)",  # a code fence
        r"\A\s*---[ \t]*\n.*?\n---[ \t]*$",  # YAML front matter
        r"\[\^[^\]\n]+\]:.*?(?=\n\s*\n|\n(?![ \t])|\Z)",  # a footnote definition
        r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*$",  # a link reference definition
        r"\[[^\]\n]+\]:[ \t]*(?:https?://|www\.)\S+(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?",
        r"<\|im_start\|>.*?(?:<\|im_end\|>|\Z)|<\|[a-z_]+\|>",  # ChatML
        r"\[INST\].*?(?:\[/INST\]|\Z)|<<SYS>>.*?(?:<</SYS>>|\Z)",  # Llama chat tags
        r"^[ \t]*#{2,}[ \t]*(?:instruction|response|system|input|assistant|user)s?[ \t]*:?[ \t]*$"
        r".*?(?=\n\s*\n|\Z)",  # Alpaca-style headers and what follows them
        r"^[ \t]*\[[A-Za-z_][\w.-]*\][ \t]*\n(?:[ \t]*[A-Za-z_][\w.-]*[ \t]*=.*(?:\n|\Z))+",  # a TOML table
        r"!\[[^\]\n]*\]\([^)\n]*\)",  # a Markdown image
    )
]
# Only the markup part of an inline construct: a link's target and title, an HTML tag.
_LINK_TARGET = re.compile(
    r"\]\((?:[^()\s]|\([^()\s]*\))+(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
_JSON_START = re.compile(r"[{\[]\s*\"")


def _json_spans(text: str) -> Iterator[tuple[int, int]]:
    """Objects and arrays (with a quoted key or string first) that parse as JSON."""
    decoder = json.JSONDecoder()
    at = 0
    while (m := _JSON_START.search(text, at)) is not None:
        try:
            _value, end = decoder.raw_decode(text, m.start())
        except ValueError:
            at = m.start() + 1
            continue
        yield m.start(), end
        at = end


def spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` has markup that is not prose (start, end), sorted, possibly overlapping."""
    if not any(c in text for c in "<`~[{-#!") and "---" not in text:
        return []
    found: list[tuple[int, int]] = []
    for pattern in _BLOCKS:
        found += [(m.start(), m.end()) for m in pattern.finditer(text)]
    found += list(_json_spans(text))
    found += [(m.start() + 1, m.end()) for m in _LINK_TARGET.finditer(text)]
    found += [(m.start(), m.end()) for m in _TAG.finditer(text)]
    return sorted(found)


def prose(text: str) -> str:
    """``text`` with its markup blanked: same length, same offsets, newlines kept."""
    found = spans(text)
    if not found:
        return text
    chars = list(text)
    for start, end in found:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def is_markup(text: str) -> bool:
    """Whether ``text`` (a title, a line) is all markup."""
    return bool(text.strip()) and not prose(text).strip()
