"""Service test fixtures: the app against the stub model server, in-process or as real processes.

No real model: the stub (summarizer/testing/stub_server.py) answers on 127.0.0.1 with a brief
whose evidence is the article's own sentences, and counts requests, so a test can tell a cache
hit (no request) from a model call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs the serve extra: pip install -e '.[serve]'")

from summarizer.settings import Settings
from summarizer.testing.stub_server import RunningStub, StubConfig, stub_server
from tests.service.support import ServiceProcess, model_settings, service_config


@pytest.fixture
def stub() -> Iterator[RunningStub]:
    with stub_server(StubConfig()) as running:
        yield running


@pytest.fixture
def make_client(tmp_path: Path, stub: RunningStub) -> Iterator[Callable[..., Any]]:
    """``make_client(config=..., settings=...)``: a TestClient on a fresh app (lifespan running)."""
    from fastapi.testclient import TestClient

    from summarizer.service.app import create_app

    clients: list[Any] = []

    def make(settings: Settings | None = None, **config: Any) -> Any:
        app = create_app(service_config(tmp_path, **config), settings or model_settings(stub))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., Any]) -> Any:
    return make_client()


@pytest.fixture
def processes() -> Iterator[list[ServiceProcess]]:
    started: list[ServiceProcess] = []
    yield started
    for proc in started:
        proc.stop()
