"""The reader's rules (brief/quality.py) and shortening at clause boundaries (brief/clauses.py):
the defects the issue found in real briefs are each caught, and replayed briefs have none."""

from __future__ import annotations

import pytest

from summarizer.brief import quality
from summarizer.brief.clauses import compress, is_subsequence
from summarizer.brief.pipeline import summarize
from tests.fixture_articles import by_name
from tests.helpers import cassette, replay_settings

ARTICLE = (
    "Ronnie O'Sullivan beat Judd Trump 10-4 to reach the final, where he meets Mark Selby, who already "
    "holds a 27-point lead in the rankings. Disgruntled fans vented their anger at the club after the "
    'defeat. "It has been a horrendous season," the manager said.'
)


def test_text_cut_mid_word_or_with_an_ellipsis_is_cut_off():
    assert quality.cut_off("He meets Mark Selby, who already holds a 27-p", ARTICLE)
    assert quality.cut_off("Ronnie O'Sullivan beat Judd Trump 10-4 to reach the fi", ARTICLE)
    assert quality.cut_off("He meets Mark Selby, who already holds a 27-point lead\u2026", ARTICLE)
    assert quality.cut_off("He meets Mark Selby...", ARTICLE)
    assert not quality.cut_off("Ronnie O'Sullivan beat Judd Trump 10-4 to reach the final.", ARTICLE)


def test_a_sentence_field_must_read_as_a_sentence():
    assert not quality.is_sentence("disgruntled fans vented their anger at the club after the defeat.")
    assert not quality.is_sentence("The massive swell.")  # no verb: a caption
    assert not quality.is_sentence("Fans vented their anger at the club")  # no end mark
    assert quality.is_sentence("Disgruntled fans vented their anger at the club after the defeat.")


def test_letters_of_a_script_the_article_does_not_use_are_caught():
    assert quality.foreign_script("He has had the\u8d5b\u5b63", ARTICLE)
    assert not quality.foreign_script("He has had the season", ARTICLE)


def test_a_speaker_is_a_name_or_a_role_from_the_article():
    assert not quality.valid_actor("Could I", ARTICLE)
    assert not quality.valid_actor("he", ARTICLE)
    assert not quality.valid_actor("", ARTICLE)
    assert not quality.valid_actor("Steve Davis", ARTICLE)  # not in the article
    assert quality.valid_actor("the manager", ARTICLE)
    assert quality.valid_actor("Mark Selby", ARTICLE)


def test_a_stance_must_carry_a_claim():
    assert quality.thin_claim("'horrendous season'")
    assert quality.thin_claim(".")
    assert not quality.thin_claim("It has been a horrendous season")


def test_captions_bylines_and_related_links_are_boilerplate():
    for line in ("Related sources: BBC Sport", "Image copyright Getty Images", "By John Smith",
                 "Scroll down for videos.", "CNN's Elizabeth Joseph reported from Kathmandu."):  # fmt: skip
        assert quality.boilerplate(line), line
    assert not quality.boilerplate("Police said the crash happened by the river.")


def test_a_bare_quote_is_not_a_summary_sentence():
    assert quality.bare_quote('"This is great news for Edinburgh, and for everyone who works here."')
    assert not quality.bare_quote("Edinburgh's winter festivals generated more than \u00a3241m for the city.")


LONG = (
    "However, Ukraine is seeking broader permissions to target vital installations deeper within Russia, "
    "including airfields and military bases, which it claims are instrumental to Moscow's ongoing invasion efforts."
)


@pytest.mark.parametrize("limit", [60, 100, 160, 400])
def test_compression_drops_whole_clauses_and_adds_nothing(limit):
    short = compress(LONG, limit)
    assert is_subsequence(short, LONG)
    assert not short.endswith(("\u2026", "...")) and short.endswith(".")
    assert short.startswith("Ukraine is seeking broader permissions")
    assert quality.is_sentence(short)


def test_compression_keeps_a_sentence_it_cannot_shorten_whole():
    text = "Prices rose sharply across every region of the country last month."
    assert compress(text, 20) == text


def test_compression_keeps_the_main_clause_and_its_subject():
    text = "Charlie Wood, Edinburgh's Christmas festival director, said the events generated \u00a3241m for the city."
    assert compress(text, 70) == "Charlie Wood said the events generated \u00a3241m for the city."


@pytest.mark.parametrize("name", ["seed", "mixed-html", "sample-md", "corpus-zhang23-e9c5feb5b71d"])
def test_replayed_briefs_have_no_defect(name):
    fx = by_name(name)
    with cassette(fx.name):
        brief = summarize(fx.article, settings=replay_settings(**fx.settings))
    assert quality.defects(brief, fx.article.text) == []
    # The news first: the summary opens with the article's lead (a title line may come before it).
    assert brief.summary_sentences[0].support[0].number <= 3
