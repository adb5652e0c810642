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

from summarizer.brief import injection, net, quality, support
from summarizer.brief.clauses import compress
from summarizer.brief.dates import resolve

# The draft schema's limits on the model's strings: grammar-constrained decoding stops a string
# there, so one that reaches its limit was cut, not finished.
from summarizer.brief.draft import HEADLINE_CHARS as HEADLINE_CAP
from summarizer.brief.draft import MAX_SUMMARY_SENTENCES, BriefDraft, Plan, heading_of
from summarizer.brief.draft import WHAT_CHARS as WHAT_CAP
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
# A quotation that runs on into the next sentence: 'said: "This is great news for Edinburgh.'
_OPEN_QUOTATION = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{12,})$|(?:^|[\s(:])'([^']{12,})$")
_BEFORE_THAT = re.compile(r"^[^,;:\"\u201c]{0,60}?\bthat\s+(?=\S)")
_AFTER_VERB = re.compile(rf"\b(?:{net._REPORTING})\b\s*(?:that\s+|:\s*)?", re.IGNORECASE)
_WARNED_OF = re.compile(
    r"\b(?:(?:warn(?:s|ed)?|caution(?:s|ed)?|threaten(?:s|ed)?|urg(?:es|ed))\b(?:\s+(?:of|that|against|about))?"
    r"|warning\s+(?:of|that|against|about))\s+",
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


# How long the article's words may run in a field before whole clauses are dropped from them
# (``clauses.compress``: never a cut mid-word or mid-clause, never an ellipsis).
WHAT_CHARS = 160
STANCE_CHARS = 200
SUMMARY_CLAUSE_CHARS = 160
# A brief is read, not searched: past these, candidates are noted in the report, not worded (a
# hostile "x said x said …" article makes thousands, each a parse).
MAX_POSITIONS = 25
MAX_WARNINGS = 12
# Two sentences: the news and what follows from it (the central warning when there is one).
# Measured on the 10 corpus fixtures' recorded answers (ROUGE-L against the human references):
# 2 sentences 30.1, 3 sentences 27.0, 4 sentences 27.8; lead-3 26.9.
EXTRACTIVE_SENTENCES = 2


def _own_words(text: str, limit: int) -> str:
    """The article's words of ``text``, shortened at clause boundaries if it runs past ``limit``."""
    return compress(text, limit)


def _clause(text: str) -> str:
    """A clause taken out of a sentence, as a reader sees it: trimmed, no dangling punctuation."""
    return " ".join(text.split()).strip(" ,;:-\u2013\u2014").rstrip(".")


def reported_words(sentence: str, limit: int = STANCE_CHARS) -> str:
    """What a sentence reports someone as saying, in the article's own words: the quotation when
    it is a claim ("'We will appeal'"), else the clause after the reporting verb ("that it would
    repel Ukrainian forces"). Empty when neither carries a claim: the position is then dropped."""
    quoted = _QUOTATION.search(sentence) or _OPEN_QUOTATION.search(sentence)
    options = []
    if quoted:
        options.append("'" + _clause(quoted.group(1) or quoted.group(2)) + "'")
    verb = _AFTER_VERB.search(net._mask_quotes(sentence))
    if verb and not _acts_on_a_thing(sentence, verb.start()):
        rest = _CLAUSE_END.split(sentence[verb.end() :], maxsplit=1)[0]  # "...; however, ..." is narration
        rest = _BEFORE_THAT.sub("", rest)  # "decided last year that …", "told the paper that …"
        options.append(_clause(rest[:1].upper() + rest[1:]))
    for option in options:
        if option.strip("'") and not quality.thin_claim(option):
            if option.startswith("'"):  # the speaker's words, exactly as quoted
                return option if len(option) <= limit else _own_words(option, limit)
            return _own_words(_sentence(option), limit)
    return ""


def _acts_on_a_thing(sentence: str, at: int) -> bool:
    """Whether the reporting verb at ``at`` takes a thing, not words: "England declared their
    innings", "Rashid claimed the final three wickets" (an object and no clause after it)."""
    from summarizer.brief.language import parse

    doc = parse(sentence)
    verb = next((t for t in doc if t.idx == at), None)
    if verb is None:
        return False
    kids = {k.dep_ for k in verb.children}
    return (
        "dobj" in kids
        and not kids & {"ccomp", "xcomp", "dative"}
        and verb.lemma_ not in ("tell", "warn", "urge")
    )


def warned_of(sentence: str, limit: int = STANCE_CHARS) -> str:
    """What a warning sentence warns of, in its own words: the clause after the warning verb
    (or what it reports); the whole sentence, shortened at clause boundaries, when that is thin."""
    for verb in _WARNED_OF.finditer(sentence):
        rest = _clause(_CLAUSE_END.split(sentence[verb.end() :], maxsplit=1)[0])
        if not quality.thin_danger(rest):  # "Labour's threat to the economy" names a danger
            return compress(rest, limit, sentence=False)
    rest = _clause(reported_words(sentence, limit))
    if rest and not quality.thin_claim(rest):
        return compress(rest, limit, sentence=False)
    return _clause(_own_words(sentence, limit))


def when_of(sentence: str) -> str | None:
    m = _WHEN.search(sentence)
    return m.group().strip() if m else None


def where_of(sentence: str) -> str | None:
    for m in _WHERE.finditer(sentence):
        place = m.group(1)
        if not _NOT_PLACES.match(place.split()[-1]) and not _NOT_PLACES.fullmatch(place):
            return place
    return None


_WHOLE_QUOTE = re.compile(r"^[\"\u201c]([^\"\u201c\u201d]+)[\"\u201d],?\s+(.+)$")


def _attributed_claim(sentence: str) -> bool:
    """A whole quotation of at least ten words, closed, then its speaker named ("…," Dr Smith
    said): a claim a summary may carry, unlike a bare "This is great news"."""
    m = _WHOLE_QUOTE.match(sentence.strip())
    return bool(
        m
        and len(m.group(1).split()) >= 10
        and net.REPORTING_VERB.search(m.group(2))
        and not quality.glued(sentence)
    )


class Grounder:
    """The one place that decides what a brief keeps, rewrites with the article's words, or drops.

    * Evidence and quotes are article sentences chosen by number; a citation of a sentence that
      does not exist, or of withheld text (suspected injection), is dropped.
    * Every string a brief shows meets the reader's rules (``quality``): whole sentences, never
      cut mid-word or mid-clause, only the article's scripts, real speakers, stances that claim.
    * An article sentence belongs to one section: one that the recall net makes a position or a
      warning is not also a development; captions, bylines and credits are never items.
    * A development's ``what`` that fails the support check or the reader's rules is replaced by
      its sentence's own words, shortened at clause boundaries (reported in ``rewritten``).
      A position's ``stance`` and a warning's ``about`` are the article's words; a position
      whose speaker is not a name or role, or whose stance carries no claim, is dropped.
    * Summary sentences are checked against the sentences that best support them anywhere in the
      article (re-citation, reported). An *extractive* summary (the default on grammar-constrained
      local models) is the article's own sentences, shortened at clause boundaries: the lead
      development first, then the central warning, then what the model's summary cites. A *free*
      summary (hosted models) keeps the model's sentences that pass, the lead development first.
    * A failing headline gives way to the title, then to the lead development's words.
    * Every candidate of the recall net ends as an item or with the reason it is not one.
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
        # The sentences of kept developments, in the model's order of importance.
        self._development_numbers: list[int] = []
        self._warning_numbers: list[int] = []
        self._position_numbers: list[int] = []

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
        """Why ``text`` does what a withheld instruction in the article asked, or uses a value the
        article asks a headline or summary of it to use, flagged or not (``injection``)."""
        if self._instructions and (obeys := injection.carried_out(text, self._instructions, self._shown)):
            return obeys
        return injection.asked_for(text, self._shown)

    def _reader_problem(self, text: str, *, sentence: bool, cap: int | None = None) -> str | None:
        """Which of the reader's rules ``text`` breaks (``quality``), if any. ``cap``: the length
        the model's string was limited to; a string that reached it was cut there."""
        if cap is not None and len(text) >= cap - 1:
            return f"cut off at the {cap}-character limit"
        if quality.cut_off(text, self.article.text) or (sentence and not quality.ends_a_sentence(text)):
            return "cut off mid-sentence"
        if not sentence and len(pieces := split_text(text)) > 1 and not quality.ends_a_sentence(pieces[-1]):
            return "cut off mid-sentence"  # "… bread-and-butter issues. He's"
        if sentence and not quality.is_sentence(text):
            return "not a whole sentence"
        if quality.foreign_script(text, self.article.text):
            return "letters of a script the article does not use"
        return None

    # --- summary: re-citation and the check ---------------------------------------------------

    def check_summary(self, text: str, refs: list[int]) -> support.Verdict:
        if (obeys := self.carried_out(text)) is not None:
            return support.Verdict(False, (obeys,))
        if (problem := self._reader_problem(text, sentence=True)) is not None:
            return support.Verdict(False, (problem,))
        if quality.bare_quote(text):
            return support.Verdict(False, ("only someone's quoted words, with no claim",))
        if not refs:
            return support.Verdict(False, ("cites no article sentence",))
        return self._check(text, refs)

    def recite(self, text: str, refs: list[int]) -> tuple[list[int], support.Verdict]:
        """The sentences that support ``text``, wherever they are in the article: its own
        citations if they do, else the one or two sentences that share most of its words. A model
        often cites the wrong sentence for a true statement; only what no sentence supports fails."""
        verdict = self.check_summary(text, refs)
        if verdict.ok or any(
            not p.startswith(("numbers", "names", "words", "says", "gives", "states"))
            for p in verdict.problems
        ):
            return refs, verdict
        ranked = self._best_sentences(text)
        for candidate in ([ranked[0]] if ranked else [], ranked[:2]):
            if candidate and sorted(candidate) != sorted(refs):
                tried = self.check_summary(text, sorted(candidate))
                if tried.ok:
                    return sorted(candidate), tried
        return refs, verdict

    def _best_sentences(self, text: str) -> list[int]:
        """Usable sentences ranked by the content words they share with ``text`` (rarer words
        weigh more: a name outweighs "said")."""
        words = {support._stem(w) for w in support._WORD.findall(text) if w.lower() not in support._STOP}
        if not words:
            return []
        usable = [s for s in self.sentences if self._usable(s.number)]
        bags = {s.number: {support._stem(w) for w in support._WORD.findall(s.text)} for s in usable}
        df: dict[str, int] = {}
        for bag in bags.values():
            for w in bag & words:
                df[w] = df.get(w, 0) + 1
        scores = {n: sum(1.0 / df[w] for w in bag & words) for n, bag in bags.items()}
        ranked = sorted((n for n in scores if scores[n] > 0), key=lambda n: (-scores[n], n))
        return ranked[:3]

    def summary_candidates(
        self, drafts: list[tuple[Plan, BriefDraft]]
    ) -> list[tuple[str, list[int], support.Verdict]]:
        """The model's summary sentences, one sentence each (a model that packs several into one
        item has each checked on its own), re-cited and checked; a long article's parts take
        turns, first sentences first."""
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
        out = []
        for i, (text, refs) in enumerate(chosen):
            text = " ".join(text.split())
            cited, verdict = self.recite(text, refs)
            if cited != refs and verdict.ok:
                self.report.rewritten.append(
                    Rewritten(
                        item=f"summary[{i}].support",
                        model_text=", ".join(map(str, refs)) or "none",
                        reason=f"re-cited: sentence(s) {', '.join(map(str, cited))} state it",
                    )
                )
            out.append((text, cited, verdict))
        return out

    # --- the brief ------------------------------------------------------------------------------

    def brief(
        self,
        drafts: list[tuple[Plan, BriefDraft]],
        summary: list[tuple[str, list[int], support.Verdict]],
        *,
        strict: bool = False,
        extractive: bool = False,
    ) -> dict[str, Any]:
        """The brief's content (everything but metadata besides the grounding report)."""
        positions, warnings = self._candidates(drafts)
        developments = self._developments(drafts)
        sentences = self._summary(summary, drafts, extractive=extractive)
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
        problem = obeys or self._reader_problem(model_text, sentence=True, cap=WHAT_CAP)
        verdict = support.Verdict(False, (problem,)) if problem else self._check(model_text, numbers)
        if verdict.ok:
            return " ".join(model_text.split())
        self.report.rewritten.append(
            Rewritten(item=item, model_text=model_text, reason="; ".join(verdict.problems))
        )
        return fallback

    def _sectioned(self, n: int, drafts: list[tuple[Plan, BriefDraft]]) -> bool:
        """Whether the net makes sentence ``n`` a position or a warning (decided from the article
        alone, so a streamed development is never retracted for it)."""
        for plan, _draft in drafts:
            if any(c.sentence.number == n and self._warning_ok(c) for c in plan.warnings):
                return True
            for c in plan.voices:
                chosen, _problem = self._voice(c)
                if chosen is not None and chosen.sentence.number == n:
                    return True
        return False

    def _voice(self, c: net.Candidate) -> tuple[net.Candidate | None, str | None]:
        """The sentence that speaks for an actor: the net's choice, or, when that one carries no
        claim (or no usable speaker), the same actor's next sentence that does ("He stressed that
        …" failing, Zelensky's other words stand in). Decided from the article alone."""
        problem = self._position_problem(c)
        if problem is None:
            return c, None
        same = f"same actor as the position citing sentence {c.sentence.number}"
        for k in self.net.skipped:
            if k.reason == same and self._usable(k.sentence):
                other = net.Candidate(
                    "voice", self.by_number[k.sentence], self.net.speakers.get(k.sentence, c.actor)
                )
                if self._position_problem(other) is None:
                    return other, problem
        return None, problem

    def _developments(self, drafts: list[tuple[Plan, BriefDraft]]) -> list[KeyDevelopment]:
        kept: list[KeyDevelopment] = []
        used: set[int] = set()
        self._development_numbers = []
        for _plan, draft in drafts:
            for d in draft.developments:
                path = f"key_developments[{len(kept)}]"
                reason = None
                if not self._usable(d.sentence):
                    reason = f"cites sentence {d.sentence}, which the model was not shown"
                elif d.sentence in used:
                    reason = f"cites sentence {d.sentence} again"
                elif self._sectioned(d.sentence, drafts):
                    reason = f"sentence {d.sentence} is a stated position or a warning"
                elif quality.boilerplate(self.by_number[d.sentence].text):
                    reason = f"sentence {d.sentence} is a caption, byline or credit"
                elif self.by_number[d.sentence].text.rstrip("\"'\u201d\u2019 ").endswith("?"):
                    reason = f"sentence {d.sentence} is a question"
                elif quality.bare_quote(self.by_number[d.sentence].text):
                    reason = f"sentence {d.sentence} is someone's quoted words, not a development"
                elif not quality.is_sentence(_own_words(self.by_number[d.sentence].text, WHAT_CHARS)):
                    reason = f"sentence {d.sentence} is not a whole sentence (a caption or a fragment)"
                if reason is not None:
                    self.report.dropped.append(Dropped(item=path, text=d.what, reason=reason))
                    continue
                s = self.by_number[d.sentence]
                fallback = _sentence(_own_words(s.text, WHAT_CHARS))
                what = self._rewrite(f"{path}.what", d.what, [d.sentence], fallback)
                if any(
                    SequenceMatcher(None, what.lower(), k.what.lower()).ratio() >= _NEAR_REPEAT for k in kept
                ):
                    self.report.dropped.append(
                        Dropped(item=path, text=what, reason="repeats an earlier development")
                    )
                    continue
                used.add(d.sentence)
                self._development_numbers.append(d.sentence)
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

    def _position_problem(self, c: net.Candidate) -> str | None:
        if not quality.valid_actor(c.actor.name, self.article.text):
            return f"the speaker found ('{c.actor.name}') is not a name or a role"
        if quality.boilerplate(c.sentence.text):
            return "a caption, byline or credit"
        if not reported_words(c.sentence.text):
            return "what the sentence reports is not a claim"
        return None

    def _warning_ok(self, c: net.Candidate) -> bool:
        return quality.valid_actor(c.actor.name, self.article.text) and not quality.boilerplate(
            c.sentence.text
        )

    def _candidates(
        self, drafts: list[tuple[Plan, BriefDraft]]
    ) -> tuple[list[StatedPosition], list[Warning]]:
        positions: list[StatedPosition] = []
        warnings: list[Warning] = []
        outcome: dict[tuple[str, int], str] = {}
        self._warning_numbers = []
        self._position_numbers = []
        for plan, _draft in drafts:
            warned = set()
            for c in plan.warnings:
                s = c.sentence
                if len(warnings) >= MAX_WARNINGS:
                    outcome[("warning", s.number)] = (
                        f"not shown: a brief keeps at most {MAX_WARNINGS} warnings"
                    )
                    continue
                if not self._warning_ok(c):
                    outcome[("warning", s.number)] = (
                        f"dropped: the warner found ('{c.actor.name}') is not a name or a role"
                    )
                    continue
                path = f"warnings[{len(warnings)}]"
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
                warned.add(s.number)
                self._warning_numbers.append(s.number)
            for c in plan.voices:
                s = c.sentence
                if s.number in warned:
                    outcome[("voice", s.number)] = "the sentence is a warning (one section each)"
                    continue
                if len(positions) >= MAX_POSITIONS:
                    outcome[("voice", s.number)] = (
                        f"not shown: a brief keeps at most {MAX_POSITIONS} positions"
                    )
                    continue
                chosen, problem = self._voice(c)
                if chosen is None:
                    outcome[("voice", s.number)] = f"dropped: {problem}"
                    continue
                if chosen is not c:
                    path = f"stated_positions[{len(positions)}]"
                    outcome[("voice", s.number)] = (
                        f"{problem}: sentence {chosen.sentence.number} speaks for the actor"
                    )
                    c, s = chosen, chosen.sentence
                    outcome[("voice", s.number)] = path
                path = f"stated_positions[{len(positions)}]"
                positions.append(
                    StatedPosition(
                        quote=s.text, actor=c.actor.name, role=c.actor.role, stance=reported_words(s.text)
                    )
                )
                self._span(f"{path}.quote", s.number)
                outcome[("voice", s.number)] = path
                self._position_numbers.append(s.number)
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
            (k.kind, self.by_number[k.sentence], outcome.get((k.kind, k.sentence), k.reason))
            for k in self.net.skipped
            if k.sentence in self.by_number
        ]
        self.report.candidates = [
            CandidateNote(kind=kind, sentence=s.number, start=s.start, end=s.end, outcome=why)
            for kind, s, why in sorted(notes, key=lambda x: (x[1].number, x[0]))
        ]
        return positions, warnings

    def _summary(
        self,
        summary: list[tuple[str, list[int], support.Verdict]],
        drafts: list[tuple[Plan, BriefDraft]],
        *,
        extractive: bool = False,
    ) -> list[SummarySentence]:
        self.report.summary_checked = len(summary)
        model: list[SummarySentence] = []
        for i, (text, refs, verdict) in enumerate(summary):
            if not verdict.ok:
                self.report.dropped.append(
                    Dropped(item=f"summary[{i}]", text=text, reason="; ".join(verdict.problems))
                )
                continue
            if any(
                SequenceMatcher(None, text.lower(), k.text.lower()).ratio() >= _NEAR_REPEAT for k in model
            ):
                self.report.dropped.append(
                    Dropped(item=f"summary[{i}]", text=text, reason="repeats an earlier summary sentence")
                )
                continue
            model.append(SummarySentence(text=_sentence(text), support=[self._ref(n) for n in refs]))
        self.report.summary_passed = len(model)
        lead = self._lead_number(drafts)
        if extractive:
            return self._extractive_summary(lead, summary)
        if not model:
            return self._extractive_summary(lead, summary, reason="no summary sentence passed the check")
        # The news first: a passing sentence that states the lead development leads; if none
        # does, the lead development's own words do.
        first = next((s for s in model if lead in {r.number for r in s.support}), None)
        if lead is not None and first is None:
            opener = self._own_sentence(lead)
            if opener is not None:
                model = [opener, *model][:MAX_SUMMARY_SENTENCES]
                self.report.rewritten.append(
                    Rewritten(
                        item="summary[0]", model_text="", reason="the lead development leads the summary"
                    )
                )
        elif first is not None and first is not model[0]:
            model = [first, *(s for s in model if s is not first)]
        return model

    def _lead_number(self, drafts: list[tuple[Plan, BriefDraft]]) -> int | None:
        """The sentence of the main development: the model's first citation it may use (positions
        and warnings included: "Russia announced it had retaken land" may be the news), else the
        article's first sentence of running text."""
        for _plan, draft in drafts[:1]:
            for d in draft.developments:
                if self._usable(d.sentence) and self._summary_worthy(d.sentence):
                    return d.sentence
        lead = next(
            (
                s.number
                for s in self.sentences
                if self._usable(s.number) and _is_prose(s.text) and self._summary_worthy(s.number)
            ),
            None,
        )
        return lead

    def _summary_worthy(self, n: int) -> bool:
        text = self.by_number[n].text
        return not (
            quality.boilerplate(text)
            or text.rstrip("\"'\u201d\u2019 ").endswith("?")
            or (quality.bare_quote(text) and not _attributed_claim(text))
            or n == heading_of(self.sentences)
        )

    def _own_sentence(self, n: int) -> SummarySentence | None:
        """Sentence ``n`` in the article's words, shortened at clause boundaries; None when that
        does not read as a sentence (a title line, a fragment) or is a bare quote."""
        original = self.by_number[n].text
        # An attributed quotation stays whole: shortening would take its speaker off.
        text = original if _attributed_claim(original) else _own_words(original, SUMMARY_CLAUSE_CHARS)
        if not quality.is_sentence(text) or (quality.bare_quote(text) and not _attributed_claim(text)):
            return None
        return SummarySentence(text=text, support=[self._ref(n)])

    def _extractive_summary(
        self,
        lead: int | None,
        summary: list[tuple[str, list[int], support.Verdict]],
        reason: str = "extractive summary: the article's sentences, shortened at clause boundaries",
    ) -> list[SummarySentence]:
        """The article's own sentences: the lead development, the central warning, then what the
        model's summary cites (re-cited), then the other developments; three at most."""
        order: list[int] = []
        if lead is not None:
            order.append(lead)
        order += self._warning_numbers[:1]
        for _text, refs, verdict in summary:
            if verdict.ok:
                order += refs[:1]
        order += self._development_numbers
        # Last, what a named speaker claims at length, attributed ("'We will have strong
        # indications of life within a decade,' NASA's chief scientist said"): not a bare quote.
        quotes = [n for n in self._position_numbers if _attributed_claim(self.by_number[n].text)]
        order += quotes
        chosen: list[SummarySentence] = []
        for n in dict.fromkeys(order):
            if len(chosen) >= EXTRACTIVE_SENTENCES:
                break
            if not self._usable(n) or not self._summary_worthy(n):
                continue
            own = self._own_sentence(n)
            if own is None or any(
                SequenceMatcher(None, own.text.lower(), k.text.lower()).ratio() >= _NEAR_REPEAT
                for k in chosen
            ):
                continue
            chosen.append(own)
        if not chosen:
            prose = next((s for s in self.sentences if self._usable(s.number) and _is_prose(s.text)), None)
            if prose is not None:
                chosen = [SummarySentence(text=prose.text, support=[self._ref(prose.number)])]
        self.report.rewritten.append(Rewritten(item="summary", model_text="", reason=reason))
        return chosen

    def _headline(self, headline: str, summary: list[SummarySentence]) -> str:
        headline = " ".join(headline.split())
        # A headline is short: one new word may be its whole claim ("Mayor resigns").
        if not headline:
            verdict = support.Verdict(False, ("empty",))
        elif obeys := self.carried_out(headline):
            verdict = support.Verdict(False, (obeys,))
        elif lone := injection.unbacked(
            headline,
            self.sentences,
            [*self._development_numbers, *(r.number for s in summary for r in s.support)],
            self.withheld,
        ):
            verdict = support.Verdict(False, (lone,))  # told by one sentence that is not news
        elif problem := self._reader_problem(headline, sentence=False, cap=HEADLINE_CAP):
            verdict = support.Verdict(False, (problem,))
        else:
            verdict = support.check(headline, self._shown, max_new_share=0.0, min_new=1)
        if verdict.ok:
            return headline
        # A one-word title is a site's or a section's ("News", "Home"), not the story's.
        title = self.title if len(self.title.split()) >= 2 and not quality.cut_off(self.title) else ""
        lead = next((s.text for s in self.sentences if s.number not in self.withheld), "")
        fallback = title or (summary[0].text if summary else _own_words(lead, SUMMARY_CLAUSE_CHARS))
        self.report.rewritten.append(
            Rewritten(item="headline", model_text=headline, reason="; ".join(verdict.problems))
        )
        return fallback or headline
