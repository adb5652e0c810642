"""summarizer: typed, evidence-backed briefs of news articles from a real language model.

    >>> from summarizer import summarize
    >>> brief = summarize(open("article.txt").read())
    >>> brief.key_developments[0].evidence  # a verbatim span of the article

Attributes are imported lazily so that ``summarizer --help`` does not pay for litellm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Brief",
    "BriefMetadata",
    "KeyDevelopment",
    "Settings",
    "StatedPosition",
    "Warning",
    "asummarize",
    "asummarize_stream",
    "summarize",
    "summarize_stream",
]

_WHERE = {
    "summarize": "summarizer.brief",
    "asummarize": "summarizer.brief",
    "summarize_stream": "summarizer.brief",
    "asummarize_stream": "summarizer.brief",
    "Settings": "summarizer.settings",
}

if TYPE_CHECKING:
    from summarizer.brief.pipeline import asummarize, asummarize_stream, summarize, summarize_stream
    from summarizer.models import Article, Brief, BriefMetadata, KeyDevelopment, StatedPosition, Warning
    from summarizer.settings import Settings


def __getattr__(name: str) -> Any:
    if name in __all__:
        import importlib

        module = importlib.import_module(_WHERE.get(name, "summarizer.models"))
        return getattr(module, name)
    raise AttributeError(f"module 'summarizer' has no attribute {name!r}")
