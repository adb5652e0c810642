"""Dates stay as the article words them, plus an ISO date when the publication date pins it."""

from __future__ import annotations

from datetime import date

import pytest

from summarizer.brief.dates import names_time, resolve

FRIDAY = date(2024, 9, 13)


@pytest.mark.parametrize(
    "when,expected",
    [
        ("on Thursday", date(2024, 9, 12)),
        ("Friday night", date(2024, 9, 13)),
        ("on Saturday", date(2024, 9, 7)),
        ("yesterday", date(2024, 9, 12)),
        ("Thursday, September 12", date(2024, 9, 12)),
        ("August 6", date(2024, 8, 6)),
        ("on 12 September 2024", date(2024, 9, 12)),
    ],
)
def test_single_days_resolve_relative_to_publication(when, expected):
    assert resolve(when, FRIDAY) == expected


@pytest.mark.parametrize("when", ["last week", "in recent months", "during its campaign", "since 2020", "two days ago", "this year"])
def test_vague_or_ranged_dates_do_not_resolve(when):
    assert resolve(when, FRIDAY) is None


def test_dates_after_publication_are_not_invented():
    assert resolve("December 25", date(2024, 1, 10)) in (date(2023, 12, 25), None)


@pytest.mark.parametrize("when", ["on Thursday", "at 00:30 GMT", "last year", "in recent weeks", "2015", "earlier this month"])
def test_time_phrases_name_a_time(when):
    assert names_time(when)


@pytest.mark.parametrize("when", ["police said", "Abingdon police station", "investigations are continuing"])
def test_speech_tags_and_places_are_not_times(when):
    assert not names_time(when)


@pytest.mark.parametrize(
    "when,published,expected",
    [
        ("September 13", date(2024, 9, 12), date(2024, 9, 13)),  # the day after: not last year
        ("on Friday, September 13", date(2024, 9, 12), date(2024, 9, 13)),
        ("13 September", date(2024, 9, 12), date(2024, 9, 13)),
        ("January 2", date(2023, 12, 30), date(2024, 1, 2)),  # across New Year
        ("December 25", date(2024, 1, 10), date(2023, 12, 25)),
        ("September 13, 2023", date(2024, 9, 12), date(2023, 9, 13)),  # a stated year is kept
    ],
)
def test_a_day_without_a_year_is_the_nearest_one_not_after_publication_week(when, published, expected):
    assert resolve(when, published) == expected


def test_a_day_nearly_a_year_back_is_not_guessed():
    # An article of 12 September naming "September 20" most likely means a coming date.
    assert resolve("September 20", date(2024, 9, 12)) is None
