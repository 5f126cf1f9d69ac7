"""The word-level helpers the answerer relies on."""

from __future__ import annotations

import pytest

from index.search.answer_types import (
    answer_type_match,
    asked_type_terms,
    asks_for_one,
    names_beside,
)
from index.text import acronym_terms, acronyms, name_phrases, named_entities, stem, terms, words


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("How many posts are at risk?", "Seven consultant posts are at risk.", True),
        ("How many posts are at risk?", "Posts are at risk.", False),
        ("When is the Commons vote?", "The vote is in the Commons next Wednesday.", True),
        ("When is the Commons vote?", "MPs may abstain in the vote.", False),  # "may", not May
        ("When was it signed?", "It was signed in May.", True),
        ("Who chairs the alliance?", "The chairman is Dr Michael Dixon.", True),
        ("Who chairs the alliance?", "the alliance met again.", False),
        # the first wh-word decides: this asks for a name, not a date
        ("Who was health secretary when the bill passed?", "They may vote next week.", False),
        ("Who was health secretary when the bill passed?", "Alan Milburn conceded it.", True),
        ("Why did they oppose it?", "Seven people opposed it in May.", False),
        ("How many CLPs are there?", "No one campaigns in them.", False),  # nobody, not 1
        ("How many CLPs are there?", "One CLP is left.", True),
    ],
)
def test_answer_type_follows_the_questions_first_wh_word(
    question: str, sentence: str, expected: bool
) -> None:
    assert answer_type_match(question, sentence) is expected


def test_named_entities_skip_the_first_word_and_stopwords() -> None:
    assert named_entities("Which union co-authored the Oxford West motion?") == ["Oxford", "West"]


def test_accented_letters_and_other_scripts_are_letters_of_their_words() -> None:
    question = "Did Zoë Hernández meet Émile Müller in Łódź?"
    assert words(question) == ["did", "zoë", "hernández", "meet", "émile", "müller", "in", "łódź"]
    assert name_phrases(question) == ["Zoë Hernández", "Émile Müller", "Łódź"]
    assert words("Straße, 私营 and naïve co-op") == ["straße", "私营", "and", "naïve", "co-op"]
    # an accent typed as a combining mark (NFD: "e" + U+0301) stays in its word
    assert words("Herna\u0301ndez said") == ["herna\u0301ndez", "said"]
    assert words("snake_case") == ["snake", "case"]  # "_" is not a letter, as before


def test_terms_are_stemmed_content_words_without_possessives() -> None:
    assert terms("What did Hunt's regulations promise?") == ["hunt", "regul", stem("promise")]
    assert stem("promised") == stem("promise")


def test_an_initialism_with_full_stops_is_the_word_written_without() -> None:
    assert terms("Regulations 2013 (S.I., 2013, No. 257)") == terms(
        "Regulations 2013 (SI 2013 257)"
    )
    assert terms("the U.K. government") == terms("the UK government")
    assert terms("Mr. A. B. Smith. Ends.") == ["mr", "b", "smith", "end"]  # spaced: not one


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("How many constituency Labour parties are in Lewisham?", "With three CLPs in it.", "CLP"),
        ("What number is the early day motion?", "Back it – EDM No 1104.", "EDM"),
        ("Who chairs the Department of Health?", "The DH said no.", "DH"),
    ],
)
def test_an_acronym_in_a_sentence_stands_for_the_questions_phrase(
    question: str, sentence: str, expected: str
) -> None:
    assert acronym_terms(sentence, acronyms(question)) == set(acronyms(question)[expected])


def test_acronyms_that_spell_nothing_in_the_question_add_nothing() -> None:
    assert acronym_terms("The TUC and the BMA met.", acronyms("How many nurses left?")) == set()
    assert acronym_terms("Nurses left the NHS.", acronyms("What did nurses do?")) == set()


@pytest.mark.parametrize(
    ("sentence", "holds"),
    [
        ("The unions fear a two-tier health service.", False),
        ("It is a one-off.", False),
        ("No one knows.", False),
        ("Twenty-five staff were moved.", True),
        ("It was a two-year plan.", True),
        ("Seven junior doctor posts are unlikely to be filled.", True),
    ],
)
def test_a_number_word_inside_a_hyphenated_word_is_not_a_number(sentence: str, holds: bool) -> None:
    assert answer_type_match("How many hospitals will be affected?", sentence) is holds


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("Which union co-authored the motion?", {"union", "co-author"}),
        ("Which trade union helped write it?", {"trade", "union"}),
        ("According to Bennett, under which prime minister did it begin?", {"prime", "minist"}),
        ("Which party's spring conference backed the motion?", {"parti"}),
        ("Which NHS staff were threatened?", {"staff"}),  # "NHS": a name, the topic
        ("Whose petition should readers sign?", {"petit"}),
        ("What did Hewitt promise?", set()),  # what asks a verb's object, no noun
        ("What kind of system is it?", set()),
        ("Where was the conference at which the unions won?", set()),  # a relative "which"
    ],
)
def test_the_noun_a_question_asks_for(question: str, noun: set[str]) -> None:
    assert asked_type_terms(question) == noun


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("The motion, co-authored by public service union Unison, read: …", True),
        ("Dave Prentis of Unison, the biggest NHS union, spoke.", True),  # apposition
        ("Key measures include a ‘Right to Provide’ scheme.", False),  # another noun
        ("The union said the motion was passed in Manchester.", False),  # no name beside it
        ("Delegates backed a motion by the Oxford West and Abingdon Party.", False),
        ("The Oxford union motion was passed.", False),  # "Oxford": the question's own word
    ],
)
def test_a_sentence_names_a_thing_by_the_noun_asked(sentence: str, named: bool) -> None:
    question = "Which union co-authored the Oxford motion?"
    asked = frozenset(terms(question))
    assert names_beside(sentence, asked_type_terms(question), asked) is named


@pytest.mark.parametrize(
    ("question", "one"),
    [
        ("Which union co-authored the Oxford West and Abingdon motion?", True),
        ("Which organisation is Ed Mayo the Secretary General of?", True),
        ("Which party's conference backed the motion?", True),
        ("Which votes did the government lose that week?", False),  # several
        ("Which councils took the government to court?", False),
        ("What did she promise?", False),  # no noun asked for
        # the noun's head is its second word, plural, and a verb follows it
        ("Which trade unions co-authored the motion?", False),
        ("Which official rules did Jeremy Hunt bring in quietly?", False),
        ("Which two countries does Mayo cite?", False),  # a count of more than one
        ("Which union leads the opposition?", True),  # "leads": a verb, by "the" after it
        ("Which union wants strikes?", True),  # … or by a plural object after it
        ("Which hospital faces cuts?", True),
        ("Which hospital trusts face deficits?", False),  # "trusts": the head, "face" its verb
        ("Which doctor posts are at risk?", False),
        ("Which trade union leader spoke?", True),
        ("Which campaign group's petition should readers sign?", True),
    ],
)
def test_a_question_asking_for_one_thing_by_its_noun(question: str, one: bool) -> None:
    assert asks_for_one(question) is one
