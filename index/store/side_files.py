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

from index.errors import IndexNotReady
from index.store.catalog import Catalog
from index.store.chroma import ChromaStore
from index.store.generation import Bm25, CorpusStats, DocTerms, Generation, Passages
from index.store.memory import return_freed_memory
from index.store.sentences import ARRAYS, SentenceTable
from index.store.side_file_writer import FORMAT, MANIFEST, Parts, vocabulary_words
from index.text import TERMS_VERSION

log = logging.getLogger(__name__)
_ARRAYS = ("text_lo", "meta_lo", "doc_of", "tokens", "token_lo", "df", "doc_terms", "doc_lo")


def cache_dir(data_dir: Path, prefix: str) -> Path:
    return data_dir / "cache" / "generations" / prefix


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
        vocabulary_words(vocab),
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
    parts: Parts | None = None
    try:
        parts = Parts(previous, tmp)
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
