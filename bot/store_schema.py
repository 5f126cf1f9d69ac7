"""The answer store's SQLite schema, and bringing a store an older bot wrote up to it."""

from __future__ import annotations

import sqlite3

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
