"""Run progress: a rich bar on a terminal, one plain line per article otherwise, and a summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class _Bar:
    def __init__(self, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.console = Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.fields[done]} done · {task.fields[failed]} failed · {task.fields[skipped]} skipped · {task.fields[tokens]} tokens"),
            BarColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self.task = self.progress.add_task("run", total=total, done=0, failed=0, skipped=0, tokens=0)

    def advance(self, stats: Any, error: str | None = None) -> None:
        if error:
            self.console.print(f"[red]{error}[/red]", markup=True, highlight=False)
        self.progress.update(
            self.task,
            advance=1,
            done=stats.briefed + stats.reused,
            failed=stats.failed,
            skipped=stats.already_done + stats.unsupported,
            tokens=stats.prompt_tokens + stats.completion_tokens,
        )


@contextmanager
def make_progress(quiet: bool, total: Callable[[], int | None]) -> Iterator[_Bar | None]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    bar = _Bar(total())
    with bar.progress:
        yield bar


def _cost(model: str, stats: Any) -> float | None:
    if not stats.prompt_tokens and not stats.completion_tokens:
        return None
    try:
        from summarizer.backends._litellm import litellm

        prompt, completion = litellm().cost_per_token(
            model=model, prompt_tokens=stats.prompt_tokens, completion_tokens=stats.completion_tokens
        )
        return float(prompt + completion)
    except Exception:
        return None  # litellm has no price for this model (e.g. the embedded one)


def print_summary(stats: Any, model: str) -> None:
    wall = time.perf_counter() - stats.started
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
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"summarizer run · {model}", show_header=False)
        for name, value in rows:
            table.add_row(name, value)
        Console(stderr=True).print(table)
    else:
        print("summary: " + ", ".join(f"{name}={value}" for name, value in rows), file=sys.stderr)
