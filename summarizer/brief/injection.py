# ruff: noqa: E501  (pattern tables read best one rule a line)
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
from functools import lru_cache

from summarizer.brief import markup, normalize
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


# --- meta-text: a sentence about a rendering of this text, or addressed to whoever processes it

# A rendering of this text: what a brief or any shortened version of the article is made of.
_RENDER = (
    r"(?:head-?lines?|titles?|summary|summaries|recaps?|digests?|overviews?|synops[ie]s|abstracts?|tl;?\s?dr|"
    r"gist|blurbs?|teasers?|standfirsts?|one-?liners?|précis|key (?:developments|points|facts|takeaways)|"
    r"meta descriptions?|(?:short|shortened|condensed|abridged|cut-down|brief|one-line|summari[sz]ed)\s+"
    r"(?:versions?|form|account)|front pages?)"
)
_RENDERING = (
    r"(?:summari[sz]\w*|condens\w*|shorten\w*|recap\w*|abridg\w*|sum(?:s|med|ming)? up|digest(?:s|ed|ing)?)"
)
_THIS = (
    r"(?:(?:this|the above|the following)\s+(?:article|story|text|piece|report|item|page|post|content|document|"
    r"passage|copy|feature|column|release|news)|(?:article|story|text|piece|report) (?:above|below))"
)
_QUALIFIED = (
    r"(?:correct|right|real|true|proper|official|preferred|suggested|approved|alternative|alt|recommended|"
    r"required|final|updated|new)\s+" + _RENDER
)
_DIRECTIVE = (
    r"(?:must|should|shall|(?:is|are) to|(?:has|have|need|needs) to|required|requires?|requested|request|"
    r"(?:is|are) asked|ask(?:ed)? (?:that|to)|please|only if|no other|ought to|(?:is|are) expected|"
    r"reads?|carry|carries|opens? with|refer to)"
)
_PROCESSOR = (
    r"(?:AI|A\.I\.|(?:language )?models?|LLMs?|assistants?|(?:chat)?bots?|machines?|software|programs?|"
    r"algorithms?|tools?|crawlers?|scrapers?|generators?|summari[sz]ers?|computers?|automated \w+|"
    r"digest services?|aggregators?)"
)
_QUOTE_OR_VALUE = r"(?:['\"“‘«「『]|\s[:=]\s?\S|:\s*\S)"

_OF_THIS = re.compile(
    rf"\b{_RENDER}\b.{{0,40}}\b(?:of|for|about|from|on)\s+{_THIS}\b|\b{_THIS}\b.{{0,60}}\b{_RENDERING}\b|"
    rf"\b{_RENDERING}\s+{_THIS}\b",
    re.IGNORECASE,
)
_DIRECTIVE_RE = re.compile(rf"\b{_DIRECTIVE}\b|{_QUOTE_OR_VALUE}", re.IGNORECASE)

_META: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE | re.MULTILINE))
    for reason, pattern in (
        # "The correct headline is 'X'", "Suggested headline: X", "Preferred headline: X"
        ("names a value for a rendering of this text", rf"\b{_QUALIFIED}\b\s*(?:\([^)]{{0,30}}\)\s*)?(?:[:=|]|is\b|"
         rf"reads?\b|should|must|would be)"),
        # a field of a brief given a value: "Headline: X", "| Headline | X |", "headline = X", "summary_x: X"
        ("names a value for a rendering of this text", rf"^\W{{0,4}}(?:\[.\]\s*)?(?:[\w ]{{0,20}}\s)?{_RENDER}(?:[\w ]{{0,24}})?"
         rf"\s*(?:[:=|]|\bsays\b|\bmust\b)\s*\S"),
        ("names a value for a rendering of this text", rf"\b{_RENDER}_\w+\s*[:=]"),
        ("names a value for a rendering of this text", rf"\b{_RENDER}\b\s+(?:to use|for (?:this|any|the) \w+|"
         rf"for (?:summaries|digests|briefs))\s*[:=]"),
        # "Summarise as: X", "Title this 'X'"
        ("dictates a rendering of this text", r"^\W*(?:summari[sz]e|condense|shorten|recap|title|headline|describe)\s+"
         r"(?:it|this|the (?:story|article|text|piece)|as)\b"),
        # page metadata, not prose: "SEO keywords: ...", "Meta description: ...", "Tags: ..."
        ("page metadata, not prose", r"^\W*(?:SEO\b[\w ]{0,20}|meta[\s_-]+(?:description|title|keywords|tags)|"
         r"keywords|tags|slug|og:\w+|twitter:\w+)\s*:"),
        # "Note for summaries: ...", "Message to digests"
        ("addresses whoever processes the text", rf"\b(?:note|message|instructions?|memo|reminder|notice)s?\s+(?:for|to)\s+"
         rf"(?:all\s+|any\s+|the\s+)?(?:{_RENDER}|{_PROCESSOR}|summari[sz]ers|whoever)\b"),
        # whoever processes it: "if a machine is reading this", "should this text be processed by software"
        ("addresses whoever processes the text", rf"\bif\s+(?:you are\s+)?(?:a|an|any|the|some)\s+{_PROCESSOR}\s+"
         rf"(?:is|are|was)\s+\w+ing\b"),
        ("addresses whoever processes the text", rf"\b(?:read|processed|parsed|summari[sz]ed|ingested|handled|fed|"
         rf"analy[sz]ed|scanned)\s+(?:by|into|through)\s+(?:a|an|any|the)?\s*{_PROCESSOR}\b"),
        ("addresses whoever processes the text", r"\b(?:anyone|anybody|whoever|anything|those|all)\s+(?:who(?:'s| is| are)?\s+|"
         r"that\s+(?:is\s+)?)?(?:summari[sz]\w*|condens\w*|process\w*|pars\w*|digest\w*|recap\w*)\s+"
         r"(?:this|these|the (?:article|story|text|page))"),
        ("addresses whoever processes the text", rf"\b(?:{_PROCESSOR}|sub-?editors?)\b.{{0,40}}\b(?:are|is)\s+(?:asked|told|"
         rf"requested|instructed|required|expected)\s+to\b"),
        # role-play
        ("asks for role-play", r"\blet'?s (?:play|pretend|imagine)\b|\bimagine (?:that )?you(?:'re| are)\b|"
         r"\bpretend (?:that )?you(?:'re| are)\b|\bplay the (?:role|part) of\b|\brole-?play\b"),
        # second person about the brief's own making
        ("addresses whoever processes the text", rf"\byou(?:'ll|'re| will| are| were| have)?\b.{{0,40}}\b(?:lead|open|start|begin)\s+"
         rf"with\b|\byou (?:were|have been|had been) (?:told|asked|given)\b|\bbefore you (?:finish|write|answer|respond|"
         rf"reply|go|submit|output)\b|\byour (?:{_RENDER}|output|answer|response|reply|task|job|instructions?)\b"),
        # an instruction announced by the sentence before it
        ("announces an instruction", r"\b(?:the|a) (?:next|following) (?:sentence|line|paragraph|part|words?)\b.{0,60}"
         r"\b(?:use|is|are|should|must|replace|title|headline)\b|\b(?:what|everything) (?:comes|follows) (?:next|below|after)\b|"
         r"\b(?:instruction|note|rule|request|directive)s? (?:follows?|below)\b|\bone thing to (?:put|say|mention|include|"
         r"keep) (?:first|above all|in mind)\b|^\W*listen (?:carefully|closely|up)\b"),
    )
)  # fmt: skip

# Other languages the model reads: a rendering of the text and a directive in one sentence.
_FOREIGN: dict[str, tuple[str, str]] = {
    "fr": (
        r"\b(?:titre|résumés?|synthèse|chapô)\b",
        r"\b(?:doit|doivent|devez|veuillez|écri(?:s|vez|re|vons)|mettez|intitul\w*|il faut)\b",
    ),
    "de": (
        r"\b(?:überschrift|schlagzeile|titel|zusammenfassung)\b",
        r"\b(?:muss|müssen|soll|sollen|bitte|schreib\w*|verwende\w*|nenne\w*|ignorier\w*|vergiss\w*)\b",
    ),
    "es": (
        r"\b(?:titular|título|resumen)\b",
        r"\b(?:debe|deben|escrib\w*|pon|ponga|utiliza|por favor|ignora\w*|olvida\w*)\b",
    ),
    "pt": (
        r"\b(?:título|manchete|resumo)\b",
        r"\b(?:deve|devem|escrev\w*|utilize|por favor|ignor\w*|esque\w*)\b",
    ),
    "it": (
        r"\b(?:titolo|riassunto|sommario|sintesi|intitol\w*)\b",
        r"\b(?:deve|devono|scriv\w*|intitol\w*|per favore|usa|ignora\w*|dimentica\w*)\b",
    ),
    "nl": (
        r"\b(?:kop|koptekst|titel|samenvatting)\b",
        r"\b(?:moet|moeten|schrijf|gebruik|graag|negeer|vergeet)\b",
    ),
    "sv": (
        r"\b(?:rubrik\w*|sammanfatt\w*|titel\w*)\b",
        r"\b(?:ska|skall|måste|skriv|använd|ignorera|glöm)\b",
    ),
    "pl": (
        r"\b(?:tytuł\w*|nagłów\w*|podsumowa\w*|streszcz\w*)\b",
        r"\b(?:napisz|musi|powin\w*|proszę|należy|zignoruj|użyj)\b",
    ),
    "tr": (
        r"\b(?:başlı\w*|özet\w*)\b",
        r"\b(?:yap|yaz\w*|lütfen|gerek\w*|olmalı|yok say|kullan\w*|görmezden)\b",
    ),
    "id": (
        r"\b(?:judul|ringkasan|rangkuman|tajuk)\b",
        r"\b(?:tulis\w*|harus|tolong|mohon|buat\w*|abaikan|gunakan)\b",
    ),
    "vi": (r"(?:tiêu đề|tóm tắt|đầu đề)", r"(?:hãy|phải|viết|đặt|vui lòng|bỏ qua)"),
    "ru": (
        r"(?:заголов|назван|резюме|кратк\w* (?:содержан|изложен|верси)|сводк|аннотац|пересказ)",
        r"(?:напиши|напишите|должн|пожалуйста|следует|нужно|укажи|игнорир|забудь|используй)",
    ),
    "uk": (r"(?:заголов|назв|резюме|підсумок)", r"(?:напиши|напишіть|повин|будь ласка|слід|потрібно|ігнору)"),
    "ar": (r"(?:عنوان|ملخص|تلخيص)", r"(?:اكتب|يجب|من فضلك|يرجى|تجاهل|استخدم|ضع)"),
    "fa": (r"(?:عنوان|خلاصه)", r"(?:بنویس|باید|لطفا|نادیده)"),
    "he": (r"(?:כותרת|תקציר|סיכום)", r"(?:כתוב|חייב|יש ל|נא|התעלם)"),
    "hi": (r"(?:शीर्षक|सारांश|हेडलाइन)", r"(?:लिखें|लिखो|करें|कृपया|चाहिए|अनदेखा)"),
    "ko": (r"(?:제목|요약|헤드라인)", r"(?:하세요|하십시오|해야|주세요|작성|무시)"),
    "zh": (r"(?:标题|標題|摘要|总结|總結|题目)", r"(?:请|請|必须|必須|应该|應該|写|寫|改为|改為|忽略)"),
    "ja": (r"(?:見出し|要約|タイトル)", r"(?:ください|してください|すること|べき|無視)"),
    "th": (r"(?:หัวข้อ|พาดหัว|สรุป)", r"(?:กรุณา|ต้อง|เขียน|ละเว้น)"),
}
_FOREIGN_RE = tuple(
    (lang, re.compile(render, re.IGNORECASE), re.compile(directive, re.IGNORECASE))
    for lang, (render, directive) in _FOREIGN.items()
)
_ANY_FOREIGN_RENDER = re.compile("|".join(render for render, _ in _FOREIGN.values()), re.IGNORECASE)
_IGNORE_FOREIGN = re.compile(
    r"(?:игнорир|проигнорир|забудь|забудьте)\w*.{0,40}(?:указани|инструкци|правил|команд)|"
    r"تجاهل.{0,30}(?:التعليمات|الأوامر|تعليمات)|(?:지시|명령|지침).{0,20}무시|"
    r"(?:निर्देश|आदेश).{0,40}(?:अनदेखा|नज़रअंदाज़|नजरअंदाज)|"
    r"\b(?:negeer|vergeet)\b.{0,40}\b(?:instructies|opdrachten|regels)\b|"
    r"\b(?:zignoruj|zapomnij)\b.{0,40}\b(?:polece\w*|instrukcj\w*|zasad\w*)\b|"
    r"\b(?:talimat\w*|komut\w*).{0,40}(?:yok say|görmezden|unut)|"
    r"\babaikan\b.{0,40}\b(?:instruksi|perintah|petunjuk)\b|\bbỏ qua\b.{0,40}(?:hướng dẫn|chỉ dẫn|lệnh)|"
    r"\bignorera\b.{0,40}\b(?:instruktion\w*|anvisning\w*)\b",
    re.IGNORECASE,
)

# The text outside quotation marks: a quoted speaker's "you" is not the article addressing us.
_QUOTE = re.compile(r"['\"“‘«「『]\w")
_QUOTED_SPEECH = re.compile(r"\"[^\"]{0,400}\"|“[^”]{0,400}”|‘[^’]{0,400}’|«[^»]{0,400}»")


def _unquoted(text: str) -> str:
    return _QUOTED_SPEECH.sub(lambda m: " " * len(m.group()), text)


def _meta(text: str) -> str | None:
    outside = _unquoted(text)
    # A rendering of this text ("any summary of this article", "the recap of this piece",
    # "shortened versions of this report") with a directive or a value for it.
    if m := _OF_THIS.search(outside):
        rest = outside[: m.start()] + outside[m.end() :]
        if _DIRECTIVE_RE.search(rest) or _QUOTE.search(text):
            return "talks about a rendering of this text"
    for reason, pattern in _META:
        if pattern.search(outside):
            return reason
    if _IGNORE_FOREIGN.search(text):
        return "asks to ignore instructions"
    if _ANY_FOREIGN_RENDER.search(text):
        for lang, render, directive in _FOREIGN_RE:
            if render.search(text) and directive.search(text):
                return f"talks about a rendering of this text ({lang})"
    return None


_ITEM = re.compile(r"^\s*(?:[-*+•|]|\d{1,2}[.)])\s")


def _reason(text: str) -> str | None:
    folded = normalize.skeleton(text)
    for reason, pattern in _PATTERNS:
        if pattern.search(folded):
            return reason
    return _meta(folded)


def scan(sentences: list[Sentence]) -> list[tuple[Sentence, str]]:
    """Every sentence that reads as an instruction to a model, with the reason.

    A sentence that announces the next one ("A final instruction follows.") takes the next one
    with it."""
    reasons = [_reason(s.text) for s in sentences]
    for i, s in enumerate(sentences):
        if reasons[i] is None or i + 1 >= len(sentences):
            continue
        nxt = i + 1
        if reasons[i] == "announces an instruction" or s.text.rstrip().endswith(":"):
            if reasons[nxt] is None:
                reasons[nxt] = "announced by the sentence before it"
            nxt += 1
        # A list or table with one line of instructions is a list of "required values": all of it.
        if _ITEM.match(s.text) or s.text.rstrip().endswith(":"):
            while nxt < len(sentences) and _ITEM.match(sentences[nxt].text):
                reasons[nxt] = reasons[nxt] or "part of a list or table of instructions"
                nxt += 1
    for i in range(len(sentences) - 1, 0, -1):  # a table's header and rows above a flagged row
        if reasons[i] is not None and _ITEM.match(sentences[i].text) and reasons[i - 1] is None:
            if _ITEM.match(sentences[i - 1].text) and sentences[i - 1].text.lstrip()[:1] == "|":
                reasons[i - 1] = "part of a list or table of instructions"
    return [(s, why) for s, why in zip(sentences, reasons, strict=True) if why is not None]


def scan_title(title: str | None) -> str | None:
    """Why the title reads as an instruction to a model, or is markup (it is then neither shown nor used)."""
    if not title:
        return None
    if markup.is_markup(title):
        return "markup, not prose"
    return _reason(title)


def prose(text: str) -> str:
    """The article with its markup blanked, offsets kept (``markup.prose``)."""
    return markup.prose(text)


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


# --- the output check that needs no detection -----------------------------------------------

_RENDER_RE = re.compile(rf"\b{_RENDER}\b|{_ANY_FOREIGN_RENDER.pattern}", re.IGNORECASE)
_VALUE_AFTER_COLON = re.compile(r"[:=|]\s*([^:=|\n]{3,100}?)\s*(?:[.|]?\s*$|\|)")


@lru_cache(maxsize=64)
def _requested(texts: tuple[str, ...]) -> tuple[str, ...]:
    values: list[str] = []
    for raw in texts:
        text = normalize.skeleton(raw)
        if not _RENDER_RE.search(text):
            continue
        for match in _QUOTED.finditer(text):
            values.append(next(g for g in match.groups() if g))
        if (m := _RENDER_RE.search(text)) and (v := _VALUE_AFTER_COLON.search(text, m.end())):
            values.append(v.group(1))
    out = []
    for value in values:
        value = " ".join(value.split()).strip(" .'\"").lower()
        if len(_content_words(value)) >= 2 or (value and not value.isascii() and len(value) >= 3):
            out.append(value)
    return tuple(dict.fromkeys(out))


def asked_for(text: str, article: Iterable[str]) -> str | None:
    """Why ``text`` (something the model wrote) uses words the article asks a rendering of it to
    use: a quoted string or a value after a colon in a sentence that names a headline, title,
    summary... ("The correct headline is 'X'", "Headline: X"), whether or not detection flagged it.
    """
    said = " ".join(normalize.skeleton(text).split()).lower()
    for value in _requested(tuple(article)):
        if value in said:
            return f"uses {value!r}, which the article asks a headline or summary of it to say"
    return None


# Words too plain to be a sentence's own.
_PLAIN = frozenset(
    """after before over under year years year-old old first second third last next new more most
    about also than then there their they them his her has had have been being who which what when
    where while said says told one two three four five six seven eight nine ten people time day""".split()
)


def unbacked(
    text: str, sentences: list[Sentence], news: Iterable[int], withheld: Iterable[int] = ()
) -> str | None:
    """Why ``text`` (a headline) is carried by one sentence the brief does not report as news.

    Content words that occur in one sentence of the article only are that sentence's; two of
    them side by side in that sentence and both in the headline, when the brief cites that
    sentence neither for a development nor for its summary (``news``), mean the headline tells
    what that sentence says, not the news: a planted "the headline is X" that detection missed,
    or a passing remark. Words the news sentences share are left alone."""
    words = set(_content_words(normalize.skeleton(text).lower())) - _PLAIN
    if len(words) < 2:
        return None
    hidden = set(withheld)
    own: dict[int, list[str]] = {}
    where: dict[str, set[int]] = {w: set() for w in words}
    for s in sentences:
        if s.number in hidden:
            continue
        own[s.number] = _content_words(normalize.skeleton(s.text).lower())
        for w in words.intersection(own[s.number]):
            where[w].add(s.number)
    backed = set(news)
    for number, sequence in own.items():
        if number in backed:
            continue
        lone = {w for w in words if where[w] == {number}}
        if 3 * len(lone) < len(words):  # a third of the headline or more is that sentence's own
            continue
        # Two of them side by side in that sentence: a phrase of its own ("Comet Orchard").
        for a, b in zip(sequence, sequence[1:], strict=False):
            if a in lone and b in lone and a != b:
                return (
                    f"carries {a + ' ' + b!r} from sentence {number} only, "
                    "which the brief does not report as news"
                )
    return None
