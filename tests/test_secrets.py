"""A recognisable fake key goes to the model server and nowhere else: not stdout, not stderr at
-vv, not any output, manifest or error record, whatever faults the server injects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from summarizer.batch import RunOptions, run_sync
from summarizer.errors import ConfigurationError
from summarizer.testing.stub_server import StubConfig, stub_server

KEY = "sk-fake-SUMMARIZER-TEST-KEY-1234567890"
# The whole key, and the part of it no masking scheme should let through.
FRAGMENTS = (KEY, "SUMMARIZER-TEST-KEY", "TEST-KEY-1234567890")
ARTICLES = {
    "a.txt": "The council voted on Tuesday to close the old library. Mayor Ana Ruiz said the building was unsafe.",
    "b.md": "# Port strike\n\nDock workers walked out on Monday. The union said talks had failed.",
    "c.txt": "Heavy rain flooded the valley overnight. Rescue teams evacuated two villages.",
}


def _articles(root: Path, names: list[str] | None = None) -> Path:
    src = root / "in"
    src.mkdir()
    for name in names or list(ARTICLES):
        (src / name).write_text(ARTICLES[name])
    return src


def _env(stub, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUMMARIZER_")}
    env.update(
        OPENAI_API_KEY=KEY,
        SUMMARIZER_API_KEY=KEY,
        SUMMARIZER_MODEL="openai/stub",
        SUMMARIZER_API_BASE=stub.api_base,
        SUMMARIZER_RETRY_MAX_WAIT="0.05",
        SUMMARIZER_TIMEOUT="5",
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "summarizer", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _leaks(text: str) -> list[str]:
    return [f for f in FRAGMENTS if f in text]


def _leaks_in_tree(root: Path) -> dict[str, list[str]]:
    found = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            if hits := _leaks(path.read_bytes().decode("utf-8", errors="replace")):
                found[str(path.relative_to(root))] = hits
    return found


def _assert_key_reached_the_server(stub) -> None:
    assert stub.state.auth_headers, "the stub saw no request: the test would prove nothing"
    assert set(stub.state.auth_headers) == {f"Bearer {KEY}"}


def test_key_never_written_by_a_run_with_transient_faults(tmp_path):
    """One article's five attempts all fail (500, 429, 503, 429 without Retry-After, 502); the rest
    are briefed; an empty file fails on input. Nothing written anywhere contains the key."""
    src = _articles(tmp_path)
    (src / "empty.txt").write_text("")
    out = tmp_path / "out"
    script = ["500", "429", "503", "429-no-retry-after", "502"]
    with stub_server(StubConfig(script=script, retry_after=0.05)) as stub:
        proc = _cli(
            ["run", str(src), "-o", str(out), "-c", "1", "-vv"],
            _env(stub, SUMMARIZER_MAX_ATTEMPTS="5"),
            tmp_path,
        )
        _assert_key_reached_the_server(stub)
        assert stub.state.requests == len(script) + 2
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "DEBUG" in proc.stderr, "-vv must actually log at debug level for this test to mean anything"

    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert sorted(e["kind"] for e in errors) == ["input", "model_unavailable"]
    assert len((out / "briefs.jsonl").read_text().splitlines()) == 2
    assert (out / ".summarizer" / "manifest.jsonl").is_file() and list(
        (out / ".summarizer" / "briefs").iterdir()
    )

    assert _leaks(proc.stdout) == []
    assert _leaks(proc.stderr) == []
    assert _leaks_in_tree(tmp_path) == {}, "the key was written to a file"


def test_a_401_stops_the_run_at_once_naming_the_setting(tmp_path):
    src = _articles(tmp_path, ["a.txt"])
    out = tmp_path / "out"
    with stub_server(StubConfig(script=["401"] * 10)) as stub:
        proc = _cli(["run", str(src), "-o", str(out), "-vv"], _env(stub), tmp_path)
        _assert_key_reached_the_server(stub)
        assert stub.state.requests == 1, "a rejected key is not retried"
    assert proc.returncode == 1
    final = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(final) == 1 and "401" in final[0] and "API_KEY" in final[0], proc.stderr[-3000:]
    (error,) = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert error["kind"] == "configuration" and "API_KEY" in error["reason"]

    assert _leaks(proc.stdout) == []
    assert _leaks(proc.stderr) == []
    assert _leaks_in_tree(tmp_path) == {}


def test_a_401_sends_no_further_requests_for_queued_articles(tmp_path):
    src = _articles(tmp_path)
    out = tmp_path / "out"
    with stub_server(StubConfig(script=["401"] * 10)) as stub:
        with pytest.raises(ConfigurationError, match="API_KEY"):
            run_sync(
                RunOptions(paths=[str(src)], out=out, concurrency=1, quiet=True), stub.settings(api_key=KEY)
            )
        assert stub.state.requests == 1, (
            f"{stub.state.requests} requests were sent with a key already rejected"
        )


@pytest.fixture(scope="module")
def brief_at_vv(tmp_path_factory):
    """`summarizer brief FILE -vv` against a stub that fails once with a 500."""
    root = tmp_path_factory.mktemp("brief")
    src = _articles(root, ["a.txt"])
    with stub_server(StubConfig(script=["500", "ok"], retry_after=0.05)) as stub:
        proc = _cli(["brief", str(src / "a.txt"), "-vv"], _env(stub), root)
        auth, requests = list(stub.state.auth_headers), stub.state.requests
    return {"proc": proc, "auth": auth, "requests": requests, "root": root}


def test_key_never_written_by_brief(brief_at_vv):
    proc = brief_at_vv["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert brief_at_vv["requests"] == 2 and set(brief_at_vv["auth"]) == {f"Bearer {KEY}"}
    assert "DEBUG" in proc.stderr
    assert '"headline"' in proc.stdout and '"attempts": 2' in proc.stdout
    assert _leaks(proc.stdout) == []
    assert _leaks(proc.stderr) == []
    assert _leaks_in_tree(brief_at_vv["root"]) == {}


def test_brief_stdout_is_only_the_brief_at_vv(brief_at_vv):
    proc = brief_at_vv["proc"]
    assert proc.returncode == 0
    json.loads(proc.stdout)


def test_openai_api_key_never_goes_to_a_custom_api_base(tmp_path):
    """`openai/<name>` at a server of your own, OPENAI_API_KEY set, no SUMMARIZER_API_KEY: the
    server (here over plain http, like the README's gpu-box) gets no key at all."""
    src = _articles(tmp_path, ["a.txt"])
    with stub_server(StubConfig()) as stub:
        env = _env(stub)
        del env["SUMMARIZER_API_KEY"]
        proc = _cli(["brief", str(src / "a.txt")], env, tmp_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert stub.state.auth_headers == [""]
        assert not [h for h in stub.state.headers if _leaks(json.dumps(h))]


def test_credentials_in_the_api_base_url_are_written_nowhere(tmp_path):
    """SUMMARIZER_API_BASE=http://user:pass@host/v1: the errors of a run name the host, never the
    password, in errors.jsonl, the manifest, stdout and stderr."""
    password = "url-pass-SECRET-9876"
    src = _articles(tmp_path, ["a.txt", "c.txt"])
    out = tmp_path / "out"
    with stub_server(StubConfig(script=["503", "401"])) as stub:
        base = stub.api_base.replace("http://", f"http://summarizer:{password}@")
        env = _env(stub, SUMMARIZER_API_BASE=base, SUMMARIZER_MAX_ATTEMPTS="1")
        proc = _cli(["run", str(src), "-o", str(out), "-c", "1", "-vv"], env, tmp_path)
        assert stub.state.requests == 2
    assert proc.returncode == 1, proc.stderr[-3000:]
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert sorted(e["kind"] for e in errors) == ["configuration", "model_unavailable"]
    assert all("[REDACTED]@127.0.0.1" in e["reason"] for e in errors), "the reasons must name the server"
    assert "[REDACTED]@127.0.0.1" in proc.stderr
    for text in (proc.stdout, proc.stderr):
        assert password not in text
    leaked = [p for p in tmp_path.rglob("*") if p.is_file() and password in p.read_text(errors="replace")]
    assert leaked == []
