"""``summarizer brief --stream``: the brief as it forms.

In a terminal, a live view (rich) draws the net's candidates at once, then each item as it is
final, then the summary; piped, every event is one JSON line on stdout (``summarizer.models``:
``candidates``, ``item``, ``summary``, ``done``), flushed as it comes, for ``jq`` or a program.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from typing import IO, Any

from summarizer.models import (
    BriefEvent,
    CandidatesEvent,
    DoneEvent,
    ItemEvent,
    KeyDevelopment,
    StatedPosition,
    SummaryEvent,
)

_TITLES = {
    "key_developments": "Key developments",
    "stated_positions": "Stated positions",
    "warnings": "Warnings",
}


def write_json_lines(events: Iterable[BriefEvent], out: IO[str]) -> None:
    """One JSON object a line, flushed at once (a reader sees each event when it happens)."""
    for event in events:
        out.write(event.model_dump_json() + "\n")
        out.flush()


class LiveBrief:
    """What the terminal shows, rebuilt from the events so far."""

    def __init__(self, title: str | None) -> None:
        self.title = title
        self.started = time.perf_counter()
        self.candidates: CandidatesEvent | None = None
        self.items: dict[str, dict[int, ItemEvent]] = {k: {} for k in _TITLES}
        self.summary: SummaryEvent | None = None
        self.done: DoneEvent | None = None

    def add(self, event: BriefEvent) -> None:
        if isinstance(event, CandidatesEvent):
            self.candidates = event
        elif isinstance(event, ItemEvent):
            self.items[event.section][event.index] = event
        elif isinstance(event, SummaryEvent):
            self.summary = event
        elif isinstance(event, DoneEvent):
            self.done = event

    def render(self) -> Any:
        from rich.console import Group
        from rich.markup import escape
        from rich.spinner import Spinner
        from rich.text import Text

        parts: list[Any] = []
        headline = self.summary.headline if self.summary else (self.title or "")
        if headline:
            parts.append(Text(headline, style="bold"))
        if self.summary:
            parts += [Text(self.summary.summary), Text("")]
        if self.candidates and not self.done:
            voices = sum(c.kind == "voice" for c in self.candidates.candidates)
            warnings = len(self.candidates.candidates) - voices
            parts.append(Text(f"The article: {voices} voice(s), {warnings} warning(s) found", style="dim"))
        for section, title in _TITLES.items():
            shown = self.items[section]
            if not shown:
                continue
            parts.append(Text(title, style="bold underline"))
            for index in sorted(shown):
                parts.append(Text.from_markup("  • " + escape(_line(shown[index].item))))
                evidence = _evidence(shown[index].item)
                parts.append(Text(f"    “{_cut(evidence, 110)}”", style="dim"))
        elapsed = time.perf_counter() - self.started
        if self.done:
            meta = self.done.brief.metadata
            parts.append(
                Text(
                    f"{meta.model} · {meta.usage.total_tokens} tokens · {meta.latency_s:.1f} s · "
                    f"{meta.grounding.verified} items verified",
                    style="dim",
                )
            )
        else:
            stage = "checking the summary" if self.summary else "the model is writing"
            parts.append(Spinner("dots", text=Text(f"{stage}… {elapsed:.0f} s", style="dim")))
        return Group(*parts)


def _line(item: Any) -> str:
    if isinstance(item, KeyDevelopment):
        context = ", ".join(x for x in (str(item.when_iso or item.when or ""), item.where or "") if x)
        return item.what + (f" ({context})" if context else "")
    if isinstance(item, StatedPosition):
        return f"{item.actor}{', ' + item.role if item.role else ''}: {item.stance}"
    return f"{item.issued_by} warns: {item.about}" + (f" ({item.condition})" if item.condition else "")


def _evidence(item: Any) -> str:
    return str(getattr(item, "evidence", None) or getattr(item, "quote", ""))


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show_live(events: Iterable[BriefEvent], title: str | None) -> DoneEvent | None:
    """Draw the brief as it forms on the terminal (stdout); returns the ``done`` event."""
    from rich.console import Console
    from rich.live import Live

    view = LiveBrief(title)
    console = Console(file=sys.stdout)
    with Live(view.render(), console=console, refresh_per_second=8, transient=False) as live:
        for event in events:
            view.add(event)
            live.update(view.render())
    return view.done
