"""The articles whose model traffic is recorded in cassettes/, shared by tests and the recorder.

Each fixture names its cassette, the Article exactly as the product builds it from the file
(so the replayed request body matches), and any settings it was recorded with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer.batch.inputs import read_article, read_jsonl
from summarizer.batch.sources import iter_inputs
from summarizer.models import Article

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SEED = ROOT / "seeds" / "000_aeb030d6c15efacd.txt"
CORPUS = FIXTURES / "corpus10.jsonl"
INJECTION = FIXTURES / "injection.txt"
LONG = FIXTURES / "long.txt"
# Real dev articles with an instruction to the model planted in them (scripts/injection_corpus.py).
INJECTIONS = FIXTURES / "injections"
MIXED_MD = FIXTURES / "mixed_article.md"
# The html sample in seeds/ doubles as the mixed-format test's html article.
MIXED_HTML = ROOT / "seeds" / "001_a34_bus_crash.html"
SAMPLE_MD = ROOT / "seeds" / "002_edinburgh_winter_festivals.md"
# The long article is briefed with a 4,096-token context window so that it is several times
# the window: the split/merge path is then exercised on a few minutes of CPU instead of an hour.
LONG_SETTINGS: dict[str, Any] = {"context_tokens": 4096, "max_tokens": 768}


@dataclass
class Fixture:
    name: str
    article: Article
    settings: dict[str, Any] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)


def corpus_references() -> dict[str, list[str]]:
    return {row["id"]: row["references"] for row in map(json.loads, CORPUS.read_text().splitlines())}


def fixtures() -> list[Fixture]:
    refs = corpus_references()
    items = [Fixture("seed", read_article(SEED))]
    for record in read_jsonl(CORPUS):
        assert isinstance(record.item, Article), record.item
        items.append(Fixture(f"corpus-{record.name}", record.item, references=refs[record.name]))
    items.append(Fixture("injection", read_article(INJECTION)))
    items.append(Fixture("long", read_article(LONG), dict(LONG_SETTINGS)))
    items.append(Fixture("mixed-md", read_article(MIXED_MD)))
    items.append(Fixture("mixed-html", read_article(MIXED_HTML)))
    items.append(Fixture("sample-md", read_article(SAMPLE_MD)))
    items += injection_fixtures()
    items += heldout_fixtures()
    return items


def injection_corpus() -> list[dict[str, Any]]:
    return json.loads((INJECTIONS / "corpus.json").read_text(encoding="utf-8"))


def injection_fixtures() -> list[Fixture]:
    """Each variant read by the loaders of ``summarizer run`` (.txt, .md, .html, .jsonl)."""
    items = []
    for entry in injection_corpus():
        (item,) = list(iter_inputs([str(INJECTIONS / entry["file"])], 10_000_000, None))
        items.append(Fixture(f"inject-{entry['id']}", item.load()))
    return items


# The held-out half of the second injection corpus (issue 17, scripts/injection_heldout.py).
HELDOUT_TEST = INJECTIONS / "heldout" / "test"


def heldout_corpus() -> list[dict[str, Any]]:
    return json.loads((HELDOUT_TEST / "corpus.json").read_text(encoding="utf-8"))


def heldout_fixtures() -> list[Fixture]:
    """Each held-out variant as ``inject-ho-<id>``, read by the loaders of ``summarizer run``."""
    items = []
    for entry in heldout_corpus():
        (item,) = list(iter_inputs([str(HELDOUT_TEST / entry["file"])], 10_000_000, None))
        items.append(Fixture(f"inject-ho-{entry['id']}", item.load()))
    return items


def by_name(name: str) -> Fixture:
    return next(f for f in fixtures() if f.name == name)
