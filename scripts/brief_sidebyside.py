"""Old code against new on the same model answers: how docs/eval.md's "brief text" figures were made.

    # 1. brief articles live with the code first on sys.path (e.g. a checkout of the old commit),
    #    keeping every model answer as a cassette and the brief as JSON
    PYTHONPATH=/tmp/old python scripts/brief_sidebyside.py record IDS.txt OUT/ --corpus dev.jsonl
    # 2. brief the same articles with this checkout, replaying those answers (no model needed)
    python scripts/brief_sidebyside.py replay OUT/ NEW/ --corpus dev.jsonl
    # 3. side by side: ROUGE-L against the references, defects by kind, model summary sentences
    #    passing, generated tokens and model seconds (llama.cpp's own timings), items per brief
    python scripts/brief_sidebyside.py report OUT/ NEW/ --corpus dev.jsonl

Because the model request does not depend on the code under test here, the new code is asked
exactly what the old one was: only the answers it still needs are replayed (an extractive summary
asks no repair), so tokens and seconds "after" are those of the requests it made.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml


def _rows(corpus: Path) -> dict[str, dict[str, Any]]:
    lines = corpus.read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["id"]: json.loads(line) for line in lines if line.strip()}


def record(ids: Path, out: Path, corpus: Path) -> None:
    from summarizer.backends.client import resolve_endpoint
    from summarizer.brief.pipeline import summarize
    from summarizer.models import Article
    from summarizer.settings import Settings
    from summarizer.testing.cassettes import make_vcr

    rows = _rows(corpus)
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    resolve_endpoint(settings)  # start the embedded server once
    for ident in ids.read_text().split():
        if (out / f"{ident}.json").exists():
            continue  # resumable
        started = time.perf_counter()
        with make_vcr(record_mode="all", cassette_dir=out).use_cassette(ident):
            brief = summarize(Article(text=rows[ident]["text"], source_id=ident), settings=settings)
        (out / f"{ident}.json").write_text(brief.model_dump_json(indent=1))
        print(f"{ident}: {time.perf_counter() - started:.1f}s", flush=True)


def replay(recorded: Path, out: Path, corpus: Path) -> None:
    from summarizer.brief.pipeline import summarize
    from summarizer.models import Article
    from summarizer.settings import Settings
    from summarizer.testing.cassettes import replaying

    rows = _rows(corpus)
    meta = json.loads(Path(__file__).resolve().parent.parent.joinpath("cassettes/recording.json").read_text())
    values = {k: v for k, v in meta["settings"].items() if v is not None}
    values.update(model=meta["model"], constrain_evidence=meta["constrain_evidence"],
                  context_tokens=meta["context_tokens"], api_base="http://127.0.0.1:9/v1", api_key="replay")  # fmt: skip
    settings = Settings(**values)  # as the cassettes were recorded; the address is never contacted
    out.mkdir(parents=True, exist_ok=True)
    for cassette in sorted(recorded.glob("*.yaml")):
        ident = cassette.stem
        with replaying(ident, cassette_dir=recorded):
            brief = summarize(Article(text=rows[ident]["text"], source_id=ident), settings=settings)
        (out / f"{ident}.json").write_text(brief.model_dump_json(indent=1))
        print(ident, brief.summary[:120], flush=True)


def report(before: Path, after: Path, corpus: Path) -> None:
    from summarizer.brief.quality import count, defects
    from summarizer.eval.metrics import lead3, rouge
    from summarizer.models import Brief

    rows = _rows(corpus)
    table = []
    for path in sorted(before.glob("*.json")):
        if not (after / path.name).exists():
            continue
        ident = path.stem
        old = Brief.model_validate_json(path.read_text())
        new = Brief.model_validate_json((after / path.name).read_text())
        answers = [
            json.loads(i["response"]["body"]["string"])
            for i in yaml.safe_load((before / f"{ident}.yaml").read_text())["interactions"]
        ]
        seconds = [
            (a.get("timings", {}).get("prompt_ms", 0) + a.get("timings", {}).get("predicted_ms", 0)) / 1000
            for a in answers
        ]
        tokens = [a["usage"]["completion_tokens"] for a in answers]
        made = new.metadata.attempts  # the new code's requests are the first `made` recorded ones
        text, refs = rows[ident]["text"], rows[ident]["references"]
        table.append(
            {
                "id": ident,
                "rouge_before": rouge(old.summary, refs)["rougeL"],
                "rouge_after": rouge(new.summary, refs)["rougeL"],
                "lead3": rouge(lead3(text), refs)["rougeL"],
                "defects_before": count(defects(old, text)),
                "defects_after": count(defects(new, text)),
                "passing_before": (old.metadata.grounding.summary_passed, old.metadata.grounding.summary_checked),
                "passing_after": (new.metadata.grounding.summary_passed, new.metadata.grounding.summary_checked),
                "tokens_before": sum(tokens), "tokens_after": sum(tokens[:made]),
                "seconds_before": sum(seconds), "seconds_after": sum(seconds[:made]),
                "items_before": old.items, "items_after": new.items,
            }
        )  # fmt: skip
    if not table:
        print("no article briefed by both")
        return

    def mean(key: str) -> float:
        return round(statistics.mean(row[key] for row in table), 2)

    def total(key: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in table:
            for kind, n in row[key].items():
                out[kind] = out.get(kind, 0) + n
        return out

    def passing(key: str) -> str:
        return f"{sum(r[key][0] for r in table)}/{sum(r[key][1] for r in table)}"

    print(f"{len(table)} articles")
    print(
        f"summary ROUGE-L: before {mean('rouge_before')}, after {mean('rouge_after')}, lead-3 {mean('lead3')}"
    )
    print(f"defects before: {total('defects_before')}")
    print(f"defects after:  {total('defects_after')}")
    print(
        f"model summary sentences passing: before {passing('passing_before')}, after re-citation {passing('passing_after')}"
    )
    print(f"generated tokens per article: before {mean('tokens_before')}, after {mean('tokens_after')}")
    print(
        f"model seconds per article (llama.cpp timings): before {mean('seconds_before')}, after {mean('seconds_after')}"
    )
    print(f"items per brief: before {mean('items_before')}, after {mean('items_after')}")
    print("id | ROUGE-L before | after | lead-3 | defects before | after | tokens before | after")
    for r in table:
        print(
            f"{r['id']} | {r['rouge_before']:.1f} | {r['rouge_after']:.1f} | {r['lead3']:.1f} | "
            f"{sum(r['defects_before'].values())} | {sum(r['defects_after'].values())} | "
            f"{r['tokens_before']} | {r['tokens_after']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["record", "replay", "report"])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--corpus", type=Path, required=True)
    args = parser.parse_args(argv)
    {"record": record, "replay": replay, "report": report}[args.step](args.first, args.second, args.corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
