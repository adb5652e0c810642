"""Shared test setup: no network, no stray configuration, cassettes replayed only."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixture_articles import ROOT, Fixture, fixtures  # noqa: E402

from summarizer.cassettes import CASSETTE_DIR, make_vcr  # noqa: E402
from summarizer.settings import Settings  # noqa: E402

REPLAY_KEY = "replay-placeholder-key-1234"


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and (host.startswith("127.") or host in {"localhost", "::1"})


@pytest.fixture(autouse=True)
def _no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Block every connection that is not to loopback (stub servers run on 127.0.0.1)."""
    if request.node.get_closest_marker("live"):
        return
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family == socket.AF_UNIX or _loopback(address):
            return real_connect(self, address)
        raise OSError(f"network blocked in tests: connection to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, addr: guarded(self, addr) or 0)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """No SUMMARIZER_* variables or .env from the developer's machine leak into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("SUMMARIZER_") and not request.node.get_closest_marker("live"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def recording() -> dict[str, Any]:
    return dict(json.loads((CASSETTE_DIR / "recording.json").read_text()))


def replay_settings(**overrides: Any) -> Settings:
    """Settings that reproduce the recorded request bodies; the address is never contacted."""
    meta = recording()
    values: dict[str, Any] = {
        "model": meta["model"],
        "api_base": "http://127.0.0.1:9/v1",
        "api_key": REPLAY_KEY,
        "constrain_evidence": meta["constrain_evidence"],
        "context_tokens": meta["context_tokens"],
        **{k: v for k, v in meta["settings"].items() if v is not None},
    }
    values.update(overrides)
    return Settings(**values)


def replay_env(monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> None:
    """The same settings as environment variables, for CLI tests."""
    settings = replay_settings(**overrides)
    for name in ("model", "api_base", "constrain_evidence", "context_tokens", "mode", "temperature", "max_tokens", "reasks"):
        value = getattr(settings, name)
        if value is not None:
            monkeypatch.setenv(f"SUMMARIZER_{name.upper()}", str(value).lower() if isinstance(value, bool) else str(value))
    monkeypatch.setenv("SUMMARIZER_API_KEY", REPLAY_KEY)


@contextmanager
def cassette(*names: str, tmp: Path | None = None) -> Iterator[Any]:
    """Replay one or more recorded cassettes (merged), failing on any unrecorded request."""
    recorder = make_vcr(record_mode="none")
    if len(names) == 1:
        with recorder.use_cassette(names[0], allow_playback_repeats=True) as cass:
            yield cass
        return
    assert tmp is not None, "merging cassettes needs a temporary folder"
    merged = {"version": 1, "interactions": []}
    for name in names:
        merged["interactions"].extend(yaml.safe_load((CASSETTE_DIR / f"{name}.yaml").read_text())["interactions"])
    (tmp / "merged.yaml").write_text(yaml.safe_dump(merged, allow_unicode=True))
    with make_vcr(record_mode="none", cassette_dir=tmp).use_cassette("merged", allow_playback_repeats=True) as cass:
        yield cass


def cassette_interactions(name: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load((CASSETTE_DIR / f"{name}.yaml").read_text())["interactions"])


def recorded_fixtures() -> list[Fixture]:
    return [f for f in fixtures() if (CASSETTE_DIR / f"{f.name}.yaml").exists()]


__all__ = ["ROOT", "cassette", "cassette_interactions", "recorded_fixtures", "replay_env", "replay_settings", "recording"]
