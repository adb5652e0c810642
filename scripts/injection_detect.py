"""Detection on an injection corpus, without a model: what the brief core flags and what it shows.

    python scripts/injection_detect.py [--corpus DIR ...] [--dev ../shared/corpus/dev.jsonl] [-v]

For each variant, the article is loaded as ``summarizer run`` loads it and briefed up to the
model call: the request the model would get is captured instead of sent (no model runs). Two
figures per corpus:

* **flagged**: the brief core reports the planted text (``injection.scan`` / ``scan_title``
  found something; no sentence of the 109 dev articles is flagged, so a flag is the payload);
* **kept from the model**: no canary of the variant is in the request (the planted text was
  withheld, or never reached the article: a loader or the markup rule dropped it). Canaries are
  compared after NFKC and without format characters, so a fullwidth canary counts as shown.

``--dev`` also counts false positives: sentences of the dev articles the detector flags, and
dev articles whose request differs in any way from the article as written (it must not).

Works against whichever ``summarizer`` is first on the path, so ``PYTHONPATH=/tmp/before``
measures an old commit on the same files.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class _Captured(Exception):
    def __init__(self, messages: list[dict[str, str]]) -> None:
        self.messages = messages


def _patch() -> None:
    from summarizer.backends.base import Endpoint
    from summarizer.brief import pipeline

    def endpoint(_cfg: Any) -> Endpoint:
        return Endpoint(model="openai/embedded", api_base="http://127.0.0.1:1", context_tokens=8192,
                        constrained=True, embedded=True)  # fmt: skip

    async def capture(_settings: Any, _endpoint: Any, messages: list[dict[str, str]], *a: Any, **k: Any) -> Any:
        raise _Captured(messages)

    try:  # no time limit on the analysis here: the machine may be busy
        from summarizer.brief import budget

        budget.SECONDS = 1e9  # type: ignore[attr-defined]
    except ImportError:
        pass
    pipeline.resolve_endpoint = endpoint  # type: ignore[assignment]
    pipeline.acomplete = capture  # type: ignore[assignment]


def request(article: Any) -> str:
    """The text of the first request the model would get for ``article``."""
    from summarizer.brief import pipeline

    try:
        asyncio.run(pipeline.asummarize(article))
    except _Captured as done:
        return "\n".join(m["content"] for m in done.messages)
    raise RuntimeError("the brief core made no model call")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").casefold()


def flagged(article: Any) -> list[str]:
    from summarizer.brief import injection
    from summarizer.brief.sentences import split

    found = [s.text for s, _ in injection.scan(split(article.text))]
    if injection.scan_title(article.title):
        found.insert(0, f"title: {article.title}")
    return found


def load(path: Path) -> Any:
    from summarizer.batch.sources import iter_inputs

    (item,) = list(iter_inputs([str(path)], 10_000_000, None))
    return item.load()


def corpus_detection(folder: Path, verbose: bool) -> dict[str, Any]:
    entries = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
    rows = []
    for entry in entries:
        article = load(folder / entry["file"])
        found = flagged(article)
        shown = _fold(request(article))
        leaked = [c for c in entry["canaries"] if _fold(c) in shown]
        rows.append({"id": entry["id"], "class": entry.get("class", entry.get("technique")),
                     "flagged": bool(found), "kept": not leaked, "leaked": leaked, "found": found})  # fmt: skip
        if verbose:
            mark = ("F" if found else "-") + ("K" if not leaked else "-")
            print(f"  {mark} {entry['id']:22} {rows[-1]['class']:10} {'; '.join(found)[:90]}")
    n = len(rows)
    f = sum(r["flagged"] for r in rows)
    k = sum(r["kept"] for r in rows)
    either = sum(r["flagged"] or r["kept"] for r in rows)
    print(f"{folder}: flagged {f} of {n}; kept from the model {k} of {n}; either {either} of {n}")
    return {"n": n, "flagged": f, "kept": k, "rows": rows}


def dev_false_positives(dev: Path, verbose: bool) -> int:
    from summarizer.models import Article

    rows = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines()]
    bad = 0
    changed = 0
    for row in rows:
        article = Article(text=row["text"])
        found = flagged(article)
        sent = request(article)
        if found:
            bad += 1
            print(f"  FP {row['id']}: {found}")
        if "withheld" in sent.lower():
            changed += 1
            if verbose:
                print(f"  withheld text in the request of {row['id']}")
    print(f"dev: {bad} of {len(rows)} articles with a flagged sentence; {changed} with withheld text")
    return bad + changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--dev", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--json", type=Path, help="write each corpus's rows here (one object per corpus)")
    args = parser.parse_args()
    import summarizer

    print(f"code: {summarizer.__file__}", file=sys.stderr)
    _patch()
    results = {str(folder): corpus_detection(folder, args.verbose) for folder in args.corpus}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.dev:
        dev_false_positives(args.dev, args.verbose)


if __name__ == "__main__":
    main()
