"""asummarize(): Article -> numbered sentences and candidates -> model -> checks -> Brief.

One async core, ``_events``, which yields the brief as it forms (``asummarize_stream``: the net's
candidates, each item once final, the summary, the Brief); ``asummarize`` is its last event, with
the model's answers read whole instead of streamed, and :func:`summarize` / ``summarize_stream``
run them on a private event loop. Which items are final while the model writes: ``events``.

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
import contextlib
import functools
import queue
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from summarizer.backends.client import CallResult, Endpoint, acomplete, resolve_endpoint
from summarizer.brief import budget, chunking, events, injection, net
from summarizer.brief.draft import SUMMARY_SENTENCE_CHARS, BriefDraft, Plan, response_schema
from summarizer.brief.grounding import Grounder
from summarizer.brief.prompts import prompt_version, render_messages, render_template
from summarizer.brief.sentences import Sentence, split
from summarizer.errors import ArticleError
from summarizer.models import (
    Article,
    Brief,
    BriefEvent,
    BriefMetadata,
    DoneEvent,
    ItemEvent,
    SummaryEvent,
    Usage,
)
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
    """Brief one article with the configured model (the embedded one by default).

    The same pipeline as :func:`asummarize_stream` (its ``done`` event), with each model answer
    read whole rather than streamed.
    """
    async with contextlib.aclosing(
        _events(article, model, settings, overrides, stream=False, quiet=True)
    ) as made:
        async for event in made:
            if isinstance(event, DoneEvent):
                return event.brief
    raise AssertionError("the pipeline ended without a brief")  # pragma: no cover


async def asummarize_stream(
    article: Article | str,
    model: str | None = None,
    *,
    settings: Settings | None = None,
    stream_model: bool = True,
    **overrides: Any,
) -> AsyncGenerator[BriefEvent, None]:
    """Brief one article, yielding the brief as it forms (``summarizer.models``):

    ``candidates`` (the recall net's sentences, before any model call), then ``item`` events
    (positions and warnings from the net at once; each development as soon as the model has
    written it and it passed the checks ``summarize()`` applies: never retracted), ``summary``
    (the checked summary and headline) and ``done`` (the ``Brief``, as ``asummarize`` returns it).

    ``stream_model``: read the model's answers as they are written (``stream: true``); False
    sends the plain request and emits a request's developments when its answer is whole.
    Stopping the iteration (or cancelling its task) cancels the model call.
    """
    # Closing this iterator early closes the inner ones at once (their ``finally`` cancels the
    # model call), not whenever they are garbage-collected.
    async with contextlib.aclosing(_events(article, model, settings, overrides, stream=stream_model)) as made:
        async for event in made:
            yield event


def summarize(
    article: Article | str,
    model: str | None = None,
    *,
    settings: Settings | None = None,
    **overrides: Any,
) -> Brief:
    """Synchronous :func:`asummarize` (runs it on summarizer's own event loop thread)."""
    return run_sync(asummarize(article, model, settings=settings, **overrides))


def summarize_stream(
    article: Article | str,
    model: str | None = None,
    *,
    settings: Settings | None = None,
    stream_model: bool = True,
    **overrides: Any,
) -> Iterator[BriefEvent]:
    """Synchronous :func:`asummarize_stream`: events as they come; leaving the loop early (or
    closing the iterator) cancels the model call."""
    return iterate_sync(
        asummarize_stream(article, model, settings=settings, stream_model=stream_model, **overrides)
    )


async def _events(
    article: Article | str,
    model: str | None,
    settings: Settings | None,
    overrides: dict[str, Any],
    *,
    stream: bool,
    quiet: bool = False,
) -> AsyncGenerator[BriefEvent, None]:
    """The one pipeline: every brief, streamed or not, is made here. ``quiet``: only the brief is
    wanted (``asummarize``): items are not worked out ahead of it, unless an answer was re-asked."""
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
    yield events.candidates_event(found, withheld)

    # Items are final when emitted; with --strict one dropped or rewritten field fails the whole
    # brief, so nothing is shown before the brief stands.
    held: list[ItemEvent] | None = [] if cfg.strict else None
    ready: asyncio.Queue[ItemEvent] = asyncio.Queue()
    tracker = events.ItemTracker(
        art, sentences, found, suspects, title_suspect, ready.put_nowait, quiet=quiet
    )
    for event in await asyncio.to_thread(tracker.net_events, plans):  # parses: off the loop
        if held is None:
            yield event
        else:
            held.append(event)

    calls: list[CallResult] = []
    for number, plan in enumerate(plans, start=1):
        messages = render_messages(art, plan, number, len(plans))
        schema = response_schema(plan) if endpoint.constrained else None
        tracker.start(plan)
        request = acomplete(
            cfg, endpoint, messages, BriefDraft, context={"plan": plan}, schema=schema,
            on_text=tracker.on_text, stream=stream,
        )  # fmt: skip
        async with contextlib.aclosing(_while(request, ready, calls, tracker)) as written:
            async for event in written:
                if held is None:
                    yield event
                else:
                    held.append(event)
        await tracker.finish(calls[-1].draft)
        for event in _drain(ready):
            if held is None:
                yield event
            else:
                held.append(event)

    grounder = Grounder(art, sentences, found, suspects, title_suspect)
    content = await _summary_and_content(cfg, endpoint, grounder, tracker.done, calls, stream=stream)
    for event in [*(held or []), *_drain(ready)]:
        yield event
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
    brief = Brief(**content, metadata=metadata)
    tracker.check(brief)
    yield SummaryEvent(
        headline=brief.headline, summary=brief.summary, summary_sentences=brief.summary_sentences
    )
    yield DoneEvent(brief=brief)


async def _summary_and_content(
    cfg: Settings,
    endpoint: Endpoint,
    grounder: Grounder,
    drafts: list[tuple[Plan, BriefDraft]],
    calls: list[CallResult],
    *,
    stream: bool = False,
) -> dict[str, Any]:
    """The checked summary (re-asked once where it fails) and the brief's content; the repair
    request, if any, is added to ``calls`` (``stream``: its answer is streamed, like the drafts')."""
    extractive = cfg.summary_style == "extractive" or (cfg.summary_style == "auto" and endpoint.constrained)
    # The checks parse sentences (~10 ms each, ~0.3 s an article): off the event loop, where other
    # articles' requests are waiting.
    summary = await asyncio.to_thread(grounder.summary_candidates, drafts)
    failing = [(i, text, refs, verdict) for i, (text, refs, verdict) in enumerate(summary) if not verdict.ok]
    if failing and cfg.reasks > 0 and not extractive:
        repair = await _repair(cfg, endpoint, grounder, failing, stream=stream)
        calls.append(repair)
        for (i, _text, refs, _verdict), fixed in zip(failing, repair.draft.sentences, strict=False):
            summary[i] = (fixed.text, refs, await asyncio.to_thread(grounder.check_summary, fixed.text, refs))
    return await asyncio.to_thread(
        functools.partial(grounder.brief, drafts, summary, strict=cfg.strict, extractive=extractive)
    )


async def _while(
    request: Coroutine[Any, Any, CallResult],
    ready: asyncio.Queue[ItemEvent],
    calls: list[CallResult],
    tracker: events.ItemTracker,
) -> AsyncGenerator[ItemEvent, None]:
    """Run one model call, yielding the items that become final while it runs; its result goes
    to ``calls``. Leaving early (the consumer stopped, or was cancelled) cancels the call."""
    task = asyncio.ensure_future(request)
    checker = asyncio.ensure_future(tracker.checking())
    try:
        while True:
            getter = asyncio.ensure_future(ready.get())
            done, _ = await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield getter.result()
                continue
            getter.cancel()
            calls.append(task.result())  # raises the call's error
            await tracker.settle()
            await checker  # what was written while the call ran is checked and emitted
            for event in _drain(ready):
                yield event
            return
    finally:
        for pending in (task, checker):
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending


def _drain(ready: asyncio.Queue[ItemEvent]) -> list[ItemEvent]:
    out = []
    while not ready.empty():
        out.append(ready.get_nowait())
    return out


def _prepare(text: str, cfg: Settings, endpoint: Endpoint) -> tuple[list[Sentence], list[chunking.Part]]:
    # Markup (comments, fences, JSON, footnotes...) is blanked, offsets kept: never shown, never cited.
    return split(injection.prose(text)), chunking.plan(text, cfg, endpoint)


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
    cfg: Settings,
    endpoint: Endpoint,
    grounder: Grounder,
    failing: list[tuple[int, str, list[int], Any]],
    *,
    stream: bool = False,
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
    return await acomplete(
        cfg, endpoint, messages, RepairDraft, context={"count": len(items)}, schema=schema, stream=stream
    )


# --- the sync wrapper ---------------------------------------------------------------------------

_LOOP: asyncio.AbstractEventLoop | None = None
_LOOP_LOCK = threading.Lock()


def _loop() -> asyncio.AbstractEventLoop:
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None or _LOOP.is_closed():
            _LOOP = asyncio.new_event_loop()
            threading.Thread(target=_LOOP.run_forever, name="summarizer-loop", daemon=True).start()
        return _LOOP


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on one long-lived background loop, from any thread or inside a running loop.

    One loop for the process (not ``asyncio.run`` per call): litellm and httpx keep async
    clients that belong to the loop that made them.
    """
    return asyncio.run_coroutine_threadsafe(coroutine, _loop()).result()


def iterate_sync(events: AsyncIterator[T]) -> Iterator[T]:
    """An async iterator consumed on the background loop, as a plain iterator; closing it early
    (a ``break``, garbage collection) cancels what the async one was doing."""
    out: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()

    async def pump() -> None:
        try:
            async with contextlib.aclosing(events):  # type: ignore[type-var]
                async for event in events:
                    out.put(("event", event))
        except BaseException as exc:
            out.put(("error", exc))
            if isinstance(exc, asyncio.CancelledError):
                raise
        else:
            out.put(("end", None))

    def iterate() -> Iterator[T]:
        future = asyncio.run_coroutine_threadsafe(pump(), _loop())
        try:
            while True:
                kind, value = out.get()
                if kind == "event":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            future.cancel()

    return iterate()
