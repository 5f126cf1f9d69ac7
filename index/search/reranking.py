"""Second-stage ranking: the fused candidates re-ordered by how well their best sentence
answers the question.

Chunk-level retrieval scores a passage by all its words, or by the mean meaning of its
sentences; the answer is usually one sentence. A third ranked list, by the best sentence's
evidence score (its meaning and words, index/search/evidence.py), is fused with the retrieval order
by reciprocal rank, so a passage with one sentence that says what is asked climbs above
passages that are only about the same topic. It costs one dot product per sentence: the
sentence vectors were computed when the library was indexed."""

from __future__ import annotations

from index.documents import Hit
from index.search.evidence import must_hold_answer, score_sentences
from index.search.question import Question
from index.search.retrieval import RRF_K, Generation

POOL = 12  # candidates re-ranked


def rerank(question: Question, hits: list[Hit], live: Generation, k: int) -> list[Hit]:
    """The k best of `hits` (in retrieval order) after fusing in the evidence order."""
    if len(hits) <= 1:
        return hits[:k]
    place: dict[str, int] = {}  # chunk id -> rank of its best sentence
    evidence = score_sentences(question, hits, live)
    for ev in evidence:
        place.setdefault(ev.hit.chunk_id, len(place))
    # "How many …", "what year …", "when was …": a passage with no number, year or time in it
    # can't answer, so those that have one come first (the answerer applies the same rule to
    # sentences).
    typed: set[str] = set()
    if must_hold_answer(question.text):
        typed = {ev.hit.chunk_id for ev in evidence if ev.typed}
    last = len(place)
    fused = {
        hit.chunk_id: 1.0 / (RRF_K + i + 1) + 1.0 / (RRF_K + place.get(hit.chunk_id, last) + 1)
        for i, hit in enumerate(hits)
    }
    # Ties (one list's first is the other's third, and the reverse) go to the better sentence.
    return sorted(
        hits,
        key=lambda h: (
            bool(typed) and h.chunk_id not in typed,
            -fused[h.chunk_id],
            place.get(h.chunk_id, last),
        ),
    )[:k]
