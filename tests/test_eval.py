"""`summarizer eval` end to end on replayed traffic: report files, figures, reuse of briefs."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.eval import lead3, rouge
from tests.fixture_articles import CORPUS
from tests.helpers import CASSETTE_DIR, cassette, replay_env

runner = CliRunner()
ROWS = [json.loads(line) for line in CORPUS.read_text().splitlines()[:3]]
NAMES = [f"corpus-{row['id']}" for row in ROWS]


@pytest.mark.skipif(
    not all((CASSETTE_DIR / f"{n}.yaml").exists() for n in NAMES), reason="cassettes not recorded"
)
def test_eval_reports_validity_grounding_and_rouge_then_reuses_its_briefs(monkeypatch, tmp_path):
    replay_env(monkeypatch)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    out = tmp_path / "eval"
    with cassette(*NAMES):
        result = runner.invoke(app, ["eval", str(corpus), "-o", str(out)])
    assert result.exit_code == 0, result.output

    report = json.loads((out / "report.json").read_text())
    overall, articles = report["overall"], report["articles"]
    assert [a["id"] for a in articles] == [row["id"] for row in ROWS]
    assert overall["schema_valid_rate"] == 1.0
    assert overall["grounded_after_drop"] == 1.0  # after dropping, every kept span is in the article
    assert overall["items_per_brief"] >= 1
    for row, record in zip(ROWS, articles):
        # lead-3 is computed here independently of the report, on the same references
        assert record["lead3"] == pytest.approx(rouge(lead3(row["text"]), row["references"]))
        assert 0 < record["rouge"]["rougeL"] <= 100
        assert record["prompt_tokens"] > 0 and record["completion_tokens"] > 0
    assert overall["lead3_rougeL"] == pytest.approx(sum(a["lead3"]["rougeL"] for a in articles) / 3, abs=1e-3)
    assert "| ROUGE-L |" in (out / "report.md").read_text()
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # A second run reuses the stored briefs: no cassette is active, so a request would go to
    # the replay address, where nothing listens (one attempt, then an error record).
    monkeypatch.setenv("SUMMARIZER_MAX_ATTEMPTS", "1")
    again = runner.invoke(app, ["eval", str(corpus), "-o", str(out)])
    assert again.exit_code == 0, again.output
    assert all(a["reused"] and a["valid"] for a in json.loads((out / "report.json").read_text())["articles"])
