"""What a run has finished, so a re-run (after Ctrl-C or kill -9) skips it.

``OUT/.summarizer/manifest.jsonl`` is append-only: one JSON line per input outcome, the last
line for an input wins, and a torn last line is ignored (and terminated, so the next record
starts on a line of its own). Briefs are stored once per *work key* in
``OUT/.summarizer/briefs/<key>.json``, so identical articles are briefed once and a changed
article, prompt, model or setting re-briefs.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from summarizer.batch.files import append_line, atomic_write, end_line
from summarizer.models import Article, Brief
from summarizer.settings import Settings

# Settings that cannot change what the model is sent or what a brief says.
_NOT_IN_KEY = {
    "api_key", "api_base", "timeout", "max_attempts", "retry_max_wait", "retry_total", "max_article_chars",
    "local_port", "local_threads", "cache_dir", "rpm", "tpm",
}  # fmt: skip


def work_key(article: Article, model: str, prompt_version: str, settings: Settings) -> str:
    """What a brief depends on, hashed: everything of the article that reaches the prompt or the
    brief (exact text, so evidence offsets hold; title; date, for ``when_iso``; url), the model,
    the prompt version and the settings that shape the answer. Only ``source_id`` is left out:
    the runner sets each input's own."""
    payload = {
        "article": article.model_dump(mode="json", exclude={"source_id"}),
        "model": model,
        "prompt": prompt_version,
        "settings": settings.model_dump(mode="json", exclude=_NOT_IN_KEY),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


class Manifest:
    def __init__(self, out: Path, read_only: bool = False):
        self.root = out / ".summarizer"
        self.path = self.root / "manifest.jsonl"
        self.records: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            if not read_only:  # --dry-run writes nothing
                end_line(self.path)
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    self._load(line)

    def _load(self, line: str) -> None:
        try:
            record = json.loads(line)
            key = record.get("input") or record["source"]  # manifests before 0.2 had no "input"
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return  # a line torn by a kill: that input simply runs again
        if record.get("status") == "gone":
            self.records.pop(key, None)
        else:
            self.records[key] = record

    def finished(self, key: str, work: str, out: Path) -> bool:
        record = self.records.get(key)
        return bool(
            record
            and record.get("status") == "done"
            and record.get("work") == work
            and (out / record["output"]).is_file()
            and self.brief_path(work).is_file()
        )

    def brief_path(self, work: str) -> Path:
        return self.root / "briefs" / f"{work}.json"

    def stored(self, work: str) -> Brief | None:
        path = self.brief_path(work)
        if not path.is_file():
            return None
        try:
            return Brief.model_validate_json(path.read_text(encoding="utf-8"))
        except ValueError:
            return None

    def store(self, work: str, brief: Brief) -> None:
        atomic_write(self.brief_path(work), brief.model_dump_json(indent=2))

    def record(self, key: str, status: str, **fields: Any) -> None:
        """Remember an outcome in memory, then on disk (an OSError leaves the memory updated)."""
        record = {"input": key, "status": status, "time": round(time.time(), 3), **fields}
        self.records[key] = record
        append_line(self.path, json.dumps(record))

    def forget(self, key: str) -> None:
        """An input that no longer exists (a line deleted from a JSONL file)."""
        self.records.pop(key, None)
        append_line(self.path, json.dumps({"input": key, "status": "gone"}))
