"""Read articles from disk: txt, md, html, json and jsonl into ``Article`` objects.

Every failure is an ``ArticleError`` whose message says what is wrong with which input, so a
run can record it and go on with the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from summarizer.errors import ArticleError
from summarizer.models import Article

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".json", ".jsonl", ".ndjson"}
TEXT_FIELDS = ("text", "content", "body", "article")
DEFAULT_MAX_BYTES = 2_000_000
MIN_HTML_WORDS = 20  # less than this after extraction is a menu or a stub, not an article
_PREFERRED_LEGACY = ("cp1252", "latin_1", "iso8859_15")


def decode(data: bytes, source: str) -> str:
    """UTF-8 (with or without BOM) first, then a detected legacy encoding; binary is refused."""
    if b"\x00" in data[:8192]:
        raise ArticleError(f"{source}: binary file (contains NUL bytes), not an article")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise ArticleError(f"{source}: not text in any known encoding")
    # Short Western texts decode equally "cleanly" as cp1250/cp1257/cp775; among the tied best
    # guesses prefer Windows-1252, by far the most common legacy encoding of news text.
    least = min(m.percent_chaos for m in matches)
    tied = [m for m in matches if m.percent_chaos <= least + 0.5]
    chosen = next((m for m in tied if m.encoding in _PREFERRED_LEGACY), tied[0])
    return str(chosen)


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ArticleError(f"{path}: no such file (or a dangling symlink)") from None
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if path.is_dir():
        raise ArticleError(f"{path}: is a directory")
    if not path.is_file():
        raise ArticleError(f"{path}: not a regular file (a pipe, socket or device), not an article")
    if size > max_bytes:
        raise ArticleError(f"{path}: {size:,} bytes, over the {max_bytes:,}-byte limit for one article")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from None


def text_article(text: str, source: str, markdown: bool = False) -> Article:
    """A plain-text article; its first non-empty line (or first heading) is the title."""
    if not text.strip():
        raise ArticleError(f"{source}: empty article (only whitespace)")
    first = next(line.strip() for line in text.splitlines() if line.strip())
    heading = re.match(r"#{1,6}\s+(.+)", first) if markdown else None
    title = heading.group(1).strip() if heading else first
    if len(title) > 200 or (not heading and title.endswith((".", "!", "?")) and len(title) > 120):
        title = None
    return Article(text=text, title=title, source_id=source)


def html_article(html: str, source: str) -> Article:
    import trafilatura

    extracted = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    doc = extracted.as_dict() if hasattr(extracted, "as_dict") else (extracted or {})
    text = doc.get("text") or ""
    words = len(text.split())
    if words < MIN_HTML_WORDS:
        raise ArticleError(
            f"{source}: no article text found in the HTML ({words} words after removing scripts, "
            "navigation and markup)"
        )
    return Article(
        text=text, title=doc.get("title"), url=doc.get("url"), published=_date(doc.get("date")), source_id=source
    )


def record_article(record: Any, source: str) -> Article:
    """An article from a JSON object with a text/content/body field."""
    if not isinstance(record, dict):
        raise ArticleError(f"{source}: expected a JSON object, got {type(record).__name__}")
    text = next((record[k] for k in TEXT_FIELDS if isinstance(record.get(k), str)), None)
    if text is None:
        raise ArticleError(f"{source}: JSON object has no text field (one of: {', '.join(TEXT_FIELDS)})")
    if not text.strip():
        raise ArticleError(f"{source}: empty article (only whitespace)")
    return Article(
        text=text,
        title=_str(record.get("title") or record.get("headline")),
        url=_str(record.get("url")),
        published=_date(record.get("published") or record.get("date")),
        source_id=source,
    )


def read_article(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """One article from a txt, md, html or json file."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise ArticleError(f"{path}: no such file" + (" (dangling or looping symlink)" if path.is_symlink() else ""))
    if suffix not in SUFFIXES or suffix in {".jsonl", ".ndjson"}:
        raise ArticleError(f"{path}: unsupported format {suffix or '(no extension)'!r}; use txt, md, html, json or jsonl")
    text = decode(read_bytes(path, max_bytes), str(path))
    if suffix in HTML_SUFFIXES:
        return html_article(text, str(path))
    if suffix == ".json":
        try:
            return record_article(json.loads(text), str(path))
        except json.JSONDecodeError as exc:
            raise ArticleError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    return text_article(text, str(path), markdown=suffix in {".md", ".markdown"})


def read_jsonl(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[tuple[str, str, Article | ArticleError]]:
    """(id, source, article or error) per line; a broken line is an error for that line only."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            source = f"{path}:{number}"
            try:
                if len(raw) > max_bytes:
                    raise ArticleError(f"{source}: line of {len(raw):,} bytes, over the {max_bytes:,}-byte limit")
                record = json.loads(decode(raw, source))
                ident = str(record.get("id")) if isinstance(record, dict) and record.get("id") is not None else f"line-{number}"
                yield ident, source, record_article(record, source)
            except json.JSONDecodeError as exc:
                yield f"line-{number}", source, ArticleError(f"{source}: invalid JSON ({exc.msg})")
            except ArticleError as exc:
                yield f"line-{number}", source, exc


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
