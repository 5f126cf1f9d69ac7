"""What a generation is, on record: its catalog names the documents it holds (their
checksums, titles and sizes) and the Chroma collection holding each one's chunks. The live
catalog is what readers switch on; every refresh writes a new one (index/store/chroma.py)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace


@dataclass
class DocEntry:
    """What the index holds for one source document."""

    sha256: str
    title: str
    source: str
    chunks: int
    indexed_at: str
    metadata: dict[str, str] = field(default_factory=dict)
    # The Chroma collection holding its chunks: that of the generation whose refresh
    # embedded it (refreshes since carried it unchanged); "" in catalogs written before
    # generations shared collections: the catalog's own.
    collection: str = ""

    def same_version(self, other: DocEntry | None) -> bool:
        """The same chunks (where they are stored aside)."""
        return other is not None and replace(self, collection="") == replace(other, collection="")


@dataclass
class Catalog:
    generation: str | None = None
    collection: str | None = None
    refreshed_at: str | None = None
    embed_model: str = ""
    chunker: str = ""
    documents: dict[str, DocEntry] = field(default_factory=dict)
    version: int = 0  # publish counter; 0: nothing published (or published before versions)

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

    def collection_of(self, path: str) -> str:
        """The collection holding a document's chunks."""
        return self.documents[path].collection or str(self.collection)

    @property
    def collections(self) -> set[str]:
        """Every collection this generation reads: its own and those of the documents it
        carried over from earlier generations."""
        own = {self.collection} if self.collection else set()
        return own | {d.collection for d in self.documents.values() if d.collection}

    def by_collection(self, paths: list[str] | None = None) -> dict[str, list[str]]:
        """Documents (`paths`, default all) grouped by the collection holding them."""
        out: dict[str, list[str]] = {}
        for path in sorted(self.documents) if paths is None else paths:
            out.setdefault(self.collection_of(path), []).append(path)
        return out
