"""Atomic, crash-safe file writes and output names that can never escape the output folder."""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\ud800-\udfff]")
# File systems limit a name to 255 *bytes*; keep room for "-2", ".json" and the temp file prefix.
MAX_NAME_BYTES = 200
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


@functools.cache
def file_mode() -> int:
    """0o666 less the process umask: what ``open()`` would give a new file (mkstemp gives 0o600)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: read the umask by setting it, and put it back at once
    os.umask(mask)
    return 0o666 & ~mask


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
        os.fchmod(fd, file_mode())
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
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, file_mode())
    try:
        written = os.write(fd, data)
        if written != len(data):  # a short write is a full disk that did not say so
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    finally:
        os.close(fd)


def end_line(path: Path) -> None:
    """Terminate a torn last line, so the next appended record starts on a line of its own."""
    try:
        with path.open("rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")
    except FileNotFoundError:
        pass


def safe_component(name: str) -> str:
    """One path component from untrusted text (a JSONL id, a file name): no separators, no '..',
    at most ``MAX_NAME_BYTES`` bytes (a cut name ends in a digest of the whole, so two long
    names that share a beginning stay apart)."""
    cleaned = _UNSAFE.sub("_", name).strip()
    if not cleaned or cleaned.startswith("."):
        cleaned = "_" + cleaned
    encoded = cleaned.encode("utf-8")
    if len(encoded) <= MAX_NAME_BYTES:
        return cleaned
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return encoded[: MAX_NAME_BYTES - 11].decode("utf-8", "ignore").rstrip() + "-" + digest


def inside(root: Path, relative: Path) -> Path:
    """``root / relative``, refusing anything that would resolve outside ``root``."""
    target = (root / relative).resolve()
    base = root.resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"output path {relative} escapes {root}")
    return target


def describe_os_error(exc: OSError, path: Path | str | None = None) -> str:
    """One line a person can act on: what failed, where, and (for a full disk) what to do."""
    where = path or exc.filename  # the file meant, not the temporary one beside it
    reason = exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, IsADirectoryError):
        reason = "a folder is in the way"
    line = f"cannot write {where}: {reason}" if where else f"cannot write: {reason}"
    if exc.errno in DISK_FULL:
        line += " (free space and re-run: finished work is kept)"
    return line
