"""Issue 10, items 1-6: every input ends as a brief or an error record, exactly once, in its own
file, whatever the disk, the input files or a second run do; each test failed on the old runner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.batch import RunOptions, UsageError, run_sync
from summarizer.batch.inputs import decode, read_article, read_jsonl
from summarizer.batch.lock import locked
from summarizer.batch.store import BALLAST_BYTES, OutputStore
from summarizer.cli import app
from summarizer.eval.evaluate import _stored, brief_path
from summarizer.eval.metrics import Row
from summarizer.models import Brief
from summarizer.testing.stub_server import StubConfig, stub_server
from tests.helpers import assert_exact_for

ARTICLE = (
    "The council voted on Tuesday to close the old library. Mayor Ana Ruiz said the building was unsafe."
)


def _lines(path: Path) -> list[dict]:
    return (
        [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        if path.exists()
        else []
    )


def _outcomes(out: Path) -> tuple[list[dict], list[dict]]:
    return _lines(out / "briefs.jsonl"), _lines(out / "errors.jsonl")


def _accounted_once(out: Path, expected: set[str]) -> tuple[list[dict], list[dict]]:
    briefs, errors = _outcomes(out)
    counts = Counter([b["source"] for b in briefs] + [e["source"] for e in errors])
    assert [s for s, n in counts.items() if n > 1] == [], "an input recorded twice"
    assert set(counts) == expected, f"missing {expected - set(counts)}, unexpected {set(counts) - expected}"
    return briefs, errors


def _articles(folder: Path, n: int, words: int = 12) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        body = " ".join(f"word{i}x{j}" for j in range(words))
        (path := folder / f"{i:03d}.txt").write_text(
            f"Report {i}: the council met. {body}. The mayor spoke on Monday."
        )
        paths.append(path)
    return paths


def _run(paths: list[Path | str], out: Path, stub, **kw) -> int:
    return run_sync(RunOptions(paths=[str(p) for p in paths], out=out, quiet=True, **kw), stub.settings())


# -- 1. an output that cannot be written ---------------------------------------------------------


def test_a_folder_in_the_way_of_an_output_is_an_error_record_and_exit_1(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    a, b = _articles(src, 2)
    (out / "000.json").mkdir(parents=True)  # where a's brief would go
    with stub_server() as stub:
        assert _run([src], out, stub) == 1
    briefs, errors = _accounted_once(out, {str(a), str(b)})
    assert [b["source"] for b in briefs] == [str(b)]
    (error,) = errors
    assert (
        error["kind"] == "write" and "a folder is in the way" in error["reason"] and str(a) in error["reason"]
    )


def test_a_crash_inside_the_runner_still_leaves_a_record(tmp_path, monkeypatch):
    """The task's exception used to vanish in asyncio.wait ("Task exception was never retrieved")."""
    src, out = tmp_path / "in", tmp_path / "out"
    a, b = _articles(src, 2)
    real = OutputStore.output_for

    def flaky(self, item):
        if item.source == str(a):
            raise RuntimeError("boom")
        return real(self, item)

    monkeypatch.setattr(OutputStore, "output_for", flaky)
    with stub_server() as stub:
        assert _run([src], out, stub) == 1
    _, errors = _accounted_once(out, {str(a), str(b)})
    assert errors[0]["kind"] == "internal" and "RuntimeError: boom" in errors[0]["reason"]


def test_a_jsonl_id_of_200_cjk_characters_gets_a_name_the_file_system_takes(tmp_path):
    ident = "新闻" * 100  # 200 characters, 600 bytes in UTF-8: over the 255-byte name limit
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"id": ident, "text": ARTICLE}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    with stub_server() as stub:
        assert _run([batch], out, stub) == 0
    (brief,) = _outcomes(out)[0]
    name = Path(brief["output"]).name
    assert len(name.encode()) <= 255 and name.startswith("新闻") and (out / brief["output"]).is_file()


@pytest.fixture
def small_disk(tmp_path):
    """A real 4 MiB tmpfs as OUT (root only), most of it taken by a file that can be freed."""
    out = tmp_path / "out"
    out.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(out)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    filler = tmp_path / "filler"
    filler.mkdir()
    try:
        subprocess.run(["mount", "--bind", str(out), str(filler)], check=True)  # the filler lives outside OUT
        stats = os.statvfs(out)
        room = 256 * 1024 + BALLAST_BYTES  # what the run may fill: a few dozen briefs, and its ballast
        (filler / "filler.bin").write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - room))
        yield out, filler / "filler.bin"
    finally:
        subprocess.run(["umount", str(filler)], capture_output=True)
        subprocess.run(["umount", str(out)], capture_output=True)


def test_a_full_disk_ends_with_records_for_what_fit_and_a_rerun_completes(tmp_path, small_disk):
    out, filler = small_disk
    paths = _articles(tmp_path / "in", 80)
    expected = {str(p) for p in paths}
    with stub_server() as stub:
        assert _run([tmp_path / "in"], out, stub) == 1
        briefs, errors = _accounted_once(out, expected)
        assert briefs and errors, "the disk must fill mid-run for this test to mean anything"
        assert {e["kind"] for e in errors} <= {"write", "stopped"}
        assert all("No space left on device" in e["reason"] or "no space left" in e["reason"] for e in errors)
        for b in briefs:  # what fit is whole
            assert Brief.model_validate_json((out / b["output"]).read_text()).metadata.source == b["source"]
        requests = stub.state.requests
        assert requests < len(paths), "after the disk filled, no more model calls were spent"

        filler.unlink()  # free the space
        assert _run([tmp_path / "in"], out, stub) == 0
        briefs, errors = _accounted_once(out, expected)
    assert errors == [] and len(briefs) == len(paths)
    for b in briefs:
        assert_exact_for(Brief.model_validate(b["brief"]), read_article(Path(b["source"])))


# -- 2. hostile JSONL lines ----------------------------------------------------------------------


def test_hostile_jsonl_lines_are_one_error_each_and_the_run_goes_on(tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "[" * 100_000 + "\n"  # RecursionError in json
        + '{"id": 1' + "0" * 5000 + ', "text": "x"}\n'  # ValueError: more digits than int() converts
        + json.dumps({"id": "good", "text": ARTICLE}) + "\n"
    )  # fmt: skip
    (deep := tmp_path / "deep.json").write_text("[" * 100_000)
    out = tmp_path / "out"
    with stub_server() as stub:
        assert _run([batch, deep], out, stub) == 1
        assert stub.state.requests == 1
    briefs, errors = _accounted_once(out, {f"{batch}:1", f"{batch}:2", f"{batch}:3", str(deep)})
    assert [b["source"] for b in briefs] == [f"{batch}:3"]
    for error in errors:
        assert error["kind"] == "input" and "invalid JSON" in error["reason"], error
        assert "unexpected" not in error["reason"]


def test_an_over_long_jsonl_line_is_refused_without_reading_it_whole(tmp_path):
    batch = tmp_path / "batch.jsonl"
    with batch.open("w") as handle:
        handle.write('{"id": "huge", "text": "' + "a" * 30_000_000 + '"}\n')
        handle.write(json.dumps({"id": "ok", "text": ARTICLE}) + "\n")
    tracemalloc.start()
    records = list(read_jsonl(batch, max_bytes=100_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5_000_000, f"peak {peak:,} bytes: the 30 MB line was held in memory"
    assert "over the 100,000-byte limit" in str(records[0].item)
    assert records[1].ident == "ok" and records[1].number == 2


# -- 4. resume keyed by content and id -----------------------------------------------------------


def _jsonl(path: Path, ids: list[str]) -> None:
    path.write_text(
        "".join(json.dumps({"id": i, "text": f"The {i} article. It is about {i} only."}) + "\n" for i in ids)
    )


def test_editing_a_jsonl_file_keeps_every_output_with_its_own_article(tmp_path):
    batch, out = tmp_path / "batch.jsonl", tmp_path / "out"
    _jsonl(batch, ["alpha", "beta", "gamma"])
    with stub_server() as stub:
        assert _run([batch], out, stub) == 0
        _jsonl(batch, ["delta", "alpha", "beta", "gamma"])  # a line inserted at the top
        assert _run([batch], out, stub) == 0
        assert stub.state.requests == 4, "only the new line is briefed"
        _jsonl(batch, ["delta", "alpha", "gamma"])  # a line deleted
        assert _run([batch], out, stub) == 0
        assert stub.state.requests == 4
    briefs, _ = _accounted_once(out, {f"{batch}:{n}" for n in (1, 2, 3)})
    for b in briefs:
        ident = Path(b["output"]).stem
        on_disk = Brief.model_validate_json((out / b["output"]).read_text())
        assert f"The {ident} article" in on_disk.headline, f"{b['output']} holds another article"
        line = int(b["source"].rsplit(":", 1)[1])
        assert json.loads(batch.read_text().splitlines()[line - 1])["id"] == ident
    assert "beta" not in {Path(b["output"]).stem for b in briefs}, "a deleted line is forgotten"


# -- 5. one run at a time per OUT; same-named inputs -----------------------------------------------


def test_a_second_run_into_the_same_out_is_refused_and_a_later_one_has_both(tmp_path):
    first, second, out = tmp_path / "x", tmp_path / "y", tmp_path / "out"
    _articles(first, 3)
    _articles(second, 3)  # the same names, other folders: 000.txt, 001.txt, 002.txt
    (second / "000.txt").write_text("Another report entirely. It is not the first one.")
    with stub_server(StubConfig(latency=0.4)) as stub:
        running = threading.Thread(target=_run, args=([first], out, stub), kwargs={"concurrency": 1})
        running.start()
        deadline = time.time() + 20
        while not (out / ".summarizer" / "lock").exists() and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        with pytest.raises(UsageError, match="another summarizer run"):
            _run([second], out, stub)
        running.join()
        assert _run([second], out, stub) == 0
    sources = {str(p) for p in [*first.iterdir(), *second.iterdir()]}
    briefs, errors = _accounted_once(out, sources)
    assert errors == [] and len({b["output"] for b in briefs}) == 6, "each input in its own file"
    for b in briefs:
        on_disk = Brief.model_validate_json((out / b["output"]).read_text())
        assert on_disk.metadata.source == b["source"]
        assert_exact_for(on_disk, read_article(Path(b["source"])))


def test_the_cli_exits_2_when_out_is_locked_or_a_file(tmp_path, monkeypatch):
    _articles(src := tmp_path / "in", 1)
    monkeypatch.setenv("SUMMARIZER_MODEL", "openai/stub")
    monkeypatch.setenv("SUMMARIZER_API_BASE", "http://127.0.0.1:9/v1")
    (out := tmp_path / "out").mkdir()
    with locked(out):
        result = CliRunner().invoke(app, ["run", str(src), "-o", str(out), "-q"])
    assert result.exit_code == 2 and "another summarizer run" in result.output
    (a_file := tmp_path / "out.txt").write_text("not a folder")
    result = CliRunner().invoke(app, ["run", str(src), "-o", str(a_file), "-q"])
    assert result.exit_code == 2 and "is a file" in result.output and "Traceback" not in result.output


def test_inputs_named_alike_in_different_folders_in_one_run_keep_separate_files(tmp_path):
    (x := tmp_path / "x").mkdir()
    (y := tmp_path / "y").mkdir()
    (x / "a.txt").write_text(ARTICLE)
    (y / "a.txt").write_text("A different story. Nothing like the first.")
    out = tmp_path / "out"
    with stub_server() as stub:
        assert _run([x / "a.txt", y / "a.txt"], out, stub) == 0
    briefs, _ = _accounted_once(out, {str(x / "a.txt"), str(y / "a.txt")})
    assert sorted(b["output"] for b in briefs) == ["a-2.json", "a.json"]


# -- 6. the smaller ones --------------------------------------------------------------------------


def test_one_stray_byte_in_utf8_is_marked_and_the_rest_stays_right():
    assert (
        decode("Zürich café: ".encode() + b"\xff" + " naïve.".encode(), "x") == "Zürich café: \ufffd naïve."
    )
    assert decode("Zürich café naïve".encode("cp1252"), "x") == "Zürich café naïve"  # still legacy


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_with_a_bom_are_read(encoding):
    text = "Zürich café. The council met."
    data = text.encode(encoding)
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = ("\ufeff" + text).encode(encoding)
    assert decode(data, "x") == text


def test_an_input_named_index_keeps_its_markdown_beside_the_digest(tmp_path):
    (src := tmp_path / "in").mkdir()
    (src / "index.txt").write_text(ARTICLE)
    out = tmp_path / "out"
    with stub_server() as stub:
        assert _run([src], out, stub, markdown=True) == 0
    (brief,) = _outcomes(out)[0]
    assert brief["output"] == "index-2.json" and (out / "index-2.md").read_text().startswith("# ")
    assert (out / "index.md").read_text().startswith("# Briefs")


def test_the_output_folder_inside_the_input_tree_is_not_read_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _articles(tmp_path / "news", 2)
    with stub_server() as stub:
        assert _run([Path(".")], Path("briefs"), stub) == 0
        assert _run([Path(".")], Path("briefs"), stub) == 0
    briefs, errors = _outcomes(Path("briefs"))
    assert len(briefs) == 2 and errors == []


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600)])
def test_outputs_follow_the_umask(tmp_path, umask, mode):
    from summarizer.batch import files

    files.file_mode.cache_clear()
    old = os.umask(umask)
    try:
        _articles(src := tmp_path / "in", 1)
        with stub_server() as stub:
            assert _run([src], tmp_path / "out", stub, markdown=True) == 0
    finally:
        os.umask(old)
        files.file_mode.cache_clear()
    for name in ("000.json", "000.md", "briefs.jsonl", "errors.jsonl", "index.md"):
        assert (tmp_path / "out" / name).stat().st_mode & 0o777 == mode, name


def test_a_torn_manifest_line_does_not_swallow_the_next_record(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    a, _ = _articles(src, 2)
    with stub_server() as stub:
        assert _run([a], out, stub) == 0
        with (out / ".summarizer" / "manifest.jsonl").open("a") as manifest:
            manifest.write('{"input": "torn by a kill", "sta')  # no newline: the process died here
        assert _run([src], out, stub) == 0 and stub.state.requests == 2
        assert _run([src], out, stub) == 0 and stub.state.requests == 2, (
            "the record after the torn line holds"
        )


def test_eval_keeps_briefs_of_ids_that_sanitise_alike_apart(tmp_path):
    assert brief_path(tmp_path, "a/b") != brief_path(tmp_path, "a_b")
    assert brief_path(tmp_path, "zhang23-1d6de9a1cfdc").name == "zhang23-1d6de9a1cfdc.json"
    stored = Path(__file__).parent.parent / "docs" / "eval" / "briefs" / "zhang23-1d6de9a1cfdc.json"
    if not stored.exists():
        pytest.skip("no stored eval brief to try")
    brief = Brief.model_validate_json(stored.read_text())
    path = tmp_path / "x.json"
    shutil.copy(stored, path)
    meta = brief.metadata
    row = Row(meta.source or "", "not the text it was briefed from")
    assert _stored(path, row, meta.model, meta.prompt_version) is None, (
        "another article's brief is not reused"
    )
    assert _stored(path, Row("another id", "x"), meta.model, meta.prompt_version) is None
