"""`summarizer run` at scale: the asyncio executor against the Ray executor, on this machine.

N distinct articles (the dev corpus over and over) are briefed against the stub model server
(300 ms a request by default), each executor in a fresh child process so its figures are its own:

- throughput: articles per second while briefing (from the executor being up to it stopping),
  and end to end (Ray's start and stop included);
- CPU seconds per article over the child's whole process tree (the driver; for Ray also the
  actor processes and Ray's own: gcs_server, raylet, idle workers), sampled from /proc every
  0.2 s; the stub server runs in its own process and is reported apart;
- peak RSS of the driver (``ru_maxrss``), and of the whole tree at its largest.

    python benchmarks/scale.py                       # 2,000 articles, 300 ms, both executors
    python benchmarks/scale.py --n 200 --runs ray    # a quick look

Then, if ``benchmarks/scale_batch.py`` exists, its provider batch benchmarks run too:
``batch_api_benchmark`` (50,000 requests split into files) and ``batch_benchmark`` (2,000
articles end to end); ``--no-batch`` skips them. Linux only (/proc). Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# -- the child: one run, its own timings ---------------------------------------------------------


def child(executor: str, src: Path, out: Path, api_base: str, concurrency: int) -> None:
    """Run one executor; its figures go to OUT.json (stdout is not ours: libraries write there)."""
    from summarizer.batch import RunOptions, run_sync, runner
    from summarizer.settings import Settings

    marks: dict[str, float] = {}
    real = runner.open_executor

    @asynccontextmanager
    async def timed(*args: Any, **kwargs: Any) -> Any:
        async with real(*args, **kwargs) as ex:
            marks["up"] = time.perf_counter()
            marks["workers"] = ex.workers
            yield ex
            marks["done"] = time.perf_counter()

    runner.open_executor = timed  # type: ignore[assignment]
    settings = Settings(model="openai/stub", api_base=api_base, api_key="stub-key-0000", timeout=30)
    options = RunOptions(paths=[str(src)], out=out, quiet=True, executor=executor, concurrency=concurrency)
    started = time.perf_counter()
    code = run_sync(options, settings)
    ended = time.perf_counter()
    figures = {
        "code": code,
        "workers": marks["workers"],
        "wall": ended - started,
        "start": marks["up"] - started,
        "briefing": marks["done"] - marks["up"],
        "driver_cpu": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        "driver_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    out.with_suffix(".json").write_text(json.dumps(figures))


# -- the parent: articles, the stub, the children, /proc -----------------------------------------


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, CPU seconds, RSS bytes) of a live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, int(fields[21]) * PAGE


def _kind(pid: int, root: int) -> str:
    if pid == root:
        return "driver"
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "ray"
    return "workers" if cmdline.startswith(b"ray::BriefWorker") else "ray"


class TreeSampler(threading.Thread):
    """The last CPU figure seen of every process under ``root`` (a process that exits between
    samples loses at most its last 0.2 s), and the tree's largest total RSS."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.cpu: dict[int, tuple[str, float]] = {}
        self.peak_rss = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.sample()
            self.stopped.wait(0.2)

    def sample(self) -> None:
        stats = {int(p): s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(int(p)))}
        tree, grew = {self.root}, True
        while grew:
            more = {pid for pid, (ppid, _, _) in stats.items() if ppid in tree} - tree
            tree |= more
            grew = bool(more)
        rss = 0
        for pid in tree & stats.keys():
            _, cpu, size = stats[pid]
            # An idle Ray worker (ray::IDLE) may become an actor, and an actor's title changes as it
            # is stopped: a process seen once as a BriefWorker counts as one.
            seen = self.cpu.get(pid, ("", 0.0))[0]
            kind = seen if seen == "workers" else _kind(pid, self.root)
            self.cpu[pid] = (kind, cpu)
            rss += size
        self.peak_rss = max(self.peak_rss, rss)

    def by_kind(self) -> dict[str, float]:
        totals: dict[str, float] = {"driver": 0.0, "workers": 0.0, "ray": 0.0}
        for kind, cpu in self.cpu.values():
            totals[kind] += cpu
        return totals


def process_cpu(pid: int) -> float:
    stat = _stat(pid)
    return stat[1] if stat else 0.0


def measure(executor: str, src: Path, work: Path, api_base: str, concurrency: int, n: int) -> dict[str, Any]:
    out = work / f"out-{executor}-{concurrency}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, __file__, "--child", executor, "--src", str(src), "--out", str(out)]
    cmd += ["--api-base", api_base, "--concurrency", str(concurrency)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.stopped.set()
    sampler.join()
    if proc.returncode != 0 or not out.with_suffix(".json").is_file():
        raise SystemExit(f"the {executor} run failed ({proc.returncode}):\n{stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(out.with_suffix(".json").read_text())
    briefs = sum(1 for x in (out / "briefs.jsonl").read_text().splitlines() if x.strip())
    if briefs != n or figures["code"] != 0:
        raise SystemExit(f"the {executor} run briefed {briefs} of {n} (exit {figures['code']})")
    cpu = sampler.by_kind()
    figures.update(
        executor=executor,
        concurrency=concurrency,
        cpu=cpu,
        cpu_per_article_ms={k: 1000 * v / n for k, v in cpu.items()},
        tree_peak_rss_mb=sampler.peak_rss / 2**20,
    )
    shutil.rmtree(out, ignore_errors=True)
    return figures


def report(runs: list[dict[str, Any]], n: int, latency: float, stub_cpu: dict[str, float]) -> None:
    print(f"\n{n:,} articles, stub latency {latency * 1000:.0f} ms, {os.cpu_count()} cores")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)\n")
    head = (
        f"{'executor':<16}{'in flight':>10}{'art/s':>8}{'art/s e2e':>10}{'start s':>9}"
        f"{'CPU ms/article: driver':>24}{'workers':>9}{'ray':>7}{'total':>7}"
        f"{'driver peak RSS':>17}{'tree peak RSS':>15}"
    )
    print(head)
    for r in runs:
        per = r["cpu_per_article_ms"]
        inflight = r["concurrency"] * r["workers"]
        print(
            f"{r['executor']:<16}{inflight:>10}{n / r['briefing']:>8.1f}{n / r['wall']:>10.1f}"
            f"{r['start']:>9.1f}"
            f"{per['driver']:>24.1f}{per['workers']:>9.1f}{per['ray']:>7.1f}{sum(per.values()):>7.1f}"
            f"{r['driver_peak_rss_mb']:>14.0f} MB{r['tree_peak_rss_mb']:>12.0f} MB"
        )
    for name, cpu in stub_cpu.items():
        print(f"stub server CPU during {name}: {1000 * cpu / n:.1f} ms/article (not counted above)")


def write_articles(folder: Path, n: int) -> None:
    spec = importlib.util.spec_from_file_location("fault_scale", ROOT / "benchmarks" / "fault_scale.py")
    assert spec and spec.loader
    fault_scale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fault_scale)
    _, texts = fault_scale.corpus_texts()
    fault_scale.write_articles(folder, n, texts)


def batch(requests: int, articles: int) -> None:
    """The provider batch benchmarks, where they exist (``benchmarks/scale_batch.py``): the batch
    machinery alone at ``requests`` requests (split into files), then ``articles`` end to end."""
    path = ROOT / "benchmarks" / "scale_batch.py"
    if not path.is_file():
        print("\n(benchmarks/scale_batch.py not found: no provider batch figures)")
        return
    spec = importlib.util.spec_from_file_location("scale_batch", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        print(f"\n(benchmarks/scale_batch.py does not import: {exc})")
        return
    runs = [("batch_api_benchmark", requests, "requests, the batch machinery alone")]
    runs.append(("batch_benchmark", articles, "articles end to end"))
    for name, n, what in runs:
        if not n or not callable(function := getattr(module, name, None)):
            continue
        print(f"\n-- provider batch API: {n:,} {what} (benchmarks/scale_batch.py {name}) --", flush=True)
        result = function(n)
        print(result if isinstance(result, str) else json.dumps(result, indent=2, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="articles (default 2,000)")
    parser.add_argument("--latency", type=float, default=0.3, help="stub seconds per request")
    parser.add_argument(
        "--runs",
        default="asyncio:8,asyncio:16,ray:8",
        help="executor:in-flight-per-worker, comma-separated (Ray has one worker per CPU)",
    )
    parser.add_argument("--no-batch", action="store_true", help="skip the provider batch benchmarks")
    parser.add_argument("--batch-requests", type=int, default=50_000, help="batch machinery alone (0: skip)")
    parser.add_argument("--batch-articles", type=int, default=2000, help="batch end to end (0: skip)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--api-base", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=8, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.src, args.out, args.api_base, args.concurrency)
        return 0

    work = Path(tempfile.mkdtemp(prefix="scale."))
    src = work / "in"
    write_articles(src, args.n)
    stub_cmd = [sys.executable, "-m", "summarizer.testing.stub_server", "--latency", str(args.latency)]
    stub = subprocess.Popen(stub_cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert stub.stdout is not None
        api_base = stub.stdout.readline().split()[-1]
        runs, stub_cpu = [], {}
        load = os.getloadavg()
        for spec in args.runs.split(","):
            executor, _, inflight = spec.partition(":")
            before = process_cpu(stub.pid)
            print(f"running {executor} with {inflight or 8} in flight per worker ...", flush=True)
            figures = measure(executor, src, work, api_base, int(inflight or 8), args.n)
            stub_cpu[spec] = process_cpu(stub.pid) - before
            runs.append(figures)
        print(f"\nload average when the runs began: {' '.join(f'{x:.2f}' for x in load)}")
        report(runs, args.n, args.latency, stub_cpu)
        print("\n" + json.dumps(runs, default=str))
    finally:
        stub.terminate()
        stub.wait()
        shutil.rmtree(work, ignore_errors=True)
    if not args.no_batch:
        batch(args.batch_requests, args.batch_articles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
