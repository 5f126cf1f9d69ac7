"""Gaps without Discord: which questions make them, how they group, their status, and the
privacy deletions (retention, a member's "forget me")."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from bot.gaps import DOWNVOTED, dismiss, find_gaps, group, plain_reason
from bot.store import AnswerStore, Origin
from index.answering.types import Answer, Citation
from index.service import KnowledgeBase

TOPICS = ("dental", "abortion", "vaccine", "weather")


def topic_embed(texts: list[str]) -> np.ndarray:
    """A stand-in model: a question's vector is the topics it names (plus a little of its
    length, so that no two differ only by accident)."""
    rows = []
    for t in texts:
        v = np.array([float(w in t.lower()) for w in TOPICS] + [0.05], dtype=np.float32)
        rows.append(v / np.linalg.norm(v))
    return np.stack(rows)


def refused(q: str, reason: str | None = "no passage is about what is asked") -> Answer:
    return Answer(q, "The sources don't cover this.", True, reason=reason)


def answered(q: str) -> Answer:
    c = Citation(1, "T", "t.md", "t.md", "quote", 0.5, 0, 5)
    return Answer(q, "quote [1]", False, [c])


def at(store: AnswerStore, answer_id: str, when: str) -> None:
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE answers SET created_at = ? WHERE id = ?", (when, answer_id))


@pytest.fixture
def store(tmp_path: Path) -> AnswerStore:
    s = AnswerStore(tmp_path / "bot.sqlite3")
    s.init()
    return s


def aid(n: int) -> str:
    return f"{n:02x}" + "0" * 30


def test_refused_and_downvoted_questions_group_by_meaning_per_guild(store: AnswerStore) -> None:
    store.add(aid(1), Origin(1, 10, 20), refused("Is dental care free?"))
    store.add(aid(2), Origin(2, 10, 20), refused("who pays for dental treatment"))
    store.add(aid(3), Origin(1, 10, 20), refused("Is dental care free?"))
    store.add(aid(4), Origin(3, 10, 20), answered("What about abortion law?"))
    store.vote(aid(4), 5, -1, 10)
    store.add(aid(5), Origin(3, 10, 20), answered("What do vaccines cost?"))  # not voted 👎
    store.add(aid(6), Origin(4, 11, 21), refused("Is dental care free?"))  # another guild
    for n, when in enumerate(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"], 1):
        at(store, aid(n), when + "T00:00:00+00:00")

    gaps = find_gaps(store, topic_embed, 10)
    assert [g.questions for g in gaps] == [
        ["Is dental care free?", "who pays for dental treatment"],
        ["What about abortion law?"],
    ]
    dental, abortion = gaps
    assert (dental.count, dental.askers, dental.status) == (3, 2, "open")
    assert dental.first_asked.startswith("2026-01-01") and dental.last_asked.startswith(
        "2026-01-03"
    )
    assert dental.id == aid(1)[:12] and dental.reason == "nothing near it in the library"
    assert abortion.reason == DOWNVOTED
    assert "user" not in str(dental.to_json()) and dental.to_json()["askers"] == 2
    # the same store gives the same gaps; the other guild's question is its own gap
    assert find_gaps(store, topic_embed, 10) == gaps
    assert [g.guild_id for g in find_gaps(store, topic_embed, every_guild=True)] == [10, 11, 10]


def test_embeddings_are_made_once_and_kept(store: AnswerStore) -> None:
    calls: list[list[str]] = []

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return topic_embed(texts)

    store.add(aid(1), Origin(1, 10, 20), refused("dental?"))
    find_gaps(store, counting, 10)
    store.add(aid(2), Origin(1, 10, 20), refused("abortion?"))
    find_gaps(store, counting, 10)
    assert calls == [["dental?"], ["abortion?"]]
    store.add(aid(3), Origin(1, 10, 20), refused("vaccine?"))
    store.add(aid(4), Origin(2, 10, 20), refused("vaccine?"))
    find_gaps(store, counting, 10)
    assert calls[-1] == ["vaccine?"]  # asked twice, embedded once


def test_since_counts_only_recent_questions_and_keeps_the_gap_id(store: AnswerStore) -> None:
    store.add(aid(1), Origin(1, 10, 20), refused("Is dental care free?"))
    store.add(aid(2), Origin(2, 10, 20), refused("dental fees?"))
    store.add(aid(3), Origin(2, 10, 20), refused("abortion?"))
    at(store, aid(1), "2020-01-01T00:00:00+00:00")
    at(store, aid(3), "2020-01-01T00:00:00+00:00")
    [recent] = find_gaps(store, topic_embed, 10, since_days=7)
    assert (recent.id, recent.count, recent.questions) == (aid(1)[:12], 1, ["dental fees?"])


def test_dismissed_gaps_stay_dismissed_and_answered_ones_say_by_which_refresh(
    store: AnswerStore,
) -> None:
    store.add(aid(1), Origin(1, 10, 20), refused("what's the weather?"))
    store.add(aid(2), Origin(1, 10, 20), refused("Is dental care free?"))
    [weather] = [g for g in find_gaps(store, topic_embed, 10) if "weather" in g.questions[0]]
    assert dismiss(store, topic_embed, 11, weather.id) is None  # not that guild's gap
    assert dismiss(store, topic_embed, 10, weather.id) is not None
    store.add(aid(3), Origin(2, 10, 20), refused("weather tomorrow?"))  # joins, stays dismissed
    store.set_status([aid(2)], "answered", refresh="2026-02-01T10:00:00+00:00")
    by_id = {g.id: g for g in find_gaps(store, topic_embed, 10)}
    assert by_id[weather.id].status == "dismissed" and by_id[weather.id].count == 2
    assert by_id[aid(2)[:12]].status == "answered"
    assert by_id[aid(2)[:12]].answered_by == "2026-02-01T10:00:00+00:00"


def test_a_dismiss_button_from_before_two_gaps_merged_dismisses_the_merged_gap(
    store: AnswerStore,
) -> None:
    """A /gaps page shows two gaps; questions asked since join them into one, whose id is
    the earlier gap's. The later gap's Dismiss button still dismisses what it showed."""
    store.add(aid(1), Origin(1, 10, 20), refused("dental?"))
    store.add(aid(2), Origin(2, 10, 20), refused("abortion?"))
    shown = {g.questions[0]: g.id for g in find_gaps(store, topic_embed, 10)}
    assert set(shown) == {"dental?", "abortion?"}
    for n in (3, 4):  # asked twice: enough to pull both topics into one group
        store.add(aid(n), Origin(n, 10, 20), refused("dental and abortion?"))
    [merged] = find_gaps(store, topic_embed, 10)
    assert merged.id == shown["dental?"] != shown["abortion?"]

    gap = dismiss(store, topic_embed, 10, shown["abortion?"])
    assert gap is not None and (gap.status, gap.count) == ("dismissed", 4)
    assert [g.status for g in find_gaps(store, topic_embed, 10)] == ["dismissed"]
    assert dismiss(store, topic_embed, 10, "ffffffffffff") is None  # never a gap's


def test_plain_reasons() -> None:
    store_q = find_gaps.__globals__["GapQuestion"]

    def q(reason: str | None, refused: bool = True) -> object:
        return store_q("x", 1, "t", 1, "q", refused, reason, "open", None)

    assert plain_reason(q("the sources don't mention Boris Johnson")) == (
        "the sources don't mention Boris Johnson"
    )
    assert plain_reason(q("no sentence of the passages says what is asked")) == (
        "passages near it are too weak to answer"
    )
    assert plain_reason(q(None)) == "the sources don't cover it"
    assert plain_reason(q(None, refused=False)) == DOWNVOTED


def test_grouping_is_average_linkage_with_a_threshold() -> None:
    v = np.array([[1, 0], [0.9, 0.436], [0, 1], [0.6, 0.8]], dtype=np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    assert group(v, 0.85) == [[0, 1], [2], [3]]  # cos(0, 1) = 0.9
    # then 2 and 3 (0.8) before 3 joins 0+1 (mean of 0.6 and 0.89: 0.74)
    assert group(v, 0.7) == [[0, 1], [2, 3]]
    assert group(v, -1.0) == [[0, 1, 2, 3]]
    assert group(np.zeros((0, 2))) == []


def test_retention_deletes_old_questions_with_their_votes_status_and_vectors(
    store: AnswerStore,
) -> None:
    store.add(aid(1), Origin(1, 10, 20), refused("dental?"))
    store.add(aid(2), Origin(1, 10, 20), refused("abortion?"))
    store.vote(aid(1), 7, -1, 10)
    store.set_status([aid(1)], "dismissed")
    find_gaps(store, topic_embed, 10)  # stores both vectors
    at(store, aid(1), "2020-01-01T00:00:00+00:00")
    gone = store.expire(90)
    assert (gone.questions, gone.votes) == (1, 1)
    assert [q.id for q in store.gap_questions(10)] == [aid(2)]
    with sqlite3.connect(store.path) as db:
        for table in ("votes", "question_status", "question_vectors"):
            assert db.execute(f"SELECT answer_id FROM {table}").fetchall() in ([], [(aid(2),)])  # noqa: S608


def test_a_member_forgets_everything_they_asked_and_voted(store: AnswerStore) -> None:
    store.add(aid(1), Origin(1, 10, 20), refused("dental?"))
    store.add(aid(2), Origin(2, 10, 20), refused("abortion?"))
    store.vote(aid(2), 1, -1, 10)  # member 1's vote on someone else's answer
    store.vote(aid(1), 2, 1, 10)  # someone's vote on member 1's answer
    gone = store.forget_user(1)
    assert (gone.questions, gone.votes) == (1, 1)  # the votes they cast, not those on theirs
    assert store.votes(aid(1)) == {}  # though those go with the answer
    assert [q.question for q in store.gap_questions(10)] == ["abortion?"]
    assert store.votes(aid(2)) == {}


def test_a_version_1_store_keeps_its_rows_and_gains_reasons(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE answers (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, guild_id "
            "INTEGER, channel_id INTEGER, thread_id INTEGER, message_id INTEGER, user_id "
            "INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, refused INTEGER "
            "NOT NULL, mode TEXT NOT NULL, citations TEXT NOT NULL);"
            "CREATE TABLE votes (answer_id TEXT NOT NULL, user_id INTEGER NOT NULL, vote INTEGER"
            " NOT NULL, voted_at TEXT NOT NULL, guild_id INTEGER, PRIMARY KEY (answer_id, "
            "user_id)); PRAGMA user_version = 1;"
        )
        db.execute(
            "INSERT INTO answers VALUES (?, '2026-01-01', 10, 20, NULL, NULL, 1, 'old?', "
            "'no', 1, 'extractive', '[]')",
            (aid(1),),
        )
    store = AnswerStore(path)
    store.init()
    store.add(aid(2), Origin(1, 10, 20), refused("new?", "the sources don't mention Zed"))
    assert [(q.question, q.reason) for q in store.gap_questions(10)] == [
        ("old?", None),
        ("new?", "the sources don't mention Zed"),
    ]


def test_a_real_refusal_says_why(seed_kb: KnowledgeBase) -> None:
    answer = seed_kb.answer_sync("What is the capital of Australia?")
    assert answer.refused and answer.reason
    named = seed_kb.answer_sync("What did Boris Johnson say about the NHS?")
    assert named.refused and named.reason == "the sources don't mention Boris Johnson"
    assert seed_kb.answer_sync("Who is Dave Prentis?").reason is None


def test_privacy_and_gap_settings() -> None:
    from bot.settings import BotSettings
    from index.errors import UsageError

    default = BotSettings.from_env({}, data_dir=Path("d"))
    assert (default.answer_retention_days, default.reply_when_answered) == (90, False)
    assert default.digest_interval == 0.0
    set_ = BotSettings.from_env(
        {"ANSWER_RETENTION_DAYS": "30", "GAPS_REPLY_WHEN_ANSWERED": "1", "DIGEST_INTERVAL": "1d"},
        data_dir=Path("d"),
    )
    assert (set_.answer_retention_days, set_.reply_when_answered) == (30, True)
    assert set_.digest_interval == 86400
    with pytest.raises(UsageError, match="ANSWER_RETENTION_DAYS"):
        BotSettings.from_env({"ANSWER_RETENTION_DAYS": "0"}, data_dir=Path("d"))


def test_the_chart_is_a_png_with_bars_to_scale() -> None:
    import struct
    import zlib

    from bot.chart import BAR, HEIGHT, MARGIN, SERIES, bar_chart

    png = bar_chart([[4, 2, 2, 1], [0, 0, 0, 0], [8, 8, 0, 0]])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (2 * MARGIN + 3 * 6 * BAR, HEIGHT)
    idat = png[png.index(b"IDAT") + 4 : png.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    rows = [raw[y * (3 * width + 1) + 1 : (y + 1) * (3 * width + 1)] for y in range(height)]

    def bar_height(day: int, series: int) -> int:
        x = MARGIN + day * 6 * BAR + BAR + series * BAR
        colour = bytes(SERIES[series])
        return sum(row[3 * x : 3 * x + 3] == colour for row in rows)

    plot = HEIGHT - 2 * MARGIN
    assert bar_height(2, 0) == plot and bar_height(0, 0) == plot // 2  # 8 is the top; 4 half
    assert bar_height(0, 3) == round(plot / 8) and bar_height(1, 0) == 0


def test_the_chart_stays_off_the_answering_path() -> None:
    import subprocess
    import sys

    code = (
        "import sys, bot.client, bot.exts.digest, bot.exts.ask, bot.asking; "
        "print('bot.chart' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_only_the_latest_distinct_questions_are_grouped(
    store: AnswerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.gaps.MAX_GROUPED", 2)
    for n, q in enumerate(["dental?", "abortion?", "vaccine?", "dental?"], 1):
        store.add(aid(n), Origin(1, 10, 20), refused(q))
        at(store, aid(n), f"2026-01-0{n}T00:00:00+00:00")
    gaps = find_gaps(store, topic_embed, 10)
    # "dental?" was asked last (twice in all), "vaccine?" before it; "abortion?" is left out
    assert sorted((g.questions[0], g.count) for g in gaps) == [("dental?", 2), ("vaccine?", 1)]


class OldPassageKB:
    """A knowledge base whose every answer cites a document the refresh did not change."""

    def answer_sync(self, question: str, *, extractive: bool = False) -> Answer:
        return answered(question)


def test_a_gap_a_refresh_answered_is_listed_as_answered_beside_its_downvoted_question(
    store: AnswerStore,
) -> None:
    """A refresh answers the refused question; the one whose answer was voted 👎 gets the
    same answer again, which is no answer (bot/reasking.py), so it stays open. Each question
    is listed under its own status: the answered one under answered, never under open."""
    from types import SimpleNamespace

    from bot.reasking import reask

    store.add(aid(1), Origin(1, 10, 20), refused("Is dental care free?"))
    store.add(aid(2), Origin(2, 10, 20), answered("Is dental care free?"))
    store.vote(aid(2), 3, -1, 10)
    report = SimpleNamespace(added=["other.md"], updated=[], dry_run=False)
    reasked = reask(store, OldPassageKB(), report)  # type: ignore[arg-type]
    assert reasked is not None and [a.ids for a in reasked.answered] == [(aid(1),)]

    by_status = {g.status: g for g in find_gaps(store, topic_embed, 10)}
    assert set(by_status) == {"answered", "open"}
    answered_gap, open_gap = by_status["answered"], by_status["open"]
    assert answered_gap.members == (aid(1),) and answered_gap.answered_by == reasked.refresh
    assert answered_gap.reason == "nothing near it in the library"
    assert (open_gap.members, open_gap.reason, open_gap.count) == ((aid(2),), DOWNVOTED, 1)
    assert open_gap.id != answered_gap.id
    # dismissing the open part dismisses the whole group, as any dismissal does
    assert dismiss(store, topic_embed, 10, open_gap.id) is not None
    [dismissed] = find_gaps(store, topic_embed, 10)
    assert dismissed.status == "dismissed" and dismissed.count == 2


def test_a_question_asked_after_the_refresh_that_answered_its_gap_is_listed_open(
    store: AnswerStore,
) -> None:
    store.add(aid(1), Origin(1, 10, 20), refused("Is dental care free?"))
    store.set_status([aid(1)], "answered", refresh="2026-02-01T10:00:00+00:00")
    store.add(aid(2), Origin(2, 10, 20), refused("who pays for dental treatment"))
    gaps = find_gaps(store, topic_embed, 10)
    assert [(g.status, g.questions) for g in gaps] == [
        ("open", ["who pays for dental treatment"]),
        ("answered", ["Is dental care free?"]),
    ]
