"""Quality on a reference corpus: ``evaluate`` (briefs and reports), ``metrics`` (what is
measured, per article and overall), ``report`` (Markdown and charts)."""

from summarizer.eval.evaluate import evaluate
from summarizer.eval.metrics import lead3, rouge

__all__ = ["evaluate", "lead3", "rouge"]
