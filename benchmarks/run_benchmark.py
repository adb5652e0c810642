"""Throughput, overhead, memory and start-up figures for ``summarizer run``, against a stub model.

Run from the repository root (``make benchmark`` does the same)::

    .venv/bin/python benchmarks/run_benchmark.py                      # the issue's numbers
    .venv/bin/python benchmarks/run_benchmark.py --json bench.json    # also write the figures as JSON
    .venv/bin/python benchmarks/run_benchmark.py --n 12 --latency 0.05 --mid 100 --big 200   # smoke run

Defaults: ``--n 200 --latency 0.3 --mid 1000 --big 10000 --big-latency 0.0``. Nothing here talks
to a real model: every request goes to ``summarizer.testing.stub_server`` on 127.0.0.1, which
answers after a fixed latency with a schema-valid, grounded brief of the article it was sent.

What is measured (all wall times with ``time.perf_counter()``):

1. **plain loop**: a sequential loop calling instructor directly (``instructor.from_litellm``,
   ``JSON_SCHEMA`` mode, ``max_retries=0``): the floor for one article at a time.
2. **runner, concurrency 1**: ``summarizer run`` in-process (``runner.run_sync``). Its wall time
   minus the plain loop's, per article, is the runner's overhead.
3. **runner, concurrency 16**: throughput as a share of the ideal ``N x latency / concurrency``.

Articles: ``--n`` articles from ``../shared/corpus/dev.jsonl`` (falling back to
``tests/fixtures/corpus10.jsonl``), repeated as needed; every repetition gets a distinct
``Copy k.`` prefix so the runner's dedupe of identical articles does not skip any. They are
written as ``.txt`` files into a temporary folder.

Each way runs in its own child process (this script re-invoked with ``--child``) while the stub
serves from this process, so the peak RSS reported is that of one way alone and excludes the
stub. Imports, and one warm-up article outside the timed part, happen before the clock starts.

Memory: a ``--big``-file run (10,000 by default) and a ``--mid``-file run (1,000) at
concurrency 16 against a stub with ``--big-latency`` (0 s), each in a child process; memory
should stay flat as inputs grow (target: under 300 MB for 10,000 files). ``--skip-big`` skips
both.

Start-up: the median of ``--help-runs`` (5) runs of ``python -m summarizer --help`` and of the
``summarizer`` console script next to the interpreter, if there is one (one untimed run first).

Targets checked: >= 90 % of ideal throughput at concurrency 16 (meaningful at 300 ms latency),
runner overhead <= 5 ms per article, ``--help`` under 0.3 s, 10k-file peak RSS under 300 MB.
The exit status is 0 unless a run failed (or, with ``--check``, a target was missed). Timings
depend on the machine and on whatever else is running on it: report the load with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

# Before anything can import litellm: the offline cost map and the httpx transport.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without an installed package too

CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
FALLBACK_CORPUS = ROOT / "tests" / "fixtures" / "corpus10.jsonl"
RESULT_MARK = "BENCH_RESULT "
MODEL = "openai/stub"
API_KEY = "bench"

TARGET_THROUGHPUT = 0.90  # of ideal, at concurrency 16 and 300 ms latency
TARGET_OVERHEAD_MS = 5.0
TARGET_HELP_S = 0.3
TARGET_BIG_MB = 300.0


# -- helpers ---------------------------------------------------------------------------------


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def load_corpus(path: Path | None) -> tuple[Path, list[str]]:
    candidates = [path] if path else [CORPUS, FALLBACK_CORPUS]
    for candidate in candidates:
        if candidate and candidate.is_file():
            texts = []
            with candidate.open(encoding="utf-8") as handle:
                for line in handle:
                    if line.strip():
                        text = (json.loads(line).get("text") or "").strip()
                        if text:
                            texts.append(text)
            if texts:
                return candidate, texts
    raise SystemExit(f"no corpus found (tried {', '.join(str(c) for c in candidates if c)})")


def write_articles(folder: Path, texts: list[str], count: int, prefix: str = "") -> Path:
    """``count`` .txt files cycling through ``texts``; repetition k > 0 starts with "Copy k. "."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        k, j = divmod(i, len(texts))
        text = texts[j] if k == 0 and not prefix else f"{prefix}Copy {k}. {texts[j]}"
        (folder / f"a{i:05d}.txt").write_text(text + "\n", encoding="utf-8")
    return folder


@contextmanager
def trimmed(stub: Any, every: float = 1.0) -> Iterator[None]:
    """Keep the stub from hoarding every request body in this process during long runs."""
    stop = threading.Event()

    def trim() -> None:
        while not stop.wait(every):
            with stub.state.lock:
                stub.state.bodies.clear()
                stub.state.auth_headers.clear()
                stub.state.headers.clear()
                stub.state.times.clear()

    thread = threading.Thread(target=trim, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        with stub.state.lock:
            stub.state.bodies.clear()
            stub.state.auth_headers.clear()
            stub.state.headers.clear()
            stub.state.times.clear()


def run_child(args: list[str], timeout: float) -> dict[str, Any]:
    """Run this script as ``--child ...``; return the JSON it prints (or an error record)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s", "exit_code": None}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK):])
            result["process_rc"] = proc.returncode
            return result
    tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-15:]
    return {"error": f"child exited {proc.returncode} without a result", "stderr_tail": tail, "exit_code": None}


def time_command(cmd: list[str], runs: int) -> dict[str, Any] | None:
    try:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, timeout=60)  # untimed
    except (OSError, subprocess.TimeoutExpired):
        return None
    times, rcs = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, timeout=60)
        times.append(time.perf_counter() - start)
        rcs.append(proc.returncode)
    return {
        "command": " ".join(cmd),
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "runs": times,
        "exit_codes": sorted(set(rcs)),
    }


# -- child side: one way, timed, in a process of its own -------------------------------------


def child_loop(folder: Path, api_base: str, warm: Path | None) -> dict[str, Any]:
    import instructor
    import litellm

    from summarizer.batch.inputs import read_article
    from summarizer.brief import net
    from summarizer.brief.draft import BriefDraft, Plan
    from summarizer.brief.prompts import render_messages
    from summarizer.brief.sentences import split

    litellm.suppress_debug_info = True
    client = instructor.from_litellm(litellm.completion, mode=instructor.Mode.JSON_SCHEMA)

    def one(path: Path) -> None:
        article = read_article(path)
        sentences = split(article.text)
        plan = Plan.of(sentences, net.find(sentences), set())
        client.chat.completions.create(
            model=MODEL,
            api_base=api_base,
            api_key=API_KEY,
            messages=render_messages(article, plan),
            response_model=BriefDraft,
            context={"plan": plan},
            max_retries=0,
            temperature=0,
            max_tokens=1536,
        )

    if warm is not None:
        for path in sorted(warm.glob("*.txt")):
            one(path)
    paths = sorted(folder.glob("*.txt"))
    baseline = peak_rss_mb()
    ok = failed = 0
    errors: list[str] = []
    start, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        try:
            one(path)
            ok += 1
        except Exception as exc:  # count it, keep timing the rest
            failed += 1
            if len(errors) < 3:
                errors.append(f"{path.name}: {type(exc).__name__}: {str(exc)[:200]}")
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"n": len(paths), "wall_s": wall, "cpu_s": cpu, "briefed": ok, "failed": failed, "errors": errors,
            "exit_code": 0 if not failed else 1, "baseline_peak_rss_mb": baseline}


def child_run(folder: Path, out: Path, api_base: str, concurrency: int, warm: Path | None) -> dict[str, Any]:
    # Everything the runner imports lazily, so the timed part measures work, not imports.
    import summarizer.backends.client  # noqa: F401
    import summarizer.brief.pipeline  # noqa: F401
    import summarizer.batch.progress  # noqa: F401
    from summarizer.backends._litellm import litellm
    from summarizer.batch import RunOptions, run_sync
    from summarizer.settings import Settings

    litellm()
    settings = Settings(model=MODEL, api_base=api_base, api_key=API_KEY)

    def options(paths: Path, target: Path) -> RunOptions:
        return RunOptions(paths=[str(paths)], out=target, concurrency=concurrency, quiet=True)

    if warm is not None:
        run_sync(options(warm, out.with_name(out.name + "-warmup")), settings)
    n = sum(1 for _ in folder.glob("*.txt"))
    baseline = peak_rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    code = run_sync(options(folder, out), settings)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu

    def lines(name: str) -> list[str]:
        path = out / name
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.exists() else []

    briefs, errors = lines("briefs.jsonl"), lines("errors.jsonl")
    return {"n": n, "wall_s": wall, "cpu_s": cpu, "exit_code": code, "briefed": len(briefs), "failed": len(errors),
            "errors": [json.loads(e).get("reason") for e in errors[:3]], "concurrency": concurrency,
            "baseline_peak_rss_mb": baseline}


def child_main(args: argparse.Namespace) -> int:
    warm = Path(args.warm) if args.warm else None
    if args.child == "loop":
        result = child_loop(Path(args.folder), args.api_base, warm)
    else:
        result = child_run(Path(args.folder), Path(args.out), args.api_base, args.concurrency, warm)
    result["peak_rss_mb"] = peak_rss_mb()
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


# -- parent side ------------------------------------------------------------------------------


def fmt(value: Any, spec: str = ".2f", unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:{spec}}{unit}"
    return f"{value}{unit}"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=200, help="articles per throughput pass (default 200)")
    p.add_argument("--latency", type=float, default=0.3, help="stub latency in seconds for the throughput passes (default 0.3)")
    p.add_argument("--concurrency", type=int, default=16, help="the runner's high-concurrency pass (default 16)")
    p.add_argument("--big", type=int, default=10_000, help="files in the memory run (default 10000)")
    p.add_argument("--mid", type=int, default=1_000, help="files in the comparison memory run (default 1000)")
    p.add_argument("--big-latency", type=float, default=0.0, help="stub latency for the memory runs (default 0)")
    p.add_argument("--big-concurrency", type=int, default=16, help="runner concurrency for the memory runs (default 16)")
    p.add_argument("--skip-big", action="store_true", help="skip the memory runs")
    p.add_argument("--help-runs", type=int, default=5, help="timed runs of `summarizer --help` (default 5; 0 skips)")
    p.add_argument("--no-warmup", action="store_true", help="no untimed warm-up article before each timed pass")
    p.add_argument("--corpus", type=Path, default=None, help=f"a JSONL corpus with a text field (default {CORPUS})")
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the figures as JSON here")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (articles and outputs)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds one child pass may take (default 3600)")
    p.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    # Internal: one pass, in a child process.
    p.add_argument("--child", choices=["loop", "run"], help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--api-base", help=argparse.SUPPRESS)
    p.add_argument("--warm", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not args.child and (args.n < 1 or args.latency < 0 or args.concurrency < 1):
        p.error("--n and --concurrency must be positive, --latency not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)

    from summarizer.testing.stub_server import StubConfig, stub_server

    corpus, texts = load_corpus(args.corpus)
    tmp = Path(tempfile.mkdtemp(prefix="summarizer-bench-"))
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    report: dict[str, Any] = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                   if k not in {"child", "folder", "out", "api_base", "warm"}},
        "environment": {
            "python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
            "loadavg_before": load_before, "corpus": str(corpus), "corpus_articles": len(texts),
        },
        "ways": {}, "memory": {}, "startup": {}, "targets": {},
    }
    print(f"corpus: {corpus} ({len(texts)} articles); temp: {tmp}")
    print(f"python {report['environment']['python']}, {os.cpu_count()} CPUs, load average {load_before}")
    failures: list[str] = []
    try:
        folder = write_articles(tmp / "articles", texts, args.n)
        warm = None if args.no_warmup else write_articles(tmp / "warm", texts, 1, prefix="Warm-up. ")
        warm_args = ["--warm", str(warm)] if warm else []
        warm_requests = 0 if warm is None else 1

        # -- throughput and overhead ---------------------------------------------------------
        ways = [("plain loop (instructor)", "loop", 1), ("summarizer run, concurrency 1", "run", 1),
                (f"summarizer run, concurrency {args.concurrency}", "run", args.concurrency)]
        print(f"\nthroughput: {args.n} articles, stub latency {args.latency * 1000:.0f} ms")
        with stub_server(StubConfig(latency=args.latency)) as stub, trimmed(stub):
            for i, (label, mode, conc) in enumerate(ways):
                before = stub.state.requests
                child = ["--child", mode, "--folder", str(folder), "--api-base", stub.api_base, *warm_args]
                if mode == "run":
                    child += ["--out", str(tmp / f"out-{i}-c{conc}"), "--concurrency", str(conc)]
                print(f"  {label} ...", flush=True)
                result = run_child(child, args.timeout)
                result["stub_requests"] = stub.state.requests - before - warm_requests
                ideal = args.n * args.latency / conc
                wall = result.get("wall_s")
                result.update(label=label, mode=mode, concurrency=conc, ideal_wall_s=ideal,
                              articles_per_s=(args.n / wall) if wall else None,
                              of_ideal=(ideal / wall) if wall and ideal else None)
                report["ways"][f"{mode}-c{conc}"] = result
                if result.get("exit_code") != 0:
                    failures.append(f"{label}: {result.get('error') or result.get('errors') or 'exit ' + str(result.get('exit_code'))}")

        loop, c1 = report["ways"].get("loop-c1", {}), report["ways"].get("run-c1", {})
        overhead_ms = None
        if loop.get("wall_s") and c1.get("wall_s"):
            overhead_ms = (c1["wall_s"] - loop["wall_s"]) / args.n * 1000
        report["overhead_ms_per_article"] = overhead_ms
        # CPU time is steadier than wall time on a shared machine: the same comparison in CPU.
        cpu_overhead_ms = None
        if loop.get("cpu_s") is not None and c1.get("cpu_s") is not None:
            cpu_overhead_ms = (c1["cpu_s"] - loop["cpu_s"]) / args.n * 1000
        report["cpu_overhead_ms_per_article"] = cpu_overhead_ms

        # -- memory as inputs grow -----------------------------------------------------------
        if not args.skip_big:
            sizes = sorted({s for s in (args.mid, args.big) if s > 0})
            print(f"\nmemory: {', '.join(str(s) for s in sizes)} files, concurrency {args.big_concurrency}, "
                  f"stub latency {args.big_latency * 1000:.0f} ms")
            with stub_server(StubConfig(latency=args.big_latency)) as stub, trimmed(stub):
                for size in sizes:
                    files = write_articles(tmp / f"mem-{size}", texts, size)
                    before = stub.state.requests
                    print(f"  {size} files ...", flush=True)
                    result = run_child(["--child", "run", "--folder", str(files), "--out", str(tmp / f"mem-out-{size}"),
                                        "--api-base", stub.api_base, "--concurrency", str(args.big_concurrency)], args.timeout)
                    result["stub_requests"] = stub.state.requests - before
                    wall = result.get("wall_s")
                    result["articles_per_s"] = size / wall if wall else None
                    report["memory"][str(size)] = result
                    if result.get("exit_code") != 0:
                        failures.append(f"memory run {size}: {result.get('error') or result.get('errors') or 'exit ' + str(result.get('exit_code'))}")
                    shutil.rmtree(files, ignore_errors=True)
                    shutil.rmtree(tmp / f"mem-out-{size}", ignore_errors=True)

        # -- start-up --------------------------------------------------------------------------
        if args.help_runs > 0:
            print(f"\nstart-up: `summarizer --help`, median of {args.help_runs}", flush=True)
            commands = {"python -m summarizer --help": [sys.executable, "-m", "summarizer", "--help"]}
            script = Path(sys.executable).parent / "summarizer"
            if script.is_file() and os.access(script, os.X_OK):
                commands["summarizer --help (console script)"] = [str(script), "--help"]
            for name, cmd in commands.items():
                timed = time_command(cmd, args.help_runs)
                if timed is not None:
                    report["startup"][name] = timed
                    if timed["exit_codes"] != [0]:
                        failures.append(f"{name}: exit {timed['exit_codes']}")
    finally:
        if args.keep:
            print(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    report["environment"]["loadavg_after"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    report["parent_peak_rss_mb"] = peak_rss_mb()

    # -- tables ----------------------------------------------------------------------------------
    print(f"\n== throughput: {args.n} articles, stub latency {args.latency * 1000:.0f} ms ==")
    rows = []
    for r in report["ways"].values():
        rows.append([r["label"], fmt(r.get("wall_s"), ".2f", " s"), fmt(r.get("articles_per_s"), ".1f"),
                     fmt(r.get("ideal_wall_s"), ".2f", " s"), fmt(None if r.get("of_ideal") is None else r["of_ideal"] * 100, ".1f", " %"),
                     fmt(r.get("baseline_peak_rss_mb"), ".0f", " MB"), fmt(r.get("peak_rss_mb"), ".0f", " MB"),
                     f"{r.get('briefed', '-')}/{r.get('n', '-')}", fmt(r.get("stub_requests")), fmt(r.get("exit_code"))])
    print_table(["way", "wall", "art/s", "ideal wall", "of ideal", "RSS before", "peak RSS", "briefed", "requests", "exit"], rows)
    print("(RSS before: the child's peak after imports and warm-up, before the timed pass)")
    print(f"runner overhead vs plain loop (concurrency 1): {fmt(overhead_ms, '+.2f', ' ms/article')}")
    for r in report["ways"].values():
        if r.get("cpu_s") is not None:
            print(f"  CPU in the child, {r['label']}: {r['cpu_s'] / args.n * 1000:.1f} ms/article")
    print(f"runner CPU overhead vs plain loop (concurrency 1): "
          f"{fmt(report.get('cpu_overhead_ms_per_article'), '+.2f', ' ms/article')}")

    if report["memory"]:
        print(f"\n== memory: concurrency {args.big_concurrency}, stub latency {args.big_latency * 1000:.0f} ms ==")
        rows = [[f"{size} files", fmt(r.get("baseline_peak_rss_mb"), ".0f", " MB"), fmt(r.get("peak_rss_mb"), ".0f", " MB"),
                 fmt(r.get("wall_s"), ".2f", " s"),
                 fmt(r.get("articles_per_s"), ".1f"), f"{r.get('briefed', '-')}/{r.get('n', '-')}", fmt(r.get("exit_code"))]
                for size, r in report["memory"].items()]
        print_table(["run", "RSS before", "peak RSS", "wall", "art/s", "briefed", "exit"], rows)

    if report["startup"]:
        print("\n== start-up ==")
        rows = [[name, fmt(t["median_s"], ".3f", " s"), fmt(t["min_s"], ".3f", " s"), fmt(t["max_s"], ".3f", " s")]
                for name, t in report["startup"].items()]
        print_table(["command", "median", "min", "max"], rows)

    # -- targets ---------------------------------------------------------------------------------
    targets = report["targets"]
    high = report["ways"].get(f"run-c{args.concurrency}", {})
    note = "" if args.latency == 0.3 and args.concurrency == 16 else f"(measured at {args.latency * 1000:.0f} ms, concurrency {args.concurrency}, n={args.n})"
    if high.get("of_ideal") is not None:
        targets["throughput_c16_ge_90pct_of_ideal"] = {"value": high["of_ideal"], "met": high["of_ideal"] >= TARGET_THROUGHPUT, "note": note.strip()}
    if overhead_ms is not None:
        targets["overhead_le_5ms_per_article"] = {"value": overhead_ms, "met": overhead_ms <= TARGET_OVERHEAD_MS}
    for name, t in report["startup"].items():
        targets[f"help_under_0.3s: {name}"] = {"value": t["median_s"], "met": t["median_s"] < TARGET_HELP_S}
    big = report["memory"].get(str(args.big), {})
    if big.get("peak_rss_mb") is not None:
        targets["big_run_peak_under_300MB"] = {"value": big["peak_rss_mb"], "met": big["peak_rss_mb"] < TARGET_BIG_MB,
                                               "note": "" if args.big == 10_000 else f"measured with {args.big} files"}
    print("\n== targets ==")
    labels = {
        "throughput_c16_ge_90pct_of_ideal": lambda v: f">= 90 % of ideal throughput (concurrency 16, 300 ms): {v * 100:.1f} %",
        "overhead_le_5ms_per_article": lambda v: f"runner overhead <= 5 ms/article: {v:+.2f} ms",
        "big_run_peak_under_300MB": lambda v: f"{args.big}-file run peak RSS < 300 MB: {v:.0f} MB",
    }
    for key, t in targets.items():
        text = labels[key](t["value"]) if key in labels else f"`{key.split(': ', 1)[1]}` < 0.3 s: {t['value']:.3f} s"
        extra = f"  {t['note']}" if t.get("note") else ""
        print(f"  [{'met' if t['met'] else 'MISSED'}] {text}{extra}")
    print(f"\nload average before {load_before}, after {report['environment']['loadavg_after']}; "
          f"this process's peak RSS {report['parent_peak_rss_mb']:.0f} MB (stub included)")
    if failures:
        report["failures"] = failures
        print("\nFAILED:\n  " + "\n  ".join(failures))

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    if failures:
        return 1
    if args.check and not all(t["met"] for t in targets.values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
