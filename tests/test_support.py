"""The support check: free text the model wrote must say only what its cited sentences say."""

from __future__ import annotations

from summarizer.brief.support import check

RUSSIA = (
    "On Thursday, September 12, Russia announced that it had successfully regained control of sections of "
    "land in the strategic Kursk region, following Ukrainian President Volodymyr Zelensky's admission of "
    "Russian counteroffensive operations in the area."
)
NADAL = "Rafael Nadal began his bid for a ninth French Open title with a 6-1 6-3 win over Nicolas Almagro."


def test_a_faithful_paraphrase_passes():
    assert check("Russia announced on Thursday that it had regained land in the Kursk region.", [RUSSIA]).ok
    assert check("Nadal beat Almagro 6-1 6-3 as he began his bid for a ninth French Open title.", [NADAL]).ok


def test_the_wrong_speaker_fails():
    verdict = check("Volodymyr Zelensky announced that Russia regained land in the Kursk region.", [RUSSIA])
    assert not verdict.ok and "attributes it to Russia" in verdict.problems[0]


def test_an_invented_outcome_fails():
    verdict = check("Nadal beat Almagro, securing his ninth career title on clay.", [NADAL])
    assert not verdict.ok and "securing" in verdict.problems[-1]


def test_numbers_and_names_must_be_in_the_support():
    assert (
        "numbers"
        in check("Russia regained 12 settlements in the Kursk region.", [RUSSIA.replace("12", "")]).problems[
            0
        ]
    )
    assert not check("Russia and Belarus regained land in the Kursk region.", [RUSSIA]).ok
    assert not check("Nadal beat Almagro in the third round.", [NADAL]).ok


def test_a_pronouns_antecedent_may_come_from_the_sentence_before():
    support = ["He said the plan would cost 3 million pounds."]
    assert not check("Mayor Ana Ruiz said the plan would cost 3 million pounds.", support).ok
    assert check(
        "Mayor Ana Ruiz said the plan would cost 3 million pounds.", support, ["Mayor Ana Ruiz spoke first."]
    ).ok


def test_words_from_the_context_do_not_back_a_claim():
    # The title sentence before sentence 3 says "Russia Claims Territorial Gains"; Zelensky did not.
    zelensky = "Speaking in Kyiv, Zelensky confirmed that Russian troops were undertaking significant military actions."
    title = "Russia Claims Territorial Gains Amidst Intensifying Ukraine Conflict"
    verdict = check(
        "Zelensky confirms Russian military actions and claims territorial gains.", [zelensky], [title]
    )
    assert not verdict.ok and "territorial" in verdict.problems[-1]


def test_an_inflection_is_the_same_word():
    assert check(
        "Dawn Purvis steps down as clinic director.", ["Dawn Purvis is to step down as clinic director."]
    ).ok
