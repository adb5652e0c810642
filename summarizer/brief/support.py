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
from typing import TYPE_CHECKING

from summarizer.brief import net

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Token

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
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\u2019-]*")
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


_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_U = "|".join(_UNITS[1:])
_T = "|".join(_TENS[2:])
_TU = rf"(?:{_T})(?:[- ](?:{_U}))?"
_COMPOUND_NUMBER = re.compile(
    rf"\b(?:{_TU}|(?:{_U}))(?:\s+hundred(?:\s+(?:and\s+)?(?:{_TU}|(?:{_U})))?)?\b",
    re.IGNORECASE,
)


def _spell_numbers(text: str) -> str:
    """Spelled-out compound numbers as digits ("two hundred and thirty" -> "230", "fifty-one"
    -> "51"), so that they compare with the article's digits. Single words are left alone."""

    def value(m: re.Match[str]) -> str:
        words = re.findall(r"[a-z]+", m.group().lower())
        if len(words) < 2:
            return m.group()
        total = current = 0
        for w in words:
            if w in _UNITS:
                current += _UNITS.index(w)
            elif w in _TENS:
                current += 10 * _TENS.index(w)
            elif w == "hundred":
                current *= 100
        total += current
        return str(total)

    return _COMPOUND_NUMBER.sub(value, text)


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
    despite amid following after around about over under nearly almost roughly more fewer less up
    officials police residents experts critics nevertheless nonetheless
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
    """A name is found when each of its parts is a word of the haystack, whole or with one
    inflection off ("Russia's", "Ukrainians"): not by a shared prefix, so "Johnston" is not
    "Johnson"."""
    parts = [p for p in re.split(r"[-.'\u2019]", name) if p and p.lower() not in ("s",)]
    return bool(parts) and all(p.lower() in haystack_words or _inflected(p) in haystack_words for p in parts)


def _inflected(word: str) -> str:
    """``word`` without a possessive or one inflection (the key ``_words`` also stores)."""
    word = word.lower().strip("'\u2019-")
    for suffix in ("'s", "\u2019s"):
        word = word.removesuffix(suffix)
    for suffix in ("ians", "ian", "ns", "es", "s", "n"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> set[str]:
    """Every word of ``text``, lower-cased, with its stem and its uninflected form."""
    words = _WORD.findall(text)
    return {w.lower() for w in words} | {_stem(w) for w in words} | {_inflected(w) for w in words}


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
    claim = _spell_numbers(claim)
    support = [_spell_numbers(s) for s in support]
    context = [_spell_numbers(c) for c in context or []]
    problems: list[str] = []
    source = " ".join(support)
    wider = " ".join([*(context or []), source])
    source_words = _words(source)
    wider_words = _words(wider)

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
    problems += claim_problems(claim, support)

    content = [
        w
        for w in _WORD.findall(claim)
        if w.lower() not in _STOP and len(w) > 2 and w.lower() not in _NUMBER_WORDS
    ]
    # Wording must come from the cited sentences themselves: the context is there for names (a
    # pronoun's antecedent), not to lend a claim words its support does not have.
    new = [
        w
        for w in content
        if _stem(w) not in source_words
        and w.lower() not in source_words
        and not (w[:1].isupper() and _name_found(w, wider_words))
        and not (_SYNONYMS.get(_stem(w), set()) & (source_words | _numbers(source)))
    ]
    if len(new) >= min_new and (len(new) > max_new_share * len(content) or _new_phrase(claim, set(new))):
        problems.append(f"words the cited sentences do not use: {', '.join(dict.fromkeys(new))}")
    return Verdict(not problems, tuple(problems))


# Words news paraphrase swaps for one another (stems, as ``_stem`` makes them): a changed word
# from one of these groups is not a new fact. Kept to the common verbs and nouns of news.
_SYNONYM_GROUPS = (
    "rise rose risen climb increa grow jump soar",
    "fall fell fallen drop declin decrea slump plung",
    "cut reduc lower slash",
    "kill die dead death",
    "injur hurt wound",
    "fire blaze",
    "say state tell told add note remark",
    "call descri label",
    "launch fire",
    "begin start launch",
    "end finish conclu",
    "leave quit exit depart",
    "arrest detai hold",
    "charg accus",
    "sack fire dismi",
    "win victo triump",
    "lose defea loss",
    "buy acqui purch",
    "sell offlo",
    "hundr 100",
    "thous 1000",
    "milli million",
    "go went gone leave",
    "come came arriv",
    "force effec",
    "peopl person resid citiz",
    "home house prope",
    "car vehic",
    "plan schem propo",
    "law legis rule",
    "ban prohi outla",
    "talk negot discu",
    "show reveal find found",
    "help aid assis",
    "attack strik assau",
    "big large major huge",
    "small minor",
    "stud resea repor",
    "offic polic",
    "town city",
    "child kid",
    "job post role",
    "firm compa busin",
    "doctor medic",
    "still conti",
    "though althou but while",
    "minut min",
    "agree accep",
    "refus decli",
)
_SYNONYMS: dict[str, set[str]] = {}
for _group in _SYNONYM_GROUPS:
    _stems = {_stem(w) for w in _group.split()}
    for _w in _stems:
        _SYNONYMS.setdefault(_w, set()).update(_stems)


def _new_phrase(claim: str, new: set[str]) -> bool:
    """Whether the new words make a phrase of their own ("after an engine failure") or a new act
    ("was charged"): an added fact, not a paraphrase's changed word."""
    from summarizer.brief.language import parse

    run = 0
    for tok in parse(claim):
        if tok.text in new:
            run += 1
            if run >= 2 or (tok.pos_ == "VERB" and tok.lemma_.lower() not in _REPORTING_LEMMAS):
                return True
        elif not tok.is_punct and not (tok.is_stop and tok.dep_ in ("det", "prep", "case")):
            run = 0
    return False


def _attribution(claim: str, support: list[str]) -> list[str]:
    """ "X said/announced/warned ..." must be X's words: the cited sentence that holds most of
    what the claim reports must name X, or name no speaker at all ("he said", resolved earlier).
    A claim that joins two speakers ("A said …, and B said …") is checked clause by clause."""
    problems: list[str] = []
    for clause in _SPEAKER_CLAUSES.split(claim):
        who, _pronoun = net.speaker(clause)
        if who is None:
            continue
        own = {_stem(w) for w in _WORD.findall(who.name) if w.lower() not in _STOP}
        content = {_stem(w) for w in _WORD.findall(clause) if w.lower() not in _STOP and len(w) > 2} - own
        best = max(support, key=lambda s: len(content & {_stem(w) for w in _WORD.findall(s)}))
        speaking = _reporting_subject(best, content)
        if speaking:
            claim_words = _speaker_words(clause) | own
            for name in speaking:
                said_by = {_stem(w) for w in _WORD.findall(name) if w.lower() not in _STOP}
                if own & said_by or _same_role(who.name, name) or (said_by and said_by <= claim_words):
                    break
            else:
                problems.append(
                    f"says {who.name} spoke, but the cited sentence attributes it to {speaking[0]}"
                )
            continue
        if own & {_stem(w) for w in _WORD.findall(best)} or _same_role(who.name, best):
            continue
        named = net.speaker(best)[0]
        other = named.name if named is not None else None
        if other:
            problems.append(f"says {who.name} spoke, but the cited sentence attributes it to {other}")
    return problems


_SPEAKER_CLAUSES = re.compile(r",?\s+(?:and|but|while|whereas)\s+(?=[A-Z])|;\s+")
_REPORTING_LEMMAS = frozenset(
    {
        "say",
        "tell",
        "add",
        "announce",
        "warn",
        "claim",
        "state",
        "insist",
        "argue",
        "confirm",
        "deny",
        "write",
    }
)


def _speaker_words(clause: str) -> set[str]:
    """Stems of who a claim says is speaking: the subject of its reporting verb, or what follows
    "according to" ("according to Kyiv's air force")."""
    from summarizer.brief.language import parse

    out: set[str] = set()
    for tok in parse(clause):
        if tok.lemma_.lower() in _REPORTING_LEMMAS or tok.lower_ in ("warned", "called", "described"):
            for k in tok.children:
                if k.dep_ == "nsubj":
                    out |= {_stem(t.text) for t in k.subtree}
        if tok.lower_ == "according":
            out |= {_stem(t.text) for t in tok.subtree if t.lower_ not in ("according", "to")}
    return out


def _reporting_subject(sentence: str, content: set[str]) -> list[str]:
    """Who, in ``sentence``, says the words that ``content`` (stems) reports: the named subject
    of the reporting verb whose clause holds most of them ("Streeting said the plan would cut
    waiting lists, while Atkins called it a gimmick"); all of them on a tie, none when no named
    subject reports it."""
    from summarizer.brief.language import parse

    best: list[tuple[int, str]] = []
    for tok in parse(sentence):
        if tok.lemma_.lower() in _REPORTING_LEMMAS or tok.lower_ in ("warned", "called", "described"):
            subject = next((k for k in tok.children if k.dep_ == "nsubj"), None)
            if subject is None or subject.pos_ == "PRON":
                continue
            clause = [
                t for k in tok.children if k.dep_ not in ("nsubj", "punct", "cc", "conj") for t in k.subtree
            ]
            overlap = len(content & {_stem(t.text) for t in clause})
            name = " ".join(t.text for t in subject.subtree if t.dep_ != "poss" and t.head.dep_ != "poss")
            if overlap and (not best or overlap > best[0][0]):
                best = [(overlap, name)]
            elif best and overlap == best[0][0]:
                best.append((overlap, name))
    return [name for _n, name in best]


def _same_role(name: str, sentence: str) -> bool:
    """ "The club said" for "according to the club": a role noun the sentence also uses."""
    words = [w.lower() for w in _WORD.findall(name)]
    if not words:
        return False
    theirs = {_stem(w) for w in _WORD.findall(sentence)}
    return bool(({_stem(words[-1])} | _SYNONYMS.get(_stem(words[-1]), set())) & theirs)


def _same_actor(a: str, b: str) -> bool:
    wa = {_stem(w) for w in _WORD.findall(a) if w.lower() not in _STOP}
    wb = {_stem(w) for w in _WORD.findall(b) if w.lower() not in _STOP}
    return bool(wa & wb)


# --- what the claim says, not only which words it uses ------------------------------------------
#
# Word overlap passes "did not approve" for "voted to approve" and "Ukraine attacked Russia" for
# "Russia attacked Ukraine". These rules compare the *claims*: for every content word the claim
# shares with its support, is it negated in one and not the other, hedged in one and certain in
# the other, bound to another number, or done by the other party? They read a dependency parse
# (``language``) of the claim and of each supporting sentence.

_NEGATORS = frozenset({"not", "n't", "never", "no", "none", "nobody", "nothing", "neither", "nor", "without"})
# Verbs whose complement did not happen: "declined to approve" is "did not approve".
_NEGATING_VERBS = frozenset(
    {"decline", "refuse", "fail", "deny", "reject", "avoid", "forbid", "prevent", "stop"}
)
_POSSIBLE = frozenset({"may", "might", "could", "can"})
_CERTAIN = frozenset({"will", "would", "shall", "must", "'ll", "wo"})
# Verbs that make their complement a possibility, not a fact: "is considering closing".
_HEDGING_VERBS = frozenset(
    {
        "consider",
        "plan",
        "propose",
        "threaten",
        "hope",
        "seek",
        "want",
        "aim",
        "intend",
        "expect",
        "suggest",
        "explore",
        "discuss",
        "weigh",
        "mull",
        "try",
        "attempt",
        "offer",
        "vow",
        "pledge",
        "promise",
        "negotiate",
        "prepare",
        "push",
        "look",
        "review",
        "study",
        "debate",
        "eye",
    }
)
_CONTEMPLATING = frozenset({"consider", "plan", "propose", "weigh", "mull", "explore", "eye", "seek", "want"})
_HEDGE_ADVERBS = frozenset(
    {
        "possibly",
        "probably",
        "likely",
        "reportedly",
        "allegedly",
        "apparently",
        "perhaps",
        "maybe",
        "potentially",
    }
)
# Nouns that make the act they introduce a prospect: "in talks to sign", "a plan to close".
_HEDGING_NOUNS = frozenset(
    {
        "talk",
        "plan",
        "bid",
        "proposal",
        "attempt",
        "effort",
        "hope",
        "move",
        "threat",
        "offer",
        "option",
        "idea",
    }
)
_ANTONYMS: dict[str, frozenset[str]] = {}
for _pair in (
    "rise fall",
    "rise drop",
    "rise decline",
    "increase decrease",
    "increase cut",
    "increase fall",
    "increase drop",
    "increase reduce",
    "raise cut",
    "raise lower",
    "raise reduce",
    "grow shrink",
    "gain lose",
    "win lose",
    "approve reject",
    "approve block",
    "accept reject",
    "open close",
    "allow ban",
    "allow forbid",
    "allow prohibit",
    "permit ban",
    "legal illegal",
    "guilty innocent",
    "convict acquit",
    "support oppose",
    "pass fail",
    "boost cut",
    "hire fire",
    "hire lay",
    "arrest release",
    "join leave",
    "start end",
    "start stop",
    "buy sell",
    "up down",
    "high low",
    "higher lower",
    "more less",
    "more fewer",
    "above below",
    "survive die",
    "profit loss",
    "expand shrink",
    "expand cut",
    "welcome condemn",
    "praise criticise",
    "praise criticize",
    "confirm deny",
    "admit deny",
    "strengthen weaken",
    "improve worsen",
    "increase slash",
    "soar plunge",
    "soar slump",
    "climb fall",
    "climb drop",
    "surge plunge",
    "jump fall",
    "jump drop",
    "resume suspend",
    "lift impose",
    "award strip",
    "grant refuse",
    "grant deny",
    "grant reject",
    "lead trail",
    "ahead behind",
    "success failure",
    "victory defeat",
    "include exclude",
    "cheap expensive",
):
    _a, _b = _pair.split()
    _ANTONYMS[_a] = _ANTONYMS.get(_a, frozenset()) | {_b}
    _ANTONYMS[_b] = _ANTONYMS.get(_b, frozenset()) | {_a}
_NEGATIVE_PREFIXES = ("un", "in", "il", "im", "ir", "dis", "non")
# Verbs that report the same kind of act, so that roles can be compared across a paraphrase.
_SAME_ACT = {
    "defeat": "beat",
    "overcome": "beat",
    "thrash": "beat",
    "edge": "beat",
    "strike": "attack",
    "bomb": "attack",
    "shell": "attack",
    "assault": "attack",
    "invade": "attack",
    "murder": "kill",
    "slay": "kill",
    "shoot": "kill",
    "detain": "arrest",
    "sack": "fire",
    "dismiss": "fire",
    "overtake": "pass",
    "acquire": "buy",
    "purchase": "buy",
    "take over": "buy",
    "pay": "pay",
    "fine": "fine",
    "criticize": "criticise",
    "blame": "blame",
    "accuse": "accuse",
    "sue": "sue",
    "charge": "charge",
}
_SUBJECTS = ("nsubj", "csubj")
_OBJECTS = ("dobj", "nsubjpass", "attr", "pobj_by_none")


@dataclass(frozen=True)
class _Reading:
    """What a parsed sentence says about each of its content lemmas."""

    lemmas: frozenset[str]
    negated: frozenset[str]
    possible: frozenset[str]  # under may/might/could, or the complement of "considering"
    certain: frozenset[str]  # under will/would/must
    numbers: frozenset[tuple[str, str]]  # (value, the lemma it counts or is the subject of)
    roles: frozenset[tuple[frozenset[str], str, frozenset[str]]]  # (doer, act, done-to): their nouns


def _value(token_text: str) -> str | None:
    t = token_text.lower().replace(",", "")
    if t in _NUMBER_WORDS:
        return _NUMBER_WORDS[t]
    if re.fullmatch(r"\d+(?:\.\d+)?", t):
        return t.rstrip("0").rstrip(".") if "." in t else t
    return None


def _reading(text: str) -> _Reading:
    from summarizer.brief.language import parse

    doc = parse(text)
    lemmas: set[str] = set()
    negated: set[str] = set()
    possible: set[str] = set()
    certain: set[str] = set()
    numbers: set[tuple[str, str]] = set()
    roles: set[tuple[frozenset[str], str, frozenset[str]]] = set()
    for tok in doc:
        lemma = tok.lemma_.lower()
        if tok.is_alpha and not tok.is_stop:
            lemmas.add(lemma)
            if tok.pos_ == "ADJ":
                lemmas.add(tok.lower_)
        if tok.lower_ in _HEDGE_ADVERBS:  # "possibly started", "allegedly stole"
            possible.add(tok.head.lemma_.lower())
        kids = list(tok.children)
        not_this = any(
            k.dep_ == "neg" or (k.lower_ in _NEGATORS and k.dep_ in ("det", "advmod", "neg")) for k in kids
        )
        if not_this:
            negated.add(lemma)
        if not_this and tok.pos_ == "AUX":  # "was not fit": the complement is negated (this one's)
            negated.update(_lemma(k) for k in kids if k.dep_ in ("acomp", "attr"))
        if tok.dep_ == "pobj" and tok.head.lower_ == "without":
            negated.add(lemma)
        if tok.dep_ in ("xcomp", "ccomp") and _is(tok.head, _NEGATING_VERBS):
            negated.add(lemma)
        if any(k.dep_ == "aux" and k.lower_ in _POSSIBLE for k in kids):
            possible.add(lemma)
        if tok.dep_ in ("xcomp", "acl", "advcl") and (
            _is(tok.head, _HEDGING_VERBS)
            or _is(tok.head, _HEDGING_NOUNS)
            or tok.head.lower_ in _HEDGE_ADVERBS
        ):
            possible.add(lemma)
        # "is considering a ban": the ban is a prospect.
        if tok.dep_ == "dobj" and _is(tok.head, _CONTEMPLATING):
            possible.add(lemma)
        if any(k.dep_ == "aux" and k.lower_ in _CERTAIN for k in kids):
            certain.add(lemma)
        # A subject with "no" ("No one was hurt") negates its verb.
        if tok.dep_ in ("nsubj", "nsubjpass") and any(k.lower_ in ("no", "none") for k in kids):
            negated.add(tok.head.lemma_.lower())
        value = _value(tok.text) if tok.like_num or tok.lower_ in _NUMBER_WORDS else None
        if value is not None:
            head = tok.head
            if tok.dep_ in ("nummod", "quantmod", "compound", "amod") or head.pos_ in ("NOUN", "PROPN"):
                anchor = _lemma(head)
            elif tok.dep_ in ("nsubj", "nsubjpass", "dobj"):
                anchor = _lemma(head)
            else:
                anchor = ""
            numbers.add((value, anchor))
            # "Two people died": the number counts who died, too.
            plain = not any(
                k.dep_ in ("compound", "nmod") for k in head.children
            )  # not "magnitude 5.8 quake"
            if tok.dep_ == "nummod" and plain and head.dep_ in ("nsubj", "nsubjpass", "dobj"):
                numbers.add((value, head.head.lemma_.lower()))
            if tok.dep_ in ("nsubj", "nsubjpass"):
                numbers.add((value, head.lemma_.lower()))
        if tok.pos_ in ("VERB", "AUX"):
            doer = next((k for k in kids if k.dep_ in _SUBJECTS), None)
            done = next((k for k in kids if k.dep_ in ("dobj",)), None)
            passive = next((k for k in kids if k.dep_ == "nsubjpass"), None)
            agent = next((k for k in kids if k.dep_ == "agent"), None)
            by = next((g for g in agent.children if g.dep_ == "pobj"), None) if agent is not None else None
            if passive is not None:
                done, doer = passive, by
            elif doer is None and tok.dep_ == "xcomp":  # "Wiz agreed to buy Google": Wiz buys
                doer = next((k for k in tok.head.children if k.dep_ in _SUBJECTS), None)
            targets = [done] if done is not None else []
            # "sent it to the Senate", "exports rice to India", "lost to Ireland": the other party.
            for prep in kids:
                if prep.dep_ in ("prep", "dative") and prep.lower_ in ("to", "against", "from", "with", "on"):
                    targets += [g for g in prep.children if g.dep_ == "pobj"]
            if doer is not None:
                act = _SAME_ACT.get(lemma, lemma)
                for target in targets:
                    roles.add((_party(doer), act, _party(target)))
    return _Reading(
        frozenset(lemmas),
        frozenset(negated),
        frozenset(possible),
        frozenset(certain),
        frozenset(numbers),
        frozenset(roles),
    )


_SCALE_WORDS = frozenset(
    {"million", "billion", "trillion", "thousand", "hundred", "m", "bn", "k", "percent", "%"}
)
_PLURALS = {"people": "person", "men": "man", "women": "woman", "children": "child", "police": "officer"}


def _lemma(tok: Token) -> str:
    lemma = tok.lemma_.lower()
    return _PLURALS.get(lemma, lemma)


def _party(tok: Token) -> frozenset[str]:
    """The nouns and names of a subject's or object's phrase: "the company Wiz" is {company, wiz}."""
    words = {t.lemma_.lower() for t in tok.subtree if t.pos_ in ("NOUN", "PROPN") and t.dep_ != "poss"}
    # "the company Wiz" is sometimes parsed with the name hanging off the verb: take it along.
    after = tok.doc[tok.right_edge.i + 1] if tok.right_edge.i + 1 < len(tok.doc) else None
    while after is not None and after.pos_ == "PROPN":
        words.add(after.lemma_.lower())
        after = tok.doc[after.i + 1] if after.i + 1 < len(tok.doc) else None
    return frozenset(words or {tok.lemma_.lower()})


def _is(tok: Token, words: frozenset[str]) -> bool:
    """Whether a token is one of ``words`` (lemma, or the word less an inflection: the small
    model's lemmatizer gives "hop" for "hopes")."""
    lower = tok.lower_
    forms = {tok.lemma_.lower(), lower}
    for suffix in ("s", "es", "ed", "d", "ing"):
        if lower.endswith(suffix):
            forms.add(lower[: -len(suffix)])
    return bool(forms & words)


def _antonym_in(lemma: str, support: _Reading) -> str | None:
    """An opposite of ``lemma`` that the support uses while it does not use ``lemma`` itself."""
    if lemma in support.lemmas:
        return None
    for other in _ANTONYMS.get(lemma, ()):
        if other in support.lemmas:
            return other
    for prefix in _NEGATIVE_PREFIXES:
        if (
            lemma.startswith(prefix)
            and lemma[len(prefix) :] in support.lemmas
            and len(lemma) > len(prefix) + 3
        ):
            return lemma[len(prefix) :]
        if prefix + lemma in support.lemmas:
            return prefix + lemma
    return None


def claim_problems(claim: str, support: list[str]) -> list[str]:
    """What the claim asserts differently from its support: polarity, opposites, certainty,
    numbers bound to what they count, and who did what to whom."""
    said = _reading(claim)
    sources = [_reading(s) for s in support]
    every = _merge(sources)
    problems: list[str] = []
    for lemma in sorted(said.lemmas):
        if lemma in every.lemmas:
            claim_neg = lemma in said.negated
            source_neg = lemma in every.negated
            source_pos = any(lemma in s.lemmas and lemma not in s.negated for s in sources)
            if claim_neg and not source_neg:
                problems.append(f"says '{lemma}' did not happen; the cited sentences say it did")
            elif source_neg and not claim_neg and not source_pos:
                problems.append(f"says '{lemma}' happened; the cited sentences say it did not")
            hedged = lemma in every.possible and not any(
                lemma in s.lemmas and lemma not in s.possible for s in sources
            )
            if hedged and lemma not in said.possible:
                problems.append(f"states '{lemma}' as certain; the cited sentences say only that it may")
        elif (other := _antonym_in(lemma, every)) is not None and (lemma in said.negated) == (
            other in every.negated
        ):
            problems.append(f"says '{lemma}' where the cited sentences say '{other}'")
    for value, anchor in sorted(said.numbers):
        if not anchor:
            continue
        # The same number bound to the same thing somewhere: "the 5.8 quake killed two" binds 5.8
        # to the quake in both, whatever else the parse attaches it to.
        ours = {a for v, a in said.numbers if v == value}
        if ours & {a for v, a in every.numbers if v == value} or anchor in _SCALE_WORDS:
            continue
        theirs = {v for v, a in every.numbers if a == anchor}
        elsewhere = {a for v, a in every.numbers if v == value} - _SCALE_WORDS - {""}
        # Absent from the support ("One person died" / "Five people died"), or bound there to
        # something else while this thing has another number (a swap).
        absent = value not in {v for v, _a in every.numbers}
        if theirs and value not in theirs and (absent or elsewhere):
            problems.append(
                f"gives {value} for '{anchor}'; the cited sentences give {', '.join(sorted(theirs))}"
            )
    for doer, act, done in sorted(said.roles, key=str):
        same = [(d, x) for d, a, x in every.roles if a == act]
        swapped = any(doer & x and done & d for d, x in same)
        if swapped and not any(doer & d and done & x for d, x in same):
            problems.append(
                f"says {' '.join(sorted(doer))} {act} {' '.join(sorted(done))}; "
                "the cited sentences have it the other way round"
            )
    return list(dict.fromkeys(problems))


def _merge(readings: list[_Reading]) -> _Reading:
    def union(attr: str) -> frozenset:  # type: ignore[type-arg]
        out: set = set()  # type: ignore[type-arg]
        for r in readings:
            out |= getattr(r, attr)
        return frozenset(out)

    return _Reading(*(union(a) for a in ("lemmas", "negated", "possible", "certain", "numbers", "roles")))
