"""Second-stage ranking: the fused candidates re-ordered by how well their best sentence
answers the question.

Chunk-level retrieval scores a passage by all its words, or by the mean meaning of its
sentences; the answer is usually one sentence. A third ranked list, by the best sentence's
evidence score (its meaning and words, index/search/evidence.py), is fused with the retrieval order
by reciprocal rank, so a passage with one sentence that says what is asked climbs above
passages that are only about the same topic. It costs one dot product per sentence: the
sentence vectors were computed when the library was indexed."""

from __future__ import annotations

from dataclasses import replace

from index.documents import Hit
from index.search.evidence import must_hold_answer, score_sentences
from index.search.question import Question
from index.search.retrieval import RRF_K, Generation

POOL = 12  # candidates re-ranked


# A passage's score after re-ranking (Hit.fused; `search` shows it): its fused reciprocal
# rank below over the most there is, first in both lists, so 1.0 is the best possible and
# the order falls with it. Not a measured constant: 2 / (RRF_K + 1) is what the sum gives.
FIRST_IN_BOTH = 2.0 / (RRF_K + 1)


def rerank(question: Question, hits: list[Hit], live: Generation, k: int) -> list[Hit]:
    """The k best of `hits` (in retrieval order) after fusing in the evidence order, each
    with the score it is ranked by (Hit.fused, 1.0 at best), so scores fall with rank."""
    if len(hits) <= 1:
        return [replace(h, fused=1.0) for h in hits[:k]]  # first in both lists
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
    ranked = sorted(
        hits,
        key=lambda h: (
            bool(typed) and h.chunk_id not in typed,
            -fused[h.chunk_id],
            place.get(h.chunk_id, last),
        ),
    )[:k]
    score = {cid: f / FIRST_IN_BOTH for cid, f in fused.items()}
    # A passage without the number asked for comes after every one with it: its score is
    # scaled by the lowest of theirs, so it is never above them either.
    floor = min((score[cid] for cid in typed if cid in score), default=1.0)
    return [
        replace(h, fused=score[h.chunk_id] * (floor if typed and h.chunk_id not in typed else 1))
        for h in ranked
    ]
