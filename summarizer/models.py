"""The contract: the article that goes in, the draft the model fills, the brief that comes out.

Two layers on purpose. ``BriefDraft`` is what the *model* sees (its JSON Schema and field
descriptions are part of the prompt) and validates grounding against the article through
instructor's validation context. ``Brief`` is the envelope users get: the draft's content plus
``metadata`` that only the library can know (model, prompt version, usage over all attempts...).
"""

from __future__ import annotations

import copy
import hashlib
import re
from datetime import date, datetime, timezone
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator, model_validator

from summarizer.brief import grounding

SCHEMA_VERSION = 1


class Article(BaseModel):
    """One news article. Only ``text`` is required."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The article body as plain text.")
    title: str | None = None
    url: str | None = None
    published: date | None = Field(
        default=None, description="Publication date; lets relative dates resolve to ISO dates."
    )
    source_id: str | None = Field(
        default=None, description="Where the article came from: a path, a JSONL id, a URL."
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the article is empty (no text after removing whitespace)")
        return value

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


# --- What the model fills in ------------------------------------------------------------------


_NULLISH = {"", "none", "null", "n/a", "na", "not stated", "unknown", "not specified"}


# Length caps are part of the schema, so a grammar-constrained local model cannot loop a
# sentence until max_tokens runs out (seen with the 1.5B model at temperature 0).
SUMMARY_MAX_CHARS = 700


class _Draft(BaseModel):
    @field_validator("*", mode="before")
    @classmethod
    def _nullish_to_none(cls, value: Any, info: ValidationInfo) -> Any:
        """Small models write "None" or "N/A" for a missing optional value; store a real null."""
        field = cls.model_fields[info.field_name] if info.field_name else None
        if field is not None and not field.is_required() and isinstance(value, str):
            if value.strip().lower() in _NULLISH:
                return None
        return value


class KeyDevelopmentDraft(_Draft):
    evidence: str = Field(
        min_length=1,
        description="First, the sentence of the article that reports this development, copied "
        "character for character. Each development cites a different sentence.",
    )
    what: str = Field(
        max_length=300,
        min_length=1,
        description="What that sentence says happened or was announced, as one short factual "
        "sentence in your words.",
    )
    when: str | None = Field(
        max_length=80,
        default=None,
        description="When it happened, exactly as the article words it (e.g. 'on Thursday'); "
        "null if the article does not say.",
    )
    where: str | None = Field(
        max_length=120,
        default=None, description="Where it happened, as the article names it; null if not stated."
    )


class StatedPositionDraft(_Draft):
    quote: str = Field(
        min_length=1,
        description="First, the sentence of the article that quotes or reports what the actor "
        "said, copied character for character.",
    )
    actor: str = Field(
        max_length=120,
        min_length=1,
        description="Who said it, named exactly as in that sentence or the article (a person, "
        "government, organisation or group).",
    )
    role: str | None = Field(
        max_length=150,
        default=None, description="The actor's title or role as the article gives it; or null."
    )
    stance: str = Field(
        max_length=300,
        min_length=1, description="What the actor says or claims, paraphrased in one sentence."
    )


class WarningDraft(_Draft):
    evidence: str = Field(
        min_length=1,
        description="First, the sentence of the article that carries the warning, copied "
        "character for character.",
    )
    issued_by: str = Field(
        max_length=120,
        min_length=1, description="Who issues the warning, threat or caution, named as in the article."
    )
    about: str = Field(
        max_length=200,
        min_length=1, description="The consequence warned about, in one short phrase."
    )
    condition: str | None = Field(
        max_length=300,
        default=None, description="The condition attached ('if X, then Y'), if any; or null."
    )
    audience: str | None = Field(
        max_length=150,
        default=None, description="Who the warning is addressed to, if stated; or null."
    )


# Every field of the draft is required (lists may be empty where allowed): with grammar-
# constrained decoding an optional key lets a small model close the object early, skipping them.
class BriefDraft(BaseModel):
    """A brief of one news article. Every evidence and quote is copied verbatim from the article."""

    headline: str = Field(
        max_length=200,
        min_length=1, description="One neutral sentence saying what the article is about."
    )
    summary: str = Field(
        max_length=SUMMARY_MAX_CHARS,
        min_length=1,
        description="Two to four sentences: what happened, to whom, and why it matters.",
    )
    key_developments: list[KeyDevelopmentDraft] = Field(
        min_length=1,
        max_length=5,
        description="The main events that happened or were announced, most important first.",
    )
    stated_positions: list[StatedPositionDraft] = Field(
        max_length=5,
        description="What named actors said or claimed. Empty if nobody is quoted or cited.",
    )
    warnings: list[WarningDraft] = Field(
        max_length=3,
        description="Explicit warnings, threats or cautions that someone in the article issues "
        "(the sentence says they warned, threatened, cautioned or feared). Usually empty.",
    )

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> BriefDraft:
        """Check every span against the article passed as validation context.

        Raising makes instructor re-ask with this message, so it names each missing span. On the
        last attempt in lenient mode the offending items are dropped instead, and recorded in
        ``context["dropped"]`` for the grounding report.
        """
        ctx = info.context or {}
        article = ctx.get("article")
        if not article:
            return self
        problems = ungrounded_items(self, article)
        if not problems:
            return self
        if ctx.get("drop_ungrounded"):
            reasons: dict[tuple[str, int], list[str]] = {}
            for kind, index, reason in problems:
                reasons.setdefault((kind, index), []).append(reason)
            drop = set(reasons)
            ctx.setdefault("dropped", []).extend(
                DroppedItem(kind=kind, index=index, reason="; ".join(why), item=getattr(self, kind)[index].model_dump())
                for (kind, index), why in reasons.items()
            )
            for kind in ("key_developments", "stated_positions", "warnings"):
                kept = [it for i, it in enumerate(getattr(self, kind)) if (kind, i) not in drop]
                setattr(self, kind, kept)
            return self
        lines = "\n".join(f"- {kind}[{index}]: {reason}" for kind, index, reason in problems)
        raise ValueError(
            "These items are not supported by the article text. Copy evidence and quotes "
            "character for character from the article, name actors as the article names them, "
            f"or remove the item:\n{lines}"
        )


# A warning's evidence must say someone warns; a position's quote must attribute words to someone.
_WARNING_CUE = re.compile(
    r"\b(warn\w*|threat\w*|caution\w*|danger\w*|risk\w*|alarm\w*|alert\w*|fear\w*|urg\w+|"
    r"advis\w+|could|might|may|would|if|unless|must|should)\b",
    re.IGNORECASE,
)
_SPEECH_CUE = re.compile(
    r"[\"\u201c\u201d]|\b(said|says|say|told|tells|according|claim\w*|stat\w+|announc\w+|insist\w*|argu\w+|"
    r"add\w*|believ\w+|accus\w+|den\w+|deni\w+|call\w*|urg\w+|indicat\w+|confirm\w*|suggest\w*|"
    r"vow\w*|promis\w+|admit\w*|assert\w*|wrote|writ\w+|tweet\w*|post\w*|explain\w*|describ\w+)\b",
    re.IGNORECASE,
)


def ungrounded_items(draft: BriefDraft, article: str) -> list[tuple[str, int, str]]:
    """Every (list name, index, reason) whose span or actor the article does not support.

    Besides the verbatim check, a warning's evidence must read as a warning and a position's
    quote must attribute words to someone: a verbatim but irrelevant sentence is not support.
    """
    problems: list[tuple[str, int, str]] = []

    def span(kind: str, i: int, field: str, value: str) -> None:
        if grounding.locate(value, article) is None:
            problems.append((kind, i, f"{field} not found in the article: {_clip(value)!r}"))

    for i, dev in enumerate(draft.key_developments):
        span("key_developments", i, "evidence", dev.evidence)
    for i, pos in enumerate(draft.stated_positions):
        span("stated_positions", i, "quote", pos.quote)
        if not _SPEECH_CUE.search(pos.quote):
            problems.append(("stated_positions", i, f"quote does not report anyone's words: {_clip(pos.quote)!r}"))
        if not grounding.names_in(pos.actor, article):
            problems.append(("stated_positions", i, f"actor not named in the article: {pos.actor!r}"))
    for i, warn in enumerate(draft.warnings):
        span("warnings", i, "evidence", warn.evidence)
        if not _WARNING_CUE.search(warn.evidence):
            problems.append(("warnings", i, f"evidence is not a warning, threat or caution: {_clip(warn.evidence)!r}"))
        if not grounding.names_in(warn.issued_by, article):
            problems.append(("warnings", i, f"issued_by not named in the article: {warn.issued_by!r}"))
    return problems


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- What the library returns -----------------------------------------------------------------


class KeyDevelopment(KeyDevelopmentDraft):
    when_iso: date | None = Field(
        default=None,
        description="`when` resolved to a calendar date using the article's publication date, "
        "where that is possible.",
    )


class StatedPosition(StatedPositionDraft):
    pass


class Warning(WarningDraft):  # noqa: A001 - the product's word for it
    pass


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def add(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class Span(BaseModel):
    """Where an item's evidence or quote sits in the article: ``text[start:end]``."""

    item: str = Field(description="JSON path of the field, e.g. 'key_developments[0].evidence'.")
    start: int
    end: int


class DroppedItem(BaseModel):
    kind: Literal["key_developments", "stated_positions", "warnings"]
    index: int = Field(description="Position of the item in the model's last answer.")
    reason: str
    item: dict[str, Any]


class GroundingReport(BaseModel):
    verified: int = Field(0, description="Items whose every span was found in the article.")
    dropped: list[DroppedItem] = Field(default_factory=list)
    spans: list[Span] = Field(default_factory=list)
    cleared: list[str] = Field(
        default_factory=list,
        description="Optional fields set to null because the article does not state them (a "
        "development's when or where), or because a when names no time, e.g. "
        "'key_developments[2].when'.",
    )


class BriefMetadata(BaseModel):
    model: str
    prompt_version: str
    article_sha256: str
    source: str | None = None
    attempts: int = Field(description="Model requests made, failed and re-asked ones included.")
    usage: Usage = Field(default_factory=Usage, description="Tokens summed over every attempt.")
    latency_s: float
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    chunks: int = Field(1, description="Pieces a long article was split into.")
    grounding: GroundingReport = Field(default_factory=GroundingReport)


class Brief(BaseModel):
    """A typed, evidence-backed brief of one article (schema version 1)."""

    schema_version: Literal[1] = SCHEMA_VERSION
    headline: str
    summary: str
    key_developments: list[KeyDevelopment] = Field(default_factory=list)
    stated_positions: list[StatedPosition] = Field(default_factory=list)
    warnings: list[Warning] = Field(default_factory=list)
    metadata: BriefMetadata

    @property
    def items(self) -> int:
        return len(self.key_developments) + len(self.stated_positions) + len(self.warnings)


def brief_json_schema() -> dict[str, Any]:
    """The published JSON Schema of a :class:`Brief` (``schemas/brief.schema.json``)."""
    schema = Brief.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://summarizer.dev/schemas/brief.v{SCHEMA_VERSION}.json"
    return schema


_SENTENCES: ContextVar[tuple[str, ...] | None] = ContextVar("summarizer_evidence_sentences", default=None)
_SCHEMA_CACHE: dict[tuple[str, ...], dict[str, Any]] = {}
_SPAN_FIELDS = (("KeyDevelopmentDraft", "evidence"), ("StatedPositionDraft", "quote"), ("WarningDraft", "evidence"))


class _EvidenceEnumSchema:
    """Mixin: the JSON Schema's evidence and quote fields become an enum of the article's sentences.

    The sentences come from a context variable set around one model call, so one class serves
    every article (building a pydantic class per article cost ~30 ms) and concurrent asyncio
    tasks each see their own article.
    """

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # instructor wraps the model in a fresh subclass per call and asks for its schema each
        # time; pydantic takes ~5 ms to build it, so build it once per name and docstring.
        key = (cls.__name__, cls.__doc__, repr(args), repr(sorted(kwargs.items())))
        if key not in _SCHEMA_CACHE:
            _SCHEMA_CACHE[key] = super().model_json_schema(*args, **kwargs)  # type: ignore[misc]
        schema = copy.deepcopy(_SCHEMA_CACHE[key])
        spans = _SENTENCES.get()
        if spans:
            for definition, field in _SPAN_FIELDS:
                prop = schema["$defs"][definition]["properties"][field]
                prop.pop("minLength", None)
                prop["enum"] = list(spans)
        return schema


ConstrainedBriefDraft: type[BriefDraft] = create_model(  # type: ignore[call-overload]
    "BriefDraft", __base__=(_EvidenceEnumSchema, BriefDraft), __doc__=BriefDraft.__doc__
)


@contextmanager
def constrained_to(article_text: str) -> Iterator[type[BriefDraft]]:
    """A ``BriefDraft`` whose schema only admits this article's sentences as evidence and quotes.

    Sent as the response format to servers with grammar-constrained decoding (llama.cpp, vLLM),
    the enum makes a verbatim copy the only thing the decoder can produce: a 1.5B model that
    paraphrases "quotes" then still yields grounded evidence. Validation stays the grounding
    validators' job, so the parsed model is the ordinary draft.
    """
    spans = tuple(grounding.sentences(article_text))
    token = _SENTENCES.set(spans or None)
    try:
        yield ConstrainedBriefDraft if spans else BriefDraft
    finally:
        _SENTENCES.reset(token)
