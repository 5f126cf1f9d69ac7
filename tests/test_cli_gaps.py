"""`policybot gaps [--json] [--since DAYS]`: the bot's store read from the data folder, as
a moderator's script would."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.settings import DB_FILE
from bot.store import AnswerStore, Origin
from index.answering.types import Answer, Citation
from tests.conftest import SEED_SOURCES
from tests.test_cli import run

NOTHING_NEAR = "no passage is about what is asked"


def refused(q: str, reason: str | None = NOTHING_NEAR) -> Answer:
    return Answer(q, "The sources don't cover this.", True, reason=reason)


def gaps(data: Path, *args: str, cwd: Path) -> tuple[int, str, str]:
    done = run("--data", str(data), "gaps", *args, cwd=cwd)
    return done.returncode, done.stdout, done.stderr


def seeded_store(data: Path) -> AnswerStore:
    store = AnswerStore(data / DB_FILE)
    store.init()
    store.add("a1" + "0" * 30, Origin(111111, 10, 20), refused("Is dental care free?"))
    store.add("a2" + "0" * 30, Origin(222222, 10, 20), refused("Is dental care free in England?"))
    store.add("a3" + "0" * 30, Origin(111111, 10, 20), refused("Is dental care free?"))
    store.add(
        "a4" + "0" * 30,
        Origin(333333, 10, 20),
        refused("What did Boris Johnson say?", "the sources don't mention Boris Johnson"),
    )
    c = Citation(1, "T", "t.md", "t.md", "quote", 0.5, 0, 5)
    store.add(
        "a5" + "0" * 30, Origin(444444, 10, 20), Answer("Who runs the NHS?", "q [1]", False, [c])
    )
    return store


def test_gaps_json_is_the_documented_format(tmp_path: Path) -> None:
    data = tmp_path / "data"
    seeded_store(data)
    code, out, err = gaps(data, "--json", cwd=tmp_path)
    assert code == 0, err
    body = json.loads(out)
    assert list(body) == ["gaps"]
    dental, boris = body["gaps"]
    assert set(dental) == {
        "id", "status", "count", "askers", "first_asked", "last_asked", "questions", "reason",
        "answered_by", "guild_id",
    }  # fmt: skip
    assert dental["questions"] == ["Is dental care free?", "Is dental care free in England?"]
    assert (dental["count"], dental["askers"], dental["status"]) == (3, 2, "open")
    assert dental["reason"] == "nothing near it in the library"
    assert boris["reason"] == "the sources don't mention Boris Johnson"
    assert dental["id"] == "a1" + "0" * 10 and dental["first_asked"] <= dental["last_asked"]
    # moderators see counts, never who asked
    assert "111111" not in out and "222222" not in out
    # the same store gives the same answer
    assert json.loads(gaps(data, "--json", cwd=tmp_path)[1]) == body


def test_since_and_retention(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = seeded_store(data)
    ten_days_ago = (datetime.now(UTC) - timedelta(days=10)).isoformat(timespec="seconds")
    with sqlite3.connect(store.path) as db:
        db.execute(
            "UPDATE answers SET created_at = '2020-01-01T00:00:00+00:00' WHERE id LIKE 'a4%'"
        )
        db.execute("UPDATE answers SET created_at = ? WHERE id LIKE 'a2%'", (ten_days_ago,))
    month = json.loads(gaps(data, "--json", "--since", "30", cwd=tmp_path)[1])["gaps"]
    assert [g["count"] for g in month] == [3]  # retention (90 days) deleted Boris's question
    assert not [q for q in store.gap_questions(10) if "Boris" in q.question]
    [week] = json.loads(gaps(data, "--json", "--since", "7", cwd=tmp_path)[1])["gaps"]
    assert (week["count"], week["askers"], week["questions"]) == (2, 1, ["Is dental care free?"])
    assert week["id"] == month[0]["id"]


def test_human_output_and_bad_usage(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out, _ = gaps(data, cwd=tmp_path)
    assert code == 0 and "No gaps" in out
    assert not (data / DB_FILE).exists()  # reading creates nothing
    seeded_store(data)
    code, out, _ = gaps(data, cwd=tmp_path)
    assert code == 0
    assert "[open] asked 3× by 2 members" in out and "“Is dental care free?”" in out
    assert "111111" not in out
    code, _, err = gaps(data, "--since", "0", cwd=tmp_path)
    assert code == 2 and "--since" in err and "Traceback" not in err


DENTAL_ARTICLE = """---
title: "NHS dental charges rise"
---

NHS dental charges in England rose on 1 April. A check-up at an NHS dentist now costs
£26.80, the Department of Health said, and a course of treatment with fillings costs £73.50.
"""


def test_index_asks_the_open_questions_again_and_says_which_it_answered(tmp_path: Path) -> None:
    sources, data = tmp_path / "sources", tmp_path / "data"
    shutil.copytree(SEED_SOURCES, sources)
    where = ("--sources", str(sources), "--data", str(data))
    assert run(*where, "index", "--json", cwd=tmp_path).returncode == 0
    store = AnswerStore(data / DB_FILE)
    store.init()
    store.add(
        "b1" + "0" * 30, Origin(1, 10, 20), refused("How much does an NHS dental check-up cost?")
    )
    store.add("b2" + "0" * 30, Origin(2, 10, 20), refused("What is the capital of Australia?"))
    unions = "unions-defeat-private-sector-plans-for-nhs.md"
    c = Citation(1, "T", unions, unions, "q", 0.5, 0, 5)
    store.add(
        "b3" + "0" * 30, Origin(3, 10, 20), Answer("Who is Dave Prentis?", "q [1]", False, [c])
    )
    store.vote("b3" + "0" * 30, 4, -1, 10)
    (sources / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE, encoding="utf-8")

    done = run(*where, "index", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "This refresh answered 1 of 3 open questions:" in done.stdout
    assert "“How much does an NHS dental check-up cost?”" in done.stdout
    by_question = {
        g["questions"][0]: g for g in json.loads(gaps(data, "--json", cwd=tmp_path)[1])["gaps"]
    }
    dental = by_question["How much does an NHS dental check-up cost?"]
    assert dental["status"] == "answered" and dental["answered_by"]
    # the 👎 answer comes back the same (no new source cited): still open
    assert by_question["Who is Dave Prentis?"]["status"] == "open"
    assert by_question["What is the capital of Australia?"]["status"] == "open"
    # nothing changed: nothing re-asked, and the contract's object is as before
    again = json.loads(run(*where, "index", "--json", cwd=tmp_path).stdout)
    assert "gaps" not in again
    (sources / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE + "\nMore.\n", encoding="utf-8")
    changed = json.loads(run(*where, "index", "--json", cwd=tmp_path).stdout)
    assert changed["gaps"]["open"] == 2 and changed["gaps"]["answered"] == []


def test_a_damaged_bot_store_costs_the_re_asking_not_the_refresh(tmp_path: Path) -> None:
    """The refresh is published before the open questions are re-asked: a store that
    can't be read is a warning naming it, and the refresh's result stands (exit 0)."""
    sources, data = tmp_path / "sources", tmp_path / "data"
    shutil.copytree(SEED_SOURCES, sources)
    data.mkdir()
    (data / DB_FILE).write_text("garbage\n")
    where = ("--sources", str(sources), "--data", str(data))
    done = run(*where, "index", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["added"]) == 6
    assert done.stderr.splitlines() == [
        f"policybot: warning: the open questions in the bot's store {data / DB_FILE} were not "
        "re-asked: it can't be read (DatabaseError: file is not a database)"
    ]
    (sources / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE, encoding="utf-8")
    done = run(*where, "index", cwd=tmp_path)
    assert done.returncode == 0 and "Indexed 7 documents" in done.stdout
    assert "were not re-asked" in done.stderr
    asked = run(*where, "ask", "--json", "How much does an NHS dental check-up cost?", cwd=tmp_path)
    answer = json.loads(asked.stdout)
    assert "nhs-dental-charges.md" in {c["path"] for c in answer["citations"]}


class _Page(BaseHTTPRequestHandler):
    """Serves the saved social-care article that tests/index/test_intake.py fetches."""

    def do_GET(self) -> None:
        body = (
            SEED_SOURCES.parent / "tests" / "data" / "pages" / "social-care-cap.html"
        ).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_add_asks_the_open_questions_again_too(
    site: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_FETCH_ALLOW_PRIVATE", "1")  # the test site is on 127.0.0.1
    sources, data = tmp_path / "sources", tmp_path / "data"
    shutil.copytree(SEED_SOURCES, sources)
    store = AnswerStore(data / DB_FILE)
    store.init()
    question = "What is the most anyone in England will pay for personal care?"
    store.add("c1" + "0" * 30, Origin(1, 10, 20), refused(question))
    where = ("--sources", str(sources), "--data", str(data))
    done = run(*where, "add", "--json", f"{site}/2013/07/social-care-cap", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["index"]["gaps"]["answered"] == [question]
    assert [q.status for q in store.gap_questions(10)] == ["answered"]


def _damaged_copies(data: Path) -> dict[str, bytes]:
    """A real store's bytes damaged three ways: garbage, truncated, a page overwritten."""
    store = seeded_store(data)
    with sqlite3.connect(store.path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every row in the file itself
        db.execute("PRAGMA journal_mode = DELETE")
        for i in range(300):  # enough rows for pages past the schema's
            db.execute(
                "INSERT INTO answers VALUES (?, '2030-01-01', 10, 20, NULL, NULL, 1, ?, '', 1, "
                "'extractive', '[]', NULL)",
                (f"x{i}", "Is dental care free? " * 20),
            )
    good = store.path.read_bytes()
    page = 4096
    overwritten = good[: 5 * page] + b"\xff" * page + good[6 * page :]
    return {"garbage": b"garbage\n", "truncated": good[: len(good) // 2], "page": overwritten}


@pytest.mark.parametrize("damage", ["garbage", "truncated", "page"])
def test_a_damaged_store_is_a_clear_error_and_is_left_as_it_is(damage: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    damaged = _damaged_copies(tmp_path / "good")[damage]
    data.mkdir()
    (data / DB_FILE).write_bytes(damaged)
    for args in ((), ("--json",)):
        code, out, err = gaps(data, *args, cwd=tmp_path)
        assert code == 1 and out == ""
        [line] = err.splitlines()
        assert line.startswith(f"policybot: the bot's store {data / DB_FILE} can't be read (")
        assert "unexpected" not in line and "Traceback" not in line
        assert (data / DB_FILE).read_bytes() == damaged  # never written over
        assert sorted(p.name for p in data.iterdir()) == [DB_FILE]
