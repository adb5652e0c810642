"""The recall net: who speaks and who warns, found before the model is asked.

A 1.5B model skips voices and warnings, labels sentences unreliably and merges names
("Russian President Volodymyr Zelensky"). So the decisions it is bad at are made here,
deterministically: which sentences report someone's words (reporting verbs, quotations), which
carry a warning (warn, caution, threaten, urge...), who the speaker is (the name next to the
verb, an appositive skipped, "he" resolved to the last person named), and which actors are the
same ("Putin" is "Russian President Vladimir Putin"). The model is then asked only to word each
candidate, and every candidate ends as an item or as a :class:`Skipped` note that says why.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from summarizer.brief.sentences import Sentence

# --- vocabulary -----------------------------------------------------------------------------

_REPORTING = (
    "said|says|say|told|tells|added|adds|announced|announces|indicated|indicates|claimed|claims|stated|"
    "states|explained|explains|insisted|insists|argued|argues|noted|notes|declared|declares|confirmed|"
    "confirms|admitted|admits|revealed|reveals|remarked|stressed|stresses|emphasi[sz]ed|emphasi[sz]es|"
    "reported|reports|tweeted|wrote|writes|posted|replied|responded|acknowledged|conceded|suggested|"
    "suggests|maintained|maintains|asserted|asserts|predicted|predicts|vowed|vows|promised|promises|"
    "pledged|denied|denies|accused|accuses|urged|urges|warned|warns|cautioned|cautions|threatened|"
    "threatens|warn|caution|urge|threaten|commented|recalled|complained|joked|concluded|continued|expressed|expressing|praised|"
    "criticised|criticized|condemned|condemns|welcomed|welcomes|believes|believed|thinks|feared|fears|"
    "called for|called on|described|describes|agreed|explaining|adding|saying|telling|"
    "insisting|arguing|warning|noting|claiming|stating"
)
REPORTING_VERB = re.compile(rf"\b(?:{_REPORTING})\b")
_INVERTABLE = re.compile(
    r"\b(?:said|says|added|adds|explained|insisted|continued|wrote|writes|noted|warned)\b"
)
ACCORDING_TO = re.compile(r"\baccording to\b", re.IGNORECASE)

# Warning language: someone warns, cautions, threatens or urges; or says something would
# escalate, endanger or put at risk. "could", "may" alone are speculation, not warnings.
WARNING_CUE = re.compile(
    r"\b(?:warn\w*|caution\w*|urg(?:e|ed|es|ing)|danger\w*|peril\w*|"
    r"risk(?:s|ed|ing)?\b|at risk|fear(?:s|ed)?\b|brace\w*|escalat\w+|catastroph\w+|disaster\w*|"
    r"would (?:\w+ )?(?:lead to|result in|cause|trigger|provoke|destroy|harm|kill|collapse)|"
    r"must not|should not|do not|don't|never again|beware|prepare for|react appropriately|consequences)",
    re.IGNORECASE,
)
# Verbs that by themselves make a sentence a warning when a speaker is found. Lower case on
# purpose ("Elizabeth Warner" is a name), and not the senses that warn no one: "without warning",
# "life-threatening injuries", "felt threatened", "threatening messages", "had been warned".
STRONG_WARNING = re.compile(
    r"(?<!without )(?<!life )(?<!life-)(?<!been )(?<!being )(?<!was )(?<!were )(?<!felt )"
    r"\b(?:warn(?:s|ed)?|warning(?=\s+(?:that|of|about|against|him|her|them|people|residents|the|fans|players)\b)|"
    r"caution(?:s|ed|ing)?|threaten(?:s|ed)?(?=\s+(?:to|that)\b)|threatening(?=\s+to\b)|urg(?:e|es|ed|ing))\b"
)

_PRONOUNS = {"he": "person", "she": "person", "they": "group", "it": "group", "we": "group", "i": "person"}
_GROUP_NOUNS = (
    "officials|official|police|authorities|ministry|spokesman|spokeswoman|spokesperson|spokespeople|company|"
    "firm|government|researchers|scientists|experts|analysts|witnesses|residents|doctors|prosecutors|"
    "investigators|statement|report|court|council|club|team|campaigners|activists|critics|officers|"
    "lawyers|lawyer|judge|sources|source|leaders|leadership|administration|agency|department|army|"
    "military|forces|commission|committee|union|organisers|organizers|group|charity|board|regulator|"
    "survey|study|study's authors|authors|ministers|minister|president|manager|coach|chief|boss|owner|"
    "family|families|parents|father|mother|friends|friend|neighbours|neighbors|victims|survivors|"
    "protesters|fans|players|player|staff|workers|teachers|students|spokesmen|insiders|aides|aide"
)
_GROUP_TAIL = re.compile(rf"\b(?:{_GROUP_NOUNS})$", re.IGNORECASE)
_ROLE_WORDS = {
    "president",
    "prime",
    "minister",
    "secretary",
    "chancellor",
    "commander-in-chief",
    "commander",
    "chief",
    "director",
    "head",
    "coach",
    "manager",
    "captain",
    "sen.",
    "senator",
    "rep.",
    "representative",
    "gov.",
    "governor",
    "mayor",
    "dr",
    "dr.",
    "mr",
    "mr.",
    "mrs",
    "mrs.",
    "ms",
    "ms.",
    "prof",
    "prof.",
    "professor",
    "general",
    "gen.",
    "colonel",
    "lt.",
    "sgt.",
    "judge",
    "justice",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "foreign",
    "defence",
    "defense",
    "interior",
    "finance",
    "health",
    "state",
    "home",
    "first",
    "deputy",
    "vice",
    "former",
    "leader",
    "chairman",
    "chairwoman",
    "chair",
    "ceo",
    "spokesman",
    "spokeswoman",
    "ambassador",
    "officer",
    "inspector",
    "superintendent",
    "detective",
    "constable",
    "sergeant",
    "councillor",
    "mp",
    "lord",
    "lady",
    "sir",
    "dame",
    "striker",
    "midfielder",
    "defender",
    "goalkeeper",
    "boss",
    "chief executive",
    "executive",
    "founder",
    "communications",
    "brand",
    "of",
    "the",
    "and",
    "uk",
    "us",
    "u.s.",
    "un",
    "eu",
    "nato",
}
# Occupations, ranks and relations an article puts before or after a name ("Passenger Rebecca
# Crow", "musician Amir Amor", "Det Supt Kevin Geddes", "Ana Ruiz, the city's mayor"): a role,
# not part of the name. Singular on purpose: "a First Great Western spokesman" is one person,
# whom a later "he said" means; "police" are not.
_OCCUPATIONS = frozenset(
    """
    passenger musician guitarist drummer bassist singer songwriter singer-songwriter rapper actor actress
    comedian presenter host broadcaster journalist reporter correspondent editor writer author novelist poet
    artist photographer designer director producer filmmaker writer-director witness sheriff deputy
    prosecutor barrister solicitor lawyer attorney judge magistrate coroner pathologist doctor nurse surgeon
    paramedic scientist researcher professor lecturer teacher headteacher headmaster headmistress student
    pupil analyst economist historian campaigner activist protester organiser organizer founder co-founder
    owner landlord neighbour neighbor resident friend father mother wife husband son daughter brother sister
    grandmother grandfather uncle aunt widow victim survivor fan supporter player striker midfielder defender
    goalkeeper winger forward captain manager coach boss trainer jockey boxer champion driver pilot officer
    constable detective inspector superintendent sergeant det supt insp sgt pc commissioner councillor mayor
    governor senator congressman congresswoman mp mep msp am minister secretary spokesman spokeswoman
    spokesperson official aide adviser advisor chairman chairwoman chair ceo executive president chancellor
    ambassador envoy diplomat general colonel commander soldier agent promoter publicist chef entrepreneur
    businessman businesswoman billionaire investor banker star model blogger chief head leader
    frontman frontwoman vocalist bandmate dancer athlete footballer cricketer golfer rev rev. reverend
    """.split()
)
_ROLE_WORDS |= _OCCUPATIONS
# Words no actor's name is made of: pronouns, modals and auxiliaries ("Could I"), negations and
# sentence adverbs ("Rather", "Typically"). Leading ones are dropped from a name; an actor with a
# pronoun, or with one of these in lower case ("Some might", "The trust has not"), is not an actor.
# ("Will", "May" and "Can" begin or end names: only in lower case do they rule one out.)
_PRONOUN_WORDS = frozenset("i me we us you he him she they them it".split())
_NOT_ACTOR_WORDS = _PRONOUN_WORDS | frozenset(
    """
    could would should might must shall do does did is are was were be been being has have had not
    never ever rather typically usually generally perhaps maybe indeed still even only just often
    sometimes finally eventually apparently allegedly reportedly clearly certainly obviously
    unfortunately fortunately sadly ironically notably similarly likewise overall ultimately initially
    now already also few several previously repeatedly recently publicly separately subsequently later
    earlier once then again today yesterday quickly immediately simply
    """.split()
)
_LOWER_ONLY = frozenset("will may can".split())
_ORGANISATION = re.compile(
    r"\b(?:Ministry|Department|Office|Council|Committee|Agency|Commission|Court|Party|Union|Army|Police|"
    r"Kremlin|Government|Bank|Company|Inc|Ltd|University|Organi[sz]ation|Institute|Association|Federation|"
    r"Service|Authority|Board|Club|FC|Group|Corporation|Foundation|Trust|Society|Network|News|Times|Post|"
    r"Radio|Television|TV|Magazine|Online|Daily|Herald|Journal|Press|Telegraph|Gazette|Tribune|Mirror|"
    r"Express|Chronicle|Mail|Airlines?|Lines|Aerospace|Services|Security|Alliance|Support|Warriors|CCG|NHS|"
    r"Excellence|Reclaim)\b"
)
_DEMONYM = re.compile(
    r"^(?:U\.S\.|UK|US|EU|UN|American|British|English|Scottish|Welsh|Irish|Spanish|Polish|Turkish|Swedish|"
    r"Danish|Finnish|French|Dutch|Greek|Swiss|Thai|German|Mexican|Korean|African|European|Cuban|Kenyan|"
    r"Israeli|Iraqi|Pakistani|Saudi|Afghan|Yemeni|Qatari|Emirati|Chinese|Japanese|Vietnamese|Lebanese|"
    r"Portuguese|Taiwanese|Russian|Ukrainian|Canadian|Australian|Italian|Brazilian|Syrian|Indian|Iranian|"
    r"Egyptian|Nigerian|Palestinian|Belarusian|Georgian|Hungarian|Romanian|Bulgarian|Serbian|Croatian|"
    r"Austrian|Belgian|Norwegian|Argentine|Argentinian|Chilean|Colombian|Venezuelan|Peruvian|Libyan|Tunisian|"
    r"Algerian|Moroccan|Ethiopian|Somali|Sudanese|Indonesian|Malaysian|Philippine|Filipino|Singaporean|"
    r"Scots|Tory|Labour|Democratic|Republican|Conservative|Liberal|Green|Sinn|Fein|Chief|Senior|Junior)$"
)
_NOT_NAMES = frozenset(
    """
    the a an but and or in on at as for it he she they we i this that these those speaking after before
    when while however meanwhile initially nonetheless importantly instead currently additionally
    further despite although since if so yet also now then there here today yesterday earlier later last
    next monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december mr mrs ms dr his her their its our my one two three
    both all some many most other such what who why how where which not no yes by from with to of about
    under asked writing read click photo picture video related sources
    """.split()
)
# Words that open a sentence without being its subject: "Without warning, the dragon charges".
_OPENERS = frozenset(
    """
    without within during amid among across through throughout following upon beyond unlike like until
    unless whether though although even once because thanks according having being given despite
    """.split()
)
_NOT_NAMES |= _OPENERS
# Words between a subject and its reporting verb ("Smith has also said"): stripped from the end of
# the text before the verb, one whole word at a time (a set, not a regex anchored at the end: that
# regex was tried at every position of a long run of them, quadratic).
_AUX_WORDS = frozenset(
    """
    has have had was were is are also later previously reportedly repeatedly then again recently
    publicly separately subsequently earlier once will would did does do today yesterday quickly
    immediately simply just
    """.split()
)
_NAME_TOKEN = r"(?:(?:[A-Z]\.){2,}|[A-Z][\w'\u2019\-]*\.?)"
_NAME_RUN = re.compile(
    rf"{_NAME_TOKEN}(?:\s+(?:(?:of|de|da|del|der|van|von|al|bin|la|le|du|the)\s+)?{_NAME_TOKEN})*"
)
_NAME_TOKEN_FULL = re.compile(_NAME_TOKEN)
_NAME_CONNECTORS = frozenset("of de da del der van von al bin la le du the".split())
_LEADING_NAME = re.compile(
    rf"^({_NAME_TOKEN}(?:\s+(?:(?:of|de|da|del|der|van|von|al|bin|la|le|du|the)\s+)?{_NAME_TOKEN})*)"
)
# Where a quotation may open, and what closes it (see _quote_spans).
_QUOTE_MARK = re.compile("[\u201c\"'\u2018]")
_SINGLE_OPENS_AFTER = re.compile(r"[\s(\[:,\u2014-]")
_SINGLE_CLOSE = re.compile(r"'(?!\w)")
_WORD_CHAR = re.compile(r"\w")
_RIGHT_MARK = re.compile("\u2019")
_DIRECT_QUOTE = re.compile(r"[\"\u201c\u201d\u2018]|(?:^|[\s(:])'\w")


# --- what the net finds -----------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """A speaker as the article names it: ``name`` for display, ``role`` if the article gives one."""

    name: str
    role: str | None = None
    kind: str = "person"  # person | group

    @property
    def key(self) -> str:
        """Same actor, same key: the surname of a person, the head noun of a group."""
        words = [w.strip(".,'\u2019s").lower() for w in self.name.split()]
        return words[-1] if words else ""


@dataclass(frozen=True)
class Candidate:
    """A sentence the brief must account for: a voice (someone's words) or a warning."""

    kind: str  # "voice" | "warning"
    sentence: Sentence
    actor: Actor


@dataclass(frozen=True)
class Skipped:
    """A cue sentence the brief leaves out, and why (kept in the brief's metadata)."""

    kind: str
    sentence: int
    reason: str


@dataclass
class Net:
    voices: list[Candidate] = field(default_factory=list)
    warnings: list[Candidate] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    speakers: dict[int, Actor] = field(default_factory=dict)  # sentence number -> speaker


# --- speakers -----------------------------------------------------------------------------------


def _quote_spans(text: str) -> list[tuple[int, int]]:
    r"""(start, end) of each quotation in ``text``, left to right, in time linear in the text.

    A quotation is: \u201c to the next \u201d (or the end); " to the next " (or the end); an opening
    ' (at the start or after a space, bracket, colon, comma or dash) to the next ' that no word
    character follows (an apostrophe, as in "don't", does not close it), none found: no quotation;
    \u2018 to the next \u2019, when no word character follows that one. This is what the regex
    ``\u201c[^\u201d]*\u201d?|"[^"]*"?|(?<=^|[\s(\[:,\u2014-])'(?:[^']|'(?=\w))*'(?!\w)|\u2018[^\u2019]*\u2019(?!\w)``
    finds, without its re-scan to the end of the text from every quote mark that closes nowhere
    (quadratic on " 'x 'x 'x ...").
    """
    spans: list[tuple[int, int]] = []
    closers: list[int] | None = None  # positions of ' that close a quotation, found once
    right_marks: list[int] | None = None  # positions of \u2019, found once
    pos = 0
    while (m := _QUOTE_MARK.search(text, pos)) is not None:
        i = m.start()
        mark = text[i]
        end = -1
        if mark in '\u201c"':
            close = text.find("\u201d" if mark == "\u201c" else '"', i + 1)
            end = len(text) if close == -1 else close + 1
        elif mark == "'":
            if i == 0 or _SINGLE_OPENS_AFTER.match(text, i - 1):
                if closers is None:
                    closers = [c.start() for c in _SINGLE_CLOSE.finditer(text)]
                k = bisect_right(closers, i)
                if k < len(closers):
                    end = closers[k] + 1
        else:  # \u2018
            if right_marks is None:
                right_marks = [c.start() for c in _RIGHT_MARK.finditer(text)]
            k = bisect_right(right_marks, i)
            if k < len(right_marks) and not _WORD_CHAR.match(text, right_marks[k] + 1):
                end = right_marks[k] + 1
        if end == -1:
            pos = i + 1
        else:
            spans.append((i, end))
            pos = end
    return spans


@lru_cache(maxsize=512)
def _mask_quotes(text: str) -> str:
    """Quoted words are the speaker's, not the sentence's grammar: blank them (same length)."""
    pieces: list[str] = []
    pos = 0
    for start, end in _quote_spans(text):
        pieces += [text[pos:start], " " * (end - start)]
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


def _clean_name(run: str) -> str:
    words = run.split()
    while words and (
        words[0].lower().strip(".,") in _NOT_NAMES or words[0].lower().strip(".,") in _NOT_ACTOR_WORDS
    ):
        words.pop(0)
    # "Vietnam. Thompson": a sentence ended inside the run (not "Dr." or "U.S." or an initial).
    for i in range(len(words) - 2, -1, -1):
        word = words[i]
        if (
            word.endswith(".")
            and len(word) > 3
            and not _INITIALS.fullmatch(word)
            and word.lower() not in _ROLE_WORDS
        ):
            words = words[i + 1 :]
            break
    while words and words[-1].lower() in {"of", "de", "the", "and"}:
        words.pop()
    name = " ".join(words)
    if name.endswith(".") and len(words[-1]) > 3 and not _INITIALS.fullmatch(words[-1]):
        name = name[:-1]  # "Sara Dumbell." at the end of a sentence; not "K.C." or "Jr."
    return name[:-2] if name.endswith(("'s", "\u2019s")) else name


_INITIALS = re.compile(r"(?:[A-Z]\.)+|(?:Jr|Sr|Inc|Ltd|Co|Corp|St)\.")


def split_role(phrase: str) -> tuple[str, str | None]:
    """ "U.S. Secretary of State Antony Blinken" -> ("Antony Blinken", "U.S. Secretary of State")."""
    words = phrase.split()
    cut = 0
    for i, word in enumerate(words[:-1]):
        if word.lower() in _ROLE_WORDS or _DEMONYM.match(word) or word.endswith(_POSSESSIVE):
            cut = i + 1  # "CNN's Elizabeth Joseph": the possessive is whose she is
    if cut == 0 or cut >= len(words):
        return phrase, None
    role = " ".join(words[:cut])
    if role.endswith(_POSSESSIVE):
        role = role[:-2] if role.endswith(("'s", "\u2019s")) else role[:-1]
    return " ".join(words[cut:]), role


_POSSESSIVE = ("'s", "\u2019s", "s'", "s\u2019")


_FUNCTION_WORDS = frozenset(
    """
    in at from of for with by to on near into and or but as that which who after before while when since
    than the a an its his her their this these those be been being is was are were
    """.split()
)
_PREPOSITIONS = frozenset(
    """
    in at from of for with by to on near into across over than
    """.split()
)
_PERSON_ROLES = re.compile(
    r"^the\s+(?:[\w'\u2019.-]+\s+){0,6}(?:boss|manager|coach|striker|player|midfielder|defender|goalkeeper|"
    r"captain|chief|president|minister|star|singer|actor|actress|leader|chairman|founder|veteran|champion|"
    r"winner|driver|forward|keeper|father|mother|mum|dad|teenager|man|woman|boy|girl)$",
    re.IGNORECASE,
)


# How far from a reporting verb its subject is looked for, and how many verbs of one sentence
# are tried: every step below is then bounded by the window, so a sentence costs at most
# _MAX_VERBS windows, and an article time linear in its length. (The longest sentence of the 109
# dev articles is 1,150 characters, the most reporting verbs in one sentence 4.)
_WINDOW = 2000
_MAX_VERBS = 12
_GROUP_WORDS = 6  # a group phrase is at most 3 words and a noun of at most 2 ("study's authors")
_GROUP_BEFORE = re.compile(rf"((?:[\w'\u2019.-]+\s+){{0,3}}(?:{_GROUP_NOUNS}))$", re.IGNORECASE)
_SPACE = re.compile(r"\s")
_SPACES_COMMAS = re.compile(r"[ ,]*")
_AFTER_PRONOUN = re.compile(r"\s*(he|she|they|it|we)\b", re.IGNORECASE)


def _group_before(left: str) -> str | None:
    # Only the last words can hold the phrase: a regex anchored at the end but tried from every
    # position of the text (as this was) is quadratic in a long token.
    tail = " ".join(left.rsplit(None, _GROUP_WORDS)[-_GROUP_WORDS:])
    m = _GROUP_BEFORE.search(tail)
    if not m:
        return None
    words = m.group(1).split()
    cut = max((i + 1 for i, w in enumerate(words[:-1]) if w.lower() in _FUNCTION_WORDS), default=0)
    return " ".join(words[cut:])


def _after_preposition(words: list[str]) -> bool:
    """ "in Wales", "in north Wales": a name governed by a preposition is not the subject."""
    if not words or words[-1].endswith((",", ";", ":")):
        return False
    if words[-1].lower() in _PREPOSITIONS:
        return True
    return len(words) > 1 and words[-1].islower() and words[-2].lower() in _PREPOSITIONS


# The run of capitalised words that ends a text, found on the reversed text (a match at its start)
# rather than by a search for "...$", which tries every position and is quadratic on long runs.
_NAME_TOKEN_REVERSED = r"(?:(?:\.[A-Z]){2,}|\.?[\w'\u2019\-]*[A-Z])"
_TRAILING_NAME_REVERSED = re.compile(
    rf"{_NAME_TOKEN_REVERSED}(?:\s+(?:(?:fo|ed|ad|led|red|nav|nov|la|nib|al|el|ud|eht)\s+)?{_NAME_TOKEN_REVERSED})*"
)


def _trailing_name(left: str) -> tuple[int, str] | None:
    """(start, text) of the run of capitalised words ("Bank of England") that ends ``left``."""
    m = _TRAILING_NAME_REVERSED.match(left[::-1])
    if not m:
        return None
    start = len(left) - m.end()
    return start, left[start:]


def _strip_auxiliaries(left: str) -> str:
    """ "Smith has also" -> "Smith": whole auxiliary words, each after white space, off the end."""
    left = left.rstrip()
    while True:
        pieces = left.rsplit(None, 1)
        if not pieces or pieces[-1].lower() not in _AUX_WORDS:
            return left
        if len(pieces) == 1:  # the whole text is one auxiliary: only if white space comes first
            return "" if left[:1].isspace() else left
        left = pieces[0]


_APPOSITIVE_CHARS = 160  # "Dr Chand Nagpaul, chairman of the GPs committee of ... Association, told"
_APPOSITIVE_CLAUSE = re.compile(r"(?<=[^\s,]),\s+((?:who|which|including|among them)\b)")


def _appositive(left: str) -> tuple[str, str] | None:
    r""" "Smith, the club's manager," -> ("Smith", "the club's manager"): (before, appositive).

    The regexes ``^(.*?[^\s,]),\s+((?:who|which|including|among them)\b.{2,160}?),$`` and then
    ``^(.*?[^\s,]),\s+([^,]{2,160}),$``, computed without their backtracking over white space.
    """
    if not left.endswith(","):
        return None
    last = len(left) - 1
    for m in _APPOSITIVE_CLAUSE.finditer(left, 0, last):
        rest = left[m.end() : last]
        if 2 <= len(rest) <= 160 and "\n" not in rest and "\n" not in left[: m.start()]:
            return left[: m.start()], left[m.start(1) : last]
    comma = left.rfind(",", 0, last)
    if comma < 1 or left[comma - 1].isspace() or left[comma - 1] == "," or "\n" in left[:comma]:
        return None
    middle = left[comma + 1 : last]
    spaces = len(middle) - len(middle.lstrip())
    if spaces == 0:
        return None
    taken = min(spaces, len(middle) - 2)  # \s+ greedy, leaving [^,]{2,160} at least two
    if taken < 1 or len(middle) - taken > _APPOSITIVE_CHARS:
        return None
    return left[:comma], middle[taken:]


def _ends_with_pronoun(lowered: str) -> str | None:
    for pronoun in _PRONOUNS:
        if lowered.endswith(pronoun):
            at = len(lowered) - len(pronoun)
            before = lowered[at - 1 : at] if at else ""
            if not before or before.isspace() or before in ",;:(":
                return pronoun
    return None


def _phrase_before(left: str, truncated: bool = False) -> tuple[str, str] | None:
    """The subject phrase that ends ``left`` (text just before a reporting verb): (phrase, kind).

    ``truncated``: ``left`` is the end of a longer text, so it cannot be a sentence's opening words.
    """
    stripped = _strip_verbal_tail(left)
    if stripped is None:
        return None
    left = stripped
    # "Smith, the club's manager, said" / "officials, including X, said": skip one appositive.
    appositive = _appositive(left)
    role = None
    if appositive:
        left, role = appositive
    pronoun = _ends_with_pronoun(left.lower())
    if pronoun:
        return pronoun, "pronoun"
    group = _group_before(left)
    name = _trailing_name(left)
    if name:
        before = left[: name[0]].rsplit(None, 2)[-2:]
        cleaned = _clean_name(name[1])
        if _after_preposition(before):
            cleaned = ""  # "activists in north Wales claimed": Wales is not the speaker
        if cleaned and (not group or len(cleaned) >= len(group) - 4):
            # "Bus passenger Adam Graves said": the role the article gives him.
            role = _role_text(role) or _role_before(left[: name[0]])
            return (cleaned + (f", {role}" if role and not _GROUP_TAIL.search(cleaned[-40:]) else "")), "name"
    if group:
        return group, "group"
    words = left.split()
    if (
        not truncated
        and 1 <= len(words) <= 4
        and left[:1].isupper()
        and not any(w.lower() in _FUNCTION_WORDS - {"the", "a", "an"} for w in words)
        and words[0].lower() not in _OPENERS  # "Without warning, the dragon charges"
        and not any(w.islower() and w.endswith("ed") for w in words)  # "Brass defended Altice, saying"
    ):
        return left, "subject"  # a short sentence-initial subject: "Air traffic control warned"
    return None


_BE = frozenset("was were been being is are be".split())


def _passive(masked: str, verb: re.Match[str]) -> bool:
    word = verb.group()
    if not (word.endswith("ed") or word in {"told", "said"}):
        return False
    before = masked[max(0, verb.start() - 12) : verb.start()].rsplit(None, 1)
    return bool(before) and before[-1].lower() in _BE


def _strip_verbal_tail(left: str) -> str | None:
    """ "The woman falsely", "Officer Slager initially", "Smith has also" -> the subject alone;
    None for a report denied: "The trust has not (commented)" reports nothing."""
    while True:
        left = _strip_auxiliaries(left).rstrip()
        pieces = left.rsplit(None, 1)
        if len(pieces) < 2:
            return left
        word = pieces[1]
        if word in {"not", "never"} or word.endswith("n't"):
            return None
        if not word.islower() or word in _PRONOUN_WORDS:
            return left
        if word not in _NOT_ACTOR_WORDS and not (
            len(word) >= 5 and word.endswith("ly") and word not in _NOT_ADVERBS
        ):
            return left
        left = pieces[0]


def _role_text(role: str | None) -> str | None:
    """An appositive as a role: not an age ("Dr Oz, 54, said"), a relative clause or a blanked quote."""
    if not role:
        return None
    text = " ".join(role.split())
    if not text or text[0].isdigit() or len(text) > _APPOSITIVE_CHARS or "  " in role.strip():
        return None
    if text.split()[0].lower() in {"who", "which", "whose", "including", "among", "where", "when"}:
        return None
    return text


_ROLE_WORD = re.compile(r"[^\W\d_][\w\-]*(?:['\u2019]s|s['\u2019])?")
_NOT_ADVERBS = frozenset(
    "family assembly rally ally supply bully reply monopoly anomaly butterfly homily lily jelly belly holly "
    "folly tally italy july".split()
)


def _role_before(before: str) -> str | None:
    """ "Bus passenger", "the band's guitarist": the role phrase just before a name, if any."""
    words = before.rsplit(None, 4)[-4:]
    if not words or words[-1].lower() not in _OCCUPATIONS:
        return None
    role: list[str] = []
    for word in reversed(words):
        if not _ROLE_WORD.fullmatch(word) or word.lower() in _FUNCTION_WORDS:
            break
        role.insert(0, word)
    return " ".join(role) or None


def _before(masked: str, at: int) -> tuple[str, bool] | None:
    """The window of text before position ``at`` (whole words), and whether it was cut."""
    start = max(0, at - _WINDOW)
    left = masked[start:at]
    if start == 0:
        return left, False
    space = _SPACE.search(left)
    return (left[space.start() :], True) if space else None


def _after(masked: str, at: int) -> str:
    """The window of text after position ``at``, from its first character that is not a space or comma."""
    at = _SPACES_COMMAS.match(masked, at).end()  # type: ignore[union-attr]
    return masked[at : at + _WINDOW]


# "said the club's manager, John Smith": the group phrase, then (case-sensitively) a name that
# ends the clause; in "According to the manager, Silvestri had been rested" the name begins
# the reported clause and is not the manager's.
_GROUP_AFTER = re.compile(
    rf"(?i:((?:the|a|an)\s+(?:[\w'\u2019.-]+\s+){{0,6}}?(?:{_GROUP_NOUNS}|boss|star|man|woman))\b(?!['\u2019]))"
    rf"(?:,\s+({_NAME_TOKEN}(?:\s+{_NAME_TOKEN})*)(?=\s*(?:[,.;:!?]|$)))?"
)


def _phrase_after(right: str) -> tuple[str, str] | None:
    """The subject of an inverted report: '..., said Smith' / 'said the club's manager, John Smith'."""
    right = right.lstrip(" ,")
    m = _LEADING_NAME.match(right)
    if m and _clean_name(m.group(1)):
        # "according to BBC Radio Oxford travel reporter Sara Dumbell": the reporter, with her role.
        named = _ROLE_THEN_NAME.match(right, m.end())
        if named and _clean_name(named.group(2)):
            return _clean_name(named.group(2)) + f", {m.group(1)} {' '.join(named.group(1).split())}", "name"
        # "said Ana Ruiz, the city's mayor": the role after the name.
        role = _ROLE_AFTER.match(right, m.end())
        return _clean_name(m.group(1)) + (f", {' '.join(role.group(1).split())}" if role else ""), "name"
    group = _GROUP_AFTER.match(right)
    if group:
        if group.group(2):
            return _clean_name(group.group(2)) + f", {group.group(1)}", "name"
        return group.group(1), "group"
    return None


_OCCUPATION = "|".join(sorted((re.escape(w) for w in _OCCUPATIONS), key=len, reverse=True))
_ROLE_THEN_NAME = re.compile(
    rf"\s+((?:[a-z][\w'\u2019-]*\s+){{0,3}}?(?:{_OCCUPATION}))\s+({_NAME_TOKEN}(?:\s+{_NAME_TOKEN})*)"
)
_ROLE_AFTER = re.compile(
    rf",\s+(?:the|a|an)?\s*((?:[\w'\u2019-]+\s+){{0,4}}?(?:{_OCCUPATION}))(?=\s*(?:[,.;:]|$))", re.IGNORECASE
)


_DETERMINER = re.compile(r"^(?:a|an|its|his|her|their)\s+", re.IGNORECASE)
_APOSTROPHE = re.compile("['\u2019]")
_OPENS_QUOTE = re.compile("^[\"\u201c\u2018']\\s*\\w")


def _actor(phrase: str, kind: str) -> Actor:
    role = None
    if ", " in phrase:
        phrase, role = phrase.split(", ", 1)
    if kind == "group":
        return Actor(_DETERMINER.sub("", phrase), role, "group")
    name, title = split_role(phrase)
    if (
        title
        and len(name.split()) > 1
        and not _ORGANISATION.search(name)
        and any(w.lower() in _OCCUPATIONS for w in title.split())
    ):
        # "Cardiff City Supporters Club Chairman Clive Francis": a person with a role.
        return Actor(name, role or title, "person")
    if _ORGANISATION.search(phrase) or _ACRONYM.fullmatch(phrase):
        return Actor(phrase, role, "group")
    return Actor(name, role or title, "person" if len(name.split()) > 1 or title else "name")


_ACRONYM = re.compile(r"(?:[A-Z][A-Z0-9&]+|(?:[A-Z]\.){2,})\.?")


def plausible(actor: Actor) -> bool:
    """An actor is a name or a role phrase: never a pronoun, a modal or a verb ("Could I")."""
    words = [w.strip(".,;:'\u2019\"()") for w in actor.name.split()]
    if not words or not actor.name[:1].isalpha() or actor.name.endswith((",", ";", ":")):
        return False
    for i, word in enumerate(words):
        lowered = word.lower()
        if (
            _APOSTROPHE.split(lowered, maxsplit=1)[0] in _PRONOUN_WORDS
            or ((word.islower() or i == 0) and lowered in _NOT_ACTOR_WORDS)
            or (word.islower() and lowered in _LOWER_ONLY)
        ):
            return False
    return True


def _singular(actor: Actor) -> bool:
    """Someone a later "he" or "she" can mean: a person, or one person named by role."""
    if actor.kind != "group":
        return True
    head = actor.name.split()[-1].lower() if actor.name.split() else ""
    return head in _OCCUPATIONS


def speaker(sentence: str) -> tuple[Actor | None, str | None]:
    """The speaker named in one sentence, or a pronoun to resolve: (actor, pronoun).

    Each of the sentence's first ``_MAX_VERBS`` reporting verbs is tried in turn, looking at most
    ``_WINDOW`` characters either side of it.
    """
    masked = _mask_quotes(sentence)
    for k, m in enumerate(ACCORDING_TO.finditer(masked)):
        if k == _MAX_VERBS:
            break
        found = _phrase_after(_after(masked, m.end()))
        if found and plausible(actor := _actor(*found)):
            return actor, None
    for k, m in enumerate(REPORTING_VERB.finditer(masked)):
        if k == _MAX_VERBS:
            break
        if _passive(masked, m):
            continue  # "The panel has been told", "Smith was warned": whoever spoke, not them
        window = _before(masked, m.start())
        before = _phrase_before(*window) if window else None
        if before and before[1] == "pronoun":
            return None, before[0]
        if before and before[1] == "subject":
            # "Air traffic control warned" is someone; "The snow threatens" is a figure of speech.
            if m.group().startswith(("threat", "fear")):
                continue
            before = (before[0], "group")
        if before and plausible(actor := _actor(*before)):
            return actor, None
        if _INVERTABLE.fullmatch(m.group()):
            after = _phrase_after(_after(masked, m.end()))
            if after and after[1] == "group" and _PERSON_ROLES.match(after[0]):
                return None, "he"  # '..., said the former Barcelona boss': the person just named
            if after and after[0].lower() not in _PRONOUNS and plausible(actor := _actor(*after)):
                return actor, None
            if after is None:
                pronoun = _AFTER_PRONOUN.match(masked[m.end() : m.end() + _WINDOW])
                if pronoun:
                    return None, pronoun.group(1).lower()
    return None, None


_TRAILING_ATTRIBUTION = re.compile(
    rf",\s+(?:[^,]{{1,80}}?\s+(?:{_REPORTING})|(?:{_REPORTING})\s+[^,]{{1,80}}?|according to\s+[^,]{{1,80}}?)"
    r"(?:\s+(?:on|in|at|to|last|this|earlier|later)\b[^,]{0,40})?[.!?]?[\"'\u201d\u2019]?\s*$"
)


def reported_clause(sentence: str) -> str | None:
    """What a sentence reports when its attribution comes last: "One of the three people ...
    sustained serious injuries, police said." -> "One of the three people ... sustained serious
    injuries". None when the attribution does not end the sentence."""
    masked = _mask_quotes(sentence)
    m = _TRAILING_ATTRIBUTION.search(masked[-200:])
    if not m:
        return None
    clause = sentence[: len(masked) - 200 + m.start() if len(masked) > 200 else m.start()].strip()
    return clause if len(clause.split()) >= 3 else None


def _subject_name(sentence: str) -> Actor | None:
    """The sentence's own leading name, the antecedent of a later "it" or "they"."""
    words = sentence.split()
    while words and words[0].lower().strip(",") in _NOT_NAMES:
        words.pop(0)
    text = " ".join(words)
    m = _LEADING_NAME.match(text)
    if m and text[m.end() : m.end() + 1] == ":":  # "Support: The eight faculty members ...": a label
        return None
    if not m or not _clean_name(m.group(1)):
        return None
    actor = _actor(_clean_name(m.group(1)), "name")
    return actor if plausible(actor) else None


def is_speech(sentence: str) -> bool:
    masked = _mask_quotes(sentence)
    return bool(REPORTING_VERB.search(masked) or ACCORDING_TO.search(masked)) or bool(
        _DIRECT_QUOTE.search(sentence) and len(sentence) - len(masked.strip()) > 0
    )


def _open_quote(sentence: str) -> bool:
    """A quotation left open at the end of the sentence (it goes on in the next one)."""
    straight = sentence.count('"')
    curly = sentence.count("\u201c") - sentence.count("\u201d")
    return straight % 2 == 1 or curly > 0


_DOUBLE_MARKS = re.compile('["\u201c\u201d]')
_OPENS_SINGLE = re.compile("\\s*['\u2018]\\w")
_CLOSES_SINGLE = re.compile("[.!?,]['\u2019](?!\\w)")


def _definite(actor: Actor, sentence: str) -> bool:
    """ "The former prime minister said": the group phrase follows "the" in its sentence."""
    at = sentence.find(actor.name)
    return at >= 4 and sentence[at - 4 : at].lower() == "the "


def _quote_open_after(sentence: str, was_open: bool) -> bool:
    """Whether a quotation is still open at the end of ``sentence`` (it goes on in the next)."""
    state = was_open
    marks = _DOUBLE_MARKS.findall(sentence)
    for mark in marks:
        state = (not state) if mark == '"' else mark == "\u201c"
    if not marks:  # single quotation marks: open at the start, closed by a mark after . , ! ?
        if _OPENS_SINGLE.match(sentence):
            state = True
        if _CLOSES_SINGLE.search(sentence):
            state = False
    return state


def opens_with_quote(sentence: str) -> bool:
    return bool(_OPENS_QUOTE.match(sentence))


class _People:
    """Names seen so far, so "Putin" resolves to "Russian President Vladimir Putin"."""

    def __init__(self) -> None:
        self.full: dict[str, list[Actor]] = {}  # key (surname) -> the people of that surname
        self.spoke: dict[str, Actor] = {}  # key (surname) -> the last of them who spoke
        self.last_person: Actor | None = None  # the last speaker "he" or "she" can mean
        self.last_group: Actor | None = None

    def see_text(self, text: str) -> None:
        """Remember multi-word names mentioned anywhere (not only as speakers)."""
        for m in _NAME_RUN.finditer(text):
            name = _clean_name(m.group())
            if len(name.split()) >= 2:
                actor = _actor(name, "name")
                if actor.kind == "person" and len(actor.name.split()) >= 2 and plausible(actor):
                    self._keep(actor)

    def _known(self, actor: Actor) -> Actor | None:
        """The person already seen that ``actor`` names: "Cameron" or "David Cameron" is "David
        Cameron", "Joshua Burns" is "Joshua Quincy Burns", but "Tim Scott" is not "Walter Scott".
        A surname alone means the one of that name who spoke last, else the first one named."""
        words = actor.name.split()

        def same(known: Actor) -> bool:
            theirs = known.name.split()
            return (
                actor.name in known.name
                or known.name in actor.name
                or (len(words) > 1 and len(theirs) > 1 and words[0] == theirs[0] and words[-1] == theirs[-1])
            )

        people = [k for k in self.full.get(actor.key, []) if same(k)]
        if not people:
            return None
        if len(words) > 1:
            return people[-1]
        spoke = self.spoke.get(actor.key)
        return spoke if spoke is not None and spoke in people else people[0]

    def _keep(self, actor: Actor) -> Actor:
        people = self.full.setdefault(actor.key, [])
        known = self._known(actor)
        if known is None:
            people.append(actor)
            return actor
        name = actor.name if len(actor.name) > len(known.name) else known.name
        kept = Actor(name, known.role or actor.role, "person" if known.kind == "person" else actor.kind)
        people[people.index(known)] = kept
        return kept

    def resolve(self, actor: Actor, definite: bool = False) -> Actor:
        if actor.kind == "group":
            if _singular(actor) and not (definite and self.last_person is not None):
                # "a First Great Western spokesman said ... He said": he is the spokesman. But
                # "Gordon Brown warned ... The former prime minister said ... he warned": he is
                # still Brown (a definite role refers back; an indefinite one brings someone new).
                self.last_person = actor
            elif not _singular(actor):
                self.last_group = actor
            return actor
        known = self._known(actor)
        if known and len(known.name) >= len(actor.name):
            # The fuller name, and the role the article gave it where this mention gives none.
            resolved = Actor(known.name, actor.role or known.role, "person")
            self._keep(resolved)
        else:
            resolved = self._keep(actor)
        self.last_person = resolved
        self.spoke[resolved.key] = resolved
        return resolved

    def pronoun(self, word: str) -> Actor | None:
        return self.last_person if _PRONOUNS.get(word) == "person" else self.last_group


def is_warning(sentence: str) -> bool:
    """Someone warns: a warning verb, or reported words that name a harm as a consequence
    ("said it would escalate the conflict"). "Escalating tensions" in narration is not one."""
    if STRONG_WARNING.search(sentence):
        return True
    masked = _mask_quotes(sentence)
    verb = REPORTING_VERB.search(masked) or ACCORDING_TO.search(masked)
    if verb is None:
        return False
    reported = sentence[verb.end() :] if not opens_with_quote(sentence) else sentence
    return bool(WARNING_CUE.search(reported) and _MODAL.search(reported))


_MODAL = re.compile(r"\b(?:would|could|will|may|might|must|should|cannot|can't|won't)\b", re.IGNORECASE)


def find(
    sentences: list[Sentence],
    *,
    max_voices: int = 8,
    max_warnings: int = 4,
    check: Callable[[], None] | None = None,
) -> Net:
    """Cast the net over an article's sentences.

    Voices: one per actor (their first attributed sentence that is not a warning; an actor who
    only warns is heard through the warning), named people first when over ``max_voices``.
    Warnings: every sentence in which a named actor warns (a warning that continues the
    previous sentence's is the same warning). Everything else the net caught is listed in
    ``skipped`` with a reason.

    Time is linear in the article. ``check`` is called before each sentence (twice over); it may
    raise to stop the net (``brief.budget``: the article ran over its time).
    """
    people = _People()
    net = Net()
    previous: Sentence | None = None
    quoting: Actor | None = None  # whose quotation is still open after the previous sentence
    for s in sentences:
        if check is not None:
            check()
        people.see_text(s.text)
        actor, pronoun = speaker(s.text)
        definite = actor is not None and actor.kind == "group" and _definite(actor, s.text)
        inside = (
            quoting is not None
            and previous is not None
            and (
                previous.paragraph == s.paragraph
                or (previous.paragraph == s.paragraph - 1 and opens_with_quote(s.text))
            )
        )
        if actor is not None:
            actor = people.resolve(actor, definite)
        elif pronoun in {"it", "they"} and (subject := _subject_name(s.text)):
            actor = people.resolve(subject)  # "Ukraine is seeking ..., which it claims ..."
        elif pronoun:
            actor = people.pronoun(pronoun)
        elif (
            previous is not None
            and previous.number in net.speakers
            and (opens_with_quote(s.text) or _open_quote(previous.text))
            and previous.paragraph >= s.paragraph - 1
        ):
            # A quotation continuing the previous speaker's ("'The brand has...'" after "X said:").
            actor = net.speakers[previous.number]
        elif inside:
            # A sentence inside a quotation opened earlier and not yet closed (no quote mark of its
            # own: He told BBC News: "It jumped forward. There were people screaming inside.").
            actor = quoting
        if actor is None and _WARN_VERB.search(s.text):
            # "David Cameron hit back ... - vowing to carry on warning about ...": the warner is
            # the sentence's own subject when no name stands next to the verb.
            subject = _subject_name(s.text)
            actor = people.resolve(subject) if subject is not None else None
        if actor is not None and (is_speech(s.text) or STRONG_WARNING.search(s.text) or inside):
            net.speakers[s.number] = actor
        open_after = _quote_open_after(s.text, inside)
        quoting = actor if actor is not None and s.number in net.speakers and open_after else None
        previous = s

    by_actor: dict[str, list[Sentence]] = {}
    last_warning: Candidate | None = None
    for s in sentences:
        if check is not None:
            check()
        who = net.speakers.get(s.number)
        if is_warning(s.text):
            if who is None:
                net.skipped.append(
                    Skipped(
                        "warning",
                        s.number,
                        "warning language, but no one in the article is named as giving it",
                    )
                )
            elif (repeated := _repeats(s, net.warnings)) is not None:
                net.skipped.append(
                    Skipped("warning", s.number, f"repeats the warning in sentence {repeated}")
                )
            elif (
                last_warning
                and last_warning.sentence.number == s.number - 1
                and _actor_key(last_warning.actor) == _actor_key(who)
                and not STRONG_WARNING.search(s.text)  # "He emphasized that such actions would ..."
            ):
                net.skipped.append(
                    Skipped(
                        "warning",
                        s.number,
                        f"continues the warning in sentence {last_warning.sentence.number}",
                    )
                )
            elif len(net.warnings) < max_warnings:
                last_warning = Candidate("warning", s, who)
                net.warnings.append(last_warning)
            else:
                net.skipped.append(Skipped("warning", s.number, f"over the limit of {max_warnings} warnings"))
        if who is not None:
            by_actor.setdefault(_actor_key(who), []).append(s)
        elif is_speech(s.text):
            net.skipped.append(
                Skipped("voice", s.number, "reported speech with no speaker the net could name")
            )

    warned = {c.sentence.number for c in net.warnings}
    chosen_by_actor = []
    for said in by_actor.values():
        own = [s for s in said if s.number not in warned]
        if not own:
            continue  # they speak only in their warning, which already gives them a voice
        # A position is the actor's own words or view: a quotation first, then a claim or
        # opinion ("insisted", "believes"), then whatever they reported ("announced").
        chosen = min(own, key=lambda s: (_position_rank(s.text), s.number))
        chosen_by_actor.append(Candidate("voice", chosen, net.speakers[chosen.number]))
        for other in said:
            if other is not chosen and other.number not in warned:
                net.skipped.append(
                    Skipped(
                        "voice", other.number, f"same actor as the position citing sentence {chosen.number}"
                    )
                )
    # Named people speak for themselves; countries and groups are often narration.
    ranked = sorted(chosen_by_actor, key=lambda c: (c.actor.kind == "group", c.sentence.number))
    net.voices = sorted(ranked[:max_voices], key=lambda c: c.sentence.number)
    net.skipped += [
        Skipped("voice", c.sentence.number, f"over the limit of {max_voices} voices")
        for c in ranked[max_voices:]
    ]
    net.skipped.sort(key=lambda k: k.sentence)
    return net


_OPINION = re.compile(
    r"\b(?:claim\w*|insist\w*|argu\w+|believ\w+|think\w*|thought|deni\w+|accus\w+|vow\w*|promis\w+|"
    r"pledg\w+|criticis\w+|criticiz\w+|condemn\w*|prais\w+|welcom\w+|call\w* (?:for|on)|assert\w*|"
    r"maintain\w*|stress\w*|emphasi[sz]\w+|hope\w*|fear\w*|suggest\w*|predict\w*|admit\w*|conced\w+)\b",
    re.IGNORECASE,
)


def _position_rank(sentence: str) -> int:
    if _DIRECT_QUOTE.search(sentence) and _mask_quotes(sentence) != sentence:
        return 0
    return 1 if _OPINION.search(sentence) else 2


_WARN_VERB = re.compile(r"\b(?:warn(?:s|ed|ing)?|caution(?:s|ed|ing)?|urg(?:es|ed|ing))\b", re.IGNORECASE)


def _repeats(sentence: Sentence, warnings: list[Candidate]) -> int | None:
    """The number of an earlier warning this sentence repeats ("Scroll down for video" + the lead)."""
    mine = sentence.text.lower()
    for c in warnings:
        theirs = c.sentence.text.lower()
        head = min(mine, theirs, key=len)[:100]
        if head in mine and head in theirs or _near_repeat(mine, theirs):
            return c.sentence.number
    return None


_REPEAT_CHARS = 600  # sentences are compared on their first 600 characters


def _near_repeat(mine: str, theirs: str) -> bool:
    """At least 85 % alike (difflib), on a bounded prefix: difflib is quadratic in the worst case."""
    matcher = SequenceMatcher(None, mine[:_REPEAT_CHARS], theirs[:_REPEAT_CHARS])
    return matcher.real_quick_ratio() >= 0.85 and matcher.quick_ratio() >= 0.85 and matcher.ratio() >= 0.85


def _actor_key(actor: Actor) -> str:
    return actor.key if actor.kind != "group" else actor.name.lower()
