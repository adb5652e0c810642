"""One run at a time per output folder.

Two runs into the same OUT would each rebuild ``briefs.jsonl`` and ``errors.jsonl`` from their
own view and hand out the same output names. The second run refuses at once, naming the first;
the lock is the kernel's (``flock``), so a run killed with SIGKILL leaves no stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from summarizer.batch.failures import UsageError


@contextmanager
def locked(out: Path) -> Iterator[None]:
    path = out / ".summarizer" / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            raise UsageError(
                f"{out} is being written by another summarizer run (pid {holder}); "
                "wait for it to finish or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
