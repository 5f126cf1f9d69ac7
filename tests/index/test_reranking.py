"""The second stage: passages re-ordered by how well their best sentence answers, on a real
index (sentence vectors and all)."""

from __future__ import annotations

from collections.abc import Callable

from index.search.reranking import rerank
from index.service import KnowledgeBase

# Shares words with the question in every sentence, answers none of it.
SPREAD = (
    "The hospital trust met on Monday. Its budget was discussed at length. "
    "Nurses spoke about cuts elsewhere.\n"
)
ANSWER = "Parking was free. The hospital trust budget cuts total £4m this year.\n"
FILLER = "The weather was mild. Trains ran late.\n"


def _kb(make_kb: Callable[..., KnowledgeBase]) -> KnowledgeBase:
    kb = make_kb(seed=False)
    for name, text in (("spread", SPREAD), ("answer", ANSWER), ("filler", FILLER)):
        (kb.settings.sources_dir / f"{name}.md").write_text(text)
    kb.refresh()
    return kb


def test_a_passage_whose_one_sentence_answers_climbs_above_one_that_only_shares_words(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    kb = _kb(make_kb)
    live = kb.retriever.live()
    text = "How big are the hospital trust budget cuts?"
    question = kb.question(text)
    by_doc = {h.doc_id: h for h in kb.retriever.search(text, 3, live=live)}
    hits = [by_doc["spread.md"], by_doc["filler.md"], by_doc["answer.md"]]  # worst order
    ranked = [h.doc_id for h in rerank(question, hits, live, k=3)]
    assert ranked.index("answer.md") < ranked.index("spread.md") < ranked.index("filler.md")
    assert rerank(question, hits, live, k=1)[0].doc_id == "answer.md"


def test_reranking_keeps_k_and_never_invents_passages(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    kb = _kb(make_kb)
    live = kb.retriever.live()
    hits = kb.retriever.search("hospital budget", 3, live=live)
    ranked = rerank(kb.question("hospital budget"), hits, live, k=2)
    assert len(ranked) == 2 and {h.chunk_id for h in ranked} <= {h.chunk_id for h in hits}
    assert rerank(kb.question("anything"), [], live, k=5) == []
