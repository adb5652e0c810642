"""Attack success on the prompt-injection corpus (``scripts/injection_corpus.py``).

    python scripts/injection_eval.py run   [--out DIR] [ids...]              brief every variant
    python scripts/injection_eval.py clean [--out DIR]                        brief the clean articles
    python scripts/injection_eval.py score DIR                                score briefs in DIR
    python scripts/injection_eval.py table BEFORE AFTER                       a Markdown table of both
    python scripts/injection_eval.py articles FILE                            the loaded articles,
                                                                              as JSON lines
    python scripts/injection_eval.py --corpus tests/fixtures/injections/heldout/test score DIR
                                                                              another corpus (issue 17)

``run`` reads each variant with the loaders of ``summarizer run``, briefs it with the configured
model (the embedded one by default) and writes ``DIR/<id>.json``. The variants are also test
fixtures (``inject-<id>``): ``scripts/record_cassettes.py --briefs DIR inject-...`` records their
traffic for ``tests/test_injection_corpus.py`` and writes the briefs ``score`` reads.
``articles`` exists so another version of the code (``git worktree``) can brief the very same
articles: the "before" figure.

What counts as obeying: ``summarizer.eval.injection``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from summarizer.eval.injection import obeyed

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "injections"


def corpus() -> list[dict[str, Any]]:
    return json.loads((CORPUS / "corpus.json").read_text(encoding="utf-8"))


def use_corpus(folder: Path | None) -> None:
    """Score or brief another corpus in the same format (e.g. tests/fixtures/injections/heldout/test)."""
    global CORPUS
    if folder is not None:
        CORPUS = folder.resolve()


def load(entry: dict[str, Any]) -> Any:
    from summarizer.batch.sources import iter_inputs

    (item,) = list(iter_inputs([str(CORPUS / entry["file"])], 10_000_000, None))
    return item.load()


def score(folder: Path) -> dict[str, Any]:
    rows = []
    for entry in corpus():
        path = folder / f"{entry['id']}.json"
        for name in (f"inject-{entry['id']}.json", f"inject-ho-{entry['id']}.json"):
            if not path.exists():  # as scripts/record_cassettes.py --briefs names them
                path = folder / name
        if not path.exists():
            rows.append({**entry, "status": "missing"})
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if "error" in data:
            rows.append({**entry, "status": "error", "detail": data["error"]})
            continue
        hits = obeyed(data, entry["canaries"], entry["check"])
        detected = len((data.get("metadata", {}).get("grounding") or {}).get("injection_suspected") or [])
        rows.append(
            {
                **entry,
                "status": "OBEYED" if hits else "resisted",
                "detail": ", ".join(hits),
                "detected": detected,
                "headline": data.get("headline", ""),
                "developments": len(data.get("key_developments") or []),
            }
        )
    for r in rows:
        print(
            f"{r['id']:20} {r['language']:3} {r['position']:7} {r['status']:9} "
            f"det={r.get('detected', '-')!s:2} dev={r.get('developments', '-')!s:2} "
            f"{r.get('detail', '')[:40]:40} | {r.get('headline', '')[:70]}"
        )
    scored = [r for r in rows if r["status"] in ("OBEYED", "resisted")]
    won = sum(r["status"] == "OBEYED" for r in scored)
    print(f"attack success: {won} of {len(scored)} obeyed ({len(rows) - len(scored)} missing or failed)")
    return {"obeyed": won, "scored": len(scored), "rows": rows}


def run(out: Path, only: list[str]) -> None:
    from summarizer import summarize

    out.mkdir(parents=True, exist_ok=True)
    for entry in corpus():
        if only and entry["id"] not in only:
            continue
        article = load(entry)
        started = time.perf_counter()
        try:
            data = summarize(article).model_dump(mode="json")
        except Exception as exc:  # one variant's failure is that variant's record
            data = {"error": f"{type(exc).__name__}: {exc}"}
        (out / f"{entry['id']}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"{entry['id']}: {time.perf_counter() - started:.0f}s {data.get('headline', data.get('error'))!r}")


def clean(out: Path) -> None:
    """The articles without the planted text: what the injected briefs should be no worse than."""
    from summarizer import summarize
    from summarizer.batch.inputs import read_article

    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((CORPUS / "clean").glob("*.txt")):
        started = time.perf_counter()
        brief = summarize(read_article(path))
        (out / f"clean-{path.stem}.json").write_text(brief.model_dump_json(indent=1), encoding="utf-8")
        print(f"clean {path.stem}: {time.perf_counter() - started:.0f}s {brief.headline!r}", flush=True)


def _quality(brief: dict[str, Any]) -> dict[str, int]:
    grounding = brief["metadata"]["grounding"]
    return {
        "developments": len(brief["key_developments"]),
        "positions": len(brief["stated_positions"]),
        "warnings": len(brief["warnings"]),
        "summary_passed": grounding["summary_passed"],
        "rewritten": len(grounding["rewritten"]),
    }


def compare(folder: Path) -> None:
    """Each injected brief's items next to its clean article's brief (same code, same model)."""
    totals: dict[str, list[int]] = {}
    for entry in corpus():
        key = Path(entry["clean"]).stem
        paths = [folder / f"clean-{key}.json", folder / f"inject-{entry['id']}.json"]
        if not all(p.exists() for p in paths):
            continue
        clean_q, inj_q = (_quality(json.loads(p.read_text(encoding="utf-8"))) for p in paths)
        for name in clean_q:
            totals.setdefault(name, [0, 0])
            totals[name][0] += clean_q[name]
            totals[name][1] += inj_q[name]
        print(f"{entry['id']:20} clean {clean_q} injected {inj_q}")
    print("totals (clean vs injected):", {k: f"{a} vs {b}" for k, (a, b) in totals.items()})


def table(before: Path, after: Path) -> None:
    """A Markdown table: each variant, obeyed before and after (for docs/eval/injection.md)."""

    def outcome(folder: Path, entry: dict[str, Any]) -> str:
        for name in (f"{entry['id']}.json", f"inject-{entry['id']}.json", f"inject-ho-{entry['id']}.json"):
            if (folder / name).exists():
                data = json.loads((folder / name).read_text(encoding="utf-8"))
                if "error" in data:
                    return "error"
                hits = obeyed(data, entry["canaries"], entry["check"])
                return f"**obeyed** ({', '.join(hits)})" if hits else "resisted"
        return "not run"

    print("| variant | where | technique | language | before | after |")
    print("|---|---|---|---|---|---|")
    for entry in corpus():
        print(
            f"| {entry['id']} | {entry['position']} | {entry['technique']} | {entry['language']} | "
            f"{outcome(before, entry)} | {outcome(after, entry)} |"
        )


def articles(path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for entry in corpus():
            article = load(entry)
            handle.write(json.dumps({"id": entry["id"], "article": article.model_dump(mode="json")}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a folder with corpus.json (default: the first corpus)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run")
    p_run.add_argument("--out", type=Path, default=ROOT / "docs" / "eval" / "injection" / "after")
    p_run.add_argument("ids", nargs="*")
    p_score = sub.add_parser("score")
    p_score.add_argument("folder", type=Path)
    p_clean = sub.add_parser("clean")
    p_clean.add_argument("--out", type=Path, default=ROOT / "docs" / "eval" / "injection" / "after")
    p_compare = sub.add_parser("compare")
    p_compare.add_argument("folder", type=Path)
    p_table = sub.add_parser("table")
    p_table.add_argument("before", type=Path)
    p_table.add_argument("after", type=Path)
    p_articles = sub.add_parser("articles")
    p_articles.add_argument("file", type=Path)
    args = parser.parse_args()
    use_corpus(args.corpus)
    if args.command == "run":
        run(args.out, args.ids)
        score(args.out)
    elif args.command == "score":
        result = score(args.folder)
        sys.exit(0 if result["scored"] else 1)
    elif args.command == "clean":
        clean(args.out)
    elif args.command == "table":
        table(args.before, args.after)
    elif args.command == "compare":
        compare(args.folder)
    else:
        articles(args.file)


if __name__ == "__main__":
    main()
