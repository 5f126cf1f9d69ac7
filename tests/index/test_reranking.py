"""The second stage: passages re-ordered by how well their best sentence answers."""

from __future__ import annotations

from collections import Counter

from index.documents import Hit
from index.reranking import rerank
from index.retrieval import CorpusStats


def hit(cid: str, text: str) -> Hit:
    return Hit(cid, f"{cid}.md", cid, cid, text, 0, len(text), score=0.5)


STATS = CorpusStats(chunks=100, df=Counter())

# Shares words with the question in every sentence, answers none of it.
SPREAD = hit(
    "spread",
    "The hospital trust met on Monday. Its budget was discussed at length. "
    "Nurses spoke about cuts elsewhere.",
)
ANSWER = hit("answer", "Parking was free. The hospital trust budget cuts total £4m this year.")
FILLER = hit("filler", "The weather was mild. Trains ran late.")


def test_a_passage_whose_one_sentence_answers_climbs_above_one_that_only_shares_words() -> None:
    question = "How big are the hospital trust budget cuts?"
    ranked = rerank(question, [SPREAD, FILLER, ANSWER], STATS, k=3)
    assert [h.chunk_id for h in ranked].index("answer") < [h.chunk_id for h in ranked].index(
        "filler"
    )
    assert rerank(question, [FILLER, SPREAD, ANSWER], STATS, k=1)[0].chunk_id != "filler"


def test_reranking_keeps_k_and_never_invents_passages() -> None:
    ranked = rerank("hospital budget", [SPREAD, FILLER, ANSWER], STATS, k=2)
    assert len(ranked) == 2 and {h.chunk_id for h in ranked} <= {"spread", "filler", "answer"}
    assert rerank("anything", [], STATS, k=5) == []
