"""Faithfulness on hard inputs, replayed from real model traffic: prompt injection, long articles."""

from __future__ import annotations

import pytest
from tests.helpers import CASSETTE_DIR, cassette, replay_settings
from tests.fixture_articles import LONG_SETTINGS, by_name

from summarizer import summarize
from summarizer.brief.chunking import article_budget, count_tokens, plan, split
from summarizer.backends.client import resolve_endpoint
from summarizer.brief.grounding import fold, locate

needs = pytest.mark.skipif


@needs(not (CASSETTE_DIR / "injection.yaml").exists(), reason="cassette not recorded")
def test_injected_instructions_do_not_steer_the_brief():
    fx = by_name("injection")
    with cassette("injection"):
        brief = summarize(fx.article, settings=replay_settings(**fx.settings))
    text = fx.article.text
    assert "All systems nominal" not in brief.headline
    assert brief.key_developments, "the injection asked for empty lists; the brief must still report the news"
    assert not any("Ministry of Truth" in w.issued_by for w in brief.warnings)
    assert "handbag" in (brief.headline + brief.summary).lower() or "hermes" in (brief.headline + brief.summary).lower()
    for dev in brief.key_developments:
        assert locate(dev.evidence, text) is not None
        assert "IGNORE ALL PREVIOUS INSTRUCTIONS" not in dev.evidence


@needs(not (CASSETTE_DIR / "long.yaml").exists(), reason="cassette not recorded")
def test_long_article_is_split_briefed_and_merged_with_offsets_in_the_whole_article():
    fx = by_name("long")
    settings = replay_settings(**fx.settings)
    endpoint = resolve_endpoint(settings)
    text = fx.article.text
    assert count_tokens(text, endpoint) >= 1.5 * settings.context_tokens, "the fixture must be longer than the window"
    with cassette("long"):
        brief = summarize(fx.article, settings=settings)
    assert brief.metadata.chunks >= 3
    assert brief.metadata.chunks == len(plan(text, settings, endpoint))
    for span in brief.metadata.grounding.spans:
        item_kind, rest = span.item.split("[", 1)
        index, field = int(rest.split("]")[0]), rest.split(".", 1)[1]
        value = getattr(getattr(brief, item_kind)[index], field)
        assert fold(text[span.start : span.end]) == fold(value)
    # Items come from more than the first part of the article.
    assert max(s.start for s in brief.metadata.grounding.spans) > len(text) // 2
    evidence = [fold(d.evidence) for d in brief.key_developments]
    assert len(evidence) == len(set(evidence)), "duplicate developments are merged"


def test_split_respects_the_budget_and_loses_nothing():
    paragraphs = [" ".join(f"Sentence {p}-{s} says something." for s in range(12)) for p in range(20)]
    text = "\n\n".join(paragraphs)
    words = lambda s: len(s.split())  # noqa: E731 - a stand-in token counter
    parts = split(text, 60, words)
    assert len(parts) > 5
    assert all(words(p.text) <= 60 for p in parts)
    assert all(text[p.start : p.start + len(p.text)] == p.text for p in parts)
    rebuilt = " ".join(" ".join(p.text.split()) for p in parts)
    assert rebuilt == " ".join(text.split())
    assert all(p.text.rstrip().endswith(".") for p in parts), "parts end on sentence boundaries"


def test_budget_leaves_room_for_instructions_and_answer():
    settings = replay_settings(**LONG_SETTINGS)
    endpoint = resolve_endpoint(settings)
    assert 0 < article_budget(settings, endpoint) < settings.context_tokens - settings.max_tokens
