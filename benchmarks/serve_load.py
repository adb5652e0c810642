"""Load figures for ``summarizer serve`` against a stub model, beside ``summarizer run`` on the same stub.

Run from the repository root (``make serve-load`` does the same)::

    .venv/bin/python benchmarks/serve_load.py                     # the issue's figures
    .venv/bin/python benchmarks/serve_load.py --requests 200 --job 200 --json figures.json   # smaller

Nothing talks to a real model: the stub (``summarizer.testing.stub_server``, in this process)
answers every request after ``--latency`` (0.3 s) with a grounded brief of the article sent. The
services are real ``summarizer serve`` processes on a fresh SQLite store each; this process is
the load generator (httpx, asyncio). Articles come from ``../shared/corpus/dev.jsonl`` (or the
test fixture corpus), each opening with a distinct sentence ("This is load-test report N.") so
nothing is a cache hit and the stub's log tells which article each request was for.

1. **summarizer run** (the baseline): ``--job`` articles as .txt files, concurrency 16, in a child
   process (``run_benchmark.py --child run``: imports and one warm-up article untimed).
2. **requests**: ``--requests`` POST /v1/briefs from ``--clients`` (64) concurrent clients, each
   sending its next article as soon as the last answer came, to a service with as many model
   slots as clients (so no request waits in the service's queue). Added latency = a request's
   wall time minus the stub's latency; at 64 clients the CPU is the bottleneck, so it is mostly
   time waiting for it. A second, light pass (``--light-clients`` 4, ``--light-requests`` 200)
   on the same service gives the added latency without that line.
3. **job**: one POST /v1/jobs of ``--job`` articles (JSONL) to a service with 16 model slots, like
   the run. Half-way, the service is killed with SIGKILL and started again on the same store;
   the job must still end with every article briefed exactly once. Throughput is measured over
   the part before the kill (same work as the run), and over the whole job including the restart.
4. **overload**: a service with ``--overload-slots`` (4) slots and ``--queue-limit`` (16) waiting
   places gets 4 x queue-limit requests at once: the excess must get 429 within 50 ms, and every
   accepted request must complete.

Figures depend on the machine and what else runs on it: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_benchmark  # noqa: E402 - the run baseline's child process and corpus loader

MODEL = "openai/stub"
ITEM = re.compile(r"This is load-test report (\d+)\.")


def text_of(n: int, texts: list[str]) -> str:
    """Article number ``n``: a corpus text behind a sentence that names ``n``."""
    return f"This is load-test report {n}. {texts[n % len(texts)]}"


# -- the stub's request log, by article --------------------------------------------------------


@contextmanager
def counted(stub: Any, every: float = 0.5) -> Iterator[Counter[int]]:
    """Model requests per article (its "report N" sentence), without the stub hoarding request bodies."""
    counts: Counter[int] = Counter()
    stop = threading.Event()

    def drain() -> None:
        with stub.state.lock:
            bodies = list(stub.state.bodies)
            stub.state.bodies.clear()
            stub.state.auth_headers.clear()
        for body in bodies:
            for message in body.get("messages", []):
                found = ITEM.search(message.get("content") or "")
                if found and message.get("role") == "user":
                    counts[int(found.group(1))] += 1
                    break

    def loop() -> None:
        while not stop.wait(every):
            drain()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield counts
    finally:
        stop.set()
        thread.join()
        drain()


# -- a service process -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Service:
    def __init__(self, api_base: str, db: Path, log: Path, port: int | None = None, **settings: str):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUMMARIZER_")}
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "SUMMARIZER_MODEL": MODEL,
                "SUMMARIZER_API_BASE": api_base,
                "SUMMARIZER_API_KEY": "bench",
                "SUMMARIZER_DATABASE_URL": f"sqlite:///{db}",
                "SUMMARIZER_SERVER_PORT": str(self.port),
                "SUMMARIZER_SERVER_LOG_LEVEL": "WARNING",
                "SUMMARIZER_SERVER_LEASE_S": "5",
                "SUMMARIZER_SERVER_POLL_S": "0.2",
                **{f"SUMMARIZER_SERVER_{k.upper()}": v for k, v in settings.items()},
            }
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "summarizer", "serve"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log.open("ab"),
            start_new_session=True,
        )
        self.log = log

    def ready(self, timeout: float = 90) -> Service:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"service exited {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"service not ready after {timeout}s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


# -- phases --------------------------------------------------------------------------------------


def phase_run(tmp: Path, texts: list[str], n: int, api_base: str, concurrency: int) -> dict[str, Any]:
    folder, warm = tmp / "run-articles", tmp / "run-warm"
    folder.mkdir()
    warm.mkdir()
    for i in range(n):
        (folder / f"a{i:05d}.txt").write_text(text_of(900_000 + i, texts) + "\n", encoding="utf-8")
    (warm / "w.txt").write_text(text_of(999_999, texts) + "\n", encoding="utf-8")
    result = run_benchmark.run_child(
        [
            "--child",
            "run",
            "--folder",
            str(folder),
            "--out",
            str(tmp / "run-out"),
            "--api-base",
            api_base,
            "--concurrency",
            str(concurrency),
            "--warm",
            str(warm),
        ],
        timeout=3600,
    )
    if "wall_s" in result:
        result["per_s"] = result["n"] / result["wall_s"]
    return result


async def _requests(
    url: str, texts: list[str], n: int, clients: int, latency: float, first: int = 0
) -> dict[str, Any]:
    import httpx

    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(first, first + n):
        queue.put_nowait(i)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    cache: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as http:

        async def client() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                body = {"id": f"r{i}", "text": text_of(i, texts)}
                started = time.perf_counter()
                try:
                    response = await http.post("/v1/briefs", json=body)
                    statuses[response.status_code] += 1
                    cache[response.headers.get("x-summarizer-cache", "-")] += 1
                except httpx.HTTPError as exc:
                    statuses[-1] += 1
                    print(f"request {i}: {type(exc).__name__}: {exc}", file=sys.stderr)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - started
    added = [(x - latency) * 1000 for x in latencies]
    return {
        "n": n,
        "clients": clients,
        "wall_s": wall,
        "per_s": n / wall,
        "statuses": dict(statuses),
        "cache": dict(cache),
        "added_ms_p50": pct(added, 50),
        "added_ms_p90": pct(added, 90),
        "added_ms_p99": pct(added, 99),
        "added_ms_max": max(added),
        "added_ms_mean": statistics.mean(added),
    }


def phase_requests(
    tmp: Path, texts: list[str], args: argparse.Namespace, api_base: str, stub: Any
) -> dict[str, Any]:
    service = Service(
        api_base,
        tmp / "requests.db",
        tmp / "requests.log",
        concurrency=str(args.clients),
        queue_limit=str(args.clients),
    ).ready()
    try:
        with counted(stub) as counts:
            result = asyncio.run(_requests(service.url, texts, args.requests, args.clients, args.latency))
        # The same service under light load: the added latency without a CPU queue in front of it.
        light = asyncio.run(
            _requests(
                service.url, texts, args.light_requests, args.light_clients, args.latency, first=300_000
            )
        )
    finally:
        service.stop()
    result["model_requests"] = sum(v for k, v in counts.items() if k < args.requests)
    result["lost"] = args.requests - sum(v for k, v in result["statuses"].items() if k == 200)
    result["light"] = light
    return result


def phase_job(
    tmp: Path, texts: list[str], args: argparse.Namespace, api_base: str, stub: Any
) -> dict[str, Any]:
    import httpx

    n = args.job
    db = tmp / "job.db"
    service = Service(api_base, db, tmp / "job.log", concurrency=str(args.concurrency)).ready()
    base = 100_000  # items 100000.. (the request phase used 0..)
    body = "\n".join(json.dumps({"id": f"j{i}", "text": text_of(base + i, texts)}) for i in range(n))
    report: dict[str, Any] = {"n": n, "concurrency": args.concurrency}
    with counted(stub) as counts:
        started = time.perf_counter()
        created = httpx.post(
            service.url + "/v1/jobs",
            content=body.encode(),
            timeout=120,
            headers={"content-type": "application/x-ndjson"},
        )
        created.raise_for_status()
        path = created.headers["location"]
        report["submit_s"] = time.perf_counter() - started
        kill_at = n // 2 if not args.no_kill else n + 1
        while True:
            status = httpx.get(service.url + path, timeout=30).json()
            if status["state"] == "done" or status["finished"] >= kill_at:
                break
            time.sleep(0.2)
        before = time.perf_counter() - started
        report["before_kill"] = {
            "finished": status["finished"],
            "wall_s": before,
            "per_s": status["finished"] / before,
        }
        if not args.no_kill:
            service.stop(signal.SIGKILL)
            killed_at = time.perf_counter()
            service = Service(
                api_base, db, tmp / "job.log", port=service.port, concurrency=str(args.concurrency)
            ).ready()
            report["restart_s"] = time.perf_counter() - killed_at
        while (status := httpx.get(service.url + path, timeout=30).json())["state"] != "done":
            time.sleep(0.2)
        report["wall_s"] = time.perf_counter() - started
        report["per_s"] = n / report["wall_s"]
        report["counts"] = status["counts"]
        with httpx.stream("GET", service.url + path + "/briefs", timeout=120) as stream:
            ids = [json.loads(line)["id"] for line in stream.iter_lines() if line.strip()]
        events = httpx.get(service.url + path + "/events", timeout=120).text
        numbers = [int(line[4:]) for line in events.splitlines() if line.startswith("id: ")]
    service.stop()
    report["briefs"] = len(ids)
    report["distinct_briefs"] = len(set(ids))
    report["lost"] = n - len(set(ids))
    report["finish_numbers_exact"] = numbers == list(range(1, n + 1))
    job_counts = {k - base: v for k, v in counts.items() if base <= k < base + n}
    report["model_requests"] = sum(job_counts.values())
    report["articles_sent_twice"] = sum(1 for v in job_counts.values() if v == 2)
    report["articles_sent_more"] = sum(1 for v in job_counts.values() if v > 2)
    report["articles_never_sent"] = n - len(job_counts)
    return report


async def _overload(port: int, texts: list[str], burst: int) -> list[tuple[int, float]]:
    """``burst`` requests written at once on pre-opened connections (raw HTTP/1.1, so the
    client's own overhead is not in the figure): (status, seconds from write to response)."""
    requests = []
    for i in range(burst):
        body = json.dumps({"text": text_of(200_000 + i, texts)}).encode()
        head = (
            f"POST /v1/briefs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        requests.append(head + body)
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(burst)]

    async def one(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
    ) -> tuple[int, float]:
        writer.write(data)
        started = time.perf_counter()
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        elapsed = time.perf_counter() - started
        writer.close()
        return status, elapsed

    return await asyncio.gather(*(one(r, w, d) for (r, w), d in zip(connections, requests, strict=True)))


def phase_overload(tmp: Path, texts: list[str], args: argparse.Namespace, api_base: str) -> dict[str, Any]:
    service = Service(
        api_base,
        tmp / "overload.db",
        tmp / "overload.log",
        concurrency=str(args.overload_slots),
        queue_limit=str(args.queue_limit),
    ).ready()
    burst = 4 * args.queue_limit
    try:
        results = asyncio.run(_overload(service.port, texts, burst))
    finally:
        service.stop()
    rejected = [t * 1000 for code, t in results if code == 429]
    accepted = [t for code, t in results if code == 200]
    return {
        "slots": args.overload_slots,
        "queue_limit": args.queue_limit,
        "burst": burst,
        "accepted": len(accepted),
        "rejected": len(rejected),
        "other": len(results) - len(accepted) - len(rejected),
        "reject_ms_p50": pct(rejected, 50) if rejected else None,
        "reject_ms_max": max(rejected) if rejected else None,
        "accepted_max_s": max(accepted) if accepted else None,
    }


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--latency", type=float, default=0.3, help="stub latency in seconds (default 0.3)")
    p.add_argument("--requests", type=int, default=2000, help="POST /v1/briefs requests (default 2000)")
    p.add_argument("--clients", type=int, default=64, help="concurrent clients (default 64)")
    p.add_argument(
        "--light-requests", type=int, default=200, help="requests of the light-load pass (default 200)"
    )
    p.add_argument("--light-clients", type=int, default=4, help="clients of the light-load pass (default 4)")
    p.add_argument(
        "--job", type=int, default=2000, help="articles in the job, and in the run baseline (default 2000)"
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="model slots for the job, concurrency of the run (default 16)",
    )
    p.add_argument("--overload-slots", type=int, default=4)
    p.add_argument("--queue-limit", type=int, default=16)
    p.add_argument("--no-kill", action="store_true", help="do not kill the service in the middle of the job")
    p.add_argument("--skip", action="append", default=[], choices=["run", "requests", "job", "overload"])
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = p.parse_args(argv)

    from summarizer.testing.stub_server import StubConfig, stub_server

    corpus, texts = run_benchmark.load_corpus(None)
    tmp = Path(tempfile.mkdtemp(prefix="summarizer-serve-load-"))
    report: dict[str, Any] = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "corpus": str(corpus),
        "load_before": os.getloadavg(),
    }
    with stub_server(StubConfig(latency=args.latency)) as stub:
        if "run" not in args.skip:
            print(f"== summarizer run: {args.job} articles, concurrency {args.concurrency}", flush=True)
            report["run"] = phase_run(tmp, texts, args.job, stub.api_base, args.concurrency)
            print(json.dumps(report["run"]), flush=True)
        if "requests" not in args.skip:
            print(f"== requests: {args.requests} from {args.clients} clients", flush=True)
            report["requests"] = phase_requests(tmp, texts, args, stub.api_base, stub)
            print(json.dumps(report["requests"]), flush=True)
        if "job" not in args.skip:
            print(
                f"== job: {args.job} articles" + ("" if args.no_kill else ", kill -9 half-way, restart"),
                flush=True,
            )
            report["job"] = phase_job(tmp, texts, args, stub.api_base, stub)
            print(json.dumps(report["job"]), flush=True)
        if "overload" not in args.skip:
            slots = f"{args.overload_slots} slots + queue {args.queue_limit}"
            burst = f"{4 * args.queue_limit} requests at once, {slots}"
            print(f"== overload: {burst}", flush=True)
            report["overload"] = phase_overload(tmp, texts, args, stub.api_base)
            print(json.dumps(report["overload"]), flush=True)
    report["load_after"] = os.getloadavg()
    summarise(report, args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def summarise(report: dict[str, Any], args: argparse.Namespace) -> None:
    def line(label: str, *parts: str) -> None:
        print(f"{label:<20}" + "".join(parts))

    model_ms = args.latency * 1000
    load = f"load average before {report['load_before'][0]:.2f}, after {report['load_after'][0]:.2f}"
    print(f"\n== figures (stub latency {model_ms:.0f} ms; {load})")
    run, req, job, over = (report.get(k) for k in ("run", "requests", "job", "overload"))
    if run and "per_s" in run:
        line(
            "summarizer run",
            f"{run['n']} articles, c={run['concurrency']}: {run['wall_s']:.1f} s, ",
            f"{run['per_s']:.1f} articles/s, {run['briefed']} briefed, {run['failed']} failed",
        )
    if req:
        line(
            "requests",
            f"{req['n']} from {req['clients']} clients: {req['wall_s']:.1f} s, {req['per_s']:.1f}/s, ",
            f"statuses {req['statuses']}, lost {req['lost']}, model requests {req['model_requests']}",
        )
        line(
            "  added latency",
            f"p50 {req['added_ms_p50']:.0f} ms, p90 {req['added_ms_p90']:.0f} ms, ",
            f"p99 {req['added_ms_p99']:.0f} ms, max {req['added_ms_max']:.0f} ms ",
            f"over the model's {model_ms:.0f} ms (CPU-bound: mostly waiting in line)",
        )
        light = req["light"]
        line(
            f"  {light['clients']} clients",
            f"{light['n']} requests, {light['per_s']:.1f}/s, statuses {light['statuses']}: added latency ",
            f"p50 {light['added_ms_p50']:.0f} ms, p90 {light['added_ms_p90']:.0f} ms, ",
            f"p99 {light['added_ms_p99']:.0f} ms, max {light['added_ms_max']:.0f} ms",
        )
    if job:
        before = job["before_kill"]
        line(
            "job",
            f"{job['n']} articles, {job['concurrency']} slots: submitted in {job['submit_s']:.2f} s; ",
            f"{before['finished']} finished in {before['wall_s']:.1f} s ",
            f"({before['per_s']:.1f}/s) before the kill",
        )
        if "restart_s" in job:
            line(
                "  kill -9, restart",
                f"ready again in {job['restart_s']:.1f} s; ",
                f"whole job {job['wall_s']:.1f} s ({job['per_s']:.1f}/s)",
            )
        line(
            "  outcome",
            f"{job['counts']}; briefs {job['briefs']} ({job['distinct_briefs']} distinct), ",
            f"lost {job['lost']}, finish numbers 1..n once each: {job['finish_numbers_exact']}",
        )
        line(
            "  model requests",
            f"{job['model_requests']}: {job['articles_sent_twice']} articles sent twice ",
            f"(in flight at the kill), {job['articles_sent_more']} more often, ",
            f"{job['articles_never_sent']} never",
        )
        if run and "per_s" in run:
            share = before["per_s"] / run["per_s"] * 100
            line("  vs run", f"{share:.0f} % of summarizer run's throughput (before the kill)")
    if over:
        line(
            "overload",
            f"{over['burst']} at once -> {over['accepted']} accepted (all completed: {over['other'] == 0}), ",
            f"{over['rejected']} x 429 in p50 {over['reject_ms_p50']:.1f} ms, ",
            f"max {over['reject_ms_max']:.1f} ms; ",
            f"slowest accepted {over['accepted_max_s']:.2f} s",
        )


if __name__ == "__main__":
    raise SystemExit(main())
