"""Long articles: split to fit the model's context, so each part is briefed on its own.

Splits fall on paragraph boundaries, then sentence boundaries, never mid-sentence unless a single
sentence is itself over budget. Sentence numbers are the whole article's, so the parts' drafts
merge without renumbering (``grounding.Grounder``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from summarizer.backends._litellm import litellm
from summarizer.backends.client import Endpoint
from summarizer.brief.sentences import split_line
from summarizer.settings import Settings

DEFAULT_CONTEXT = 8192  # when neither the settings nor litellm know the model's window
PROMPT_OVERHEAD = 1000  # system prompt + sentence numbers + candidate lists
SAFETY = 0.85  # token counts for unknown models are estimates: leave room


@dataclass(frozen=True)
class Part:
    text: str
    start: int  # offset of the part in the whole article

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def count_tokens(text: str, endpoint: Endpoint) -> int:
    return int(litellm().token_counter(model=endpoint.model, text=text))


def context_window(cfg: Settings, endpoint: Endpoint) -> int:
    if cfg.context_tokens:
        return cfg.context_tokens
    if endpoint.context_tokens:
        return endpoint.context_tokens
    try:
        info = litellm().get_model_info(endpoint.model)
        return int(info.get("max_input_tokens") or info.get("max_tokens") or DEFAULT_CONTEXT)
    except Exception:
        return DEFAULT_CONTEXT


def article_budget(cfg: Settings, endpoint: Endpoint) -> int:
    """Tokens of article text one request may carry."""
    room = context_window(cfg, endpoint) - cfg.max_tokens - PROMPT_OVERHEAD
    return max(256, int(room * SAFETY))


def plan(text: str, cfg: Settings, endpoint: Endpoint) -> list[Part]:
    """One part if the article fits, else paragraph/sentence-aligned parts that each fit."""
    budget = article_budget(cfg, endpoint)
    # A byte-level BPE token covers at least one UTF-8 byte, so a text of fewer bytes than the
    # budget fits without counting; anything larger is counted (Chinese runs ~1.3 tokens a character).
    if len(text.encode("utf-8")) <= budget or count_tokens(text, endpoint) <= budget:
        return [Part(text, 0)]
    return split(text, budget, lambda s: count_tokens(s, endpoint))


def split(text: str, budget: int, count: Callable[[str], int]) -> list[Part]:
    units = _units(text, budget, count)
    parts: list[Part] = []
    start = end = units[0][0]
    used = 0
    for u_start, u_end, tokens in units:
        if used and used + tokens > budget:
            parts.append(Part(text[start:end], start))
            start, used = u_start, 0
        end, used = u_end, used + tokens
    parts.append(Part(text[start:end], start))
    return parts


def _units(text: str, budget: int, count: Callable[[str], int]) -> list[tuple[int, int, int]]:
    """(start, end, tokens) of paragraphs, with over-budget paragraphs cut into sentences."""
    units = []
    for para in re.finditer(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", text, flags=re.S):
        tokens = count(para.group())
        if tokens <= budget:
            units.append((para.start(), para.end(), tokens))
            continue
        for start, end in split_line(para.group()):
            units.extend(_hard_cut(text, para.start() + start, para.start() + end, budget, count))
    return units


def _hard_cut(
    text: str, start: int, end: int, budget: int, count: Callable[[str], int]
) -> list[tuple[int, int, int]]:
    tokens = count(text[start:end])
    if tokens <= budget:
        return [(start, end, tokens)]
    step = max(1, (end - start) * budget // tokens)
    return [(s, min(s + step, end), count(text[s : min(s + step, end)])) for s in range(start, end, step)]
