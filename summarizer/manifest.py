"""What a run has finished, so a re-run (after Ctrl-C or kill -9) skips it.

``OUT/.summarizer/manifest.jsonl`` is append-only: one JSON line per input outcome, the last
line for a source wins, and a torn last line is ignored. Briefs are stored once per *work key*
(normalised article text + model + prompt version) in ``OUT/.summarizer/briefs/<key>.json``, so
identical articles are briefed once and a changed prompt or model re-briefs everything.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from summarizer.files import append_line, atomic_write
from summarizer.models import Article, Brief


def work_key(article: Article, model: str, prompt_version: str) -> str:
    normalised = " ".join(article.text.split())
    digest = hashlib.sha256(f"{model}\n{prompt_version}\n{normalised}".encode()).hexdigest()
    return digest[:32]


class Manifest:
    def __init__(self, out: Path):
        self.root = out / ".summarizer"
        self.path = self.root / "manifest.jsonl"
        self.records: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                        self.records[record["source"]] = record
                    except (ValueError, KeyError, TypeError):
                        continue  # a line torn by a kill: that input simply runs again

    def finished(self, source: str, key: str, out: Path) -> dict[str, Any] | None:
        record = self.records.get(source)
        if record and record.get("status") == "done" and record.get("key") == key:
            if (out / record["output"]).is_file() and self.brief_path(key).is_file():
                return record
        return None

    def brief_path(self, key: str) -> Path:
        return self.root / "briefs" / f"{key}.json"

    def stored(self, key: str) -> Brief | None:
        path = self.brief_path(key)
        if not path.is_file():
            return None
        try:
            return Brief.model_validate_json(path.read_text(encoding="utf-8"))
        except ValueError:
            return None

    def store(self, key: str, brief: Brief) -> None:
        atomic_write(self.brief_path(key), brief.model_dump_json(indent=2))

    def record(self, source: str, status: str, **fields: Any) -> None:
        record = {"source": source, "status": status, "time": round(time.time(), 3), **fields}
        append_line(self.path, json.dumps(record, ensure_ascii=False))
        self.records[source] = record
