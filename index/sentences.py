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
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.attribution import ENTITIES_KEY, SPEAKERS_KEY
from index.documents import spans_from_str

DIM = 384
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


@dataclass(frozen=True)
class SentenceRef:
    """One sentence of a document: its span, its vector (unit, float32) and who says it."""

    start: int
    end: int
    vector: np.ndarray
    speaker: Speaker | None = None
    entities: frozenset[str] | None = None  # kinds of named entities ("DATE"); None: unknown


@dataclass
class _DocSentences:
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    speakers: list[Speaker | None] = field(default_factory=list)
    entities: list[frozenset[str] | None] = field(default_factory=list)


# Sentence search: candidates by Hamming distance between sign bits (48 bytes a sentence,
# a few milliseconds over 150,000 sentences), then exact cosines for this many per result.
RESCORE = 8


class SentenceTable:
    """Every sentence of a generation, by document: looked up by span for the passages a
    question retrieved. Vectors stay int8 in memory (384 bytes a sentence)."""

    def __init__(self) -> None:
        self._docs: dict[str, _DocSentences] = {}
        self._blocks: list[np.ndarray] = []
        self._scales: list[np.ndarray] = []
        self._count = 0
        self.q8: np.ndarray = np.zeros((0, DIM), dtype=np.int8)
        self.scales: np.ndarray = np.zeros(0, dtype=np.float32)
        self.bits: np.ndarray = np.zeros((0, DIM // 64), dtype=np.uint64)
        self.chunk_of: list[str] = []  # row -> id of the (first) chunk holding the sentence

    def __len__(self) -> int:
        return len(self.scales)

    def add_chunk(self, chunk_id: str, doc_id: str, meta: dict[str, Any]) -> None:
        """Take in one chunk's sentences (its metadata as stored); shared ones once."""
        value = meta.get(VECTORS_KEY)
        spans_value = meta.get("sentences")
        if not value or not spans_value:
            return
        spans = spans_from_str(str(spans_value), int(meta.get("start", 0)))
        q8, scales = decode(str(value))
        speakers = _speakers(meta.get(SPEAKERS_KEY), len(spans))
        entities = _entities(meta.get(ENTITIES_KEY), len(spans))
        doc = self._docs.setdefault(doc_id, _DocSentences())
        known = set(doc.starts)  # before freeze: a list
        fresh = [i for i, s in enumerate(spans) if s.start not in known]
        if not fresh:
            return
        self._blocks.append(q8[fresh])
        self._scales.append(scales[fresh])
        for i in fresh:
            doc.starts.append(spans[i].start)
            doc.ends.append(spans[i].end)
            doc.rows.append(self._count)
            doc.speakers.append(speakers[i])
            doc.entities.append(entities[i])
            self.chunk_of.append(chunk_id)
            self._count += 1

    def add_document(self, doc_id: str, other: SentenceTable) -> None:
        """Copy one document's sentences from another generation's table."""
        theirs = other._docs.get(doc_id)
        if theirs is None:
            return
        self._blocks.append(other.q8[theirs.rows])
        self._scales.append(other.scales[theirs.rows])
        n = len(theirs.rows)
        self.chunk_of.extend(other.chunk_of[r] for r in theirs.rows)
        self._docs[doc_id] = _DocSentences(
            [int(x) for x in theirs.starts],
            [int(x) for x in theirs.ends],
            list(range(self._count, self._count + n)),
            list(theirs.speakers),
            list(theirs.entities),
        )
        self._count += n

    def freeze(self) -> SentenceTable:
        """Pack the blocks into one array and sort each document by position."""
        if self._blocks:
            self.q8 = np.concatenate(self._blocks)
            self.scales = np.concatenate(self._scales)
            self.bits = np.packbits(self.q8 > 0, axis=1).view(np.uint64)
        self._blocks, self._scales = [], []
        for doc in self._docs.values():
            order = np.argsort(np.asarray(doc.starts, dtype=np.int64), kind="stable")
            # Arrays, not lists of Python ints: ~150,000 sentences on a large library.
            doc.starts = np.asarray(doc.starts, dtype=np.int64)[order]  # type: ignore[assignment]
            doc.ends = np.asarray(doc.ends, dtype=np.int64)[order]  # type: ignore[assignment]
            doc.rows = np.asarray(doc.rows, dtype=np.int64)[order]  # type: ignore[assignment]
            doc.speakers = [doc.speakers[i] for i in order]
            doc.entities = [doc.entities[i] for i in order]
        return self

    def search(self, vector: np.ndarray, pool: int) -> dict[str, float]:
        """Chunks holding the sentences nearest `vector`, by their best sentence's cosine,
        best first (at most `pool`)."""
        if not len(self.scales):
            return {}
        q = np.asarray(vector, dtype=np.float32)
        qbits = np.packbits(q > 0).view(np.uint64)
        distance = np.bitwise_count(self.bits ^ qbits).sum(axis=1)
        n = min(len(distance), RESCORE * pool)
        rows = np.argpartition(distance, n - 1)[:n] if n < len(distance) else np.arange(n)
        cosines = (self.q8[rows].astype(np.float32) @ q) * self.scales[rows]
        best: dict[str, float] = {}
        for i in np.argsort(-cosines):
            cid = self.chunk_of[int(rows[i])]
            if cid not in best:
                best[cid] = float(cosines[i])
                if len(best) == pool:
                    break
        return best

    def within(self, doc_id: str, start: int, end: int) -> list[SentenceRef]:
        """The sentences inside [start, end) of a document, in order."""
        doc = self._docs.get(doc_id)
        if doc is None:
            return []
        starts = np.asarray(doc.starts)
        lo = int(np.searchsorted(starts, start, side="left"))
        hi = int(np.searchsorted(starts, end - 1, side="right"))
        rows = [int(doc.rows[i]) for i in range(lo, hi) if doc.ends[i] <= end]
        if not rows:
            return []
        vectors = self.q8[rows].astype(np.float32) * self.scales[rows, None]
        vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        out = []
        k = 0
        for i in range(lo, hi):
            if doc.ends[i] <= end:
                out.append(
                    SentenceRef(
                        int(doc.starts[i]),
                        int(doc.ends[i]),
                        vectors[k],
                        doc.speakers[i],
                        doc.entities[i],
                    )
                )
                k += 1
        return out


def _speakers(value: Any, n: int) -> list[Speaker | None]:
    """The chunk's stored speakers ([who, verb] or null per sentence), n of them."""
    if not value:
        return [None] * n
    got = [(str(s[0]), str(s[1])) if s else None for s in json.loads(str(value))]
    return got[:n] + [None] * max(0, n - len(got))


_KIND_SETS: dict[str, frozenset[str]] = {}  # one frozenset per combination of kinds


def _entities(value: Any, n: int) -> list[frozenset[str] | None]:
    """The chunk's stored entity kinds ("PERSON DATE|GPE|" …), n of them; None if absent."""
    if value is None:
        return [None] * n
    got: list[frozenset[str] | None] = [
        _KIND_SETS.setdefault(p, frozenset(p.split())) for p in str(value).split("|")
    ]
    return got[:n] + [None] * max(0, n - len(got))
