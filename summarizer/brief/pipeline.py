"""asummarize(): Article -> numbered sentences and candidates -> model -> checks -> Brief.

One async core; :func:`summarize` is a thin wrapper that runs it on a private event loop.

1. The article is split into numbered sentences; the recall net finds who speaks and who warns;
   text addressed to an AI model is withheld (``net``, ``injection``).
2. The model writes a draft that cites sentence numbers and words each candidate (``draft``);
   long articles are briefed part by part (``chunking``).
3. Everything it wrote is checked against the sentences it cites (``support``): a failing
   summary sentence is re-asked once with its specific problem, then dropped; a failing item
   field is replaced by the article's own words. What was dropped or rewritten, and every
   candidate's fate, is reported in ``metadata.grounding`` (``grounding``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from summarizer.backends.client import CallResult, Endpoint, acomplete, resolve_endpoint
from summarizer.brief import budget, chunking, injection, net
from summarizer.brief.draft import SUMMARY_SENTENCE_CHARS, BriefDraft, Plan, response_schema
from summarizer.brief.grounding import Grounder
from summarizer.brief.prompts import prompt_version, render_messages, render_template
from summarizer.brief.sentences import Sentence, split
from summarizer.errors import ArticleError
from summarizer.models import Article, Brief, BriefMetadata, Usage
from summarizer.settings import Settings, get_settings

T = TypeVar("T")


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


async def asummarize(
    article: Article | str,
    model: str | None = None,
    *,
    settings: Settings | None = None,
    **overrides: Any,
) -> Brief:
    """Brief one article with the configured model (the embedded one by default)."""
    started = time.perf_counter()
    art = as_article(article)
    cfg = _settings(settings, {"model": model, **overrides})
    if len(art.text) > cfg.max_article_chars:
        raise ArticleError(
            f"the article has {len(art.text):,} characters, over the limit of "
            f"{cfg.max_article_chars:,} (SUMMARIZER_MAX_ARTICLE_CHARS)"
        )
    # Starting the embedded server, splitting and counting tokens of a large article block for
    # seconds: keep them off the event loop, where other articles are being briefed.
    endpoint = await asyncio.to_thread(resolve_endpoint, cfg)
    # The analysis is CPU-bound (linear, but seconds for a large article): a worker thread within
    # a time budget, whose overrun is this article's ArticleError (brief/budget.py).
    sentences, parts, found, suspects, title_suspect = await budget.run(
        lambda check: _analyse(art, cfg, endpoint, check)
    )
    withheld = {s.number for s, _ in suspects}
    plans = [
        Plan.of(
            [s for s in sentences if part.start <= s.start < part.end], found, withheld, bool(title_suspect)
        )
        for part in parts
    ]
    plans = [p for p in plans if p.sentences] or [Plan.of(sentences, found, withheld, bool(title_suspect))]

    calls: list[CallResult] = []
    for number, plan in enumerate(plans, start=1):
        messages = render_messages(art, plan, number, len(plans))
        schema = response_schema(plan) if endpoint.constrained else None
        calls.append(
            await acomplete(cfg, endpoint, messages, BriefDraft, context={"plan": plan}, schema=schema)
        )

    grounder = Grounder(art, sentences, found, suspects, title_suspect)
    drafts = [(plan, call.draft) for plan, call in zip(plans, calls, strict=True)]
    summary = grounder.summary_candidates(drafts)
    failing = [(i, text, refs, verdict) for i, (text, refs, verdict) in enumerate(summary) if not verdict.ok]
    if failing and cfg.reasks > 0:
        repair = await _repair(cfg, endpoint, grounder, failing)
        calls.append(repair)
        for (i, _text, refs, _verdict), fixed in zip(failing, repair.draft.sentences, strict=False):
            summary[i] = (fixed.text, refs, grounder.check_summary(fixed.text, refs))
    content = grounder.brief(drafts, summary, strict=cfg.strict)
    usage = Usage()
    for call in calls:
        usage = usage.add(call.usage)
    metadata = BriefMetadata(
        model=endpoint.model,
        prompt_version=prompt_version(),
        article_sha256=art.sha256,
        source=art.source_id or art.url,
        attempts=sum(c.attempts for c in calls),
        usage=usage,
        latency_s=round(time.perf_counter() - started, 3),
        chunks=len(plans),
        grounding=grounder.report,
    )
    return Brief(**content, metadata=metadata)


def summarize(
    article: Article | str,
    model: str | None = None,
    *,
    settings: Settings | None = None,
    **overrides: Any,
) -> Brief:
    """Synchronous :func:`asummarize` (runs it on summarizer's own event loop thread)."""
    return run_sync(asummarize(article, model, settings=settings, **overrides))


def _prepare(text: str, cfg: Settings, endpoint: Endpoint) -> tuple[list[Sentence], list[chunking.Part]]:
    return split(text), chunking.plan(text, cfg, endpoint)


def _analyse(
    art: Article, cfg: Settings, endpoint: Endpoint, check: Callable[[], None]
) -> tuple[list[Sentence], list[chunking.Part], net.Net, list[tuple[Sentence, str]], str | None]:
    """Sentences, parts, the recall net, injection suspects (sentences, title); ``check`` raises
    once the article's time is spent."""
    sentences, parts = _prepare(art.text, cfg, endpoint)
    check()
    found = net.find(sentences, check=check)
    check()
    return sentences, parts, found, injection.scan(sentences), injection.scan_title(art.title)


class RepairedSentence(BaseModel):
    text: str = Field(min_length=1, max_length=SUMMARY_SENTENCE_CHARS)


class RepairDraft(BaseModel):
    """Summary sentences rewritten to say only what their article sentences say."""

    sentences: list[RepairedSentence]

    @model_validator(mode="after")
    def _one_each(self, info: ValidationInfo) -> RepairDraft:
        want = (info.context or {}).get("count")
        if want is not None and len(self.sentences) != want:
            raise ValueError(f"write exactly {want} sentences, one for each numbered item, in order")
        return self


async def _repair(
    cfg: Settings, endpoint: Endpoint, grounder: Grounder, failing: list[tuple[int, str, list[int], Any]]
) -> CallResult:
    """One request re-asks every failing summary sentence, each with its specific problem."""
    items = [
        {
            "text": text,
            "problems": "; ".join(verdict.problems),
            "support": [grounder.sentence(n) for n in refs],
        }
        for _i, text, refs, verdict in failing
    ]
    messages = [{"role": "user", "content": render_template("repair.j2", items=items)}]
    schema = None
    if endpoint.constrained:
        schema = RepairDraft.model_json_schema()
        schema["properties"]["sentences"].update(minItems=len(items), maxItems=len(items))
        schema["$defs"]["RepairedSentence"]["required"] = ["text"]
    return await acomplete(cfg, endpoint, messages, RepairDraft, context={"count": len(items)}, schema=schema)


# --- the sync wrapper ---------------------------------------------------------------------------

_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_LOCK = threading.Lock()


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on one long-lived background loop, from any thread or inside a running loop.

    One loop for the process (not ``asyncio.run`` per call): litellm and httpx keep async
    clients that belong to the loop that made them.
    """
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None or _LOOP.is_closed():
            _LOOP = asyncio.new_event_loop()
            threading.Thread(target=_LOOP.run_forever, name="summarizer-loop", daemon=True).start()
    return asyncio.run_coroutine_threadsafe(coroutine, _LOOP).result()
