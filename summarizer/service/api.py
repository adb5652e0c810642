"""The HTTP contract: request and response models (the OpenAPI schema is built from these).

A brief in a response is :class:`summarizer.Brief`, the same JSON as ``schemas/brief.schema.json``.
Errors are RFC 9457 problem documents (:class:`ProblemDocument`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from summarizer.models import Article, Brief


class ArticleIn(BaseModel):
    """One article as JSON: ``text`` (or ``html``, whose main text is extracted) and metadata."""

    model_config = ConfigDict(extra="ignore")

    text: str | None = Field(
        default=None,
        validation_alias=AliasChoices("text", "content", "body", "article"),
        description="The article as plain text (also accepted as content, body or article).",
    )
    html: str | None = Field(
        default=None, description="The article as a web page; its main text is extracted."
    )
    title: str | None = None
    published: date | None = Field(
        default=None, description="ISO date; lets 'on Thursday' resolve to a date."
    )
    url: str | None = None
    id: str | None = Field(default=None, description="Your name for the article; echoed as metadata.source.")
    model: str | None = Field(
        default=None, description="A litellm model string; default: the service's model."
    )

    @model_validator(mode="after")
    def _one_body(self) -> ArticleIn:
        if (self.text is None) == (self.html is None):
            raise ValueError("give the article as exactly one of 'text' or 'html'")
        return self


class BriefWithArticle(BaseModel):
    """``?include=article``: the brief and the article text its evidence offsets refer to."""

    article: Article
    brief: Brief


JobState = Literal["queued", "running", "done", "cancelled"]


class JobCounts(BaseModel):
    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    cancelled: int = 0


class JobLinks(BaseModel):
    self: str
    briefs: str
    errors: str
    events: str


class JobStatus(BaseModel):
    id: str
    state: JobState
    model: str | None = None
    total: int
    finished: int = Field(description="Articles briefed, failed or cancelled so far.")
    counts: JobCounts
    progress: float = Field(description="finished / total, 0 to 1.")
    eta_s: float | None = Field(
        default=None, description="Seconds until the last article, at the rate seen so far."
    )
    created_at: datetime
    updated_at: datetime
    links: JobLinks


class JobSummary(BaseModel):
    id: str
    state: JobState
    total: int
    finished: int
    progress: float
    created_at: datetime
    links: JobLinks


class JobList(BaseModel):
    jobs: list[JobSummary]


class ProblemDocument(BaseModel):
    """An error (RFC 9457): ``detail`` says what went wrong and what to do."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, object]] | None = Field(default=None, description="Field errors of a 422.")
