"""Shortening an article sentence at clause boundaries, never by a character count.

A brief that cuts "… who already holds a 27-p." at 160 characters shows a reader a broken
string. Here a long sentence loses whole pieces instead, in this order: captions in brackets
("(pictured)"), a wire dateline, a discourse opener ("However, "), then, while it is still over
the limit, parentheticals and dash asides, trailing clauses after a comma (", including …",
", saying …", ", following …"), comma-set relative clauses and appositives (", who is 45,"; a
"when" clause on a date last: it often holds the news), and a subordinate clause before the main
one. What is left is the article's own words, in order (:func:`is_subsequence` checks it), and
still a sentence: the main verb and its subject are never removed. A sentence with no such piece
to lose stays long: a long true sentence is better than a cut one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from summarizer.brief.language import parse

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc

_CAPTION = re.compile(
    r"\s*[(\[](?:pictured|picture|photo|file(?: (?:picture|photo|image))?|left|right|centre|center|"
    r"above|below|inset|top|bottom|main|video|pictured [^()\[\]]{0,40}|seen [^()\[\]]{0,40})[)\]]",
    re.IGNORECASE,
)
_OPENER = re.compile(
    r"^(?:However|Meanwhile|Importantly|Nonetheless|Nevertheless|Moreover|Furthermore|Additionally|"
    r"Indeed|Instead|Still|Overall|Separately|Crucially|Notably|Interestingly|Ultimately|In addition|"
    r"As a result|In fact|At the same time|By contrast|In turn|Now|Yet|But|And|So),\s+"
)
# A wire dateline glued to the lead: "(CNN)Over the last year …", "BANGKOK, Thailand (CNN) -- A plane …".
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Za-z .,'-]{0,60}\s)?\((?:CNN|AP|AFP|Reuters|PA|UPI|BBC)\)\s*(?:--|\u2014|\u2013|-)?\s*"
)
_DATE_WORD = re.compile(
    r"\d|January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|year|month|week|day|night|morning"
)
_PAREN = re.compile(r"\s*\([^()]{1,300}\)|\s*\[[^\[\]]{1,300}\]")
_DASH_ASIDE = re.compile(r"\s+[\u2013\u2014-]{1,2}\s+[^\u2013\u2014]{1,200}?\s+[\u2013\u2014-]{1,2}(?=\s)")
_END = ".!?"
# A "sentence" longer than this is not prose a reader would want shortened clause by clause
# (news sentences run to ~60 tokens): it is left whole rather than parsed clause by clause.
MAX_TOKENS = 150
_CLOSERS = "\"'\u201d\u2019)"
_QUOTE_MARKS = re.compile(r"[\"\u201c\u201d]")


def compress(text: str, limit: int, *, sentence: bool = True) -> str:
    """``text`` shortened to at most ``limit`` characters by dropping whole clauses, where it can.
    A ``sentence`` gets a capital and an end mark; a clause ("shortages if the strike goes on")
    is left as it reads inside its sentence."""
    if not sentence:
        clause = compress(text, limit)
        if clause[:1].isupper() and not text.strip()[:1].isupper():
            clause = clause[0].lower() + clause[1:]
        return clause.rstrip(".") if not text.rstrip().endswith(".") else clause
    text = " ".join(text.split())
    text = _tidy(_CAPTION.sub("", text))
    text = _tidy(_OPENER.sub("", _DATELINE.sub("", text)))
    if len(text) <= limit:
        return text
    for span in _removable(text):
        if len(text) <= limit:
            break
        start, end = span
        candidate = _tidy(text[:start] + text[end:])
        if candidate and _balanced(candidate) and len(candidate) < len(text):
            text = candidate
            # Offsets of the remaining spans are stale after an edit: recompute from the new text.
            return compress(text, limit) if len(text) > limit else text
    return text


def _removable(text: str) -> list[tuple[int, int]]:
    """Char spans that may go, most dispensable first."""
    spans: list[tuple[int, int]] = []
    spans += [(m.start(), m.end()) for m in _PAREN.finditer(text)]
    spans += [(m.start(), m.end()) for m in _DASH_ASIDE.finditer(text)]
    doc = parse(text)
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return spans
    protected = {root.i} | {c.i for c in root.children if c.dep_ in ("nsubj", "nsubjpass", "aux", "neg")}
    inner: list[tuple[int, int, int]] = []  # (priority, start, end)
    last = len(doc) - 1
    while last > 0 and doc[last].is_punct and doc[last].text not in ",":
        last -= 1
    if len(doc) > MAX_TOKENS:
        return spans
    for tok in doc:
        if tok.i in protected:
            continue
        # Edges, not the subtree's tokens: linear in the sentence (a hostile 4,000-character
        # "sentence" of alternating quotes was quadratic when every subtree was listed).
        left, right = tok.left_edge.i, tok.right_edge.i
        if any(left <= p <= right for p in protected):
            continue
        before = doc[left - 1] if left > 0 else None
        after = doc[right + 1] if right + 1 < len(doc) else None
        # A spaced dash separates clauses; the hyphen of "co-founded" does not.
        comma_before = before is not None and (
            before.text in (",", ";")
            or (before.text in ("\u2013", "\u2014", "-") and before.whitespace_ != "")
        )
        if tok.dep_ in ("relcl", "appos", "acl") and comma_before:
            # "Wood, the director, said" loses both commas; "… on August 6, when …, advancing …"
            # keeps the second, which the trailing-clause rule may take next.
            subject = tok.head.dep_ in ("nsubj", "nsubjpass")
            following = doc[after.i + 1] if after is not None and after.i + 1 < len(doc) else None
            if (
                after is not None
                and after.text == ","
                and following is not None
                and following.tag_ in ("VBG", "VBN")
            ):
                # "… on August 6, when Ukraine launched …, advancing …": the participle belongs to
                # the clause that goes, whatever the parse says.
                end = _end(doc, last)
            elif after is not None and after.text == ",":
                end = after.idx + 1 if subject else after.idx
            else:
                end = _end(doc, right)
            inner.append(
                (
                    2 if tok.dep_ != "relcl" or not _DATE_WORD.search(tok.head.text) else 4,
                    before.idx if before is not None else 0,
                    end,
                )
            )
        elif (
            right >= last
            and comma_before
            and tok.dep_
            in ("advcl", "prep", "conj", "npadvmod", "xcomp", "ccomp", "acl", "relcl", "advmod", "dep")
        ):
            # A trailing clause after a comma: ", including …", ", saying …", ", as …".
            inner.append((1, before.idx if before is not None else 0, _end(doc, right)))
        elif left == 0 and tok.dep_ == "advcl" and after is not None and after.text == ",":
            # "After the vote was counted, the council …": the main clause stands alone.
            inner.append((3, 0, after.idx + 1))
    inner.sort(key=lambda x: (x[0], -(x[2] - x[1])))
    spans += [(s, e) for _p, s, e in inner]
    return spans


def _end(doc: Doc, right: int) -> int:
    tok = doc[right]
    return int(tok.idx + len(tok.text))


def _tidy(text: str) -> str:
    """Spacing and punctuation after a removal; a capital first letter; an end mark."""
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"[,;:]+([.!?])", r"\1", text)
    text = re.sub(r",\s*,", ",", text)
    # A dash left with a word or two after it ("… a man called Boris Johnson - yes.") goes too.
    text = re.sub(r"\s[\u2013\u2014-]\s*(?:\w+\s?){1,2}([.!?]?)$", r"\1", text)
    text = text.strip(" ,;:\u2013\u2014").removesuffix(" -")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    if text.rstrip(_CLOSERS)[-1:] not in _END:
        tail = len(text) - len(text.rstrip(_CLOSERS))
        if tail and text.count("(") == text.count(")") and _balanced(text):
            text = text[: len(text) - tail].rstrip(",;: ") + "." + text[len(text) - tail :]
        else:
            text = text.rstrip(",;: ") + "."
    return text


def _balanced(text: str) -> bool:
    return len(_QUOTE_MARKS.findall(text)) % 2 == 0 and text.count("(") == text.count(")")


_WORDS = re.compile(r"[\w\u00c0-\uffff]+(?:['\u2019][\w]+)*")


def is_subsequence(short: str, original: str) -> bool:
    """Whether ``short``'s words are ``original``'s words in order (case aside): a compression
    adds nothing."""
    want = [w.lower() for w in _WORDS.findall(short)]
    have = iter(w.lower() for w in _WORDS.findall(original))
    return all(any(w == h for h in have) for w in want)
