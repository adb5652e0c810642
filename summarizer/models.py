"""The contract: the article that goes in and the brief that comes out.

What the *model* is asked to fill is a different, smaller thing (``summarizer.brief.draft``): it
cites sentences by number. A ``Brief`` is what users get: every evidence and quote is an article
sentence with its offsets, every free-text field passed the support check, and ``metadata``
says what only the library can know (model, prompt version, usage over all requests, what the
grounding kept, rewrote or dropped, and why).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

SCHEMA_VERSION: Literal[1] = 1


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


# --- What the library returns -----------------------------------------------------------------


class KeyDevelopment(BaseModel):
    evidence: str = Field(description="The article's sentence that reports the development, verbatim.")
    what: str = Field(description="What happened, in one short sentence.")
    when: str | None = Field(default=None, description="When it happened, in the article's words.")
    where: str | None = Field(default=None, description="Where it happened, in the article's words.")
    when_iso: date | None = Field(
        default=None,
        description="`when` resolved to a calendar date using the article's publication date, "
        "where that is possible.",
    )


class StatedPosition(BaseModel):
    quote: str = Field(description="The article's sentence that quotes or reports the actor, verbatim.")
    actor: str = Field(description="Who said it, named as the article names them.")
    role: str | None = Field(default=None, description="The actor's title or role, as the article gives it.")
    stance: str = Field(description="What the actor says or claims, in one sentence.")


class Warning(BaseModel):
    evidence: str = Field(description="The article's sentence that carries the warning, verbatim.")
    issued_by: str = Field(description="Who warns, named as the article names them.")
    about: str = Field(description="The danger or consequence warned of.")
    condition: str | None = Field(
        default=None, description="The condition attached ('if ...'), in the article's words."
    )
    audience: str | None = Field(default=None, description="Who is warned, if the article says.")


class SentenceRef(BaseModel):
    """One article sentence: ``text[start:end]``, numbered from 1 as the model saw it."""

    number: int
    start: int
    end: int


class SummarySentence(BaseModel):
    text: str
    support: list[SentenceRef] = Field(description="The article sentences that state it.")


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


class Dropped(BaseModel):
    """Something the model wrote that the brief leaves out, and why."""

    item: str = Field(description="Where it would have gone, e.g. 'summary[2]', 'key_developments[1]'.")
    text: str
    reason: str


class Rewritten(BaseModel):
    """A field whose model wording failed the support check and was replaced by the article's words."""

    item: str = Field(description="JSON path of the field, e.g. 'stated_positions[0].stance'.")
    model_text: str
    reason: str


class CandidateNote(BaseModel):
    """A sentence the recall net caught (someone speaks or warns) and what became of it."""

    kind: Literal["voice", "warning"]
    sentence: int
    start: int
    end: int
    outcome: str = Field(description="The item it became (e.g. 'warnings[0]'), or why it was left out.")


class SuspectedInjection(BaseModel):
    """Article text addressed to an AI model; kept out of what the model was asked to brief."""

    start: int
    end: int
    text: str
    reason: str
    field: Literal["text", "title"] = Field(
        default="text", description="Where the offsets point: the article's text or its title."
    )


class GroundingReport(BaseModel):
    verified: int = Field(0, description="Items whose evidence is an article sentence (all of them).")
    spans: list[Span] = Field(default_factory=list)
    summary_checked: int = Field(0, description="Summary sentences the model wrote and the check examined.")
    summary_passed: int = Field(0, description="Of those, sentences backed by their cited sentences.")
    dropped: list[Dropped] = Field(default_factory=list)
    rewritten: list[Rewritten] = Field(default_factory=list)
    cleared: list[str] = Field(
        default_factory=list,
        description="Optional fields left null because the article does not state them.",
    )
    candidates: list[CandidateNote] = Field(default_factory=list)
    injection_suspected: list[SuspectedInjection] = Field(default_factory=list)


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
    summary_sentences: list[SummarySentence] = Field(
        default_factory=list,
        description="The summary sentence by sentence, each with the article sentences behind it.",
    )
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


# --- The brief as it forms: events of ``summarize_stream`` / ``asummarize_stream`` ---------------


class CandidateSentence(BaseModel):
    """An article sentence where the recall net found someone speaking or warning."""

    kind: Literal["voice", "warning"]
    sentence: int = Field(description="Its number, counting from 1.")
    start: int
    end: int
    text: str = Field(description="The sentence, verbatim: ``article.text[start:end]``.")
    actor: str = Field(description="Who speaks or warns, as the net read it.")
    withheld: bool = Field(
        False, description="The sentence reads as an instruction to an AI model: kept from the model."
    )


class CandidatesEvent(BaseModel):
    """First, before any model call: the sentences the net found, from the article alone."""

    event: Literal["candidates"] = "candidates"
    candidates: list[CandidateSentence] = Field(default_factory=list)


class ItemEvent(BaseModel):
    """One item of the brief, final: it passed the checks ``summarize()`` applies and is in the
    ``done`` brief at ``section[index]``. Items are never retracted."""

    event: Literal["item"] = "item"
    section: Literal["key_developments", "stated_positions", "warnings"]
    index: int
    item: KeyDevelopment | StatedPosition | Warning
    spans: list[Span] = Field(
        default_factory=list, description="Where its evidence or quote is in the article."
    )
    origin: Literal["model", "net"] = Field(
        description="'model': a development the model wrote (checked against its sentence); "
        "'net': a position or warning worded from the article by the recall net."
    )


class SummaryEvent(BaseModel):
    """The headline and the summary sentences, once checked (after the repair re-ask, if any)."""

    event: Literal["summary"] = "summary"
    headline: str
    summary: str
    summary_sentences: list[SummarySentence] = Field(default_factory=list)


class DoneEvent(BaseModel):
    """Last: the whole brief, as ``summarize()`` returns it."""

    event: Literal["done"] = "done"
    brief: Brief


BriefEvent = Annotated[CandidatesEvent | ItemEvent | SummaryEvent | DoneEvent, Field(discriminator="event")]
EVENT_ADAPTER: TypeAdapter[BriefEvent] = TypeAdapter(BriefEvent)
