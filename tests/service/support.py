"""Helpers for the service tests: articles, settings, real servers and processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

import summarizer
from summarizer.settings import Settings
from summarizer.testing.stub_server import RunningStub

PROVIDER_KEY = "sk-provider-secret-0123456789abcdef"
SEED = (Path(__file__).resolve().parents[2] / "seeds" / "000_aeb030d6c15efacd.txt").read_text(
    encoding="utf-8"
)


def article(n: int, sentences: int = 4) -> str:
    """A distinct short article: n changes its words, so its cache key too."""
    body = " ".join(
        f"Officials in district {n} said on Monday that the bridge number {n * 10 + i} "
        "would reopen after repairs."
        for i in range(sentences)
    )
    return f"Bridge {n} to reopen\n\n{body}"


def model_settings(stub: RunningStub, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "model": "openai/stub",
        "api_base": stub.api_base,
        "api_key": PROVIDER_KEY,
        "max_attempts": 1,
        "retry_max_wait": 0.05,
        **overrides,
    }
    return Settings(**values)


def service_config(tmp_path: Path, **overrides: Any) -> Any:
    from summarizer.service.config import ServiceSettings

    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'service.db'}",
        "poll_s": 0.05,
        "lease_s": 3.0,
        "shutdown_grace_s": 2.0,
        **overrides,
    }
    return ServiceSettings(**values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def threaded_server(app: Any) -> Iterator[str]:
    """A real uvicorn server in a thread (for concurrency, browsers)."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class ServiceProcess:
    """``summarizer serve`` as a real process (for kill -9, SIGTERM, replicas)."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**env, "SUMMARIZER_SERVER_PORT": str(self.port)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "summarizer", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("ab"),
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> ServiceProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"service exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
                )
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"service not ready after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.process.wait(timeout=10)


def service_env(stub: RunningStub, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUMMARIZER_")}
    env.update(
        {
            "PYTHONPATH": str(Path(summarizer.__file__).resolve().parents[1]),
            "SUMMARIZER_MODEL": "openai/stub",
            "SUMMARIZER_API_BASE": stub.api_base,
            "SUMMARIZER_API_KEY": PROVIDER_KEY,
            "SUMMARIZER_MAX_ATTEMPTS": "1",
            "SUMMARIZER_DATABASE_URL": database_url,
            "SUMMARIZER_SERVER_POLL_S": "0.05",
            "SUMMARIZER_SERVER_LEASE_S": "2",
            "SUMMARIZER_SERVER_SHUTDOWN_GRACE_S": "2",
            **extra,
        }
    )
    return env


def wait_for(predicate: Callable[[], Any], timeout: float = 30, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")


def fault(stub: RunningStub, outcome: str, times: int = 1) -> None:
    """The stub's next ``times`` answers are ``outcome`` (then normal again)."""
    stub.state.config.script = ["ok"] * stub.state.requests + [outcome] * times
