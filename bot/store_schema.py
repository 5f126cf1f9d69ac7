"""The answer store's SQLite schema, bringing a store an older bot wrote up to it, and
refusing one that can't be read before anything is written to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from index.errors import PolicybotError


class StoreUnreadable(PolicybotError):
    """The bot's store exists but can't be read: not a database, truncated, damaged (or
    locked, or not readable by this user). Nothing is written to it, nor is it replaced:
    the questions and votes it holds may still be recovered from it."""

    def __init__(self, path: Path, reason: str, damaged: bool = True) -> None:
        self.path, self.reason = path, reason
        advice = (
            "; it is left as it is: restore it from a backup, or move it aside to start a new one"
            if damaged
            else ""
        )
        super().__init__(f"the bot's store {path} can't be read ({reason}){advice}")


def check_readable(db: sqlite3.Connection, path: Path) -> None:
    """Raise StoreUnreadable unless SQLite reads the whole store at `path` as sound.

    `quick_check` reads every page (a garbage file, a truncated one, a page overwritten)
    and writes nothing, so a damaged store is refused before the schema, a migration or
    the retention's deletions would write into it."""
    try:
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
    except sqlite3.OperationalError as e:  # locked, unreadable file: not damage
        raise StoreUnreadable(path, f"{type(e).__name__}: {e}", damaged=False) from e
    except sqlite3.DatabaseError as e:  # "file is not a database", "… malformed"
        raise StoreUnreadable(path, f"{type(e).__name__}: {e}") from e
    if problems != ["ok"]:
        first = " ".join(line for line in problems[0].splitlines() if not line.startswith("***"))
        raise StoreUnreadable(path, f"damaged: {first}")


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
    citations TEXT NOT NULL,
    reason TEXT
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
CREATE INDEX IF NOT EXISTS answers_by_time ON answers (created_at);
CREATE INDEX IF NOT EXISTS answers_by_user ON answers (user_id);
-- A question of a gap is open until a refresh answers it or a moderator dismisses it: the
-- row says which (no row: open). `answer` is the refresh's new answer, as JSON, for the
-- reply in place; `notified` whether that reply was made.
CREATE TABLE IF NOT EXISTS question_status (
    answer_id TEXT PRIMARY KEY REFERENCES answers (id),
    status TEXT NOT NULL CHECK (status IN ('answered', 'dismissed')),
    refresh TEXT,
    changed_at TEXT NOT NULL,
    answer TEXT,
    notified INTEGER NOT NULL DEFAULT 0
);
-- Each gap question's embedding, made once (grouping re-reads them on every /gaps).
CREATE TABLE IF NOT EXISTS question_vectors (
    answer_id TEXT PRIMARY KEY REFERENCES answers (id),
    vector BLOB NOT NULL
);
"""
# 1: votes remember the guild they were cast in (for /feedback per guild)
# 2: answers keep why they were refused (for /gaps)
SCHEMA_VERSION = 2


def migrate(db: sqlite3.Connection) -> None:
    """Bring a store written by an older bot up to SCHEMA_VERSION, keeping every row."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version >= SCHEMA_VERSION:
        return
    if "reason" not in {row[1] for row in db.execute("PRAGMA table_info(answers)")}:
        db.execute("ALTER TABLE answers ADD COLUMN reason TEXT")
    columns = {row[1] for row in db.execute("PRAGMA table_info(votes)")}
    if "guild_id" not in columns:
        db.execute("ALTER TABLE votes ADD COLUMN guild_id INTEGER")
    # a vote was cast where its answer was shown: that answer's guild
    db.execute(
        "UPDATE votes SET guild_id = (SELECT a.guild_id FROM answers a WHERE a.id = answer_id) "
        "WHERE guild_id IS NULL"
    )
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
