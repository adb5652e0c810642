"""Find a model-quoted span in the article, tolerating only harmless typographic changes.

Models retype quotes: they straighten curly quotes, turn dashes into hyphens, write "..." for
"…" and reflow whitespace. Nothing else is forgiven: a paraphrase is not evidence. Offsets are
reported in the *original* article, so a reader can highlight the exact characters.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
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
    return NormalizedText("".join(out), tuple(starts) or (0,), tuple(origins) or (0,), tuple(copied) or (True,))


@lru_cache(maxsize=64)
def normalize_article(article: str) -> NormalizedText:
    """Fold an article once; cached because every item of a brief is looked up in it."""
    return _fold_text(article)


def fold(text: str) -> str:
    """Fold a quoted span the same way the article is folded, minus wrapping quote marks."""
    return _fold_text(text.strip(_QUOTES_AND_SPACE)).text.strip(_QUOTES_AND_SPACE)


def mentions(phrase: str, article: str) -> bool:
    """Whether ``phrase`` occurs in ``article``, ignoring case and harmless typography.

    For short optional fields (a development's when and where) that must be the article's words.
    """
    needle = fold(phrase).lower()
    return bool(needle) and needle in normalize_article(article).text.lower()


def locate(span: str, article: str) -> tuple[int, int] | None:
    """Return (start, end) of ``span`` in ``article`` (original offsets), or None if absent.

    An ellipsis inside the span marks an elision: each piece must appear in order, each within
    MAX_ELISION_GAP characters of the previous one.
    """
    if not span or not span.strip(_QUOTES_AND_SPACE + ".…"):
        return None
    norm = normalize_article(article)
    pieces = [fold(p) for p in _ELLIPSIS.split(span.translate(_TRANSLATE))]
    pieces = [p for p in pieces if p]
    if not pieces:
        return None
    start = norm.text.find(pieces[0])
    while start != -1:
        end = _match_rest(norm.text, pieces, start + len(pieces[0]))
        if end is not None:
            return norm.original(start), norm.original(end - 1) + 1
        start = norm.text.find(pieces[0], start + 1)
    return None


def _match_rest(text: str, pieces: list[str], pos: int) -> int | None:
    for piece in pieces[1:]:
        found = text.find(piece, pos, pos + MAX_ELISION_GAP + len(piece))
        if found == -1:
            return None
        pos = found + len(piece)
    return pos


def names_in(name: str, article: str) -> bool:
    """True if an actor's name, as written by the model, is named in the article.

    Case-insensitive; accepts the whole name, or (for "President Joe Biden"-style expansions)
    every capitalised word of it appearing in the article.
    """
    folded_article = normalize_article(article).text.lower()
    folded = fold(name).lower()
    if not folded:
        return False
    if re.sub(r"^the\s+", "", folded) in folded_article:
        return True
    proper = [w for w in re.findall(r"[\w'.-]+", fold(name)) if w[:1].isupper() and len(w) > 1]
    return bool(proper) and all(
        re.search(r"(?<!\w)" + re.escape(w.lower().strip(".")) + r"(?!\w)", folded_article)
        for w in proper
    )


_SENTENCE_BREAK = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"'\u201d\u2019)]))\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])"
)


_ABBREVIATION = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Sgt|Capt|Cmdr|Adm|Supt|Insp|Det|St|Jr|Sr|No|vs|etc|Inc|Ltd|Co|Corp|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mt|Ft|Rev|Hon|approx)\.|\b[A-Z]\.|\b(?:[A-Z]\.){2,})$"
)


def split_sentences(line: str) -> list[str]:
    """Sentences of one line; no break after "Dr.", "U.S." or an initial."""
    out: list[str] = []
    begin = 0
    for gap in _SENTENCE_BREAK.finditer(line):
        if not _ABBREVIATION.search(line[begin : gap.start()]):
            out.append(line[begin : gap.start()])
            begin = gap.end()
    out.append(line[begin:])
    return out


def sentences(text: str) -> list[str]:
    """The article's lines and sentences, verbatim and in order, without repeats.

    Used as the closed set a constrained decoder may copy evidence from: every value is a real
    substring of the article, so a small model cannot misquote it.
    """
    seen: set[str] = set()
    out: list[str] = []
    for line in text.splitlines():
        for sentence in split_sentences(line.strip()):
            sentence = sentence.strip()
            if len(sentence) >= 12 and sentence not in seen:
                seen.add(sentence)
                out.append(sentence)
    return out
