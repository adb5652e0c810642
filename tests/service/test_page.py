"""The page at GET /, in a real headless Chromium (Debian's build, driven by Playwright).

Skipped, saying why, only where Playwright or a Chromium binary is missing (.ci/run installs
both).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.support import article, model_settings, service_config, threaded_server

CHROMIUM = os.environ.get("SUMMARIZER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# The stub cites the first three sentences (the title line is the first): a long second one puts
# the third item's evidence below the fold of the article pane, so the page has to scroll to it.
LONG = " ".join(["the committee heard evidence from engineers, residents and the transport authority"] * 30)
XSS_ARTICLE = (
    "Council <script>window.__xss = 1</script> votes on bridge\n\n"
    'The city council said on Monday <img src=x onerror="window.__xss = 2"> that it would vote on the '
    f"bridge repairs after {LONG}. "
    "The mayor said on Tuesday that the budget had been agreed. "
    "Engineers warned on Wednesday that the bridge could close again. "
    "Residents said they were relieved."
)


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield launched
        finally:
            launched.close()


def _brief_done(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#brief-meta")).to_contain_text("items verified", timeout=20_000)


@pytest.fixture
def site(tmp_path: Path, stub: Any) -> Iterator[str]:
    from summarizer.service.app import create_app

    with threaded_server(create_app(service_config(tmp_path), model_settings(stub))) as base:
        yield base


def test_brief_appears_and_an_item_click_highlights_its_exact_evidence(browser: Any, site: str) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 640})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site + "/")
    page.fill("#article-input", XSS_ARTICLE)
    page.click("#brief-button")
    page.wait_for_selector("#brief:not([hidden]) .item", timeout=20_000)
    _brief_done(page)  # items stream in one by one; these checks are about the whole brief
    # The sentence that held the markup is briefed (its markup is not prose: never shown as an
    # element, never run; checked below).
    assert "The city council said on Monday" in page.inner_text("#brief")
    items = page.locator(".item")
    assert items.count() >= 3
    target = page.locator(".item[title^='The mayor said on Tuesday']").first
    evidence = target.get_attribute("title")
    assert evidence and evidence.startswith("The mayor said on Tuesday")
    target.click()
    mark = page.locator("mark#evidence")
    assert mark.inner_text() == evidence  # exactly the span the offsets point to
    assert page.evaluate("document.getElementById('article-pane').scrollTop") > 0
    in_view = mark.evaluate(
        "m => { const r = m.getBoundingClientRect(),"
        " p = document.getElementById('article-pane').getBoundingClientRect();"
        " return r.top >= p.top - 1 && r.bottom <= p.bottom + 1; }"
    )
    assert in_view, "the article pane did not scroll to the evidence"
    assert page.locator(".item.active").count() == 1
    # the article's markup is text, never executed
    assert page.evaluate("window.__xss") is None
    assert page.locator("#article-text script, #article-text img, #brief img, #brief script").count() == 0
    assert "<script>window.__xss = 1</script>" in page.inner_text("#article-text")
    assert not errors


def test_a_summary_sentence_highlights_the_article_sentences_behind_it(browser: Any, site: str) -> None:
    page = browser.new_page()
    page.goto(site + "/")
    page.fill("#article-input", article(8))
    page.click("#brief-button")
    page.wait_for_selector("#summary .sentence", timeout=20_000)
    page.locator("#summary .sentence").first.click()
    marks = page.locator("#article-text mark")
    assert marks.count() >= 1
    assert all(marks.nth(i).inner_text() in article(8) for i in range(marks.count()))
    assert page.locator("#summary .sentence.active").count() == 1


def test_an_uploaded_html_article_is_extracted_and_highlighted(
    browser: Any, site: str, tmp_path: Path
) -> None:
    paragraphs = "".join(f"<p>{sentence}.</p>" for sentence in article(7).split("\n\n")[1].split(". "))
    page_file = tmp_path / "bridge.html"
    page_file.write_text(
        f"<html><head><title>Bridge 7</title></head><body><nav>Home</nav><article>{paragraphs}"
        '<img src=x onerror="window.__xss = 3"></article></body></html>'
    )
    page = browser.new_page()
    page.goto(site + "/")
    page.set_input_files("#article-file", str(page_file))
    from playwright.sync_api import expect

    expect(page.locator("#article-input")).not_to_have_value("")
    page.click("#brief-button")
    page.wait_for_selector("#brief:not([hidden]) .item", timeout=20_000)
    _brief_done(page)  # items stream in one by one; these checks are about the whole brief
    page.locator(".item").first.click()
    assert page.locator("mark#evidence").inner_text().startswith("Officials in district 7 said on Monday")
    assert "<nav>" not in page.inner_text("#article-text")
    assert page.evaluate("window.__xss") is None


def test_an_error_is_shown_not_thrown(browser: Any, site: str) -> None:
    page = browser.new_page()
    page.goto(site + "/")
    page.fill("#article-input", "   ")
    page.evaluate("document.getElementById('article-input').removeAttribute('required')")
    page.click("#brief-button")
    page.wait_for_selector("#brief-status.error")
    assert "empty" in page.inner_text("#brief-status")


def test_jobs_view_shows_live_progress(browser: Any, stub: Any, tmp_path: Path) -> None:
    from summarizer.service.app import create_app

    stub.state.config.latency = 0.4  # one at a time: the job runs for about 2 s
    records = tmp_path / "articles.jsonl"
    records.write_text(
        "\n".join(json.dumps({"id": f"j{n}", "text": article(200 + n)}) for n in range(5)) + "\n"
    )
    with threaded_server(create_app(service_config(tmp_path, concurrency=1), model_settings(stub))) as site:
        _follow_a_job(browser, site, records)


def _follow_a_job(browser: Any, site: str, records: Path) -> None:
    page = browser.new_page()
    page.goto(site + "/")
    page.click("button.tab[data-view='jobs-view']")
    page.set_input_files("#job-file", str(records))
    page.click("#job-form button[type=submit]")
    row = page.locator("#jobs tbody tr").first
    row.wait_for(timeout=10_000)
    from playwright.sync_api import expect

    expect(row.locator(".state")).to_have_text("running", timeout=10_000)  # pushed by the event stream
    expect(row.locator(".count")).not_to_have_text(" 0 / 5", timeout=10_000)
    expect(row.locator(".state")).to_have_text("done", timeout=20_000)
    expect(row.locator(".count")).to_have_text(" 5 / 5")
    assert row.locator("progress").get_attribute("value") == "5"


EMOJI_ARTICLE = (
    "🔥🔥🔥 LIVE 🔥🔥🔥\n\n"
    "Fire crews 🚒 said on Monday evening that the blaze near the 🌲 forest was under control. "
    "The mayor said on Tuesday that the budget for 𝔰𝔭𝔢𝔠𝔦𝔞𝔩 repairs had been agreed. "
    "Engineers warned on Wednesday that the road could close again."
)


def test_evidence_is_highlighted_exactly_in_an_article_with_emoji(browser: Any, site: str) -> None:
    """Offsets count code points; the page's strings count UTF-16 units (two per emoji)."""
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(site + "/")
    page.fill("#article-input", EMOJI_ARTICLE)
    page.click("#brief-button")
    page.wait_for_selector("#brief:not([hidden]) .item", timeout=20_000)
    _brief_done(page)  # items stream in one by one; these checks are about the whole brief
    items = page.locator(".item")
    checked = 0
    for i in range(items.count()):
        evidence = items.nth(i).get_attribute("title")
        items.nth(i).click()
        assert page.locator("mark#evidence").inner_text() == evidence
        checked += 1
    assert checked >= 2
    page.locator("#summary .sentence").first.click()
    marks = page.locator("#article-text mark")
    assert all(marks.nth(i).inner_text() in EMOJI_ARTICLE.split("\n\n")[1] for i in range(marks.count()))


def test_a_click_keeps_the_tab_highlight(browser: Any, site: str) -> None:
    page = browser.new_page()
    page.goto(site + "/")
    page.fill("#article-input", XSS_ARTICLE)
    page.click("#brief-button")
    page.wait_for_selector("#brief:not([hidden]) .item", timeout=20_000)
    _brief_done(page)  # items stream in one by one; these checks are about the whole brief
    page.locator(".item").first.click()
    assert page.locator(".tab.active").count() == 1
    assert page.locator(".tab.active").inner_text() == "Brief"
    page.locator("#summary .sentence").first.click()
    assert page.locator(".tab.active").count() == 1 and page.locator(".item.active").count() == 0


def test_a_warning_reads_issued_by_warns_colon(browser: Any, site: str) -> None:
    """The stub's brief has no warning, so the page is given one: "X warns: <about>"."""
    page = browser.new_page()
    page.goto(site + "/")
    page.fill("#article-input", article(9))
    page.click("#brief-button")
    page.wait_for_selector("#brief:not([hidden]) .item", timeout=20_000)
    _brief_done(page)  # items stream in one by one; these checks are about the whole brief
    page.evaluate(
        "() => { current.brief.warnings = [{issued_by: 'Kremlin', about: 'it would react appropriately',"
        " evidence: 'x'}]; showBrief(current); }"
    )
    assert "Kremlin warns: it would react appropriately" in page.inner_text("#items")


def test_the_sample_is_the_seed_article_and_can_be_briefed(browser: Any, site: str) -> None:
    from tests.service.support import SEED

    static = Path(__file__).resolve().parents[2] / "summarizer" / "service" / "static" / "sample.txt"
    assert static.read_text(encoding="utf-8") == SEED, "the page's sample is the README's seed article"
    page = browser.new_page()
    page.goto(site + "/")
    page.click("#sample-button")
    from playwright.sync_api import expect

    expect(page.locator("#article-input")).to_have_value(SEED)
    page.click("#brief-button")
    page.wait_for_selector("#brief:not([hidden]) .item", timeout=20_000)
    _brief_done(page)  # items stream in one by one; these checks are about the whole brief


def test_the_jobs_tab_shows_briefs_errors_and_a_cancelled_jobs_counts(
    browser: Any, stub: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    from summarizer.service.app import create_app

    stub.state.config.latency = 0.3
    records = tmp_path / "articles.jsonl"
    lines = [json.dumps({"id": f"j{n}", "text": article(300 + n)}) for n in range(2)] + ["not json"]
    records.write_text("\n".join(lines) + "\n")
    many = tmp_path / "many.jsonl"
    many.write_text(
        "\n".join(json.dumps({"id": f"m{n}", "text": article(400 + n)}) for n in range(40)) + "\n"
    )
    with threaded_server(create_app(service_config(tmp_path, concurrency=1), model_settings(stub))) as site:
        page = browser.new_page()
        page.goto(site + "/")
        page.click("button.tab[data-view='jobs-view']")
        page.set_input_files("#job-file", str(records))
        page.click("#job-form button[type=submit]")
        row = page.locator("#jobs tbody tr").first
        expect(row.locator(".state")).to_have_text("done", timeout=20_000)
        row.locator("button.show").click()
        detail = page.locator("#job-detail")
        expect(detail.locator(".job-briefs li")).to_have_count(2)
        expect(detail.locator(".job-errors li")).to_have_count(1)
        assert "Bridge 300 to reopen" in detail.inner_text() or "j0" in detail.inner_text()
        assert "line-3" in detail.locator(".job-errors").inner_text()
        detail.locator(".job-brief").first.click()
        expect(page.locator("#headline")).not_to_be_empty()
        assert page.locator(".tab.active").inner_text() == "Brief"

        page.click("button.tab[data-view='jobs-view']")
        page.set_input_files("#job-file", str(many))
        page.click("#job-form button[type=submit]")
        row = page.locator("#jobs tbody tr").first
        expect(row.locator(".state")).to_have_text("running", timeout=10_000)
        row.locator("button.cancel").click()
        expect(row.locator(".state")).to_have_text("cancelled", timeout=10_000)
        expect(row.locator(".count")).to_contain_text("cancelled", timeout=10_000)
        finished = int(row.locator("progress").get_attribute("value") or "0")
        assert finished < 40, "a cancelled job's bar is not full"
        assert f" {finished} / 40" in row.locator(".count").inner_text()


def test_the_readme_screenshot_is_made_from_files_in_the_repository(browser: Any, tmp_path: Path) -> None:
    """scripts/service_screenshot.py reads only the repository (a clone can regenerate it)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    script = (root / "scripts" / "service_screenshot.py").read_text(encoding="utf-8")
    assert '"shared"' not in script and "ROOT.parent" not in script
    out = tmp_path / "service.png"
    done = subprocess.run(
        [
            sys.executable,
            str(root / "scripts" / "service_screenshot.py"),
            "--out",
            str(out),
            "--chromium",
            CHROMIUM,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_api_docs_page_works_offline(browser: Any, site: str) -> None:
    """/docs loads Swagger UI from this server: with every other host unreachable it still renders."""
    page = browser.new_page()
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(site):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(site + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "summarizer" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock-summary-path", has_text="/v1/briefs").count() >= 1
    assert outside == [], outside
