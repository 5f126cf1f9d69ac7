"""What `search` shows a reader: k distinct passages (no sentence twice), best first, with
scores that say so."""

from __future__ import annotations

import json

import pytest

from index.documents import Hit
from index.search.retrieval import distinct_passages, merge_overlaps
from index.service import KnowledgeBase
from tests.conftest import DEV_QA, SHARED

DEV = [DEV_QA, SHARED / "dev_para.jsonl", SHARED / "dev_broad.jsonl"]


def _questions() -> list[str]:
    return [
        json.loads(line)["question"]
        for path in DEV
        for line in path.read_text().splitlines()
        if line.strip()
    ]


# Ten sentences of nine characters, a space between: sentence i is [10 i, 10 i + 9).
TEXT = " ".join(f"S{i} xxxxx." for i in range(10))


def _hit(cid: str, first: int, last: int) -> Hit:
    """The chunk of sentences first..last."""
    start, end = 10 * first, 10 * last + 9
    return Hit(cid, "a.md", "A", "a.md", TEXT[start:end], start, end, 0.5)


def test_a_chunk_bridging_two_passages_joins_them_into_one() -> None:
    """The answerer's pool: sentences 0-2 and 5-7 taken apart, then the chunk 2-5 that
    overlaps both makes them one passage, 0-7, verbatim; the next chunk fills the place."""
    ranked = [_hit("c1", 0, 2), _hit("c3", 5, 7), _hit("c2", 2, 5), _hit("c5", 9, 9)]
    pool = merge_overlaps(ranked, 2)
    assert [(h.start, h.end) for h in pool] == [(0, 79), (90, 99)]
    assert all(TEXT[h.start : h.end] == h.text for h in pool)


def test_a_passage_shows_only_what_the_passages_above_it_do_not() -> None:
    """Chunks overlap by a sentence: the third passage bridges the first two, and shows
    only the sentences between them; one with nothing new is left out, the next takes its
    place."""
    ranked = [_hit("c1", 0, 2), _hit("c3", 5, 7), _hit("c2", 2, 5), _hit("c4", 1, 2)]
    ranked.append(_hit("c5", 8, 9))
    shown = distinct_passages(ranked, 4)
    assert [(h.chunk_id, h.text) for h in shown] == [
        ("c1", "S0 xxxxx. S1 xxxxx. S2 xxxxx."),
        ("c3", "S5 xxxxx. S6 xxxxx. S7 xxxxx."),
        ("c2", "S3 xxxxx. S4 xxxxx."),
        ("c5", "S8 xxxxx. S9 xxxxx."),
    ]
    assert all(TEXT[h.start : h.end] == h.text for h in shown)  # still exact spans
    assert distinct_passages(ranked, 2) == ranked[:2]


@pytest.mark.parametrize("k", [5, 10])
def test_search_results_never_overlap_and_their_scores_fall_with_rank(
    seed_kb: KnowledgeBase, k: int
) -> None:
    for question in _questions():
        hits = seed_kb.search(question, k)
        assert len(hits) == k  # the seed library has k passages with something new
        for i, a in enumerate(hits):
            for b in hits[i + 1 :]:
                assert a.doc_id != b.doc_id or a.end <= b.start or b.end <= a.start, (
                    question,
                    (a.start, a.end),
                    (b.start, b.end),
                )
        scores = [h.fused for h in hits]
        assert scores == sorted(scores, reverse=True), (question, scores)
        assert all(0.0 < s <= 1.0 for s in scores)


def test_a_passage_without_the_number_asked_for_scores_below_those_with_one(
    seed_kb: KnowledgeBase,
) -> None:
    """A "how many" question: passages holding a number come first, and their scores say so."""
    hits = seed_kb.search("How many junior doctor posts are unlikely to be filled?", 10)
    scores = [h.fused for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert "Seven junior doctor posts" in hits[0].text
