"""Text as a reader sees it, for scanning: NFKC, no format characters, look-alike letters folded.

An instruction planted in an article can hide from a pattern behind characters a reader never
notices: a zero-width space or a soft hyphen inside "ignore", Cyrillic "о" and "е" in an
English word, fullwidth letters. :func:`fold` undoes that before anything scans the text, and
keeps, for every character of the result, the offset of the character it came from, so a
finding still points into the original text.

* NFKC (fullwidth "Ｉｇｎｏｒｅ" -> "Ignore", ligatures, compatibility forms);
* Unicode category Cf dropped (zero-width space and joiners, soft hyphen, word joiner, BOM,
  bidirectional controls);
* in a word that also has a Latin letter, every letter Unicode's confusables data
  (``confusable-homoglyphs``) lists as a look-alike of a Latin letter is folded to it; a word
  wholly in another script (Russian, Greek) is left as it is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Folded:
    text: str
    origin: tuple[int, ...]  # origin[i]: offset in the original text of text[i]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span for ``text[start:end]``."""
        if not self.origin:
            return 0, 0
        first = self.origin[min(start, len(self.origin) - 1)]
        last = self.origin[min(max(end - 1, start), len(self.origin) - 1)] + 1
        return first, last


@lru_cache(maxsize=4096)
def _latin(ch: str) -> str | None:
    """The Latin letter ``ch`` is confusable with, if Unicode's data names one."""
    from confusable_homoglyphs import confusables  # type: ignore[import-untyped]  # 0.2 s of JSON, on demand

    for glyph in confusables.confusables_data.get(ch, ()):
        target = str(glyph.get("c", ""))
        if len(target) == 1 and target.isascii() and target.isalpha():
            return target
    return None


_WORD = re.compile(r"\w+")


def fold(text: str) -> Folded:
    chars: list[str] = []
    origin: list[int] = []
    if text.isascii():
        return Folded(text, tuple(range(len(text))))
    for i, ch in enumerate(text):
        if unicodedata.category(ch) == "Cf":
            continue
        for out in unicodedata.normalize("NFKC", ch) if not ch.isascii() else ch:
            if unicodedata.category(out) == "Cf":
                continue
            chars.append(out)
            origin.append(i)
    folded = "".join(chars)
    if not folded.isascii():
        letters = list(folded)
        for m in _WORD.finditer(folded):
            word = m.group()
            if word.isascii() or not any(c.isascii() and c.isalpha() for c in word):
                continue
            for k in range(m.start(), m.end()):
                if not letters[k].isascii() and (latin := _latin(letters[k])) is not None:
                    letters[k] = latin
        folded = "".join(letters)
    return Folded(folded, tuple(origin))


def skeleton(text: str) -> str:
    """``fold(text).text``: what patterns are matched against."""
    return fold(text).text
