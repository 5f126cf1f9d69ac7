"""A question typed without capitals is answered as if its names had them: the passages
retrieval finds say how the library writes them."""

from __future__ import annotations

import pytest

from index.search.casing import needs_casing, recase
from index.service import KnowledgeBase


@pytest.mark.parametrize(
    ("text", "needed"),
    [
        ("what did hewitt say about profits?", True),
        ("What did hewitt say about profits?", True),  # a phone capitalises the first letter
        ("WHAT DID HEWITT SAY ABOUT PROFITS?", True),
        ("What did Hewitt say about profits?", False),
        # a word in capitals is how an acronym is typed, not a sign that names are cased
        ("why the NHS?", True),
        ("what does paul flather think of the NHS", True),
        ("What does Paul Flather think of the NHS?", False),
        ("?", False),
    ],
)
def test_which_questions_are_typed_without_case(text: str, needed: bool) -> None:
    assert needs_casing(text) is needed


PASSAGES = [
    "The health secretary, Ms Hewitt, told the NHS Confederation that profits were fine. "
    "Yesterday the unions met.",
    "Unison said the health service was at risk, and Hewitt said the reforms would go on.",
]


def test_words_the_passages_write_only_capitalised_get_their_capitals() -> None:
    assert recase("what did hewitt tell the nhs confederation?", PASSAGES) == (
        "what did Hewitt tell the NHS Confederation?"
    )
    # "health" is written in lower case too; "yesterday" is capitalised only where a
    # sentence starts; "unison" only at the start of a passage: none of them is a name
    assert recase("what did unison say about health yesterday?", PASSAGES) == (
        "what did unison say about health yesterday?"
    )
    assert recase("WHAT DID HEWITT SAY?", PASSAGES) == "what did Hewitt say?"
    assert recase("why did johnson resign?", PASSAGES) == "why did johnson resign?"  # not there


def test_a_name_with_accented_letters_is_recased_whole() -> None:
    passages = ["The finance director, Klaus Müller, said Zoë Hernández had agreed."]
    assert recase("what did müller and zoë hernández say?", passages) == (
        "what did Müller and Zoë Hernández say?"
    )


def test_the_person_asked_about_is_a_name_when_no_passage_holds_their_words() -> None:
    assert recase("what did boris johnson say about the nhs?", PASSAGES) == (
        "what did Boris Johnson say about the NHS?"
    )
    assert recase("HOW DID NIGEL FARAGE RESPOND?", PASSAGES) == "how did Nigel Farage respond?"
    # a pronoun, a group with its article, or someone the passages hold: as before
    assert recase("what did they say?", PASSAGES) == "what did they say?"
    assert recase("what did the unions argue?", PASSAGES) == "what did the unions argue?"
    assert recase("what did unison say?", PASSAGES) == "what did unison say?"


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        (
            "what did patricia hewitt say about private sector contracts?",
            "What did Patricia Hewitt say about private sector contracts?",
        ),
        ("WHAT DID DAVE PRENTIS CALL NHS STAFF?", "What did Dave Prentis call NHS staff?"),
    ],
)
def test_a_question_typed_without_case_gets_the_answer_of_the_written_one(
    seed_kb: KnowledgeBase, typed: str, written: str
) -> None:
    got, expected = seed_kb.answer_sync(typed), seed_kb.answer_sync(written)
    assert not expected.refused
    assert [(c.path, c.start, c.end) for c in got.citations] == [
        (c.path, c.start, c.end) for c in expected.citations
    ]
    assert got.answer == expected.answer  # what is reported of Ms Hewitt first
    assert got.question == typed  # shown as asked


@pytest.mark.parametrize(
    "typed",
    [
        "what did boris johnson say about private sector contracts?",
        "how did nigel farage respond to the foundation hospitals plan?",
    ],
)
def test_a_person_the_library_never_mentions_is_refused_typed_without_case(
    seed_kb: KnowledgeBase, typed: str
) -> None:
    written = recase(typed, [])  # the name capitalised, as someone writing it would
    assert seed_kb.answer_sync(written).refused
    got = seed_kb.answer_sync(typed)
    assert got.refused, got.answer
