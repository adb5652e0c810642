"""The recall net: who speaks and who warns, on sentences written the ways newsrooms write them."""

from __future__ import annotations

import pytest

from summarizer.brief import net
from summarizer.brief.sentences import split


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        ("Mayor Ana Ruiz said the building was unsafe.", "Ana Ruiz"),
        ("The building was unsafe, Mayor Ana Ruiz said.", "Ana Ruiz"),
        ('"The building is unsafe," said Ana Ruiz, the city\'s mayor.', "Ana Ruiz"),
        ("According to Ana Ruiz, the building was unsafe.", "Ana Ruiz"),
        ("U.S. Secretary of State Antony Blinken indicated that Washington would act.", "Antony Blinken"),
        (
            "Ukrainian officials, including Commander-in-Chief Oleksandr Syrsky, indicated that Kyiv had gained.",
            "Ukrainian officials",
        ),
        (
            "Nonetheless, the Russian Ministry of Defense reported that ten settlements were taken.",
            "Russian Ministry of Defense",
        ),
        ("Air traffic control warned the pilot of volatile winds.", "Air traffic control"),
        ("Police have warned drivers to stay away.", "Police"),
    ],
)
def test_the_speaker_is_the_name_next_to_the_reporting_verb(sentence, speaker):
    actor, pronoun = net.speaker(sentence)
    assert pronoun is None and actor is not None
    assert actor.name == speaker


def test_a_name_after_a_preposition_is_not_the_speaker():
    actor, _ = net.speaker("A letter sent by party activists in north Wales claimed she was rude.")
    assert actor is None or actor.name != "Wales"


def test_roles_are_split_from_names():
    actor, _ = net.speaker("Russian President Vladimir Putin cautioned that it would escalate the conflict.")
    assert (actor.name, actor.role) == ("Vladimir Putin", "Russian President")


ARTICLE = """Manchester City boss Pep Guardiola says his first season has not been good enough.

"In future I will be better," said the former Barcelona manager. "This season has been a lesson for me.

We were not good enough."

The weather was cold and the stadium was half empty.

Police warned fans that the match could be called off if the snow continued. A club spokesman said tickets would be refunded.

He added that the club regretted the delay."""


def test_pronouns_and_continued_quotations_go_to_the_last_speaker():
    sentences = split(ARTICLE)
    found = net.find(sentences)
    by_text = {s.text[:12]: found.speakers.get(s.number) for s in sentences}
    assert by_text['"In future I'].name == "Pep Guardiola"
    assert by_text['"This season'].name == "Pep Guardiola"
    assert by_text["We were not "].name == "Pep Guardiola"
    assert by_text["The weather "] is None


def test_one_voice_per_actor_and_every_other_attributed_sentence_accounted_for():
    sentences = split(ARTICLE)
    found = net.find(sentences)
    names = [c.actor.name for c in found.voices]
    assert names.count("Pep Guardiola") == 1
    assert "club spokesman" in " ".join(names)
    voiced = {c.sentence.number for c in found.voices} | {c.sentence.number for c in found.warnings}
    attributed = set(found.speakers)
    skipped = {k.sentence for k in found.skipped}
    assert attributed <= voiced | skipped, (
        "an attributed sentence neither became a candidate nor got a reason"
    )


def test_warnings_need_warning_language_and_a_named_issuer():
    sentences = split(ARTICLE + "\n\nThe snow threatens to ruin the season.")
    found = net.find(sentences)
    assert [c.actor.name for c in found.warnings] == ["Police"]
    reasons = {k.reason for k in found.skipped if k.kind == "warning"}
    assert any("no one" in r for r in reasons)


def test_narration_about_tension_is_not_a_warning():
    assert not net.is_warning(
        "In the wake of escalating tensions, Antony Blinken indicated that Washington would act."
    )
    assert net.is_warning("The Kremlin warned it would react appropriately.")
    assert net.is_warning("He said the cuts would lead to job losses.")


def test_the_seed_articles_warnings_and_voices_are_caught():
    from tests.helpers import ROOT

    text = (ROOT / "seeds" / "000_aeb030d6c15efacd.txt").read_text()
    found = net.find(split(text))
    issuers = {c.actor.name for c in found.warnings}
    assert {"Vladimir Putin", "Kremlin"} <= issuers
    voices = {c.actor.name for c in found.voices}
    assert {"Volodymyr Zelensky", "Antony Blinken", "Vladimir Putin", "Ukrainian officials"} <= voices


def test_a_warner_named_only_as_the_sentences_subject_is_found_once():
    text = (
        "David Cameron hit back at criticism - vowing to carry on warning about Labour's threat to the economy.\n\n"
        "Scroll down for video David Cameron hit back at criticism - vowing to carry on warning about Labour's threat to the economy.\n\n"
        "England's bowlers showed they could be threatening on the dusty tracks."
    )
    found = net.find(split(text))
    assert [(c.actor.name, c.sentence.number) for c in found.warnings] == [("David Cameron", 1)]
    assert any(k.reason == "repeats the warning in sentence 1" for k in found.skipped)


def test_an_urging_after_a_warning_is_a_warning_of_its_own():
    text = (
        "The charity warned that 750 more carers are needed. It urged people to open their homes to children."
    )
    assert len(net.find(split(text)).warnings) == 2


@pytest.mark.parametrize(
    "sentence",
    [
        "Without warning, the bearded dragon then charges at full speed towards the dog.",
        "Despite the claims against her, one of her alleged victims has testified that the charges were false.",
    ],
)
def test_a_sentence_opener_is_not_a_speaker(sentence):
    assert net.speaker(sentence) == (None, None)
    found = net.find(split(sentence))
    assert not any(
        c.actor.name.split()[0] in {"Without", "Despite"} for c in [*found.voices, *found.warnings]
    )


# --- attributions (issue 16, item 5 and the net's part of item 1) -----------------------------


def _speakers(text: str) -> dict[str, net.Actor]:
    """Each attributed sentence's first 30 characters -> its actor."""
    sentences = split(text)
    found = net.find(sentences)
    return {s.text[:30]: found.speakers[s.number] for s in sentences if s.number in found.speakers}


def test_he_after_a_spokesmans_words_is_the_spokesman_not_the_last_person_named():
    """The A34 seed article: the net gave the First Great Western spokesman's words to a passenger."""
    from pathlib import Path

    from summarizer.batch.inputs import read_article

    seed = Path(__file__).resolve().parent.parent / "seeds" / "001_a34_bus_crash.html"
    by_text = _speakers(read_article(seed).text)
    spokesman = by_text["In a statement, a First Great "]
    assert spokesman.name == "First Great Western spokesman"
    assert by_text["He said initial reports from i"] == spokesman
    assert by_text['"We are offering them any assi'] == spokesman
    graves = by_text["Bus passenger Adam Graves said"]
    assert (graves.name, graves.role) == ("Adam Graves", "Bus passenger")
    crow = by_text["Passenger Rebecca Crow posted "]
    assert (crow.name, crow.role) == ("Rebecca Crow", "Passenger")
    reporter = by_text["Officers on site were having p"]
    assert (reporter.name, reporter.role) == ("Sara Dumbell", "BBC Radio Oxford travel reporter")
    assert by_text["She said diversions had also l"] == reporter


def test_a_definite_role_refers_back_so_he_stays_with_the_person_named():
    by_text = _speakers(
        "Gordon Brown has warned that the nationalists want chaos. The former prime minister said "
        "that the answers are 'all evasion'. He said: 'There is a candidate in this constituency.'"
    )
    assert by_text["He said: 'There is a candidate"].name == "Gordon Brown"


def test_a_quotation_goes_on_through_sentences_without_quote_marks_and_new_paragraphs():
    by_text = _speakers(
        'Bus passenger Adam Graves said on Twitter: "One moment the bus power failed.\n\n'
        'He later told BBC News: "It sort of jumped forward. There were people screaming inside.\n\n'
        '"Then you suddenly noticed you were falling out of your seat."\n\n'
        "The road was closed for hours."
    )
    assert by_text["There were people screaming in"].name == "Adam Graves"
    assert by_text['"Then you suddenly noticed you'].name == "Adam Graves"
    assert "The road was closed for hours." not in by_text


@pytest.mark.parametrize(
    ("sentence", "name", "role"),
    [
        ('"The building is unsafe," said Ana Ruiz, the city\'s mayor.', "Ana Ruiz", "city's mayor"),
        ('"We\'re quite upset," musician Amir Amor told the BBC.', "Amir Amor", "musician"),
        ("Writer-director Joss Whedon tweeted that it was a message.", "Joss Whedon", "Writer-director"),
        ("CNN's Elizabeth Joseph said the ship had docked.", "Elizabeth Joseph", "CNN"),
        ("Cardiff City Supporters Club Chairman Clive Francis said fans were angry.", "Clive Francis", None),
        ("Dr Mehmet Oz, 54, said he was proud.", "Mehmet Oz", None),  # an age is not a role
    ],
)
def test_an_actor_carries_the_role_the_article_gives_it(sentence, name, role):
    actor, _ = net.speaker(sentence)
    assert actor is not None and actor.name == name and actor.kind == "person"
    if role is not None:
        assert actor.role == role
    elif name == "Clive Francis":
        assert actor.role == "Cardiff City Supporters Club Chairman"
    else:
        assert actor.role is None


def test_told_names_the_listener_not_the_speaker():
    actor, _ = net.speaker(
        "Dr Chand Nagpaul, chairman of the GPs committee of the doctors' trade union the British "
        "Medical Association, told BBC Radio 4's Today programme that such schemes were wrong."
    )
    assert actor is not None and actor.name == "Chand Nagpaul"
    assert (
        actor.role
        == "chairman of the GPs committee of the doctors' trade union the British Medical Association"
    )


def test_people_who_share_a_surname_stay_apart():
    by_text = _speakers(
        "Walter Scott was shot on Saturday. South Carolina Senator Tim Scott also added his "
        "thoughts, describing the death as 'unnecessary'."
    )
    assert by_text["South Carolina Senator Tim Sco"].name == "Tim Scott"


@pytest.mark.parametrize(
    "text",
    [
        "Could I have warned them sooner? Nobody knows.",
        "The trust has not commented.",
        "Some might say the plan was rushed.",
        "Rather, he should start each show with a disclaimer, critics said.",
        "‘I’ve been telling him for seven years,’ he said.",
    ],
)
def test_an_actor_is_never_a_pronoun_a_modal_or_a_verb(text):
    for actor in _speakers(text).values():
        assert net.plausible(actor), actor
        words = {w.strip(".,'\u2019").lower() for w in actor.name.split()}
        assert not words & {"could", "i", "i've", "i\u2019ve", "has", "not", "might", "rather"}, actor


@pytest.mark.parametrize(
    "sentence",
    [
        "The panel has been told Ms Ratcliffe accepts 77 allegations.",
        "The court was told that the mother immediately regretted it.",
        "Wellington is said to have more bars per capita than New York.",
        "According to the manager, Silvestri had been rested since sustaining a knock.",
    ],
)
def test_whoever_is_told_or_said_to_is_not_the_speaker(sentence):
    actor, pronoun = net.speaker(sentence)
    assert actor is None or actor.name in {"the manager"}, actor
    assert pronoun is None


@pytest.mark.parametrize(
    ("sentence", "clause"),
    [
        (
            "One of the three people taken to hospital sustained serious but non life-threatening injuries, "
            "police said.",
            "One of the three people taken to hospital sustained serious but non life-threatening injuries",
        ),
        ("The building is unsafe, Mayor Ana Ruiz said on Monday.", "The building is unsafe"),
        (
            "Officers had problems with drivers, according to reporter Sara Dumbell.",
            "Officers had problems with drivers",
        ),
        ("Police said the road was closed.", None),
        ('"We will rebuild," said Ana Ruiz.', None),
    ],
)
def test_what_a_sentence_reports_when_the_attribution_comes_last(sentence, clause):
    """The A34 brief's '**police**: .': the words after 'police said' are none; what police said
    is the clause before it (``grounding`` may use this for the stance)."""
    assert net.reported_clause(sentence) == clause
