"""Building a generation's sentence table (index/store/sentences.py): each chunk's
sentences, as its Chroma metadata stores them (vectors, spans, speakers, entity kinds), or
whole documents copied from the previous generation's table, packed into one table."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.documents import spans_from_str
from index.ingest.attribution import ENTITIES_KEY, SPEAKERS_KEY
from index.store.sentences import VECTORS_KEY, SentenceTable, Speaker, decode, empty_arrays
from index.store.sign_bits import sign_bits


@dataclass
class _DocSentences:
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    speakers: list[Speaker | None] = field(default_factory=list)
    entities: list[frozenset[str] | None] = field(default_factory=list)
    terms: list[np.ndarray] = field(default_factory=list)


class SentenceTableBuilder:
    """Collects a generation's sentences chunk by chunk (or whole documents from another
    generation's table), then packs them into a SentenceTable."""

    def __init__(self) -> None:
        self._docs: dict[str, _DocSentences] = {}
        self._blocks: list[np.ndarray] = []
        self._scales: list[np.ndarray] = []
        self._chunk_of: list[int] = []
        self._count = 0

    def add_chunk(
        self,
        chunk_row: int,
        doc_id: str,
        meta: dict[str, Any],
        text: str,
        term_ids: Callable[[str], list[int]],
    ) -> None:
        """Take in one chunk's sentences (its metadata as stored, its text); shared ones
        once. `term_ids`: the vocabulary's ids of a text's terms."""
        value = meta.get(VECTORS_KEY)
        spans_value = meta.get("sentences")
        if not value or not spans_value:
            return
        base = int(meta.get("start", 0))
        spans = spans_from_str(str(spans_value), base)
        q8, scales = decode(str(value))
        speakers = _speakers(meta.get(SPEAKERS_KEY), len(spans))
        entities = _entities(meta.get(ENTITIES_KEY), len(spans))
        doc = self._docs.setdefault(doc_id, _DocSentences())
        known = set(doc.starts)
        fresh = [i for i, s in enumerate(spans) if s.start not in known]
        if not fresh:
            return
        self._blocks.append(q8[fresh])
        self._scales.append(scales[fresh])
        for i in fresh:
            start, end = spans[i].start, spans[i].end
            words = np.unique(np.asarray(term_ids(text[start - base : end - base]), np.int32))
            self._add(doc, start, end, speakers[i], entities[i], chunk_row, words)

    def _add(
        self,
        doc: _DocSentences,
        start: int,
        end: int,
        speaker: Speaker | None,
        kinds: frozenset[str] | None,
        chunk_row: int,
        terms: np.ndarray,
    ) -> None:
        doc.starts.append(start)
        doc.ends.append(end)
        doc.rows.append(self._count)
        doc.speakers.append(speaker)
        doc.entities.append(kinds)
        doc.terms.append(terms)
        self._chunk_of.append(chunk_row)
        self._count += 1

    def add_document(self, doc_id: str, other: SentenceTable, chunk_row: dict[str, int]) -> None:
        """Copy one document's sentences from another generation's table; `chunk_row` maps
        the chunk ids to their rows in the generation being built. Its term ids stay as
        they are: the vocabulary being built extends that generation's."""
        lo, hi = other.positions(doc_id)
        if lo == hi:
            return
        a = other.arrays
        rows = np.asarray(a["rows"][lo:hi])
        self._blocks.append(np.asarray(other.q8[rows]))
        self._scales.append(np.asarray(other.scales[rows]))
        doc = self._docs.setdefault(doc_id, _DocSentences())
        term_lo = a["term_lo"]
        for i in range(lo, hi):
            who, kinds = int(a["speaker"][i]), int(a["kinds"][i])
            self._add(
                doc,
                int(a["starts"][i]),
                int(a["ends"][i]),
                other.speakers[who] if who >= 0 else None,
                other.kinds[kinds] if kinds >= 0 else None,
                chunk_row[other.chunk_ids[int(other.chunk_of[int(a["rows"][i])])]],
                np.array(a["term_ids"][term_lo[i] : term_lo[i + 1]], dtype=np.int32),
            )

    def build(self, chunk_ids: list[str], words: list[str]) -> SentenceTable:
        """The table: vectors packed, each document's sentences in order of position;
        `words`: the vocabulary, term id -> term."""
        a = empty_arrays()
        if self._blocks:
            a["q8"] = np.concatenate(self._blocks)
            a["scales"] = np.concatenate(self._scales).astype(np.float32)
            self._blocks, self._scales = [], []  # not held twice
            a["bits"] = sign_bits(a["q8"])
            a["chunk_of"] = np.asarray(self._chunk_of, dtype=np.int32)
        docs = sorted(self._docs)
        speakers: dict[Speaker, int] = {}
        kinds: dict[frozenset[str], int] = {}
        starts: list[int] = []
        ends: list[int] = []
        rows: list[int] = []
        who: list[int] = []
        what: list[int] = []
        terms: list[np.ndarray] = []
        doc_lo = [0]
        for d in docs:
            doc = self._docs[d]
            for i in sorted(range(len(doc.starts)), key=doc.starts.__getitem__):
                starts.append(doc.starts[i])
                ends.append(doc.ends[i])
                rows.append(doc.rows[i])
                s, k = doc.speakers[i], doc.entities[i]
                who.append(-1 if s is None else speakers.setdefault(s, len(speakers)))
                what.append(-1 if k is None else kinds.setdefault(k, len(kinds)))
                terms.append(doc.terms[i])
            doc_lo.append(len(starts))
        a["starts"] = np.asarray(starts, dtype=np.int64)
        a["ends"] = np.asarray(ends, dtype=np.int64)
        a["rows"] = np.asarray(rows, dtype=np.int64)
        a["doc_lo"] = np.asarray(doc_lo, dtype=np.int64)
        a["speaker"] = np.asarray(who, dtype=np.int32)
        a["kinds"] = np.asarray(what, dtype=np.int32)
        a["term_lo"] = np.cumsum([0, *(len(t) for t in terms)], dtype=np.int64)
        a["term_ids"] = np.concatenate(terms) if terms else np.zeros(0, dtype=np.int32)
        return SentenceTable(a, docs, list(speakers), list(kinds), chunk_ids, words)


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
