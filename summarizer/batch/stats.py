"""What a run did, counted as it goes: for the progress bar, the summary and the exit status."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from summarizer.models import Usage


@dataclass
class Stats:
    briefed: int = 0
    reused: int = 0  # identical article already briefed in this run or an earlier one
    already_done: int = 0
    failed: int = 0
    unsupported: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def done(self) -> int:
        return self.briefed + self.reused + self.already_done

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add_usage(self, usage: Usage) -> None:
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens

    def wall_s(self) -> float:
        return time.perf_counter() - self.started
