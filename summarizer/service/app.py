"""The FastAPI app: routes over the briefer, the store and the job workers.

POST /v1/briefs            one article -> a Brief (JSON, or Markdown with Accept: text/markdown)
POST /v1/jobs              many articles -> 202, Location: /v1/jobs/{id}
GET  /v1/jobs[/{id}]       state, counts, progress, ETA
GET  /v1/jobs/{id}/briefs  JSONL, streamed, while the job runs too   (/errors likewise)
GET  /v1/jobs/{id}/events  server-sent progress, resumable with Last-Event-ID
DELETE /v1/jobs/{id}       cancel
GET  /healthz /readyz /metrics, and / (the page)
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles

from summarizer.errors import ArticleError, SummarizerError
from summarizer.models import Article, Brief
from summarizer.redact import redact
from summarizer.service import problems
from summarizer.service.access import AccessLog
from summarizer.service.admission import Admission
from summarizer.service.api import ArticleIn, BriefWithArticle, JobList, JobStatus, ProblemDocument
from summarizer.service.briefing import Briefer
from summarizer.service.config import ServiceSettings, match_key
from summarizer.service.metrics import Metrics
from summarizer.service.problems import Problem
from summarizer.service.store import NewItem, Store, request_hash
from summarizer.service.workers import JobWorkers
from summarizer.settings import Settings, get_settings

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemDocument, "description": text}
    for status, text in {
        400: "Malformed body",
        401: "Missing or wrong API key",
        413: "Too large",
        415: "Unsupported content type",
        422: "Not a briefable article / invalid request",
        429: "Busy or rate-limited; see Retry-After",
        502: "The model failed",
        504: "The model timed out",
    }.items()
}
_ARTICLE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ArticleIn"}},
            "text/plain": {"schema": {"type": "string"}},
            "text/markdown": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        },
    }
}
_JOB_BODY = {
    "requestBody": {
        "required": True,
        "description": "A JSON array of article records, or JSONL (one record a line): the shapes "
        "`summarizer run` reads (text/content/body/article or html, title, published, url, id).",
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/ArticleIn"}}
            },
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


class Service:
    """What the routes share: settings, store, briefer, workers, metrics, keys."""

    def __init__(self, config: ServiceSettings, settings: Settings):
        self.config = config
        self.settings = settings
        self.keys = config.api_keys()
        self.store = Store(config.database_url)
        self.metrics = Metrics(self.store)
        concurrency = config.concurrency or (1 if settings.model is None else 16)
        self.briefer = Briefer(
            settings, self.store, self.metrics, concurrency, config.queue_limit, config.share_cache
        )
        self.workers: JobWorkers | None = None
        self.limiters: dict[str, Any] = {}

    def check_model(self, model: str | None) -> None:
        """A caller may choose the configured model, or one an operator allowed
        (SUMMARIZER_SERVER_MODELS): any other runs on this server's credentials, at its cost."""
        if not model:
            return
        allowed = {m for m in (self.settings.model, self.briefer.model) if m}
        allowed |= set(self.config.allowed_models())
        if model not in allowed:
            raise Problem(
                422,
                "Model not allowed",
                f"this service does not brief with {model[:100]!r}; leave 'model' out to use its model"
                + (f", or choose one of: {', '.join(sorted(allowed))}" if len(allowed) > 1 else "")
                + " (an operator allows more with SUMMARIZER_SERVER_MODELS)",
            )

    async def start(self) -> None:
        await self.store.run(self.store.migrate)
        await self.briefer.start()
        self.workers = JobWorkers(self.briefer, self.store, self.config)
        self.workers.start()

    async def stop(self) -> None:
        if self.workers is not None:
            await self.workers.stop(self.config.shutdown_grace_s)
        self.store.close()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


async def _owner(request: Request) -> str:
    """The caller's key id ("" without keys); 401 without a valid key, 429 past the rate."""
    service: Service = request.app.state.service
    config = service.config
    who = ""
    if service.keys:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        found = (
            match_key(token.strip(), service.keys) if scheme.lower() == "bearer" and token.strip() else None
        )
        if found is None:
            raise Problem(
                401,
                "Unauthorized",
                "send a valid API key as 'Authorization: Bearer <key>'",
                {"WWW-Authenticate": 'Bearer realm="summarizer"'},
            )
        who = found
    request.state.owner = who
    if config.rate_limit:
        from aiolimiter import AsyncLimiter

        limiter = service.limiters.setdefault(who, AsyncLimiter(config.rate_limit, 60))
        if not limiter.has_capacity():
            service.metrics.rejected.labels("rate_limited").inc()
            retry = max(1, math.ceil(60 / config.rate_limit))
            raise Problem(
                429,
                "Too many requests",
                f"over the limit of {config.rate_limit} requests a minute for this key; retry in {retry} s",
                {"Retry-After": str(retry)},
            )
        await limiter.acquire()
    return who


Owner = Annotated[str, Depends(_owner)]


def create_app(config: ServiceSettings | None = None, settings: Settings | None = None) -> FastAPI:
    config = config or ServiceSettings()
    service = Service(config, settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        log.info(
            "summarizer service ready: model %s, store %s, %d model slot(s)",
            service.briefer.model,
            "sqlite" if service.store.is_sqlite else "postgresql",
            service.briefer.concurrency,
        )
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(
        title="summarizer",
        version=_version(),
        lifespan=lifespan,
        description="Typed, evidence-backed briefs of news articles. Errors are RFC 9457 problem documents.",
        docs_url=None,  # served below, with Swagger UI's files from this machine (no CDN)
    )
    app.state.service = service
    app.add_middleware(
        Admission,
        briefer=service.briefer,
        max_body_bytes=config.max_body_bytes,
        body_timeout_s=config.body_timeout_s,
    )
    app.add_middleware(AccessLog, metrics=service.metrics, keys=service.keys)  # outermost
    problems.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    swagger = _swagger_assets()
    if swagger is not None:
        app.mount("/docs/assets", StaticFiles(directory=swagger), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        """Swagger UI. Its script and style come from this server (an offline machine, or one
        whose browser cannot reach a CDN, still gets the page), where they are installed."""
        from fastapi.openapi.docs import get_swagger_ui_html

        spec, title = app.openapi_url or "/openapi.json", "summarizer API"
        if swagger is None:
            return get_swagger_ui_html(openapi_url=spec, title=title)
        return get_swagger_ui_html(
            openapi_url=spec,
            title=title,
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon.png",
        )

    # -- operations ---------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": _CSP})

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses={503: {"model": ProblemDocument}})
    async def readyz(request: Request) -> JSONResponse:
        """The store answers and the model server is reachable."""
        checks: dict[str, str] = {}
        try:
            await service.store.run(service.store.ping)
            checks["store"] = "ok"
        except Exception as exc:
            checks["store"] = redact(f"{type(exc).__name__}: {exc}")[:300]
        checks["model"] = await _model_reachable(service.settings, service.briefer.model)
        if checks["store"] != "ok":  # the detail is for the operator's log, not an anonymous caller
            log.warning("readyz: store %s", checks["store"])
            checks["store"] = "unavailable"
        if all(v in ("ok", "not checked (hosted provider)") for v in checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        raise Problem(503, "Not ready", "; ".join(f"{k}: {v}" for k, v in checks.items()))

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    async def metrics() -> Response:
        body = await service.store.run(service.metrics.render)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    # -- one article --------------------------------------------------------------------------

    @app.post(
        "/v1/briefs",
        tags=["briefs"],
        response_model=Brief,
        openapi_extra=_ARTICLE_BODY,
        responses={
            **_PROBLEMS,
            200: {
                "content": {"text/markdown": {}, "text/event-stream": {}},
                "description": "The brief; header X-Summarizer-Cache: hit or miss. With Accept: "
                "text/event-stream, the brief as it forms: server-sent events candidates, item..., "
                "summary, done (the Brief), or error (a problem document)",
            },
        },
    )
    async def create_brief(
        request: Request,
        who: Owner,
        include: Annotated[
            str | None, Query(pattern="^article$", description="'article': return {article, brief}")
        ] = None,
    ) -> Response:
        """Brief one article: JSON (text or html) or a raw text/plain, text/markdown or text/html body."""
        # Admitted already (a place in the bounded queue is held): see service/admission.py.
        body = await _read_body(request, config.max_body_bytes)

        async def handle() -> Response:
            article, model = await _article_from_body(request, body, service.settings.max_article_chars)
            service.check_model(model)
            brief, cache = await service.briefer.brief(article, model, who)
            headers = {"X-Summarizer-Cache": cache}
            if _wants_markdown(request.headers.get("accept", "")):
                from summarizer.brief.render import brief_markdown

                return Response(
                    brief_markdown(brief, article.title, article.text),
                    media_type="text/markdown; charset=utf-8",
                    headers=headers,
                )
            if include == "article":
                payload = BriefWithArticle(article=article, brief=brief).model_dump_json()
            else:
                payload = brief.model_dump_json()
            return Response(payload, media_type="application/json", headers=headers)

        if _wants_events(request.headers.get("accept", "")):
            # The brief as it forms (server-sent events); not stored for Idempotency-Key replays.
            async def streamed() -> Response:
                article, model = await _article_from_body(request, body, service.settings.max_article_chars)
                service.check_model(model)
                cache, events = await service.briefer.open_stream(article, model, who)
                return _event_stream(request, article if include == "article" else None, events, cache)

            return await _answer(request, streamed)
        return await _idempotent(service, request, who, body, handle)

    # -- jobs ---------------------------------------------------------------------------------

    @app.post(
        "/v1/jobs",
        tags=["jobs"],
        status_code=202,
        response_model=JobStatus,
        openapi_extra=_JOB_BODY,
        responses=_PROBLEMS,
    )
    async def create_job(
        request: Request,
        who: Owner,
        model: Annotated[str | None, Query(description="litellm model string for every article")] = None,
    ) -> Response:
        """Brief many articles in the background; poll the Location, or follow its events."""
        body = await _read_body(request, config.max_job_bytes)

        async def handle() -> Response:
            service.check_model(model)
            items = await asyncio.to_thread(
                _job_items,
                body,
                request.headers.get("content-type", ""),
                config.max_job_articles,
                service.settings.max_article_chars,
            )
            job_id = await service.store.run(service.store.create_job, who, model, items)
            if service.workers is not None:
                service.workers.wake()
            status = await _job_status(service, job_id, who)
            return Response(
                status.model_dump_json(),
                status_code=202,
                media_type="application/json",
                headers={"Location": f"/v1/jobs/{job_id}"},
            )

        return await _idempotent(service, request, who, body, handle)

    @app.get("/v1/jobs", tags=["jobs"], response_model=JobList, responses=_PROBLEMS)
    async def list_jobs(who: Owner, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JobList:
        """This key's jobs, newest first."""
        rows = await service.store.run(service.store.jobs, who, limit)
        return JobList.model_validate({"jobs": [_summary(r) for r in rows]})

    @app.get("/v1/jobs/{job_id}", tags=["jobs"], response_model=JobStatus, responses=_PROBLEMS)
    async def get_job(job_id: str, who: Owner) -> JobStatus:
        return await _job_status(service, job_id, who)

    @app.delete("/v1/jobs/{job_id}", tags=["jobs"], response_model=JobStatus, responses=_PROBLEMS)
    async def cancel_job(job_id: str, who: Owner) -> JobStatus:
        """Cancel what has not finished: those articles end as 'cancelled' error records."""
        await _job_status(service, job_id, who)  # 404 for someone else's job
        await service.store.run(service.store.cancel_job, job_id)
        return await _job_status(service, job_id, who)

    @app.get(
        "/v1/jobs/{job_id}/briefs",
        tags=["jobs"],
        responses={
            **_PROBLEMS,
            200: {
                "content": {"application/x-ndjson": {}},
                "description": "One line per briefed article: id, source, cached, brief",
            },
        },
    )
    async def job_briefs(job_id: str, who: Owner) -> StreamingResponse:
        """The briefs finished so far, in submission order, as JSONL (streamed)."""
        await _job_status(service, job_id, who)
        return StreamingResponse(_results(service, job_id, briefs=True), media_type="application/x-ndjson")

    @app.get(
        "/v1/jobs/{job_id}/errors",
        tags=["jobs"],
        responses={
            **_PROBLEMS,
            200: {
                "content": {"application/x-ndjson": {}},
                "description": "One line per failed or cancelled article, with the reason",
            },
        },
    )
    async def job_errors(job_id: str, who: Owner) -> StreamingResponse:
        """Articles that ended without a brief, and why, as JSONL (streamed)."""
        await _job_status(service, job_id, who)
        return StreamingResponse(_results(service, job_id, briefs=False), media_type="application/x-ndjson")

    @app.get(
        "/v1/jobs/{job_id}/events",
        tags=["jobs"],
        responses={
            **_PROBLEMS,
            200: {
                "content": {"text/event-stream": {}},
                "description": "status, then one 'item' event per finished article, then 'end'",
            },
        },
    )
    async def job_events(
        job_id: str,
        request: Request,
        who: Owner,
        last_event_id: Annotated[
            int | None, Query(ge=0, le=_MAX_EVENT_ID, description="Or the Last-Event-ID header")
        ] = None,
    ) -> Response:
        """Server-sent events: ``item`` (id = finish number) per finished article, then ``end``."""
        from sse_starlette.sse import EventSourceResponse

        await _job_status(service, job_id, who)
        after = _last_event_id(request.headers.get("last-event-id"), last_event_id)
        return EventSourceResponse(_events(service, request, job_id, who, after), ping=15)

    return app


# -- request bodies -----------------------------------------------------------------------------


_MAX_EVENT_ID = 2**53  # finish numbers count a job's articles: far below, and exact in JSON
_DRAIN_BYTES = 32 * 1024 * 1024  # read (and drop) up to this much of a body past the limit


def _last_event_id(header: str | None, query: int | None) -> int:
    """Where a resumed event stream starts: the Last-Event-ID header (ASCII digits, in range),
    else ``?last_event_id=``, else the beginning. A bad header is a 400 before the stream starts."""
    if header is None or not header.strip():
        return query or 0
    text = header.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 16 and int(text) <= _MAX_EVENT_ID):
        raise Problem(
            400,
            "Bad Last-Event-ID",
            f"Last-Event-ID must be an event id this stream sent (decimal digits, at most {_MAX_EVENT_ID})",
        )
    return int(text)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 once it is known to be over ``limit``. What is over is read
    and dropped (up to a bound) before the answer: a server that answers and closes while the
    client is still sending resets the connection, and the client never sees the 413."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        size = int(declared)
        if size <= limit + _DRAIN_BYTES:
            await _drain(request, size)
        raise Problem(413, "Body too large", f"the body has {size:,} bytes, over the limit of {limit:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            await _drain(request, limit + _DRAIN_BYTES - size)
            raise Problem(413, "Body too large", f"the body is over the limit of {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _drain(request: Request, budget: int) -> None:
    """Read and drop the rest of the body, at most ``budget`` bytes of it."""
    async for chunk in request.stream():
        budget -= len(chunk)
        if budget <= 0:
            return


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _article_from_body(request: Request, body: bytes, max_chars: int) -> tuple[Article, str | None]:
    from pydantic import ValidationError

    from summarizer.batch.inputs import decode, html_article, parse_json, text_article

    media = _media_type(request)
    model = None
    if media == "application/json" or media.endswith("+json"):
        try:
            data = parse_json(body, "the body")
        except ArticleError as exc:
            raise Problem(400, "Malformed JSON", str(exc)) from None
        if not isinstance(data, dict):
            raise Problem(422, "Invalid request", f"expected a JSON object, got {type(data).__name__}")
        try:
            given = ArticleIn.model_validate(data)
        except ValidationError as exc:
            errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
            raise Problem(
                422,
                "Invalid request",
                "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in errors),
                errors=errors,
            ) from None
        model = given.model
        # The same reader as a job's records (and `summarizer run`'s JSON), so the same article
        # is the same Article, and the same cache key, whichever way it arrives.
        article = await asyncio.to_thread(_record_article, data, given.id or given.url or "request")
        article = article.model_copy(update={"source_id": given.id or given.url})
    elif media in ("text/plain", "text/markdown", "text/x-markdown", "text/html", ""):
        text = decode(body, "request body")
        if media == "text/html":
            article = await asyncio.to_thread(html_article, text, "request body")
        else:
            article = text_article(text, "request body", markdown="markdown" in media)
        article = article.model_copy(update={"source_id": None})
    else:
        raise Problem(
            415,
            "Unsupported content type",
            f"send application/json, text/plain, text/markdown or text/html, not {media!r}",
        )
    if len(article.text) > max_chars:
        raise Problem(
            413,
            "Article too large",
            f"the article has {len(article.text):,} characters, over the "
            f"limit of {max_chars:,} (SUMMARIZER_MAX_ARTICLE_CHARS)",
        )
    return article, model


def _job_items(body: bytes, content_type: str, max_articles: int, max_chars: int) -> list[NewItem]:
    """One item per record; a record that cannot be read becomes a failed item saying why."""
    from summarizer.batch.inputs import decode, parse_json

    media = content_type.split(";")[0].strip().lower()
    text = decode(body, "request body") if body else ""
    records: list[tuple[str, Any]] = []  # (default id, record or an error message)
    if media == "application/json" or media.endswith("+json"):
        try:
            data = parse_json(text, "the body")
        except ArticleError as exc:
            raise Problem(400, "Malformed JSON", str(exc)) from None
        if not isinstance(data, list):
            raise Problem(
                422,
                "Invalid request",
                "expected a JSON array of article records (or send JSONL as application/x-ndjson)",
            )
        records = [(f"item-{n}", r) for n, r in enumerate(data, 1)]
    elif media in (
        "application/x-ndjson",
        "application/jsonl",
        "application/json-lines",
        "application/jsonlines",
        "text/plain",
        "",
    ):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append((f"line-{number}", parse_json(line, f"line {number}")))
            except ArticleError as exc:
                records.append((f"line-{number}", _Unreadable(str(exc))))
    else:
        raise Problem(
            415,
            "Unsupported content type",
            f"send a JSON array or JSONL (application/x-ndjson), not {media!r}",
        )
    if not records:
        raise Problem(422, "No articles", "the job has no article records")
    if len(records) > max_articles:
        raise Problem(
            413,
            "Too many articles",
            f"the job has {len(records):,} articles, over the limit of {max_articles:,}",
        )
    wanted = [
        str(record["id"]) if isinstance(record, dict) and record.get("id") is not None else default
        for default, record in records
    ]
    taken: set[str] = set()
    given = set(wanted)  # a repeated id becomes id-2, id-3...: never an id another record has
    items = []
    for ident, (_, record) in zip(wanted, records, strict=True):
        if ident in taken:
            n = 2
            while f"{ident}-{n}" in taken or f"{ident}-{n}" in given:
                n += 1
            ident = f"{ident}-{n}"
        taken.add(ident)
        if isinstance(record, _Unreadable):
            items.append(NewItem(ident, ident, None, str(record)))
            continue
        if not isinstance(record, dict):
            reason = f"{ident}: expected a JSON object (an article record), got {_json_type(record)}"
            items.append(NewItem(ident, ident, None, reason))
            continue
        try:
            article = _record_article(record, ident)
        except ArticleError as exc:
            items.append(NewItem(ident, ident, None, redact(str(exc))))
            continue
        if len(article.text) > max_chars:
            items.append(
                NewItem(
                    ident,
                    ident,
                    None,
                    f"{ident}: {len(article.text):,} characters, over the limit of {max_chars:,}",
                )
            )
            continue
        items.append(NewItem(ident, ident, article.model_dump_json()))
    return items


class _Unreadable(str):
    """A JSONL line that is not JSON: why, as the item's error."""


def _json_type(value: Any) -> str:
    names = {str: "a string", list: "an array", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _record_article(record: Any, source: str) -> Article:
    from summarizer.batch.inputs import html_article, record_article

    if (
        isinstance(record, dict)
        and isinstance(record.get("html"), str)
        and not any(isinstance(record.get(k), str) for k in ("text", "content", "body", "article"))
    ):
        article = html_article(record["html"], source)
        return article.model_copy(
            update={
                k: v
                for k, v in record_article({**record, "text": article.text}, source).model_dump().items()
                if v is not None and k != "text"
            }
        )
    return record_article(record, source)


def _wants_events(accept: str) -> bool:
    """Server-sent events when the client names text/event-stream (the brief as it forms)."""
    return any(part.split(";")[0].strip() == "text/event-stream" for part in accept.split(","))


def _event_stream(
    request: Request, article: Article | None, events: AsyncIterator[Any], cache: str
) -> Response:
    """``POST /v1/briefs`` as server-sent events: ``article`` (with ``include=article``), then the
    pipeline's ``candidates``, ``item``…, ``summary``, ``done`` (one SSE event type each, the data
    its JSON), or ``error`` with a problem document. A client that disconnects cancels the model
    call (the iterator is closed)."""
    from sse_starlette.sse import EventSourceResponse

    async def frames() -> AsyncIterator[dict[str, str]]:
        try:
            if article is not None:
                yield {"event": "article", "data": json.dumps({"article": article.model_dump(mode="json")})}
            async for event in events:
                yield {"event": event.event, "data": event.model_dump_json()}
        except (Problem, SummarizerError) as exc:
            problem = exc if isinstance(exc, Problem) else problems.from_error(exc)
            body = problems.response(problem, request).body
            yield {"event": "error", "data": bytes(body).decode("utf-8")}
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    return EventSourceResponse(frames(), ping=15, headers={"X-Summarizer-Cache": cache})


def _wants_markdown(accept: str) -> bool:
    """Markdown when the client ranks text/markdown above JSON."""
    best: tuple[float, int] = (0.0, 0)
    choice = None
    for position, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media in ("text/markdown", "application/json", "application/*", "*/*") and (q, -position) > best:
            best, choice = (q, -position), media
    return choice == "text/markdown"


# -- idempotency --------------------------------------------------------------------------------


async def _idempotent(
    service: Service, request: Request, who: str, body: bytes, handle: Callable[[], Awaitable[Response]]
) -> Response:
    """With an Idempotency-Key: the first response is stored; a repeat gets it back, and the same
    key with a different request is 422. Server-side failures are not stored (a retry may work)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return await _answer(request, handle)
    if not _IDEMPOTENCY_KEY.match(key):
        raise Problem(400, "Bad Idempotency-Key", "an Idempotency-Key is 1 to 255 visible ASCII characters")
    store = service.store
    digest = request_hash(
        request.method,
        request.url.path,
        request.url.query,
        _media_type(request),
        request.headers.get("accept", ""),
        body,
    )
    holder = uuid.uuid4().hex
    prior = await store.run(store.idempotency_begin, who, key, digest, holder)
    if prior is not None:
        if prior.request_hash != digest:
            raise Problem(
                422,
                "Idempotency-Key reused",
                "this Idempotency-Key was used with a different request; use a new key for a new request",
            )
        if prior.status == 0:
            raise Problem(
                409,
                "Request in progress",
                "the first request with this Idempotency-Key is still running",
                {"Retry-After": "1"},
            )
        headers = {"Idempotent-Replayed": "true", **({"Location": prior.location} if prior.location else {})}
        return Response(
            prior.body or b"", status_code=prior.status, media_type=prior.content_type, headers=headers
        )
    # While the request runs its record says it is alive: only a holder that died is taken over.
    renewing = asyncio.create_task(_renew_idempotency(store, who, key, holder))
    try:
        response = await _answer(request, handle)
    except BaseException:
        renewing.cancel()
        await store.run(store.idempotency_drop, who, key, holder)
        raise
    renewing.cancel()
    if response.status_code >= 500 or response.status_code == 429:
        await store.run(store.idempotency_drop, who, key, holder)
    else:
        await store.run(
            store.idempotency_finish,
            who,
            key,
            response.status_code,
            response.headers.get("content-type"),
            response.headers.get("location"),
            bytes(response.body),
            holder,
        )
    return response


async def _renew_idempotency(store: Store, who: str, key: str, holder: str) -> None:
    from summarizer.service.store import IDEMPOTENCY_RENEW_S

    while True:
        await asyncio.sleep(IDEMPOTENCY_RENEW_S)
        try:
            if not await store.run(store.idempotency_renew, who, key, holder):
                return
        except Exception:  # the store is briefly unavailable: the next renewal may work
            log.warning("renewing an idempotency record failed", exc_info=True)


async def _answer(request: Request, handle: Callable[[], Awaitable[Response]]) -> Response:
    """The handler's response, or its error as a problem document (so it can be stored too)."""
    try:
        return await handle()
    except Problem as problem:
        return problems.response(problem, request)
    except SummarizerError as exc:
        return problems.response(problems.from_error(exc), request)


# -- jobs ---------------------------------------------------------------------------------------


def _links(job_id: str) -> dict[str, str]:
    base = f"/v1/jobs/{job_id}"
    return {"self": base, "briefs": f"{base}/briefs", "errors": f"{base}/errors", "events": f"{base}/events"}


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def _state(job: dict[str, Any], counts: dict[str, int] | None = None) -> str:
    if job["state"] in ("done", "cancelled"):
        return str(job["state"])
    if counts is not None:
        return "running" if counts["running"] or counts["done"] else "queued"
    return "running" if job["finished"] else "queued"


def _summary(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": job["id"],
        "state": _state(job),
        "total": job["total"],
        "finished": job["finished"],
        "progress": round(job["finished"] / job["total"], 4) if job["total"] else 1.0,
        "created_at": _when(job["created_at"]),
        "links": _links(job["id"]),
    }


async def _job_status(service: Service, job_id: str, who: str) -> JobStatus:
    job = await service.store.run(service.store.job, job_id) if len(job_id) == 32 else None
    if job is None or job["owner"] != who:  # another key's job is as absent as a missing one
        raise Problem(404, "Not found", f"no job {job_id!r} for this key")
    counts = job["counts"]
    left = counts["queued"] + counts["running"]
    eta = None
    if left and counts["done"] >= 2 and job["last_done_at"] > job["first_done_at"]:
        rate = (counts["done"] - 1) / (job["last_done_at"] - job["first_done_at"])
        eta = round(left / rate, 1)
    elif not left:
        eta = 0.0
    return JobStatus.model_validate(
        {
            **_summary(job),
            "state": _state(job, counts),
            "model": job["model"],
            "counts": counts,
            "eta_s": eta,
            "updated_at": _when(job["updated_at"]),
        }
    )


async def _results(service: Service, job_id: str, briefs: bool) -> AsyncIterator[bytes]:
    after = -1
    while True:
        rows = await service.store.run(service.store.results, job_id, briefs, after)
        if not rows:
            return
        lines = []
        for row in rows:
            after = row["seq"]
            if briefs:
                brief = json.loads(row["brief"])
                brief["metadata"]["source"] = row["source"]
                line = {
                    "id": row["item_id"],
                    "source": row["source"],
                    "cached": bool(row["cached"]),
                    "brief": brief,
                }
            else:
                line = {
                    "id": row["item_id"],
                    "source": row["source"],
                    "status": row["state"],
                    "kind": row["error_kind"],
                    "reason": row["error"],
                }
            lines.append(json.dumps(line, ensure_ascii=False))
        yield ("\n".join(lines) + "\n").encode()


async def _events(
    service: Service, request: Request, job_id: str, who: str, after: int
) -> AsyncIterator[dict[str, Any]]:
    status = await _job_status(service, job_id, who)
    yield {"event": "status", "data": status.model_dump_json()}
    total = status.total
    while True:
        rows = await service.store.run(service.store.finished_items, job_id, after)
        for row in rows:
            after = row["finished_seq"]
            data = {
                "item": row["item_id"],
                "source": row["source"],
                "state": row["state"],
                "cached": bool(row["cached"]),
                "error": row["error"],
                "finished": after,
                "total": total,
            }
            yield {"id": str(after), "event": "item", "data": json.dumps(data, ensure_ascii=False)}
        if rows:
            continue
        status = await _job_status(service, job_id, who)
        if status.finished >= status.total and after >= status.finished:
            yield {"event": "end", "data": status.model_dump_json()}
            return
        if await request.is_disconnected():
            return
        await asyncio.sleep(service.config.poll_s)


# -- readiness ----------------------------------------------------------------------------------


async def _model_reachable(settings: Settings, model: str) -> str:
    """Any HTTP answer from the model server counts; a hosted provider is not probed."""
    import httpx

    from summarizer.backends.client import resolve_endpoint

    try:
        endpoint = await asyncio.to_thread(resolve_endpoint, settings)
    except SummarizerError as exc:
        log.warning("readyz: model not usable: %s", redact(str(exc))[:300])
        return "not configured"
    if not endpoint.api_base:
        return "not checked (hosted provider)"
    try:
        async with httpx.AsyncClient(timeout=3.0) as client:
            await client.get(endpoint.api_base.rstrip("/") + "/models")
        return "ok"
    except httpx.HTTPError as exc:
        # The address is the operator's business: an anonymous caller learns only the outcome.
        log.warning("readyz: %s", redact(f"{model} at {endpoint.api_base} unreachable: {type(exc).__name__}"))
        return "unreachable"


def _swagger_assets() -> Path | None:
    """A folder holding Swagger UI 5's ``swagger-ui-bundle.js`` and ``swagger-ui.css``: the copy
    litellm (a dependency of summarizer) ships, found without importing litellm; None if absent
    (then /docs falls back to FastAPI's CDN links, and says so in the log)."""
    import importlib.util

    spec = importlib.util.find_spec("litellm")
    for root in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(root) / "proxy" / "swagger"
        if (folder / "swagger-ui-bundle.js").is_file() and (folder / "swagger-ui.css").is_file():
            return folder
    log.warning("Swagger UI's files are not installed here: /docs loads them from a CDN")
    return None


def _version() -> str:
    from summarizer import __version__

    return __version__


# The page loads only its own script and style; article text is never markup.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def app_from_env() -> FastAPI:
    """The uvicorn factory (``summarizer serve``): settings from the environment."""
    from summarizer.service.logs import configure

    configure()
    return create_app()
