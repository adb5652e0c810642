"""Span matching forgives typography, never wording; offsets point into the original text."""

from __future__ import annotations

from summarizer.brief.grounding import fold, locate, names_in, sentences

ARTICLE = (
    "The minister said \u201cwe will not back down\u201d on Tuesday \u2014 and then left.\n\n"
    "Prices rose   by 5%\u2026 the most since 2008. Officials, including Dr. Ana Ruiz, "
    "warned of shortages if the strike continues."
)


def test_exact_span_is_found_with_original_offsets():
    start, end = locate("Prices rose   by 5%", ARTICLE)
    assert ARTICLE[start:end] == "Prices rose   by 5%"


def test_curly_quotes_dashes_whitespace_and_ellipsis_are_tolerated():
    assert locate('The minister said "we will not back down" on Tuesday - and then left.', ARTICLE)
    assert locate("Prices rose by 5%... the most since 2008.", ARTICLE)
    assert locate("Prices rose\nby 5%", ARTICLE)


def test_wrapping_quote_marks_are_ignored():
    assert locate('"we will not back down"', ARTICLE)


def test_paraphrase_and_case_changes_are_not_evidence():
    assert locate("The minister said they would not back down", ARTICLE) is None
    assert locate("prices rose by 5%", ARTICLE) is None
    assert locate("", ARTICLE) is None
    assert locate("...", ARTICLE) is None


def test_elision_matches_pieces_in_order_only():
    assert locate("The minister said ... and then left.", ARTICLE)
    assert locate("and then left ... The minister said", ARTICLE) is None


def test_offsets_cover_the_whole_matched_span():
    start, end = locate("we will not back down", ARTICLE)
    assert fold(ARTICLE[start:end]) == "we will not back down"


def test_actor_names():
    assert names_in("Dr. Ana Ruiz", ARTICLE)
    assert names_in("the minister", ARTICLE)
    assert names_in("Officials", ARTICLE)
    assert names_in("Minister Ana Ruiz", ARTICLE) is False or names_in("Ana Ruiz", ARTICLE)
    assert not names_in("Vladimir Putin", ARTICLE)
    assert not names_in("", ARTICLE)


def test_sentences_are_verbatim_and_unique():
    found = sentences(ARTICLE + "\nPrices rose   by 5%\u2026 the most since 2008.")
    assert all(s in ARTICLE for s in found)
    assert len(found) == len(set(found))
    assert any(s.startswith("Prices rose") for s in found)
