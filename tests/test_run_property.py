"""Property: whatever mix of good, bad and duplicate inputs, model faults and kills (SIGKILL at a
random moment), after a final resume every input is exactly once in briefs.jsonl + errors.jsonl,
and every brief is exact for its own input (its output file, its digest, its offsets)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summarizer.batch import FailureKind, RunOptions, run_sync
from summarizer.batch.inputs import read_article, read_jsonl
from summarizer.errors import ConfigurationError
from summarizer.models import Article, Brief
from summarizer.settings import Settings
from summarizer.testing.stub_server import StubConfig, stub_server
from tests.helpers import assert_exact_for

KINDS = ("good", "good", "good", "duplicate", "empty", "binary", "jsonl")
FAULTS = ("500", "429", "reset", "not-schema", "ungrounded", "truncated", "400")


def _text(n: int) -> str:
    return f"Report number {n} says the council met on Monday. The mayor of town {n} said the vote was close."


def _write_inputs(src: Path, kinds: list[str]) -> dict[str, Article | None]:
    """The inputs, and the article each should be briefed from (None: it must fail)."""
    src.mkdir(parents=True)
    expected: dict[str, Article | None] = {}
    goods: list[Path] = []
    for i, kind in enumerate(kinds):
        path = src / f"{i:02d}.txt"
        if kind == "good" or (kind == "duplicate" and not goods):
            path.write_text(_text(i))
            goods.append(path)
        elif kind == "duplicate":
            path.write_bytes(goods[i % len(goods)].read_bytes())
        elif kind == "empty":
            path.write_text("  \n")
        elif kind == "binary":
            path.write_bytes(b"\x00\x01binary")
        else:
            path = src / f"{i:02d}.jsonl"
            lines = [
                json.dumps({"id": f"r{i}", "text": _text(100 + i)}),
                "{broken",
                json.dumps({"text": _text(i)}),
            ]
            path.write_text("\n".join(lines) + "\n")
            for record in read_jsonl(path):
                expected[f"{path}:{record.number}"] = (
                    record.item if isinstance(record.item, Article) else None
                )
            continue
        expected[str(path)] = read_article(path) if kind in {"good", "duplicate"} else None
    return expected


def _run(src: Path, out: Path, stub_settings: Settings) -> None:
    try:
        run_sync(RunOptions(paths=[str(src)], out=out, concurrency=3, quiet=True), stub_settings)
    except ConfigurationError:
        pass  # a 400 stopped the run: its inputs are recorded as stopped, the rest as they ended


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=3, max_size=10),
    fault_rate=st.sampled_from([0.0, 0.2, 0.5]),
    seed=st.integers(0, 1000),
    kills=st.lists(st.floats(0.0, 0.6), max_size=2),
)
def test_after_kills_and_faults_a_resume_accounts_for_every_input_exactly(
    tmp_path_factory, kinds, fault_rate, seed, kills
):
    root = tmp_path_factory.mktemp("property")
    src, out = root / "in", root / "out"
    expected = _write_inputs(src, kinds)
    config = StubConfig(latency=0.02, fault_rate=fault_rate, faults=FAULTS, seed=seed)
    fork = multiprocessing.get_context("fork")
    with stub_server(config) as stub:
        stub_settings = stub.settings(timeout=1, max_attempts=2, retry_max_wait=0.01, retry_total=5)
        for delay in kills:  # a run killed with SIGKILL at a random moment
            child = fork.Process(target=_run, args=(src, out, stub_settings))
            child.start()
            child.join(delay)
            if child.is_alive():
                os.kill(child.pid, signal.SIGKILL)
            child.join()
        stub.state.config.fault_rate = fault_rate / 2  # the final resume, still with some faults
        _run(src, out, stub_settings)

    briefs = [json.loads(line) for line in (out / "briefs.jsonl").read_text().splitlines()]
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    counts = Counter([b["source"] for b in briefs] + [e["source"] for e in errors])
    assert set(counts) == set(expected) and max(counts.values()) == 1, counts
    for b in briefs:
        article = expected[b["source"]]
        assert article is not None, f"{b['source']} should have failed"
        on_disk = Brief.model_validate_json((out / b["output"]).read_text())
        assert on_disk.metadata.source == b["source"] == b["brief"]["metadata"]["source"]
        assert_exact_for(on_disk, article)
    assert len({b["output"] for b in briefs}) == len(briefs), "two inputs share an output file"
    for e in errors:
        assert e["kind"] in {k.value for k in FailureKind}
        if expected[e["source"]] is None:
            assert e["kind"] == "input", e
