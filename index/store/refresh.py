"""Bring the index in line with the sources folder, incrementally and atomically.

New and changed documents (by SHA-256 of the file) are chunked and embedded; unchanged
ones are copied with their existing vectors into a new generation; deleted ones are left
out. Only when the new generation is complete is it published, so questions are answered
from the previous complete index until then, and a refresh that dies changes nothing.
Publishing is compare-and-set against the version the refresh started from (see
index/store/chroma.py), so refreshes on several machines sharing one Chroma server never publish
over each other; the file lock only keeps two on one data folder from doing double work.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.documents import SourceDocument
from index.errors import PublishConflict, StoreUnavailable
from index.ingest.chunking import CHUNKER_VERSION, STRUCTURE_KEY, SentenceChunker, chunk_text
from index.search.retrieval import EXACT_MAX_CHUNKS
from index.settings import Settings
from index.store import live_pointer, side_files
from index.store.catalog import Catalog, DocEntry
from index.store.chroma import ChromaStore
from index.store.crash_points import crash_point
from index.store.memory import return_freed_memory
from index.store.refresh_lock import refresh_lock
from index.store.refresh_plan import plan
from index.store.refresh_report import Progress, RefreshReport

log = logging.getLogger(__name__)
DOCS_PER_BATCH = 16
# Collections a generation may read its documents from before a refresh copies them all
# into one again (readers rebuilding side files read each; see _carry_unchanged).
MAX_COLLECTIONS = 16


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _node_metadata(doc: SourceDocument) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "path": doc.doc_id,
        "title": doc.title,
        "source": doc.source,
        "sha256": doc.sha256,
    }
    for key in ("author", "date", "site", "url"):
        if key in doc.metadata:
            meta[key] = doc.metadata[key]
    if doc.pages:
        meta["pages"] = json.dumps([[p.number, p.start, p.end] for p in doc.pages])
    if doc.structure:
        meta[STRUCTURE_KEY] = json.dumps([[s.kind, s.start, s.end] for s in doc.structure])
    return meta


def _chunk_count(docs: list[SourceDocument]) -> int:
    """How many chunks the refresh's chunker makes of `docs`."""
    chunker = SentenceChunker()
    size = (chunker.target_words, chunker.max_words, chunker.overlap)
    return sum(len(chunk_text(d.doc_id, d.text, *size, d.structure)) for d in docs)


class Refresher:
    """Runs one refresh against a store, with an embedding model (llama-index BaseEmbedding)."""

    def __init__(
        self, settings: Settings, store: ChromaStore, embed_model: Any, add_batch: int = 0
    ) -> None:
        self.settings = settings
        self.store = store
        self.embed_model = embed_model
        self.add_batch = add_batch  # vectors per Chroma add; 0: the store's own limit

    def plan(self, catalog: Catalog) -> tuple[RefreshReport, list[SourceDocument]]:
        """Work out the diff without writing anything (index/store/refresh_plan.py)."""
        return plan(self.settings.sources_dir, catalog, rebuild=not self._compatible(catalog))

    def _compatible(self, catalog: Catalog) -> bool:
        """Vectors from another model or chunker can't be mixed in: rebuild everything."""
        model = getattr(self.embed_model, "model_name", "")
        return catalog.collection is not None and (
            catalog.embed_model == model and catalog.chunker == CHUNKER_VERSION
        )

    def run(self, dry_run: bool = False, progress: Progress | None = None) -> RefreshReport:
        started = time.perf_counter()
        progress = progress or (lambda stage, done, total: None)
        if dry_run:
            catalog = self.store.read_catalog()
            report, docs = self.plan(catalog)
            report.dry_run = True
            # What the run would give: the new and changed documents chunked (not embedded).
            report.embedded_chunks = _chunk_count(docs)
            self._totals(report, catalog, docs)
        else:
            with refresh_lock(self.settings.data_dir):
                live_pointer.forget(self.settings.data_dir, self.store.prefix)
                try:
                    report = self._apply(progress)
                finally:
                    self._note_live()
        report.seconds = time.perf_counter() - started
        return report

    def _note_live(self) -> None:
        """Note the live generation for readers; if Chroma can't say, readers ask it."""
        try:
            self.store.note_live_generation()
        except Exception as e:  # the store failed: the refresh's own error says how
            log.debug("live generation not noted: %s", e)

    def _totals(self, report: RefreshReport, catalog: Catalog, docs: list[SourceDocument]) -> None:
        kept = [d for d in report.unchanged if d in catalog.documents]
        report.documents = len(kept) + len(docs)
        report.chunks = sum(catalog.documents[d].chunks for d in kept) + report.embedded_chunks

    def _apply(self, progress: Progress) -> RefreshReport:
        from chromadb.errors import NotFoundError

        # Finish a publish that a process died in the middle of, then start from the live
        # catalog: the version this refresh's publish is compare-and-set against.
        catalog = self.store.point_to_latest()
        report, docs = self.plan(catalog)
        generations = self._clean(catalog)
        if not report.changed and catalog.collection in generations:
            self._totals(report, catalog, [])
            self._ensure_side_files(catalog)
            return report
        if catalog.collection is None and not docs:
            # A first build with nothing readable publishes no empty index: there is still
            # none, so `ask` builds one once a source can be read (and says why it can't).
            return report
        generation, collection = self.store.new_generation()
        try:
            entries = self._carry_unchanged(catalog, report, collection, progress)
            crash_point("after_copy")
            entries.update(self._embed(docs, collection, report, progress))
            new = Catalog(
                version=catalog.version + 1,
                generation=generation,
                collection=collection.name,
                refreshed_at=_now(),
                embed_model=getattr(self.embed_model, "model_name", ""),
                chunker=CHUNKER_VERSION,
                documents=dict(sorted(entries.items())),
            )
            progress("publishing", 1, 1)
            self._write_side_files(new, catalog)
            crash_point("before_publish")
            self.store.stage(new)
        except StoreUnavailable as e:
            self._drop_quietly(collection.name)
            raise StoreUnavailable(f"{e}; the previous index is unchanged") from e
        except NotFoundError:  # the generation it copied from was dropped: it is long gone
            self._drop_quietly(collection.name)
            raise PublishConflict(
                "the index this refresh started from was replaced and dropped while it ran; "
                "run the refresh again"
            ) from None
        except BaseException:
            self._drop_quietly(collection.name)
            raise
        self._publish(new)
        try:
            self._clean(new)
        except StoreUnavailable as e:  # published all the same; the next refresh cleans up
            log.warning("could not drop old generations after publishing: %s", e)
        return_freed_memory()  # what embedding and copying the vectors allocated
        report.generation = generation
        report.documents = len(new.documents)
        report.chunks = new.chunk_count
        log.info(
            "published generation %s (version %d: %d documents, %d chunks)",
            generation,
            new.version,
            report.documents,
            report.chunks,
        )
        return report

    def _clean(self, live: Catalog) -> list[str]:
        """Drop generations nobody can need any more (see ChromaStore.clean), and their
        side files."""
        left = self.store.clean(
            live,
            grace=self.settings.generation_grace_seconds,
            abandoned=self.settings.abandoned_build_seconds,
        )
        # Side files: those a reader may still load (published, within the grace period).
        keep = {generation for _, generation, _ in self.store.tickets()}
        side_files.prune(self._side_files, keep | {str(live.generation)})
        return left

    @property
    def _side_files(self) -> Path:
        return side_files.cache_dir(self.settings.data_dir, self.store.prefix)

    def _write_side_files(self, new: Catalog, old: Catalog) -> None:
        """The new generation's side files, from the old one's and the documents just
        embedded, so that readers open it at once. A failure here costs readers a rebuild
        from Chroma, not the refresh."""
        if not new.documents:
            return  # nothing to answer from: readers say so
        return_freed_memory()  # what copying and embedding freed, before the build allocates
        root = self._side_files
        previous = None
        if old.generation:
            previous = side_files.open_generation(root / old.generation, old.generation)
        try:
            side_files.build(self.store, root / str(new.generation), new, previous)
        except StoreUnavailable:
            raise
        except Exception as e:
            log.warning("could not write the side files of the new index (%s)", e)
            log.debug("side files", exc_info=True)

    def _ensure_side_files(self, live: Catalog) -> None:
        """The live generation's side files, written if missing (an index built by an
        older policybot, or the cache deleted): `policybot index` leaves them ready."""
        if not live.generation or not live.documents:
            return
        try:  # opens them if they are there and whole, else writes them
            side_files.load(self.store, self._side_files, live.generation)
        except StoreUnavailable:
            raise
        except Exception as e:
            log.warning("could not write the side files of the index (%s)", e)

    def _publish(self, new: Catalog) -> None:
        """Compare-and-set `new` against the catalog it was built from. A lost race drops
        this refresh's generation (nobody can be reading it); any other failure after the
        claim leaves it, since it may be live: the age-based clean-up decides later."""
        try:
            self.store.claim(new)
        except PublishConflict as e:
            log.info("refresh not published: %s", e)
            self._drop_quietly(str(new.collection), new.generation)
            raise
        crash_point("mid_publish")  # claimed, not yet pointed to: the next refresh finishes it
        self.store.point_to_latest()
        crash_point("after_publish")

    def _drop_quietly(self, name: str, generation: str | None = None) -> None:
        try:
            if generation:
                self.store.forget(name, generation)
            else:
                self.store.drop(name)
        except Exception as e:  # the next refresh clears left-overs anyway
            log.warning("could not drop unfinished collection %s (%s)", name, e)
            log.debug("drop", exc_info=True)

    def _carry_unchanged(
        self, catalog: Catalog, report: RefreshReport, target: Any, progress: Progress
    ) -> dict[str, DocEntry]:
        """The unchanged documents' entries. The new generation reads their chunks where
        they already are (the collections of the generations that embedded them): nothing
        is copied. Once that would mean reading more than MAX_COLLECTIONS collections, or a
        library too large for exact search (HNSW searches one collection), everything is
        copied into the new generation's collection instead."""
        keep = [d for d in report.unchanged if d in catalog.documents]
        if not keep or catalog.collection is None:
            return {}
        carried = {
            d: replace(catalog.documents[d], collection=catalog.collection_of(d)) for d in keep
        }
        reads = {e.collection for e in carried.values()} | {target.name}
        if len(reads) <= MAX_COLLECTIONS and catalog.chunk_count <= EXACT_MAX_CHUNKS:
            return carried
        return self._copy_unchanged(catalog, keep, target, progress)

    def _copy_unchanged(
        self, catalog: Catalog, keep: list[str], target: Any, progress: Progress
    ) -> dict[str, DocEntry]:
        copied = 0
        include = ["embeddings", "documents", "metadatas"]
        done = 0
        for name, paths in catalog.by_collection(keep).items():
            source = self.store.collection(name)
            for got in self.store.read("copy vectors", source, include, paths):
                self.store.call(
                    "copy vectors",
                    target.add,
                    ids=got["ids"],
                    embeddings=got["embeddings"],
                    documents=got["documents"],
                    metadatas=got["metadatas"],
                )
                copied += len(got["ids"])
            done += len(paths)
            progress("keeping unchanged documents", done, len(keep))
        log.debug("copied %d vectors of %d unchanged documents", copied, len(keep))
        return {d: replace(catalog.documents[d], collection=target.name) for d in keep}

    def _embed(
        self, docs: list[SourceDocument], target: Any, report: RefreshReport, progress: Progress
    ) -> dict[str, DocEntry]:
        from llama_index.core import Document
        from llama_index.core.ingestion import IngestionPipeline

        # The pipeline chunks, attributes and embeds; we add its nodes to Chroma ourselves,
        # as ChromaVectorStore.add would but with the per-sentence data stored once
        # (index.ingest.ingestion.chroma_records), in slices within the server's batch limit (long
        # documents easily make more than Chroma's limit of ~5,000).
        from index.ingest.ingestion import Attributor, SentenceEmbedder, chroma_records

        pipeline = IngestionPipeline(
            transformations=[
                SentenceChunker(),
                Attributor(),
                SentenceEmbedder(embed_model=self.embed_model),
            ],
            disable_cache=True,
        )
        limit = self.add_batch or self.store.max_batch_size()
        entries: dict[str, DocEntry] = {}
        for i in range(0, len(docs), DOCS_PER_BATCH):
            batch = docs[i : i + DOCS_PER_BATCH]
            progress("embedding new and changed documents", i, len(docs))
            nodes = pipeline.run(
                documents=[
                    Document(id_=d.doc_id, text=d.text, metadata=_node_metadata(d)) for d in batch
                ]
            )
            for k in range(0, len(nodes), limit):
                records = chroma_records(nodes[k : k + limit])
                self.store.call("add vectors", target.add, **records)
            counts: dict[str, int] = {}
            for node in nodes:
                counts[node.metadata["path"]] = counts.get(node.metadata["path"], 0) + 1
            report.embedded_chunks += len(nodes)
            if i + DOCS_PER_BATCH < len(docs):
                crash_point("mid_embed")  # some batches written, more to come
            for d in batch:
                entries[d.doc_id] = DocEntry(
                    sha256=d.sha256,
                    title=d.title,
                    source=d.source,
                    chunks=counts.get(d.doc_id, 0),
                    indexed_at=_now(),
                    metadata=dict(d.metadata),
                    collection=target.name,
                )
        progress("embedding new and changed documents", len(docs), len(docs))
        return entries
