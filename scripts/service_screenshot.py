"""The README's screenshot of the service page (docs/service.png), in headless Chromium.

The brief on it is a real one: the embedded model's brief of a dev-corpus article, kept in
``docs/eval/briefs/``. It is put into a fresh store's cache under the key the service computes
for that article, so the page shows it as a cache hit; no model is called (the configured model
points at a closed port).

    .venv/bin/python scripts/service_screenshot.py [--article zhang23-c4a977ddeb9f] [--out docs/service.png]

Everything it reads is in the repository (``docs/eval/``), so a clone can regenerate the picture.
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "docs" / "eval" / "corpus30.jsonl"  # the articles of docs/eval/briefs/, in the repository


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--article", default="zhang23-c4a977ddeb9f", help="a docs/eval/briefs/<id>.json")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "service.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    import uvicorn
    from playwright.sync_api import expect, sync_playwright

    from summarizer import Article, Brief, Settings
    from summarizer.service.app import create_app
    from summarizer.service.config import ServiceSettings

    brief = Brief.model_validate_json((ROOT / "docs/eval/briefs" / f"{args.article}.json").read_text())
    records = (json.loads(line) for line in args.corpus.open(encoding="utf-8"))
    text = next(r["text"] for r in records if r["id"] == args.article)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port, closed = sock.getsockname()[1], sock.getsockname()[1] + 1
    settings = Settings(model=brief.metadata.model, api_base=f"http://127.0.0.1:{closed}/v1", max_attempts=1)
    folder = Path(tempfile.mkdtemp(prefix="summarizer-shot-"))
    app = create_app(ServiceSettings(database_url=f"sqlite:///{folder / 'service.db'}"), settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        service = app.state.service
        article = Article(text=text)
        key = service.briefer.key(article, None)
        meta = brief.metadata
        service.store.cache_put(key, meta.model, meta.prompt_version, brief.model_dump_json())
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
            page.goto(f"http://127.0.0.1:{port}/")
            page.fill("#article-input", text)
            page.click("#brief-button")
            status = page.locator("#brief-status")
            expect(status).to_have_text("From the cache (no model call).", timeout=20_000)
            page.locator(".item").nth(1).click()
            page.screenshot(path=str(args.out))
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
