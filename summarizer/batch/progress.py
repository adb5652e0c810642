"""Run progress: a rich bar on a terminal, one plain line per input otherwise, and a summary.

The runner is handed a ``Progress`` when it is built and tells it each input's outcome; what a
person sees (a bar, lines on stderr, nothing) is decided here, once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from summarizer.backends._litellm import litellm
from summarizer.batch.stats import Stats


class Progress(Protocol):
    def advance(self, stats: Stats, line: str, error: bool = False) -> None:
        """One input has its outcome; ``line`` says which and what happened."""


class Silent:
    def advance(self, stats: Stats, line: str, error: bool = False) -> None:
        pass


class Lines:
    """One line per input on stderr: for logs, pipes and CI."""

    def advance(self, stats: Stats, line: str, error: bool = False) -> None:
        print(line, file=sys.stderr, flush=True)


class Bar:
    """A bar with counts and an ETA on a terminal; only failures get a line of their own."""

    def __init__(self, total: int | None) -> None:
        self.console = Console(stderr=True)
        counts = "{task.fields[done]} done · {task.fields[failed]} failed · {task.fields[skipped]} skipped"
        self.progress = RichProgress(
            SpinnerColumn(),
            TextColumn(counts + " · {task.fields[tokens]} tokens"),
            BarColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self.task = self.progress.add_task("run", total=total, done=0, failed=0, skipped=0, tokens=0)

    def advance(self, stats: Stats, line: str, error: bool = False) -> None:
        if error:
            self.console.print(line, style="red", markup=False, highlight=False)
        self.progress.update(
            self.task,
            advance=1,
            done=stats.briefed + stats.reused,
            failed=stats.failed,
            skipped=stats.already_done + stats.unsupported,
            tokens=stats.tokens,
        )


@contextmanager
def make_progress(quiet: bool, total: Callable[[], int | None]) -> Iterator[Progress]:
    """Nothing when quiet, a bar on a terminal (``total`` is asked for only then), else lines."""
    if quiet:
        yield Silent()
    elif not sys.stderr.isatty():
        yield Lines()
    else:
        bar = Bar(total())
        with bar.progress:
            yield bar


def _cost(model: str, stats: Stats) -> float | None:
    if not stats.tokens:
        return None
    try:
        prompt, completion = litellm().cost_per_token(
            model=model, prompt_tokens=stats.prompt_tokens, completion_tokens=stats.completion_tokens
        )
        return float(prompt + completion)
    except Exception:
        return None  # litellm has no price for this model (e.g. the embedded one)


def print_summary(stats: Stats, model: str) -> None:
    wall = stats.wall_s()
    cost = _cost(model, stats)
    rows = [
        ("briefed", str(stats.briefed)),
        ("reused (identical article)", str(stats.reused)),
        ("already done (skipped)", str(stats.already_done)),
        ("failed", str(stats.failed)),
        ("unsupported (skipped)", str(stats.unsupported)),
        ("tokens in / out", f"{stats.prompt_tokens:,} / {stats.completion_tokens:,}"),
        ("cost", f"${cost:.4f}" if cost is not None else "unknown"),
        ("wall time", f"{wall:.1f}s"),
        ("articles per minute", f"{(stats.briefed + stats.reused) / wall * 60:.1f}" if wall > 0 else "-"),
    ]
    if sys.stderr.isatty():
        table = Table(title=f"summarizer run · {model}", show_header=False)
        for name, value in rows:
            table.add_row(name, value)
        Console(stderr=True).print(table)
    else:
        print("summary: " + ", ".join(f"{name}={value}" for name, value in rows), file=sys.stderr)
