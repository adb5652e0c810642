"""The brief's contract: schema file in sync, grounding validators, constrained evidence."""

from __future__ import annotations

import json

import pytest
from tests.helpers import ROOT
from pydantic import ValidationError

from summarizer.models import Article, BriefDraft, brief_json_schema, constrained_to

ARTICLE = "Mayor Jane Doe announced a new bridge on Monday. \"It opens in May,\" she said. Critics warned costs could double."


def _draft(**changes):
    data = {
        "headline": "A city plans a bridge.",
        "summary": "The mayor announced a bridge.",
        "key_developments": [{"evidence": "Mayor Jane Doe announced a new bridge on Monday.", "what": "A bridge was announced.", "when": "on Monday", "where": None}],
        "stated_positions": [{"quote": '"It opens in May," she said.', "actor": "Jane Doe", "role": "Mayor", "stance": "It opens in May."}],
        "warnings": [{"evidence": "Critics warned costs could double.", "issued_by": "Critics", "about": "costs doubling", "condition": None, "audience": None}],
    }
    data.update(changes)
    return data


def test_published_schema_file_matches_the_models():
    on_disk = json.loads((ROOT / "schemas" / "brief.schema.json").read_text())
    assert on_disk == brief_json_schema(), "run: summarizer schema > schemas/brief.schema.json"


def test_grounded_draft_validates_against_its_article():
    draft = BriefDraft.model_validate(_draft(), context={"article": ARTICLE})
    assert len(draft.key_developments) == 1


def test_ungrounded_span_raises_a_reask_message_naming_it():
    bad = _draft(key_developments=[{"evidence": "The mayor revealed a bridge.", "what": "x"}])
    with pytest.raises(ValidationError) as info:
        BriefDraft.model_validate(bad, context={"article": ARTICLE})
    message = str(info.value)
    assert "key_developments[0]" in message and "The mayor revealed a bridge." in message


def test_actor_must_be_named_in_the_article():
    bad = _draft(stated_positions=[{"quote": '"It opens in May," she said.', "actor": "Governor Smith", "stance": "x"}])
    with pytest.raises(ValidationError, match="actor not named"):
        BriefDraft.model_validate(bad, context={"article": ARTICLE})


def test_lenient_last_attempt_drops_and_records_ungrounded_items():
    ctx = {"article": ARTICLE, "drop_ungrounded": True}
    bad = _draft(warnings=[{"evidence": "Nobody said this.", "issued_by": "Critics", "about": "x"}])
    draft = BriefDraft.model_validate(bad, context=ctx)
    assert draft.warnings == [] and len(draft.key_developments) == 1
    assert [d.kind for d in ctx["dropped"]] == ["warnings"]
    assert "Nobody said this." in ctx["dropped"][0].reason


def test_nullish_strings_become_null():
    draft = BriefDraft.model_validate(_draft(key_developments=[{"evidence": "Critics warned costs could double.", "what": "x", "when": "None", "where": "N/A"}]))
    assert draft.key_developments[0].when is None and draft.key_developments[0].where is None


def test_constrained_schema_enumerates_only_article_sentences():
    with constrained_to(ARTICLE) as model:
        schema = model.model_json_schema()
    evidence = schema["$defs"]["KeyDevelopmentDraft"]["properties"]["evidence"]
    assert evidence["enum"] == ["Mayor Jane Doe announced a new bridge on Monday.", '"It opens in May," she said.', "Critics warned costs could double."]
    assert schema["$defs"]["StatedPositionDraft"]["properties"]["quote"]["enum"] == evidence["enum"]
    assert schema["title"] == "BriefDraft"
    # Outside the call the same class describes the plain schema again.
    assert "enum" not in model.model_json_schema()["$defs"]["KeyDevelopmentDraft"]["properties"]["evidence"]


async def test_concurrent_calls_each_see_their_own_article():
    import asyncio

    async def schema_for(text):
        with constrained_to(text) as model:
            await asyncio.sleep(0.01)
            return model.model_json_schema()["$defs"]["WarningDraft"]["properties"]["evidence"]["enum"]

    a, b = await asyncio.gather(schema_for("First article sentence here."), schema_for("Second article sentence here."))
    assert a == ["First article sentence here."] and b == ["Second article sentence here."]


def test_blank_article_is_refused():
    with pytest.raises(ValidationError, match="empty"):
        Article(text=" \n\t ")


def test_cached_constrained_schema_equals_a_fresh_pydantic_schema():
    from instructor.v2.core.function_calls import response_schema
    from pydantic.json_schema import GenerateJsonSchema

    with constrained_to(ARTICLE) as model:
        wrapped = response_schema(model)  # what instructor sends, built anew per call
        cached = wrapped.model_json_schema()
        again = response_schema(model).model_json_schema()
    fresh = GenerateJsonSchema(by_alias=True).generate(wrapped.__pydantic_core_schema__, mode="validation")
    for definition, field in (("KeyDevelopmentDraft", "evidence"), ("StatedPositionDraft", "quote"), ("WarningDraft", "evidence")):
        prop = fresh["$defs"][definition]["properties"][field]
        prop.pop("minLength")
        prop["enum"] = cached["$defs"][definition]["properties"][field]["enum"]
    assert cached == fresh == again


def test_a_looping_summary_keeps_each_sentence_once_and_drops_a_cut_off_tail():
    from summarizer.models import SUMMARY_MAX_CHARS
    from summarizer.brief.pipeline import _without_repeats

    loop = (
        "Three people were hurt when a lorry hit a bus. The conflict is intensifying in the east, "
        "where water was cut off. The conflict is also intensifying in the east, where water was cut off. "
    )
    assert _without_repeats(loop) == (
        "Three people were hurt when a lorry hit a bus. The conflict is intensifying in the east, where water was cut off."
    )
    capped = ("The bus was a replacement service. The passengers were taken to a police station. " * 20)[:SUMMARY_MAX_CHARS]
    assert _without_repeats(capped) == "The bus was a replacement service. The passengers were taken to a police station."
    # A summary under the cap keeps its last sentence even without a full stop.
    assert _without_repeats("Prices rose. Shoppers complained") == "Prices rose. Shoppers complained"
    # Different sentences about the same subject both stay.
    two = "The council closed the library on Monday. The council opened a new school on Friday."
    assert _without_repeats(two) == two
