"""The brief as it forms: which items are final while the model is still writing.

The pipeline (``pipeline``) yields events; this module decides what they hold.

- ``candidates``: the recall net's sentences, from the article alone.
- ``item``: a development once the model has written it *completely* (the answer has moved
  past it: a partial JSON parse, ``pydantic_core.from_json(allow_partial=True)``) and the
  ``Grounder`` has kept it, checked exactly as ``summarize()`` checks it. The Grounder's rules
  for developments look only at earlier developments (a repeated sentence, a near-repeat), so
  what it keeps of the first k developments never changes when more arrive: an emitted item is
  final. Positions and warnings are worded from the article by the net and are final before the
  model is asked.
- An answer that is re-asked (invalid) or sent again (a transport fault mid-stream) may differ
  from the one whose developments were already shown. Those stay: the developments emitted for a
  request come first in its final draft (``keep_emitted``), and the Grounder drops the new
  answer's repeats of them as it drops any repeat. ``summarize()`` takes the same path, so it
  returns the same brief.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from summarizer.brief import net
from summarizer.brief.draft import BriefDraft, DevelopmentDraft, Plan
from summarizer.brief.grounding import Grounder
from summarizer.brief.sentences import Sentence
from summarizer.models import (
    Article,
    Brief,
    CandidateSentence,
    CandidatesEvent,
    ItemEvent,
    KeyDevelopment,
    Span,
)

log = logging.getLogger(__name__)
Emit = Callable[[ItemEvent], None]


def candidates_event(found: net.Net, withheld: set[int]) -> CandidatesEvent:
    cands = sorted([*found.voices, *found.warnings], key=lambda c: (c.sentence.number, c.kind))
    return CandidatesEvent(
        candidates=[
            CandidateSentence(
                kind="voice" if c.kind == "voice" else "warning",
                sentence=c.sentence.number,
                start=c.sentence.start,
                end=c.sentence.end,
                text=c.sentence.text,
                actor=c.actor.name,
                withheld=c.sentence.number in withheld,
            )
            for c in cands
        ]
    )


def written_developments(text: str) -> list[DevelopmentDraft]:
    """The developments an answer (possibly cut off mid-way) holds *completely*: every one but
    the last while the list is still open (its number or words may still grow)."""
    start = text.find("{")
    if start < 0:
        return []
    try:
        answer = from_json(text[start:], allow_partial=True)
    except ValueError:  # not JSON (yet): prose before it, a fence after it
        return []
    if not isinstance(answer, dict) or not isinstance(answer.get("developments"), list):
        return []
    developments = answer["developments"]
    if list(answer)[-1] == "developments":  # the list is still being written
        developments = developments[:-1]
    out = []
    for raw in developments:
        try:
            out.append(DevelopmentDraft.model_validate(raw))
        except ValidationError:  # not a development: the answer's validation will say so
            continue
    return out


def keep_emitted(
    emitted: list[DevelopmentDraft], developments: list[DevelopmentDraft]
) -> list[DevelopmentDraft]:
    """A request's developments, with the ones already emitted first. Unchanged when the answer
    holds them in order (the usual case: the emitted ones came from this very answer)."""
    rest = iter(developments)
    if all(any(d == e for d in rest) for e in emitted):  # a subsequence, in order
        return developments
    return emitted + [d for d in developments if d not in emitted]


class ItemTracker:
    """Emits each development as soon as it is written and kept; remembers what it emitted."""

    def __init__(
        self,
        article: Article,
        sentences: list[Sentence],
        found: net.Net,
        suspects: list[tuple[Sentence, str]],
        title_suspect: str | None,
        emit: Emit,
        *,
        quiet: bool = False,
    ) -> None:
        self._grounder_args = (article, sentences, found, suspects, title_suspect)
        self.emit = emit
        # quiet: nobody sees the events (``asummarize``): nothing is checked as it is written; only
        # when an answer is followed by another (a re-ask, a retry) is the earlier one checked at
        # the end, so the developments a stream would have shown stay, as they would there.
        self.quiet = quiet
        self._earlier: list[list[DevelopmentDraft]] = []
        self.done: list[tuple[Plan, BriefDraft]] = []  # requests answered, as the brief will use them
        self.items: list[ItemEvent] = []  # developments emitted
        self.net_items: list[ItemEvent] = []
        self._sticky: list[DevelopmentDraft] = []  # the current request's emitted developments
        self._seen = 0  # developments of the current answer already looked at
        self._plan: Plan | None = None
        self.plans: list[Plan] = []  # every request's plan, in order
        self._checked: list[DevelopmentDraft] = []  # the developments last checked for this request

    def _grounder(self) -> Grounder:
        return Grounder(*self._grounder_args)

    # -- positions and warnings: the net's, final before the model is asked --------------------

    def net_events(self, plans: list[Plan]) -> list[ItemEvent]:
        self.plans = list(plans)
        if self.quiet:
            return []
        grounder = self._grounder()
        positions, warnings = grounder._candidates([(p, _empty()) for p in plans])
        spans = grounder.report.spans
        events = [
            ItemEvent(section=section, index=i, item=item, spans=_spans(spans, section, i), origin="net")
            for section, items in (("stated_positions", positions), ("warnings", warnings))
            for i, item in enumerate(items)
        ]
        self.net_items = events
        return events

    # -- developments, as the model writes them --------------------------------------------------
    #
    # ``on_text`` runs on the event loop for every chunk: it only parses (microseconds). The
    # Grounder's checks parse sentences (milliseconds each), so they run in a worker thread, one
    # at a time, from ``checking``; what they find is applied and emitted back on the loop.

    def start(self, plan: Plan) -> None:
        """A request for ``plan`` is about to be sent."""
        self._plan, self._sticky, self._seen, self._checked = plan, [], 0, []
        self._written: list[DevelopmentDraft] = []
        self._earlier = []
        self._wake = asyncio.Event()
        self._stopping = False

    def on_text(self, text: str) -> None:
        """The answer so far ("" when a request starts, or starts again)."""
        if not text:
            if self.quiet and self._written:
                self._earlier.append(self._written)
            self._seen, self._written = 0, []
            return
        written = written_developments(text)
        if len(written) > self._seen:
            self._seen, self._written = len(written), written
            if not self.quiet:
                self._wake.set()

    async def checking(self) -> None:
        """While a request runs: check what has been written, newest first, one check at a time."""
        if self.quiet:
            return
        while True:
            await self._wake.wait()
            self._wake.clear()
            developments = keep_emitted(self._sticky, self._written)
            if developments != self._checked:
                await self._advance(developments)
            if self._stopping and not self._wake.is_set():
                return

    async def settle(self) -> None:
        """The request is over: let ``checking`` finish what it was given, then stop it."""
        self._stopping = True
        self._wake.set()

    async def finish(self, draft: BriefDraft) -> BriefDraft:
        """The request's final draft, its emitted developments kept; emits what is left."""
        assert self._plan is not None
        for earlier in self._earlier:  # quiet: what a stream would have shown of earlier answers
            await self._advance(keep_emitted(self._sticky, earlier))
        developments = keep_emitted(self._sticky, list(draft.developments))
        if developments != list(draft.developments):
            log.info("the answer changed after %d development(s) were shown: they stay", len(self._sticky))
            draft = draft.model_copy(update={"developments": developments})
        if developments != self._checked and (self._earlier or not self.quiet):
            await self._advance(developments)  # (an answer read whole was checked as it came)
        self.done.append((self._plan, draft))
        self._plan = None
        return draft

    async def _advance(self, developments: list[DevelopmentDraft]) -> None:
        assert self._plan is not None
        self._checked = list(developments)
        found = await asyncio.to_thread(
            self._kept, self._plan, list(self.done), developments, len(self.items), list(self._sticky)
        )
        for event, source in found:
            self.items.append(event)
            if source is not None:
                self._sticky.append(source)
            self.emit(event)

    def _kept(
        self,
        plan: Plan,
        done: list[tuple[Plan, BriefDraft]],
        developments: list[DevelopmentDraft],
        shown: int,
        sticky: list[DevelopmentDraft],
    ) -> list[tuple[ItemEvent, DevelopmentDraft | None]]:
        """(In a worker thread.) The developments kept beyond the ``shown`` ones, as events, each
        with the draft it came from."""
        grounder = self._grounder()
        # Every plan is there (later ones without developments yet): a rule that looks at the
        # article's other parts sees them all, as it will for the final brief.
        later = [(p, _empty()) for p in self.plans[len(done) + 1 :]]
        kept = grounder._developments([*done, (plan, _empty(developments)), *later])
        out: list[tuple[ItemEvent, DevelopmentDraft | None]] = []
        for index in range(shown, len(kept)):
            item = kept[index]
            event = ItemEvent(
                section="key_developments",
                index=index,
                item=item,
                spans=_spans(grounder.report.spans, "key_developments", index),
                origin="model",
            )
            source = _source_of(
                item, event.spans, developments, [*sticky, *(s for _, s in out if s)], grounder
            )
            out.append((event, source))
        return out

    def check(self, brief: Brief) -> None:
        """Every emitted item is in the brief where it said: if not, a bug (logged, not raised)."""
        if self.quiet:
            return
        sections: dict[str, list[Any]] = {
            "key_developments": brief.key_developments,
            "stated_positions": brief.stated_positions,
            "warnings": brief.warnings,
        }
        for event in [*self.net_items, *self.items]:
            items = sections[event.section]
            if event.index >= len(items) or items[event.index] != event.item:
                log.error("streamed %s[%d] is not in the final brief", event.section, event.index)


def _source_of(
    item: KeyDevelopment,
    spans: list[Span],
    developments: list[DevelopmentDraft],
    taken: list[DevelopmentDraft],
    grounder: Grounder,
) -> DevelopmentDraft | None:
    """The draft a kept development came from: one citing its evidence sentence (the Grounder
    keeps one development per sentence), in the model's words if one has them."""
    where = {(s.start, s.end): n for n, s in grounder.by_number.items()}
    number = where.get((spans[0].start, spans[0].end)) if spans else None
    cited = [d for d in developments if d.sentence == number and d not in taken]
    worded = [d for d in cited if " ".join(d.what.split()) == item.what]
    return (worded or cited)[0] if (worded or cited) else None


def _empty(developments: list[DevelopmentDraft] | None = None) -> BriefDraft:
    return BriefDraft.model_construct(developments=developments or [], summary=[], headline="")


def _spans(spans: list[Span], section: str, index: int) -> list[Span]:
    prefix = f"{section}[{index}]."
    return [s for s in spans if s.item.startswith(prefix)]
