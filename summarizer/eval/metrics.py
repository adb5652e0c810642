"""Quality metrics of briefs against a reference corpus: one function per article, one per run.

To add a metric: compute it in ``article_metrics`` (one key per value, None when it does not
apply) and aggregate it in ``overall_metrics``; ``report.py`` shows what it is told to.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from summarizer.brief import net
from summarizer.brief.grounding import locate
from summarizer.brief.sentences import split
from summarizer.models import Brief

ROUGE_KEYS = ("rouge1", "rouge2", "rougeL")


@dataclass(frozen=True)
class Row:
    """One corpus line: an article and what people wrote about it."""

    id: str
    text: str
    references: list[str] = field(default_factory=list)


def lead3(text: str) -> str:
    """The baseline: the article's first three sentences."""
    return " ".join(s.text for s in split(text)[:3])


def rouge(candidate: str, references: list[str]) -> dict[str, float]:
    """ROUGE-1/2/L F1 x100, stemmed, best over the references (as in the project's NOTES)."""
    from rouge_score import rouge_scorer  # the "eval" extra: only this command needs it

    scorer = rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)
    best = dict.fromkeys(ROUGE_KEYS, 0.0)
    for ref in references:
        scores = scorer.score(ref, candidate)
        for key in best:
            best[key] = max(best[key], scores[key].fmeasure * 100)
    return best


def grounded_share(brief: Brief, text: str) -> float | None:
    """Share of the brief's items whose every span is found in the article (independent check)."""
    checks = [locate(d.evidence, text) is not None for d in brief.key_developments]
    checks += [locate(p.quote, text) is not None for p in brief.stated_positions]
    checks += [locate(w.evidence, text) is not None for w in brief.warnings]
    return sum(checks) / len(checks) if checks else None


def recall(brief: Brief, text: str) -> dict[str, Any]:
    """Warning and voice recall against the article's own cue sentences (see docs/eval.md).

    Warnings: of the sentences the net reads as someone warning (named issuer or not), the
    share that is a warning's evidence. Voices: of the distinct speakers of the article's
    attributed sentences, the share heard in the brief (a stated position, or a warning they
    issue). Duplicates: the same evidence twice among developments or warnings, or the same
    actor twice among positions.
    """
    sentences = split(text)
    found = net.find(sentences)
    cues = [s for s in sentences if net.is_warning(s.text)]
    evidence = {w.evidence for w in brief.warnings}
    speakers = {net._actor_key(a): a.name for a in found.speakers.values()}
    actors = {p.actor.lower() for p in brief.stated_positions} | {w.issued_by.lower() for w in brief.warnings}
    heard = [k for k, name in speakers.items() if name.lower() in actors]
    lists = [
        [d.evidence for d in brief.key_developments],
        [p.actor for p in brief.stated_positions],
        [w.evidence for w in brief.warnings],
    ]
    return {
        "warning_cues": len(cues),
        "warnings_caught": sum(s.text in evidence for s in cues),
        "speakers": len(speakers),
        "speakers_heard": len(heard),
        "duplicates": sum(len(items) - len(set(items)) for items in lists),
    }


def article_metrics(brief: Brief, row: Row) -> dict[str, Any]:
    """Everything measured on one valid brief."""
    meta = brief.metadata
    kept, dropped = meta.grounding.verified, len(meta.grounding.dropped)
    return {
        "items": brief.items,
        "grounded_before": kept / (kept + dropped) if kept + dropped else None,
        "grounded_after": grounded_share(brief, row.text),
        "dropped": dropped,
        "rouge": rouge(brief.summary, row.references) if row.references else None,
        "latency_s": meta.latency_s,
        "prompt_tokens": meta.usage.prompt_tokens,
        "completion_tokens": meta.usage.completion_tokens,
        "attempts": meta.attempts,
        # More requests than parts means an answer was re-asked (invalid, or a summary repair).
        "reasked": meta.attempts > meta.chunks,
        "summary_checked": meta.grounding.summary_checked,
        "summary_passed": meta.grounding.summary_passed,
        "rewritten": len(meta.grounding.rewritten),
        **recall(brief, row.text),
    }


def _mean(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), 4) if present else None


def _rate(part: float, whole: float, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def overall_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's figures from the per-article records (invalid briefs count only in validity)."""
    ok = [r for r in rows if r["valid"]]
    items = sum(r["items"] for r in ok)
    dropped = sum(r["dropped"] for r in ok)
    after = [(r["grounded_after"], r["items"]) for r in ok if r["grounded_after"] is not None]

    def mean(key: str) -> float | None:
        return _mean([r[key] for r in ok])

    def share(part: str, whole: str) -> float | None:
        return _rate(sum(r.get(part, 0) for r in ok), sum(r.get(whole, 0) for r in ok))

    result: dict[str, Any] = {
        "schema_valid_rate": _rate(len(ok), len(rows)),
        "items_per_brief": _rate(items, len(ok), 2),
        "grounded_before_drop": _rate(items, items + dropped),
        "grounded_after_drop": _rate(sum(g * n for g, n in after), sum(n for _, n in after)),
        "latency_s_mean": mean("latency_s"),
        "prompt_tokens_mean": mean("prompt_tokens"),
        "completion_tokens_mean": mean("completion_tokens"),
        "attempts_mean": mean("attempts"),
        "reasked_rate": _rate(sum(bool(r.get("reasked")) for r in ok), len(ok)),
        "summary_support": share("summary_passed", "summary_checked"),
        "warning_recall": share("warnings_caught", "warning_cues"),
        "voice_recall": share("speakers_heard", "speakers"),
        "duplicated_items": sum(r.get("duplicates", 0) for r in ok),
        "rewritten_fields_per_brief": _rate(sum(r.get("rewritten", 0) for r in ok), len(ok), 2),
    }
    scored = [r for r in ok if r.get("rouge") and r.get("lead3")]
    for key in ROUGE_KEYS:
        result[f"brief_{key}"] = _mean([r["rouge"][key] for r in scored])
        result[f"lead3_{key}"] = _mean([r["lead3"][key] for r in scored])
    return result
