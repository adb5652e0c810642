"""Long articles: split to fit the model's context, brief each part, merge into one brief.

Splits fall on paragraph boundaries, then sentence boundaries, never mid-sentence unless a single
sentence is itself over budget. Merging removes developments and positions that two parts both
reported (same evidence, or near-identical wording), and a final small call writes one headline
and summary from the parts' own.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from pydantic import BaseModel, Field

from summarizer.brief import grounding
from summarizer.backends._litellm import litellm
from summarizer.backends.client import CallResult, Endpoint
from summarizer.models import SUMMARY_MAX_CHARS, Article, BriefDraft
from summarizer.settings import Settings

DEFAULT_CONTEXT = 8192  # when neither the settings nor litellm know the model's window
PROMPT_OVERHEAD = 800  # system prompt (~650 tokens) + framing, measured with litellm.token_counter
SAFETY = 0.85  # token counts for unknown models are estimates: leave room


@dataclass(frozen=True)
class Part:
    text: str
    start: int  # offset of the part in the whole article


class HeadDraft(BaseModel):
    """Headline and summary of a whole article, written from the briefs of its parts."""

    headline: str = Field(
        min_length=1, max_length=200, description="One neutral sentence saying what the article is about."
    )
    summary: str = Field(
        min_length=1,
        max_length=SUMMARY_MAX_CHARS,
        description="Two to four sentences: what happened, to whom, and why it matters.",
    )


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
    if len(text) < budget * 2 or count_tokens(text, endpoint) <= budget:  # < 2 chars/token never happens
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
        pos = para.start()
        for piece in grounding.split_sentences(para.group()):
            begin = text.index(piece, pos)
            pos = begin + len(piece)
            units.extend(_hard_cut(text, begin, pos, budget, count))
    return units


def _hard_cut(text: str, start: int, end: int, budget: int, count: Callable[[str], int]) -> list[tuple[int, int, int]]:
    tokens = count(text[start:end])
    if tokens <= budget:
        return [(start, end, tokens)]
    step = max(1, (end - start) * budget // tokens)
    return [(s, min(s + step, end), count(text[s : min(s + step, end)])) for s in range(start, end, step)]


def combine(drafts: list[BriefDraft], parts: list[Any], text: str) -> BriefDraft:
    """All parts' items in article order, with duplicates merged (also within one part)."""
    devs, positions, warns = [], [], []
    for draft in drafts:
        devs.extend(draft.key_developments)
        positions.extend(draft.stated_positions)
        warns.extend(draft.warnings)
    return BriefDraft.model_construct(
        headline=drafts[0].headline,
        summary=drafts[0].summary,
        key_developments=_dedupe(devs, lambda d: d.evidence, lambda d: d.what),
        stated_positions=_dedupe(positions, lambda p: p.quote, lambda p: f"{p.actor}: {p.stance}"),
        warnings=_dedupe(warns, lambda w: w.evidence, lambda w: f"{w.issued_by}: {w.about}"),
    )


def _dedupe(items: list[Any], span: Callable[[Any], str], gist: Callable[[Any], str]) -> list[Any]:
    kept: list[Any] = []
    for item in items:
        if not any(_same(item, other, span, gist) for other in kept):
            kept.append(item)
    return kept


def _same(a: Any, b: Any, span: Callable[[Any], str], gist: Callable[[Any], str]) -> bool:
    sa, sb = grounding.fold(span(a)).lower(), grounding.fold(span(b)).lower()
    if sa == sb or (min(len(sa), len(sb)) > 30 and (sa in sb or sb in sa)):
        return True
    ga, gb = gist(a).lower(), gist(b).lower()
    return min(len(ga), len(gb)) >= 30 and SequenceMatcher(None, ga, gb).ratio() >= 0.85


def _head_messages(article: Article, results: list[CallResult]) -> list[dict[str, str]]:
    from summarizer.brief.prompts import render_template

    return [
        {"role": "user", "content": render_template(
            "merge.j2",
            title=article.title,
            parts=[{"headline": r.draft.headline, "summary": r.draft.summary} for r in results],
        )}
    ]


def merge_heads(
    cfg: Settings, endpoint: Endpoint, article: Article, results: list[CallResult], complete: Callable[..., CallResult]
) -> CallResult:
    return complete(cfg, endpoint, _head_messages(article, results), "", response_model=HeadDraft)


async def amerge_heads(
    cfg: Settings,
    endpoint: Endpoint,
    article: Article,
    results: list[CallResult],
    acomplete: Callable[..., Awaitable[CallResult]],
) -> CallResult:
    return await acomplete(cfg, endpoint, _head_messages(article, results), "", response_model=HeadDraft)
