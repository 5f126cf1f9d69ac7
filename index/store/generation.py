"""One generation of the index as a process answers from it: chunk texts and metadata,
vectors, BM25, word statistics and sentences, all held in plain arrays that are
memory-mapped from the generation's side files (index/store/side_files.py), so that every process
on a machine shares one copy through the page cache and a fresh process starts without
reading Chroma."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.documents import PageSpan
from index.store.catalog import Catalog
from index.store.sentences import SentenceTable


@dataclass(frozen=True)
class ChunkRecord:
    text: str
    meta: dict[str, Any]
    pages: tuple[PageSpan, ...] = ()  # the PDF pages this chunk's text spans, if paged


class Passages(Mapping[str, ChunkRecord]):
    """Chunk id -> ChunkRecord, decoded on demand from two UTF-8 blobs (texts, metadata
    as JSON) and their offsets: a question reads a few dozen chunks, never all of them."""

    def __init__(
        self,
        row: Mapping[str, int],
        texts: np.ndarray,
        text_lo: np.ndarray,
        metas: np.ndarray,
        meta_lo: np.ndarray,
    ) -> None:
        self.row = row
        self.texts, self.text_lo = texts, text_lo
        self.metas, self.meta_lo = metas, meta_lo

    def text_bytes(self, i: int) -> bytes:
        return self.texts[self.text_lo[i] : self.text_lo[i + 1]].tobytes()

    def text_at(self, i: int) -> str:
        return self.text_bytes(i).decode("utf-8")

    def meta_bytes(self, i: int) -> bytes:
        return self.metas[self.meta_lo[i] : self.meta_lo[i + 1]].tobytes()

    def at(self, i: int) -> ChunkRecord:
        meta = json.loads(self.meta_bytes(i))
        pages = tuple(PageSpan(int(n), int(a), int(b)) for n, a, b in meta.pop("pages", ()))
        return ChunkRecord(self.text_at(i), meta, pages)

    def __getitem__(self, cid: str) -> ChunkRecord:
        return self.at(self.row[cid])

    def __contains__(self, cid: object) -> bool:
        return cid in self.row

    def __iter__(self) -> Iterator[str]:
        return iter(self.row)

    def __len__(self) -> int:
        return len(self.row)


@dataclass
class Bm25:
    """BM25 over the chunks' terms, computed at refresh time (bm25_columns): every term's
    per-chunk scores in compressed columns, so that scoring a question is a sum of a few
    memory-mapped slices."""

    vocab: Mapping[str, int]  # term -> id
    data: np.ndarray  # the scores of term t are data[indptr[t]:indptr[t + 1]] …
    indices: np.ndarray  # … for the chunks (rows) indices[indptr[t]:indptr[t + 1]]
    indptr: np.ndarray
    chunks: int

    def scores(self, words: list[str]) -> np.ndarray:
        """Each chunk's BM25 score for these terms (a repeated term counts again)."""
        out = np.zeros(self.chunks, dtype=np.float32)
        for term in words:
            t = self.vocab.get(term)
            if t is None:
                continue
            lo, hi = int(self.indptr[t]), int(self.indptr[t + 1])
            out[self.indices[lo:hi]] += self.data[lo:hi]  # a chunk once per column
        return out


# BM25's constants (Lucene's variant, as bm25s and Lucene default to; Kamphuis et al., 2020).
BM25_K1 = 1.5
BM25_B = 0.75


def bm25_columns(
    tokens: np.ndarray, token_lo: np.ndarray, vocab_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every term's BM25 score in every chunk using it, as compressed columns (data,
    indices, indptr) from the chunks' term ids (chunk i's: tokens[token_lo[i]:token_lo[i+1]])."""
    chunks = len(token_lo) - 1
    lengths = np.diff(token_lo).astype(np.float64)
    width = np.int64(chunks)
    chunk_of = np.repeat(np.arange(chunks, dtype=np.int64), np.diff(token_lo))
    # (term, chunk) pairs in term order, with how often the term is in the chunk.
    pairs, tf = np.unique(tokens.astype(np.int64) * width + chunk_of, return_counts=True)
    term, chunk = pairs // width, pairs % width
    df = np.bincount(term, minlength=vocab_size)
    idf = np.log(1 + (chunks - df + 0.5) / (df + 0.5))
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(lengths.mean(), 1e-9))
    data = (idf[term] * tf / (tf + norm[chunk])).astype(np.float32)
    indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    return data, chunk.astype(np.int32), indptr


@dataclass
class CorpusStats:
    """Chunk-level document frequencies of stemmed content words."""

    chunks: int
    vocab: Mapping[str, int]  # term -> id (BM25's vocabulary)
    counts: np.ndarray  # id -> number of chunks using the term

    def df(self, term: str) -> int:
        i = self.vocab.get(term)
        return int(self.counts[i]) if i is not None else 0

    def idf(self, term: str) -> float:
        n, d = self.chunks, self.df(term)
        return math.log(1 + (n - d + 0.5) / (d + 0.5))


@dataclass
class DocTerms:
    """Every term of each document (title and author included), as sorted term ids."""

    docs: list[str]
    lo: np.ndarray  # document d's ids are ids[lo[d]:lo[d + 1]]
    ids: np.ndarray
    vocab: Mapping[str, int]
    _index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._index = {d: i for i, d in enumerate(self.docs)}

    def has_all(self, doc_id: str, words: frozenset[str] | set[str]) -> bool:
        """Does the document use every one of these terms?"""
        d = self._index.get(doc_id)
        if d is None:
            return False
        own = self.ids[self.lo[d] : self.lo[d + 1]]
        for term in words:
            i = self.vocab.get(term)
            if i is None:
                return False
            at = int(np.searchsorted(own, i))
            if at >= len(own) or own[at] != i:
                return False
        return True


@dataclass
class Generation:
    """Everything loaded for one live generation of the index."""

    name: str
    catalog: Catalog
    ids: list[str]
    records: Passages
    bm25: Bm25  # vocabulary shared with `stats` and `doc_terms`
    stats: CorpusStats
    doc_terms: DocTerms
    doc_of: np.ndarray  # row -> index into doc_terms.docs
    tokens: np.ndarray  # every chunk's term ids, concatenated (rebuilding BM25 reuses them)
    token_lo: np.ndarray
    vectors: np.ndarray | None = None  # (chunks, dim) unit vectors in `ids` order, if exact
    vector_bits: np.ndarray | None = None  # their signs (index/store/sign_bits.py)
    row: dict[str, int] = field(default_factory=dict)  # chunk id -> row
    sentences: SentenceTable = field(default_factory=SentenceTable)
    collection: Any = None  # Chroma's collection: needed only beyond exact search
    vector_store: Any = None

    @property
    def exact(self) -> bool:
        return self.vectors is not None


def context_of(meta: dict[str, Any]) -> str:
    """A chunk's title and author: words it is found by besides its text."""
    return " ".join(str(meta[k]) for k in ("title", "author") if meta.get(k))
