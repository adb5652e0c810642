"""Articles built to make a brief-core regex work hard, at any size (tests and benchmarks share them).

Each generator targets one weakness the old code had (issue 18, section 1): a reporting verb
repeated thousands of times in one sentence, alternating or unclosed quotes, long runs of
capitalised words or auxiliaries, tokens of thousands of characters, appositive commas, and a
seeded random mix of all of these. ``article(name, size)`` repeats the generator's unit to about
``size`` characters; most units have no sentence break, so the whole article is one "sentence",
the worst case for anything that runs per sentence.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

_SEED_ARTICLE = Path(__file__).resolve().parent.parent / "seeds" / "000_aeb030d6c15efacd.txt"


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda size: (unit * (size // len(unit) + 1))[:size]


def _mix(size: int) -> str:
    """A seeded random walk over the hostile pieces, with the odd sentence break."""
    pieces = [
        "said ", "says ", "told ", "warned ", "according to ", "x ", "He ", "she ", "'x ", "x' ",
        '"x ', "\u201cx ", "\u2018x ", "\u2019 ", "has ", "had been ", "also ", "Smith ", "John ",
        "O'Neil ", "U.S. ", "of the ", ", ", ", who ", "police ", "the club's manager ", "Could I ",
        "would cause ", "could ", "a" * 300 + " ", "Mr. ", ". ", "\n", ": ",
    ]  # fmt: skip
    rng = random.Random(size)
    out: list[str] = []
    total = 0
    while total < size:
        piece = rng.choice(pieces)
        out.append(piece)
        total += len(piece)
    return "".join(out)[:size]


def _numbered(unit: str) -> Callable[[int], str]:
    """Many short sentences, each made distinct by a number (repeated sentences are dropped)."""

    def build(size: int) -> str:
        out: list[str] = []
        total = k = 0
        while total < size:
            k += 1
            out.append(unit.format(k))
            total += len(out[-1])
        return "".join(out)[:size]

    return build


def _normal(size: int) -> str:
    """The seed article, repeated with a distinct paragraph number (so no sentence is a repeat)."""
    text = _SEED_ARTICLE.read_text(encoding="utf-8")
    out: list[str] = []
    total = 0
    k = 0
    while total < size:
        k += 1
        block = "\n\n".join(f"Copy {k}. {p}" for p in text.split("\n\n") if p.strip())
        out.append(block)
        total += len(block) + 2
    return "\n\n".join(out)[:size]


GENERATORS: dict[str, Callable[[int], str]] = {
    "x said": _repeat("x said "),
    "alternating 'x": _repeat(" 'x"),
    'alternating "x': _repeat(' "x'),
    "curly quotes": _repeat(" \u201cx \u2018y"),
    "closed 'quotes'": _repeat(" 'x y' z"),
    "capitalised run": _repeat("Abc Def Ghi Jkl Mno "),
    "capitals and verbs": _repeat("Abc Def Ghi Jkl said "),
    "auxiliaries": _repeat("has had was also "),
    "auxiliaries and verb": _repeat("x has had was also said "),
    "long tokens": _repeat("x" * 1500 + " said "),
    "appositives": _repeat("Smith, the boss, "),
    "according to": _repeat("according to "),
    "warnings": _repeat("He warned it would cause a disaster "),
    "pronouns": _repeat("he said she said they "),
    "curly single quotes": _repeat(" \u2018x"),
    "capital token": _repeat("A" * 1500 + " said "),
    "white space": _repeat("Smith said" + " " * 1500 + ", said "),
    "who clauses": _repeat("Smith, who said x, said "),
    "speech sentences": _numbered("Mayor Abc Def {} said it was fine. "),
    "warning sentences": _numbered(
        "Police warned {0} people that the storm would cause damage to {0} homes. "
    ),
    "random mix": _mix,
    "normal article": _normal,
}


@lru_cache(maxsize=128)
def article(name: str, size: int) -> str:
    """About ``size`` characters of the generator ``name``."""
    return GENERATORS[name](size)
