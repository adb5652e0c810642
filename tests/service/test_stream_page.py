"""The page renders the brief as it forms, in a real headless Chromium, against the stub model
streaming its answer slowly: the article's voices and warnings are marked first, then items
appear one by one, each highlighting its evidence when clicked, before the brief is done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarizer.testing.stub_server import RunningStub
from tests.service.support import model_settings, service_config, threaded_server
from tests.service.test_page import browser  # noqa: F401 - the fixture
from tests.test_stream import ARTICLE


@pytest.fixture
def slow_site(tmp_path: Path, stub: RunningStub) -> Iterator[str]:
    from summarizer.service.app import create_app

    stub.state.config.chunk_chars = 2
    stub.state.config.chunk_delay = 0.01
    stub.state.config.hold_after = 180  # the answer stops half-way until the test lets it go on
    with threaded_server(create_app(service_config(tmp_path), model_settings(stub, timeout=60))) as base:
        yield base


def test_items_appear_and_highlight_before_the_brief_is_done(
    browser: Any,  # noqa: F811
    slow_site: str,
    stub: RunningStub,
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(slow_site + "/")
    page.fill("#article-input", ARTICLE)
    page.click("#brief-button")

    # First the recall net's sentences, marked in the article, before the model has written.
    page.wait_for_selector("#article-text mark.candidate", timeout=20_000)
    assert "the model is writing" in page.inner_text("#brief-meta")
    assert page.locator("#article-text mark.candidate.warning").inner_text().startswith("Engineers warned")

    # Then a development the model wrote, while it is still writing the rest.
    development = page.locator('#items [data-section="key_developments"] .item').first
    development.wait_for(timeout=30_000)
    assert stub.state.streams_finished == 0, "the model has not finished its answer"
    assert "items verified" not in page.inner_text("#brief-meta")
    evidence = development.get_attribute("title")
    development.click()
    assert page.locator("mark#evidence").inner_text() == evidence
    assert evidence and evidence in ARTICLE
    stub.state.release.set()

    # Then the whole brief; what was shown and clicked stays.
    from playwright.sync_api import expect

    expect(page.locator("#brief-meta")).to_contain_text("items verified", timeout=60_000)
    assert stub.state.streams_finished >= 1
    assert page.locator(".item.active").count() == 1
    assert page.locator("mark#evidence").inner_text() == evidence
    assert page.locator("#summary .sentence").count() >= 1
    assert page.inner_text("#brief-status") == "Done."
    assert not errors


def test_a_cached_brief_is_shown_whole_at_once(browser: Any, slow_site: str, stub: RunningStub) -> None:  # noqa: F811
    stub.state.config.chunk_delay = 0.0
    stub.state.config.hold_after = None
    page = browser.new_page()
    page.goto(slow_site + "/")
    page.fill("#article-input", ARTICLE)
    from playwright.sync_api import expect

    page.click("#brief-button")
    expect(page.locator("#brief-status")).to_have_text("Done.", timeout=30_000)
    first = [
        page.locator(".item").nth(i).get_attribute("title") for i in range(page.locator(".item").count())
    ]
    requests = stub.state.requests
    page.click("#brief-button")
    expect(page.locator("#brief-status")).to_have_text("From the cache (no model call).", timeout=30_000)
    again = [
        page.locator(".item").nth(i).get_attribute("title") for i in range(page.locator(".item").count())
    ]
    assert again == first and len(first) >= 3
    assert stub.state.requests == requests
    assert "items verified" in page.inner_text("#brief-meta")
