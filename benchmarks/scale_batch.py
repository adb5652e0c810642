"""`summarizer run --batch` at scale: N articles through the batch stub's files and batches API.

Writes N distinct articles as one JSONL, starts the batch stub in its own process (so its work
never shares this process's CPU), runs ``summarizer run --batch`` and reports where the time
went: collecting the requests and writing the request files (split at OpenAI's 50,000 requests /
200 MB), uploading and creating the batches, the provider's processing (the stub's simulated
wait plus its own work: excluded from the client's time), downloading the results, and briefing
every article from them through the live path's validation and grounding. It checks that every
input ended as a brief exactly once; requests the batch could not answer (a summary repair after
a failed support check) go live, as in any ``--batch`` run, and are counted.

    python benchmarks/scale_batch.py --n 50000
    python benchmarks/scale_batch.py --n 2000 --processing 2

``batch_benchmark(n)`` returns the figures as a dict (``benchmarks/scale.py`` imports it).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer.batch import (  # noqa: E402
    RunOptions,
    provider_batch,
    run_sync,
)
from summarizer.batch.provider_batch import BatchOptions, ProviderBatches  # noqa: E402
from summarizer.settings import Settings  # noqa: E402

CORPORA = (Path("/work/shared/corpus/dev.jsonl"), ROOT / "tests" / "fixtures" / "corpus10.jsonl")


def _texts() -> list[str]:
    for path in CORPORA:
        if path.is_file():
            rows = [
                json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
            texts = [r["text"] for r in rows if r.get("text", "").strip()]
            if texts:
                return texts
    raise SystemExit("no corpus found")


def write_articles(path: Path, n: int) -> int:
    """N distinct articles in one JSONL: the corpus over and over, each round after the first
    prefixed "Wire item k." (a sentence the prompt keeps, so every request is distinct)."""
    texts = _texts()
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            k, t = divmod(i, len(texts))
            text = f"Wire item {k}. {texts[t]}" if k else texts[t]
            handle.write(json.dumps({"id": f"a{i:06d}", "text": text}) + "\n")
    return path.stat().st_size


class _Timer:
    """Seconds spent in each step, measured by wrapping ProviderBatches' methods."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}
        self.batches: ProviderBatches | None = None
        self.prepared_at = self.finished_at = 0.0
        self.undo: list[tuple[Any, str, Any]] = []  # (owner, name, original), put back by uninstall

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        self.undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def uninstall(self) -> None:
        for owner, name, original in reversed(self.undo):
            setattr(owner, name, original)
        self.undo.clear()

    def wrap(self, name: str, step: str) -> None:
        original: Callable[..., Any] = getattr(ProviderBatches, name)

        async def timed(this: ProviderBatches, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(this, *args, **kwargs)
            finally:
                self.steps[step] = self.steps.get(step, 0.0) + time.perf_counter() - started

        self._patch(ProviderBatches, name, timed)

    def install(self) -> None:
        self.wrap("write_round", "collect_and_write_s")
        self.wrap("submit", "upload_and_create_s")
        self.wrap("wait", "poll_wait_and_download_s")
        prepare, finished = provider_batch.prepare, ProviderBatches.finished

        async def timed_prepare(*args: Any, **kwargs: Any) -> ProviderBatches:
            batches = await prepare(*args, **kwargs)
            self.batches, self.prepared_at = batches, time.perf_counter()
            return batches

        def timed_finished(this: ProviderBatches) -> None:
            self.finished_at = time.perf_counter()
            finished(this)

        import summarizer.batch.runner as runner

        self._patch(provider_batch, "prepare", timed_prepare)
        self._patch(ProviderBatches, "finished", timed_finished)
        self._patch(runner, "prepare", timed_prepare)


def _start_stub(processing_s: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "summarizer.testing.batch_stub", "--processing", str(processing_s)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("batch stub at "):
        proc.kill()
        raise SystemExit(f"the batch stub did not start: {line!r}")
    return proc, line.split(" at ", 1)[1].strip()


def batch_benchmark(
    n: int = 50_000,
    processing_s: float = 5.0,
    poll_s: float = 1.0,
    max_requests: int = 50_000,
    max_bytes: int = 200_000_000,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """One ``summarizer run --batch`` of ``n`` articles against the batch stub; its figures.

    Its cost is the briefing pipeline's (~36 ms of CPU per article here, run once to collect and
    once to apply): the default 50,000 holds a core for about half an hour on this machine.
    ``batch_api_benchmark(50_000)`` measures the batch machinery alone in about a minute and a half.
    """
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    work = workdir or Path(tempfile.mkdtemp(prefix="scale_batch."))
    src, out = work / "articles.jsonl", work / "out"
    if out.exists():
        shutil.rmtree(out)
    work.mkdir(parents=True, exist_ok=True)
    input_bytes = write_articles(src, n)
    timer = _Timer()
    timer.install()
    stub, api_base = _start_stub(processing_s)
    try:
        settings = Settings(model="openai/stub", api_base=api_base, api_key="bench", timeout=60)
        batch = BatchOptions(poll_s=poll_s, max_requests=max_requests, max_bytes=max_bytes)
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        code = run_sync(RunOptions(paths=[str(src)], out=out, quiet=True, batch=batch), settings)
        wall = time.perf_counter() - started
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        timer.uninstall()
        stub.terminate()
        stub.wait()
    batches = timer.batches
    assert batches is not None
    briefs = sum(1 for _ in (out / "briefs.jsonl").open(encoding="utf-8"))
    errors = (
        (out / "errors.jsonl").read_text(encoding="utf-8").count("\n")
        if (out / "errors.jsonl").exists()
        else 0
    )
    records = batches.state.batches
    waited = batches.waited_s
    figures = {
        "articles": n,
        "input_mb": round(input_bytes / 1e6, 1),
        "exit_code": code,
        "briefs": briefs,
        "errors": errors,
        "requests": sum(r.requests for r in records),
        "request_files": len(records),
        "requests_per_file": [r.requests for r in records],
        "request_file_mb": [round(r.bytes / 1e6, 1) for r in records],
        "answers_used": batches.answers.used,
        "sent_live": batches.answers.live,
        "wall_s": round(wall, 1),
        "provider_wait_s": round(waited, 1),
        "wall_excluding_wait_s": round(wall - waited, 1),
        "client_cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 1),
        **{k: round(v, 1) for k, v in timer.steps.items()},
        "download_s": round(timer.steps.get("poll_wait_and_download_s", 0.0) - waited, 1),
        "apply_s": round(timer.finished_at - timer.prepared_at, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "articles_per_s_excluding_wait": round(n / max(wall - waited, 1e-9), 1),
    }
    figures.pop("poll_wait_and_download_s", None)
    if workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def batch_api_benchmark(
    n: int = 50_000,
    processing_s: float = 5.0,
    poll_s: float = 1.0,
    max_requests: int = 50_000,
    max_bytes: int = 200_000_000,
) -> dict[str, Any]:
    """The batch machinery alone at ``n`` requests: writing and splitting the request files,
    uploading, creating, polling, downloading, and answering every request from the output.

    The requests are the live path's own for the corpus articles (collected through the client
    seam), each made distinct by a sentence naming its number; the briefing pipeline's CPU per
    article (the same as a live run's) is what ``batch_benchmark`` adds on top.
    """
    import asyncio

    from summarizer.batch.provider_batch import (
        Answers,
        BatchState,
        collect,
        custom_id,
        provider_for,
        request_hash,
    )
    from summarizer.models import Article

    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    work = Path(tempfile.mkdtemp(prefix="scale_batch_api."))
    stub, api_base = _start_stub(processing_s)
    figures: dict[str, Any] = {"requests": n}

    async def go() -> None:
        settings = Settings(model="openai/stub", api_base=api_base, api_key="bench", timeout=120)

        async def articles() -> Any:
            for i, text in enumerate(_texts()):
                yield Article(text=text), f"{i:032x}"

        started = time.perf_counter()
        bodies = [line["body"] async for line in collect(articles(), settings, Answers(), "stub")]
        figures["collect_corpus_requests_s"] = round(time.perf_counter() - started, 1)

        def lines() -> Any:
            for i in range(n):
                body = json.loads(json.dumps(bodies[i % len(bodies)]))
                user = next(m for m in body["messages"] if m["role"] == "user")
                user["content"] = user["content"].replace("<article>\n", f"<article>\nWire item {i}.\n", 1)
                digest = request_hash("stub", {k: v for k, v in body.items() if k != "model"})
                cid = custom_id(f"{i:032x}", digest)
                yield {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body}

        async def stream() -> Any:
            for line in lines():
                yield line

        provider = provider_for("openai/stub", api_base, "bench")
        state = BatchState(run="bench", model="openai/stub", api_base=api_base)
        options = BatchOptions(poll_s=poll_s, max_requests=max_requests, max_bytes=max_bytes)
        batches = ProviderBatches(work, options, provider, state, settings, quiet=True)
        steps = [
            ("write_files_s", lambda: batches.write_round(0, stream())),
            ("upload_and_create_s", batches.submit),
            ("poll_wait_and_download_s", batches.wait),
        ]
        for name, step in steps:
            started = time.perf_counter()
            await step()
            figures[name] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        batches.load_answers()
        figures["index_answers_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        answered = 0
        for line in lines():
            body = {k: v for k, v in line["body"].items() if k != "model"}
            answered += batches.answers.response(request_hash("stub", body)) is not None
        figures["answer_lookup_s"] = round(time.perf_counter() - started, 1)
        records = batches.state.batches
        figures.update(
            answered=answered,
            request_files=len(records),
            requests_per_file=[r.requests for r in records],
            request_file_mb=[round(r.bytes / 1e6, 1) for r in records],
            provider_wait_s=round(batches.waited_s, 1),
            download_s=round(figures.pop("poll_wait_and_download_s") - batches.waited_s, 1),
        )

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    try:
        asyncio.run(go())
    finally:
        stub.terminate()
        stub.wait()
        shutil.rmtree(work, ignore_errors=True)
    wall = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    figures["wall_excluding_wait_s"] = round(wall - figures["provider_wait_s"], 1)
    figures["client_cpu_s"] = round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 1)
    figures["peak_rss_mb"] = round(cpu1.ru_maxrss / 1024)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--processing", type=float, default=5.0, help="the stub's simulated batch time (s)")
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--max-mb", type=float, default=200.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--api-only", action="store_true", help="the batch machinery alone (batch_api_benchmark), no briefing"
    )
    args = parser.parse_args(argv)
    if args.api_only:
        for name, value in batch_api_benchmark(
            args.n, args.processing, args.poll, args.max_requests, int(args.max_mb * 1e6)
        ).items():
            print(f"{name:32} {value}")
        return 0
    figures = batch_benchmark(
        args.n, args.processing, args.poll, args.max_requests, int(args.max_mb * 1e6), args.workdir
    )
    for name, value in figures.items():
        print(f"{name:32} {value}")
    # Requests the batch did not answer (summary repairs, later parts) go live, as they must.
    ok = figures["briefs"] == args.n and figures["errors"] == 0
    print("every article briefed exactly once" if ok else "NOT every article briefed exactly once")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
