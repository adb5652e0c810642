"""Helpers for the project's tests: replaying the cassettes in cassettes/ (recorded from the
embedded model by scripts/record_cassettes.py) with the settings they were recorded with."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from summarizer.brief.grounding import fold
from summarizer.models import Article, Brief
from summarizer.settings import Settings
from summarizer.testing.cassettes import CASSETTE_DIR, interactions, replaying
from summarizer.testing.pytest_plugin import REPLAY_API_BASE, REPLAY_KEY
from summarizer.testing.pytest_plugin import replay_settings as plugin_replay_settings
from tests.fixture_articles import ROOT, Fixture, fixtures


def recording() -> dict[str, Any]:
    return dict(json.loads((CASSETTE_DIR / "recording.json").read_text()))


def _recorded_values(overrides: dict[str, Any]) -> dict[str, Any]:
    meta = recording()
    return {
        "model": meta["model"],
        "api_base": REPLAY_API_BASE,
        "constrain_evidence": meta["constrain_evidence"],
        "context_tokens": meta["context_tokens"],
        **{k: v for k, v in meta["settings"].items() if v is not None},
        **overrides,
    }


def replay_settings(**overrides: Any) -> Settings:
    """Settings that reproduce the recorded request bodies; the address is never contacted."""
    return Settings(**{**_recorded_values(overrides), "api_key": REPLAY_KEY})


def replay_env(monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> None:
    """The same settings as SUMMARIZER_* variables, for CLI tests (the plugin's replay path)."""
    plugin_replay_settings(monkeypatch, _recorded_values(overrides))


@contextmanager
def cassette(*names: str, tmp: Path | None = None) -> Iterator[Any]:
    """Replay one or more recorded cassettes (as one), failing on any unrecorded request.
    (``tmp`` is no longer needed: cassettes are merged in memory.)"""
    with replaying(*names) as cass:
        yield cass


def cassette_interactions(name: str) -> list[dict[str, Any]]:
    return interactions(name)


def assert_exact_for(brief: Brief, article: Article) -> None:
    """The brief belongs to this article: its digest, and every span's offsets into its text."""
    assert brief.metadata.article_sha256 == article.sha256
    for span in brief.metadata.grounding.spans:
        kind, index, field = re.fullmatch(r"(\w+)\[(\d+)\]\.(\w+)", span.item).groups()  # type: ignore[union-attr]
        evidence = getattr(getattr(brief, kind)[int(index)], field)
        assert fold(article.text[span.start : span.end]) == fold(evidence), (span, evidence)


def recorded_fixtures() -> list[Fixture]:
    return [f for f in fixtures() if (CASSETTE_DIR / f"{f.name}.yaml").exists()]


__all__ = [
    "CASSETTE_DIR", "ROOT", "assert_exact_for", "cassette", "cassette_interactions", "recorded_fixtures", "recording", "replay_env",
    "replay_settings",
]  # fmt: skip
