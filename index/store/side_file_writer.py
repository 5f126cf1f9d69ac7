"""Writing a generation's side files (index/store/side_files.py): its chunks gathered from
Chroma's pages or taken whole from the previous generation's files, then every array, the
vectors with their sign bits, and the manifest, last, into a temporary folder the caller
renames into place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from index.documents import PageSpan
from index.errors import IndexNotReady
from index.ingest.attribution import ENTITIES_KEY, SPEAKERS_KEY
from index.store.catalog import Catalog
from index.store.generation import Generation, bm25_columns, context_of
from index.store.sentence_table_builder import SentenceTableBuilder
from index.store.sentences import DIM, VECTORS_KEY
from index.store.sign_bits import sign_bits
from index.text import TERMS_VERSION, terms

# 2: sentence sign bits stored word-major; 3: chunk vectors column-major; 4: chunk vectors
# row-major again, with their sign bits; 5: each sentence's term ids
FORMAT = 5
MANIFEST = "manifest.json"
# Parsed into the side files' own arrays (pages, sentences): not kept in a chunk's metadata.
_NOT_KEPT = frozenset({"pages", VECTORS_KEY, SPEAKERS_KEY, ENTITIES_KEY, "sentences"})


class Parts:
    """A generation's chunks gathered for writing into the folder `tmp`: from Chroma, or
    whole documents taken from the previous generation's side files. Texts and metadata go
    straight to files and vectors are copied only when written, so the build holds little
    more than the chunks' terms. Terms are ids of a vocabulary that extends the previous
    generation's, so a document taken from it keeps its ids as they are (a term no
    document uses any more stays, with no chunk: harmless)."""

    def __init__(self, previous: Generation | None, tmp: Path) -> None:
        self.previous = previous
        self.tmp = tmp
        self.vocab: dict[str, int] = dict(previous.stats.vocab) if previous else {"": 0}
        self.ids: list[str] = []
        self.docs: list[str] = []
        self.tokens: list[np.ndarray] = []
        # (array, rows): rows of a previous generation's mapped vectors, or a page read
        # from Chroma (rows None); copied into the output when it is written.
        self.vectors: list[tuple[np.ndarray, np.ndarray | None]] = []
        self.sentences = SentenceTableBuilder()
        self._taken: list[str] = []
        self._texts = _Blob(tmp / "texts.raw")
        self._metas = _Blob(tmp / "metas.raw")

    def add_page(self, got: dict[str, Any]) -> None:
        """One page of chunks read from Chroma (ids, documents, metadatas, embeddings)."""
        for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            self._add_chunk(cid, text, meta)
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(-1, DIM)
        self.vectors.append((vectors, None))

    def _add_chunk(self, cid: str, text: str, meta: dict[str, Any]) -> None:
        row = len(self.ids)
        path = str(meta.get("path", ""))
        kept = {k: v for k, v in meta.items() if k[0] != "_" and k not in _NOT_KEPT}
        pages = _own_pages(text, meta)
        if pages:
            kept["pages"] = [[p.number, p.start, p.end] for p in pages]
        self.ids.append(cid)
        self._texts.add(text.encode("utf-8"))
        self._metas.add(json.dumps(kept, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        self.docs.append(path)
        self.tokens.append(np.asarray(self._term_ids(text + " " + context_of(kept)), np.int32))
        self.sentences.add_chunk(row, path, meta, text, self._term_ids)

    def _term_ids(self, text: str) -> list[int]:
        """The ids of a text's terms, new terms added to the vocabulary."""
        vocab = self.vocab
        return [vocab.setdefault(t, len(vocab)) for t in terms(text)]

    def take_document(self, path: str) -> None:
        """Every chunk of `path` as the previous generation holds it (vectors, words and
        sentences included): nothing read from Chroma, nothing stemmed again."""
        previous = self.previous
        assert previous is not None  # noqa: S101 - only documents of a previous are taken
        d = previous.doc_terms.docs.index(path)
        rows = np.flatnonzero(np.asarray(previous.doc_of) == d)
        for i in rows.tolist():
            self.ids.append(previous.ids[i])
            self._texts.add(previous.records.text_bytes(i))
            self._metas.add(previous.records.meta_bytes(i))
            self.docs.append(path)
            toks = previous.tokens[previous.token_lo[i] : previous.token_lo[i + 1]]
            self.tokens.append(np.array(toks[toks != 0], dtype=np.int32))
        if previous.vectors is None:
            raise IndexNotReady("the previous generation's side files have no vectors")
        self.vectors.append((previous.vectors, rows))
        self._taken.append(path)

    def write(self, catalog: Catalog) -> None:
        """Everything into the folder `tmp`, the manifest last."""
        tmp = self.tmp
        row = {cid: i for i, cid in enumerate(self.ids)}
        for path in self._taken:  # their chunks' rows are known only now
            assert self.previous is not None  # noqa: S101 - set when documents were taken
            self.sentences.add_document(path, self.previous.sentences, row)
        vocab = self.vocab
        sentences = self.sentences.build(self.ids, vocabulary_words(vocab))
        tokens = [t if len(t) else np.zeros(1, np.int32) for t in self.tokens]  # "" if empty
        self.tokens = []
        docs = sorted(set(self.docs))
        doc_index = {d: i for i, d in enumerate(docs)}
        doc_of = np.asarray([doc_index[d] for d in self.docs], dtype=np.int32)
        flat = np.concatenate(tokens) if tokens else np.zeros(0, np.int32)
        token_lo = np.cumsum([0, *(len(t) for t in tokens)], dtype=np.int64)
        del tokens
        bm25 = bm25_columns(flat, token_lo, len(vocab))
        # BM25's columns list, for each term, the chunks using it (once each): the term's
        # document frequency is its column's length, and every term of each document
        # comes from the distinct (document, term) pairs of those entries.
        _, chunks_of_terms, indptr = bm25
        per_term = np.diff(indptr)
        df = per_term.astype(np.int32)
        df[0] = 0
        width = np.int64(len(vocab))
        term_of = np.repeat(np.arange(len(vocab), dtype=np.int64), per_term)
        doc_pairs = np.unique(doc_of[chunks_of_terms].astype(np.int64) * width + term_of)
        del term_of
        doc_pairs = doc_pairs[doc_pairs % width != 0]
        doc_lo = np.searchsorted(doc_pairs // width, np.arange(len(docs) + 1), side="left")
        doc_terms = (doc_pairs % width).astype(np.int32)
        arrays: dict[str, np.ndarray] = {
            "text_lo": self._texts.offsets(),
            "meta_lo": self._metas.offsets(),
            "doc_of": doc_of,
            "tokens": flat,
            "token_lo": token_lo,
            "df": df,
            "doc_terms": doc_terms,
            "doc_lo": doc_lo.astype(np.int64),
            **{"s_" + k: np.asarray(v) for k, v in sentences.arrays.items()},
            **{"bm25_" + k: a for k, a in zip(("data", "indices", "indptr"), bm25, strict=True)},
        }
        for name, value in arrays.items():
            np.save(tmp / f"{name}.npy", value, allow_pickle=False)
        self._texts.save(tmp / "texts.npy")
        self._metas.save(tmp / "metas.npy")
        self._write_vectors(tmp / "vectors.npy", tmp / "vector_bits.npy")
        _write_json(tmp / "ids.json", self.ids)
        _write_json(tmp / "docs.json", docs)
        _write_json(
            tmp / "sentences.json",
            {
                "docs": sentences.docs,
                "speakers": [list(s) for s in sentences.speakers],
                "kinds": [sorted(k) for k in sentences.kinds],
            },
        )
        _write_json(tmp / "vocab.json", vocab)
        files = {str(p.relative_to(tmp)): p.stat().st_size for p in tmp.rglob("*") if p.is_file()}
        manifest = {
            "format": FORMAT,
            "terms": TERMS_VERSION,
            "generation": catalog.generation,
            "catalog": catalog.to_json(),
            "chunks": len(self.ids),
            "files": files,
        }
        _write_json(tmp / MANIFEST, manifest)  # last: its presence vouches for the rest

    def close(self) -> None:
        self._texts.close()
        self._metas.close()

    def _write_vectors(self, path: Path, bits_path: Path) -> None:
        """Every chunk's vector in row order, copied block by block into the output, and
        their sign bits (index/store/sign_bits.py), which find a question's candidates."""
        n = sum(len(a) if rows is None else len(rows) for a, rows in self.vectors)
        if n != len(self.ids):
            raise IndexNotReady(f"the store holds {n} vectors for {len(self.ids)} chunks")
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, DIM))
        bits = np.zeros((DIM // 64, n), dtype=np.uint64)
        at = 0
        for source, rows in self.vectors:
            block = source if rows is None else source[rows]
            out[at : at + len(block)] = block
            bits[:, at : at + len(block)] = sign_bits(block)
            at += len(block)
        out.flush()
        del out
        np.save(bits_path, bits, allow_pickle=False)


class _Blob:
    """Byte strings appended to a file as they come; saved as one uint8 .npy array."""

    def __init__(self, raw: Path) -> None:
        self.raw = raw
        self.file = raw.open("wb")
        self.lengths: list[int] = []

    def add(self, data: bytes) -> None:
        self.file.write(data)
        self.lengths.append(len(data))

    def offsets(self) -> np.ndarray:
        return np.cumsum([0, *self.lengths], dtype=np.int64)

    def save(self, path: Path) -> None:
        """As an .npy file (header, then the bytes), the raw file removed."""
        self.file.close()
        total = sum(self.lengths)
        with path.open("wb") as out, self.raw.open("rb") as src:
            header = {"descr": "|u1", "fortran_order": False, "shape": (total,)}
            np.lib.format.write_array_header_1_0(out, header)
            shutil.copyfileobj(src, out, 1 << 20)
        self.raw.unlink()

    def close(self) -> None:
        self.file.close()


def _own_pages(text: str, meta: dict[str, Any]) -> tuple[PageSpan, ...]:
    """The page spans the chunk's own text spans (indexes built before chunks kept only
    their own carry the whole document's table in every chunk)."""
    value = meta.get("pages")
    if not value:
        return ()
    start = int(meta.get("start", 0))
    end = int(meta.get("end", start + len(text)))
    spans = (PageSpan(int(n), int(a), int(b)) for n, a, b in json.loads(str(value)))
    return tuple(p for p in spans if p.start < end and p.end > start)


def vocabulary_words(vocab: dict[str, int]) -> list[str]:
    """The vocabulary the other way round: term id -> term."""
    words = [""] * (max(vocab.values(), default=0) + 1)
    for term, i in vocab.items():
        words[i] = term
    return words


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
