"""Answers, votes, thread history and the status of unanswered questions in SQLite (in
the data folder).

Every call opens its own connection in a worker thread (the `a*` methods), so the event
loop never waits on the disk and several bot processes can share the file (WAL mode)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store_schema import SCHEMA, check_readable, migrate
from index.answering.types import Answer, Citation, Turn


@dataclass(frozen=True)
class Origin:
    """Where a question was asked."""

    user_id: int
    guild_id: int | None
    channel_id: int | None
    thread_id: int | None = None


@dataclass(frozen=True)
class GapQuestion:
    """A question that belongs in a gap: refused, or its answer voted 👎 where it was asked.
    `user_id` is only ever counted (askers), never shown."""

    id: str
    guild_id: int | None
    created_at: str
    user_id: int
    question: str
    refused: bool
    reason: str | None
    status: str  # "open", "answered" or "dismissed"
    refresh: str | None  # the refresh that answered it


@dataclass(frozen=True)
class PendingReply:
    """A re-asked question's new answer (its JSON), to post where the question was asked."""

    id: str
    guild_id: int | None
    channel_id: int | None
    thread_id: int | None
    message_id: int | None
    answer: str


@dataclass(frozen=True)
class Forgotten:
    """What a deletion removed."""

    questions: int
    votes: int


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
        """Create the store, or bring an existing one up to date; StoreUnreadable (and
        nothing written) when an existing one can't be read."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            check_readable(db, self.path)
            db.execute("PRAGMA journal_mode = WAL")
            db.executescript(SCHEMA)
            migrate(db)

    def add(self, answer_id: str, origin: Origin, answer: Answer) -> None:
        citations = [{**c.to_json(), "passage": c.passage} for c in answer.citations]
        for c in citations:
            c.setdefault("page", None)
        with self._db() as db:
            db.execute(
                "INSERT INTO answers (id, created_at, guild_id, channel_id, thread_id, "
                "message_id, user_id, question, answer, refused, mode, citations, reason) "
                "VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)",
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
                    answer.reason,
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

    # -- gaps: refused and 👎 questions, their status and embeddings -------------------------
    def gap_questions(
        self, guild_id: int | None = None, *, every_guild: bool = False
    ) -> list[GapQuestion]:
        """The questions of `guild_id`'s gaps (or of every guild's), oldest first: that
        order is the grouping's, so the same store always gives the same groups."""
        where = "" if every_guild else "AND a.guild_id IS ?"
        with self._db() as db:
            rows = db.execute(
                f"""
                SELECT a.id, a.guild_id, a.created_at, a.user_id, a.question, a.refused,
                       a.reason, COALESCE(s.status, 'open'), s.refresh
                FROM answers a LEFT JOIN question_status s ON s.answer_id = a.id
                WHERE (a.refused = 1 OR EXISTS (
                    SELECT 1 FROM votes v WHERE v.answer_id = a.id AND v.vote < 0
                    AND v.guild_id IS a.guild_id)) {where}
                ORDER BY a.created_at, a.id
                """,  # noqa: S608 - `where` is one of two fixed strings
                () if every_guild else (guild_id,),
            ).fetchall()
        return [
            GapQuestion(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8]) for r in rows
        ]

    def vectors(self, ids: Sequence[str]) -> dict[str, bytes]:
        """The stored embeddings of these questions (those made already)."""
        out: dict[str, bytes] = {}
        with self._db() as db:
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                out.update(
                    db.execute(
                        f"SELECT answer_id, vector FROM question_vectors "  # noqa: S608
                        f"WHERE answer_id IN ({marks})",
                        chunk,
                    ).fetchall()
                )
        return out

    def put_vectors(self, vectors: dict[str, bytes]) -> None:
        with self._db() as db:
            db.executemany("INSERT OR REPLACE INTO question_vectors VALUES (?, ?)", vectors.items())

    def set_status(
        self,
        ids: Sequence[str],
        status: str,
        refresh: str | None = None,
        answers: dict[str, str] | None = None,
    ) -> None:
        """Mark questions answered (by `refresh`, with their new answers as JSON) or
        dismissed; `status` "open" reopens them."""
        with self._db() as db:
            if status == "open":
                db.executemany(
                    "DELETE FROM question_status WHERE answer_id = ?", [(i,) for i in ids]
                )
                return
            db.executemany(
                "INSERT OR REPLACE INTO question_status "
                "(answer_id, status, refresh, changed_at, answer) VALUES (?, ?, ?, ?, ?)",
                [(i, status, refresh, _now(), (answers or {}).get(i)) for i in ids],
            )

    def daily_counts(self, guild_id: int | None, since: str) -> dict[str, list[int]]:
        """Per day (UTC, "YYYY-MM-DD") since `since`, in `guild_id`: questions asked,
        answered, refused, and 👎 votes cast."""
        days: dict[str, list[int]] = {}
        with self._db() as db:
            for day, asked, refused in db.execute(
                "SELECT substr(created_at, 1, 10), COUNT(*), SUM(refused) FROM answers "
                "WHERE guild_id IS ? AND created_at >= ? GROUP BY 1",
                (guild_id, since),
            ):
                days[day] = [asked, asked - refused, refused, 0]
            for day, down in db.execute(
                "SELECT substr(voted_at, 1, 10), COUNT(*) FROM votes "
                "WHERE guild_id IS ? AND vote < 0 AND voted_at >= ? GROUP BY 1",
                (guild_id, since),
            ):
                days.setdefault(day, [0, 0, 0, 0])[3] = down
        return days

    def pending_replies(self) -> list[PendingReply]:
        """Questions a refresh answered whose askers haven't been told where they asked."""
        with self._db() as db:
            rows = db.execute(
                "SELECT a.id, a.guild_id, a.channel_id, a.thread_id, a.message_id, s.answer "
                "FROM answers a JOIN question_status s ON s.answer_id = a.id "
                "WHERE s.status = 'answered' AND s.notified = 0 AND s.answer IS NOT NULL "
                "ORDER BY a.created_at, a.id"
            ).fetchall()
        return [PendingReply(*r) for r in rows]

    def mark_notified(self, ids: Sequence[str]) -> None:
        with self._db() as db:
            db.executemany(
                "UPDATE question_status SET notified = 1 WHERE answer_id = ?", [(i,) for i in ids]
            )

    def purge(self, before: str) -> Forgotten:
        """Delete the questions asked before `before` (an ISO time) with their answers, the
        votes on them, their status and embeddings: ANSWER_RETENTION_DAYS."""
        with self._db() as db:
            return _delete(db, "created_at < ?", (before,))

    def expire(self, days: int) -> Forgotten:
        """Apply ANSWER_RETENTION_DAYS: forget questions older than `days` days."""
        cutoff = datetime.now(UTC) - timedelta(days=days)
        return self.purge(cutoff.isoformat(timespec="seconds"))

    def forget_user(self, user_id: int) -> Forgotten:
        """Delete everything `user_id` asked (with its answers, votes, gap entries) and every
        vote they cast: a member's "forget me". Counts what was theirs: the questions they
        asked and the votes they cast (others' votes on their answers go, uncounted)."""
        with self._db() as db:
            votes = db.execute("DELETE FROM votes WHERE user_id = ?", (user_id,)).rowcount
            gone = _delete(db, "user_id = ?", (user_id,))
        return Forgotten(gone.questions, votes)

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


SQL_VARIABLES = 500  # well under SQLite's limit on ? per statement (32766; 999 before 3.32)


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), SQL_VARIABLES):
        yield ids[start : start + SQL_VARIABLES]


def _delete(db: sqlite3.Connection, where: str, args: tuple) -> Forgotten:
    """Delete the answers matching `where` (a fixed string of this module) and all that
    hangs on them: votes, gap status, embeddings."""
    ids = f"SELECT id FROM answers WHERE {where}"  # noqa: S608
    removed = {}
    for table in ("votes", "question_status", "question_vectors"):
        sql = f"DELETE FROM {table} WHERE answer_id IN ({ids})"  # noqa: S608
        removed[table] = db.execute(sql, args).rowcount
    questions = db.execute(f"DELETE FROM answers WHERE {where}", args).rowcount  # noqa: S608
    return Forgotten(questions, removed["votes"])


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
