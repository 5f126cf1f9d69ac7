"""Chat shorthand read as the words it stands for (index/search/shorthand.py), unless the
library itself writes it."""

from __future__ import annotations

from index.search.shorthand import expanded
from index.service import KnowledgeBase


def test_shorthand_the_library_doesnt_write_is_spelt_out() -> None:
    nowhere = expanded("what did the govt say abt the hunt regs? and the Lib Dems", lambda t: False)
    assert nowhere == (
        "what did the government say about the hunt regulations? and the Liberal Democrats"
    )


def test_shorthand_the_library_writes_is_left_as_typed() -> None:
    assert expanded("the hunt regs", lambda t: t == "reg") == "the hunt regs"


def test_only_whole_words_in_lower_case_are_read_as_shorthand() -> None:
    untouched = (
        "the organ donor register's regsitry, infoline and university, 200 BC, "
        "www.gov.uk/info, example.org and info@nhs.org"
    )
    assert expanded(untouched, lambda t: False) == untouched


def test_a_question_in_shorthand_finds_what_its_words_stand_for(seed_kb: KnowledgeBase) -> None:
    """ "uni" is "University" in the article: MiniLM and the word index miss it typed short."""
    answer = seed_kb.answer_sync(
        "which uni was the kings fund conference's international speaker from"
    )
    assert any("Quebec University" in c.quote for c in answer.citations), answer.answer


def test_a_follow_up_in_shorthand_is_read_with_the_question_before(
    seed_kb: KnowledgeBase,
) -> None:
    from index.answering.types import Turn

    earlier = [Turn("what did the govt say about foundation hospitals")]
    answer = seed_kb.answer_sync("and what did the lib dems say?", earlier)
    assert any("Liberal Democrats have pledged" in c.quote for c in answer.citations), answer.answer
