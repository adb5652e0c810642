"""Atomic, crash-safe file writes and output names that can never escape the output folder."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


@contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """A text handle on a temporary file in the same folder; on success it is fsynced and
    renamed over ``path``, on error removed.

    A reader (or a run killed with SIGKILL) sees the old file or the new one, never half of one.
    Output produced piece by piece (a 10,000-line ``briefs.jsonl``) is never held in memory.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see ``atomic_writer``)."""
    with atomic_writer(path) as handle:
        handle.write(text)


def append_line(path: Path, line: str) -> None:
    """Append one line with a single write; a torn last line (after kill -9) is skipped on read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def safe_component(name: str) -> str:
    """One path component from untrusted text (a JSONL id, a file name): no separators, no '..'."""
    cleaned = _UNSAFE.sub("_", name).strip()
    if not cleaned or cleaned.startswith("."):
        cleaned = "_" + cleaned
    return cleaned[:180]


def inside(root: Path, relative: Path) -> Path:
    """``root / relative``, refusing anything that would resolve outside ``root``."""
    target = (root / relative).resolve()
    base = root.resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"output path {relative} escapes {root}")
    return target
