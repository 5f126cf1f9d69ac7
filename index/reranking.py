"""Second-stage ranking: the fused candidates re-ordered by how well their best sentence
answers the question.

Chunk-level retrieval scores a passage by all its words; the answer is usually one
sentence. A third ranked list, by the best sentence's evidence score (the same scoring the
extractive answerer quotes from), is fused with the retrieval order by reciprocal rank, so
a passage whose one sentence holds what is asked climbs above passages that share many
words with the question but answer none of it. Lexical and cheap: no model is run."""

from __future__ import annotations

from index.answering.evidence import question_names, question_terms, sentence_evidence
from index.documents import Hit
from index.retrieval import RRF_K, CorpusStats

POOL = 12  # candidates re-ranked; the extra passages cost about a millisecond each


def rerank(question: str, hits: list[Hit], stats: CorpusStats, k: int) -> list[Hit]:
    """The k best of `hits` (in retrieval order) after fusing in the evidence order."""
    if len(hits) <= 1:
        return hits[:k]
    evidence = sentence_evidence(
        hits, question_terms(question), stats, question, names=question_names(question)
    )
    place: dict[str, int] = {}  # chunk id -> rank of its best sentence
    for ev in evidence:
        place.setdefault(ev.hit.chunk_id, len(place))
    fused = {
        hit.chunk_id: 1.0 / (RRF_K + i + 1) + 1.0 / (RRF_K + place[hit.chunk_id] + 1)
        for i, hit in enumerate(hits)
    }
    # Ties (one list's first is the other's third, and the reverse) go to the better sentence.
    return sorted(hits, key=lambda h: (-fused[h.chunk_id], place[h.chunk_id]))[:k]
