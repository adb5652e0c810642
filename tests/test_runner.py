"""`summarizer run`: every input ends as a brief or an error record, once; re-runs resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from summarizer.batch import RunOptions, run_sync
from summarizer.batch.inputs import read_article
from summarizer.models import Brief
from summarizer.settings import Settings
from summarizer.testing.stub_server import StubConfig, stub_server
from tests.fixture_articles import CORPUS, MIXED_HTML, MIXED_MD, SEED
from tests.helpers import CASSETTE_DIR, assert_exact_for, cassette, replay_settings


def _lines(path: Path) -> list[dict]:
    return (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    )


def _corpus_rows(n: int) -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines()[:n]]


def mixed_folder(root: Path) -> Path:
    """txt, md, html, json and jsonl articles whose model traffic is in cassettes/."""
    src = root / "in"
    (src / "nested").mkdir(parents=True)
    shutil.copy(SEED, src / "seed article.txt")
    shutil.copy(MIXED_MD, src / "nested" / "arms find.md")
    shutil.copy(MIXED_HTML, src / "nested" / "bus crash.html")
    rows = _corpus_rows(3)
    (src / "single.json").write_text(json.dumps({"title": None, "content": rows[0]["text"]}))
    (src / "batch.jsonl").write_text(
        "".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows[1:])
    )
    return src


def _needed_cassettes() -> list[str]:
    rows = _corpus_rows(3)
    return ["seed", "mixed-md", "mixed-html", *[f"corpus-{r['id']}" for r in rows]]


@pytest.mark.skipif(not (CASSETTE_DIR / "mixed-html.yaml").exists(), reason="cassettes not recorded yet")
def test_mixed_folder_is_briefed_from_cassettes_and_a_rerun_does_nothing(tmp_path):
    src, out = mixed_folder(tmp_path), tmp_path / "out"
    options = RunOptions(paths=[str(src)], out=out, markdown=True, quiet=True)
    with cassette(*_needed_cassettes()) as cass:
        assert run_sync(options, replay_settings()) == 0
        played = cass.play_count
    briefs = _lines(out / "briefs.jsonl")
    assert len(briefs) == 6 and _lines(out / "errors.jsonl") == []
    assert {Path(b["output"]).as_posix() for b in briefs} == {
        "seed article.json",
        "nested/arms find.json",
        "nested/bus crash.json",
        "single.json",
        f"batch/{_corpus_rows(3)[1]['id']}.json",
        f"batch/{_corpus_rows(3)[2]['id']}.json",
    }
    for b in briefs:
        assert (out / b["output"]).is_file() and (out / b["output"]).with_suffix(".md").is_file()
        assert b["brief"]["metadata"]["source"] == b["source"]
    assert (out / "index.md").read_text().count("## [") == 6
    html = next(b for b in briefs if b["source"].endswith("bus crash.html"))
    assert html["brief"]["metadata"]["source"].endswith("bus crash.html")
    assert played >= 6

    with cassette(*_needed_cassettes()) as cass:
        assert run_sync(options, replay_settings()) == 0
        assert cass.play_count == 0, "a second run must not call the model"
    assert len(_lines(out / "briefs.jsonl")) == 6


def test_identical_articles_are_briefed_once_and_each_brief_is_exact_for_its_input(tmp_path):
    """Issue 10 #3: a brief reused for another input must carry that input's own offsets and digest.
    Identical bytes are briefed once; the same text with other whitespace is its own article."""
    src = tmp_path / "in"
    src.mkdir()
    text = SEED.read_text()
    (src / "a.txt").write_text(text)
    (src / "copy.txt").write_text(text)
    (src / "b.txt").write_bytes(("   " + text.replace("\n", "\r\n")).encode())
    (src / "c.txt").write_text("Another article entirely. It says other things.")
    with stub_server() as stub:
        code = run_sync(
            RunOptions(paths=[str(src)], out=tmp_path / "out", concurrency=4, quiet=True), stub.settings()
        )
        assert code == 0
        assert stub.state.requests == 3, "a.txt and copy.txt share one model call"
    lines = _lines(tmp_path / "out" / "briefs.jsonl")
    assert {b["source"] for b in lines} == {str(src / n) for n in ("a.txt", "copy.txt", "b.txt", "c.txt")}
    for line in lines:
        assert_exact_for(Brief.model_validate(line["brief"]), read_article(Path(line["source"])))


def test_the_same_text_published_on_another_day_is_its_own_brief(tmp_path):
    """Issue 10 #3: ``when_iso`` resolves against the input's own date, so the date is part of the key."""
    rows = [
        {"id": day, "text": "The council met on Tuesday. It voted to close the library.", "published": day}
        for day in ("2024-09-12", "2025-01-07")
    ]
    (batch := tmp_path / "batch.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with stub_server() as stub:
        assert (
            run_sync(RunOptions(paths=[str(batch)], out=tmp_path / "out", quiet=True), stub.settings()) == 0
        )
        assert stub.state.requests == 2


def test_exit_codes_and_force(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "ok.txt").write_text("A fine article. It has two sentences.")
    with stub_server() as stub:
        opts = RunOptions(paths=[str(src)], out=tmp_path / "out", quiet=True)
        assert run_sync(opts, stub.settings()) == 0
        assert run_sync(opts, stub.settings()) == 0 and stub.state.requests == 1
        assert run_sync(replace(opts, force=True), stub.settings()) == 0 and stub.state.requests == 2
        (src / "empty.txt").write_text("")
        assert run_sync(opts, stub.settings()) == 1


def test_output_names_cannot_escape_the_output_folder(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    rows = [
        {"id": "../../escape", "text": "First article here. It is fine."},
        {"id": "/etc/passwd", "text": "Second article here. Also fine."},
        {"id": "ok", "text": "Third article here. Fine too."},
    ]
    (src / "x.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    with stub_server() as stub:
        assert run_sync(RunOptions(paths=[str(src / "x.jsonl")], out=out, quiet=True), stub.settings()) == 0
    outputs = [b["output"] for b in _lines(out / "briefs.jsonl")]
    assert len(outputs) == 3
    for rel in outputs:
        assert (out / rel).resolve().is_relative_to(out.resolve())
    assert not (tmp_path / "escape.json").exists()


def test_dry_run_calls_no_model(tmp_path, capsys):
    src = mixed_folder(tmp_path)
    (src / "junk.bin").write_bytes(b"\x00\x01")
    code = run_sync(
        RunOptions(paths=[str(src)], out=tmp_path / "out", dry_run=True), Settings(model="gpt-4o-mini")
    )
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.count("brief ") == 6 and "skip" in captured.out
    assert "estimated cost $" in captured.err
    assert not (tmp_path / "out").exists()


def test_a_killed_run_resumes_with_every_input_accounted_for_once(tmp_path):
    """SIGKILL a real `summarizer run` mid-way; the re-run finishes with no loss and no duplicates."""
    src = tmp_path / "in"
    src.mkdir()
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines()]
    n = 0
    for rep in range(3):
        for r in rows:
            n += 1
            (src / f"{n:03d}.txt").write_text(f"Copy {rep}. " + r["text"])
    (src / "bad.txt").write_text("   ")
    out = tmp_path / "out"
    with stub_server(StubConfig(latency=0.25)) as stub:
        env = {**os.environ, "SUMMARIZER_MODEL": "openai/stub", "SUMMARIZER_API_BASE": stub.api_base}
        cmd = [sys.executable, "-m", "summarizer", "run", str(src), "-o", str(out), "-c", "3", "--quiet"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        manifest = out / ".summarizer" / "manifest.jsonl"
        deadline = time.time() + 60
        while time.time() < deadline and len(_lines(manifest)) < 8:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done_before = sum(1 for r in _lines(manifest) if r["status"] == "done")
        assert 0 < done_before < n, "the kill must land mid-run"
        requests_before = stub.state.requests
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 1  # bad.txt fails, every time
    briefs, errors = _lines(out / "briefs.jsonl"), _lines(out / "errors.jsonl")
    sources = [b["source"] for b in briefs] + [e["source"] for e in errors]
    assert sorted(sources) == sorted(str(p) for p in src.iterdir()), "every input exactly once"
    assert len(briefs) == n and [e["source"] for e in errors] == [str(src / "bad.txt")]
    assert stub.state.requests - requests_before <= n - done_before + 3, "finished work is not redone"
    for b in briefs:
        json.loads((out / b["output"]).read_text())  # no half-written file


def test_dry_run_lists_finished_articles_as_done_not_to_brief(tmp_path, capsys):
    """The dry run says what the real run will do: finished articles are skipped there."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    rows = _corpus_rows(3)
    for row in rows:
        (src / f"{row['id']}.txt").write_text(row["text"])
    with stub_server(StubConfig()) as stub:
        settings = stub.settings()
        assert run_sync(RunOptions(paths=[str(src)], out=out, quiet=True), settings) == 0
        (src / "new.txt").write_text(_corpus_rows(4)[3]["text"])
        manifest = (out / ".summarizer" / "manifest.jsonl").read_bytes()
        capsys.readouterr()
        assert run_sync(RunOptions(paths=[str(src)], out=out, dry_run=True), settings) == 0
        captured = capsys.readouterr()
        assert [line.split()[1] for line in captured.out.splitlines() if line.startswith("brief ")] == [
            str(src / "new.txt")
        ]
        assert captured.out.count("done  ") == 3
        assert "1 article(s) to brief, 3 already done" in captured.err
        assert (out / ".summarizer" / "manifest.jsonl").read_bytes() == manifest, "a dry run writes nothing"
        forced = RunOptions(paths=[str(src)], out=out, dry_run=True, force=True)
        assert run_sync(forced, settings) == 0
        assert capsys.readouterr().out.count("brief ") == 4
        assert stub.state.requests == 3


def test_dry_run_refuses_what_the_run_refuses(tmp_path, monkeypatch):
    """--executor ray with the embedded model: the real run exits 2, and so does its dry run."""
    from typer.testing import CliRunner

    from summarizer.cli import app

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(_corpus_rows(1)[0]["text"])
    monkeypatch.delenv("SUMMARIZER_MODEL", raising=False)
    result = CliRunner().invoke(app, ["run", str(src), "--dry-run", "--executor", "ray"])
    assert result.exit_code == 2, result.output
    assert "--executor ray" in result.output


def _imports(path: Path) -> set[str]:
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_layers_import_downward_only():
    """The run does not reach up into the service (the brief cache lives in summarizer.storage,
    below both), and the backends' base imports no backend (they import it)."""
    package = Path(__file__).resolve().parents[1] / "summarizer"
    for path in sorted((package / "batch").glob("*.py")):
        upward = {m for m in _imports(path) if m.startswith("summarizer.service")}
        assert not upward, f"{path.name} imports {upward}"
    assert not any(m.startswith("summarizer.service") for m in _imports(package / "storage.py"))
    base = {m for m in _imports(package / "backends" / "base.py") if m.startswith("summarizer.")}
    assert not base, f"backends/base.py imports {base}"
