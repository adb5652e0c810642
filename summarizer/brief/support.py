"""Is a sentence the model wrote backed by the article sentences it cites?

Evidence spans are exact by construction; free text (summary sentences, a development's
``what``, a position's ``stance``, a warning's ``about``, the headline) is where a small model
invents: a wrong actor ("Zelensky announced" what Russia announced), a number or a name the
article does not give, an outcome it does not report ("securing his ninth title" for "began his
bid for a ninth title"). These checks are deterministic and conservative; each failure names the
problem so it can be re-asked, or the text replaced by the article's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.brief import net

_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
    "thousand": "1000",
    "million": "million",
    "billion": "billion",
    "first": "1",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
    "sixth": "6",
    "seventh": "7",
    "eighth": "8",
    "ninth": "9",
    "tenth": "10",
    "dozen": "12",
    "half": "half",
    "double": "2",
    "twice": "2",
    "once": "1",
}
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
_STOP = frozenset(
    """
    a an the and or but of in on at to for with by from as is was were are be been being has have had
    that this these those it its he she they them his her their who which what when where while after
    before about into over under also not no more most than then there here will would could should may
    might can did does do said says say article report reports reported according some such other one
    both all any each up out off if so very now new amid against during following including between
    since despite because through across news latest story details brief summary many several per
    """.split()
)
_MONTHS_DAYS = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|Monday|"
    r"Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|\d{4})\b"
)
# How much of a claim's wording may be new: a paraphrase changes some words, an invention many.
MAX_NEW_WORD_SHARE = 0.25
MIN_NEW_WORDS = 2


@dataclass(frozen=True)
class Verdict:
    ok: bool
    problems: tuple[str, ...] = ()


def _stem(word: str) -> str:
    """A crude stem: no possessive, one inflection off ("steps" = "step", "showed" = "show"),
    then the first five letters ("announced" = "announce")."""
    word = word.lower().strip("'\u2019-")
    for suffix in ("'s", "\u2019s"):
        word = word.removesuffix(suffix)
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:5] if len(word) > 5 else word


def _numbers(text: str) -> set[str]:
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    for word in _WORD.findall(text):
        if word.lower() in _NUMBER_WORDS:
            found.add(_NUMBER_WORDS[word.lower()])
    return found


def _names(text: str) -> list[str]:
    """Capitalised words that are not just a sentence's first word or a common word."""
    names = []
    for sentence_start, word in _capitalised(text):
        lowered = word.lower().strip(".")
        if lowered in _STOP or lowered in net._NOT_NAMES or lowered in _NUMBER_WORDS:
            continue
        if sentence_start and lowered in _COMMON_STARTS:
            continue
        names.append(word.strip("."))
    return names


# Capitalised only because they open a sentence: not names.
_COMMON_STARTS = frozenset(
    """
    despite amid following after officials police residents experts critics nevertheless nonetheless
    however meanwhile moreover furthermore additionally still yet instead indeed importantly initially
    currently finally earlier later previously recently overall according in on at as with without
    during before since until while when although though because if its their his her both several many
    most some few new former local two three authorities investigators doctors witnesses researchers
    """.split()
)


def _capitalised(text: str) -> list[tuple[bool, str]]:
    out = []
    start = True
    for m in re.finditer(r"[\w'\u2019.-]+|[.!?]", text):
        token = m.group()
        if token in ".!?":
            start = True
            continue
        if token[:1].isupper():
            out.append((start, token.rstrip(".'\u2019")))
        start = False
    return out


def _name_found(name: str, haystack_words: set[str]) -> bool:
    parts = [p for p in re.split(r"[-.'\u2019]", name) if p]
    return (
        all(_stem(p) in haystack_words or p.lower() in haystack_words for p in parts)
        or _stem(name) in haystack_words
    )


def check(
    claim: str,
    support: list[str],
    context: list[str] | None = None,
    *,
    max_new_share: float = MAX_NEW_WORD_SHARE,
    min_new: int = MIN_NEW_WORDS,
) -> Verdict:
    """Whether ``claim`` states only what ``support`` says.

    * every number (digits or words) must be in the support;
    * every name, month, weekday and year must be in the support or its context (the sentences
      just before it, where a pronoun's antecedent is);
    * a claim that someone said, announced or warned something must name the support's speaker;
    * most of its content words must come from the support: a paraphrase changes a few, an
      invented outcome brings in several.
    """
    if not support:
        return Verdict(False, ("no supporting sentence",))
    problems: list[str] = []
    source = " ".join(support)
    wider = " ".join([*(context or []), source])
    source_words = {_stem(w) for w in _WORD.findall(source)} | {w.lower() for w in _WORD.findall(source)}
    wider_words = {_stem(w) for w in _WORD.findall(wider)} | {w.lower() for w in _WORD.findall(wider)}

    missing_numbers = sorted(n for n in _numbers(claim) - _numbers(source) if n not in {"1"})
    if missing_numbers:
        problems.append(f"numbers not in the cited sentences: {', '.join(missing_numbers)}")
    missing_names = sorted({n for n in _names(claim) if not _name_found(n, wider_words)})
    missing_names += sorted(
        {d for d in _MONTHS_DAYS.findall(claim) if d.lower() not in wider.lower()} - set(missing_names)
    )
    if missing_names:
        problems.append(f"names or dates not in the cited sentences: {', '.join(missing_names)}")
    problems += _attribution(claim, support)

    content = [w for w in _WORD.findall(claim) if w.lower() not in _STOP and len(w) > 2]
    # Wording must come from the cited sentences themselves: the context is there for names (a
    # pronoun's antecedent), not to lend a claim words its support does not have.
    new = [
        w
        for w in content
        if _stem(w) not in source_words
        and w.lower() not in source_words
        and not (w[:1].isupper() and _name_found(w, wider_words))
    ]
    if len(new) >= min_new and len(new) > max_new_share * len(content):
        problems.append(f"words the cited sentences do not use: {', '.join(dict.fromkeys(new))}")
    return Verdict(not problems, tuple(problems))


def _attribution(claim: str, support: list[str]) -> list[str]:
    """ "X said/announced/warned ..." must have the cited sentence's speaker as X."""
    who, _pronoun = net.speaker(claim)
    if who is None:
        return []
    speakers = [net.speaker(s)[0] for s in support]
    named = [s for s in speakers if s is not None]
    if not named:
        return []
    if any(_same_actor(who.name, s.name) for s in named):
        return []
    return [f"says {who.name} spoke, but the cited sentence attributes it to {named[0].name}"]


def _same_actor(a: str, b: str) -> bool:
    wa = {_stem(w) for w in _WORD.findall(a) if w.lower() not in _STOP}
    wb = {_stem(w) for w in _WORD.findall(b) if w.lower() not in _STOP}
    return bool(wa & wb)
