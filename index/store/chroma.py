"""The Chroma store: one collection per index generation, plus a catalog record that names
the live generation. Readers read that one record before each question, so they switch
atomically, and a refresh killed half-way leaves the old generation live.

Several processes (on several machines) may refresh one library on one Chroma server, and
Chroma has no transactions. Publishing is therefore compare-and-set on a version number:
the live catalog has version v; a refresh that started from v publishes v+1 by *creating*
the collection `<prefix>-publish-<v+1>` (a "ticket"; Chroma refuses to create a name that
exists, atomically, on the server too). Only one process can create it: a loser gets
PublishConflict and publishes nothing. The winner then points the catalog record at its
generation and re-reads: the live generation is always the one of the newest ticket, so a
pointer written late (by a slow or dying process) is corrected by the next writer or
refresh, and can never win over a newer ticket. The catalog of every ticketed generation is
stored beforehand as a record `gen-<generation>`, so anyone can finish a publish that a dead
process left half-done. Old generations are dropped only a grace period after they were
replaced, and unpublished ones only once they are too old to be still being built."""

from __future__ import annotations

import calendar
import itertools
import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from index.errors import PublishConflict, StoreUnavailable
from index.settings import Settings
from index.store import live_pointer
from index.store.catalog import Catalog
from index.store.chroma_faults import (
    READ_ONLY,
    NoAnswer,
    describe,
    looks_like_connection_error,
    mentions,
    raise_if_storage_fault,
    short,
    within,
)

log = logging.getLogger(__name__)
CATALOG_ID = "current"
STAGED = "gen-"  # + generation: its catalog, stored before it is published
TICKET = "-publish-"  # <prefix>-publish-<version>: version claimed by one publish
_GENERATION_TIME = re.compile(r"g(\d{14})-")  # when a generation was started (UTC)
# Chunks per get when reading a collection: 5,000 at a time left ~270 MiB more resident on
# the full SOTU index than 1,000 (docs/benchmarks.md).
READ_PAGE = 1000
LIST_PAGE = 1000  # collections per listing call
# Cosine space; a wider HNSW search than Chroma's default (ef 10 gave ~90% of the exact top
# 20 at 9k chunks, docs/benchmarks.md). Retrieval scores exactly below EXACT_MAX_CHUNKS.
HNSW = {"hnsw:space": "cosine", "hnsw:search_ef": 128, "hnsw:construction_ef": 128}


class ChromaStore:
    """Opens the embedded PersistentClient or an HttpClient, per settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prefix = settings.collection_prefix
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._open()
        return self._client

    def _open(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if self.settings.chroma_host:
                return chromadb.HttpClient(
                    host=self.settings.chroma_host,
                    port=self.settings.chroma_port or 8000,
                    settings=chroma_settings,
                )
            path = self.settings.data_dir / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except Exception as e:  # chromadb raises plain ValueError/RuntimeError/OSError here
            if not self.settings.chroma_host and mentions(e, READ_ONLY):
                raise StoreUnavailable(
                    f"can't open {describe(self.settings)}: the folder is read-only, and "
                    "the embedded store needs to write to it even to answer questions"
                ) from e
            raise StoreUnavailable(f"can't open {describe(self.settings)}: {short(e)}") from e

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a Chroma call, turning connection and storage faults into StoreUnavailable.

        Against a server the call gets `chroma_timeout` seconds: chromadb's HTTP client has
        no timeout, so a server that accepts the connection and never answers would hold
        a question, a refresh or the command line forever."""
        from chromadb.errors import NotFoundError

        try:
            if self.settings.chroma_host:
                return within(self.settings.chroma_timeout, fn, *args, **kwargs)
            return fn(*args, **kwargs)
        except NoAnswer:
            self._client = None  # a new connection next time
            raise StoreUnavailable(
                f"{describe(self.settings)} did not answer within "
                f"{self.settings.chroma_timeout:g} s ({what})"
            ) from None
        except NotFoundError:
            raise
        except StoreUnavailable:
            raise
        except Exception as e:
            raise_if_storage_fault(self.settings, what, e)
            if looks_like_connection_error(e) or isinstance(e, OSError):
                self._client = None  # reconnect next time: the server may come back
                raise StoreUnavailable(
                    f"{describe(self.settings)} is not available ({what}): {short(e)}"
                ) from e
            raise

    def read(
        self, what: str, collection: Any, include: list[str], paths: list[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """A collection's chunks, or those of the documents `paths`, READ_PAGE at a time."""
        batches = (
            [None] if paths is None else [paths[i : i + 200] for i in range(0, len(paths), 200)]
        )
        for batch in batches:
            where = {"path": {"$in": batch}} if batch is not None else None
            offset = 0
            while True:
                got = self.call(
                    what,
                    collection.get,
                    where=where,
                    include=include,
                    limit=READ_PAGE,
                    offset=offset,
                )
                if not got["ids"]:
                    break
                yield got
                offset += len(got["ids"])

    # -- catalog ---------------------------------------------------------------------
    def _catalog_collection(self) -> Any:
        return self.call(
            "open catalog", lambda: self.client.get_or_create_collection(f"{self.prefix}-catalog")
        )

    def read_catalog(self) -> Catalog:
        got = self.call("read catalog", lambda: self._catalog_collection().get(ids=[CATALOG_ID]))
        docs = got.get("documents") or []
        return Catalog.from_json(docs[0]) if docs and docs[0] else Catalog()

    def read_staged(self, generation: str) -> Catalog | None:
        """The catalog a generation was published with (None: not on record)."""
        return self._read_record(STAGED + generation, "read staged catalog")

    def live_generation(self) -> str | None:
        """The live generation's name: a cheap check readers make before each query. From
        an embedded store, the note of it (index/store/live_pointer.py) while no refresh runs,
        so that a process answering from side files never needs to import chromadb."""
        if self.settings.chroma_host:
            return self._live_in_catalog()
        data = self.settings.data_dir
        with live_pointer.no_refresh_running(data) as quiet:
            if quiet:
                name = live_pointer.read(data, self.prefix)
                if name is None:
                    name = self._live_in_catalog()
                    if name:
                        live_pointer.write(data, self.prefix, name)
                return name
        return self._live_in_catalog()

    def note_live_generation(self) -> None:
        """Note the live generation for readers (embedded store; at the end of a refresh,
        which holds the refresh lock)."""
        if not self.settings.chroma_host:
            name = self._live_in_catalog()
            if name:
                live_pointer.write(self.settings.data_dir, self.prefix, name)

    def _live_in_catalog(self) -> str | None:
        got = self.call(
            "read catalog",
            lambda: self._catalog_collection().get(ids=[CATALOG_ID], include=["metadatas"]),
        )
        metas = got.get("metadatas") or []
        return (metas[0] or {}).get("generation") if metas else None

    def publish(self, catalog: Catalog) -> Catalog:
        """Make `catalog` live if the live catalog is still the version before it (stage,
        claim, point); PublishConflict if another publish got there first."""
        self.stage(catalog)
        self.claim(catalog)
        return self.point_to_latest()

    def stage(self, catalog: Catalog) -> None:
        """Store the catalog of a generation about to be published (not yet live)."""
        self._write_record(STAGED + str(catalog.generation), catalog, "stage catalog")

    def claim(self, catalog: Catalog) -> None:
        """Claim `catalog.version` for its generation: the compare-and-set. Exactly one
        process can create a version's ticket; anyone else gets PublishConflict."""
        name = self._ticket_name(catalog.version)
        meta = {
            "generation": str(catalog.generation),
            "version": catalog.version,
            "published_at": time.time(),
        }
        try:
            self.call("publish", lambda: self.client.create_collection(name, metadata=meta))
        except StoreUnavailable:
            raise  # whether it was created is unknown: the next refresh will find out
        except Exception as e:  # the name exists (Chroma's error class differs by client)
            try:
                winner = (self.collection(name).metadata or {}).get("generation")
            except Exception:
                raise e from None
            if winner != catalog.generation:  # (equal: our own create answered late)
                raise PublishConflict(_lost(winner)) from None
        # A newer version on record means the live catalog moved on long ago and this
        # version's ticket had been cleaned up: this claim is stale, and the newest ticket
        # (never ours) stays live. Nobody can claim a newer version from ours before we
        # point the catalog at it, so this check is not itself a race.
        newer = [t for t in self.tickets() if t[0] > catalog.version]
        if newer:
            raise PublishConflict(_lost(newer[-1][1]))

    def point_to_latest(self) -> Catalog:
        """Point the catalog record at the newest ticket's generation if it doesn't already,
        re-reading after each write (a slower process may have written an older one over
        it), and return the live catalog."""
        for _ in range(8):
            tickets = self.tickets()
            live = self.read_catalog()
            newest = tickets[-1] if tickets else None
            if newest is None or live.version >= newest[0]:
                return live
            staged = self._read_record(STAGED + newest[1], "read staged catalog")
            if staged is None:  # can't happen unless someone deleted it by hand
                raise StoreUnavailable(f"the catalog of generation {newest[1]} is missing")
            self._write_record(CATALOG_ID, staged, "publish catalog")
        log.warning("the live catalog kept changing while it was being pointed at the newest")
        return self.read_catalog()

    def tickets(self) -> list[tuple[int, str, float]]:
        """(version, generation, published_at) of every publish still on record, oldest first."""
        found = []
        for col in self._collections():
            name = col if isinstance(col, str) else col.name
            if name.startswith(self.prefix + TICKET):
                meta = (getattr(col, "metadata", None) or {}) if not isinstance(col, str) else {}
                found.append(
                    (
                        int(meta.get("version", name.rsplit("-", 1)[-1])),
                        str(meta.get("generation", "")),
                        float(meta.get("published_at", 0.0)),
                    )
                )
        return sorted(found)

    def _ticket_name(self, version: int) -> str:
        return f"{self.prefix}{TICKET}{version:010d}"

    def _write_record(self, record_id: str, catalog: Catalog, what: str) -> None:
        if record_id == CATALOG_ID and not self.settings.chroma_host:
            live_pointer.forget(self.settings.data_dir, self.prefix)  # about to be stale
        self.call(
            what,
            lambda: self._catalog_collection().upsert(
                ids=[record_id],
                documents=[catalog.to_json()],
                metadatas=[{"generation": catalog.generation or "", "version": catalog.version}],
                embeddings=[[1.0]],
            ),
        )

    def _read_record(self, record_id: str, what: str) -> Catalog | None:
        got = self.call(what, lambda: self._catalog_collection().get(ids=[record_id]))
        docs = got.get("documents") or []
        return Catalog.from_json(docs[0]) if docs and docs[0] else None

    # -- generations -----------------------------------------------------------------
    def new_generation(self) -> tuple[str, Any]:
        generation = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
        name = f"{self.prefix}-g{generation}"
        collection = self.call(
            "create collection",
            lambda: self.client.create_collection(name, metadata=HNSW),
        )
        return generation, collection

    def clean(self, live: Catalog, grace: float, abandoned: float) -> list[str]:
        """Drop what no reader or builder can still need; returns the generation
        collections left. A generation replaced more than `grace` seconds ago goes (its
        ticket and staged catalog; its collection too unless a kept generation still reads
        documents from it); one never published goes once it is `abandoned` seconds old (a
        younger one may be another process's refresh in progress). The collections the
        live generation, the newest ticket and the generations within their grace period
        read always stay."""
        now = time.time()
        tickets = self.tickets()
        published = {generation for _, generation, _ in tickets}
        keep = {self._generation_name(g) for g in (live.generation,) if g}
        if tickets:
            keep.add(self._generation_name(tickets[-1][1]))
        expired: list[tuple[int, str]] = []
        kept_catalogs: list[Catalog | None] = [live]
        for (version, generation, _), (_, _, replaced_at) in itertools.pairwise(tickets):
            if now - replaced_at > grace and self._generation_name(generation) not in keep:
                expired.append((version, generation))
            else:
                kept_catalogs.append(self._read_record(STAGED + generation, "read catalog"))
        if tickets:
            kept_catalogs.append(self._read_record(STAGED + tickets[-1][1], "read catalog"))
        read = set().union(*(c.collections for c in kept_catalogs if c is not None))
        keep |= read
        for version, generation in expired:
            self.forget(self._generation_name(generation), generation, keep)
            self._drop_if_there(self._ticket_name(version))
        left = []
        for name in self.generation_collections():
            generation = name[len(self.prefix) + 2 :]
            started = _started_at(generation)
            old = started is not None and now - started > abandoned
            if name not in keep and generation not in published and old:
                self.forget(name, generation, keep)
            else:
                left.append(name)
        return left

    def _generation_name(self, generation: str) -> str:
        return f"{self.prefix}-g{generation}"

    def forget(self, name: str, generation: str, keep: set[str] | None = None) -> None:
        """Drop a generation's staged catalog, and its collection unless in `keep` (later
        generations still read documents from it)."""
        log.info("dropping generation %s", generation)
        if name not in (keep or set()):
            self._drop_if_there(name)
        self.call(
            "delete staged catalog",
            lambda: self._catalog_collection().delete(ids=[STAGED + generation]),
        )

    def _drop_if_there(self, name: str) -> None:
        from chromadb.errors import NotFoundError

        try:
            self.drop(name)
        except NotFoundError:  # another process's refresh dropped it first
            pass
        except StoreUnavailable:
            raise
        except Exception as e:
            if "does not exist" not in str(e):
                raise

    def collection(self, name: str) -> Any:
        return self.call("open collection", lambda: self.client.get_collection(name))

    def generation_collections(self) -> list[str]:
        names = [c if isinstance(c, str) else c.name for c in self._collections()]
        return sorted(n for n in names if n.startswith(f"{self.prefix}-g"))

    def _collections(self) -> list[Any]:
        """Every collection on the server (all pages of the listing)."""
        out: list[Any] = []
        while True:
            page = self.call(
                "list collections",
                lambda: self.client.list_collections(limit=LIST_PAGE, offset=len(out)),
            )
            out.extend(page)
            if len(page) < LIST_PAGE:
                return out

    def max_batch_size(self) -> int:
        """How many records one Chroma add may carry (the server or library's limit)."""
        try:
            return int(self.call("ask batch limit", lambda: self.client.get_max_batch_size()))
        except (AttributeError, TypeError, ValueError):
            return 5000

    def drop(self, name: str) -> None:
        self.call("delete collection", lambda: self.client.delete_collection(name))


def _started_at(generation: str) -> float | None:
    """When a generation was started, from its name (UTC), as a Unix time."""
    match = _GENERATION_TIME.match("g" + generation)
    if not match:
        return None
    return calendar.timegm(time.strptime(match.group(1), "%Y%m%d%H%M%S"))


def _lost(winner: str | None) -> str:
    return (
        f"another refresh published a new index (generation {winner}) while this one ran; "
        "this one was not published, so as not to undo it: run the refresh again to index "
        "any later change"
    )
