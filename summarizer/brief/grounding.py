"""Grounding: what a brief keeps, rewrites with the article's words, or drops, and why.

Two halves. ``locate`` finds a quoted span in the article, tolerating only harmless typography
(models straighten curly quotes, turn dashes into hyphens, write "..." for "…", reflow white
space); nothing else is forgiven, and offsets point into the *original* article. ``Grounder``
turns the model's drafts into the brief's items and is the one place where an item is dropped
or a field rewritten (see its docstring for the rules).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from summarizer.brief import injection, net, support
from summarizer.brief.dates import resolve
from summarizer.brief.draft import MAX_SUMMARY_SENTENCES, SUMMARY_SENTENCE_CHARS, BriefDraft, Plan
from summarizer.brief.sentences import Sentence, split_text
from summarizer.errors import GroundingError
from summarizer.models import (
    Article,
    CandidateNote,
    Dropped,
    GroundingReport,
    KeyDevelopment,
    Rewritten,
    SentenceRef,
    Span,
    StatedPosition,
    SummarySentence,
    SuspectedInjection,
    Warning,
)

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200a": " ",
    }
)
_ELLIPSIS = re.compile(r"\s*(?:\.\s*\.\s*\.|\u2026)\s*")
_QUOTES_AND_SPACE = " \t\r\n\"'"
# A gap an elided quote may skip ("A ... B"): long enough for a clause, short enough that
# two unrelated sentences far apart in the article can't be glued into a fake quote.
MAX_ELISION_GAP = 400


# What folding rewrites: whitespace runs other than a lone inner space (a lone space is kept
# as a copied character, so ordinary prose stays a few long segments) and the ellipsis sign.
_FOLD_GAPS = re.compile(r"^\s+|\s+\Z|\s{2,}|[^\S ]|\u2026")


@dataclass(frozen=True)
class NormalizedText:
    """Text folded for matching, and how to map a folded index back to the original.

    The folded text is a run of segments: copied ones (offsets shift linearly) and replaced
    ones (a whitespace run folded to " ", "…" expanded to "..."), which map to where the
    replaced characters began.
    """

    text: str
    starts: tuple[int, ...]  # folded index where each segment begins
    origins: tuple[int, ...]  # original index where each segment begins
    copied: tuple[bool, ...]

    def original(self, index: int) -> int:
        k = bisect_right(self.starts, index) - 1
        return self.origins[k] + (index - self.starts[k] if self.copied[k] else 0)


def _fold_text(original: str) -> NormalizedText:
    text = original.translate(_TRANSLATE)  # one character for one: offsets are unchanged
    out: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    copied: list[bool] = []
    pos = length = 0

    def emit(piece: str, origin: int, is_copy: bool) -> None:
        nonlocal length
        starts.append(length)
        origins.append(origin)
        copied.append(is_copy)
        out.append(piece)
        length += len(piece)

    for gap in _FOLD_GAPS.finditer(text):
        if gap.start() > pos:
            emit(text[pos : gap.start()], pos, True)
        if gap.group() == "\u2026":
            emit("...", gap.start(), False)
        elif length and gap.end() < len(text):  # no space at either end
            emit(" ", gap.start(), False)
        pos = gap.end()
    if pos < len(text):
        emit(text[pos:], pos, True)
    return NormalizedText(
        "".join(out), tuple(starts) or (0,), tuple(origins) or (0,), tuple(copied) or (True,)
    )


@lru_cache(maxsize=64)
def normalize_article(article: str) -> NormalizedText:
    """Fold an article once; cached because every item of a brief is looked up in it."""
    return _fold_text(article)


def fold(text: str) -> str:
    """Fold a quoted span the same way the article is folded, minus wrapping quote marks."""
    return _fold_text(text.strip(_QUOTES_AND_SPACE)).text.strip(_QUOTES_AND_SPACE)


MIN_EVIDENCE_CHARS = 12
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot)\b|n't\b|\d", re.IGNORECASE
)


def locate(span: str, article: str) -> tuple[int, int] | None:
    """Return (start, end) of ``span`` in ``article`` (original offsets), or None if absent.

    Evidence is whole words (no match inside a word) and at least ``MIN_EVIDENCE_CHARS`` long.
    An ellipsis inside the span marks an elision: each piece must appear in order, each within
    MAX_ELISION_GAP characters of the previous one, and what it skips may not hold a negation or
    a number ("would ... raise taxes" is not "would not raise taxes").
    """
    if not span or len(fold(span)) < MIN_EVIDENCE_CHARS:
        return None
    norm = normalize_article(article)
    pieces = [fold(p) for p in _ELLIPSIS.split(span.translate(_TRANSLATE))]
    pieces = [p for p in pieces if p]
    if not pieces:
        return None
    start = norm.text.find(pieces[0])
    while start != -1:
        if _word_edge(norm.text, start, start + len(pieces[0])):
            end = _match_rest(norm.text, pieces, start + len(pieces[0]))
            if end is not None:
                return norm.original(start), norm.original(end - 1) + 1
        start = norm.text.find(pieces[0], start + 1)
    return None


def _word_edge(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() and text[start].isalnum()) and not (
        after.isalnum() and text[end - 1].isalnum()
    )


def _match_rest(text: str, pieces: list[str], pos: int) -> int | None:
    for piece in pieces[1:]:
        found = text.find(piece, pos, pos + MAX_ELISION_GAP + len(piece))
        while found != -1 and not _word_edge(text, found, found + len(piece)):
            found = text.find(piece, found + 1, pos + MAX_ELISION_GAP + len(piece))
        if found == -1 or _NEGATION.search(text[pos:found]):
            return None
        pos = found + len(piece)
    return pos


# --- what the brief keeps, rewrites and drops --------------------------------------------------

_WHEN = re.compile(
    r"\b(?:(?:on|last|this|next|early|late)\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
    r"(?:\s+(?:morning|afternoon|evening|night))?(?:,?\s+(?:January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\s+\d{1,2})?"
    r"|\b(?:on\s+)?(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+\d{1,2}(?:st|nd|rd|th)?(?:,\s+\d{4})?"
    r"|\b(?:yesterday|today|tonight|last (?:week|month|year|night)|this (?:week|month|year)|"
    r"earlier this (?:week|month|year)|in (?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_WHERE = re.compile(
    r"\b(?:in|at|near|outside)\s+((?:the\s+)?(?:(?:north|south|east|west|northern|southern|eastern|western|central|"
    r"strategic|northeastern|northwestern|southeastern|southwestern)\s+)?[A-Z][\w'\u2019-]*(?:\s+(?:of\s+)?[A-Z][\w'\u2019-]*)*"
    r"(?:\s+(?:region|province|state|county|city|area|district))?)"
)
_NOT_PLACES = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|Monday|"
    r"Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|The|A|An|Mr|Mrs|Ms|Dr)\b"
)
_QUOTATION = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{12,}?)[\"\u201d]|(?:^|[\s(:])'([^']{12,}?)'(?!\w)")
_AFTER_VERB = re.compile(rf"\b(?:{net._REPORTING})\b\s*(?:that\s+|:\s*)?", re.IGNORECASE)
_WARNED_OF = re.compile(
    r"\b(?:warn(?:s|ed)?|caution(?:s|ed)?|threaten(?:s|ed)?|urg(?:es|ed))\b(?:\s+(?:of|that|against|about))?\s+",
    re.IGNORECASE,
)
_CONDITION = re.compile(r"\b(?:if|unless)\b[^,.;:]{3,140}", re.IGNORECASE)
_AUDIENCE = re.compile(
    r"\bwarn(?:ed|s|ing)?\s+((?:the\s+)?[\w'\u2019-]+(?:\s+[\w'\u2019-]+){0,4}?)\s+(?:that|of|to|against|about|not)\b",
    re.IGNORECASE,
)
_NEAR_REPEAT = 0.85
_CLAUSE_END = re.compile(
    r";|,\s+(?:however|but|although|though|while|whereas|underscoring|emphasi[sz]ing|prompting)\b"
)


def _sentence(text: str) -> str:
    return text if text[-1:] in ".!?'\"\u2019\u201d\u2026" else text + "."


def _is_prose(text: str) -> bool:
    """A sentence of running text, not a title line or a caption: ends like a sentence."""
    return len(text) >= 40 and text.rstrip()[-1:] in ".!?\"'\u201d\u2019"


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (an ellipsis marks a cut)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "\u2026"


def reported_words(sentence: str, limit: int = 150) -> str:
    """What a sentence reports someone as saying, in the article's own words."""
    quoted = _QUOTATION.search(sentence)
    if quoted:
        return shorten("'" + (quoted.group(1) or quoted.group(2)).strip(" ,.") + "'", limit)
    verb = _AFTER_VERB.search(net._mask_quotes(sentence))
    rest = sentence[verb.end() :] if verb else sentence
    rest = _CLAUSE_END.split(rest, maxsplit=1)[0]  # "...; however, it appeared..." is narration
    return shorten(rest[:1].upper() + rest[1:], limit)


def warned_of(sentence: str, limit: int = 120) -> str:
    """What a warning sentence warns of, in its own words: the clause after the warning verb."""
    verb = _WARNED_OF.search(sentence)
    rest = sentence[verb.end() :] if verb else reported_words(sentence, limit)
    rest = _CLAUSE_END.split(rest, maxsplit=1)[0]
    return shorten(rest.rstrip("."), limit)


def when_of(sentence: str) -> str | None:
    m = _WHEN.search(sentence)
    return m.group().strip() if m else None


def where_of(sentence: str) -> str | None:
    for m in _WHERE.finditer(sentence):
        place = m.group(1)
        if not _NOT_PLACES.match(place.split()[-1]) and not _NOT_PLACES.fullmatch(place):
            return place
    return None


class Grounder:
    """The one place that decides what a brief keeps, rewrites with the article's words, or drops.

    * Evidence and quotes are article sentences chosen by number; a citation of a sentence that
      does not exist, or of withheld text (suspected injection), is dropped.
    * A development citing a sentence already used, or saying what another says, is dropped.
    * A development's ``what`` that fails the support check against its own sentence is
      replaced by that sentence's own words (reported in ``rewritten``). A position's ``stance``
      and a warning's ``about`` are the article's words (the quotation, or the clause after the
      reporting or warning verb), for the recall net's candidates.
    * A summary sentence that fails the support check (after one re-ask) is dropped; if none is
      left, the article's lead sentence stands in. A failing headline gives way to the title.
    * Every candidate of the recall net ends as an item or with the net's reason.
    """

    def __init__(
        self,
        article: Article,
        sentences: list[Sentence],
        found: net.Net,
        suspects: list[tuple[Sentence, str]],
        title_suspect: str | None = None,
    ) -> None:
        self.article = article
        self.sentences = sentences
        self.by_number = {s.number: s for s in sentences}
        self.net = found
        self.suspects = suspects
        self.withheld = {s.number for s, _ in suspects}
        self.title_suspect = title_suspect
        # The title as the brief may use it: not at all when it reads as an instruction to a model.
        self.title = "" if title_suspect else " ".join((article.title or "").split())
        self._instructions = [s.text for s, _ in suspects] + ([article.title or ""] if title_suspect else [])
        self._shown = [s.text for s in sentences if s.number not in self.withheld] + [self.title]
        self.report = GroundingReport()
        # Each kept development's wording for a summary: the model's if it passed, else its sentence.
        self._development_wordings: list[tuple[str, int]] = []

    def sentence(self, number: int) -> Sentence:
        return self.by_number[number]

    def _usable(self, number: int) -> bool:
        return number in self.by_number and number not in self.withheld

    def _context(self, numbers: list[int]) -> list[str]:
        context = [self.title]
        for n in numbers:
            context += [
                self.by_number[k].text
                for k in (n - 2, n - 1)
                if k in self.by_number and k not in self.withheld
            ]
        return context

    def _check(self, text: str, numbers: list[int]) -> support.Verdict:
        return support.check(text, [self.by_number[n].text for n in numbers], self._context(numbers))

    def carried_out(self, text: str) -> str | None:
        """Why ``text`` does what a withheld instruction in the article asked (``injection``)."""
        if not self._instructions:
            return None
        return injection.carried_out(text, self._instructions, self._shown)

    def check_summary(self, text: str, refs: list[int]) -> support.Verdict:
        if (obeys := self.carried_out(text)) is not None:
            return support.Verdict(False, (obeys,))
        if not refs:
            return support.Verdict(False, ("cites no article sentence",))
        return self._check(text, refs)

    def summary_candidates(
        self, drafts: list[tuple[Plan, BriefDraft]]
    ) -> list[tuple[str, list[int], support.Verdict]]:
        """The summary sentences to check, one sentence each (a model that packs several into one
        item has each checked on its own); a long article's parts take turns, first sentences first."""
        queues = [
            [
                (sentence, [n for n in dict.fromkeys(s.support) if self._usable(n)])
                for s in d.summary
                for sentence in split_text(s.text)
            ]
            for _, d in drafts
        ]
        chosen: list[tuple[str, list[int]]] = []
        while any(queues) and len(chosen) < MAX_SUMMARY_SENTENCES:
            for queue in queues:
                if queue and len(chosen) < MAX_SUMMARY_SENTENCES:
                    chosen.append(queue.pop(0))
        return [(" ".join(text.split()), refs, self.check_summary(text, refs)) for text, refs in chosen]

    def brief(
        self,
        drafts: list[tuple[Plan, BriefDraft]],
        summary: list[tuple[str, list[int], support.Verdict]],
        *,
        strict: bool = False,
    ) -> dict[str, Any]:
        """The brief's content (everything but metadata besides the grounding report)."""
        developments = self._developments(drafts)
        positions, warnings = self._candidates(drafts)
        sentences = self._summary(summary)
        headline = self._headline(drafts[0][1].headline if drafts else "", sentences)
        report = self.report
        report.verified = len(developments) + len(positions) + len(warnings)
        report.injection_suspected = [
            SuspectedInjection(start=s.start, end=s.end, text=s.text, reason=why) for s, why in self.suspects
        ]
        if self.title_suspect:
            title = self.article.title or ""
            report.injection_suspected.insert(
                0,
                SuspectedInjection(
                    start=0, end=len(title), text=title, reason=self.title_suspect, field="title"
                ),
            )
        if strict and (report.dropped or report.rewritten):
            problems = "; ".join(f"{d.item}: {d.reason}" for d in report.dropped) or "; ".join(
                f"{r.item}: {r.reason}" for r in report.rewritten
            )
            raise GroundingError(f"the brief is not fully backed by the article: {problems}")
        return {
            "headline": headline,
            "summary": " ".join(s.text for s in sentences),
            "summary_sentences": sentences,
            "key_developments": developments,
            "stated_positions": positions,
            "warnings": warnings,
        }

    def _ref(self, n: int) -> SentenceRef:
        s = self.by_number[n]
        return SentenceRef(number=n, start=s.start, end=s.end)

    def _span(self, item: str, n: int) -> None:
        s = self.by_number[n]
        self.report.spans.append(Span(item=item, start=s.start, end=s.end))

    def _rewrite(self, item: str, model_text: str, numbers: list[int], fallback: str) -> str:
        obeys = self.carried_out(model_text)
        verdict = support.Verdict(False, (obeys,)) if obeys else self._check(model_text, numbers)
        if verdict.ok:
            return " ".join(model_text.split())
        self.report.rewritten.append(
            Rewritten(item=item, model_text=model_text, reason="; ".join(verdict.problems))
        )
        return fallback

    def _developments(self, drafts: list[tuple[Plan, BriefDraft]]) -> list[KeyDevelopment]:
        kept: list[KeyDevelopment] = []
        used: set[int] = set()
        for _plan, draft in drafts:
            for d in draft.developments:
                path = f"key_developments[{len(kept)}]"
                if not self._usable(d.sentence):
                    self.report.dropped.append(
                        Dropped(
                            item=path,
                            text=d.what,
                            reason=f"cites sentence {d.sentence}, which the model was not shown",
                        )
                    )
                    continue
                if d.sentence in used:
                    self.report.dropped.append(
                        Dropped(item=path, text=d.what, reason=f"cites sentence {d.sentence} again")
                    )
                    continue
                s = self.by_number[d.sentence]
                fallback = shorten(s.text, 160)
                what = self._rewrite(f"{path}.what", d.what, [d.sentence], fallback)
                if any(
                    SequenceMatcher(None, what.lower(), k.what.lower()).ratio() >= _NEAR_REPEAT for k in kept
                ):
                    self.report.dropped.append(
                        Dropped(item=path, text=what, reason="repeats an earlier development")
                    )
                    continue
                used.add(d.sentence)
                wording = what if what != fallback else shorten(s.text, SUMMARY_SENTENCE_CHARS)
                self._development_wordings.append((wording, d.sentence))
                when, where = when_of(s.text), where_of(s.text)
                kept.append(
                    KeyDevelopment(
                        evidence=s.text,
                        what=what,
                        when=when,
                        where=where,
                        when_iso=resolve(when, self.article.published)
                        if when and self.article.published
                        else None,
                    )
                )
                self._span(f"{path}.evidence", d.sentence)
        return kept

    def _candidates(
        self, drafts: list[tuple[Plan, BriefDraft]]
    ) -> tuple[list[StatedPosition], list[Warning]]:
        positions: list[StatedPosition] = []
        warnings: list[Warning] = []
        outcome: dict[tuple[str, int], str] = {}
        for plan, _draft in drafts:
            for c in plan.voices:
                path = f"stated_positions[{len(positions)}]"
                s = c.sentence
                positions.append(
                    StatedPosition(
                        quote=s.text, actor=c.actor.name, role=c.actor.role, stance=reported_words(s.text)
                    )
                )
                self._span(f"{path}.quote", s.number)
                outcome[("voice", s.number)] = path
            for c in plan.warnings:
                path = f"warnings[{len(warnings)}]"
                s = c.sentence
                condition = _CONDITION.search(s.text)
                audience = _AUDIENCE.search(s.text)
                warnings.append(
                    Warning(
                        evidence=s.text,
                        issued_by=c.actor.name,
                        about=warned_of(s.text),
                        condition=condition.group().strip() if condition else None,
                        audience=audience.group(1) if audience else None,
                    )
                )
                self._span(f"{path}.evidence", s.number)
                outcome[("warning", s.number)] = path
        notes = []
        for c in [*self.net.voices, *self.net.warnings]:
            where = outcome.get((c.kind, c.sentence.number))
            if where is None:
                where = (
                    "withheld: the sentence reads as an instruction to an AI model"
                    if c.sentence.number in self.withheld
                    else "not answered by the model"
                )
            notes.append((c.kind, c.sentence, where))
        notes += [
            (k.kind, self.by_number[k.sentence], k.reason)
            for k in self.net.skipped
            if k.sentence in self.by_number
        ]
        self.report.candidates = [
            CandidateNote(kind=kind, sentence=s.number, start=s.start, end=s.end, outcome=why)
            for kind, s, why in sorted(notes, key=lambda x: (x[1].number, x[0]))
        ]
        return positions, warnings

    def _summary(self, summary: list[tuple[str, list[int], support.Verdict]]) -> list[SummarySentence]:
        self.report.summary_checked = len(summary)
        kept: list[SummarySentence] = []
        for i, (text, refs, verdict) in enumerate(summary):
            if not verdict.ok:
                self.report.dropped.append(
                    Dropped(item=f"summary[{i}]", text=text, reason="; ".join(verdict.problems))
                )
                continue
            if text.rstrip()[-1:] not in ".!?'\"\u2019\u201d)":
                # A grammar-constrained string ends at the model's first double quote: "... are".
                self.report.dropped.append(
                    Dropped(item=f"summary[{i}]", text=text, reason="cut off mid-sentence")
                )
                continue
            if any(SequenceMatcher(None, text.lower(), k.text.lower()).ratio() >= _NEAR_REPEAT for k in kept):
                self.report.dropped.append(
                    Dropped(item=f"summary[{i}]", text=text, reason="repeats an earlier summary sentence")
                )
                continue
            kept.append(SummarySentence(text=_sentence(text), support=[self._ref(n) for n in refs]))
        self.report.summary_passed = len(kept)
        if not kept:
            kept = self._stand_in_summary()
        return kept

    def _stand_in_summary(self) -> list[SummarySentence]:
        """No summary sentence passed: the first developments stand in, in the model's wording
        where the check passed it, else in their sentence's own words; with no development, the
        article's lead sentence."""
        if self._development_wordings:
            reason = "no summary sentence passed the support check: the first developments stand in"
            chosen = [
                SummarySentence(text=_sentence(text), support=[self._ref(n)])
                for text, n in self._development_wordings[: MAX_SUMMARY_SENTENCES - 1]
            ]
        else:
            reason = "no summary sentence passed the support check: the article's lead sentence stands in"
            lead = next(
                (s for s in self.sentences if s.number not in self.withheld and _is_prose(s.text)), None
            )
            lead = lead or next((s for s in self.sentences if s.number not in self.withheld), None)
            chosen = [SummarySentence(text=lead.text, support=[self._ref(lead.number)])] if lead else []
        self.report.rewritten.append(Rewritten(item="summary", model_text="", reason=reason))
        return chosen

    def _headline(self, headline: str, summary: list[SummarySentence]) -> str:
        headline = " ".join(headline.split())
        # A headline is short: one new word may be its whole claim ("Mayor resigns").
        if not headline:
            verdict = support.Verdict(False, ("empty",))
        elif obeys := self.carried_out(headline):
            verdict = support.Verdict(False, (obeys,))
        else:
            verdict = support.check(headline, self._shown, max_new_share=0.0, min_new=1)
        if verdict.ok:
            return headline
        lead = next((s.text for s in self.sentences if s.number not in self.withheld), "")
        # A one-word title is a site's or a section's ("News", "Home"), not the story's.
        title = self.title if len(self.title.split()) >= 2 else ""
        fallback = title or shorten(summary[0].text if summary else lead, 150)
        self.report.rewritten.append(
            Rewritten(item="headline", model_text=headline, reason="; ".join(verdict.problems))
        )
        return fallback or headline
