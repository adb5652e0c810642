"""summarize(): Article -> prompt -> model client -> Brief, for one article.

Long articles are split on paragraph and sentence boundaries to fit the model's context, briefed
part by part, and merged (see ``chunking``); evidence offsets always refer to the whole article.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

from summarizer.brief import chunking, grounding
from summarizer.backends.client import CallResult, Endpoint, acomplete, complete, resolve_endpoint
from summarizer.errors import ArticleError
from summarizer.models import (
    SUMMARY_MAX_CHARS,
    Article,
    Brief,
    BriefDraft,
    BriefMetadata,
    GroundingReport,
    KeyDevelopment,
    KeyDevelopmentDraft,
    Span,
    StatedPosition,
    Usage,
    Warning,
)
from summarizer.brief.prompts import prompt_version, render_messages
from summarizer.settings import Settings, get_settings


def as_article(article: Article | str, **fields: Any) -> Article:
    """Accept an ``Article`` or plain text; plain text gets a clear error when it is blank."""
    if isinstance(article, Article):
        return article.model_copy(update=fields) if fields else article
    if not isinstance(article, str):
        raise ArticleError(f"expected article text or an Article, got {type(article).__name__}")
    if not article.strip():
        raise ArticleError("the article is empty (no text after removing whitespace)")
    return Article(text=article, **fields)


def _settings(settings: Settings | None, overrides: dict[str, Any]) -> Settings:
    if settings is None:
        return get_settings(**overrides)
    return settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})


def _begin(article: Article | str, model: str | None, settings: Settings | None, overrides: dict[str, Any]) -> tuple[Article, Settings, float]:
    art = as_article(article)
    cfg = _settings(settings, {"model": model, **overrides})
    _check_size(art, cfg)
    return art, cfg, time.perf_counter()


def summarize(
    article: Article | str,
    model: str | None = None,
    *,
    settings: Settings | None = None,
    **overrides: Any,
) -> Brief:
    """Brief one article with the configured model (the embedded one by default)."""
    art, cfg, started = _begin(article, model, settings, overrides)
    endpoint = resolve_endpoint(cfg)
    parts = chunking.plan(art.text, cfg, endpoint)
    results = [
        complete(cfg, endpoint, render_messages(art, p.text, i + 1, len(parts)), p.text)
        for i, p in enumerate(parts)
    ]
    merged = chunking.merge_heads(cfg, endpoint, art, results, complete) if len(parts) > 1 else None
    return _assemble(art, cfg, endpoint, parts, results, merged, started)


async def asummarize(
    article: Article | str,
    model: str | None = None,
    *,
    settings: Settings | None = None,
    **overrides: Any,
) -> Brief:
    """Async :func:`summarize`; the parts of a long article are briefed one after another."""
    art, cfg, started = _begin(article, model, settings, overrides)
    # Starting the embedded server blocks for seconds: keep it off the event loop.
    endpoint = await asyncio.to_thread(resolve_endpoint, cfg) if not cfg.model else resolve_endpoint(cfg)
    parts = chunking.plan(art.text, cfg, endpoint)
    results = [
        await acomplete(cfg, endpoint, render_messages(art, p.text, i + 1, len(parts)), p.text)
        for i, p in enumerate(parts)
    ]
    merged = await chunking.amerge_heads(cfg, endpoint, art, results, acomplete) if len(parts) > 1 else None
    return _assemble(art, cfg, endpoint, parts, results, merged, started)


def _check_size(article: Article, cfg: Settings) -> None:
    if len(article.text) > cfg.max_article_chars:
        raise ArticleError(
            f"the article has {len(article.text):,} characters, over the limit of "
            f"{cfg.max_article_chars:,} (SUMMARIZER_MAX_ARTICLE_CHARS)"
        )


def _assemble(
    article: Article,
    cfg: Settings,
    endpoint: Endpoint,
    parts: list[chunking.Part],
    results: list[CallResult],
    merged: CallResult | None,
    started: float,
) -> Brief:
    draft = chunking.combine([r.draft for r in results], parts, article.text)
    head = merged.draft if merged else results[0].draft
    every = results + ([merged] if merged else [])
    usage = Usage()
    for r in every:
        usage = usage.add(r.usage)
    report = GroundingReport(
        dropped=[d for r in results for d in r.dropped],
        spans=_spans(draft, article.text),
    )
    report.verified = len(draft.key_developments) + len(draft.stated_positions) + len(draft.warnings)
    published = article.published
    return Brief(
        headline=head.headline.strip(),
        summary=_without_repeats(head.summary),
        key_developments=[
            KeyDevelopment(**d.model_dump(), when_iso=_resolve_date(d.when, published))
            for d in _checked_places_and_times(draft.key_developments, article.text, report)
        ],
        stated_positions=[StatedPosition(**p.model_dump()) for p in draft.stated_positions],
        warnings=[Warning(**w.model_dump()) for w in draft.warnings],
        metadata=BriefMetadata(
            model=endpoint.model,
            prompt_version=prompt_version(),
            article_sha256=article.sha256,
            source=article.source_id or article.url,
            attempts=sum(r.attempts for r in every),
            usage=usage,
            latency_s=round(time.perf_counter() - started, 3),
            chunks=len(parts),
            grounding=report,
        ),
    )


def _checked_places_and_times(
    developments: list[KeyDevelopmentDraft], text: str, report: GroundingReport
) -> list[KeyDevelopmentDraft]:
    """Null a when or where the article does not state (or a when that names no time): these
    are optional, so the item stays, and the report lists what was cleared."""
    from summarizer.brief.dates import names_time

    checked = []
    for i, d in enumerate(developments):
        update: dict[str, None] = {}
        if d.when and not (grounding.mentions(d.when, text) and names_time(d.when)):
            update["when"] = None
        if d.where and not grounding.mentions(d.where, text):
            update["where"] = None
        report.cleared += [f"key_developments[{i}].{k}" for k in update]
        checked.append(d.model_copy(update=update))
    return checked


def _without_repeats(summary: str) -> str:
    """Small models at temperature 0 sometimes loop a sentence until the schema's length cap
    cuts them off: keep each sentence's first occurrence (near-repeats included) and drop a
    cut-off tail."""
    from difflib import SequenceMatcher

    kept: list[str] = []
    for sentence in (s.strip() for s in grounding.split_sentences(summary.strip())):
        # Near-repeats too ("X is rising." / "X is also rising."): a loop rarely copies exactly.
        if sentence and not any(SequenceMatcher(None, sentence.lower(), k.lower()).ratio() >= 0.85 for k in kept):
            kept.append(sentence)
    cut = len(summary) >= SUMMARY_MAX_CHARS
    if cut and len(kept) > 1 and not kept[-1].endswith((".", "!", "?", '"', "'", "”", ")")):
        kept.pop()
    return " ".join(kept)


def _spans(draft: BriefDraft, text: str) -> list[Span]:
    spans = []
    for kind, field in (("key_developments", "evidence"), ("stated_positions", "quote"), ("warnings", "evidence")):
        for i, item in enumerate(getattr(draft, kind)):
            where = grounding.locate(getattr(item, field), text)
            if where is not None:
                spans.append(Span(item=f"{kind}[{i}].{field}", start=where[0], end=where[1]))
    return spans


def _resolve_date(when: str | None, published: date | None) -> date | None:
    if not when or published is None:
        return None
    from summarizer.brief.dates import resolve

    return resolve(when, published)
