"""Every recorded brief replays offline into a valid, grounded Brief."""

from __future__ import annotations

import json

import pytest
from tests.helpers import cassette, cassette_interactions, recorded_fixtures, replay_settings

from summarizer import Brief, summarize
from summarizer.brief.grounding import fold, locate
from summarizer.brief.prompts import prompt_version

FIXTURES = recorded_fixtures()


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.name for f in FIXTURES])
def test_replayed_brief_is_valid_and_grounded(fx):
    with cassette(fx.name):
        brief = summarize(fx.article, settings=replay_settings(**fx.settings))

    assert isinstance(brief, Brief)
    Brief.model_validate_json(brief.model_dump_json())  # round-trips through the public schema
    assert brief.headline.strip() and brief.summary.strip()
    assert brief.items >= 1, "a news article yields at least one grounded item"

    text = fx.article.text
    spans = {s.item: s for s in brief.metadata.grounding.spans}
    for kind, field in (("key_developments", "evidence"), ("stated_positions", "quote"), ("warnings", "evidence")):
        for i, item in enumerate(getattr(brief, kind)):
            value = getattr(item, field)
            assert locate(value, text) is not None, f"{kind}[{i}].{field} not in the article: {value!r}"
            span = spans[f"{kind}[{i}].{field}"]
            assert fold(text[span.start : span.end]) == fold(value)
    assert brief.metadata.grounding.verified == brief.items
    # Every summary sentence carries the article sentences behind it.
    assert brief.summary == " ".join(s.text for s in brief.summary_sentences)
    for sentence in brief.summary_sentences:
        assert sentence.support and all(text[r.start : r.end].strip() for r in sentence.support)
    assert brief.metadata.article_sha256 == fx.article.sha256
    assert brief.metadata.prompt_version == prompt_version()


def test_the_seed_brief_carries_the_articles_warnings_and_voices():
    """The seed's central warning (Putin's) and its speakers, which the old brief missed."""
    from tests.fixture_articles import by_name

    fx = by_name("seed")
    with cassette("seed"):
        brief = summarize(fx.article, settings=replay_settings(**fx.settings))
    assert {"Vladimir Putin", "Kremlin"} <= {w.issued_by for w in brief.warnings}
    putin = next(w for w in brief.warnings if w.issued_by == "Vladimir Putin")
    assert "escalate the conflict" in putin.evidence
    assert {"Volodymyr Zelensky", "Antony Blinken"} <= {p.actor for p in brief.stated_positions}
    actors = [p.actor for p in brief.stated_positions]
    assert len(actors) == len(set(actors)), "one position per actor"


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.name for f in FIXTURES])
def test_usage_and_attempts_sum_every_request_made(fx):
    with cassette(fx.name) as cass:
        brief = summarize(fx.article, settings=replay_settings(**fx.settings))
        played = [i for i, n in cass.play_counts.items() if n]
    recorded = cassette_interactions(fx.name)
    # An extractive summary asks no repair: a cassette recorded with one has an unplayed request.
    usages = [json.loads(recorded[i]["response"]["body"]["string"])["usage"] for i in played]
    assert brief.metadata.attempts == len(played) >= 1
    assert brief.metadata.usage.prompt_tokens == sum(u["prompt_tokens"] for u in usages)
    assert brief.metadata.usage.completion_tokens == sum(u["completion_tokens"] for u in usages)


async def test_async_api_replays_the_same_traffic():
    from summarizer import asummarize

    fx = FIXTURES[0]
    with cassette(fx.name):
        sync_brief = summarize(fx.article, settings=replay_settings(**fx.settings))
        async_brief = await asummarize(fx.article, settings=replay_settings(**fx.settings))
    assert async_brief.model_dump(exclude={"metadata"}) == sync_brief.model_dump(exclude={"metadata"})


def test_unrecorded_request_fails_instead_of_reaching_a_model():
    """vcrpy refuses a request it has not recorded; the client reports a transport failure."""
    from summarizer.errors import ModelUnavailableError

    fx = FIXTURES[0]
    with cassette(fx.name) as cass, pytest.raises(ModelUnavailableError) as info:
        summarize(fx.article.text + "\n\nOne more sentence nobody recorded.", settings=replay_settings(max_attempts=1))
    assert "after 1 attempt" in str(info.value)
    assert cass.play_count == 0
