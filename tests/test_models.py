"""The brief's contract and the model-facing draft: schema file in sync, citations held to the plan."""

from __future__ import annotations

import asyncio
import json

import pytest
from pydantic import ValidationError

from summarizer.backends.client import _schema, _with_schema
from summarizer.brief import net
from summarizer.brief.draft import BriefDraft, Plan, response_schema
from summarizer.brief.sentences import split
from summarizer.models import Article, brief_json_schema
from tests.helpers import ROOT

ARTICLE = (
    "Mayor Jane Doe announced a new bridge on Monday. \"It opens in May,\" she said. "
    "Police warned drivers that the old road would close if the river rose."
)


def _plan(text: str = ARTICLE) -> Plan:
    sentences = split(text)
    return Plan.of(sentences, net.find(sentences), set())


def _draft(plan: Plan, **changes):
    data = {
        "developments": [{"sentence": 1, "what": "A bridge was announced."}],
        "summary": [{"text": "The mayor announced a bridge.", "support": [1]}],
        "headline": "A city plans a bridge.",
    }
    data.update(changes)
    return data


def test_published_schema_file_matches_the_models():
    on_disk = json.loads((ROOT / "schemas" / "brief.schema.json").read_text())
    assert on_disk == brief_json_schema(), "run: summarizer schema > schemas/brief.schema.json"


def test_a_draft_that_follows_the_plan_validates():
    plan = _plan()
    assert [c.actor.name for c in plan.voices] == ["Jane Doe"]
    assert [c.actor.name for c in plan.warnings] == ["Police"]
    draft = BriefDraft.model_validate(_draft(plan), context={"plan": plan})
    assert draft.developments[0].sentence == 1


def test_an_answer_citing_no_real_sentence_is_re_asked_by_name():
    plan = _plan()
    with pytest.raises(ValidationError, match=r"cite sentences \[9\], which do not exist"):
        BriefDraft.model_validate(_draft(plan, developments=[{"sentence": 9, "what": "x"}]), context={"plan": plan})
    # One bad citation among good ones is the grounding's to drop, not a reason to re-ask.
    mixed = _draft(plan, developments=[{"sentence": 1, "what": "x"}, {"sentence": 9, "what": "y"}])
    assert BriefDraft.model_validate(mixed, context={"plan": plan})


def test_withheld_sentences_cannot_be_cited():
    sentences = split(ARTICLE)
    plan = Plan.of(sentences, net.find(sentences), {1})
    with pytest.raises(ValidationError, match="do not exist"):
        BriefDraft.model_validate(_draft(plan), context={"plan": plan})


def test_the_constrained_schema_pins_citations_to_real_sentences():
    plan = _plan()
    schema = response_schema(plan)
    assert schema["$defs"]["DevelopmentDraft"]["properties"]["sentence"]["enum"] == [1, 2, 3]
    assert schema["$defs"]["SummarySentenceDraft"]["properties"]["support"]["items"]["enum"] == [1, 2, 3]
    assert schema["properties"]["developments"]["maxItems"] == 3
    assert all(set(d["required"]) == set(d["properties"]) for d in schema["$defs"].values())


async def test_concurrent_calls_each_send_their_own_schema():
    model = _with_schema(BriefDraft)

    async def schema_for(text: str) -> list[int]:
        with _schema(response_schema(_plan(text))):
            await asyncio.sleep(0.01)
            return model.model_json_schema()["$defs"]["DevelopmentDraft"]["properties"]["sentence"]["enum"]

    a, b = await asyncio.gather(schema_for("One sentence of text here."), schema_for("First sentence here. Second one here."))
    assert a == [1] and b == [1, 2]
    assert "enum" not in model.model_json_schema()["$defs"]["DevelopmentDraft"]["properties"]["sentence"]


def test_blank_article_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        Article(text=" \n\t ")
