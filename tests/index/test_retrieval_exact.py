"""Dense retrieval scores every chunk exactly below EXACT_MAX_CHUNKS and asks Chroma's HNSW
index above it; both paths must find the same passages on the seed articles."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import index.search.retrieval as retrieval
from index.evaluation import first_rank, load_qa
from index.search.retrieval import Retriever
from index.service import KnowledgeBase
from index.store.sign_bits import nearest_rows
from index.text import terms
from tests.conftest import DEV_QA


def test_exact_dense_search_loads_unit_vectors_for_every_chunk(seed_kb: KnowledgeBase) -> None:
    live = Retriever(seed_kb.store, seed_kb.embed_model).live()
    assert live.vectors is not None and live.vectors.shape == (len(live.ids), 384)
    norms = (live.vectors**2).sum(axis=1)
    assert norms == pytest.approx([1.0] * len(live.ids), abs=1e-3)


def test_hnsw_path_above_the_threshold_finds_the_same_gold(
    seed_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = Retriever(seed_kb.store, seed_kb.embed_model)
    monkeypatch.setattr(retrieval, "EXACT_MAX_CHUNKS", 0)
    approx = Retriever(seed_kb.store, seed_kb.embed_model)
    assert approx.live().vectors is None
    for item in [q for q in load_qa(DEV_QA) if q.answerable]:
        # the candidates that re-ranking then orders (tests/index/test_answers.py checks the
        # top 5 after it)
        a = [h.text for h in exact.search(item.question, 10)]
        b = [h.text for h in approx.search(item.question, 10)]
        assert first_rank(a, item.gold_quotes) is not None, item.question
        assert first_rank(b, item.gold_quotes) is not None, item.question
        # on ~100 chunks HNSW is effectively exact: the same best passage, similar scores
        assert a[0] == b[0], item.question


def test_sign_bits_find_the_nearest_chunks_and_their_scores_stay_exact(
    seed_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large library finds its dense candidates by sign bits and scores only those: the
    81 seed chunks stand in for one, with 3 candidates by bits per result wanted."""
    live = Retriever(seed_kb.store, seed_kb.embed_model).live()
    assert live.vectors is not None and live.vector_bits is not None
    monkeypatch.setattr(retrieval, "DENSE_RESCORE", 3)
    pool = 8
    assert len(live.ids) > 2 * 3 * pool  # so the sign bits are used
    for item in load_qa(DEV_QA):
        q = np.asarray(seed_kb.embed_model.get_query_embedding(item.question), dtype=np.float32)
        exact = live.vectors @ q
        found = retrieval._dense(live, q, pool)
        assert len(found) == pool
        assert next(iter(found)) == live.ids[int(np.argmax(exact))], item.question
        for cid, score in found.items():  # an exact cosine, not a guess from the bits
            assert score == pytest.approx(float(exact[live.row[cid]]), abs=1e-6)


def test_questions_asked_at_once_find_what_each_finds_alone(
    seed_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot answers several questions at once on its executor's threads: a large
    library's search (candidates by sign bits) finds the same passages for each as when it
    is asked alone."""
    retriever = Retriever(seed_kb.store, seed_kb.embed_model)
    monkeypatch.setattr(retrieval, "DENSE_RESCORE", 3)
    assert retrieval._by_sign_bits(retriever.live(), 8)
    questions = [item.question for item in load_qa(DEV_QA)]

    def found(question: str) -> list[str]:
        return [h.chunk_id for h in retriever.search(question, 5, pool=8)]

    alone = {q: found(q) for q in questions}
    with ThreadPoolExecutor(4) as askers:
        at_once = dict(zip(questions, askers.map(found, questions), strict=True))
    assert at_once == alone


def test_sign_bits_keep_every_vector_as_near_as_the_wanted_one(seed_kb: KnowledgeBase) -> None:
    """The candidates by sign bits are exactly the vectors whose signs differ from the
    question's in no more places than the want-th nearest's (ties at that distance all
    come along), in row order: checked against counting the differing signs one by one."""
    live = Retriever(seed_kb.store, seed_kb.embed_model).live()
    assert live.vectors is not None and live.vector_bits is not None
    signs = live.vectors > 0
    for item in load_qa(DEV_QA):
        q = np.asarray(seed_kb.embed_model.get_query_embedding(item.question), dtype=np.float32)
        distance = (signs != (q > 0)).sum(axis=1)
        for want in (1, 7, len(distance)):
            bound = np.sort(distance)[want - 1]
            expected = np.flatnonzero(distance <= bound)
            assert nearest_rows(live.vector_bits, q, want).tolist() == expected.tolist()


def test_the_sentences_of_many_passages_are_those_each_holds(seed_kb: KnowledgeBase) -> None:
    """A question's passages have their sentences looked up together: each passage gets
    exactly the sentences of its document that lie wholly inside it, in order, with their
    unit vectors and terms; a document the table doesn't know, or an empty span, gets
    none."""
    live = Retriever(seed_kb.store, seed_kb.embed_model).live()
    table = live.sentences
    a = table.arrays
    hits = seed_kb.search("What did the unions argue about private contracts?", k=12)
    spans = [(h.doc_id, h.start, h.end) for h in hits]
    spans += [("no/such/article.md", 0, 500), (hits[0].doc_id, 40, 40), (hits[0].doc_id, 0, 1)]
    blocks = table.within_many(spans)
    assert len(blocks) == len(spans)
    for (doc_id, start, end), block in zip(spans, blocks, strict=True):
        lo, hi = table.positions(doc_id)
        inside = [i for i in range(lo, hi) if a["starts"][i] >= start and a["ends"][i] <= end]
        assert block.starts == [int(a["starts"][i]) for i in inside]
        assert block.ends == [int(a["ends"][i]) for i in inside]
        vectors = table.q8[a["rows"][inside]].astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) if inside else 1.0
        assert np.allclose(block.vectors, vectors, atol=1e-6)
    assert [len(b) for b in blocks[-3:]] == [0, 0, 0]
    for hit, block in zip(hits, blocks, strict=False):  # the terms worked out at refresh
        spans = zip(block.starts, block.ends, strict=True)
        texts = [hit.text[s - hit.start : e - hit.start] for s, e in spans]
        assert block.terms == [frozenset(terms(t)) for t in texts]
    assert sum(len(b) for b in blocks[:12]) > 12  # passages of several sentences
