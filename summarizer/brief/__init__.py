"""One article to one grounded brief.

article -> numbered sentences and the recall net's candidates -> prompt -> model -> checks -> Brief
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["asummarize", "asummarize_stream", "summarize", "summarize_stream"]

if TYPE_CHECKING:
    from summarizer.brief.pipeline import asummarize, asummarize_stream, summarize, summarize_stream


def __getattr__(name: str) -> Any:
    # Lazy: summarizer.models imports the grounding rules from this package.
    if name in __all__:
        from summarizer.brief import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
