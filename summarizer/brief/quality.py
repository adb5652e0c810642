"""What a reader trips over: the rules every string a brief shows must meet, in one place.

The grounding applies them while it builds a brief (an item that breaks one is rewritten with the
article's words or dropped, and the report says why); :func:`defects` applies them to a finished
brief, so ``scripts/brief_defects.py`` can count defects by kind over any output folder. The kinds:

``cut_off``         text that stops mid-word or mid-clause, or ends in "…" ("… holds a 27-p.")
``fragment``        a sentence field (a summary sentence, a development's ``what``) that does not
                    read as a sentence: a lower-case start, no verb, no end mark
``foreign_script``  letters of a script the article does not use ("… he has had the赛季")
``bad_actor``       a speaker that is not a name or a role from the article: a pronoun, a modal,
                    a verb ("Could I"), an empty string
``thin_stance``     a position whose stance is not a claim (fewer than three words, no verb, no
                    clause), or a warning whose danger names nothing
``two_sections``    one article sentence given in two sections (a quote as a development too)
``boilerplate``     a caption, byline, credit or "Related" line made into an item
``bare_quote``      a summary sentence that is only someone's quoted words, with no claim
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:  # pragma: no cover
    from summarizer.models import Brief

DefectKind = Literal[
    "cut_off",
    "fragment",
    "foreign_script",
    "bad_actor",
    "thin_stance",
    "two_sections",
    "boilerplate",
    "bare_quote",
]
KINDS: tuple[DefectKind, ...] = get_args(DefectKind)


@dataclass(frozen=True)
class Defect:
    kind: DefectKind
    field: str  # JSON path in the brief, e.g. "summary_sentences[0].text"
    text: str


# --- the rules -------------------------------------------------------------------------------------

_ELLIPSIS_END = re.compile(r"(?:\u2026|\.\.\.)[\"'\u201d\u2019)]*\s*$")
_END_MARK = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s*$")
_LETTER = re.compile(r"\w", re.UNICODE)


def cut_off(text: str, source: str = "") -> bool:
    """Whether ``text`` stops where its source goes on mid-word, or ends in an ellipsis."""
    text = text.strip()
    if not text or _ELLIPSIS_END.search(text):
        return True
    if source:
        # A prefix of a source word: "… look" where the article says "looked".
        tail = re.search(r"(\w+)\W*$", text)
        if tail:
            last = tail.group(1)
            pattern = re.compile(rf"{re.escape(text[max(0, len(text) - 40) : tail.end(1)])}(\w|-\w)")
            if last and pattern.search(source) and not re.search(rf"\b{re.escape(last)}\b(?!-\w)", source):
                return True
    return False


# A caption glued to the next sentence with no stop between them: "… a lingerie model And it was …".
_GLUED = re.compile(r"[a-z] (?:And|But|He|She|They|It|We) [a-z]")


def glued(text: str) -> bool:
    return bool(_GLUED.search(text))


def ends_a_sentence(text: str) -> bool:
    return bool(_END_MARK.search(text.strip()))


def is_sentence(text: str) -> bool:
    """A sentence a reader can read alone: a capital (or digit, or opening quote) first, an end
    mark last, and a verb."""
    text = text.strip()
    if len(text) < 8 or not _END_MARK.search(text):
        return False
    first = text.lstrip("\"'\u201c\u2018(")[:1]
    if not (first.isupper() or first.isdigit()) or glued(text):
        return False
    return has_verb(text)


def has_verb(text: str) -> bool:
    from summarizer.brief.language import parse

    return any(t.pos_ in ("VERB", "AUX") for t in parse(text))


def scripts(text: str) -> set[str]:
    """The writing systems of ``text``'s letters (LATIN, CYRILLIC, CJK, ...)."""
    out = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            out.add("CJK" if name.startswith(("CJK", "HIRAGANA", "KATAKANA")) else name.split(" ")[0])
    return out


def foreign_script(text: str, source: str) -> bool:
    """Whether ``text`` has letters of a script ``source`` does not use."""
    return bool(scripts(text) - scripts(source))


# Closed-class words that are never a speaker on their own: pronouns, modals, auxiliaries,
# determiners, question words.
_NOT_ACTORS = frozenset(
    """
    i me my we us our you your he him his she her they them their it its this that these those who no-one
    whom whose which what could would should might may must can will shall do does did is are was
    were be been has have had there here one someone somebody anyone everyone nobody some many
    several all both each either neither another other others the a an and or but if when while
    """.split()
)


def valid_actor(actor: str, source: str) -> bool:
    """A name or a role phrase the article uses ("Edinburgh's festival director", "police"),
    never a pronoun, modal or verb."""
    actor = " ".join(actor.split()).strip(" .,:;'\"")
    if len(actor) < 2:
        return False
    words = actor.lower().split()
    if words[0] in _NOT_ACTORS and (len(words) == 1 or words[1] in _NOT_ACTORS):
        return False
    if all(w in _NOT_ACTORS for w in words) or (len(words) > 1 and words[-1] in ("a", "an", "the")):
        return False  # "Thompson A": a name glued to a caption's first word
    if source and actor.lower() not in " ".join(source.split()).lower():
        # Every word must at least be the article's (the net may join a name and its role).
        have = {w.lower() for w in re.findall(r"[\w'\u2019-]+", source)}
        if not all(w.strip("'\u2019") in have or w.removesuffix("'s") in have for w in words):
            return False
    from summarizer.brief.language import parse

    doc = parse(actor)
    # "Could I", "Told reporters": a verb or an auxiliary first is not a name.
    return not (doc[0].pos_ in ("VERB", "AUX") and not doc[0].text[:1].isupper() or doc[0].tag_ == "MD")


def thin_danger(text: str) -> bool:
    """Whether what a warning is about names nothing: under two words, or a preposition first
    ("to Western nations, …"). A noun phrase is enough: "Labour's threat to the economy"."""
    words = re.findall(r"[\w'\u2019-]+", text)
    return len(words) < 2 or words[0].lower() in _NOT_A_CLAUSE_START


_NOT_A_CLAUSE_START = frozenset(
    "of to for with on in at by from about and but or as than offered accused over into".split()
)


def thin_claim(text: str) -> bool:
    """Whether a stance (or what a warning is about) carries no claim: under three words, no verb,
    or, in the narrator's words, no clause ("Of blackmailing …", "Offered her the money …"); the
    speaker's own quoted words need only a verb."""
    words = re.findall(r"[\w'\u2019-]+", text)
    if len(words) < 3 or not has_verb(text):
        return True
    if text.lstrip()[:1] in "'\"\u2018\u201c":
        return False
    if words[0].lower() in _NOT_A_CLAUSE_START:
        return True
    from summarizer.brief.language import parse

    # Read as what it is, a reported clause: alone, "The incursion still aligned with …" parses as
    # a noun phrase; after "They said that" it has its subject.
    doc = parse("They said that " + text[:1].lower() + text[1:])
    return not any(t.dep_ in ("nsubj", "nsubjpass", "expl", "csubj") and t.i >= 3 for t in doc)


_BOILERPLATE = re.compile(
    r"^(?:photo|picture|image|video|credit|caption|related(?: sources| topics| stories| articles)?|read more|"
    r"more on this story|follow (?:us|@)|share this|click here|scroll down|advertisement|copyright|\u00a9|"
    r"published|updated|last updated|by [A-Z][a-z]+ [A-Z][a-z]+\s*(?:$|\.|,|\|)|media playback)\b"
    r"|\b(?:reported from|wrote from|contributed to this report|contributed reporting)\b"
    r"|\((?:getty images|reuters|ap|afp|pa)\)\s*$|\b(?:getty images|image copyright|image caption)\b",
    re.IGNORECASE,
)


def boilerplate(sentence: str) -> bool:
    """A caption, byline, credit or navigation line, not reporting."""
    return bool(_BOILERPLATE.search(sentence.strip()))


_QUOTED = re.compile(r"[\"\u201c][^\"\u201c\u201d]+[\"\u201d]|(?:^|(?<=[\s(:]))'[^']{3,}'(?!\w)")


_ATTRIBUTED = re.compile(
    r"^[\"\u201c]([^\"\u201c\u201d]+)[\"\u201d],?\s+(?:[\w'\u2019.-]+\s+){0,8}(?:said|says|added|told|warned|"
    r"explained|insisted|stressed|wrote|noted|remarked|continued)\b"
)
_DOUBLE_QUOTES = re.compile(r"[\"\u201c\u201d]")


def bare_quote(text: str) -> bool:
    """A sentence that is mostly someone's quoted words with no claim of the brief's own:
    "X said: 'This is great news.'" (a long quotation closed and attributed, '"We will have
    evidence within a decade," the chief scientist said', is not bare)."""
    attributed = _ATTRIBUTED.match(text.strip())
    if attributed and len(attributed.group(1).split()) >= 10:
        return False
    text = text.strip()
    # A quotation that opens the sentence and runs on past it: '"We know where to look.'
    if len(_DOUBLE_QUOTES.findall(text)) % 2 == 1 and (
        text[:1] in '"\u201c'
        or text.rstrip(".!?")[-1:] in '"\u201d'
        or re.search(r"[,.!?][\"\u201d] (?:\w+ )?said", text)
    ):
        return True
    quoted = sum(len(m.group()) for m in _QUOTED.finditer(text))
    return quoted >= 0.6 * len(text)


# --- a finished brief ----------------------------------------------------------------------------


def defects(brief: Brief, article: str | None = None) -> list[Defect]:
    """Every defect of ``brief`` by the rules above. Without the article, the brief's own evidence
    stands in for it (enough for every rule but a mid-word cut of text the evidence lacks)."""
    source = article or " ".join(
        [d.evidence for d in brief.key_developments]
        + [p.quote for p in brief.stated_positions]
        + [w.evidence for w in brief.warnings]
    )
    out: list[Defect] = []

    def text_rules(field: str, text: str, sentence: bool) -> None:
        if cut_off(text, source):
            out.append(Defect("cut_off", field, text))
        elif sentence and not is_sentence(text):
            out.append(Defect("fragment", field, text))
        if foreign_script(text, source):
            out.append(Defect("foreign_script", field, text))

    text_rules("headline", brief.headline, sentence=False)
    for i, s in enumerate(brief.summary_sentences):
        text_rules(f"summary_sentences[{i}].text", s.text, sentence=True)
        if bare_quote(s.text):
            out.append(Defect("bare_quote", f"summary_sentences[{i}].text", s.text))
    sections: Counter[str] = Counter()
    for i, d in enumerate(brief.key_developments):
        text_rules(f"key_developments[{i}].what", d.what, sentence=True)
        sections[d.evidence] += 1
        if boilerplate(d.evidence):
            out.append(Defect("boilerplate", f"key_developments[{i}].evidence", d.evidence))
    voices = [
        (f"stated_positions[{i}]", "actor", p.actor, "stance", p.stance, thin_claim, "quote", p.quote)
        for i, p in enumerate(brief.stated_positions)
    ] + [
        (f"warnings[{i}]", "issued_by", w.issued_by, "about", w.about, thin_danger, "evidence", w.evidence)
        for i, w in enumerate(brief.warnings)
    ]
    for path, who_field, who, what_field, what, thin, evidence_field, evidence in voices:
        if not valid_actor(who, source):
            out.append(Defect("bad_actor", f"{path}.{who_field}", who))
        text_rules(f"{path}.{what_field}", what, sentence=False)
        if thin(what):
            out.append(Defect("thin_stance", f"{path}.{what_field}", what))
        sections[evidence] += 1
        if boilerplate(evidence):
            out.append(Defect("boilerplate", f"{path}.{evidence_field}", evidence))
    for sentence, count in sections.items():
        if count > 1:
            out.append(Defect("two_sections", "evidence", sentence))
    return out


def count(found: list[Defect]) -> dict[str, int]:
    """Defects by kind, every kind listed (zeros included)."""
    tally = Counter(d.kind for d in found)
    return {kind: tally.get(kind, 0) for kind in KINDS}
