"""Dates stay as the article words them, plus an ISO date when the publication date pins it."""

from __future__ import annotations

from datetime import date

import pytest

from summarizer.dates import resolve
from summarizer.pipeline import _resolve_date

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


def test_no_publication_date_means_no_iso_date():
    assert _resolve_date("on Thursday", None) is None
    assert _resolve_date(None, FRIDAY) is None


def test_dates_after_publication_are_not_invented():
    assert resolve("December 25", date(2024, 1, 10)) in (date(2023, 12, 25), None)
