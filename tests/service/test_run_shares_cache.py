"""``summarizer run --database-url``: the run and the service answer from one brief cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from summarizer.batch import RunOptions, run_sync
from tests.service.support import article, model_settings


def _run(folder: Path, out: Path, database_url: str, stub: Any) -> list[dict[str, Any]]:
    options = RunOptions(paths=[str(folder)], out=out, quiet=True, database_url=database_url)
    assert run_sync(options, model_settings(stub)) == 0
    return [json.loads(line) for line in (out / "briefs.jsonl").read_text().splitlines()]


def test_run_and_service_share_briefs_through_the_store(make_client: Any, stub: Any, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'service.db'}"
    client = make_client(database_url=database_url)
    assert client.post("/v1/briefs", json={"text": article(1)}).headers["x-summarizer-cache"] == "miss"
    assert stub.state.requests == 1

    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "one.json").write_text(json.dumps({"text": article(1)}))  # what the service briefed
    (folder / "two.json").write_text(json.dumps({"text": article(2)}))  # new
    briefs = _run(folder, tmp_path / "out", database_url, stub)
    assert sorted(b["source"].rsplit("/", 1)[-1] for b in briefs) == ["one.json", "two.json"]
    assert stub.state.requests == 2  # only the new article went to the model

    again = client.post("/v1/briefs", json={"text": article(2)})  # briefed by the run
    assert again.headers["x-summarizer-cache"] == "hit"
    assert stub.state.requests == 2


def test_without_the_option_the_run_keeps_to_its_own_folder(
    make_client: Any, stub: Any, tmp_path: Path
) -> None:
    client = make_client()
    client.post("/v1/briefs", json={"text": article(3)})
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "three.json").write_text(json.dumps({"text": article(3)}))
    assert (
        run_sync(RunOptions(paths=[str(folder)], out=tmp_path / "out", quiet=True), model_settings(stub)) == 0
    )
    assert stub.state.requests == 2
