"""Dates stay as the article words them, plus an ISO date when the publication date pins it."""

from __future__ import annotations

from datetime import date

import pytest

from summarizer.brief.dates import names_time, resolve
from summarizer.models import GroundingReport, KeyDevelopmentDraft
from summarizer.brief.pipeline import _checked_places_and_times, _resolve_date

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


@pytest.mark.parametrize("when", ["on Thursday", "at 00:30 GMT", "last year", "in recent weeks", "2015", "earlier this month"])
def test_time_phrases_name_a_time(when):
    assert names_time(when)


@pytest.mark.parametrize("when", ["police said", "Abingdon police station", "investigations are continuing"])
def test_speech_tags_and_places_are_not_times(when):
    assert not names_time(when)


def test_when_and_where_the_article_does_not_state_are_cleared_and_reported():
    text = "Police said on Thursday that three people were hurt in Drayton."
    ev = "Police said on Thursday that three people were hurt in Drayton."
    drafts = [
        KeyDevelopmentDraft(evidence=ev, what="Three hurt", when="on Thursday", where="Drayton"),
        KeyDevelopmentDraft(evidence=ev, what="Three hurt", when="police said", where="Oxfordshire"),
        KeyDevelopmentDraft(evidence=ev, what="Three hurt", when="last Friday", where=None),
    ]
    report = GroundingReport()
    kept = _checked_places_and_times(drafts, text, report)
    assert [(d.when, d.where) for d in kept] == [("on Thursday", "Drayton"), (None, None), (None, None)]
    assert report.cleared == [
        "key_developments[1].when",
        "key_developments[1].where",
        "key_developments[2].when",
    ]
    assert len(kept) == 3  # the items themselves stay
