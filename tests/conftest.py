"""Shared test setup: no network, no stray configuration. Cassette replay comes from summarizer's
own pytest plugin (summarizer.testing.pytest_plugin, registered as a pytest11 entry point) and
the helpers in tests/helpers.py."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ("pytester",)


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
    for name in list(os.environ):
        if name.startswith("SUMMARIZER_") and not request.node.get_closest_marker("live"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
