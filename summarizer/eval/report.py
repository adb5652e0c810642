"""The eval report for people: ``report.md`` (tables) and ``report.png`` (three charts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from summarizer.eval.metrics import ROUGE_KEYS

_ROUGE_LABELS = {"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L"}
assert set(_ROUGE_LABELS) == set(ROUGE_KEYS)


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.1f} %" if pct else (f"{value:.2f}" if isinstance(value, float) else str(value))


def markdown(overall: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    o = overall
    tokens = f"{_fmt(o['prompt_tokens_mean'])} / {_fmt(o['completion_tokens_mean'])}"
    lines = [
        f"# summarizer eval: {o['corpus']}",
        "",
        f"Model `{o['model']}`, prompt `{o['prompt_version']}`, {o['articles']} articles, "
        f"{o['wall_s']} s wall time.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| schema-valid briefs | {_fmt(o['schema_valid_rate'], True)} |",
        f"| items per brief | {_fmt(o['items_per_brief'])} |",
        f"| items grounded before dropping | {_fmt(o['grounded_before_drop'], True)} |",
        f"| items grounded after dropping | {_fmt(o['grounded_after_drop'], True)} |",
        f"| latency per article (mean) | {_fmt(o['latency_s_mean'])} s |",
        f"| tokens per article in / out (mean) | {tokens} |",
        f"| requests per article (mean) | {_fmt(o['attempts_mean'])} |",
        f"| briefs whose first answer was re-asked | {_fmt(o.get('reasked_rate'), True)} |",
        f"| summary support (sentences passing the support check) | {_fmt(o.get('summary_support'), True)} |",
        "| warning recall (warning cue sentences that are a warning's evidence) "
        f"| {_fmt(o.get('warning_recall'), True)} |",
        f"| voice recall (speakers with a stated position) | {_fmt(o.get('voice_recall'), True)} |",
        f"| items duplicated within a brief | {_fmt(o.get('duplicated_items'))} |",
        "| model wordings replaced by the article's words, per brief "
        f"| {_fmt(o.get('rewritten_fields_per_brief'))} |",
        "",
        "| ROUGE F1 ×100 (best over references) | brief summary | lead-3 |",
        "|---|---|---|",
    ]
    for key, label in _ROUGE_LABELS.items():
        lines.append(f"| {label} | {_fmt(o[f'brief_{key}'])} | {_fmt(o[f'lead3_{key}'])} |")
    lines += [
        "",
        "## Per article",
        "",
        "| id | valid | items | grounded before | dropped | ROUGE-L brief | ROUGE-L lead-3 | latency s "
        "| tokens in/out |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["valid"]:
            brief_l, lead_l = ((r.get(k) or {}).get("rougeL") for k in ("rouge", "lead3"))
            lines.append(
                f"| {r['id']} | yes | {r['items']} | {_fmt(r['grounded_before'], True)} | {r['dropped']} | "
                f"{_fmt(brief_l)} | {_fmt(lead_l)} | {_fmt(r['latency_s'])} | "
                f"{r['prompt_tokens']}/{r['completion_tokens']} |"
            )
        else:
            lines.append(f"| {r['id']} | **no**: {r['error']} | | | | | | | |")
    return "\n".join(lines) + "\n"


def chart(overall: dict[str, Any], rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib  # the "eval" extra: only this command needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    x = range(len(ROUGE_KEYS))
    brief = [overall[f"brief_{k}"] or 0 for k in ROUGE_KEYS]
    lead = [overall[f"lead3_{k}"] or 0 for k in ROUGE_KEYS]
    axes[0].bar([i - 0.2 for i in x], brief, width=0.4, label="brief summary")
    axes[0].bar([i + 0.2 for i in x], lead, width=0.4, label="lead-3")
    axes[0].set_xticks(list(x), list(_ROUGE_LABELS.values()))
    axes[0].set_title("Summary vs references (F1 ×100)")
    axes[0].legend()
    rates = [overall[k] or 0 for k in ("schema_valid_rate", "grounded_before_drop", "grounded_after_drop")]
    names = ["schema-valid", "grounded\nbefore drop", "grounded\nafter drop"]
    axes[1].bar(names, [r * 100 for r in rates], color=["#4c72b0", "#dd8452", "#55a868"])
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
