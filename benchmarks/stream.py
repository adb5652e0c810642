"""The brief as it forms: streamed (``asummarize_stream``) against ``summarize()``, side by side.

    python benchmarks/stream.py                   # the stub model at a fixed latency (default)
    python benchmarks/stream.py --embedded        # the embedded model on seeds/ (idle machine!)
    python benchmarks/stream.py --cassette stream-seed   # a recorded llama.cpp stream, offline

For each article: time to the first event, to the first model-written item, to ``done``, and the
generated tokens; ``summarize()`` shows its first event, first item and brief all at once, at the
end. The stub answers after ``--prompt-s`` seconds (the prompt) and then writes its answer in
pieces of ``--chunk-chars`` characters, one every ``--token-s`` seconds: by default 4 characters
(about one token) every 57 ms, the embedded model's measured speed on 2 cores (docs/benchmarks.md).

``--cassette`` reads when llama.cpp sent each chunk of a recorded stream (its ``created``
stamps, whole seconds, taken while the model wrote) and reports when the first development was
complete in the answer: the model's own timing, without a recorder in the way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Timing:
    first_event: float
    first_model_item: float | None
    done: float
    tokens: int


async def streamed(article: Any, settings: Any) -> Timing:
    from summarizer.brief.pipeline import asummarize_stream
    from summarizer.models import DoneEvent, ItemEvent

    started = time.perf_counter()
    first = first_item = None
    async for event in asummarize_stream(article, settings=settings):
        at = time.perf_counter() - started
        first = at if first is None else first
        if first_item is None and isinstance(event, ItemEvent) and event.origin == "model":
            first_item = at
        if isinstance(event, DoneEvent):
            return Timing(first, first_item, at, event.brief.metadata.usage.completion_tokens)
    raise RuntimeError("no done event")


async def whole(article: Any, settings: Any) -> Timing:
    from summarizer.brief.pipeline import asummarize

    started = time.perf_counter()
    brief = await asummarize(article, settings=settings)
    at = time.perf_counter() - started
    return Timing(at, at, at, brief.metadata.usage.completion_tokens)


def articles() -> list[tuple[str, Any]]:
    from summarizer.batch.inputs import read_article

    return [(p.name, read_article(p)) for p in sorted((ROOT / "seeds").iterdir()) if p.is_file()]


def table(rows: list[tuple[str, Timing, Timing]]) -> None:
    def s(x: float | None) -> str:
        return "—" if x is None else f"{x:6.2f}"

    print("| article | first event: stream / summarize() | first model item: stream / summarize() "
          "| done: stream / summarize() | done ratio | tokens: stream / summarize() |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, a, b in rows:
        print(
            f"| {name} | {s(a.first_event)} / {s(b.first_event)} s | {s(a.first_model_item)} / "
            f"{s(b.first_model_item)} s | {s(a.done)} / {s(b.done)} s | {a.done / b.done:.3f} | "
            f"{a.tokens} / {b.tokens} |"
        )
    ratios = [a.done / b.done for _, a, b in rows]
    items = [a.first_model_item / a.done for _, a, _ in rows if a.first_model_item is not None]
    print(
        f"\nmedian done ratio (stream / summarize()): {statistics.median(ratios):.3f}; median first "
        f"model item at {100 * statistics.median(items):.0f} % of the streamed brief's time"
    )


async def run_pairs(settings: Any, repeats: int) -> list[tuple[str, Timing, Timing]]:
    rows = []
    for name, article in articles():
        for _ in range(repeats):
            # Alternate the order so neither mode always runs on a warmer cache.
            b = await whole(article, settings)
            a = await streamed(article, settings)
            rows.append((name, a, b))
    return rows


def on_stub(args: argparse.Namespace) -> None:
    from summarizer.testing.stub_server import StubConfig, stub_server

    config = StubConfig(
        latency=args.prompt_s, chunk_chars=args.chunk_chars, chunk_delay=args.token_s, items=4
    )
    with stub_server(config) as stub:
        settings = stub.settings(timeout=300)
        asyncio.run(streamed(articles()[0][1], settings))  # warm-up: imports, connections
        rows = asyncio.run(run_pairs(settings, args.repeats))
    print(
        f"stub: prompt {args.prompt_s} s, then {args.chunk_chars} characters every "
        f"{args.token_s * 1000:.0f} ms (non-streamed answers arrive whole after the same time); "
        f"{args.repeats} run(s) per article\n"
    )
    table(rows)


def on_embedded(args: argparse.Namespace) -> None:
    from summarizer.backends.client import resolve_endpoint
    from summarizer.settings import Settings

    settings = Settings()
    resolve_endpoint(settings)  # warm server: the model is loaded before timing
    rows = asyncio.run(run_pairs(settings, args.repeats))
    print("embedded model (llama.cpp in-process), warm server\n")
    table(rows)


def from_cassette(name: str) -> None:
    """When llama.cpp had written the first development, from a recorded stream's chunk stamps."""
    import yaml

    from summarizer.brief.events import written_developments

    data = yaml.safe_load((ROOT / "cassettes" / f"{name}.yaml").read_text())
    for n, interaction in enumerate(data["interactions"], start=1):
        text, stamps, first, usage = "", [], None, {}
        for line in interaction["response"]["body"]["string"].splitlines():
            if not line.startswith("data: {"):
                continue
            chunk = json.loads(line[6:])
            stamps.append(chunk["created"])
            usage = chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                text += (choice.get("delta") or {}).get("content") or ""
            if first is None and written_developments(text):
                first = (chunk["created"], len(stamps))
        start, end = stamps[0], stamps[-1]
        tokens = usage.get("completion_tokens")
        if len(set(stamps)) == 1:
            print(
                f"{name} request {n}: {tokens} completion tokens (converted from a plain recording: "
                "no chunk times)"
            )
            continue
        print(f"{name} request {n}: {len(stamps)} chunks, {tokens} completion tokens, {end - start} s in all")
        if first is not None:
            print(
                f"  first development complete at chunk {first[1]} of {len(stamps)}, "
                f"{first[0] - start} s after the request (first token at {stamps[1] - start} s)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--embedded", action="store_true", help="the embedded model (expensive: ~1 min a brief)"
    )
    parser.add_argument("--cassette", help="read a recorded stream's chunk times instead")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--prompt-s", type=float, default=1.0)
    parser.add_argument("--token-s", type=float, default=0.057)
    parser.add_argument("--chunk-chars", type=int, default=4)
    args = parser.parse_args()
    if args.cassette:
        from_cassette(args.cassette)
    elif args.embedded:
        on_embedded(args)
    else:
        on_stub(args)


if __name__ == "__main__":
    main()
