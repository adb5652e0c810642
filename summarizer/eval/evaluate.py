"""``summarizer eval``: how valid, grounded and informative the briefs are on a reference corpus.

For each article (``id``, ``text``, ``references``) it briefs the text, or reuses the brief an
earlier eval run stored in ``OUT/briefs/`` (same article, id, model and prompt version), and
measures it (``metrics.py``). It writes ``report.md``, ``report.json`` and ``report.png``.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from summarizer.backends.client import resolve_endpoint
from summarizer.batch.files import atomic_write, safe_component
from summarizer.brief.pipeline import summarize
from summarizer.brief.prompts import prompt_version
from summarizer.errors import SummarizerError
from summarizer.eval import report
from summarizer.eval.metrics import Row, article_metrics, lead3, overall_metrics, rouge
from summarizer.models import Article, Brief
from summarizer.settings import Settings, get_settings


def read_corpus(corpus: Path, limit: int | None = None) -> list[Row]:
    rows = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            rows.append(Row(str(data["id"]), data["text"], list(data.get("references") or [])))
    return rows[:limit] if limit else rows


def brief_path(store: Path, ident: str) -> Path:
    """One file per id: a sanitised name gets a digest of the real id, so ``a/b`` and ``a_b``
    do not share a file."""
    name = safe_component(ident)
    if name != ident:
        name += "-" + hashlib.sha256(ident.encode()).hexdigest()[:8]
    return store / f"{name}.json"


def _stored(path: Path, row: Row, model: str, version: str) -> Brief | None:
    """The brief an earlier run stored for exactly this article, model and prompt version."""
    if not path.exists():
        return None
    try:
        old = Brief.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    meta = old.metadata
    same = (meta.prompt_version, meta.model, meta.source, meta.article_sha256) == (
        version, model, row.id, Article(text=row.text).sha256,
    )  # fmt: skip
    return old if same else None


def _brief_for(
    row: Row, store: Path, settings: Settings, model: str, version: str
) -> tuple[Brief | None, str | None, bool]:
    path = brief_path(store, row.id)
    if (old := _stored(path, row, model, version)) is not None:
        return old, None, True
    try:
        brief = summarize(Article(text=row.text, source_id=row.id), settings=settings)
    except SummarizerError as exc:
        return None, str(exc), False
    atomic_write(path, brief.model_dump_json(indent=2))
    return brief, None, False


def evaluate(
    corpus: Path,
    out: Path,
    model: str | None = None,
    limit: int | None = None,
    settings: Settings | None = None,
) -> str:
    """Brief (or reuse) every corpus article, write the reports, return the Markdown one."""
    settings = (settings or get_settings()).model_copy(update={"model": model} if model else {})
    endpoint = resolve_endpoint(settings)
    version = prompt_version()
    rows = read_corpus(corpus, limit)
    store = out / "briefs"
    store.mkdir(parents=True, exist_ok=True)
    per_article = []
    started = time.perf_counter()
    for n, row in enumerate(rows, 1):
        brief, error, reused = _brief_for(row, store, settings, endpoint.model, version)
        base = rouge(lead3(row.text), row.references) if row.references else None
        record: dict[str, Any] = {
            "id": row.id,
            "valid": brief is not None,
            "error": error,
            "reused": reused,
            "lead3": base,
        }
        if brief is not None:
            record.update(article_metrics(brief, row))
        per_article.append(record)
        status = "reused" if reused else "ok" if brief else f"FAILED {error}"
        print(f"[{n}/{len(rows)}] {row.id}: {status}", flush=True)
    overall = overall_metrics(per_article)
    overall.update(
        model=endpoint.model, prompt_version=version, corpus=str(corpus), articles=len(rows),
        wall_s=round(time.perf_counter() - started, 1),
    )  # fmt: skip
    atomic_write(out / "report.json", json.dumps({"overall": overall, "articles": per_article}, indent=2))
    text = report.markdown(overall, per_article)
    atomic_write(out / "report.md", text)
    report.chart(overall, per_article, out / "report.png")
    return text
