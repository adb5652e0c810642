"""`summarizer run --executor ray`: the same outcomes as the asyncio executor, on a real local Ray
(one ``ray.init(num_cpus=2)`` for the module: ~3 s to start, ~770 MB while up) and the stub model
server; a worker process killed mid-run and a driver killed mid-run lose nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.batch import RunOptions, run_sync
from summarizer.batch.failures import FailureKind, kind_of
from summarizer.cli import app
from summarizer.errors import (
    ArticleRejectedError,
    ConfigurationError,
    GroundingError,
    InvalidResponseError,
    ModelUnavailableError,
    SummarizerError,
)
from summarizer.models import Usage
from summarizer.testing.stub_server import StubConfig, stub_server

SECRET = "sk-ray-secret-5f0c9a7e21d4"


@pytest.fixture(scope="module")
def ray_cluster():
    """One local Ray for the module (its GCS address, and its temp dir for the log checks)."""
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'summarizer[ray]')")
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short: Ray's sockets live in it
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=str(temp))
    try:
        yield ray.get_runtime_context().gcs_address, temp
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()] if path.exists() else []


def _articles(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"{i:03d}.txt"
        path.write_text(
            f"Report {i}: the council met on Monday. Mayor Ana Ruiz said the library was unsafe. "
            f"The vote was {i} to 2, and the building closes in {i + 3} weeks."
        )
        paths.append(path)
    return paths


def _exactly_once(out: Path, expected: set[str]) -> tuple[list[dict], list[dict]]:
    briefs, errors = _lines(out / "briefs.jsonl"), _lines(out / "errors.jsonl")
    counts = Counter([b["source"] for b in briefs] + [e["source"] for e in errors])
    assert [s for s, n in counts.items() if n > 1] == [], "an input recorded twice"
    assert set(counts) == expected
    return briefs, errors


def _timeless(brief: dict) -> dict:
    """A brief without its wall-clock fields, the ones two runs cannot share."""
    brief = json.loads(json.dumps(brief))
    brief["metadata"].pop("latency_s")
    brief["metadata"].pop("created_at")
    return brief


def _worker_pids() -> list[int]:
    """Live Ray actor processes of the pool (Ray titles them ``ray::BriefWorker...``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if cmdline.startswith(b"ray::BriefWorker"):
                pids.append(int(entry.name))
    return pids


def _no_workers_left(timeout: float = 20) -> None:
    """Wait until the actors of earlier runs are gone (a run kills its pool as it ends)."""
    deadline = time.time() + timeout
    while _worker_pids() and time.time() < deadline:
        time.sleep(0.05)
    assert _worker_pids() == [], "an earlier run's Ray workers outlived it"


def test_ray_gives_the_same_outputs_as_asyncio_and_no_secret_reaches_rays_logs(tmp_path, ray_cluster):
    _, ray_temp = ray_cluster
    src = tmp_path / "in"
    paths = _articles(src, 10)
    shutil.copy(paths[0], src / "same as 000.txt")  # identical work: briefed once, reused
    (src / "blank.txt").write_text("   ")  # an input error, on the driver
    (src / "photo.png").write_bytes(b"\x89PNG\r\n")  # unsupported: skipped
    outs = {}
    with stub_server(StubConfig(latency=0.05)) as stub:
        settings = stub.settings(api_key=SECRET)
        for executor in ("asyncio", "ray"):
            outs[executor] = tmp_path / executor
            options = RunOptions(
                paths=[str(src)], out=outs[executor], quiet=True, markdown=True, executor=executor
            )
            assert run_sync(options, settings) == 1  # blank.txt fails, every time
        assert SECRET not in json.dumps(stub.state.bodies)
        assert {h for h in stub.state.auth_headers} == {f"Bearer {SECRET}"}  # the key did reach the server
    expected = {str(p) for p in src.iterdir()}
    runs = {name: _exactly_once(out, expected) for name, out in outs.items()}
    (a_briefs, a_errors), (r_briefs, r_errors) = runs["asyncio"], runs["ray"]
    assert len(r_briefs) == 11 and {e["kind"] for e in r_errors} == {"input", "unsupported"}
    assert sorted(r_errors, key=str) == sorted(a_errors, key=str)
    by_source = {b["source"]: b for b in a_briefs}
    for line in r_briefs:
        twin = by_source[line["source"]]
        assert line["output"] == twin["output"]
        assert _timeless(line["brief"]) == _timeless(twin["brief"])
        files = [outs[name] / line["output"] for name in outs]
        assert [_timeless(json.loads(f.read_text())) for f in files] == [_timeless(line["brief"])] * 2
        md = [re.sub(r" · [0-9.]+s · ", " · ", f.with_suffix(".md").read_text()) for f in files]
        assert md[0] == md[1]  # latency masked
    # Settings reached the workers as actor arguments: no Ray log or session file holds the key.
    leaked = [p for p in ray_temp.rglob("*") if p.is_file() and SECRET.encode() in _read(p)]
    assert leaked == []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_model_errors_on_workers_arrive_with_the_same_kind_and_reason(tmp_path, ray_cluster):
    src = tmp_path / "in"
    _articles(src, 3)
    errors = {}
    with stub_server(StubConfig(fault_rate=1.0, faults=("not-schema",))) as stub:
        for executor in ("asyncio", "ray"):
            options = RunOptions(paths=[str(src)], out=tmp_path / executor, quiet=True, executor=executor)
            assert run_sync(options, stub.settings()) == 1
            errors[executor] = sorted(_lines(tmp_path / executor / "errors.jsonl"), key=str)
    assert {e["kind"] for e in errors["ray"]} == {"invalid_response"} and len(errors["ray"]) == 3
    assert errors["ray"] == errors["asyncio"]


@pytest.mark.parametrize(
    "error",
    [
        ArticleRejectedError("HTTP 400 content_filter", attempts=1, usage=Usage(prompt_tokens=7)),
        ConfigurationError("HTTP 401: bad key", attempts=1),
        ModelUnavailableError("failed after 5 attempt(s)", attempts=5, usage=Usage(total_tokens=3)),
        GroundingError("item 2 is not backed", attempts=2),
        InvalidResponseError("no valid brief after 2 answer(s)", attempts=2),
    ],
)
def test_a_worker_error_is_rebuilt_as_the_same_class_with_its_data(error: SummarizerError):
    pytest.importorskip("ray", reason="ray is not installed")
    from summarizer.batch.ray_pool import Outcome, RemoteError

    wire = Outcome(error=RemoteError.of(error)).model_dump_json()
    with pytest.raises(SummarizerError) as raised:
        Outcome.model_validate_json(wire).result()
    rebuilt = raised.value
    assert type(rebuilt) is type(error) and str(rebuilt) == str(error)
    assert rebuilt.attempts == error.attempts and rebuilt.usage == error.usage
    assert kind_of(rebuilt) is kind_of(error)


def test_killed_workers_are_survived_and_every_input_ends_once(tmp_path, ray_cluster, caplog):
    """SIGKILL every worker process while the stub holds requests of theirs: those articles go to
    the replacement workers, and every input still ends exactly once, as a brief."""
    src = tmp_path / "in"
    paths = _articles(src, 40)
    out = tmp_path / "out"
    result: list[int] = []
    _no_workers_left()
    with stub_server(StubConfig(latency=1.0)) as stub:
        options = RunOptions(paths=[str(src)], out=out, quiet=True, executor="ray", concurrency=4)
        runner = threading.Thread(target=lambda: result.append(run_sync(options, stub.settings(timeout=10))))
        runner.start()
        manifest = out / ".summarizer" / "manifest.jsonl"
        deadline = time.time() + 60
        while time.time() < deadline and (len(_lines(manifest)) < 4 or stub.state.requests < 12):
            time.sleep(0.02)
        pids = _worker_pids()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        runner.join(timeout=120)
        requests = stub.state.requests
    assert len(pids) == 2, "one actor per CPU of the two-CPU Ray"
    assert result == [0]
    briefs, errors = _exactly_once(out, {str(p) for p in paths})
    assert errors == [] and len(briefs) == 40
    assert not set(pids) & set(_worker_pids())
    assert "a Ray worker died" in caplog.text
    assert requests > 40, "articles in flight on the killed workers were sent again"


def test_an_article_whose_workers_all_die_becomes_an_error_record(tmp_path, ray_cluster):
    src = tmp_path / "in"
    (path,) = _articles(src, 1)
    out = tmp_path / "out"
    stop = threading.Event()
    killed: set[int] = set()
    _no_workers_left()

    def killer(stub) -> None:
        while not stop.is_set() and stub.state.requests == 0:  # the pool is up and briefing
            time.sleep(0.01)
        while not stop.is_set():
            for pid in _worker_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)

    with stub_server(StubConfig(latency=2.0)) as stub:
        thread = threading.Thread(target=killer, args=(stub,))
        thread.start()
        try:
            options = RunOptions(paths=[str(src)], out=out, quiet=True, executor="ray")
            assert run_sync(options, stub.settings()) == 1
        finally:
            stop.set()
            thread.join()
    _, (error,) = _exactly_once(out, {str(path)})
    assert error["kind"] == FailureKind.MODEL_UNAVAILABLE.value
    assert "3 Ray workers died while briefing this article" in error["reason"]
    assert len(killed) >= 3


def test_a_driver_killed_mid_run_resumes_on_the_cluster_and_completes_once(tmp_path, ray_cluster):
    """kill -9 a real `summarizer run --executor ray --ray-address ...`; the re-run finishes."""
    address, _ = ray_cluster
    src = tmp_path / "in"
    paths = _articles(src, 40)
    out = tmp_path / "out"
    with stub_server(StubConfig(latency=0.25)) as stub:
        env = {**os.environ, "SUMMARIZER_MODEL": "openai/stub", "SUMMARIZER_API_BASE": stub.api_base}
        cmd = [sys.executable, "-m", "summarizer", "run", str(src), "-o", str(out), "-c", "2", "--quiet"]
        cmd += ["--executor", "ray", "--ray-address", address]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        manifest = out / ".summarizer" / "manifest.jsonl"
        deadline = time.time() + 90
        while time.time() < deadline and len(_lines(manifest)) < 8 and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        _, stderr = proc.communicate()
        done_before = sum(1 for r in _lines(manifest) if r["status"] == "done")
        assert 0 < done_before < 40, f"the kill must land mid-run ({stderr.decode()[-500:]})"
        requests_before = stub.state.requests
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert second.returncode == 0, second.stderr[-2000:]
    briefs, errors = _exactly_once(out, {str(p) for p in paths})
    assert errors == [] and len(briefs) == 40
    # At most the articles in flight at the kill (2 actors x 2) are sent twice.
    assert stub.state.requests - requests_before <= 40 - done_before + 4, "finished work is not redone"
    for b in briefs:
        json.loads((out / b["output"]).read_text())  # no half-written file


def test_ray_with_the_embedded_model_or_without_ray_is_a_usage_error(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("The council met on Monday. The mayor spoke.")
    cli = CliRunner()
    embedded = cli.invoke(
        app, ["run", str(tmp_path / "a.txt"), "-o", str(tmp_path / "o"), "--executor", "ray"]
    )
    assert embedded.exit_code == 2 and "SUMMARIZER_MODEL" in embedded.output
    assert not (tmp_path / "o").exists(), "refused before anything started"
    monkeypatch.setenv("SUMMARIZER_MODEL", "openai/stub")
    stray = cli.invoke(
        app, ["run", str(tmp_path / "a.txt"), "-o", str(tmp_path / "o"), "--ray-address", "h:1"]
    )
    assert stray.exit_code == 2 and "--executor ray" in stray.output
    import importlib.util

    if importlib.util.find_spec("ray") is not None:  # a cluster nobody runs: refused at once
        args = ["run", str(tmp_path / "a.txt"), "-o", str(tmp_path / "o"), "--executor", "ray"]
        nobody = cli.invoke(app, [*args, "--ray-address", "127.0.0.1:1"])
        assert nobody.exit_code == 2 and "no Ray cluster answers at 127.0.0.1:1" in nobody.output
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a)
    )
    missing = cli.invoke(
        app, ["run", str(tmp_path / "a.txt"), "-o", str(tmp_path / "o"), "--executor", "ray"]
    )
    assert missing.exit_code == 2 and "pip install 'summarizer[ray]'" in missing.output
