"""The command-line contract (../shared/CONTRACT.md), exercised as outside scripts do."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.ingest.loaders import load_document
from policybot.cli import main
from tests.conftest import DEV_QA, SEED_SOURCES
from tests.index.fake_openai import FakeOpenAI, Reply


def run(
    *args: str, stdin: str | None = None, cwd: Path | None = None, **settings: str
) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CHROMA_", "LLM_", "POLICYBOT_", "LOG_LEVEL"))
    }
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "policybot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(SEED_SOURCES, root / "sources")
    return root


@pytest.fixture(scope="module")
def indexed(workdir: Path) -> dict:
    """`policybot index --json` on a fresh data folder: the contract's object."""
    done = run(
        "--sources", str(workdir / "sources"), "--data", str(workdir / "data"), "index", "--json"
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cli(workdir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run(
        "--sources", str(workdir / "sources"), "--data", str(workdir / "data"), *args, stdin=stdin
    )


def test_index_json_follows_the_contract(indexed: dict) -> None:
    assert set(indexed) >= {
        "added",
        "updated",
        "removed",
        "unchanged",
        "skipped",
        "documents",
        "chunks",
        "seconds",
    }
    assert len(indexed["added"]) == 6 and indexed["documents"] == 6 and indexed["chunks"] > 0
    assert indexed["updated"] == [] and indexed["removed"] == [] and indexed["unchanged"] == 0


def test_ask_json_batch_answers_each_line_in_order(workdir: Path, indexed: dict) -> None:
    questions = [json.loads(line)["question"] for line in DEV_QA.read_text().splitlines()][:6]
    questions.insert(3, "")  # a bad line is reported in place; the rest still run
    done = cli(workdir, "ask", "--json", "-", stdin="\n".join(questions) + "\n")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["question"] for o in lines] == questions
    # … with the fields every line has, empty, so a script reading them doesn't break
    assert lines[3]["error"] == "the question is empty"
    assert lines[3]["answer"] == "" and lines[3]["citations"] == [] and lines[3]["refused"]
    assert done.returncode == 2  # bad input on one line
    sources = workdir / "sources"
    in_the_file = []
    for obj in lines[:3] + lines[4:]:
        assert set(obj) >= {"question", "answer", "refused", "citations", "mode", "timings_ms"}
        assert obj["mode"] == "extractive"
        assert set(obj["timings_ms"]) >= {"retrieve", "answer", "total"}
        for c in obj["citations"]:
            assert set(c) >= {"n", "title", "source", "quote", "score", "start", "end"}
            raw = (sources / c["path"]).read_text()
            assert c["quote"] in raw
            # start/end count in the text as read (README): after the front matter every
            # seed article opens with, so not in the file's own text
            text = load_document(sources / c["path"], sources).text
            assert raw.startswith("---\n") and text[c["start"] : c["end"]] == c["quote"]
            in_the_file.append(raw[c["start"] : c["end"]] == c["quote"])
    assert in_the_file and not any(in_the_file)
    assert "Unison, the biggest NHS union" in lines[0]["answer"]


def test_undecodable_bytes_in_questions_are_dropped_and_the_batch_goes_on(
    workdir: Path, indexed: dict
) -> None:
    """Not UTF-8 on standard input or in an argument (a terminal in Latin-1, a pipe of
    bytes): the bad bytes are dropped, every other question is answered."""
    base = [sys.executable, "-m", "policybot", "--sources", str(workdir / "sources"),
            "--data", str(workdir / "data")]  # fmt: skip
    lines = b"What did Hewitt promise staff?\n\xff\xfe bad\n...\nWho is Ed Mayo?\n"
    done = subprocess.run(
        [*base, "ask", "--json", "-"], input=lines, capture_output=True, timeout=300
    )
    assert b"Traceback" not in done.stderr and b"unexpected error" not in done.stderr
    out = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    assert [o["question"] for o in out] == [
        "What did Hewitt promise staff?", "bad", "...", "Who is Ed Mayo?"
    ]  # fmt: skip
    assert out[2]["error"] == "the question has no words, only punctuation or symbols"
    assert out[2]["answer"] == "" and out[2]["citations"] == []
    assert "Ed Mayo" in out[3]["answer"] and not out[0]["refused"]
    assert done.returncode == 2  # one line was bad input
    for verb in (["ask", "--json"], ["search", "--json", "-k", "2"]):
        # os.fsencode turns the surrogate back into the byte 0xff of the argument
        done = subprocess.run(
            [*base, *verb, "Who is Ed \udcffMayo?"], capture_output=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        obj = json.loads(done.stdout.decode("utf-8"))
        assert "Ed Mayo" in (obj.get("answer") or obj["results"][0]["text"])


def test_terminal_escape_sequences_in_questions_are_dropped_whole(
    workdir: Path, indexed: dict
) -> None:
    """A colour code pasted with a question ("\\x1b[1m…\\x1b[0m") is no part of it: dropping
    only its ESC left "[1m" to be looked up, and a line of nothing else was answered."""
    done = subprocess.run(
        [sys.executable, "-m", "policybot", "--sources", str(workdir / "sources"),
         "--data", str(workdir / "data"), "ask", "--json", "-"],
        input="\x1b[31m\x1b[0m\n\x1b[1mWho is Ed Mayo?\x1b[0m\n",
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[0]["error"] == "the question is empty" and out[0]["citations"] == []
    assert out[1]["question"] == "Who is Ed Mayo?" and "Ed Mayo" in out[1]["answer"]
    assert done.returncode == 2


def test_search_json_ranks_k_results(workdir: Path, indexed: dict) -> None:
    done = cli(workdir, "search", "--json", "-k", "3", "Which Green MP is proposing a prayer?")
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)
    assert [r["rank"] for r in obj["results"]] == [1, 2, 3]
    assert any("Caroline Lucas" in r["text"] for r in obj["results"])
    assert set(obj["results"][0]) >= {"rank", "title", "source", "text", "score", "cosine"}


def test_search_json_is_best_first_with_scores_that_fall_and_no_sentence_twice(
    workdir: Path, indexed: dict
) -> None:
    """The dev questions, as a script would ask them: in each answer the scores fall with
    the rank (the order is the contract's, best first), and no two passages of one document
    share text (chunks overlap by a sentence; overlapping ones are shown as one passage)."""
    questions = [json.loads(line)["question"] for line in DEV_QA.read_text().splitlines()]
    done = cli(workdir, "search", "--json", "-k", "5", "-", stdin="\n".join(questions) + "\n")
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():
        obj = json.loads(line)
        results = obj["results"]
        scores = [r["score"] for r in results]
        assert scores == sorted(scores, reverse=True), (obj["question"], scores)
        assert all(0 < r["score"] <= 1 and -1 <= r["cosine"] <= 1 for r in results)
        for i, a in enumerate(results):
            for b in results[i + 1 :]:
                if a["path"] == b["path"]:
                    shared = set(_sentences(a["text"])) & set(_sentences(b["text"]))
                    assert not shared, (obj["question"], a["rank"], b["rank"], shared)


def _sentences(text: str) -> list[str]:
    return [" ".join(s.split()) for s in re.split(r"(?<=[.!?\"”])\s+", text) if len(s) > 20]


def test_sources_json_lists_documents(workdir: Path, indexed: dict) -> None:
    obj = json.loads(cli(workdir, "sources", "--json").stdout)
    titles = {d["title"] for d in obj["documents"]}
    assert "The quiet civil war for control of the Labour grassroots machine" in titles
    assert all(d["chunks"] > 0 and d["indexed_at"] for d in obj["documents"])
    assert obj["refreshed_at"]


def test_human_ask_prints_the_quoted_answer_then_where_each_quote_is_from(
    workdir: Path, indexed: dict
) -> None:
    done = cli(workdir, "ask", "Who is the Secretary General of Co-operatives UK?")
    assert done.returncode == 0
    body, sources = done.stdout.split("Sources:")
    assert "“" in body and "[1]" in body and "Ed Mayo" in body
    assert "[1]" in sources and ".md" in sources
    assert "“" not in sources  # the answer has quoted them already: not shown twice


def test_a_failed_model_call_is_told_once_in_the_answers_note(workdir: Path, indexed: dict) -> None:
    """Not also as a log warning on stderr, in the middle of the answer; an operator who
    sets LOG_LEVEL still gets it."""
    fake = FakeOpenAI().start()
    fake.reply(Reply(status=500, raw=b'{"error": {"message": "upstream exploded"}}'))
    llm = {"LLM_PROVIDER": "openai", "LLM_BASE_URL": fake.base_url, "LLM_MODEL": "m"}
    where = ("--sources", str(workdir / "sources"), "--data", str(workdir / "data"))
    question = "Why do unions oppose foundation hospitals?"
    try:
        done = run(*where, "ask", question, **llm)
        assert done.returncode == 0, done.stderr
        assert "language model returned an error (HTTP 500)" in " ".join(done.stdout.split())
        assert "language model call failed" not in done.stderr
        asked_for = run(*where, "ask", "--json", question, LOG_LEVEL="WARNING", **llm)
        assert json.loads(asked_for.stdout)["note"]
        assert "language model call failed" in asked_for.stderr
    finally:
        fake.stop()


def test_ask_builds_the_index_when_there_is_none(tmp_path: Path) -> None:
    shutil.copytree(SEED_SOURCES, tmp_path / "sources")
    done = run(
        "ask",
        "--json",
        "What did Ed Mayo say the NHS mutual pioneers had been walking through?",
        cwd=tmp_path,
    )  # the defaults: ./sources and ./.policybot
    assert done.returncode == 0, done.stderr
    assert "built the index" in done.stderr
    assert "wet cement" in json.loads(done.stdout)["answer"]
    assert (tmp_path / ".policybot").is_dir()


VERBS = ["index", "ask", "search", "sources", "add", "remove", "eval", "gaps", "bot", "sync"]


def _raw_help(*args: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def _help(*args: str, capsys: pytest.CaptureFixture[str]) -> str:
    return " ".join(_raw_help(*args, capsys=capsys).split())


def _without_help(section: str) -> list[str]:
    """The entries of an argparse help section ("options:") that say nothing: an entry is a
    line indented by two spaces, its help after two spaces or on the lines below it."""
    lines = section.splitlines()[1:]
    bare = []
    for i, line in enumerate(lines):
        if line.startswith("  ") and not line.startswith("   "):
            below = lines[i + 1] if i + 1 < len(lines) else ""
            if "  " not in line.strip() and not below.startswith("   "):
                bare.append(line.strip())
    return bare


@pytest.mark.parametrize("verb", VERBS)
def test_every_verbs_help_says_what_it_does(verb: str, capsys: pytest.CaptureFixture) -> None:
    """`policybot VERB --help` opens with what the verb does, not the usage line alone, and
    every option and argument says what it is."""
    usage, description, *sections = _raw_help(verb, capsys=capsys).split("\n\n")
    assert not description.startswith(("positional arguments:", "options:")), usage
    assert [bare for s in sections for bare in _without_help(s)] == []


def test_remove_help_says_the_file_is_kept_not_deleted(capsys: pytest.CaptureFixture) -> None:
    text = _help("remove", capsys=capsys)
    assert "is not deleted: it is moved to <data>/removed-sources/" in text
    assert "delete the file" not in text  # what --no-index used to say
    assert "URL" in text and "refresh" in text


def test_help_names_the_settings_behind_defaults(capsys: pytest.CaptureFixture) -> None:
    assert "POLICYBOT_TOP_K" in _help("search", capsys=capsys)  # -k's default is a setting
    gaps = _help("gaps", capsys=capsys)
    assert "ANSWER_RETENTION_DAYS" in gaps and "deleted" in gaps  # reading it deletes
    assert "DEV_GUILD_ID" in _help("sync", capsys=capsys)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "required"),
        (["ask"], "required"),
        (["frobnicate"], "invalid choice"),
        (["search", "-k", "lots", "q"], "invalid int"),
        (["search", "-k", "0", "q"], "k must be between 1 and 100, got 0"),  # not the default
        (["search", "-k", "101", "q"], "k must be between 1 and 100, got 101"),
        (["ask", "--json", "   "], "the question is empty"),
        (["ask", "?!?..."], "the question has no words"),
        (["search", "🙂"], "the question has no words"),
        (["ask", "x" * 5000], "too long"),
        (["--sources", "/nonexistent/dir", "index"], "does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_line(workdir: Path, args: list[str], message: str) -> None:
    done = run("--data", str(workdir / "data"), *args)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_other_failures_exit_1_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    done = run("--sources", str(tmp_path / "sources"), "--data", str(tmp_path / "d"), "ask", "hi?")
    assert done.returncode == 1
    assert "no readable sources" in done.stderr and "Traceback" not in done.stderr


def test_a_chroma_server_that_never_answers_is_reported_not_waited_for(tmp_path: Path) -> None:
    """chromadb's HTTP client has no timeout: a server that accepts connections and then
    says nothing must not hang the command line."""
    import socket
    import threading
    import time

    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)  # read nothing, answer nothing

    threading.Thread(target=accept, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHROMA_", "POLICYBOT_"))}
    env.update(CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(server.getsockname()[1]))
    env["CHROMA_TIMEOUT"] = "2"
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "policybot", "--data", str(tmp_path / "data"), "ask", "Hi?"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
        )
    finally:
        server.close()
        for conn in held:
            conn.close()
    assert done.returncode == 1
    assert "did not answer within 2 s" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 60
