"""Time of each brief-core step on hostile text, by size: is every step linear in the article?

Run from the repository root::

    .venv/bin/python benchmarks/linear_time.py                 # the issue's table (net.find)
    .venv/bin/python benchmarks/linear_time.py --all           # every step, every generator
    .venv/bin/python benchmarks/linear_time.py --sizes 1,8,64 --limit 5
    .venv/bin/python benchmarks/linear_time.py --loop           # the event loop while one is analysed

Each generator (``tests/test_linear_time.py`` uses the same ones) builds an article of about N KB
that targets one weakness of a regex: repeated speech verbs, alternating quotes, capitalised
runs, runs of auxiliaries, long tokens. Each step is timed once per size; a step that takes more
than ``--limit`` seconds at one size is not run at the larger sizes (the old code took minutes).
The figure to read is seconds per 10 KB: flat across sizes means linear, and the target is
under 0.1 s per 10 KB everywhere.

``--loop``: the longest pause of an event loop (a coroutine that sleeps 1 ms at a time) while
one article of ``--loop-kb`` KB of each hostile kind is analysed as the pipeline does it
(sentences, recall net, injection scan): on the loop itself (as before issue 18), in a worker
thread (``brief.budget``, what the pipeline does now), and in a process pool (the alternative,
with its pickling).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from summarizer.brief import dates, injection, net, support
from summarizer.brief.sentences import Sentence, split
from tests.hostile_text import GENERATORS, article

ISSUE_ROWS = [("x said", 7), ("x said", 14), ("alternating 'x", 12), ("normal article", 13)]


def _chunk_units(text: str) -> object:
    from summarizer.brief import chunking

    # The token counter is a stand-in (4 characters a token): chunking's own work is the split.
    return chunking.split(text, 2000, lambda s: len(s) // 4 + 1)


def _support(text: str) -> object:
    sentences = split(text)
    claim = " ".join(s.text for s in sentences[:2])[:300]
    return support.check(claim, [s.text for s in sentences[:5]] or [text])


def _dates(text: str) -> object:
    return [dates.resolve(s.text[:200], date(2024, 9, 12)) for s in split(text)[:3]] + [
        dates.names_time(text)
    ]


def _grounding(text: str) -> object:
    from summarizer.brief import grounding

    grounding.normalize_article.cache_clear()
    out: list[object] = [grounding.normalize_article(text)]
    for s in split(text)[:3]:
        out += [
            grounding.reported_words(s.text),
            grounding.warned_of(s.text),
            grounding.when_of(s.text),
            grounding.where_of(s.text),
            grounding.locate(s.text[:200], text),
        ]
    return out


STEPS: dict[str, Callable[[str], object]] = {
    "sentences.split": split,
    "net.find": lambda text: net.find(split(text)),
    "injection.scan": lambda text: injection.scan(split(text)),
    "support.check": _support,
    "dates": _dates,
    "chunking.split": _chunk_units,
    "grounding": _grounding,
}


def timed(step: Callable[[str], object], text: str) -> float:
    started = time.perf_counter()
    step(text)
    return time.perf_counter() - started


def _analysis(text: str) -> int:
    sentences = split(text)
    net.find(sentences)
    injection.scan(sentences)
    return len(sentences)


def _analysis_returned(text: str) -> object:
    """What the pipeline's worker hands back (so a process pool pickles it)."""
    sentences = split(text)
    return sentences, net.find(sentences), injection.scan(sentences)


async def _longest_pause(work: Callable[[], object]) -> tuple[float, float]:
    """(seconds the work took, longest gap between 1 ms ticks of the loop meanwhile)."""
    import asyncio

    longest = 0.0
    done = False

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            longest = max(longest, now - last)
            last = now

    task = asyncio.ensure_future(ticker())
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    result = work()
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        await result
    took = time.perf_counter() - started
    done = True
    await task
    return took, longest


def loop_table(kb: int, names: list[str]) -> None:
    import asyncio
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from summarizer.brief import budget

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(_analysis_returned, "warm up the worker: imports. Then one more sentence.").result()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        print(f"{'input':<22}{'on the loop':>24}{'worker thread':>24}{'process pool':>24}")
        print(f"{'':<22}" + f"{'took / longest pause':>24}" * 3)
        for name in names:
            text = article(name, kb * 1024)
            cells = []
            for way in ("loop", "thread", "process"):
                if way == "loop":
                    took, pause = await _longest_pause(lambda t=text: _analysis(t))
                elif way == "thread":
                    took, pause = await _longest_pause(
                        lambda t=text: budget.run(lambda check: _analysis(t), seconds=600)
                    )
                else:
                    took, pause = await _longest_pause(
                        lambda t=text: loop.run_in_executor(pool, _analysis_returned, t)
                    )
                cells.append(f"{took:>10.3f} s / {pause * 1000:>7.1f} ms")
            print(f"{name:<22}" + "".join(f"{c:>24}" for c in cells), flush=True)

    asyncio.run(main())
    pool.shutdown()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--all", action="store_true", help="every step and generator (default: the issue's rows)")
    p.add_argument(
        "--sizes", default="1,8,64,256,1024", help="sizes in KB for --all (default 1,8,64,256,1024)"
    )
    p.add_argument("--steps", default=",".join(STEPS), help="comma-separated steps for --all")
    p.add_argument("--limit", type=float, default=10.0, help="stop growing a row after a run this long (s)")
    p.add_argument("--loop", action="store_true", help="the event loop's longest pause during an analysis")
    p.add_argument("--loop-kb", type=int, default=1024, help="article size for --loop (default 1024 KB)")
    p.add_argument("--inputs", default="", help="comma-separated generators (default: all)")
    args = p.parse_args(argv)
    print(f"load {os.getloadavg()[0]:.2f}")
    names = args.inputs.split(",") if args.inputs else list(GENERATORS)
    if args.loop:
        loop_table(args.loop_kb, names)
        return 0
    if not args.all:
        # The second figure gives the net the whole text as one sentence, as the old splitter did
        # for these inputs (split now cuts runs at 4,000 characters): the net alone must be linear.
        print(f"{'input':<22}{'size':>8}{'net.find on split()':>22}{'one sentence':>18}{'s per 10 KB':>14}")
        for name, kb in ISSUE_ROWS:
            text = article(name, kb * 1024)
            sentences = split(text)
            started = time.perf_counter()
            net.find(sentences)
            took = time.perf_counter() - started
            started = time.perf_counter()
            net.find([Sentence(1, 0, len(text), text, 1)])
            whole = time.perf_counter() - started
            per = max(took, whole) / (len(text) / 10240)
            print(f"{name:<22}{len(text) / 1024:>6.1f}KB{took:>20.3f} s{whole:>16.3f} s{per:>12.4f}")
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    steps = args.steps.split(",")
    print(
        f"{'step':<18}{'input':<22}" + "".join(f"{str(kb) + ' KB':>10}" for kb in sizes) + "   (s per 10 KB)"
    )
    for step in steps:
        for name in names:
            cells = []
            stop = False
            for kb in sizes:
                if stop:
                    cells.append(f"{'-':>10}")
                    continue
                text = article(name, kb * 1024)
                took = timed(STEPS[step], text)
                cells.append(f"{took / (len(text) / 10240):>10.4f}")
                stop = took > args.limit
            print(f"{step:<18}{name:<22}" + "".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
