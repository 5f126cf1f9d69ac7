"""The Chroma store: one collection per index generation, plus a catalog record that names
the live generation. Publishing a new generation is a single upsert of that record, so
readers switch atomically and a refresh killed half-way leaves the old generation live."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from index.errors import StoreUnavailable
from index.settings import Settings

log = logging.getLogger(__name__)
CATALOG_ID = "current"
# Chunks per get when reading a collection: 5,000 at a time left ~270 MiB more resident on
# the full SOTU index than 1,000 (docs/benchmarks.md).
READ_PAGE = 1000
# Cosine space; a wider HNSW search than Chroma's default (ef 10 gave ~90% of the exact top
# 20 at 9k chunks, docs/benchmarks.md). Retrieval scores exactly below EXACT_MAX_CHUNKS.
HNSW = {"hnsw:space": "cosine", "hnsw:search_ef": 128, "hnsw:construction_ef": 128}
# An embedded store whose folder has less free space than this when a call fails has
# failed because the disk is full (Chroma reports it as an opaque compaction error).
LOW_DISK_BYTES = 8 * 1024 * 1024
_FULL = ("disk is full", "no space left", "quota exceeded")
_READ_ONLY = ("readonly database", "read-only file system")


@dataclass
class DocEntry:
    """What the index holds for one source document."""

    sha256: str
    title: str
    source: str
    chunks: int
    indexed_at: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class Catalog:
    generation: str | None = None
    collection: str | None = None
    refreshed_at: str | None = None
    embed_model: str = ""
    chunker: str = ""
    documents: dict[str, DocEntry] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Catalog:
        data = json.loads(raw)
        docs = {k: DocEntry(**v) for k, v in data.pop("documents", {}).items()}
        return cls(**data, documents=docs)

    @property
    def chunk_count(self) -> int:
        return sum(d.chunks for d in self.documents.values())


class _NoAnswer(Exception):
    """A Chroma call outlived its deadline."""


def _within(seconds: float, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """fn(*args, **kwargs), or _NoAnswer after `seconds`. The call runs on a daemon thread,
    which is left behind if it hangs: it can't be interrupted, but it never keeps the
    process from exiting."""
    done = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:  # handed to the caller below
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=run, name="chroma-call", daemon=True).start()
    if not done.wait(seconds):
        raise _NoAnswer
    if "error" in box:
        raise box["error"]
    return box["value"]


def _describe(settings: Settings) -> str:
    if settings.chroma_host:
        return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return f"the embedded Chroma store in {settings.data_dir / 'chroma'}"


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
            if not self.settings.chroma_host and _mentions(e, _READ_ONLY):
                raise StoreUnavailable(
                    f"can't open {_describe(self.settings)}: the folder is read-only, and "
                    "the embedded store needs to write to it even to answer questions"
                ) from e
            raise StoreUnavailable(f"can't open {_describe(self.settings)}: {_short(e)}") from e

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a Chroma call, turning connection and storage faults into StoreUnavailable.

        Against a server the call gets `chroma_timeout` seconds: chromadb's HTTP client has
        no timeout, so a server that accepts the connection and never answers would hold
        a question, a refresh or the command line forever."""
        from chromadb.errors import NotFoundError

        try:
            if self.settings.chroma_host:
                return _within(self.settings.chroma_timeout, fn, *args, **kwargs)
            return fn(*args, **kwargs)
        except _NoAnswer:
            self._client = None  # a new connection next time
            raise StoreUnavailable(
                f"{_describe(self.settings)} did not answer within "
                f"{self.settings.chroma_timeout:g} s ({what})"
            ) from None
        except NotFoundError:
            raise
        except StoreUnavailable:
            raise
        except Exception as e:
            self._raise_if_storage_fault(what, e)
            if _looks_like_connection_error(e) or isinstance(e, OSError):
                self._client = None  # reconnect next time: the server may come back
                raise StoreUnavailable(
                    f"{_describe(self.settings)} is not available ({what}): {_short(e)}"
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

    def _raise_if_storage_fault(self, what: str, e: Exception) -> None:
        """A full or read-only data folder, said in plain words (embedded store only)."""
        if self.settings.chroma_host:
            return
        folder = self.settings.data_dir
        if _mentions(e, _READ_ONLY):
            raise StoreUnavailable(f"can't {what}: the data folder {folder} is read-only") from e
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            return
        if _mentions(e, _FULL) or free < LOW_DISK_BYTES:
            raise StoreUnavailable(
                f"can't {what}: the data folder {folder} is full ({free // 1024} KiB free); "
                "make room and try again"
            ) from e

    # -- catalog ---------------------------------------------------------------------
    def _catalog_collection(self) -> Any:
        return self.call(
            "open catalog", lambda: self.client.get_or_create_collection(f"{self.prefix}-catalog")
        )

    def read_catalog(self) -> Catalog:
        got = self.call("read catalog", lambda: self._catalog_collection().get(ids=[CATALOG_ID]))
        docs = got.get("documents") or []
        return Catalog.from_json(docs[0]) if docs and docs[0] else Catalog()

    def live_generation(self) -> str | None:
        """The live generation's name: a cheap check readers make before each query."""
        got = self.call(
            "read catalog",
            lambda: self._catalog_collection().get(ids=[CATALOG_ID], include=["metadatas"]),
        )
        metas = got.get("metadatas") or []
        return (metas[0] or {}).get("generation") if metas else None

    def publish(self, catalog: Catalog) -> None:
        """Make `catalog` (and its generation) the live index in one write."""
        self.call(
            "publish catalog",
            lambda: self._catalog_collection().upsert(
                ids=[CATALOG_ID],
                documents=[catalog.to_json()],
                metadatas=[{"generation": catalog.generation or ""}],
                embeddings=[[1.0]],
            ),
        )

    # -- generations -----------------------------------------------------------------
    def new_generation(self) -> tuple[str, Any]:
        generation = time.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:8]
        name = f"{self.prefix}-g{generation}"
        collection = self.call(
            "create collection",
            lambda: self.client.create_collection(name, metadata=HNSW),
        )
        return generation, collection

    def collection(self, name: str) -> Any:
        return self.call("open collection", lambda: self.client.get_collection(name))

    def generation_collections(self) -> list[str]:
        cols = self.call("list collections", lambda: self.client.list_collections())
        names = [c if isinstance(c, str) else c.name for c in cols]
        return [n for n in names if n.startswith(f"{self.prefix}-g")]

    def max_batch_size(self) -> int:
        """How many records one Chroma add may carry (the server or library's limit)."""
        try:
            return int(self.call("ask batch limit", lambda: self.client.get_max_batch_size()))
        except (AttributeError, TypeError, ValueError):
            return 5000

    def drop(self, name: str) -> None:
        self.call("delete collection", lambda: self.client.delete_collection(name))


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


def _mentions(e: BaseException, needles: tuple[str, ...]) -> bool:
    text = str(e).lower()
    return any(n in text for n in needles)


def _looks_like_connection_error(e: BaseException) -> bool:
    import httpx

    if isinstance(e, httpx.TransportError | ConnectionError | TimeoutError):
        return True
    text = str(e).lower()
    return any(s in text for s in ("connect", "connection refused", "timed out", "unavailable"))
