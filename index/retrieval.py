"""Hybrid retrieval over the live generation: dense search over the vectors stored in Chroma
(exact, or through llama-index's ChromaVectorStore for very large libraries) and BM25 over
stemmed words, fused by reciprocal rank.

Dense finds paraphrases; BM25 finds exact names and figures the embedding blurs.

The dense side scores every chunk exactly (one matrix product over the generation's vectors,
loaded with it) up to EXACT_MAX_CHUNKS chunks, and asks Chroma's HNSW index beyond that.
Measured on 9,217 chunks (docs/benchmarks.md), Chroma's approximate top 20 held only 90% of
the exact top 20, and a passage that misses the dense list can only reach the fused top 5 if
BM25 alone ranks it near the top; the exact product took 0.4 ms for 9,217 chunks and costs
1.5 KiB of memory per chunk."""

from __future__ import annotations

import heapq
import json
import logging
import math
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from index.attribution import ENTITIES_KEY, SPEAKERS_KEY
from index.documents import Hit, PageSpan
from index.embedding import Embedder
from index.errors import IndexNotReady
from index.memory import return_freed_memory
from index.sentences import VECTORS_KEY, SentenceTable
from index.store import Catalog, ChromaStore
from index.text import acronyms, terms

log = logging.getLogger(__name__)
RRF_K = 60  # the usual constant of reciprocal rank fusion (Cormack et al., 2009)
EXACT_MAX_CHUNKS = 200_000
# Reciprocal-rank weight of each of the two dense lists (chunk, best sentence) beside BM25's
# 1: on the dev sets equal weights and halves gave the same hit@5 (1.00 / 0.875) and the
# halves keep an acronym-only passage ("EDM" for "early day motion") findable.
DENSE_WEIGHT = 0.5  # beyond this, dense candidates come from Chroma's HNSW index


@dataclass
class CorpusStats:
    """Chunk-level document frequencies of stemmed content words."""

    chunks: int = 0
    df: Counter[str] = field(default_factory=Counter)

    def idf(self, term: str) -> float:
        n, d = self.chunks, self.df.get(term, 0)
        return math.log(1 + (n - d + 0.5) / (d + 0.5))


@dataclass(frozen=True)
class ChunkRecord:
    text: str
    meta: dict[str, Any]
    pages: tuple[PageSpan, ...] = ()  # the PDF pages this chunk's text spans, if paged


@dataclass
class Generation:
    """Everything loaded for one live generation of the index."""

    name: str
    catalog: Catalog
    vector_store: Any
    collection: Any
    ids: list[str]
    records: dict[str, ChunkRecord]
    bm25: Any
    stats: CorpusStats
    doc_terms: dict[str, set[str]]  # every term of each document, title and author included
    vectors: np.ndarray | None = None  # (chunks, dim) unit vectors in `ids` order, if exact
    row: dict[str, int] = field(default_factory=dict)  # chunk id -> row of `vectors`
    sentences: SentenceTable = field(default_factory=SentenceTable)


def _context(meta: dict[str, Any]) -> str:
    return " ".join(str(meta[k]) for k in ("title", "author") if meta.get(k))


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
        """Read a generation from Chroma. The chunks of documents a refresh copied unchanged
        from `previous` (same catalog entry) are taken from it instead of read again: a
        reload after adding one article then costs that article, not the whole library,
        and the process never holds two full copies read from Chroma at once."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on import

        catalog = self.store.read_catalog()
        if catalog.collection is None:
            raise IndexNotReady("the index is empty: run `policybot index` first")
        collection = self.store.collection(catalog.collection)
        exact = catalog.chunk_count <= EXACT_MAX_CHUNKS
        include = ["documents", "metadatas", *(["embeddings"] if exact else [])]
        reuse = _reusable(previous, catalog) if exact else {}
        ids = [cid for chunk_ids in reuse.values() for cid in chunk_ids]
        records: dict[str, ChunkRecord] = {}
        blocks: list[np.ndarray] = []
        sentences = SentenceTable()
        if ids and previous is not None and previous.vectors is not None:
            records.update((cid, previous.records[cid]) for cid in ids)
            blocks.append(previous.vectors[[previous.row[cid] for cid in ids]])
            for path in reuse:
                sentences.add_document(path, previous.sentences)
            log.debug("generation %s: %d chunks kept from %s", name, len(ids), previous.name)
        fetch = sorted(set(catalog.documents) - set(reuse)) if reuse else None
        for got in self.store.read("load chunks", collection, include, fetch):
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                ids.append(cid)
                sentences.add_chunk(cid, str(meta.get("path", "")), meta)
                records[cid] = _record(text, meta)
            if exact:
                blocks.append(np.asarray(got["embeddings"], dtype=np.float32))
        if not ids:
            raise IndexNotReady(
                "the index holds no documents: add sources and run `policybot index`"
            )
        tokens = [terms(records[c].text + " " + _context(records[c].meta)) for c in ids]
        df: Counter[str] = Counter()
        doc_terms: dict[str, set[str]] = {}
        for cid, toks in zip(ids, tokens, strict=True):
            df.update(set(toks))
            doc_terms.setdefault(str(records[cid].meta.get("path", "")), set()).update(toks)
        bm25 = bm25s.BM25()
        bm25.index([t or [""] for t in tokens], show_progress=False)
        log.info("loaded generation %s: %d chunks", name, len(ids))
        return Generation(
            name=name,
            catalog=catalog,
            vector_store=None if exact else _chroma_vector_store(collection),
            collection=collection,
            ids=ids,
            records=records,
            bm25=bm25,
            stats=CorpusStats(len(ids), df),
            doc_terms=doc_terms,
            vectors=np.concatenate(blocks) if exact and blocks else None,
            row={cid: i for i, cid in enumerate(ids)} if exact else {},
            sentences=sentences.freeze(),
        )

    def search(
        self, query: str, k: int, pool: int | None = None, live: Generation | None = None
    ) -> list[Hit]:
        """The k best chunks for `query`, fused from `pool` dense and `pool` BM25 candidates,
        from `live` (default: the live generation now)."""
        live = live or self.live()
        pool = pool or max(4 * k, 20)
        vector = self.embed_model.get_query_embedding(query)
        if live.vectors is not None:
            cosine = _exact(live.ids, live.vectors, vector, pool)
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
        # and words weigh equally, as when there was one dense list.
        sentence_hits = live.sentences.search(np.asarray(vector, dtype=np.float32), pool)
        lists = [
            (cosine, DENSE_WEIGHT),
            (sentence_hits, DENSE_WEIGHT),
            (self._lexical(live, query, pool), 1.0),
        ]
        for ranked, weight in lists:
            for rank, cid in enumerate(ranked):
                fused[cid] += weight / (RRF_K + rank + 1)
        best = heapq.nlargest(3 * k, fused, key=fused.__getitem__)  # as Counter.most_common
        missing = [cid for cid in best if cid not in cosine]
        if missing and live.vectors is not None:
            q = np.asarray(vector, dtype=np.float32)
            for cid in missing:
                cosine[cid] = float(live.vectors[live.row[cid]] @ q)
        elif missing:  # lexical-only finds: score them on the same dense scale
            got = self.store.call(
                "fetch vectors", live.collection.get, ids=missing, include=["embeddings"]
            )
            q = np.asarray(vector, dtype=np.float32)
            for cid, emb in zip(got["ids"], got["embeddings"], strict=True):
                cosine[cid] = float(np.asarray(emb, dtype=np.float32) @ q)
        hits = [self._hit(live, cid, cosine.get(cid, 0.0), fused[cid]) for cid in best]
        return merge_overlaps(hits, k)

    def _lexical(self, live: Generation, query: str, pool: int) -> list[str]:
        vocab = live.bm25.vocab_dict
        q = [t for t in terms(query) if t in vocab]
        # "early day motion" also finds "EDM": the acronyms of the query's phrases that the
        # library uses. Three letters or more: two-letter ones ("US", "MP") are too loose.
        q += [a.lower() for a in acronyms(query) if len(a) >= 3 and a.lower() in vocab]
        if not q or not live.ids:
            return []
        scores = live.bm25.get_scores(q)
        top = np.argsort(-scores)[:pool]
        return [live.ids[i] for i in top if scores[i] > 0]

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
            context=_context(meta),
            fused=fused,
        )


def _chroma_vector_store(collection: Any) -> Any:
    """llama-index's view of a collection, for searching it by HNSW. Imported only for a
    library too large to score exactly: importing llama-index takes over a second."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    return ChromaVectorStore(chroma_collection=collection)


def _reusable(previous: Generation | None, catalog: Catalog) -> dict[str, list[str]]:
    """Chunk ids of `previous`, by document, for the documents whose catalog entry (hash,
    indexing time, chunk count) is the same in `catalog`: a refresh copied them as they were."""
    if previous is None or previous.vectors is None:
        return {}
    same = {
        path
        for path, entry in catalog.documents.items()
        if previous.catalog.documents.get(path) == entry
    }
    by_path: dict[str, list[str]] = {}
    for cid in previous.ids:
        path = str(previous.records[cid].meta.get("path", ""))
        if path in same:
            by_path.setdefault(path, []).append(cid)
    return {p: c for p, c in by_path.items() if len(c) == catalog.documents[p].chunks}


def _exact(ids: list[str], vectors: np.ndarray, vector: list[float], pool: int) -> dict[str, float]:
    """The `pool` chunks nearest the query by exact cosine (unit vectors), best first."""
    scores = vectors @ np.asarray(vector, dtype=np.float32)
    if len(scores) > pool:
        top = np.argpartition(-scores, pool)[:pool]
        top = top[np.argsort(-scores[top], kind="stable")]
    else:
        top = np.argsort(-scores, kind="stable")
    return {ids[i]: float(scores[i]) for i in top}


def merge_overlaps(hits: list[Hit], k: int) -> list[Hit]:
    """Fold hits that overlap in one document into one passage, and drop hits whose text
    repeats one already taken (the same article saved twice), so k hits are k passages."""
    out: list[Hit] = []
    seen_text: set[str] = set()
    for hit in hits:
        key = " ".join(hit.text.split())
        if key in seen_text:
            continue
        for i, taken in enumerate(out):
            if taken.doc_id == hit.doc_id and hit.start < taken.end and taken.start < hit.end:
                out[i] = _union(taken, hit)
                break
        else:
            if len(out) == k:
                break
            out.append(hit)
        seen_text.add(key)
    return out


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


# Parsed once into the record (pages) or the generation's SentenceTable: not kept twice.
_NOT_KEPT = frozenset({"pages", VECTORS_KEY, SPEAKERS_KEY, ENTITIES_KEY, "sentences"})


def _record(text: str, meta: dict[str, Any]) -> ChunkRecord:
    """A chunk as kept in memory: its page spans parsed once, here, and only those its own
    text spans (indexes built before chunks kept only their own carry the whole document's
    table in every chunk)."""
    # Page spans parsed here; sentence vectors live packed in the generation's SentenceTable.
    kept = {k: v for k, v in meta.items() if k[0] != "_" and k not in _NOT_KEPT}
    pages = _pages(meta.get("pages"))
    if pages:
        start = int(meta.get("start", 0))
        end = int(meta.get("end", start + len(text)))
        pages = tuple(p for p in pages if p.start < end and p.end > start)
    return ChunkRecord(text, kept, pages)


def _pages(pages_json: str | None) -> tuple[PageSpan, ...]:
    if not pages_json:
        return ()
    return tuple(PageSpan(int(n), int(a), int(b)) for n, a, b in json.loads(pages_json))
