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
from dataclasses import dataclass, field
from difflib import SequenceMatcher

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
    r"\b(?:said|says|added|adds|explained|insisted|continued|wrote|writes|told|noted|warned)\b"
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
_ORGANISATION = re.compile(
    r"\b(?:Ministry|Department|Office|Council|Committee|Agency|Commission|Court|Party|Union|Army|Police|"
    r"Kremlin|Government|Bank|Company|Inc|Ltd|University|Organi[sz]ation|Institute|Association|Federation|"
    r"Service|Authority|Board|Club|FC|Group|Corporation|Foundation|Trust|Society|Network|News|Times|Post)\b"
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
_AUX = re.compile(
    r"(?:\s+(?:has|have|had|was|were|is|are|also|later|previously|reportedly|repeatedly|then|"
    r"again|recently|publicly|separately|subsequently|earlier|had also|has also|once|will|would|"
    r"did|does|do|today|yesterday|quickly|immediately|simply|just))+$",
    re.IGNORECASE,
)
_NAME_TOKEN = r"(?:(?:[A-Z]\.){2,}|[A-Z][\w'\u2019\-]*\.?)"
_NAME_RUN = re.compile(
    rf"{_NAME_TOKEN}(?:\s+(?:(?:of|de|da|del|der|van|von|al|bin|la|le|du|the)\s+)?{_NAME_TOKEN})*"
)
_TRAILING_NAME = re.compile(
    rf"({_NAME_TOKEN}(?:\s+(?:(?:of|de|da|del|der|van|von|al|bin|la|le|du|the)\s+)?{_NAME_TOKEN})*)$"
)
_LEADING_NAME = re.compile(
    rf"^({_NAME_TOKEN}(?:\s+(?:(?:of|de|da|del|der|van|von|al|bin|la|le|du|the)\s+)?{_NAME_TOKEN})*)"
)
_QUOTED = re.compile(
    r"\u201c[^\u201d]*\u201d?|\"[^\"]*\"?|(?:(?<=^)|(?<=[\s(\[:,\u2014-]))'(?:[^']|'(?=\w))*'(?!\w)|\u2018[^\u2019]*\u2019(?!\w)"
)
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


def _mask_quotes(text: str) -> str:
    """Quoted words are the speaker's, not the sentence's grammar: blank them (same length)."""
    return _QUOTED.sub(lambda m: " " * len(m.group()), text)


def _clean_name(run: str) -> str:
    words = run.split()
    while words and words[0].lower().strip(".,") in _NOT_NAMES:
        words.pop(0)
    while words and words[-1].lower() in {"of", "de", "the", "and"}:
        words.pop()
    name = " ".join(words)
    return name[:-2] if name.endswith(("'s", "\u2019s")) else name


def split_role(phrase: str) -> tuple[str, str | None]:
    """ "U.S. Secretary of State Antony Blinken" -> ("Antony Blinken", "U.S. Secretary of State")."""
    words = phrase.split()
    cut = 0
    for i, word in enumerate(words[:-1]):
        if word.lower() in _ROLE_WORDS or _DEMONYM.match(word):
            cut = i + 1
    if cut == 0 or cut >= len(words):
        return phrase, None
    return " ".join(words[cut:]), " ".join(words[:cut])


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


def _group_before(left: str) -> str | None:
    m = re.search(rf"((?:[\w'\u2019.-]+\s+){{0,3}}(?:{_GROUP_NOUNS}))$", left, re.IGNORECASE)
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


def _phrase_before(left: str) -> tuple[str, str] | None:
    """The subject phrase that ends ``left`` (text just before a reporting verb): (phrase, kind)."""
    left = _AUX.sub("", left.rstrip()).rstrip()
    # "Smith, the club's manager, said" / "officials, including X, said": skip one appositive.
    appositive = re.search(
        r"^(.*?[^\s,]),\s+((?:who|which|including|among them)\b.{2,160}?),$", left
    ) or re.search(r"^(.*?[^\s,]),\s+([^,]{2,80}),$", left)
    role = None
    if appositive:
        left, role = appositive.group(1), appositive.group(2)
    lowered = left.lower()
    for pronoun in _PRONOUNS:
        if re.search(rf"(?:^|[\s,;:(])({pronoun})$", lowered):
            return pronoun, "pronoun"
    group = _group_before(left)
    name = _TRAILING_NAME.search(left)
    if name:
        before = left[: name.start()].split()
        cleaned = _clean_name(name.group(1))
        if _after_preposition(before):
            cleaned = ""  # "activists in north Wales claimed": Wales is not the speaker
        if cleaned and (not group or len(cleaned) >= len(group) - 4):
            return (cleaned + (f", {role}" if role and not _GROUP_TAIL.search(cleaned) else "")), "name"
    if group:
        return group, "group"
    words = left.split()
    if (
        1 <= len(words) <= 4
        and left[:1].isupper()
        and not any(w.lower() in _FUNCTION_WORDS - {"the", "a", "an"} for w in words)
        and words[0].lower() not in _OPENERS  # "Without warning, the dragon charges"
    ):
        return left, "subject"  # a short sentence-initial subject: "Air traffic control warned"
    return None


def _phrase_after(right: str) -> tuple[str, str] | None:
    """The subject of an inverted report: '..., said Smith' / 'said the club's manager, John Smith'."""
    right = right.lstrip(" ,")
    m = _LEADING_NAME.match(right)
    if m and _clean_name(m.group(1)):
        return _clean_name(m.group(1)), "name"
    group = re.match(
        rf"((?:the|a|an)\s+(?:[\w'\u2019.-]+\s+){{0,6}}?(?:{_GROUP_NOUNS}|boss|star|man|woman))\b(?:,\s+({_NAME_TOKEN}(?:\s+{_NAME_TOKEN})*))?",
        right,
        re.IGNORECASE,
    )
    if group:
        if group.group(2):
            return _clean_name(group.group(2)) + f", {group.group(1)}", "name"
        return group.group(1), "group"
    return None


def _actor(phrase: str, kind: str) -> Actor:
    role = None
    if ", " in phrase:
        phrase, role = phrase.split(", ", 1)
    if kind == "group":
        return Actor(
            re.sub(r"^(?:a|an|its|his|her|their)\s+", "", phrase, flags=re.IGNORECASE), role, "group"
        )
    if _ORGANISATION.search(phrase):
        return Actor(phrase, role, "group")
    name, title = split_role(phrase)
    return Actor(name, role or title, "person" if len(name.split()) > 1 or title else "name")


def speaker(sentence: str) -> tuple[Actor | None, str | None]:
    """The speaker named in one sentence, or a pronoun to resolve: (actor, pronoun)."""
    masked = _mask_quotes(sentence)
    for m in ACCORDING_TO.finditer(masked):
        found = _phrase_after(masked[m.end() :])
        if found:
            return _actor(*found), None
    for m in REPORTING_VERB.finditer(masked):
        before = _phrase_before(masked[: m.start()])
        if before and before[1] == "pronoun":
            return None, before[0]
        if before and before[1] == "subject":
            # "Air traffic control warned" is someone; "The snow threatens" is a figure of speech.
            if m.group().startswith(("threat", "fear")):
                continue
            before = (before[0], "group")
        if before:
            return _actor(*before), None
        if _INVERTABLE.fullmatch(m.group()):
            after = _phrase_after(masked[m.end() :])
            if after and after[1] == "group" and _PERSON_ROLES.match(after[0]):
                return None, "he"  # '..., said the former Barcelona boss': the person just named
            if after and after[0].lower() not in _PRONOUNS:
                return _actor(*after), None
            if after is None:
                pronoun = re.match(r"\s*(he|she|they|it|we)\b", masked[m.end() :], re.IGNORECASE)
                if pronoun:
                    return None, pronoun.group(1).lower()
    return None, None


def _subject_name(sentence: str) -> Actor | None:
    """The sentence's own leading name, the antecedent of a later "it" or "they"."""
    words = sentence.split()
    while words and words[0].lower().strip(",") in _NOT_NAMES:
        words.pop(0)
    m = _LEADING_NAME.match(" ".join(words))
    if not m or not _clean_name(m.group(1)):
        return None
    return _actor(_clean_name(m.group(1)), "name")


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


def opens_with_quote(sentence: str) -> bool:
    return bool(re.match(r"^[\"\u201c\u2018']\s*\w", sentence))


class _People:
    """Names seen so far, so "Putin" resolves to "Russian President Vladimir Putin"."""

    def __init__(self) -> None:
        self.full: dict[str, Actor] = {}  # key (surname) -> fullest actor seen
        self.last_person: Actor | None = None
        self.last_group: Actor | None = None

    def see_text(self, text: str) -> None:
        """Remember multi-word names mentioned anywhere (not only as speakers)."""
        for m in _NAME_RUN.finditer(text):
            name = _clean_name(m.group())
            if len(name.split()) >= 2:
                actor = _actor(name, "name")
                if actor.kind == "person" and len(actor.name.split()) >= 2:
                    self._keep(actor)

    def _keep(self, actor: Actor) -> Actor:
        known = self.full.get(actor.key)
        if known is None or (len(actor.name) > len(known.name) and known.name in actor.name):
            self.full[actor.key] = Actor(
                actor.name, actor.role or (known.role if known else None), actor.kind
            )
        elif known and not known.role and actor.role:
            self.full[actor.key] = Actor(known.name, actor.role, known.kind)
        return self.full[actor.key]

    def resolve(self, actor: Actor) -> Actor:
        if actor.kind == "group":
            self.last_group = actor
            return actor
        known = self.full.get(actor.key)
        if known and (actor.name in known.name or known.name.endswith(actor.name.split()[-1])):
            resolved = Actor(known.name, actor.role or known.role, "person")
        else:
            resolved = self._keep(actor)
        if resolved.kind in {"person", "name"}:
            self.last_person = resolved
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


def find(sentences: list[Sentence], *, max_voices: int = 8, max_warnings: int = 4) -> Net:
    """Cast the net over an article's sentences.

    Voices: one per actor (their first attributed sentence that is not a warning; an actor who
    only warns is heard through the warning), named people first when over ``max_voices``.
    Warnings: every sentence in which a named actor warns (a warning that continues the
    previous sentence's is the same warning). Everything else the net caught is listed in
    ``skipped`` with a reason.
    """
    people = _People()
    net = Net()
    previous: Sentence | None = None
    for s in sentences:
        people.see_text(s.text)
        actor, pronoun = speaker(s.text)
        if actor is not None:
            actor = people.resolve(actor)
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
        if actor is None and _WARN_VERB.search(s.text):
            # "David Cameron hit back ... - vowing to carry on warning about ...": the warner is
            # the sentence's own subject when no name stands next to the verb.
            subject = _subject_name(s.text)
            actor = people.resolve(subject) if subject is not None else None
        if actor is not None and (is_speech(s.text) or STRONG_WARNING.search(s.text)):
            net.speakers[s.number] = actor
        previous = s

    by_actor: dict[str, list[Sentence]] = {}
    last_warning: Candidate | None = None
    for s in sentences:
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
        if head in mine and head in theirs or SequenceMatcher(None, mine, theirs).ratio() >= 0.85:
            return c.sentence.number
    return None


def _actor_key(actor: Actor) -> str:
    return actor.key if actor.kind != "group" else actor.name.lower()
