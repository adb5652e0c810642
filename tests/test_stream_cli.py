"""``summarizer brief --stream`` (JSON lines when piped, a live view in a terminal) and
``summarizer run`` growing briefs.jsonl / errors.jsonl as articles finish."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.models import EVENT_ADAPTER, Brief, CandidatesEvent, DoneEvent, ItemEvent, SummaryEvent
from summarizer.testing.stub_server import StubConfig, stub_server
from tests.helpers import ROOT
from tests.test_stream import ARTICLE

runner = CliRunner()


def _env(stub: Any, monkeypatch: Any | None = None) -> dict[str, str]:
    env = {
        "SUMMARIZER_MODEL": "openai/stub",
        "SUMMARIZER_API_BASE": stub.api_base,
        "SUMMARIZER_API_KEY": "stub-key-0000",
        "SUMMARIZER_TIMEOUT": "30",
    }
    if monkeypatch is not None:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
    return env


def test_brief_stream_piped_writes_one_json_event_per_line(tmp_path: Path, monkeypatch: Any) -> None:
    article = tmp_path / "bridge.txt"
    article.write_text(ARTICLE)
    with stub_server(StubConfig(chunk_chars=6)) as stub:
        _env(stub, monkeypatch)
        streamed = runner.invoke(app, ["brief", "--stream", str(article)])
        plain = runner.invoke(app, ["brief", str(article)])
    assert streamed.exit_code == 0, streamed.output
    events = [EVENT_ADAPTER.validate_json(line) for line in streamed.stdout.splitlines()]
    assert isinstance(events[0], CandidatesEvent)
    assert isinstance(events[-2], SummaryEvent) and isinstance(events[-1], DoneEvent)
    assert any(isinstance(e, ItemEvent) and e.origin == "model" for e in events)
    exclude = {"metadata": {"latency_s", "created_at"}}
    brief = Brief.model_validate_json(plain.stdout)
    assert events[-1].brief.model_dump(exclude=exclude) == brief.model_dump(exclude=exclude)


def test_brief_stream_in_a_terminal_draws_the_brief_live(tmp_path: Path) -> None:
    article = tmp_path / "bridge.txt"
    article.write_text(ARTICLE)
    with stub_server(StubConfig(chunk_chars=4, chunk_delay=0.005)) as stub:
        env = {**os.environ, **_env(stub), "COLUMNS": "120", "LINES": "50", "TERM": "xterm"}
        main, child = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "summarizer", "brief", "--stream", str(article)],
            stdin=subprocess.DEVNULL, stdout=child, stderr=subprocess.PIPE, env=env, cwd=ROOT,
        )  # fmt: skip
        os.close(child)
        screen = b""
        while True:
            ready, _, _ = select.select([main], [], [], 60)
            if not ready:
                break
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            screen += data
        process.wait(30)
        os.close(main)
    text = screen.decode("utf-8", "replace")
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert "{" not in text.split("Key developments")[0], "a view, not JSON"
    assert "Key developments" in text and "Warnings" in text
    assert "The city council voted on Monday" in text
    assert "items verified" in text  # the last frame: the brief is done


def test_run_appends_each_brief_as_it_finishes_and_a_resume_adds_no_duplicate(tmp_path: Path) -> None:
    """Kill -9 mid-run: briefs.jsonl holds whole lines only, one per finished article; the
    resumed run completes it without repeating any."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(6):
        (inputs / f"a{i}.txt").write_text(ARTICLE.replace("Old Mill", f"Old Mill {i}"))
    out = tmp_path / "out"
    with stub_server(StubConfig(latency=0.4)) as stub:
        env = {**os.environ, **_env(stub)}
        cmd = [sys.executable, "-m", "summarizer", "run", str(inputs), "-o", str(out), "-c", "1", "-q"]
        process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        briefs = out / "briefs.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _count(briefs) < 2:
            time.sleep(0.05)
        grown = _count(briefs)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        assert grown >= 2, "briefs.jsonl grows while the run goes on"
        lines = briefs.read_bytes()
        assert lines.endswith(b"\n")
        before = [json.loads(line) for line in lines.splitlines()]  # every line whole
        assert len({b["source"] for b in before}) == len(before) < 6
        resumed = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    after = [json.loads(line) for line in briefs.read_text().splitlines()]
    assert len({b["source"] for b in after}) == len(after) == 6


def test_errors_jsonl_grows_as_articles_fail(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "empty.txt").write_text("   ")
    for i in range(3):
        (inputs / f"b{i}.txt").write_text(ARTICLE)
    out = tmp_path / "out"
    with stub_server(StubConfig(latency=0.5)) as stub:
        env = {**os.environ, **_env(stub)}
        cmd = [sys.executable, "-m", "summarizer", "run", str(inputs), "-o", str(out), "-c", "1", "-q"]
        process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _count(out / "errors.jsonl") < 1:
            time.sleep(0.05)
        running = process.poll() is None
        process.wait(60)
    assert running, "the error line was there before the run ended"
    (error,) = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert error["source"].endswith("empty.txt")


def _count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0
