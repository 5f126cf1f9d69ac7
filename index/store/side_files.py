"""A generation's side files: what a process needs to answer, saved once per generation in
the data folder (`<data>/cache/generations/<prefix>/<generation>/`) and memory-mapped by
every process that answers from it, so that a process starts without reading Chroma and
several processes share one copy of the index through the page cache.

Chroma stays the source of truth; the side files are a cache anyone can rebuild from it.
The refresh that builds a generation writes them before publishing it, from the previous
generation's side files plus the documents it embedded. A reader opens them only if their
manifest names the same generation, format and word statistics and every file has the size
the manifest records; otherwise (missing, stale, cut short, from an older policybot) it
rebuilds them from Chroma, under a lock, so two processes don't both do it. With a Chroma
server on another machine, the first process on a machine to see a new generation pays
that rebuild (a full read of the collection, as every process did before side files); the
others then open the files it wrote.

Files are written into a temporary folder and renamed into place whole: a build killed
half-way leaves nothing a reader would trust. A process that has them mapped keeps reading
them after the folder is deleted (the refresh deletes a generation's files with it)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from index.documents import PageSpan
from index.errors import IndexNotReady
from index.ingest.attribution import ENTITIES_KEY, SPEAKERS_KEY
from index.store.catalog import Catalog
from index.store.chroma import ChromaStore
from index.store.generation import Bm25, CorpusStats, DocTerms, Generation, Passages, bm25_columns
from index.store.memory import return_freed_memory
from index.store.sentences import ARRAYS, DIM, VECTORS_KEY, SentenceTable, SentenceTableBuilder
from index.store.sign_bits import sign_bits
from index.text import TERMS_VERSION, terms

log = logging.getLogger(__name__)
# 2: sentence sign bits stored word-major; 3: chunk vectors column-major; 4: chunk vectors
# row-major again, with their sign bits; 5: each sentence's term ids
FORMAT = 5
MANIFEST = "manifest.json"
_ARRAYS = ("text_lo", "meta_lo", "doc_of", "tokens", "token_lo", "df", "doc_terms", "doc_lo")
# Parsed into the side files' own arrays (pages, sentences): not kept in a chunk's metadata.
_NOT_KEPT = frozenset({"pages", VECTORS_KEY, SPEAKERS_KEY, ENTITIES_KEY, "sentences"})


def cache_dir(data_dir: Path, prefix: str) -> Path:
    return data_dir / "cache" / "generations" / prefix


def context_of(meta: dict[str, Any]) -> str:
    """A chunk's title and author: words it is found by besides its text."""
    return " ".join(str(meta[k]) for k in ("title", "author") if meta.get(k))


# -- opening ---------------------------------------------------------------------------
def open_generation(folder: Path, name: str) -> Generation | None:
    """The generation `name` from its side files, or None if they are missing or not
    exactly what this version of policybot wrote for that generation."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    expected = {"format": FORMAT, "terms": TERMS_VERSION, "generation": name}
    if any(manifest.get(k) != v for k, v in expected.items()):
        log.info("side files of generation %s are stale: rebuilding them", name)
        return None
    for file, size in manifest.get("files", {}).items():
        try:
            if (folder / file).stat().st_size != size:
                raise OSError("size")
        except OSError:
            log.warning("side file %s of generation %s is damaged: rebuilding", file, name)
            return None
    try:
        return _open(folder, manifest)
    except (OSError, ValueError, KeyError) as e:
        log.warning("side files of generation %s unreadable (%s): rebuilding", name, e)
        return None


def _open(folder: Path, manifest: dict[str, Any]) -> Generation:
    def array(name: str) -> np.ndarray:
        # A plain array over the mapped file: np.memmap's own slicing costs ~3 µs a call.
        return np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r"))

    ids: list[str] = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
    docs: list[str] = json.loads((folder / "docs.json").read_text(encoding="utf-8"))
    vocab: dict[str, int] = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    row = {cid: i for i, cid in enumerate(ids)}
    bm25 = Bm25(vocab, array("bm25_data"), array("bm25_indices"), array("bm25_indptr"), len(ids))
    info = json.loads((folder / "sentences.json").read_text(encoding="utf-8"))
    sentences = SentenceTable(
        {k: array("s_" + k) for k in ARRAYS},
        info["docs"],
        [(str(w), str(v)) for w, v in info["speakers"]],
        [frozenset(k) for k in info["kinds"]],
        ids,
        _words(vocab),
    )
    return Generation(
        name=manifest["generation"],
        catalog=Catalog.from_json(manifest["catalog"]),
        ids=ids,
        records=Passages(row, array("texts"), array("text_lo"), array("metas"), array("meta_lo")),
        bm25=bm25,
        stats=CorpusStats(len(ids), vocab, array("df")),
        doc_terms=DocTerms(docs, array("doc_lo"), array("doc_terms"), vocab),
        doc_of=array("doc_of"),
        tokens=array("tokens"),
        token_lo=array("token_lo"),
        vectors=array("vectors"),
        vector_bits=array("vector_bits"),
        row=row,
        sentences=sentences,
    )


# -- building --------------------------------------------------------------------------
class _Parts:
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
        sentences = self.sentences.build(self.ids, _words(vocab))
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


def build(
    store: ChromaStore,
    folder: Path,
    catalog: Catalog,
    previous: Generation | None = None,
) -> None:
    """Write the side files of the generation `catalog` describes: the documents whose
    catalog entry is the same in `previous` are taken from it, the rest read from Chroma."""
    if catalog.collection is None or catalog.generation is None:
        raise IndexNotReady("the index is empty: run `policybot index` first")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp"
    tmp.mkdir()
    parts: _Parts | None = None
    try:
        parts = _Parts(previous, tmp)
        reuse = _reusable(previous, catalog)
        for path in sorted(reuse):
            parts.take_document(path)
        fetch = sorted(set(catalog.documents) - reuse)
        include = ["documents", "metadatas", "embeddings"]
        for name, paths in catalog.by_collection(fetch).items():
            # A collection holding only this generation's documents is read whole.
            whole = not reuse and len(catalog.collections) == 1
            collection = store.collection(name)
            for got in store.read("load chunks", collection, include, None if whole else paths):
                parts.add_page(got)
        if not parts.ids:
            raise IndexNotReady(
                "the index holds no documents: add sources and run `policybot index`"
            )
        parts.write(catalog)
        try:
            tmp.rename(folder)
        except OSError:  # another process wrote them first: theirs are as good
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if parts is not None:
            parts.close()
    log.info(
        "wrote side files of generation %s: %d chunks (%d documents kept from %s)",
        catalog.generation,
        len(parts.ids),
        len(reuse),
        previous.name if previous is not None and reuse else "none",
    )
    del parts
    return_freed_memory()


def load(
    store: ChromaStore, root: Path, name: str, previous: Generation | None = None
) -> Generation:
    """The live generation `name`: from its side files, written first if need be. A data
    folder that can't take them (read-only, full) gets them built for this process only,
    in a temporary folder that is gone once they are mapped."""
    folder = root / name
    found = open_generation(folder, name)
    if found is not None:
        return found
    try:
        with _build_lock(root):
            found = open_generation(folder, name)  # another process may have just written them
            if found is None:
                _build_from_store(store, root, name, previous)
                found = open_generation(folder, name)
    except OSError as e:
        log.warning(
            "can't write side files in %s (%s): building them for this process only",
            root,
            e.strerror or e,
        )
        with tempfile.TemporaryDirectory(prefix="policybot-side-files-") as tmp:
            _build_from_store(store, Path(tmp), name, previous)
            found = open_generation(Path(tmp) / name, name)  # mapped: outlives the folder
    if found is None:
        raise IndexNotReady(f"the side files of generation {name} could not be read back")
    return found


def _build_from_store(
    store: ChromaStore, root: Path, name: str, previous: Generation | None
) -> None:
    catalog = store.read_staged(name) or store.read_catalog()
    if catalog.generation != name:
        raise IndexNotReady(f"generation {name} is no longer in the store")
    if previous is None or not previous.exact:
        previous = newest_other(root, name)
    shutil.rmtree(root / name, ignore_errors=True)  # stale or damaged files of this name
    build(store, root / name, catalog, previous)


def newest_other(root: Path, name: str) -> Generation | None:
    """The newest other generation whose side files are intact: the documents it shares
    with `name` needn't be read from Chroma again."""
    try:
        others = sorted(
            (p for p in root.iterdir() if p.is_dir() and p.name != name and p.name[0] != "."),
            key=lambda p: p.name,
            reverse=True,
        )
    except OSError:
        return None
    for folder in others:
        found = open_generation(folder, folder.name)
        if found is not None:
            return found
    return None


def prune(root: Path, keep: set[str], abandoned: float = 3600.0) -> None:
    """Delete the side files of generations not in `keep`, and builds left half-done more
    than `abandoned` seconds ago (a younger one may be another process's, in progress)."""
    try:
        entries = list(root.iterdir())
    except OSError:
        return
    now = time.time()
    for path in entries:
        try:
            if not path.is_dir():
                continue
            if path.name.startswith("."):
                if path.name.endswith(".tmp") and now - path.stat().st_mtime > abandoned:
                    shutil.rmtree(path, ignore_errors=True)
            elif path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:  # gone meanwhile
            continue


def prune_older(root: Path, live: str) -> None:
    """Delete the side files of generations older than the live one (by their names, which
    start with when they were built): what a process that only answers does, so a machine
    that never refreshes doesn't keep every generation's files. Newer ones may be a refresh
    about to publish; a process still answering from deleted files keeps them mapped."""
    try:
        old = [p for p in root.iterdir() if p.is_dir() and p.name[0] != "." and p.name < live]
    except OSError:
        return
    for path in old:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _reusable(previous: Generation | None, catalog: Catalog) -> set[str]:
    """Documents whose catalog entry (hash, indexing time, chunk count) is the same in
    `previous`: a refresh copied them as they were."""
    if previous is None or not previous.exact:
        return set()
    known = set(previous.doc_terms.docs)
    return {
        path
        for path, entry in catalog.documents.items()
        if path in known and entry.same_version(previous.catalog.documents.get(path))
    }


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


def _words(vocab: dict[str, int]) -> list[str]:
    """The vocabulary the other way round: term id -> term."""
    words = [""] * (max(vocab.values(), default=0) + 1)
    for term, i in vocab.items():
        words[i] = term
    return words


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
