"""``summarizer eval``: how valid, grounded and informative the briefs are on a reference corpus.

For each article (``id``, ``text``, ``references``) it briefs the text, or reuses the brief
stored by an earlier eval run in ``OUT/briefs/<id>.json`` (same model and prompt version), and
measures: schema validity, items per brief, grounding before and after dropping, ROUGE-1/2/L of
the summary against the references next to the lead-3 baseline, latency and tokens. It writes
``report.md``, ``report.json`` and ``report.png``.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from summarizer.errors import SummarizerError
from summarizer.files import atomic_write, safe_component
from summarizer.brief.grounding import locate, split_sentences
from summarizer.models import Article, Brief
from summarizer.settings import Settings, get_settings


def lead3(text: str) -> str:
    sentences = [s for line in text.splitlines() if line.strip() for s in split_sentences(line.strip()) if s.strip()]
    return " ".join(sentences[:3])


def rouge(candidate: str, references: list[str]) -> dict[str, float]:
    """ROUGE-1/2/L F1 x100, stemmed, best over the references (as in the project's NOTES)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    best = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
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


def _brief_for(row: dict[str, Any], store: Path, settings: Settings, model_name: str, version: str) -> tuple[Brief | None, str | None, bool]:
    path = store / f"{safe_component(str(row['id']))}.json"
    if path.exists():
        try:
            old = Brief.model_validate_json(path.read_text())
            if old.metadata.prompt_version == version and old.metadata.model == model_name:
                return old, None, True
        except ValueError:
            pass
    from summarizer.brief.pipeline import summarize

    try:
        brief = summarize(Article(text=row["text"], source_id=str(row["id"])), settings=settings)
    except SummarizerError as exc:
        return None, str(exc), False
    atomic_write(path, brief.model_dump_json(indent=2))
    return brief, None, False


def evaluate(corpus: Path, out: Path, model: str | None = None, limit: int | None = None, settings: Settings | None = None) -> str:
    from summarizer.backends.client import resolve_endpoint
    from summarizer.brief.prompts import prompt_version

    settings = (settings or get_settings()).model_copy(update={"model": model} if model else {})
    endpoint = resolve_endpoint(settings)
    version = prompt_version()
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[:limit] if limit else rows
    store = out / "briefs"
    store.mkdir(parents=True, exist_ok=True)
    per_article = []
    started = time.perf_counter()
    for n, row in enumerate(rows, 1):
        brief, error, reused = _brief_for(row, store, settings, endpoint.model, version)
        refs = row.get("references") or []
        base = rouge(lead3(row["text"]), refs) if refs else None
        record: dict[str, Any] = {"id": row["id"], "valid": brief is not None, "error": error, "reused": reused, "lead3": base}
        if brief is not None:
            kept = brief.metadata.grounding.verified
            dropped = len(brief.metadata.grounding.dropped)
            record.update(
                items=brief.items,
                grounded_before=kept / (kept + dropped) if kept + dropped else None,
                grounded_after=grounded_share(brief, row["text"]),
                dropped=dropped,
                rouge=rouge(brief.summary, refs) if refs else None,
                latency_s=brief.metadata.latency_s,
                prompt_tokens=brief.metadata.usage.prompt_tokens,
                completion_tokens=brief.metadata.usage.completion_tokens,
                attempts=brief.metadata.attempts,
                # More requests than parts (+ the merge) means a first answer failed validation.
                reasked=brief.metadata.attempts > brief.metadata.chunks + (brief.metadata.chunks > 1),
            )
        per_article.append(record)
        print(f"[{n}/{len(rows)}] {row['id']}: " + ("reused" if reused else "ok" if brief else f"FAILED {error}"), flush=True)
    overall = _overall(per_article)
    overall.update(model=endpoint.model, prompt_version=version, corpus=str(corpus), articles=len(rows),
                   wall_s=round(time.perf_counter() - started, 1))
    atomic_write(out / "report.json", json.dumps({"overall": overall, "articles": per_article}, indent=2))
    markdown = _markdown(overall, per_article)
    atomic_write(out / "report.md", markdown)
    _chart(overall, per_article, out / "report.png")
    return markdown


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.fmean(present), 4) if present else None


def _overall(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in rows if r["valid"]]
    total_items = sum(r["items"] for r in ok)
    total_dropped = sum(r["dropped"] for r in ok)
    after_checks = [(r["grounded_after"], r["items"]) for r in ok if r["grounded_after"] is not None]
    result: dict[str, Any] = {
        "schema_valid_rate": round(len(ok) / len(rows), 4) if rows else None,
        "items_per_brief": round(total_items / len(ok), 2) if ok else None,
        "grounded_before_drop": round(total_items / (total_items + total_dropped), 4) if total_items + total_dropped else None,
        "grounded_after_drop": round(sum(g * n for g, n in after_checks) / sum(n for _, n in after_checks), 4) if after_checks else None,
        "latency_s_mean": _mean([r["latency_s"] for r in ok]),
        "prompt_tokens_mean": _mean([r["prompt_tokens"] for r in ok]),
        "completion_tokens_mean": _mean([r["completion_tokens"] for r in ok]),
        "attempts_mean": _mean([r["attempts"] for r in ok]),
        "reasked_rate": round(sum(bool(r.get("reasked")) for r in ok) / len(ok), 4) if ok else None,
    }
    for key in ("rouge1", "rouge2", "rougeL"):
        scored = [r for r in ok if r.get("rouge") and r.get("lead3")]
        result[f"brief_{key}"] = _mean([r["rouge"][key] for r in scored])
        result[f"lead3_{key}"] = _mean([r["lead3"][key] for r in scored])
    return result


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.1f} %" if pct else (f"{value:.2f}" if isinstance(value, float) else str(value))


def _markdown(overall: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    o = overall
    lines = [
        f"# summarizer eval: {o['corpus']}",
        "",
        f"Model `{o['model']}`, prompt `{o['prompt_version']}`, {o['articles']} articles, {o['wall_s']} s wall time.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| schema-valid briefs | {_fmt(o['schema_valid_rate'], True)} |",
        f"| items per brief | {_fmt(o['items_per_brief'])} |",
        f"| items grounded before dropping | {_fmt(o['grounded_before_drop'], True)} |",
        f"| items grounded after dropping | {_fmt(o['grounded_after_drop'], True)} |",
        f"| latency per article (mean) | {_fmt(o['latency_s_mean'])} s |",
        f"| tokens per article in / out (mean) | {_fmt(o['prompt_tokens_mean'])} / {_fmt(o['completion_tokens_mean'])} |",
        f"| requests per article (mean) | {_fmt(o['attempts_mean'])} |",
        f"| briefs whose first answer was re-asked | {_fmt(o.get('reasked_rate'), True)} |",
        "",
        "| ROUGE F1 ×100 (best over references) | brief summary | lead-3 |",
        "|---|---|---|",
    ]
    for key, label in (("rouge1", "ROUGE-1"), ("rouge2", "ROUGE-2"), ("rougeL", "ROUGE-L")):
        lines.append(f"| {label} | {_fmt(o[f'brief_{key}'])} | {_fmt(o[f'lead3_{key}'])} |")
    lines += ["", "## Per article", "", "| id | valid | items | grounded before | dropped | ROUGE-L brief | ROUGE-L lead-3 | latency s | tokens in/out |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["valid"]:
            lines.append(
                f"| {r['id']} | yes | {r['items']} | {_fmt(r['grounded_before'], True)} | {r['dropped']} | "
                f"{_fmt((r.get('rouge') or {}).get('rougeL'))} | {_fmt((r.get('lead3') or {}).get('rougeL'))} | "
                f"{_fmt(r['latency_s'])} | {r['prompt_tokens']}/{r['completion_tokens']} |"
            )
        else:
            lines.append(f"| {r['id']} | **no**: {r['error']} | | | | | | | |")
    return "\n".join(lines) + "\n"


def _chart(overall: dict[str, Any], rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    keys = ["rouge1", "rouge2", "rougeL"]
    x = range(len(keys))
    brief = [overall[f"brief_{k}"] or 0 for k in keys]
    lead = [overall[f"lead3_{k}"] or 0 for k in keys]
    axes[0].bar([i - 0.2 for i in x], brief, width=0.4, label="brief summary")
    axes[0].bar([i + 0.2 for i in x], lead, width=0.4, label="lead-3")
    axes[0].set_xticks(list(x), ["ROUGE-1", "ROUGE-2", "ROUGE-L"])
    axes[0].set_title("Summary vs references (F1 ×100)")
    axes[0].legend()
    rates = [overall["schema_valid_rate"] or 0, overall["grounded_before_drop"] or 0, overall["grounded_after_drop"] or 0]
    axes[1].bar(["schema-valid", "grounded\nbefore drop", "grounded\nafter drop"], [r * 100 for r in rates], color=["#4c72b0", "#dd8452", "#55a868"])
    axes[1].set_ylim(0, 105)
    axes[1].set_title("Validity and grounding (%)")
    for i, r in enumerate(rates):
        axes[1].text(i, r * 100 + 1, f"{r * 100:.0f}%", ha="center")
    latencies = [r["latency_s"] for r in rows if r["valid"]]
    axes[2].hist(latencies or [0], bins=min(15, max(1, len(latencies))), color="#8172b2")
    axes[2].set_title("Latency per article (s)")
    fig.suptitle(f"summarizer eval · {overall['model']} · {overall['articles']} articles")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
