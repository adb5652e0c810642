"""Expand run arguments (files, folders, globs, ``-``) into a lazy stream of inputs.

Nothing is read here but directory listings: each ``Input`` loads its article only when the
runner gets to it, so a run over 10,000 files holds a handful of articles in memory at a time.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from summarizer.errors import ArticleError
from summarizer.files import safe_component
from summarizer.inputs import SUFFIXES, decode, read_article, read_jsonl, text_article
from summarizer.models import Article


@dataclass
class Input:
    source: str  # what the user would recognise: a path, path:line, <stdin>
    output: Path  # relative output path without suffix, always inside OUT
    load: Callable[[], Article]  # raises ArticleError
    unsupported: bool = False


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
        yield Input(str(path), name, _fail(ArticleError(f"{path}: dangling or looping symlink")))
        return
    if suffix in {".jsonl", ".ndjson"}:
        try:
            yield from _jsonl_index(path, name, max_bytes)
        except OSError as exc:
            yield Input(str(path), name, _fail(ArticleError(f"{path}: cannot read ({exc.strerror or exc})")))
        return
    if suffix not in SUFFIXES:
        yield Input(
            str(path), name,
            _fail(ArticleError(f"{path}: unsupported format {suffix or '(no extension)'!r}; skipped (use txt, md, html, json or jsonl)")),
            unsupported=True,
        )
        return
    yield Input(str(path), name, lambda: read_article(path, max_bytes))


def _jsonl_index(path: Path, folder: Path, max_bytes: int) -> Iterator[Input]:
    """One Input per JSONL line, read as the runner pulls them (the file is never loaded whole)."""
    seen: dict[str, int] = {}
    for ident, source, item in read_jsonl(path, max_bytes):
        count = seen.get(ident, 0)
        seen[ident] = count + 1
        name = safe_component(ident if count == 0 else f"{ident}-{count + 1}")
        yield Input(source, folder / name, _constant(item))


def _constant(item: Article | ArticleError) -> Callable[[], Article]:
    if isinstance(item, ArticleError):
        return _fail(item)
    return lambda: item


def _files(arg: str) -> Iterator[tuple[Path, Path] | str]:
    """(file, base its output name is relative to) for one argument; the argument itself if it
    names nothing. Folders are walked recursively in sorted order, hidden entries skipped."""
    path = Path(arg)
    if path.is_dir():
        yield from _walk(path, path)
    elif path.exists() or path.is_symlink():
        yield path, path.parent
    elif glob.has_magic(arg):
        base = Path(_glob_base(arg))
        matches = sorted(glob.glob(arg, recursive=True))
        if not matches:
            yield arg
        for match in map(Path, matches):
            yield from _walk(match, base) if match.is_dir() else [(match, base)]
    else:
        yield arg


def _walk(root: Path, base: Path) -> Iterator[tuple[Path, Path]]:
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name, base


def iter_inputs(args: list[str], max_bytes: int) -> Iterator[Input]:
    """Every input named by ``args``, lazily."""
    for arg in args:
        if arg == "-":
            yield Input("<stdin>", Path("stdin"), lambda: text_article(decode(sys.stdin.buffer.read(), "<stdin>"), "<stdin>"))
            continue
        for found in _files(arg):
            if isinstance(found, str):
                reason = "no file matches this pattern" if glob.has_magic(found) else "no such file or folder"
                yield Input(found, Path(safe_component(Path(found).name or found)), _fail(ArticleError(f"{found}: {reason}")))
            else:
                yield from _file_inputs(found[0], found[1], max_bytes)


def count_inputs(args: list[str]) -> int | None:
    """How many inputs ``iter_inputs`` will yield, for a progress bar's ETA (None for stdin).

    Walks the same folders but reads nothing except JSONL files, whose lines it counts.
    """
    if "-" in args:
        return None
    total = 0
    for arg in args:
        for found in _files(arg):
            path = None if isinstance(found, str) else found[0]
            if path is not None and path.suffix.lower() in {".jsonl", ".ndjson"} and path.is_file():
                try:
                    with path.open("rb") as handle:
                        total += sum(1 for line in handle if line.strip())
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
