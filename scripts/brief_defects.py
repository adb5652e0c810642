"""Count what a reader trips over in briefs: defects by kind (``summarizer.brief.quality``).

    python scripts/brief_defects.py OUT/                      # every *.json brief and briefs.jsonl under OUT
    python scripts/brief_defects.py OUT/ --corpus dev.jsonl   # with the articles (by source id): sharper
    python scripts/brief_defects.py OUT/ --list               # every defect, one line each

Prints one line per kind and the total; exits 0 either way (a measure, not a gate).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from summarizer.brief.quality import count, defects
from summarizer.models import Brief


def briefs_in(path: Path) -> list[Brief]:
    files = [path] if path.is_file() else sorted(path.rglob("*.json")) + sorted(path.rglob("briefs.jsonl"))
    out = []
    for f in files:
        lines = (
            f.read_text(encoding="utf-8").splitlines()
            if f.suffix == ".jsonl"
            else [f.read_text(encoding="utf-8")]
        )
        for line in lines:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict) and "headline" in data and "metadata" in data:
                out.append(Brief.model_validate(data))
    # `summarizer run` writes each brief twice (OUT/<name>.json and a line of briefs.jsonl): once.
    seen: dict[tuple[str | None, str], Brief] = {}
    for brief in out:
        seen.setdefault((brief.metadata.source, brief.metadata.article_sha256), brief)
    return list(seen.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument(
        "--corpus", type=Path, help="JSONL of {id, text}: the articles, matched on metadata.source"
    )
    parser.add_argument("--list", action="store_true", help="print every defect")
    args = parser.parse_args(argv)
    texts: dict[str, str] = {}
    if args.corpus:
        for line in args.corpus.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts[str(row["id"])] = row["text"]
    briefs = briefs_in(args.path)
    found = []
    for brief in briefs:
        source = brief.metadata.source or ""
        article = texts.get(source)
        if article is None and source and Path(source).is_file():  # `summarizer run` records the path
            article = Path(source).read_text(encoding="utf-8", errors="replace")
        these = defects(brief, article)
        found += these
        if args.list:
            for d in these:
                print(f"{brief.metadata.source}\t{d.kind}\t{d.field}\t{d.text[:160]!r}")
    tally = count(found)
    strings = sum(
        2
        + len(b.summary_sentences)
        + len(b.key_developments)
        + 2 * len(b.stated_positions)
        + 2 * len(b.warnings)
        for b in briefs
    )
    print(f"{len(briefs)} briefs, {strings} strings checked")
    for kind, n in tally.items():
        print(f"  {kind:15} {n}")
    print(f"  {'total':15} {sum(tally.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
