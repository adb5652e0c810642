"""Record streamed briefs (``stream: true``) from a real model into cassettes/stream-<fixture>.yaml.

    python scripts/record_stream_cassettes.py seed sample-md

Each cassette holds the server-sent events exactly as the server sent them (llama.cpp's own
chunks, with its usage chunk); tests replay them offline (tests/test_stream.py). The times it
prints are *not* streaming times: while recording, vcrpy reads each answer whole before the
client sees any of it (benchmarks/stream.py measures streaming without a recorder).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixture_articles import fixtures  # noqa: E402

from summarizer.backends.client import resolve_endpoint  # noqa: E402
from summarizer.brief.pipeline import asummarize_stream  # noqa: E402
from summarizer.settings import Settings  # noqa: E402
from summarizer.testing.cassettes import CASSETTE_DIR, make_vcr  # noqa: E402


async def record(fx, cfg: Settings) -> list[dict]:
    started = time.perf_counter()
    seen = []
    async for event in asummarize_stream(fx.article, settings=cfg):
        at = round(time.perf_counter() - started, 2)
        label = event.event + (
            f" {event.section}[{event.index}] ({event.origin})" if event.event == "item" else ""
        )
        print(f"  {at:7.2f}s {label}", flush=True)
        seen.append({"at": at, "event": label})
    return seen


def main(names: list[str]) -> int:
    base = Settings()
    resolve_endpoint(base)  # the embedded server starts before recording
    recorder = make_vcr(record_mode="all")
    log = {}
    for fx in [f for f in fixtures() if f.name in names]:
        name = f"stream-{fx.name}"
        (CASSETTE_DIR / f"{name}.yaml").unlink(missing_ok=True)
        print(name, flush=True)
        with recorder.use_cassette(name):
            log[fx.name] = asyncio.run(record(fx, base.model_copy(update=fx.settings)))
    print(json.dumps(log))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
