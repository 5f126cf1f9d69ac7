"""The gate on the real seed index: the evidence gathered for a question, and the judge's
verdict on it — answered when a sentence says what is asked, refused with a reason a
moderator can read when not."""

from __future__ import annotations

import pytest

from index.search.gate import MIN_SUPPORT, SUPPORT_AT, about_names, judge, known_name, min_support
from index.search.question import Question
from index.service import KnowledgeBase
from index.text import terms


@pytest.mark.parametrize(
    "question",
    [
        "Which union is the biggest NHS union?",
        "When is the Commons vote on foundation hospitals?",
        "What did the unions argue about private contracts in the NHS?",
        "Who spoke on health for the Lib Dems?",  # a name the text writes another way
        # asking only for a named speaker's words: any words of theirs say it
        "What did Paul Flather want?",
        "How did Andrew Lansley justify the Right to Provide?",
        # "SI" is written "S.I." there: an initialism with full stops is the same word
        "What is the SI number of Hunt's NHS procurement regulations?",
    ],
)
def test_a_question_the_sources_answer_passes(seed_kb: KnowledgeBase, question: str) -> None:
    asked, gathered, live = seed_kb.evidence(question)
    verdict = judge(asked, gathered.relevant, live)
    assert verdict.answerable and verdict.reason == "", verdict


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        # a name no article holds, and nothing in the library close to it
        ("What did Boris Johnson say about the NHS?", "the sources don't mention Boris Johnson"),
        ("How much does a GP appointment cost in France?", "the sources don't mention France"),
        # about a place the library knows, asking what no sentence says
        ("What is the population of Oxford?", "no sentence of the passages says"),
        # nothing in the library is about it
        ("what colour is the sky", "no sentence of the passages says"),
        # the speaker's words, but on what none of them speaks of
        ("What did Paul Flather say about immigration?", "no sentence of the passages says"),
    ],
)
def test_a_question_the_sources_dont_answer_is_refused_with_its_reason(
    seed_kb: KnowledgeBase, question: str, reason: str
) -> None:
    asked, gathered, live = seed_kb.evidence(question)
    verdict = judge(asked, gathered.relevant, live)
    assert not verdict.answerable
    assert verdict.reason.startswith(reason), verdict
    # the service refuses with the same reason, for moderators' gaps
    assert seed_kb.answer_sync(question).reason == verdict.reason


@pytest.mark.parametrize(
    "question",
    [
        "Что сказали профсоюзы о больницах?",  # what did the unions say about hospitals
        "工会对NHS私营合同说了什么？",  # … about private contracts in the NHS
        "ماذا قالت النقابات عن المستشفيات؟",
        "Qu'ont dit les syndicats sur les hôpitaux?",  # refused before: its words were read
    ],
)
def test_a_question_in_a_language_the_library_isnt_in_is_refused(
    seed_kb: KnowledgeBase, question: str
) -> None:
    """None of its words (or hardly any: "NHS") is in the library, and its meaning, as the
    English model reads it, is not close to any sentence: no quotes, a refusal."""
    answer = seed_kb.answer_sync(question)
    assert answer.refused, answer.answer
    assert answer.reason.startswith("no sentence of the passages says")


def test_a_word_in_another_script_leaves_an_english_question_answered(
    seed_kb: KnowledgeBase,
) -> None:
    answer = seed_kb.answer_sync("What did the unions argue about 私营 contracts in the NHS?")
    assert not answer.refused and answer.citations


def test_evidence_comes_only_from_documents_about_the_names_asked(seed_kb: KnowledgeBase) -> None:
    asked, gathered, live = seed_kb.evidence("What did Patricia Hewitt say about deficits?")
    docs = {ev.hit.doc_id for ev in gathered.scored}
    kept = {ev.hit.doc_id for ev in gathered.relevant}
    assert kept and kept < docs  # passages from other articles were retrieved, and left out
    for doc in kept:
        assert live.doc_terms.has_all(doc, frozenset(terms("Hewitt")))
    assert about_names(asked, gathered.scored, live) == gathered.relevant


def test_known_names_are_the_librarys_words(seed_kb: KnowledgeBase) -> None:
    *_, live = seed_kb.evidence("Who is Dave Prentis?")
    assert known_name(frozenset(terms("Dave Prentis")), live)
    assert not known_name(frozenset(terms("Boris Johnson")), live)


def test_no_evidence_is_refused(seed_kb: KnowledgeBase) -> None:
    asked, _, live = seed_kb.evidence("Which union is the biggest NHS union?")
    assert isinstance(asked, Question)
    verdict = judge(asked, [], live)
    assert not verdict.answerable and verdict.reason.startswith("no passage is about")


def test_the_bar_for_a_passage_being_about_the_question_rises_with_the_library() -> None:
    """Among more sentences, more match a question's words by chance: the seed library's
    165 sentences get a lower bar than the full corpus's, which gets MIN_SUPPORT."""
    assert min_support(SUPPORT_AT) == pytest.approx(MIN_SUPPORT)
    assert min_support(165) == pytest.approx(0.71, abs=0.01)
    bars = [min_support(n) for n in (10, 165, 10_000, SUPPORT_AT, 1_000_000)]
    assert bars == sorted(bars)


def test_a_refusal_lists_the_nearest_passages_of_the_documents_it_names(
    seed_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused, a question about Paul Flather lists passages of the article about him, not
    the best-scoring sentences of another ("We want the CLPs …" for "What did Paul Flather
    want?", its one asked word)."""
    from index import service
    from index.search.gate import Verdict

    monkeypatch.setattr(service, "judge", lambda *a: Verdict(False, "refused here", 0.0))
    answer = seed_kb.answer_sync("What did Paul Flather want?")
    assert answer.refused and answer.citations
    oxford = "oxfordshire-labour-members-defeat-nhs-reforms.md"
    assert {c.path for c in answer.citations} == {oxford}
