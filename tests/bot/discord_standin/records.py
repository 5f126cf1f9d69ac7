"""What the stand-in remembers: requests, messages, interactions, gateway events."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class RecordedRequest:
    """One REST request as received (Authorization redacted) and how it was answered."""

    method: str
    path: str  # relative to /api/v10, e.g. "/channels/1/messages"
    route: str  # template, e.g. "/channels/{channel_id}/messages"
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    files: list[str] = field(default_factory=list)
    status: int = 0
    response: Any = None
    at: float = 0.0  # time.monotonic() when received

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.method} {self.path} -> {self.status}>"


@dataclass
class StoredMessage:
    """A message's current payload (`data`), its earlier versions and deletion state."""

    data: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    interaction_id: int | None = None

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def channel_id(self) -> int:
        return int(self.data["channel_id"])

    @property
    def author_id(self) -> int:
        return int(self.data["author"]["id"])

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data.get("components") or []

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self.data.get("allowed_mentions")

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is a deferred ("thinking…") response not yet edited."""
        return bool(self.flags & LOADING)

    def text(self) -> str:
        """Content plus embed titles/descriptions/fields, for simple assertions."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or ""]
            parts += [f"{f.get('name', '')} {f.get('value', '')}" for f in e.get("fields", [])]
            parts.append((e.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)

    def __repr__(self) -> str:
        return (
            f"<StoredMessage id={self.id} channel={self.channel_id} content={self.content[:40]!r}>"
        )


@dataclass
class InteractionRecord:
    """An interaction the stand-in dispatched and everything the bot did with it."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    created: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    autocomplete_choices: list[dict[str, Any]] | None = None

    @property
    def responded(self) -> bool:
        return bool(self.callbacks)

    @property
    def response_type(self) -> int | None:
        """First callback type: 4 message, 5 deferred, 6 deferred update, 7 update, 9 modal."""
        return self.callbacks[0]["type"] if self.callbacks else None

    @property
    def channel_id(self) -> int:
        return int(self.payload["channel_id"])

    def __repr__(self) -> str:
        return f"<InteractionRecord id={self.id} type={self.type} response={self.response_type}>"


@dataclass
class GatewayEvent:
    """A gateway happening: connect, identify, resume, resumed, heartbeat, disconnect, …"""

    kind: str
    shard_id: int
    session_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)
