"""What the model is asked for: a draft that cites the article's sentences by number.

Citing by number instead of copying sentences cuts most of the generated tokens (every token is
~57 ms on the embedded model) and makes evidence exact by construction. The model writes only
what needs a writer: the developments (which sentences, in what order, in a few words), the
summary (each sentence citing its support) and the headline. Who speaks and who warns is the
recall net's (``net``): a 1.5B model asked to word each voice mostly copied the sentence or
drifted to the neighbouring one, at ~30 generated tokens a voice, so positions and warnings are
worded from the article itself (``grounding``). On servers with grammar-constrained decoding
the response format makes every citation an enum of real sentence numbers
(:func:`response_schema`); hosted models get the plain schema, and :class:`BriefDraft`'s
validator holds them to it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from summarizer.brief.net import Candidate, Net
from summarizer.brief.sentences import Sentence

# Length caps are part of the schema, so a grammar-constrained model cannot loop a sentence
# until max_tokens runs out (seen with the 1.5B model at temperature 0).
SUMMARY_SENTENCE_CHARS = 240
WHAT_CHARS = 140
HEADLINE_CHARS = 150
MAX_SUMMARY_SENTENCES = 3
MAX_DEVELOPMENTS = 5


class DevelopmentDraft(BaseModel):
    sentence: int = Field(description="Number of the article sentence that reports this development.")
    what: str = Field(
        min_length=1, max_length=WHAT_CHARS, description="What happened, in one short sentence."
    )


class SummarySentenceDraft(BaseModel):
    text: str = Field(
        min_length=1, max_length=SUMMARY_SENTENCE_CHARS, description="One sentence of the summary."
    )
    support: list[int] = Field(
        min_length=1, max_length=2, description="Numbers of the article sentences that state it."
    )


class BriefDraft(BaseModel):
    """A brief that cites the numbered sentences of one news article."""

    developments: list[DevelopmentDraft] = Field(
        min_length=1,
        max_length=MAX_DEVELOPMENTS,
        description="The main events reported, most important first, each citing a different sentence.",
    )
    summary: list[SummarySentenceDraft] = Field(
        min_length=1,
        max_length=MAX_SUMMARY_SENTENCES,
        description="Two or three sentences: what happened, to whom, and why it matters. Each sentence "
        "restates what its supporting sentences say, with the article's names and numbers.",
    )
    headline: str = Field(
        min_length=1,
        max_length=HEADLINE_CHARS,
        description="One neutral line saying what the article is about.",
    )

    @model_validator(mode="after")
    def _cites_the_plan(self, info: ValidationInfo) -> BriefDraft:
        """Hosted models are not grammar-constrained: hold them to the plan, naming each problem."""
        plan = (info.context or {}).get("plan")
        if not isinstance(plan, Plan):
            return self
        problems = plan.problems(self)
        if problems:
            raise ValueError(
                "The answer does not follow the instructions:\n" + "\n".join(f"- {p}" for p in problems)
            )
        return self


@dataclass
class Plan:
    """One request: the article sentences it shows and the net's candidates it must account for."""

    sentences: list[Sentence]
    candidate_voices: list[Candidate] = field(default_factory=list)
    candidate_warnings: list[Candidate] = field(default_factory=list)
    withheld: set[int] = field(
        default_factory=set
    )  # sentence numbers kept from the model (suspected injection)
    heading: int | None = None  # a title line at the top of the text: shown as the title, not cited
    title_withheld: bool = False  # the title reads as an instruction to a model: not shown

    @classmethod
    def of(
        cls, sentences: list[Sentence], net: Net, withheld: set[int], title_withheld: bool = False
    ) -> Plan:
        shown = {s.number for s in sentences}
        return cls(
            sentences,
            [c for c in net.voices if c.sentence.number in shown],
            [c for c in net.warnings if c.sentence.number in shown],
            withheld & shown,
            heading_of(sentences),
            title_withheld,
        )

    @property
    def numbers(self) -> list[int]:
        return [
            s.number for s in self.sentences if s.number not in self.withheld and s.number != self.heading
        ]

    @property
    def voices(self) -> list[Candidate]:
        return [c for c in self.candidate_voices if c.sentence.number not in self.withheld]

    @property
    def warnings(self) -> list[Candidate]:
        return [c for c in self.candidate_warnings if c.sentence.number not in self.withheld]

    def sentence(self, number: int) -> Sentence | None:
        return self._by_number.get(number)

    @property
    def _by_number(self) -> dict[int, Sentence]:
        return {s.number: s for s in self.sentences}

    def min_developments(self) -> int:
        return max(1, min(3, len(self.numbers) // 4))

    def problems(self, draft: BriefDraft) -> list[str]:
        """What makes an answer unusable, for a re-ask. A few bad citations are not: the
        grounding drops those items and reports them; an answer with no real citation is."""
        allowed = set(self.numbers)
        out = []
        if not any(d.sentence in allowed for d in draft.developments):
            bad = [d.sentence for d in draft.developments]
            out.append(
                f"developments cite sentences {bad}, which do not exist; cite the numbers shown as [n]"
            )
        if not any(n in allowed for s in draft.summary for n in s.support):
            out.append("summary sentences must cite the numbers of existing article sentences")
        return out


def heading_of(sentences: list[Sentence]) -> int | None:
    """The number of a title line opening the text ("Russia Claims Gains Amid ..."): alone in
    its paragraph, short, without a sentence's end. A headline restates; it is no evidence."""
    if len(sentences) < 2 or sentences[0].number != 1:
        return None
    first = sentences[0]
    alone = sentences[1].paragraph != first.paragraph
    if alone and len(first.text.split()) <= 20 and first.text.rstrip()[-1:] not in ".!?\"'\u201d\u2019":
        return first.number
    return None


def response_schema(plan: Plan) -> dict[str, Any]:
    """The draft's JSON Schema narrowed to this article, for grammar-constrained decoding.

    Citations become enums of the sentence numbers the model was shown (withheld ones left
    out), and the list lengths fit the article, so the decoder cannot cite what is not there.
    """
    schema = copy.deepcopy(_base_schema())
    defs = schema["$defs"]
    numbers = plan.numbers or [0]
    defs["DevelopmentDraft"]["properties"]["sentence"] = {"type": "integer", "enum": numbers}
    defs["SummarySentenceDraft"]["properties"]["support"]["items"] = {"type": "integer", "enum": numbers}
    schema["properties"]["developments"]["minItems"] = min(plan.min_developments(), len(numbers))
    schema["properties"]["developments"]["maxItems"] = min(MAX_DEVELOPMENTS, len(numbers))
    schema["properties"]["summary"]["minItems"] = min(2, len(numbers))
    return schema


_BASE: dict[str, Any] = {}


def _base_schema() -> dict[str, Any]:
    if not _BASE:
        schema = BriefDraft.model_json_schema()
        # Every key required: with grammar-constrained decoding an optional key lets a small
        # model close the object early.
        for definition in [schema, *schema.get("$defs", {}).values()]:
            definition["required"] = list(definition.get("properties", {}))
        _BASE.update(schema)
    return _BASE
