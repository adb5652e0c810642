"""`summarizer run --batch`: provider batch APIs on a stub that speaks their wire protocol.

The batch run must end exactly as a live run does (same briefs, same error records), whatever the
batch did: expired half done, errored lines, a kill between submission and the results.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.batch import RunOptions, UsageError, run_sync
from summarizer.batch.provider_batch import BatchOptions, load_state
from summarizer.cli import app
from summarizer.settings import Settings
from summarizer.testing.batch_stub import BatchStubConfig, RunningBatchStub, batch_stub
from tests.fixture_articles import CORPUS

CLI = CliRunner()
CUSTOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FAST = BatchOptions(poll_s=0.05)


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _inputs(root: Path, n: int = 4) -> Path:
    """n corpus articles in a JSONL, one of them again as a .txt, and an empty file."""
    src = root / "in"
    src.mkdir()
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines()[:n]]
    (src / "news.jsonl").write_text(
        "".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows)
    )
    (src / "again.txt").write_text(rows[0]["text"])
    (src / "empty.txt").write_text("   \n")
    return src


def _outcome(out: Path) -> dict[str, Any]:
    """What a run wrote, less what differs between any two runs (latency and time of writing)."""
    briefs = {}
    for line in _lines(out / "briefs.jsonl"):
        own = json.loads((out / line["output"]).read_text())
        for brief in (line["brief"], own):
            del brief["metadata"]["latency_s"], brief["metadata"]["created_at"]
        assert own == line["brief"], "the per-article file is the briefs.jsonl line"
        briefs[line["source"]] = line["brief"]
    errors = {e["source"]: (e["kind"], e["status"]) for e in _lines(out / "errors.jsonl")}
    return {"briefs": briefs, "errors": errors}


def _request_lines(out: Path) -> list[dict[str, Any]]:
    folder = out / ".summarizer" / "batch"
    state = load_state(out)
    assert state is not None
    return [line for record in state.batches for line in _lines(folder / record.file)]


def _batch_run(stub: RunningBatchStub, src: Path, out: Path, **options: Any) -> int:
    batch = BatchOptions(**{"poll_s": 0.05, **options})
    return run_sync(RunOptions(paths=[str(src)], out=out, quiet=True, batch=batch), stub.settings())


def test_a_batch_run_writes_exactly_what_a_live_run_writes(tmp_path):
    src = _inputs(tmp_path)
    with batch_stub(BatchStubConfig(processing_s=0.2)) as stub:
        live = run_sync(RunOptions(paths=[str(src)], out=tmp_path / "live", quiet=True), stub.settings())
        live_requests = stub.state.requests
        batched = _batch_run(stub, src, tmp_path / "batch")
        assert stub.state.requests == live_requests, "every request was answered by the batch"
        assert stub.batch.created == 1
    assert live == batched == 1  # the empty file fails both runs the same way
    want, got = _outcome(tmp_path / "live"), _outcome(tmp_path / "batch")
    assert got == want
    assert len(got["briefs"]) == 5 and list(got["errors"].values()) == [("input", "failed")]
    lines = _request_lines(tmp_path / "batch")
    assert len(lines) == 4, "again.txt is news.jsonl's first article: one request for both"
    assert all(line["method"] == "POST" and line["url"] == "/v1/chat/completions" for line in lines)
    assert {line["body"]["model"] for line in lines} == {"stub"}
    assert all(
        {"messages", "response_format", "temperature", "max_tokens"} <= set(line["body"]) for line in lines
    )


def test_custom_ids_are_valid_unique_and_stable_across_runs(tmp_path):
    src = _inputs(tmp_path)
    with batch_stub() as stub:
        _batch_run(stub, src, tmp_path / "a")
        _batch_run(stub, src, tmp_path / "b")
    first = [line["custom_id"] for line in _request_lines(tmp_path / "a")]
    second = [line["custom_id"] for line in _request_lines(tmp_path / "b")]
    assert all(CUSTOM_ID.match(cid) for cid in first)
    assert len(set(first)) == len(first) == 4
    assert sorted(first) == sorted(second)


def test_a_batch_that_expires_half_done_leaves_the_rest_to_the_live_path_once_each(tmp_path):
    src = _inputs(tmp_path, n=6)
    with batch_stub(BatchStubConfig(processing_s=0.3, expire_after=0.5)) as stub:
        code = _batch_run(stub, src, tmp_path / "out")
        assert stub.state.requests == 3, "6 requests, 3 done before the batch expired: 3 go live"
    state = load_state(tmp_path / "out")
    assert state is not None and [b.status for b in state.batches] == ["expired"]
    errors = _lines(tmp_path / "out" / ".summarizer" / "batch" / str(state.batches[0].errors))
    assert [e["error"]["code"] for e in errors] == ["batch_expired"] * 3
    assert code == 1  # the empty file
    outcome = _outcome(tmp_path / "out")
    briefs = _lines(tmp_path / "out" / "briefs.jsonl")
    assert len(briefs) == len({b["source"] for b in briefs}) == 7
    assert len(outcome["errors"]) == 1


def test_batch_retries_send_what_expired_to_a_second_batch_before_going_live(tmp_path):
    src = _inputs(tmp_path, n=4)
    with batch_stub(BatchStubConfig(processing_s=0.2, expire_after=0.5)) as stub:
        _batch_run(stub, src, tmp_path / "out", retries=1)
        assert stub.batch.created == 2
        assert stub.state.requests == 1, "4 requests: 2 in the first batch, 1 in the second, 1 live"
    assert len(_lines(tmp_path / "out" / "briefs.jsonl")) == 5


def test_an_errored_line_goes_through_the_live_path(tmp_path):
    src = _inputs(tmp_path)
    with batch_stub(BatchStubConfig(error_lines=frozenset({1}))) as stub:
        _batch_run(stub, src, tmp_path / "out")
        assert stub.state.requests == 1
        sent_live = stub.state.bodies[0]
    failed = next(line for n, line in enumerate(_request_lines(tmp_path / "out")) if n == 1)
    assert sent_live == failed["body"], "the live request is the one the batch line failed"
    assert len(_lines(tmp_path / "out" / "briefs.jsonl")) == 5


def test_request_files_split_at_the_line_and_byte_limits(tmp_path):
    src = _inputs(tmp_path, n=5)
    with batch_stub() as stub:
        _batch_run(stub, src, tmp_path / "lines", max_requests=2)
        assert stub.batch.created == 3
        one_line = max(
            len(json.dumps(line, ensure_ascii=False)) + 1 for line in _request_lines(tmp_path / "lines")
        )
        _batch_run(stub, src, tmp_path / "bytes", max_bytes=one_line + 10)
        assert stub.batch.created == 3 + 5
        assert stub.state.requests == 0
    for out, sizes in ((tmp_path / "lines", [2, 2, 1]), (tmp_path / "bytes", [1] * 5)):
        state = load_state(out)
        assert state is not None
        assert [b.requests for b in state.batches] == sizes
        assert len(_lines(out / "briefs.jsonl")) == 6


def _cli_env(stub: RunningBatchStub) -> dict[str, str]:
    return {
        **os.environ,
        "SUMMARIZER_MODEL": "openai/stub",
        "SUMMARIZER_API_BASE": stub.api_base,
        "SUMMARIZER_API_KEY": "stub-key-0000",
        "SUMMARIZER_TIMEOUT": "5",
    }


def _start_and_kill(stub: RunningBatchStub, src: Path, out: Path) -> None:
    """A CLI batch run killed with SIGKILL once its batch id is saved."""
    command = [
        sys.executable,
        "-m",
        "summarizer",
        "run",
        str(src),
        "-o",
        str(out),
        "--batch",
        "--batch-poll",
        "0.1",
    ]
    proc = subprocess.Popen(command, env=_cli_env(stub), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            state = load_state(out) if (out / ".summarizer" / "batch" / "state.json").exists() else None
            if state is not None and state.batches and all(b.batch_id for b in state.batches):
                break
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.05)
        else:
            pytest.fail("the batch id never reached the batch state")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_a_run_killed_after_submitting_resumes_the_same_batch(tmp_path):
    src, out = _inputs(tmp_path), tmp_path / "out"
    with batch_stub(BatchStubConfig(processing_s=2.0)) as stub:
        _start_and_kill(stub, src, out)
        assert stub.batch.created == 1
        assert _lines(out / "briefs.jsonl") == []
        code = run_sync(RunOptions(paths=[str(src)], out=out, quiet=True, batch=FAST), stub.settings())
        assert stub.batch.created == 1 and stub.batch.uploads == 1, "nothing submitted twice"
        assert stub.state.requests == 0
    assert code == 1
    briefs = _lines(out / "briefs.jsonl")
    assert len(briefs) == len({b["source"] for b in briefs}) == 5
    assert len(_lines(out / "errors.jsonl")) == 1


def test_status_and_cancel_commands_and_a_rerun_after_cancel(tmp_path, monkeypatch):
    src, out = _inputs(tmp_path), tmp_path / "out"
    with batch_stub(BatchStubConfig(processing_s=60)) as stub:
        _start_and_kill(stub, src, out)
        for name, value in _cli_env(stub).items():
            monkeypatch.setenv(name, value)
        status = CLI.invoke(app, ["batch", "status", str(out)])
        assert status.exit_code == 0, status.output
        assert re.search(r"batch_stub00000\s+in_progress\s+\d+ completed, 0 failed of 4", status.stdout)
        cancel = CLI.invoke(app, ["batch", "cancel", str(out)])
        assert cancel.exit_code == 0, cancel.output
        assert stub.batch.cancels == 1 and "cancelling" in cancel.stdout
        status = CLI.invoke(app, ["batch", "status", str(out)])
        assert "batch_stub00000  cancelled" in status.stdout
        code = run_sync(RunOptions(paths=[str(src)], out=out, quiet=True, batch=FAST), stub.settings())
        assert stub.batch.created == 1
        assert stub.state.requests == 4, "the cancelled batch did nothing: all four go live"
    assert code == 1 and len(_lines(out / "briefs.jsonl")) == 5


def test_status_of_a_folder_without_batches_is_a_usage_error(tmp_path):
    result = CLI.invoke(app, ["batch", "status", str(tmp_path)])
    assert result.exit_code == 2 and "no provider batches" in result.output


def test_the_embedded_model_has_no_batch_api_a_usage_error_at_once(tmp_path):
    src = _inputs(tmp_path)
    started = time.monotonic()
    result = CLI.invoke(app, ["run", str(src), "-o", str(tmp_path / "out"), "--batch"])
    assert result.exit_code == 2
    assert "embedded model has no batch API" in result.output and "SUMMARIZER_MODEL" in result.output
    assert time.monotonic() - started < 30 and not (tmp_path / "out").exists()
    with pytest.raises(UsageError):
        run_sync(RunOptions(paths=[str(src)], out=tmp_path / "out", batch=FAST), Settings())


def test_keys_go_only_where_they_belong_and_never_into_the_batch_state(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-must-not-leak-1234567890")
    src = _inputs(tmp_path)
    with batch_stub() as stub:
        _batch_run(stub, src, tmp_path / "out")
        headers = stub.batch.auth_headers
    assert headers and set(headers) == {"Bearer stub-key-0000"}
    for path in (tmp_path / "out" / ".summarizer").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "stub-key-0000" not in text and "must-not-leak" not in text, path


def _dry_run(tmp_path: Path, model: str) -> str:
    (root := tmp_path / model.replace("/", "_")).mkdir()
    src = _inputs(root)
    result = CLI.invoke(app, ["run", str(src), "--dry-run", "--batch", "--model", model])
    assert result.exit_code == 0, result.output
    return result.stderr


def test_dry_run_shows_the_batch_price_next_to_the_live_price(tmp_path):
    from summarizer.backends._litellm import litellm

    prices = litellm().model_cost["gpt-4o-mini"]
    text = _dry_run(tmp_path, "gpt-4o-mini")
    tokens_in, tokens_out = (int(t.replace(",", "")) for t in re.findall(r"~([\d,]+) (?:in|out)", text)[-2:])
    live = float(re.search(r"estimated cost \$([\d.]+)", text).group(1))
    batch = float(re.search(r"with --batch \$([\d.]+) \(litellm batch prices\)", text).group(1))
    assert live == pytest.approx(
        tokens_in * prices["input_cost_per_token"] + tokens_out * prices["output_cost_per_token"], abs=1e-4
    )
    assert batch == pytest.approx(
        tokens_in * prices["input_cost_per_token_batches"]
        + tokens_out * prices["output_cost_per_token_batches"],
        abs=1e-4,
    )
    assert batch < live


def test_dry_run_without_batch_prices_in_the_cost_map_says_it_assumes_half(tmp_path):
    from summarizer.backends._litellm import litellm

    costs = litellm().model_cost
    model = next(
        name
        for name, info in costs.items()
        if name.startswith("gpt-")
        and info.get("mode") == "chat"
        and info.get("input_cost_per_token")
        and "input_cost_per_token_batches" not in info
    )
    text = _dry_run(tmp_path, model)
    live = float(re.search(r"estimated cost \$([\d.]+)", text).group(1))
    batch = float(re.search(r"with --batch \$([\d.]+) \(half the live price\)", text).group(1))
    assert batch == pytest.approx(live / 2, abs=1e-4)


def test_a_batch_created_but_not_yet_recorded_is_found_not_created_again(tmp_path):
    """A kill between the provider creating a batch and the state saving its id: the re-run finds
    the batch made from the uploaded file instead of submitting a second one."""
    from summarizer.batch.provider_batch import save_state

    src, out = _inputs(tmp_path), tmp_path / "out"
    with batch_stub() as stub:
        _batch_run(stub, src, out)
        state = load_state(out)
        assert state is not None and stub.batch.created == 1
        for record in state.batches:
            record.batch_id, record.status, record.settled, record.output = None, None, False, None
        state.applied = False
        save_state(out, state)
        _batch_run(stub, src, out)  # everything is done: only the batch lookup is exercised
        assert stub.batch.created == 1 and stub.batch.uploads == 1
    state = load_state(out)
    assert state is not None and [b.batch_id for b in state.batches] == ["batch_stub00000"]


def test_a_status_poll_that_fails_for_a_while_is_retried_not_fatal(tmp_path):
    src = _inputs(tmp_path)
    with batch_stub(BatchStubConfig(unavailable=2)) as stub:
        code = run_sync(
            RunOptions(paths=[str(src)], out=tmp_path / "out", quiet=True, batch=FAST),
            stub.settings(max_attempts=3),
        )
        assert stub.batch.polls >= 3 and stub.state.requests == 0
    assert code == 1 and len(_lines(tmp_path / "out" / "briefs.jsonl")) == 5


@pytest.mark.parametrize("tty", [True, False])
def test_the_polling_progress_shows_each_batch_state_on_stderr(tty, monkeypatch, capsys):
    from summarizer.batch.provider_batch import BatchRecord, _poll_progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    records = [BatchRecord(round=0, file="r0-000.jsonl", requests=4, bytes=100, batch_id="batch_a")]
    with _poll_progress(quiet=False) as show:
        show(records)  # before the provider has counted anything
        records[0].status, records[0].counts = "in_progress", {"total": 4, "completed": 3, "failed": 1}
        show(records)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "in_progress" in captured.err and "4/4" in captured.err


def test_an_invalid_batch_answer_is_re_asked_live_as_a_live_run_re_asks_it(tmp_path):
    """The batch answers one article with JSON that is not a brief: instructor's re-ask (with the
    invalid answer and the validation error) goes live, and the brief is the one a live run writes
    when its first answer is the same invalid JSON."""
    from summarizer.testing.stub_server import StubConfig, stub_server

    src = tmp_path / "in"
    src.mkdir()
    row = json.loads(CORPUS.read_text().splitlines()[0])
    (src / "one.txt").write_text(row["text"])
    with stub_server(StubConfig(script=["not-schema"])) as live_stub:
        assert (
            run_sync(RunOptions(paths=[str(src)], out=tmp_path / "live", quiet=True), live_stub.settings())
            == 0
        )
        assert live_stub.state.requests == 2
    with batch_stub(BatchStubConfig(not_schema_lines=frozenset({0}))) as stub:
        assert _batch_run(stub, src, tmp_path / "batch") == 0
        assert stub.state.requests == 1, "only the re-ask is sent live"
        reask = json.dumps(stub.state.bodies[0]["messages"])
    assert "this is not a brief" in reask
    assert _outcome(tmp_path / "batch") == _outcome(tmp_path / "live")
    (brief,) = _outcome(tmp_path / "batch")["briefs"].values()
    assert brief["metadata"]["attempts"] == 2


def test_a_run_stopped_by_a_configuration_error_reapplies_its_batch_instead_of_paying_again(tmp_path):
    """The errored line's live retry gets a 401: the run stops. The re-run (key fixed) uses the
    downloaded answers again; nothing is uploaded or submitted twice."""
    from summarizer.errors import SummarizerError
    from summarizer.testing.stub_server import StubConfig

    src, out = _inputs(tmp_path), tmp_path / "out"
    with batch_stub(BatchStubConfig(error_lines=frozenset({1})), chat=StubConfig(script=["401"])) as stub:
        with pytest.raises(SummarizerError):
            _batch_run(stub, src, out)
        state = load_state(out)
        assert state is not None and not state.applied, "a stopped run did not use its answers"
        assert _batch_run(stub, src, out) == 1  # the empty file
        assert stub.batch.created == 1 and stub.batch.uploads == 1, "nothing paid for twice"
        assert stub.state.requests == 2, "only the errored line went live, once per run"
    state = load_state(out)
    assert state is not None and state.applied
    briefs = _lines(out / "briefs.jsonl")
    assert len({b["source"] for b in briefs}) == 5


def test_after_batch_cancel_a_run_with_another_model_starts_afresh(tmp_path, monkeypatch):
    src, out = _inputs(tmp_path), tmp_path / "out"
    with batch_stub(BatchStubConfig(processing_s=60)) as stub:
        _start_and_kill(stub, src, out)
        for name, value in _cli_env(stub).items():
            monkeypatch.setenv(name, value)
        cancel = CLI.invoke(app, ["batch", "cancel", str(out)])
        assert cancel.exit_code == 0, cancel.output
        state = load_state(out)
        assert state is not None and all(b.settled for b in state.batches)
        with batch_stub(BatchStubConfig()) as other:
            settings = other.settings(model="openai/other")
            options = RunOptions(paths=[str(src)], out=out, quiet=True, batch=FAST)
            assert run_sync(options, settings) == 1  # the empty file
            assert other.batch.created == 1
    state = load_state(out)
    assert state is not None and state.model == "openai/other"


def test_a_batch_created_but_not_recorded_is_found_past_the_first_page_of_the_list(tmp_path):
    """150 newer batches (another run's) since the kill: the lookup pages through the list."""
    from summarizer.batch.provider_batch import save_state
    from summarizer.testing.batch_stub import _Batch

    src, out = _inputs(tmp_path), tmp_path / "out"
    with batch_stub() as stub:
        _batch_run(stub, src, out)
        state = load_state(out)
        assert state is not None and stub.batch.created == 1
        for record in state.batches:
            record.batch_id, record.status, record.settled, record.output = None, None, False, None
        state.applied = False
        save_state(out, state)
        with stub.batch.lock:
            for n in range(150):
                record = {"id": f"batch_other{n:05d}", "object": "batch", "input_file_id": f"file-x{n}",
                          "endpoint": "/v1/chat/completions", "status": "completed",
                          "request_counts": {"total": 0, "completed": 0, "failed": 0}}  # fmt: skip
                stub.batch.batches[record["id"]] = _Batch(record, [], time.time())
                stub.batch.batches[record["id"]].ready.set()
        _batch_run(stub, src, out)
        assert stub.batch.created == 1 and stub.batch.uploads == 1
    state = load_state(out)
    assert state is not None and [b.batch_id for b in state.batches] == ["batch_stub00000"]
