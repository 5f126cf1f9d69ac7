"""A vector for every sentence, computed when a document is indexed and kept with its
generation, so that answers choose their evidence by meaning at the cost of one query
embedding.

Each chunk's sentences are embedded once (a sentence two chunks share, once); the chunk's
own vector, which dense retrieval searches, is the normalised mean of its sentences'
vectors rather than a second embedding of the same words: the index then costs one pass of
the model over the text, as before (docs/benchmarks.md measures both).

The vectors travel in the chunk's Chroma metadata as int8 with one float32 scale each (388
bytes a sentence instead of 1,536), so a generation copied or reloaded carries them along,
and Chroma stays the one source of truth. Quantising moves a cosine by about 0.005.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.store.sign_bits import DIM, empty_bits, nearest_rows
from index.text import terms

VECTORS_KEY = "sentence_vectors"


def encode(vectors: np.ndarray) -> str:
    """(n, DIM) unit vectors as base64 of n × (float32 scale, DIM int8)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.abs(vectors).max(axis=1, keepdims=True) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(vectors / scale), -127, 127).astype(np.int8)
    rows = np.concatenate([scale.astype(np.float32).view(np.int8), q], axis=1)
    return base64.b64encode(rows.tobytes()).decode("ascii")


def decode(value: str) -> tuple[np.ndarray, np.ndarray]:
    """`encode`'s text back as (int8 rows (n, DIM), float32 scales (n,))."""
    raw = np.frombuffer(base64.b64decode(value), dtype=np.int8).reshape(-1, DIM + 4)
    scales = raw[:, :4].copy().view(np.float32).reshape(-1)
    return raw[:, 4:].copy(), scales


Speaker = tuple[str, str]  # who, as the text names them; the reporting verb ("argued") or ""


def speaker_name(speaker: Speaker | None) -> str | None:
    """Who says a sentence, as the text names them (None: nobody it names)."""
    return speaker[0] if speaker else None


def name_word(phrase: str) -> str:
    """The last word of the name a speaker phrase starts with, before any apposition
    ("Prentis" in "Dave Prentis, general secretary of Unison"); of a description, its noun
    before what qualifies it ("people" in "the people at the helm of Momentum")."""
    name = phrase.split(",")[0].split()
    if name and name[0].lower() in _ARTICLES:
        cut = next((i for i, w in enumerate(name) if w.lower() in _QUALIFYING and i > 1), None)
        name = name[:cut]
    return name[-1] if name else ""


def same_person(a: str, b: str) -> bool:
    """Do two phrases name one person by the last word of their names ("Mr Prentis",
    "Dave Prentis, general secretary of Unison")?"""
    x, y = name_word(a), name_word(b)
    return bool(x) and x.lower() == y.lower() and x[0].isupper() and y[0].isupper()


_ARTICLES = frozenset({"the", "a", "an"})
_QUALIFYING = frozenset({"of", "at", "in", "for", "from", "with", "on", "who", "which", "that"})


# Sentence search: candidates by Hamming distance between sign bits (index/store/sign_bits.py;
# about a millisecond over 75,000 sentences), then exact cosines for this many per result.
RESCORE = 8
# The arrays of a table, as saved with a generation's side files (index/store/side_files.py).
ARRAYS = (
    "q8",
    "scales",
    "bits",
    "chunk_of",
    "starts",
    "ends",
    "rows",
    "doc_lo",
    "speaker",
    "kinds",
    "term_lo",
    "term_ids",
)


class SentenceTable:
    """Every sentence of a generation: looked up by span for the passages a question
    retrieved, and searched by meaning. Plain arrays (memory-mapped when loaded from side
    files), sorted by document then position; vectors stay int8 (384 bytes a sentence)."""

    def __init__(
        self,
        arrays: dict[str, np.ndarray] | None = None,
        docs: list[str] | None = None,
        speakers: list[Speaker] | None = None,
        kinds: list[frozenset[str]] | None = None,
        chunk_ids: list[str] | None = None,
        words: list[str] | None = None,
    ) -> None:
        a = arrays or empty_arrays()
        self.arrays = a
        self.q8, self.scales, self.bits = a["q8"], a["scales"], a["bits"]
        self.chunk_of = a["chunk_of"]  # row -> row (in chunk_ids) of the first chunk holding it
        self.docs = docs or []
        self.speakers = speakers or []  # distinct (who, verb) pairs; a sentence's index or -1
        self.kinds = kinds or []  # distinct sets of entity kinds; a sentence's index or -1
        self.chunk_ids = chunk_ids or []
        # term id -> term (the generation's vocabulary): each sentence's terms are kept as
        # ids, worked out when it was indexed (term_ids[term_lo[i]:term_lo[i + 1]]).
        self.words = words or [""]
        self._doc = {d: i for i, d in enumerate(self.docs)}
        self._described: dict[str, frozenset[str]] | None = None
        self._keys: np.ndarray | None = None  # (document, start) of each sentence, made on use

    def described(self, who: str) -> frozenset[str]:
        """The terms of every phrase the library names `who` by: phrases ending their name
        in the same capitalised word are one person ("Mr Prentis", "Dave Prentis, general
        secretary of Unison"); any other phrase stands alone ("delegates")."""
        if self._described is None:
            by_name: dict[str, set[str]] = {}
            for phrase, _ in self.speakers:
                by_name.setdefault(_person_key(phrase), set()).update(terms(phrase))
            self._described = {
                phrase: frozenset(by_name[_person_key(phrase)]) for phrase, _ in self.speakers
            }
        return self._described.get(who) or frozenset(terms(who))

    def __len__(self) -> int:
        return len(self.scales)

    def search(self, vector: np.ndarray, pool: int) -> dict[str, float]:
        """Chunks holding the sentences nearest `vector`, by their best sentence's cosine,
        best first (at most `pool`)."""
        if not len(self.scales):
            return {}
        q = np.asarray(vector, dtype=np.float32)
        rows = nearest_rows(self.bits, q, RESCORE * pool)
        cosines = (self.q8[rows].astype(np.float32) @ q) * self.scales[rows]
        order = np.argsort(-cosines, kind="stable")
        chunks = self.chunk_of[rows[order]]
        # each chunk by its best sentence: the first time it appears in that order
        _, first = np.unique(chunks, return_index=True)
        first = np.sort(first)[:pool]
        return {self.chunk_ids[int(chunks[i])]: float(cosines[order[i]]) for i in first}

    def positions(self, doc_id: str) -> tuple[int, int]:
        """The [lo, hi) of a document's sentences in the sorted arrays."""
        d = self._doc.get(doc_id)
        if d is None:
            return 0, 0
        lo, hi = self.arrays["doc_lo"][d : d + 2]
        return int(lo), int(hi)

    def within(self, doc_id: str, start: int, end: int) -> SentenceBlock:
        """The sentences inside [start, end) of a document, in order."""
        return self.within_many([(doc_id, start, end)])[0]

    def within_many(self, spans: Sequence[tuple[str, int, int]]) -> list[SentenceBlock]:
        """`within` for each (document, start, end), looked up together: a question reads a
        dozen passages, and numpy's cost per call was most of looking them up one by one."""
        a = self.arrays
        n = len(spans)
        docs = np.array([self._doc.get(d, -1) for d, _, _ in spans], dtype=np.int64)
        known = docs >= 0
        lo = np.where(known, a["doc_lo"][np.maximum(docs, 0)], 0)
        hi = np.where(known, a["doc_lo"][np.maximum(docs, 0) + 1], 0)
        starts = np.array([s for _, s, _ in spans], dtype=np.int64)
        ends = np.array([e for _, _, e in spans], dtype=np.int64)
        # Sentences are sorted by document then start: within [lo, hi) of a document, the
        # first starting at or after `start` and the last starting before `end`.
        key = self._doc_keys()
        doc_key = np.maximum(docs, 0) << 32
        first = np.clip(np.searchsorted(key, doc_key + starts, side="left"), lo, hi)
        last = np.clip(np.searchsorted(key, doc_key + ends - 1, side="right"), first, hi)
        counts = last - first
        # every candidate position, and which span it is for
        span_of = np.repeat(np.arange(n), counts)
        picked = _ranges(first, counts)
        keep = a["ends"][picked] <= ends[span_of]
        picked, span_of = picked[keep], span_of[keep]
        rows = a["rows"][picked]
        vectors = self.q8[rows].astype(np.float32)
        vectors /= np.sqrt(np.maximum(np.einsum("ij,ij->i", vectors, vectors), 1e-24))[:, None]
        at = np.searchsorted(span_of, np.arange(n + 1)).tolist()
        starts_all = a["starts"][picked].tolist()
        ends_all = a["ends"][picked].tolist()
        speakers = [self.speakers[w] if w >= 0 else None for w in a["speaker"][picked].tolist()]
        kinds = [self.kinds[k] if k >= 0 else None for k in a["kinds"][picked].tolist()]
        terms = self._terms(picked)
        return [
            SentenceBlock(
                starts_all[b:e], ends_all[b:e], vectors[b:e], speakers[b:e], kinds[b:e], terms[b:e]
            )
            if e > b
            else SentenceBlock.empty()
            for b, e in itertools.pairwise(at)
        ]

    def _terms(self, picked: np.ndarray) -> list[frozenset[str]]:
        """The terms of each of these sentences (positions in the sorted arrays)."""
        lo_all = self.arrays["term_lo"]
        lo = lo_all[picked]
        counts = lo_all[picked + 1] - lo
        ids = self.arrays["term_ids"][_ranges(lo, counts)].tolist()
        words = self.words
        ends = np.cumsum(counts).tolist()
        return [
            frozenset([words[t] for t in ids[e - n : e]])
            for e, n in zip(ends, counts.tolist(), strict=True)
        ]

    def _doc_keys(self) -> np.ndarray:
        """Each sentence's (document, start) as one sortable int64: document << 32 | start."""
        if self._keys is None:
            a = self.arrays
            doc = np.repeat(np.arange(len(a["doc_lo"]) - 1, dtype=np.int64), np.diff(a["doc_lo"]))
            self._keys = (doc << 32) | a["starts"].astype(np.int64)
        return self._keys


def _ranges(lo: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """lo[0], lo[0] + 1, … (counts[0] of them), then the same from lo[1], …, concatenated."""
    return np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))


@dataclass(frozen=True)
class SentenceBlock:
    """Consecutive sentences of a document as columns: their spans, their unit vectors (one
    row each), who says each and the kinds of named entities in each (None: not known)."""

    starts: list[int]
    ends: list[int]
    vectors: np.ndarray
    speakers: list[Speaker | None]
    entities: list[frozenset[str] | None]
    terms: list[frozenset[str]]  # each one's stemmed content words (index.text.terms)

    @classmethod
    def empty(cls) -> SentenceBlock:
        return cls([], [], np.zeros((0, DIM), dtype=np.float32), [], [], [])

    def __len__(self) -> int:
        return len(self.starts)


def _person_key(phrase: str) -> str:
    """Who a speaker phrase names: the last word of its name (before any apposition) when
    capitalised ("Prentis"), else the whole phrase."""
    last = name_word(phrase).strip("'’")
    return last if last[:1].isupper() else phrase


def empty_arrays() -> dict[str, np.ndarray]:
    return {
        "q8": np.zeros((0, DIM), dtype=np.int8),
        "scales": np.zeros(0, dtype=np.float32),
        "bits": empty_bits(),
        "chunk_of": np.zeros(0, dtype=np.int32),
        "starts": np.zeros(0, dtype=np.int64),
        "ends": np.zeros(0, dtype=np.int64),
        "rows": np.zeros(0, dtype=np.int64),
        "doc_lo": np.zeros(1, dtype=np.int64),
        "speaker": np.zeros(0, dtype=np.int32),
        "kinds": np.zeros(0, dtype=np.int32),
        "term_lo": np.zeros(1, dtype=np.int64),
        "term_ids": np.zeros(0, dtype=np.int32),
    }
