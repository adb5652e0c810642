"""Text in an article that addresses an AI model: found, reported, and kept from the model.

A fence and a "do not follow" rule are not enough for a 1.5B model: a held-out article whose
last paragraph told "the AI" what to write got exactly that headline. So sentences that read as
instructions to a model (ignore previous instructions, role changes, demands on the output)
are withheld from the numbered article the model sees, listed in the brief's metadata with
their offsets, and cannot be cited by anything the brief says.
"""

from __future__ import annotations

import re

from summarizer.brief.sentences import Sentence

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        (
            "asks to ignore instructions",
            r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?]{0,60}\b(?:instructions?|prompts?|rules|guidelines|directions|orders)\b",
        ),
        (
            "addresses an AI model",
            r"\b(?:dear|hey|attention|note to|to the|hello)\s+(?:AI|A\.I\.|assistant|language model|LLM|chatbot|summari[sz]er|model|GPT|bot)\b",  # noqa: E501
        ),
        (
            "addresses an AI model",
            r"\b(?:AI|A\.I\.|assistants?|language models?|LLMs?|chatbots?|summari[sz]ers?|bots?)\b[^.!?]{0,40}\b(?:reading|processing|summari[sz]ing|briefing)\s+this\b",  # noqa: E501
        ),
        (
            "changes the model's role",
            r"\b(?:you are now|from now on,? you|act as (?:an?|the)|pretend (?:to be|you are)|new (?:system )?instructions?|system prompt|developer mode|jailbreak)\b",  # noqa: E501
        ),
        (
            "dictates the output",
            r"\b(?:(?:set|make|change|write|title)\s+the\s+(?:headline|summary|title|brief)|(?:headline|summary|brief|output|answer|response)\s+(?:must|should|shall)\s+(?:be|say|read|state|include|contain)|(?:respond|reply|answer|output)\s+(?:only\s+)?with|(?:do not|don't|never)\s+(?:summari[sz]e|mention|report|include)\b)",  # noqa: E501
        ),
        (
            "asks to ignore instructions",
            r"(?:ignorez|oubliez)\b[^.!?]{0,40}\binstructions|ignorier(?:e|en)\b[^.!?]{0,40}\banweisungen|ignora\b[^.!?]{0,40}\binstrucciones|忽略[^。]{0,20}(?:指令|指示|说明)|以前の指示を無視",
        ),
    )
)


def scan(sentences: list[Sentence]) -> list[tuple[Sentence, str]]:
    """Every sentence that reads as an instruction to a model, with the reason."""
    found = []
    for s in sentences:
        for reason, pattern in _PATTERNS:
            if pattern.search(s.text):
                found.append((s, reason))
                break
    return found
