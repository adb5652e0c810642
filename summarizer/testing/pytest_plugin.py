"""pytest plugin (installed with summarizer): test code that calls a model, offline.

The ``summarizer_cassette`` fixture records a test's model traffic the first time it runs (with
whatever model you configured: the embedded one, a hosted one, your own server) and replays it
on every run after, with no model, no network and no key::

    def test_my_digest(summarizer_cassette):
        brief = summarize(article, settings=summarizer_cassette.settings)
        assert my_digest(brief).startswith("# ")

Cassettes are ``cassettes/<test module>/<test name>.yaml`` beside the test file (or under the
``summarizer_cassette_dir`` ini option), requests are matched on their JSON body, auth headers
and cookies are scrubbed, and a cassette that would still hold a credential is refused. Beside
each one, ``<name>.settings.json`` keeps the model settings it was recorded with: on replay the
fixture's ``settings`` (and the ``SUMMARIZER_*`` environment) are those, so the requests match.

``--summarizer-record=MODE`` (or the ``summarizer_record_mode`` ini option): ``once`` (default:
record what is missing, replay the rest), ``none`` (replay only: use in CI), ``all`` (re-record).
vcrpy is needed: ``pip install 'summarizer[testing]'``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

MODES = ("once", "none", "all")
REPLAY_API_BASE = "http://127.0.0.1:9/v1"  # never contacted: the cassette answers
REPLAY_KEY = "replay-placeholder-key"
# Settings that shape the request body, beside the endpoint's model, context and constraint.
_REQUEST_SETTINGS = ("mode", "temperature", "max_tokens", "reasks", "strict")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("summarizer", "summarizer: recorded model traffic")
    group.addoption(
        "--summarizer-record", choices=MODES, default=None, help="record mode of summarizer_cassette"
    )
    parser.addini(
        "summarizer_record_mode", "record mode of summarizer_cassette (default: once)", default="once"
    )
    parser.addini(
        "summarizer_cassette_dir", "folder for summarizer cassettes (default: cassettes/ beside each test)"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "summarizer_cassette(name): the cassette a test records to and replays from"
    )


@dataclass
class ModelCassette:
    """What ``summarizer_cassette`` gives a test."""

    path: Path
    recording: bool  # False: every model request is answered from the cassette
    settings: Any  # summarizer.Settings to brief with
    cassette: Any  # the vcrpy Cassette (play_count, all_played, ...)

    @property
    def play_count(self) -> int:
        return int(self.cassette.play_count)


def _cassette_path(request: pytest.FixtureRequest) -> Path:
    marker = request.node.get_closest_marker("summarizer_cassette")
    name = (
        marker.args[0] if marker and marker.args else re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    )
    configured = request.config.getini("summarizer_cassette_dir")
    module = Path(str(request.node.path))
    folder = Path(request.config.rootpath, configured) if configured else module.parent / "cassettes"
    return folder / module.stem / f"{name}.yaml"


def _recorded_settings(settings: Any) -> dict[str, Any]:
    """What a replay needs to send byte-for-byte the same requests, and no secret."""
    from summarizer.backends.client import resolve_endpoint

    endpoint = resolve_endpoint(settings)  # starts the embedded model, before recording starts
    return {
        "model": endpoint.model,
        "api_base": REPLAY_API_BASE if endpoint.api_base else None,
        "context_tokens": endpoint.context_tokens,
        "constrain_evidence": endpoint.constrained,
        **{name: getattr(settings, name) for name in _REQUEST_SETTINGS},
    }


def replay_settings(monkeypatch: pytest.MonkeyPatch, values: dict[str, Any]) -> Any:
    """Settings (and ``SUMMARIZER_*`` variables, for code that reads the environment) that send
    the recorded requests again; the key is a placeholder, the address is never contacted."""
    from summarizer.settings import Settings

    values = {**{k: v for k, v in values.items() if v is not None}, "api_key": REPLAY_KEY}
    for name, value in values.items():
        monkeypatch.setenv(
            f"SUMMARIZER_{name.upper()}", str(value).lower() if isinstance(value, bool) else str(value)
        )
    return Settings(**values)


@pytest.fixture
def summarizer_cassette(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModelCassette]:
    """Record this test's model traffic once; replay it on every later run."""
    from summarizer.settings import get_settings
    from summarizer.testing.cassettes import make_vcr

    mode = request.config.getoption("--summarizer-record") or request.config.getini("summarizer_record_mode")
    path = _cassette_path(request)
    meta_path = path.with_suffix(".settings.json")
    recording = mode == "all" or (mode != "none" and not path.exists())
    if recording:
        settings = get_settings()
        meta = _recorded_settings(settings)
    else:
        if not meta_path.exists():
            pytest.fail(
                f"no recorded settings {meta_path}: record the cassette again (--summarizer-record=all)"
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        # A request the cassette does not hold fails at once: retrying cannot make it appear.
        settings = replay_settings(monkeypatch, {**meta, "max_attempts": 1})
    recorder = make_vcr(record_mode=mode, cassette_dir=path.parent)
    with recorder.use_cassette(path.name, allow_playback_repeats=not recording) as cassette:
        yield ModelCassette(path, recording, settings, cassette)
    if recording and path.exists():
        meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
