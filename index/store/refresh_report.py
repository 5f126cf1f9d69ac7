"""What a refresh did, or would do (a dry run): the documents added, updated, removed and
left unchanged, those skipped and why, and its size and time; and the progress callback
it reports to while it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from index.ingest.loaders import Skipped

Progress = Callable[[str, int, int], None]


@dataclass
class RefreshReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)  # skipped: the same file as another
    documents: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_json(self) -> dict[str, Any]:
        """The shape the command-line contract promises."""
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": len(self.unchanged),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "documents": self.documents,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 2),
            "dry_run": self.dry_run,
            "embedded_chunks": self.embedded_chunks,
        }
