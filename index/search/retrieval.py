"""Hybrid retrieval over the live generation: dense search over the chunks' vectors (exact,
over the generation's side files, or through llama-index's ChromaVectorStore for very large
libraries) and BM25 over stemmed words, fused by reciprocal rank.

Dense finds paraphrases; BM25 finds exact names and figures the embedding blurs.

The dense side scores chunks exactly from the generation's vectors (memory-mapped from its
side files) up to EXACT_MAX_CHUNKS chunks, and asks Chroma's HNSW index beyond that.
Measured on 9,217 chunks (docs/benchmarks.md), Chroma's approximate top 20 held only 90% of
the exact top 20, and a passage that misses the dense list can only reach the fused top 5 if
BM25 alone ranks it near the top. A large library's candidates are the chunks nearest by
sign bits (index/store/sign_bits.py), DENSE_RESCORE for each one wanted, scored exactly: on the
full corpus (37,815 chunks) 0.95 of the exact top 48 and 0.99 of its top 12, in 0.7–1.1
instead of 1.6–2.1 ms, and all 147 dev and held-out answers the same (one refusal lists
another nearest passage)."""

from __future__ import annotations

import heapq
import logging
import math
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from index.documents import Hit
from index.embedding import Embedder
from index.errors import IndexNotReady
from index.store.chroma import ChromaStore
from index.store.generation import ChunkRecord, CorpusStats, Generation, context_of
from index.store.memory import return_freed_memory
from index.store.side_files import cache_dir, prune_older
from index.store.side_files import load as load_generation
from index.store.sign_bits import nearest_rows
from index.text import acronyms, terms

__all__ = ["EXACT_MAX_CHUNKS", "ChunkRecord", "CorpusStats", "Generation", "Retriever"]
log = logging.getLogger(__name__)
RRF_K = 60  # the usual constant of reciprocal rank fusion (Cormack et al., 2009)
# Reciprocal-rank weight of each of the two dense lists (chunk, best sentence) beside BM25's
# 1: on the dev sets equal weights and halves gave the same hit@5 (1.00 / 0.875) and the
# halves keep an acronym-only passage ("EDM" for "early day motion") findable.
DENSE_WEIGHT = 0.5
EXACT_MAX_CHUNKS = 200_000  # beyond this, dense candidates come from Chroma's HNSW index
DENSE_RESCORE = 16  # chunks found by sign bits per dense candidate wanted, then scored


class Retriever:
    """Finds the chunks that best match a question, always from the live generation."""

    def __init__(self, store: ChromaStore, embed_model: Embedder) -> None:
        self.store = store
        self.embed_model = embed_model
        self._live: Generation | None = None
        self._lock = threading.Lock()

    def live(self) -> Generation:
        """The live generation, reloaded when a refresh has published a new one."""
        name = self.store.live_generation()
        if not name:
            raise IndexNotReady("the index is empty: run `policybot index` first")
        current = self._live
        if current is not None and current.name == name:
            return current
        with self._lock:
            if self._live is None or self._live.name != name:
                self._live = self._load(name, previous=self._live)
                return_freed_memory()  # the transients of loading, and the old generation
            return self._live

    def _load(self, name: str, previous: Generation | None = None) -> Generation:
        """A generation from its side files (written from Chroma first if need be: a
        refresh elsewhere, or side files lost). Beyond exact search, Chroma's HNSW index
        answers the dense side."""
        root = cache_dir(self.store.settings.data_dir, self.store.prefix)
        live = load_generation(self.store, root, name, previous)
        prune_older(root, name)
        # (A generation reading several collections is searched exactly at any size: the
        # refresh copies everything into one collection before a library gets that big.)
        if len(live.ids) > EXACT_MAX_CHUNKS and len(live.catalog.collections) == 1:
            live.vectors = live.vector_bits = None  # mapped, never read: HNSW answers
            live.collection = self.store.collection(str(live.catalog.collection))
            live.vector_store = _chroma_vector_store(live.collection)
        log.info("loaded generation %s: %d chunks", name, len(live.ids))
        return live

    def search(
        self, query: str, k: int, pool: int | None = None, live: Generation | None = None
    ) -> list[Hit]:
        """The k best chunks for `query`, fused from `pool` dense and `pool` BM25 candidates,
        from `live` (default: the live generation now)."""
        live = live or self.live()
        pool = pool or max(4 * k, 20)
        vector = self.embed_model.get_query_embedding(query)
        q = np.asarray(vector, dtype=np.float32)
        if live.vectors is not None:
            cosine = _dense(live, q, pool)
        else:
            from llama_index.core.vector_stores import VectorStoreQuery

            result = self.store.call(
                "query",
                live.vector_store.query,
                VectorStoreQuery(query_embedding=vector, similarity_top_k=pool),
            )
            # ChromaVectorStore reports exp(-cosine distance); turn it back into a cosine.
            cosine = {
                node.node_id: 1.0 + math.log(max(sim, 1e-12))
                for node, sim in zip(result.nodes, result.similarities or [], strict=False)
            }
        fused: defaultdict[str, float] = defaultdict(float)
        # Three ranked lists: chunks by meaning, chunks by their best sentence's meaning (a
        # one-sentence answer in a chunk about other things), chunks by words (BM25). Meaning
        # and words weigh equally, as when there was one dense list. All on this thread: on
        # a second one they took longer in the query path (waking it, and ORT's threads
        # still spinning from the question's embedding; docs/benchmarks.md).
        sentence_hits = live.sentences.search(q, pool)
        lexical = self._lexical(live, query, pool)
        lists = [(cosine, DENSE_WEIGHT), (sentence_hits, DENSE_WEIGHT), (lexical, 1.0)]
        for ranked, weight in lists:
            for rank, cid in enumerate(ranked):
                fused[cid] += weight / (RRF_K + rank + 1)
        # Passages bridged into one by merging can leave fewer than k: then more chunks.
        width = 3 * k
        while True:
            best = heapq.nlargest(width, fused, key=fused.__getitem__)  # as most_common
            self._score_missing(live, q, best, cosine)
            # Made one by one as merging takes them: it stops at k passages.
            hits = (self._hit(live, cid, cosine.get(cid, 0.0), fused[cid]) for cid in best)
            merged = merge_overlaps(hits, k)
            if len(merged) == k or width >= len(fused):
                return merged
            width *= 2

    def _score_missing(
        self, live: Generation, q: np.ndarray, best: list[str], cosine: dict[str, float]
    ) -> None:
        """Give the chunks of `best` only words found a cosine on the dense scale."""
        missing = [cid for cid in best if cid not in cosine]
        if missing and live.vectors is not None:
            for cid in missing:
                cosine[cid] = float(live.vectors[live.row[cid]] @ q)
        elif missing:  # lexical-only finds: score them on the same dense scale
            got = self.store.call(
                "fetch vectors", live.collection.get, ids=missing, include=["embeddings"]
            )
            for cid, emb in zip(got["ids"], got["embeddings"], strict=True):
                cosine[cid] = float(np.asarray(emb, dtype=np.float32) @ q)

    def _lexical(self, live: Generation, query: str, pool: int) -> list[str]:
        vocab = live.bm25.vocab
        q = [t for t in terms(query) if t in vocab]
        # "early day motion" also finds "EDM": the acronyms of the query's phrases that the
        # library uses. Three letters or more: two-letter ones ("US", "MP") are too loose.
        q += [a.lower() for a in acronyms(query) if len(a) >= 3 and a.lower() in vocab]
        if not q or not live.ids:
            return []
        scores = live.bm25.scores(q)
        if len(scores) > pool:  # the pool's best without sorting every chunk
            top = np.argpartition(-scores, pool)[:pool]
            top = top[np.argsort(-scores[top], kind="stable")]
        else:
            top = np.argsort(-scores, kind="stable")
        return [live.ids[i] for i in top.tolist() if scores[i] > 0]

    @staticmethod
    def _hit(live: Generation, cid: str, cosine: float, fused: float) -> Hit:
        record = live.records[cid]
        meta = record.meta
        start = int(meta.get("start", 0))
        return Hit(
            chunk_id=cid,
            doc_id=str(meta.get("path", "")),
            title=str(meta.get("title", "")),
            source=str(meta.get("source") or meta.get("path", "")),
            text=record.text,
            start=start,
            end=int(meta.get("end", start + len(record.text))),
            score=cosine,
            pages=record.pages,
            context=context_of(meta),
            fused=fused,
        )


def _chroma_vector_store(collection: Any) -> Any:
    """llama-index's view of a collection, for searching it by HNSW. Imported only for a
    library too large to score exactly: importing llama-index takes over a second."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    return ChromaVectorStore(chroma_collection=collection)


def _by_sign_bits(live: Generation, pool: int) -> bool:
    """Is the library large enough for its dense candidates to be found by sign bits?"""
    return live.vector_bits is not None and len(live.ids) > 2 * DENSE_RESCORE * pool


def _dense(live: Generation, q: np.ndarray, pool: int) -> dict[str, float]:
    """The `pool` chunks nearest the query vector `q` (float32) by cosine (unit vectors),
    best first: exact cosines of the DENSE_RESCORE * pool chunks nearest by sign bits, or of
    every chunk when there are not many more."""
    assert live.vectors is not None  # noqa: S101 - the caller checked
    rows: np.ndarray | None = None
    if _by_sign_bits(live, pool):
        assert live.vector_bits is not None  # noqa: S101 - _by_sign_bits checked
        rows = nearest_rows(live.vector_bits, q, DENSE_RESCORE * pool)
    scores = (live.vectors if rows is None else live.vectors[rows]) @ q
    if len(scores) > pool:
        top = np.argpartition(-scores, pool)[:pool]
        top = top[np.argsort(-scores[top], kind="stable")]
    else:
        top = np.argsort(-scores, kind="stable")
    at = top if rows is None else rows[top]
    return {live.ids[i]: float(scores[t]) for i, t in zip(at.tolist(), top.tolist(), strict=True)}


def merge_overlaps(hits: Iterable[Hit], k: int) -> list[Hit]:
    """Fold hits that overlap in one document into one passage, and drop hits whose text
    repeats one already taken (the same article saved twice), so k hits are k passages.

    A hit that bridges passages taken apart (chunks overlap by a sentence) joins them all
    into the first, so no two passages share a sentence. `search` shows
    `distinct_passages` of it."""
    out: list[Hit] = []
    seen_text: set[str] = set()
    for hit in hits:
        key = " ".join(hit.text.split())
        if key in seen_text:
            continue
        joined = [
            i
            for i, taken in enumerate(out)
            if taken.doc_id == hit.doc_id and hit.start < taken.end and taken.start < hit.end
        ]
        if joined:
            merged = _union(out[joined[0]], hit)
            for i in joined[1:]:  # each overlaps the hit, so the union stays one span
                merged = _union(merged, out[i])
            out[joined[0]] = merged
            out = [t for i, t in enumerate(out) if i not in joined[1:]]
        else:
            if len(out) == k:
                break
            out.append(hit)
        seen_text.add(key)
    return out


def distinct_passages(ranked: Iterable[Hit], k: int) -> list[Hit]:
    """The first k passages of `ranked` (best first), each cut to the text no passage
    above it shows: chunks overlap by a sentence, and a passage repeating the end of the
    one above shows from where that one stops. A passage with nothing new is left out. Each
    keeps its rank's score, so the scores still fall with the rank."""
    out: list[Hit] = []
    for hit in ranked:
        piece = _unshown(hit, [t for t in out if t.doc_id == hit.doc_id])
        if piece is not None:
            out.append(piece)
            if len(out) == k:
                break
    return out


def _unshown(hit: Hit, shown: list[Hit]) -> Hit | None:
    """`hit` cut to its longest stretch that none of `shown` (passages of its document)
    covers, spaces trimmed; None when every word of it is shown already. Overlaps are
    whole sentences, so the stretch is too."""
    free = [(hit.start, hit.end)]
    for s in shown:
        free = [
            part
            for lo, hi in free
            for part in ((lo, min(hi, s.start)), (max(lo, s.end), hi))
            if part[0] < part[1]
        ]
    pieces = [(lo, hi) for lo, hi in free if hit.text[lo - hit.start : hi - hit.start].strip()]
    if not pieces:
        return None
    lo, hi = max(pieces, key=lambda p: p[1] - p[0])
    if (lo, hi) == (hit.start, hit.end):
        return hit
    text = hit.text[lo - hit.start : hi - hit.start]
    lo += len(text) - len(text.lstrip())
    hi -= len(text) - len(text.rstrip())
    return replace(hit, text=text.strip(), start=lo, end=hi)


def _union(a: Hit, b: Hit) -> Hit:
    """Two overlapping spans of the same document text, as one verbatim passage."""
    first, second = (a, b) if a.start <= b.start else (b, a)
    text = (
        first.text + second.text[max(0, first.end - second.start) :]
        if second.end > first.end
        else first.text
    )
    return replace(
        a,
        text=text,
        start=first.start,
        end=max(first.end, second.end),
        score=max(a.score, b.score),
        pages=tuple(sorted(set(a.pages) | set(b.pages), key=lambda p: p.start)),
    )
