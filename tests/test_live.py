"""The real path: the embedded model over real HTTP, no cassette. Run with: make live-test."""

from __future__ import annotations

import pytest

from summarizer import summarize
from summarizer.brief.grounding import locate

pytestmark = pytest.mark.live

SHORT = (
    "Flooding closed the main bridge in Riverton on Monday after two days of heavy rain.\n\n"
    "Mayor Lena Ortiz said the bridge would stay shut until engineers had inspected it. "
    "\"Nobody crosses until we know it is safe,\" she told reporters.\n\n"
    "The regional weather service warned that more rain was expected on Wednesday and that "
    "rivers could rise further if it fell on saturated ground."
)


def test_embedded_model_briefs_a_short_article_with_grounded_items():
    brief = summarize(SHORT)
    assert brief.headline and brief.summary
    assert brief.key_developments, "the model returned no developments"
    for kind, field in (("key_developments", "evidence"), ("stated_positions", "quote"), ("warnings", "evidence")):
        for item in getattr(brief, kind):
            assert locate(getattr(item, field), SHORT) is not None
    assert brief.metadata.attempts >= 1 and brief.metadata.usage.completion_tokens > 0
    assert brief.metadata.model.endswith("qwen2.5-coder-1.5b-instruct-q4_k_m")
    print(f"\nlive brief: {brief.metadata.latency_s:.1f}s, {brief.metadata.usage.total_tokens} tokens, "
          f"{brief.metadata.attempts} request(s), {brief.items} items")
