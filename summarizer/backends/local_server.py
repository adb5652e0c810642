"""llama.cpp's OpenAI-compatible server, in-process, on 127.0.0.1: one per process, reused.

xllamacpp runs llama.cpp's own HTTP server from a prebuilt wheel (no compiler), and it honours
``response_format`` JSON schemas with grammar-constrained decoding, so even a 1.5B model
returns schema-valid JSON. The embedded model is then reached over real HTTP through exactly
the same client path as a hosted one.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.errors import LocalModelError
from summarizer.settings import Settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_running: RunningServer | None = None


@dataclass
class RunningServer:
    base_url: str  # http://127.0.0.1:PORT
    model_alias: str
    model_path: Path
    n_ctx: int
    handle: Any  # the xllamacpp.Server; the server lives as long as this reference

    @property
    def api_base(self) -> str:
        return self.base_url + "/v1"


def ensure_server(settings: Settings) -> RunningServer:
    """Start the embedded server on first use; later calls (any thread) get the same one."""
    global _running
    with _lock:
        if _running is None:
            _running = _start(settings)
            atexit.register(stop_server)
        return _running


def stop_server() -> None:
    global _running
    with _lock:
        server, _running = _running, None
    if server is not None:
        del server.handle  # xllamacpp stops the server when the object is released


def _start(settings: Settings) -> RunningServer:
    try:
        import xllamacpp
    except ImportError as exc:
        raise LocalModelError(
            "the embedded model needs xllamacpp; install it with: pip install 'summarizer[local]'"
            " (or set SUMMARIZER_MODEL to use a hosted model)"
        ) from exc
    from summarizer.backends import local_model

    if settings.local_model_path is not None:
        model_path = settings.local_model_path.expanduser()
        if not model_path.is_file():
            raise LocalModelError(f"SUMMARIZER_LOCAL_MODEL_PATH {model_path} is not a file")
        alias = model_path.stem.lower()
    else:
        model_path = local_model.packaged_model_path(settings.cache_dir)
        alias = local_model.MODEL_NAME
    port = settings.local_port or _free_port()
    threads = settings.local_threads or os.cpu_count() or 2

    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    params.model_alias = alias
    params.n_ctx = settings.local_ctx
    params.n_parallel = 1  # 2 CPU cores: one slot keeps the whole context and the prompt cache
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.cache_prompt = True
    params.verbosity = -1
    started = time.perf_counter()
    try:
        handle = xllamacpp.Server(params)
    except Exception as exc:  # the C++ side reports load failures as plain exceptions
        raise LocalModelError(f"llama.cpp could not load {model_path}: {exc}") from exc
    base_url = f"http://127.0.0.1:{port}"
    _wait_healthy(base_url, timeout=120)
    log.info("embedded model %s ready at %s in %.1fs", alias, base_url, time.perf_counter() - started)
    return RunningServer(base_url, alias, model_path, settings.local_ctx, handle)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(base_url: str, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(base_url + "/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise LocalModelError(f"the embedded model server at {base_url} did not become ready")
        time.sleep(0.2)
