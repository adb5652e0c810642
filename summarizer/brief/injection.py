"""Text in an article that addresses an AI model: found, reported, kept from the model, and
kept out of what the brief says.

A fence and a "do not follow" rule are not enough for a 1.5B model: a held-out article whose
last paragraph told "the AI" what to write got exactly that headline. So, in depth:

1. ``scan`` finds sentences (and ``scan_title`` a title) that read as instructions to a model:
   asking to ignore instructions (in several languages), addressing an AI, an assistant or
   "automated systems", changing the model's role or task, dictating the headline, summary or
   output. The patterns name the *task* (instructions, headline, summary, output, fields), not
   the topic, so news about rules or headlines is left alone (no sentence of the 109 dev
   articles is flagged; ``tests/test_injection_corpus.py``).
2. What is found is withheld from the numbered article the model sees, listed with its offsets
   in ``metadata.grounding.injection_suspected``, and cannot be cited.
3. ``carried_out`` checks what the model wrote: a headline, summary sentence or development that
   repeats what a withheld instruction asked for (its quoted words, or a phrase found only in
   the withheld text) is rejected, re-asked where the brief re-asks, and otherwise replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from summarizer.brief.sentences import Sentence

_MODEL = (
    r"(?:AI|A\.I\.|assistants?|(?:large )?language models?|LLMs?|chat ?bots?|summari[sz]ers?|"
    r"bots?|GPT|ChatGPT|automated (?:systems?|tools?|readers?|agents?)|machine readers?|"
    r"AI (?:models?|systems?|tools?|agents?))"
)
_INSTRUCTIONS = (
    r"(?:instructions?|prompts?|rules|guidelines|directions|directives|orders|task|"
    r"instru[cç][a-zçãõ]*|istruzion[ie]|anweisungen|vorgaben|regeln|r[eè]gles|reglas|regras|consignes)"
)
_TASK = r"(?:headlines?|summary|summaries|title|brief|output|answer|response|reply|JSON|fields?|lists?)"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        (
            "asks to ignore instructions",
            rf"\b(?:ignore|disregard|forget|override|bypass|ignor\w*|oubli\w*|olvid\w*|esque[cç]\w*|"
            rf"vergiss\w*|dimentica\w*)\b[^.!?]{{0,60}}\b{_INSTRUCTIONS}",
        ),
        (
            "asks to ignore the article",
            r"\b(?:ignore|disregard|forget)\s+(?:everything|all|the (?:article|text|story|content))\s*"
            r"(?:above|below|before|so far|you (?:have )?read)",
        ),
        (
            "addresses an AI model",
            rf"\b(?:dear|hey|attention|note (?:to|for)|message (?:to|for)|instructions? (?:to|for)|hello|hi)"
            rf"\s+(?:the\s+|all\s+|any\s+)?{_MODEL}\b",
        ),
        (
            "addresses an AI model",
            rf"\b(?:any|every|all|each)\s+{_MODEL}\b[^.!?]{{0,40}}\b(?:reading|processing|summari[sz]ing|"
            rf"briefing|parsing)\b",
        ),
        (
            "addresses an AI model",
            rf"\b{_MODEL}\b[^.!?]{{0,40}}\b(?:reading|processing|summari[sz]ing|briefing)\s+this\b",
        ),
        (
            "addresses an AI model",
            rf"^\W*(?:{_MODEL}|system|developer|admin(?:istrator)?)\s*[,:]|\bif you are an?\s+{_MODEL}\b|"
            rf"\bas an?\s+{_MODEL}\b[^.!?]{{0,30}}\byou\b",
        ),
        (
            "changes the model's role",
            r"\b(?:you are now|you are no longer|from now on,? you|act as (?:an?|the)|"
            r"pretend (?:to be|you are)|new (?:system )?instructions?|^\W*new task\b|system prompt|"
            r"system (?:update|message|override|notice)(?=\s*:)|developer (?:mode|message|note)|jailbreak|"
            r"(?:your|the assistant's|the model's) (?:new|real|only) (?:task|job|role|instructions?))\b",
        ),
        (
            "dictates the output",
            rf"\b(?:(?:set|make|change|write|title|replace|rewrite|fill|start|end)\s+(?:the|your|this|every)\s+"
            rf"(?:headline|summary|summaries|title|brief|output|answer|response)|{_TASK}\s+(?:of|for)\s+this\s+"
            rf"(?:article|story|text|page)\s+(?:must|should|shall|has to|needs to|is)|"
            rf"(?:headline|summary|brief|output|answer|response)\s+(?:must|should|shall)\s+"
            rf"(?:be|say|read|state|include|contain|mention)|"
            rf"(?:respond|reply|answer|output)\s+(?:only\s+)?with|(?:do not|don't|never)\s+(?:summari[sz]e|"
            rf"mention|report|include)\b|(?:return|leave|output)\s+(?:an?\s+)?empty\s+(?:lists?|fields?|"
            rf"answer|output|JSON)|your\s+(?:only\s+)?(?:output|answer|response|reply)\s+(?:must|should|shall|"
            rf"is)|(?:correct|real|true|official|proper)\s+(?:headline|summary|title)\s+(?:for|of)\s+this\s+"
            rf"(?:article|story|text))",
        ),
        (
            "asks to ignore instructions",
            r"忽略[^。]{0,20}(?:指令|指示|说明|规则)|无视[^。]{0,20}(?:指令|指示)|"
            r"(?:以前|前|上記|これまで)の(?:指示|命令|指令)を無視|指示を無視",
        ),
        (
            "dictates the output",
            r"(?:标题|摘要)(?:写为|改为|必须|应该)|見出しを[^。]{0,20}(?:にして|にする|と書)|要約を[^。]{0,20}(?:にして|と書)",
        ),
    )
)


def _reason(text: str) -> str | None:
    for reason, pattern in _PATTERNS:
        if pattern.search(text):
            return reason
    return None


def scan(sentences: list[Sentence]) -> list[tuple[Sentence, str]]:
    """Every sentence that reads as an instruction to a model, with the reason."""
    return [(s, why) for s in sentences if (why := _reason(s.text)) is not None]


def scan_title(title: str | None) -> str | None:
    """Why the title reads as an instruction to a model (it is then neither shown nor used)."""
    return _reason(title) if title else None


# --- what the model wrote --------------------------------------------------------------------

_QUOTED = re.compile(
    r"'([^']{3,80})'|\"([^\"]{3,80})\"|«\s*([^»]{3,80}?)\s*»|“([^”]{3,80})”|「([^」]{1,80})」"
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_COMMON = frozenset(
    """a an the and or of in on at to for with by from as is was were are be this that it its you your
    all any every each only must should write make set use headline summary title brief article story
    text answer output response instructions instruction previous above ignore please new task say
    said says will would not no into words word sentence""".split()
)


def _content_words(text: str) -> list[str]:
    words = (w.lower().strip("'’-") for w in _WORD.findall(text))
    return [w for w in words if w not in _COMMON and len(w) > 1]


def _phrases(text: str) -> set[str]:
    words = _content_words(text)
    return {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


def carried_out(text: str, instructions: Iterable[str], shown: Iterable[str]) -> str | None:
    """Why ``text`` (something the model wrote) does what a withheld instruction asked, or None.

    It does when it contains words the instruction quotes ("make the headline 'X'"), or a pair of
    content words found in the withheld text and nowhere in what the model was shown.
    """
    said = " ".join(text.split()).lower()
    if not said:
        return None
    visible = " ".join(" ".join(t.split()) for t in shown).lower()
    visible_phrases = _phrases(visible)
    said_phrases = _phrases(said)
    for instruction in instructions:
        for match in _QUOTED.finditer(instruction):
            quoted = " ".join(next(g for g in match.groups() if g).split()).lower()
            if _content_words(quoted) and quoted in said and quoted not in visible:
                return f"repeats {quoted!r}, which a withheld instruction in the article asked for"
        foreign = (_phrases(instruction) & said_phrases) - visible_phrases
        if foreign:
            return f"repeats {sorted(foreign)[0]!r}, found only in a withheld instruction in the article"
        if any("\u3000" <= ch <= "\u9fff" for ch in instruction):
            # No word boundaries to pair: any run of 3+ CJK characters from the instruction.
            for run in re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]{3,}", instruction):
                if run in said and run not in visible:
                    return f"repeats {run!r}, found only in a withheld instruction in the article"
    return None
