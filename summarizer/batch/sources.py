"""Expand run arguments (files, folders, globs, ``-``) into a lazy stream of inputs.

Nothing is read here but directory listings (and JSONL files, line by line, as the runner pulls
them): each ``Input`` loads its article only when the runner gets to it, so a run over 10,000
files holds a handful of articles in memory at a time.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from summarizer.batch.files import safe_component
from summarizer.batch.inputs import (
    JSONL_SUFFIXES,
    SUFFIXES,
    count_lines,
    decode,
    read_article,
    read_jsonl,
    text_article,
)
from summarizer.errors import ArticleError
from summarizer.models import Article


@dataclass(frozen=True)
class Input:
    """One article to brief, not yet read."""

    key: str  # identity across runs: the path; a JSONL line's file plus its id (or its content)
    source: str  # what a person recognises: a path, path:line, <stdin>
    output: Path  # the output path it asks for, without suffix, relative to OUT
    load: Callable[[], Article]  # raises ArticleError
    unsupported: bool = False
    container: str | None = None  # the JSONL file a line comes from


def _fail(error: ArticleError) -> Callable[[], Article]:
    def load() -> Article:
        raise error

    return load


def _relative_name(path: Path, base: Path) -> Path:
    try:
        rel = path.relative_to(base)
    except ValueError:
        rel = Path(path.name)
    parts = [safe_component(p) for p in rel.parts if p not in ("", ".", "..")] or ["article"]
    return Path(*parts).with_suffix("") if Path(parts[-1]).suffix else Path(*parts)


def _file_inputs(path: Path, base: Path, max_bytes: int) -> Iterator[Input]:
    name = _relative_name(path, base)
    suffix = path.suffix.lower()
    if path.is_symlink() and not path.exists():
        yield Input(str(path), str(path), name, _fail(ArticleError(f"{path}: dangling or looping symlink")))
        return
    if suffix in JSONL_SUFFIXES:
        try:
            yield from _jsonl_inputs(path, name, max_bytes)
        except OSError as exc:
            yield Input(
                str(path),
                str(path),
                name,
                _fail(ArticleError(f"{path}: cannot read ({exc.strerror or exc})")),
            )
        return
    if suffix not in SUFFIXES:
        reason = (
            f"unsupported format {suffix or '(no extension)'!r}; skipped (use txt, md, html, json or jsonl)"
        )
        yield Input(str(path), str(path), name, _fail(ArticleError(f"{path}: {reason}")), unsupported=True)
        return
    yield Input(str(path), str(path), name, lambda: read_article(path, max_bytes))


def _jsonl_inputs(path: Path, folder: Path, max_bytes: int) -> Iterator[Input]:
    """One Input per JSONL line, read as the runner pulls them (the file is never loaded whole).

    A line is known by its id (or, without one, by its content), not by its line number: insert
    a line at the top and every other line keeps its record and its output file.
    """
    seen: dict[str, int] = {}
    for record in read_jsonl(path, max_bytes):
        identity = f"id={record.ident}" if record.ident is not None else f"sha256={record.digest}"
        count = seen[identity] = seen.get(identity, 0) + 1
        suffix = "" if count == 1 else f"-{count}"
        item, source = record.item, f"{path}:{record.number}"
        yield Input(
            key=f"{path}#{identity}{suffix}",
            source=source,
            output=folder / safe_component(record.name + suffix),
            load=_fail(item) if isinstance(item, ArticleError) else _constant(item),
            container=str(path),
        )


def _constant(article: Article) -> Callable[[], Article]:
    return lambda: article


def _files(arg: str, skip: Path | None) -> Iterator[tuple[Path, Path] | str]:
    """(file, base its output name is relative to) for one argument; the argument itself if it
    names nothing. Folders are walked recursively in sorted order, hidden entries and ``skip``
    (the output folder, when it lies inside an input folder) left out."""
    path = Path(arg)
    if path.is_dir():
        yield from _walk(path, path, skip)
    elif path.exists() or path.is_symlink():
        yield path, path.parent
    elif glob.has_magic(arg):
        base = Path(_glob_base(arg))
        matches = sorted(glob.glob(arg, recursive=True))
        if not matches:
            yield arg
        for match in map(Path, matches):
            if skip is not None and _within(match, skip):
                continue
            yield from _walk(match, base, skip) if match.is_dir() else [(match, base)]
    else:
        yield arg


def _within(path: Path, folder: Path) -> bool:
    resolved = path.resolve()
    return resolved == folder or folder in resolved.parents


def _walk(root: Path, base: Path, skip: Path | None) -> Iterator[tuple[Path, Path]]:
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and (skip is None or (Path(folder) / d).resolve() != skip)
        )
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name, base


def iter_inputs(args: list[str], max_bytes: int, out: Path | None = None) -> Iterator[Input]:
    """Every input named by ``args``, lazily; nothing under ``out`` is read back as input."""
    skip = out.resolve() if out is not None else None
    for arg in args:
        if arg == "-":
            yield Input("<stdin>", "<stdin>", Path("stdin"), _stdin)
            continue
        for found in _files(arg, skip):
            if isinstance(found, str):
                reason = "no file matches this pattern" if glob.has_magic(found) else "no such file or folder"
                name = Path(safe_component(Path(found).name or found))
                yield Input(found, found, name, _fail(ArticleError(f"{found}: {reason}")))
            else:
                yield from _file_inputs(found[0], found[1], max_bytes)


def _stdin() -> Article:
    return text_article(decode(sys.stdin.buffer.read(), "<stdin>"), "<stdin>")


def count_inputs(args: list[str], out: Path | None = None) -> int | None:
    """How many inputs ``iter_inputs`` will yield, for a progress bar's ETA (None for stdin).

    Walks the same folders but reads nothing except JSONL files, whose lines it counts.
    """
    if "-" in args:
        return None
    skip = out.resolve() if out is not None else None
    total = 0
    for arg in args:
        for found in _files(arg, skip):
            path = None if isinstance(found, str) else found[0]
            if path is not None and path.suffix.lower() in JSONL_SUFFIXES and path.is_file():
                try:
                    total += count_lines(path)
                    continue
                except OSError:
                    pass
            total += 1
    return total


def _glob_base(pattern: str) -> str:
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else "."
