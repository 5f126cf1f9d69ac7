"""Answers, votes and thread history in SQLite (in the data folder).

Every call opens its own connection in a worker thread (the `a*` methods), so the event
loop never waits on the disk and several bot processes can share the file (WAL mode)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from index.answering.types import Answer, Citation, Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    guild_id INTEGER,
    channel_id INTEGER,
    thread_id INTEGER,
    message_id INTEGER,
    user_id INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    mode TEXT NOT NULL,
    citations TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_thread ON answers (thread_id, created_at);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers (id),
    user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    voted_at TEXT NOT NULL,
    guild_id INTEGER,
    PRIMARY KEY (answer_id, user_id)
);
CREATE INDEX IF NOT EXISTS votes_by_time ON votes (vote, voted_at);
"""
SCHEMA_VERSION = 1  # 1: votes remember the guild they were cast in (for /feedback per guild)


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a store written by an older bot up to SCHEMA_VERSION, keeping every row."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version >= SCHEMA_VERSION:
        return
    columns = {row[1] for row in db.execute("PRAGMA table_info(votes)")}
    if "guild_id" not in columns:
        db.execute("ALTER TABLE votes ADD COLUMN guild_id INTEGER")
    # a vote was cast where its answer was shown: that answer's guild
    db.execute(
        "UPDATE votes SET guild_id = (SELECT a.guild_id FROM answers a WHERE a.id = answer_id) "
        "WHERE guild_id IS NULL"
    )
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@dataclass(frozen=True)
class Origin:
    """Where a question was asked."""

    user_id: int
    guild_id: int | None
    channel_id: int | None
    thread_id: int | None = None


@dataclass(frozen=True)
class DownvotedAnswer:
    id: str
    question: str
    answer: str
    refused: bool
    sources: list[str]
    down: int
    up: int
    created_at: str
    jump_url: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _citation(d: dict) -> Citation:
    return Citation(**d)


class AnswerStore:
    """What the bot remembers: every answer it gave, with its citations, and the votes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=15)) as db, db:
            db.execute("PRAGMA foreign_keys = ON")
            yield db

    def init(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(SCHEMA)
            _migrate(db)

    def add(self, answer_id: str, origin: Origin, answer: Answer) -> None:
        citations = [{**c.to_json(), "passage": c.passage} for c in answer.citations]
        for c in citations:
            c.setdefault("page", None)
        with self._db() as db:
            db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
                (
                    answer_id,
                    _now(),
                    origin.guild_id,
                    origin.channel_id,
                    origin.thread_id,
                    origin.user_id,
                    answer.question,
                    answer.answer,
                    int(answer.refused),
                    answer.mode,
                    json.dumps(citations, ensure_ascii=False),
                ),
            )

    def set_message(self, answer_id: str, channel_id: int, message_id: int) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE answers SET channel_id = ?, message_id = ? WHERE id = ?",
                (channel_id, message_id, answer_id),
            )

    def vote(
        self, answer_id: str, user_id: int, vote: int, guild_id: int | None = None
    ) -> int | None:
        """Record (or change) `user_id`'s vote, cast in `guild_id`; returns their previous
        vote, if any. Raises KeyError for an answer the store does not know."""
        with self._db() as db:
            if db.execute("SELECT 1 FROM answers WHERE id = ?", (answer_id,)).fetchone() is None:
                raise KeyError(answer_id)
            row = db.execute(
                "SELECT vote FROM votes WHERE answer_id = ? AND user_id = ?", (answer_id, user_id)
            ).fetchone()
            db.execute(
                "INSERT INTO votes (answer_id, user_id, vote, voted_at, guild_id) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (answer_id, user_id) DO UPDATE SET "
                "vote = excluded.vote, voted_at = excluded.voted_at, guild_id = excluded.guild_id",
                (answer_id, user_id, vote, _now(), guild_id),
            )
        return row[0] if row else None

    def votes(self, answer_id: str) -> dict[int, int]:
        with self._db() as db:
            rows = db.execute(
                "SELECT user_id, vote FROM votes WHERE answer_id = ?", (answer_id,)
            ).fetchall()
        return dict(rows)

    def citations(self, answer_id: str) -> list[Citation] | None:
        """The citations (with full passages) of an answer; None if it is unknown."""
        with self._db() as db:
            row = db.execute("SELECT citations FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return None if row is None else [_citation(d) for d in json.loads(row[0])]

    def history(self, thread_id: int, limit: int) -> list[Turn]:
        """The last `limit` questions and answers in a thread, oldest first."""
        if limit <= 0:
            return []
        with self._db() as db:
            rows = db.execute(
                "SELECT question, answer FROM answers WHERE thread_id = ? "
                "ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (thread_id, limit),
            ).fetchall()
        return [Turn(q, a) for q, a in reversed(rows)]

    def knows_thread(self, thread_id: int) -> bool:
        with self._db() as db:
            row = db.execute("SELECT 1 FROM answers WHERE thread_id = ? LIMIT 1", (thread_id,))
            return row.fetchone() is not None

    def recent_downvoted(self, limit: int, guild_id: int | None) -> list[DownvotedAnswer]:
        """Answers given in `guild_id` with at least one 👎 cast there, most recently
        downvoted first: one community never sees another's questions."""
        with self._db() as db:
            rows = db.execute(
                """
                SELECT a.id, a.question, a.answer, a.refused, a.citations, a.created_at,
                       a.guild_id, a.channel_id, a.message_id,
                       SUM(v.vote < 0), SUM(v.vote > 0),
                       MAX(CASE WHEN v.vote < 0 THEN v.voted_at END) AS last_down
                FROM answers a JOIN votes v ON v.answer_id = a.id
                WHERE a.guild_id IS ? AND v.guild_id IS ?
                GROUP BY a.id HAVING SUM(v.vote < 0) > 0
                ORDER BY last_down DESC, a.rowid DESC
                LIMIT ?
                """,
                (guild_id, guild_id, limit),
            ).fetchall()
        return [_downvoted(r) for r in rows]

    # -- async wrappers: the event loop never touches the disk ------------------------------
    async def ainit(self) -> None:
        await asyncio.to_thread(self.init)

    async def aadd(self, answer_id: str, origin: Origin, answer: Answer) -> None:
        await asyncio.to_thread(self.add, answer_id, origin, answer)

    async def aset_message(self, answer_id: str, channel_id: int, message_id: int) -> None:
        await asyncio.to_thread(self.set_message, answer_id, channel_id, message_id)

    async def avote(
        self, answer_id: str, user_id: int, vote: int, guild_id: int | None = None
    ) -> int | None:
        return await asyncio.to_thread(self.vote, answer_id, user_id, vote, guild_id)

    async def acitations(self, answer_id: str) -> list[Citation] | None:
        return await asyncio.to_thread(self.citations, answer_id)

    async def ahistory(self, thread_id: int, limit: int) -> list[Turn]:
        return await asyncio.to_thread(self.history, thread_id, limit)

    async def aknows_thread(self, thread_id: int) -> bool:
        return await asyncio.to_thread(self.knows_thread, thread_id)

    async def arecent_downvoted(self, limit: int, guild_id: int | None) -> list[DownvotedAnswer]:
        return await asyncio.to_thread(self.recent_downvoted, limit, guild_id)


def _downvoted(row: Sequence) -> DownvotedAnswer:
    (aid, question, answer, refused, citations, created, guild, channel, message, down, up, _) = row
    titles = list(dict.fromkeys(c["title"] for c in json.loads(citations)))
    jump = (
        f"https://discord.com/channels/{guild or '@me'}/{channel}/{message}"
        if channel and message
        else None
    )
    return DownvotedAnswer(
        aid, question, answer, bool(refused), titles, int(down), int(up or 0), created, jump
    )
