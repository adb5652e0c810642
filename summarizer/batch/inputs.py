"""Read articles from disk: txt, md, html, json and jsonl into ``Article`` objects.

Every failure is an ``ArticleError`` whose message says what is wrong with which input, so a
run can record it and go on with the rest. Untrusted bytes get bounded memory: a file over the
size limit is never read, and neither is an over-long JSONL line.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from charset_normalizer import from_bytes

from summarizer.errors import ArticleError
from summarizer.models import Article

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".json"} | JSONL_SUFFIXES
TEXT_FIELDS = ("text", "content", "body", "article")
DEFAULT_MAX_BYTES = 2_000_000
MIN_HTML_WORDS = 20  # less than this after extraction is a menu or a stub, not an article
_PREFERRED_LEGACY = ("cp1252", "latin_1", "iso8859_15")
_BOMS = (  # longest first: a UTF-32-LE BOM begins with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_STRAY = re.compile(r"[\udc80-\udcff]")  # undecodable bytes, as surrogateescape keeps them


def decode(data: bytes, source: str) -> str:
    """Text from bytes: a BOM says the encoding; else UTF-8, where a few stray bytes in otherwise
    valid UTF-8 become U+FFFD (the rest of the text stays right); else a detected legacy
    encoding. Binary is refused."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ArticleError(
                    f"{source}: not valid {encoding.upper()} after its byte-order mark ({exc.reason})"
                ) from None
    if b"\x00" in data[:8192]:
        raise ArticleError(f"{source}: binary file (contains NUL bytes), not an article")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "surrogateescape")
    stray = len(_STRAY.findall(text))
    valid_non_ascii = sum(1 for ch in text if ord(ch) > 0x7F) - stray
    if valid_non_ascii >= stray:  # mostly UTF-8: mark the bad bytes, keep the rest as written
        return _STRAY.sub("\ufffd", text)
    return _legacy(data, source)


def _legacy(data: bytes, source: str) -> str:
    matches = list(from_bytes(data))
    if not matches:
        raise ArticleError(f"{source}: not text in any known encoding")
    # Short Western texts decode equally "cleanly" as cp1250/cp1257/cp775; among the tied best
    # guesses prefer Windows-1252, by far the most common legacy encoding of news text.
    least = min(m.percent_chaos for m in matches)
    tied = [m for m in matches if m.percent_chaos <= least + 0.5]
    chosen = next((m for m in tied if m.encoding in _PREFERRED_LEGACY), tied[0])
    return str(chosen)


def parse_json(text: str | bytes, source: str) -> Any:
    """``json.loads`` whose every failure on hostile input is an ``ArticleError``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArticleError(f"{source}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise ArticleError(f"{source}: invalid JSON (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ArticleError(f"{source}: invalid JSON ({str(exc).splitlines()[0][:120]})") from None


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
    title: str | None = heading.group(1).strip() if heading else first
    if title is not None and (
        len(title) > 200 or (not heading and title.endswith((".", "!", "?")) and len(title) > 120)
    ):
        title = None
    return Article(text=text, title=title, source_id=source)


def html_article(html: str, source: str) -> Article:
    import trafilatura  # ~0.2 s of lxml and friends: only when there is HTML to read

    extracted = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    doc: dict[str, Any] = {}
    if extracted is not None:
        doc = extracted.as_dict() if hasattr(extracted, "as_dict") else dict(extracted)
    text = doc.get("text") or ""
    words = len(text.split())
    if words < MIN_HTML_WORDS:
        raise ArticleError(
            f"{source}: no article text found in the HTML ({words} words after removing scripts, "
            "navigation and markup)"
        )
    return Article(
        text=text,
        title=doc.get("title"),
        url=doc.get("url"),
        published=_date(doc.get("date")),
        source_id=source,
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
        raise ArticleError(
            f"{path}: no such file" + (" (dangling or looping symlink)" if path.is_symlink() else "")
        )
    if suffix not in SUFFIXES or suffix in JSONL_SUFFIXES:
        raise ArticleError(
            f"{path}: unsupported format {suffix or '(no extension)'!r}; use txt, md, html, json or jsonl"
        )
    text = decode(read_bytes(path, max_bytes), str(path))
    if suffix in HTML_SUFFIXES:
        return html_article(text, str(path))
    if suffix == ".json":
        return record_article(parse_json(text, str(path)), str(path))
    return text_article(text, str(path), markdown=suffix in {".md", ".markdown"})


@dataclass(frozen=True)
class JsonlRecord:
    """One non-blank line of a JSONL file."""

    number: int  # 1-based line number
    ident: str | None  # the record's "id", if it has one
    digest: str  # of the line's bytes: names a line that has no id, whatever its position
    item: Article | ArticleError

    @property
    def name(self) -> str:
        """The output name this line asks for: its id, else ``line-N``."""
        return self.ident if self.ident is not None else f"line-{self.number}"


def read_jsonl(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[JsonlRecord]:
    """One record per non-blank line; a broken line is an error for that line only."""
    with path.open("rb") as handle:
        for number, raw in _bounded_lines(handle, max_bytes):
            source = f"{path}:{number}"
            if isinstance(raw, int):
                error = ArticleError(f"{source}: line of {raw:,} bytes, over the {max_bytes:,}-byte limit")
                yield JsonlRecord(number, None, f"size-{raw}", error)
                continue
            if not raw.strip():
                continue
            digest = hashlib.sha256(raw.strip()).hexdigest()[:16]
            try:
                record = parse_json(decode(raw, source), source)
                ident = record.get("id") if isinstance(record, dict) else None
                yield JsonlRecord(
                    number, None if ident is None else str(ident), digest, record_article(record, source)
                )
            except ArticleError as exc:
                yield JsonlRecord(number, None, digest, exc)


def _bounded_lines(handle: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | int]]:
    """(line number, line) pairs, or (line number, its length) for a line over ``limit`` bytes,
    which is skipped in bounded chunks: a 150 MB line is never held in memory."""
    number = 0
    while raw := handle.readline(limit + 1):
        number += 1
        if len(raw.rstrip(b"\r\n")) <= limit:
            yield number, raw
            continue
        size = len(raw)
        while not raw.endswith(b"\n") and (raw := handle.readline(1 << 20)):
            size += len(raw)
        yield number, size


def count_lines(path: Path) -> int:
    """Non-blank lines of a file, read in bounded chunks (for a progress bar's total)."""
    count, blank = 0, True
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines = chunk.split(b"\n")
            for i, piece in enumerate(lines):
                if piece.strip():
                    blank = False
                if i < len(lines) - 1:  # a newline ends this line
                    count += not blank
                    blank = True
    return count + (not blank)


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
