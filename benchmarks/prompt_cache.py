"""How much the fixed prompt prefix saves through llama.cpp's prompt cache, per article.

The system prompt (rules + field guide, ~650 tokens) is identical for every article and comes
first, so llama.cpp reuses its KV cache across consecutive requests and only evaluates the
article. Two measurements:

    python benchmarks/prompt_cache.py             # from the timings recorded in cassettes/
    python benchmarks/prompt_cache.py --live 4    # live: N corpus articles, cache on vs off

The live mode asks the embedded server for one token per request (``max_tokens=1``), so the
time measured is prompt evaluation alone; ``cache_prompt: false`` disables the cache per request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def from_cassettes() -> None:
    rows = []
    for path in sorted((ROOT / "cassettes").glob("*.yaml")):
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            try:
                body = json.loads(interaction["response"]["body"]["string"])
            except ValueError:  # a streamed answer (server-sent events): no single timings object
                continue
            t = body.get("timings")
            if t:
                rows.append((path.stem, t["cache_n"], t["prompt_n"], t["prompt_ms"]))
    if not rows:
        print("no llama.cpp timings in cassettes/ (recorded from a hosted model?)")
        return
    per_token = statistics.median(ms / n for _, _, n, ms in rows if n > 50)
    cached = [c for _, c, _, _ in rows]
    total = [c + n for _, c, n, _ in rows]
    print(f"recorded requests: {len(rows)}; median prompt evaluation {per_token:.1f} ms/token")
    print(f"prompt tokens per request: mean {statistics.fmean(total):.0f}, served from cache: mean {statistics.fmean(cached):.0f} "
          f"({sum(cached) / sum(total) * 100:.0f} % of all prompt tokens)")
    print(f"estimated time saved per request: {statistics.fmean(cached) * per_token / 1000:.1f} s")


def live(n: int) -> None:
    import httpx

    from summarizer.backends.local_server import ensure_server
    from summarizer.models import Article
    from summarizer.brief.prompts import render_messages
    from summarizer.settings import Settings

    corpus = Path("/work/shared/corpus/dev.jsonl")
    if not corpus.exists():
        corpus = ROOT / "tests" / "fixtures" / "corpus10.jsonl"
    texts = [json.loads(line)["text"] for line in corpus.read_text().splitlines()[:n]]
    server = ensure_server(Settings())
    url = server.api_base + "/chat/completions"

    def ask(text: str, cache: bool) -> dict:
        body = {"model": server.model_alias, "messages": render_messages(Article(text=text)), "max_tokens": 1,
                "temperature": 0, "cache_prompt": cache}
        started = time.perf_counter()
        timings = httpx.post(url, json=body, timeout=600).json()["timings"]
        timings["wall_s"] = time.perf_counter() - started
        return timings

    ask("Warm-up article. It is short.", True)
    for cache in (False, True):
        results = [ask(text, cache) for text in texts]
        walls = [r["wall_s"] for r in results]
        evaluated = [r["prompt_n"] for r in results]
        reused = [r["cache_n"] for r in results]
        print(f"cache_prompt={cache}: {n} articles, prompt tokens evaluated mean {statistics.fmean(evaluated):.0f}, "
              f"reused from cache mean {statistics.fmean(reused):.0f}, wall per article mean {statistics.fmean(walls):.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", type=int, default=0, help="measure live on N articles (embedded model)")
    args = parser.parse_args()
    from_cassettes()
    if args.live:
        live(args.live)
    return 0


if __name__ == "__main__":
    sys.exit(main())
