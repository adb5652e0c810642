"""`summarizer run` at scale against a stub that injects every kind of fault.

Writes N distinct articles, serves them to the runner through the fault-injecting stub on
127.0.0.1 and checks the run's accounting: every input ends exactly once as a brief or an error
record, no brief went past the retry bounds, and what the faults cost (requests, attempts,
dropped ungrounded items, wall time).

Write faults beside the model faults: every ``--unwritable``-th output path is a folder (the
brief cannot be written there), and with ``--disk-kb`` (root only) OUT is a real tmpfs with only
that much room left, so the disk fills mid-run; space is then freed and the run repeated, which
must complete every input the disk had stopped.

    python benchmarks/fault_scale.py --n 200 --fault-rate 0.2 --seed 1 --latency 0.02 --concurrency 8
    python benchmarks/fault_scale.py --n 200 --unwritable 25 --disk-kb 512

Exit status 0 when every input is accounted for exactly once, else 1. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.batch import RunOptions, run_sync  # noqa: E402
from summarizer.batch.store import BALLAST_BYTES  # noqa: E402
from summarizer.settings import Settings  # noqa: E402
from summarizer.testing.stub_server import RECOVERABLE_FAULTS, StubConfig, stub_server  # noqa: E402

CORPORA = (Path("/work/shared/corpus/dev.jsonl"), ROOT / "tests" / "fixtures" / "corpus10.jsonl")
FAULTS = RECOVERABLE_FAULTS


def corpus_texts() -> tuple[Path, list[str]]:
    for path in CORPORA:
        if path.is_file():
            texts = [
                json.loads(line)["text"]
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()
            ]
            texts = [t for t in texts if t.strip()]
            if texts:
                return path, texts
    raise SystemExit(f"no corpus found (looked for {', '.join(map(str, CORPORA))})")


def write_articles(folder: Path, n: int, texts: list[str]) -> list[Path]:
    """N distinct files: the corpus over and over, each round prefixed 'Copy k.' so none repeat."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        k, text = divmod(i, len(texts))
        path = folder / f"{i:05d}.txt"
        path.write_text(f"Copy {k}. {texts[text]}" if k else texts[text], encoding="utf-8")
        paths.append(path)
    return paths


def read_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="articles (default 200)")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of requests given a fault")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.02, help="stub seconds per answer")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep articles and OUT here (default: a temp dir, removed)"
    )
    parser.add_argument("--unwritable", type=int, default=25, help="every K-th output is a folder (0: none)")
    parser.add_argument("--disk-kb", type=int, default=0, help="OUT on a tmpfs with this much room (root)")
    parser.add_argument("--verbose", action="store_true", help="show the client's retry warnings")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.WARNING if args.verbose else logging.CRITICAL,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("instructor").setLevel(logging.CRITICAL)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="fault_scale."))
    src, out = work / "in", work / "out"
    if out.exists():
        shutil.rmtree(out)  # a fresh run: the manifest would otherwise skip finished work
    corpus, texts = corpus_texts()
    paths = write_articles(src, args.n, texts)
    blocked = [
        p for i, p in enumerate(paths) if args.unwritable and i % args.unwritable == args.unwritable - 1
    ]
    for path in blocked:  # a folder where the brief would go: that output cannot be written
        (out / f"{path.stem}.json").mkdir(parents=True)

    config = StubConfig(
        latency=args.latency,
        fault_rate=args.fault_rate,
        faults=FAULTS,
        seed=args.seed,
        hang_seconds=5,
        retry_after=0.05,
    )
    try:
        with stub_server(config) as stub, small_disk(out, args.disk_kb) as filler:
            settings = Settings(
                model="openai/stub",
                api_base=stub.api_base,
                api_key="x",
                timeout=1.0,
                retry_max_wait=0.2,
                max_attempts=5,
                retry_total=60,
            )
            options = RunOptions(paths=[str(src)], out=out, concurrency=args.concurrency, quiet=True)
            started = time.perf_counter()
            code = run_sync(options, settings)
            wall = time.perf_counter() - started
            requests, outcomes = stub.state.requests, Counter(stub.state.outcomes)
            status = report(args, settings, corpus, paths, out, code, wall, requests, outcomes)
            if filler is not None:
                filler.unlink()  # free the space, and run again: the disk's leftovers complete
                print("\n-- after freeing space, the same run again --")
                started = time.perf_counter()
                code = run_sync(options, settings)
                wall = time.perf_counter() - started
                again = report(args, settings, corpus, paths, out, code, wall, stub.state.requests - requests,
                               Counter(stub.state.outcomes) - outcomes)  # fmt: skip
                stopped = [e for e in read_lines(out / "errors.jsonl") if e.get("kind") == "stopped"]
                print(f"left stopped by the disk after the re-run: {len(stopped)}")
                status = status or again or int(bool(stopped))
        return status
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


@contextmanager
def small_disk(out: Path, room_kb: int) -> Iterator[Path | None]:
    """OUT on a real tmpfs with ``room_kb`` left (plus the run's ballast), the rest taken by a
    filler file the caller can delete; nothing when ``room_kb`` is 0."""
    if not room_kb:
        yield None
        return
    out.mkdir(parents=True, exist_ok=True)
    keep = out.with_name("out.kept")  # folders made in OUT before mounting (the unwritable ones)
    shutil.move(out, keep)
    out.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(out)], check=True)
    try:
        for entry in keep.iterdir():
            shutil.move(entry, out / entry.name)
        filler = out / ".summarizer-filler"
        stats = os.statvfs(out)
        with filler.open("wb") as handle:
            handle.truncate(0)
            os.posix_fallocate(
                handle.fileno(), 0, stats.f_bavail * stats.f_frsize - (room_kb << 10) - BALLAST_BYTES
            )
        yield filler
    finally:
        print(
            f"OUT was a tmpfs: {subprocess.run(['df', '-h', str(out)], capture_output=True, text=True).stdout.splitlines()[-1]}"
        )
        subprocess.run(["umount", str(out)], check=False)
        shutil.rmtree(keep, ignore_errors=True)


def report(
    args,
    settings: Settings,
    corpus: Path,
    paths: list[Path],
    out: Path,
    code: int,
    wall: float,
    requests: int,
    outcomes: Counter,
) -> int:
    briefs, errors = read_lines(out / "briefs.jsonl"), read_lines(out / "errors.jsonl")
    expected = {str(p) for p in paths}
    seen = Counter([b["source"] for b in briefs] + [e["source"] for e in errors])
    duplicates = sorted(s for s, c in seen.items() if c > 1)
    missing = sorted(expected - set(seen))
    unexpected = sorted(set(seen) - expected)
    shared_outputs = sorted(o for o, c in Counter(b["output"] for b in briefs).items() if c > 1)
    exactly_once = not duplicates and not missing and not unexpected

    attempts = [b["brief"]["metadata"]["attempts"] for b in briefs]
    latencies = [b["brief"]["metadata"]["latency_s"] for b in briefs]
    dropped = sum(len(b["brief"]["metadata"]["grounding"]["dropped"]) for b in briefs)
    with_drops = sum(1 for b in briefs if b["brief"]["metadata"]["grounding"]["dropped"])
    # One model call makes at most max_attempts transport tries per validation round, and
    # instructor allows reasks + 1 rounds; a long article makes one call per part plus a merge.
    rounds = settings.reasks + 1

    def calls(b: dict) -> int:
        chunks = b["brief"]["metadata"].get("chunks", 1)
        return chunks + (1 if chunks > 1 else 0)

    over_attempts = [
        b["source"]
        for b in briefs
        if b["brief"]["metadata"]["attempts"] > settings.max_attempts * rounds * calls(b)
    ]
    time_bound = (settings.retry_total + settings.timeout + settings.retry_max_wait) * rounds
    over_time = [b["source"] for b in briefs if b["brief"]["metadata"]["latency_s"] > time_bound * calls(b)]
    reasons = Counter(_reason_kind(e) for e in errors)

    print(
        f"fault_scale: n={args.n} fault_rate={args.fault_rate} seed={args.seed} latency={args.latency}s concurrency={args.concurrency}"
    )
    print(f"corpus                 {corpus}")
    print(f"inputs                 {len(paths)}")
    print(f"briefed                {len(briefs)}")
    print(f"failed                 {len(errors)}")
    for (kind, reason), count in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"    {count:4d} x {kind}: {reason}")
    print(
        f"accounted exactly once {'yes' if exactly_once else 'NO'}"
        + (
            ""
            if exactly_once
            else f" (missing {len(missing)}, duplicated {len(duplicates)}, unexpected {len(unexpected)})"
        )
    )
    print(f"duplicates             {', '.join(duplicates[:5]) or 'none'}")
    print(f"shared output files    {', '.join(shared_outputs[:5]) or 'none'}")
    print(f"run exit code          {code} ({'some inputs failed' if code else 'all briefed'})")
    print(f"stub requests          {requests}")
    for outcome, count in sorted(outcomes.items(), key=lambda kv: (kv[0] != "ok", -kv[1])):
        print(f"    {count:5d} {outcome}")
    if attempts:
        print(
            f"attempts per brief     max {max(attempts)}, mean {sum(attempts) / len(attempts):.2f}"
            f" (sum {sum(attempts)}; {sum(1 for a in attempts if a > 1)} briefs needed more than one)"
        )
        print(
            f"latency per brief      max {max(latencies):.2f}s, mean {sum(latencies) / len(latencies):.2f}s"
        )
    print(
        f"bounds                 max_attempts={settings.max_attempts} per call and round, reasks={settings.reasks}"
        f" (so <= {settings.max_attempts * rounds} attempts per single-part brief), retry_total={settings.retry_total:g}s,"
        f" timeout={settings.timeout:g}s"
    )
    print(
        f"briefs over the bounds attempts: {len(over_attempts)}, time: {len(over_time)}"
        + (f" ({', '.join((over_attempts + over_time)[:5])})" if over_attempts or over_time else "")
    )
    print(f"ungrounded dropped     {dropped} item(s) in {with_drops} brief(s)")
    print(
        f"wall time              {wall:.1f}s ({len(briefs) / wall * 60:.0f} briefs/min)"
        if wall > 0
        else "wall time -"
    )
    return 0 if exactly_once else 1


def _reason_kind(error: dict) -> tuple[str, str]:
    """Group failures by kind and by their reason without the per-input parts (paths, addresses)."""
    reason = error.get("reason") or ""
    source = error.get("source") or ""
    if source and reason.startswith(source):
        reason = reason[len(source) :].lstrip(": ")
    if " at http" in reason and ": " in reason:
        reason = reason.split(": ", 1)[1] if reason.startswith("model ") else reason
    return error.get("kind") or "?", reason[:160]


if __name__ == "__main__":
    sys.exit(main())
