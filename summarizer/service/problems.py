"""Errors as RFC 9457 problem documents: one status and message per failure kind, never a traceback.

The messages are the CLI's (the library's exceptions say what to do), redacted like every line
summarizer writes.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from summarizer.errors import (
    ArticleError,
    ConfigurationError,
    InvalidResponseError,
    ModelUnavailableError,
    SummarizerError,
)
from summarizer.redact import redact

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors


def from_error(exc: SummarizerError) -> Problem:
    """The status of each library failure: the input's fault (422) or the model's (502/504)."""
    detail = redact(str(exc))
    if isinstance(exc, ArticleError):
        return Problem(422, "Not an article we can brief", detail)
    if isinstance(exc, ModelUnavailableError):
        timed_out = "timeout" in detail.lower() or "timed out" in detail.lower()
        return Problem(504 if timed_out else 502, "The model did not answer", detail)
    if isinstance(exc, ConfigurationError):
        return Problem(502, "The model rejected the request", detail)
    if isinstance(exc, InvalidResponseError):
        return Problem(502, "The model gave no valid brief", detail)
    return Problem(502, "The model failed", detail)


def response(problem: Problem, request: Request) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": problem.title,
        "status": problem.status,
        "detail": redact(problem.detail),
        "instance": request.url.path,
        "request_id": request_id,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    return JSONResponse(body, status_code=problem.status, headers=problem.headers, media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return response(exc, request)

    @app.exception_handler(SummarizerError)
    async def _library(request: Request, exc: SummarizerError) -> JSONResponse:
        return response(from_error(exc), request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()
        ]  # no input echoed
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
        return response(Problem(422, "Invalid request", detail, errors=errors), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed"}
        return response(
            Problem(
                exc.status_code,
                titles.get(exc.status_code, "Error"),
                str(exc.detail),
                dict(exc.headers or {}),
            ),
            request,
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
        return response(
            Problem(
                500,
                "Internal error",
                "the service failed unexpectedly; the request id identifies it in the service log",
            ),
            request,
        )
