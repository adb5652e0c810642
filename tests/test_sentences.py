"""Numbered sentences with offsets: what the model cites and evidence points at."""

from __future__ import annotations

import time

from summarizer.brief.sentences import MAX_SENTENCE_CHARS, split, split_text


def test_offsets_point_at_the_sentence_and_numbers_count_from_one():
    text = (
        "Dr. Ana Ruiz met the U.S. envoy on Monday. Prices rose 5.2% in May.\n\n"
        '"We will act," she said. Short.'
    )
    found = split(text)
    assert [s.number for s in found] == [1, 2, 3]
    assert all(text[s.start : s.end] == s.text for s in found)
    assert found[0].text == "Dr. Ana Ruiz met the U.S. envoy on Monday."
    assert found[2].paragraph == 2


def test_repeated_sentences_keep_their_first_number():
    found = split("The same sentence is here.\nThe same sentence is here.\nAnother one is here.")
    assert [s.text for s in found] == ["The same sentence is here.", "Another one is here."]


def test_a_summary_splits_without_offsets():
    assert split_text("It rained. Then   it stopped.") == ["It rained.", "Then it stopped."]


def test_hostile_abbreviation_runs_split_in_linear_time():
    # "The U.S. " repeated: the old splitter re-scanned the growing sentence at each break
    # (45 KB took 10 s). 2 MB must finish; the bound only guards against a quadratic relapse.
    text = "The U.S. " * 230_000
    started = time.perf_counter()
    split(text)
    assert time.perf_counter() - started < 10


def test_a_run_of_text_with_no_sentence_end_is_cut_into_bounded_pieces():
    # Every later step runs regexes over whole sentences: a 1 MB "sentence" would hold the
    # interpreter (and a service's event loop) for the length of one such call (issue 18).
    text = "word " * 200_000 + "and the end. A normal sentence follows here."
    found = split(text)
    assert max(len(s.text) for s in found) <= MAX_SENTENCE_CHARS
    assert all(text[s.start : s.end] == s.text for s in found)
    assert found[-1].text == "A normal sentence follows here."
    token = "".join(chr(97 + i % 26) for i in range(9000))  # no space to cut at: cut anyway
    pieces = [s.text for s in split(token + " tail of it.")]
    assert [len(p) for p in pieces] == [4000, 4000, 1000 + len(" tail of it.")]
    assert "".join(pieces) == token + " tail of it."


def test_sentences_up_to_the_bound_are_not_cut():
    sentence = "The minister said " + "that the plan would work and " * 130 + "nothing else."
    assert len(sentence) < MAX_SENTENCE_CHARS
    assert [s.text for s in split(sentence)] == [sentence]
