"""Resolve an article's own date words ("on Thursday", "August 6") to ISO dates.

Only relative to the article's publication date, and only for phrases that pin a single day:
"last year" or "in recent weeks" resolve to nothing rather than to a made-up day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

_DAYISH = re.compile(
    r"\b(today|yesterday|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"\d{1,2}(st|nd|rd|th)?\s+(of\s+)?[a-z]{3,}|[a-z]{3,}\.?\s+\d{1,2}(st|nd|rd|th)?\b|\d{4}-\d{2}-\d{2}|"
    r"\d{1,2}/\d{1,2}/\d{2,4})",
    re.IGNORECASE,
)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY = re.compile(
    r"(?:on\s+|last\s+)?(" + "|".join(_WEEKDAYS) + r")(?:\s+(?:morning|afternoon|evening|night))?", re.I
)
_VAGUE = re.compile(r"\b(week|month|year|weeks|months|years|recent|since|until|by|early|late|ago)\b", re.I)


_TIMEISH = re.compile(
    r"\d|\b(today|yesterday|tonight|tomorrow|currently|recently|earlier|later|ago|last|next|"
    r"morning|afternoon|evening|night|overnight|noon|midnight|"
    r"day|days|week|weeks|weekend|month|months|year|years|decade|century|season|"
    r"spring|summer|autumn|fall|winter|christmas|easter|" + "|".join(_WEEKDAYS) + r"|"
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t|tember)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?|gmt|bst|utc|[ap]\.?m\.?)\b",
    re.IGNORECASE,
)


def names_time(when: str) -> bool:
    """Whether a development's ``when`` names a time at all: a 1.5B model sometimes fills it with
    a place or a speech tag ("police said"), which a reader must not take for a date."""
    return bool(_TIMEISH.search(when))


def resolve(when: str, published: date) -> date | None:
    """The calendar day ``when`` names, seen from ``published``; None when it names no single day."""
    if not _DAYISH.search(when) or _VAGUE.search(when):
        return None
    weekday = _WEEKDAY.fullmatch(when.strip())
    if weekday:
        # "on Thursday" in news copy means the latest Thursday, publication day included.
        target = _WEEKDAYS.index(weekday.group(1).lower())
        return published - timedelta(days=(published.weekday() - target) % 7)
    import dateparser

    base = datetime(published.year, published.month, published.day, 12, 0)
    parsed = dateparser.parse(
        re.sub(r"^(on|at|in|during|last)\s+", "", when.strip(), flags=re.I),
        languages=["en"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day"]},
    )
    if parsed is None:
        return None
    day = parsed.date()
    if not _YEAR.search(when):
        day = _nearest_year(day, published)
        if day is None:
            return None
    # Never a date more than a few days after publication: developments have happened.
    return day if (day - published).days <= 7 else None


_YEAR = re.compile(r"\b\d{4}\b")


def _nearest_year(day: date, published: date) -> date | None:
    """A day named without a year ("September 13") is the latest such day at most a week after
    publication: an article of 2024-09-12 means 2024-09-13, one of January means last December.
    (dateparser's "prefer the past" takes the day after publication to be last year's.) A day
    nearly a year back is more likely an unstated future date: None rather than a guess."""
    candidates = []
    for year in (published.year - 1, published.year, published.year + 1):
        try:
            candidates.append(day.replace(year=year))
        except ValueError:  # 29 February
            continue
    fitting = [c for c in candidates if -300 <= (c - published).days <= 7]
    return max(fitting) if fitting else None
