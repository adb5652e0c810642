"""The command line end to end, on replayed model traffic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.brief.grounding import locate
from summarizer.cli import app
from summarizer.models import Brief
from tests.fixture_articles import SEED
from tests.helpers import CASSETTE_DIR, ROOT, cassette, replay_env

runner = CliRunner()


def test_brief_prints_a_grounded_json_brief(monkeypatch):
    replay_env(monkeypatch)
    with cassette("seed"):
        result = runner.invoke(app, ["brief", str(SEED)])
    assert result.exit_code == 0, result.output
    brief = Brief.model_validate_json(result.stdout)
    text = SEED.read_text()
    assert brief.key_developments
    assert all(locate(d.evidence, text) for d in brief.key_developments)
    assert brief.metadata.source == str(SEED)


def test_brief_reads_stdin(monkeypatch):
    replay_env(monkeypatch)
    with cassette("seed"):
        result = runner.invoke(app, ["brief", "-"], input=SEED.read_bytes())
    assert result.exit_code == 0, result.output
    assert Brief.model_validate_json(result.stdout).metadata.source == "<stdin>"


def test_brief_as_markdown(monkeypatch):
    replay_env(monkeypatch)
    with cassette("seed"):
        result = runner.invoke(app, ["brief", str(SEED), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# ")
    assert "## Key developments" in result.stdout and "\n  > " in result.stdout


@pytest.mark.skipif(not (CASSETTE_DIR / "sample-md.yaml").exists(), reason="cassettes not recorded yet")
def test_readme_main_command_briefs_every_seed(monkeypatch, tmp_path):
    """`summarizer run seeds -o briefs --format markdown`, as `make briefs` runs it, replayed."""
    replay_env(monkeypatch)
    seeds = ROOT / "seeds"
    out = tmp_path / "briefs"
    with cassette("seed", "mixed-html", "sample-md"):
        result = runner.invoke(app, ["run", str(seeds), "-o", str(out), "--format", "markdown", "--quiet"])
    assert result.exit_code == 0, result.output
    inputs = sorted(p.name for p in seeds.iterdir())
    lines = [json.loads(line) for line in (out / "briefs.jsonl").read_text().splitlines()]
    assert sorted(Path(line["source"]).name for line in lines) == inputs
    for path in seeds.iterdir():
        brief = Brief.model_validate_json((out / path.with_suffix(".json").name).read_text())
        assert brief.key_developments and brief.headline.strip()
        assert (out / path.with_suffix(".md").name).read_text().startswith("# ")
    assert not (out / "errors.jsonl").exists() or not (out / "errors.jsonl").read_text().strip()
    index = (out / "index.md").read_text()
    assert all(f"## [{line['brief']['headline']}]" in index for line in lines)


def test_schema_command_prints_the_published_schema():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads((ROOT / "schemas" / "brief.schema.json").read_text())


@pytest.mark.parametrize(
    "make,expected",
    [
        (lambda p: p / "missing.txt", "no such file"),
        (lambda p: (p / "empty.txt").write_text("  \n\t\n") and p / "empty.txt", "empty article"),
        (lambda p: (p / "blob.txt").write_bytes(b"\x7fELF\x00\x01\x02" * 50) and p / "blob.txt", "binary"),
        (lambda p: (p / "deck.pptx").write_bytes(b"PK") and p / "deck.pptx", "unsupported format"),
    ],
    ids=["missing", "whitespace", "binary", "unsupported"],
)
def test_bad_input_is_one_clear_line_and_a_nonzero_exit(tmp_path, make, expected):
    path = make(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "summarizer.cli", "brief", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in proc.stderr


def test_help_lists_the_commands():
    proc = subprocess.run(
        [sys.executable, "-m", "summarizer.cli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    for command in ("brief", "run", "schema", "eval"):
        assert command in proc.stdout


def test_help_does_not_import_the_model_stack():
    code = "import sys; from summarizer.cli import app; print(sorted(m for m in ('litellm','instructor','openai','pydantic') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]"


HOSTILE = (
    "Fire crews <img src=x onerror=alert(1)> said [click](javascript:alert(1)) the blaze was out.",
    "Title line\n# Injected heading\n<script>alert(2)</script>",
)


def _hostile_brief(evidence: str) -> Brief:
    item = {"evidence": evidence, "what": "[x](javascript:alert(3))", "where": "<b>here</b>"}
    return Brief.model_validate(
        {
            "headline": "Head <img src=y onerror=alert(4)>",
            "summary": "Sum\n\n# Also injected",
            "key_developments": [item],
            "stated_positions": [
                {"quote": evidence, "actor": "<i>Mayor</i>", "role": "*x*", "stance": "`code` &lt;b&gt;"}
            ],
            "warnings": [{"evidence": evidence, "issued_by": "A\n- list", "about": "<iframe>"}],
            "metadata": {
                "model": "m",
                "prompt_version": "p",
                "article_sha256": "0",
                "attempts": 1,
                "latency_s": 1,
            },
        }
    )


def test_markdown_output_escapes_article_text():
    """--format markdown and Accept: text/markdown copy article text: it must stay text when the
    Markdown is rendered (a real CommonMark renderer with raw HTML allowed, as a viewer would)."""
    from markdown_it import MarkdownIt

    from summarizer.brief.render import brief_markdown, digest_entry

    evidence, title = HOSTILE
    text = brief_markdown(_hostile_brief(evidence), title=title, article=evidence)
    text += digest_entry("a<b>.txt", "out/a b.md", _hostile_brief(evidence))
    html = MarkdownIt("commonmark", {"html": True}).render(text)
    assert "<img" not in html and "<script" not in html and "<iframe" not in html and "<b>" not in html
    assert "<i>" not in html and "javascript:" not in html.replace("](javascript:", "")
    assert 'href="javascript' not in html
    assert html.count("<h1>") == 1 and "<h2>" in html  # the brief's own headings only
    assert "Injected heading" in html and "&lt;img src=x onerror=alert(1)&gt;" in html  # shown as text
    assert "&amp;lt;b&amp;gt;" in html  # an entity in the article stays the characters it was


def test_a_run_logs_no_library_chatter_unless_verbose(tmp_path):
    """httpx's line per request and trafilatura's "discarding data" are for -v, not every run."""
    import os

    from summarizer.testing.stub_server import stub_server

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(SEED.read_text())
    (src / "empty.html").write_text("<html><body></body></html>")
    with stub_server() as stub:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUMMARIZER_")}
        env.update(
            SUMMARIZER_MODEL="openai/stub", SUMMARIZER_API_BASE=stub.api_base, SUMMARIZER_API_KEY="k" * 8
        )
        outputs = {}
        for flag in ([], ["-vv"]):
            command = [
                sys.executable,
                "-m",
                "summarizer",
                "run",
                str(src),
                "-o",
                str(tmp_path / f"o{len(flag)}"),
                "-q",
            ]
            done = subprocess.run(command + flag, env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 1, done.stderr  # empty.html has no text
            outputs[bool(flag)] = done.stderr
    assert "httpx" not in outputs[False] and "discarding data" not in outputs[False]
    assert "HTTP Request: POST" in outputs[True], "with -vv the libraries speak"


def test_the_installs_upgrade_pip_before_installing():
    """pip < 24 prints "lxml ... does not provide the extra 'html_clean'" on every install
    (justext asks for lxml[html_clean]; lxml names the extra html-clean): both installs take a
    pip that normalises extra names first."""
    make = (ROOT / "Makefile").read_text()
    for target in ("$(VENV)/.dev:", "$(VENV)/.local:"):
        recipe = make.split(target, 1)[1].split("\n\n", 1)[0].splitlines()[1:]
        assert recipe[0].strip() == "$(PIP) 'pip>=24.0'", recipe
        assert "-c $(LOCK)" in recipe[1]


def test_the_readme_describes_the_seeds_as_they_are_and_quotes_no_stale_timing():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    page = (ROOT / "seeds" / "001_a34_bus_crash.html").read_text(encoding="utf-8")
    publisher = page.split("<title>", 1)[1].split("</title>", 1)[0].rsplit("|", 1)[1].strip()
    assert publisher == "Example News" and f'"{publisher}" page' in readme
    assert "BBC" not in readme
    assert "measured before this round" not in readme, "a figure the README itself calls stale"
