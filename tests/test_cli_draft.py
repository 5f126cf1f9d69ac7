"""`policybot ask` with a language model, run as a user runs it: a generative answer is
shown once. On a terminal the model's draft is streamed under a label while it is checked,
then erased for the checked answer (or, when too tall to erase, followed by a line saying
the answer below replaces it); piped, only the checked answer is written."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from typing import Any

import pytest

from index.service import KnowledgeBase
from tests.index.fake_openai import FakeOpenAI, Reply, Request
from tests.test_cli import run

QUESTION = "Why do unions oppose foundation hospitals?"
KEPT = "The unions fear that foundation hospitals would create a two-tier health service"
DROPPED = "Unison then called for Ms Hewitt to go"  # no passage says it: the checker drops it


def drafted(body: dict[str, Any]) -> Reply:
    """Two claims, each citing the passage that says it, and one that no passage says."""
    req = Request(body, {})
    a = next(p["n"] for p in req.passages() if "two-tier health service" in p["text"])
    b = next(p["n"] for p in req.passages() if "set hospital against hospital" in p["text"])
    return Reply(
        f"{KEPT} [{a}]. Critics, including many Labour MPs, say the scheme would set hospital "
        f"against hospital [{b}]. {DROPPED} [1]."
    )


@pytest.fixture
def llm() -> Iterator[dict[str, str]]:
    fake = FakeOpenAI().start()
    fake.reply(drafted)
    yield {"LLM_PROVIDER": "openai", "LLM_BASE_URL": fake.base_url, "LLM_MODEL": "m"}
    fake.stop()


def where(kb: KnowledgeBase) -> tuple[str, ...]:
    return ("--sources", str(kb.settings.sources_dir), "--data", str(kb.settings.data_dir))


def on_terminal(args: list[str], llm: dict[str, str], rows: int, cols: int) -> tuple[str, int]:
    """Run `policybot args` with its standard output on a terminal of `rows` × `cols`: all
    it wrote there, and its exit status."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CHROMA_", "LLM_", "POLICYBOT_", "LOG_LEVEL", "COLUMNS", "LINES"))
    }
    env.update(llm)
    proc = subprocess.Popen(
        [sys.executable, "-m", "policybot", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(slave)
    out = b""
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        out += data
    os.close(master)
    return out.decode("utf-8"), proc.wait(timeout=300)


CSI = re.compile(r"\x1b\[(\d*)([A-Za-z])")


def screen(raw: str, cols: int) -> list[str]:
    """What a terminal `cols` wide shows after `raw` (enough of a VT100 for this test: text
    that wraps at the margin, CR, LF, cursor up, erase below, colours ignored)."""
    lines: list[list[str]] = [[]]
    row = col = 0
    i = 0
    while i < len(raw):
        if (m := CSI.match(raw, i)) is not None:
            if m[2] == "A":
                row, col = max(0, row - int(m[1] or 1)), min(col, cols - 1)
            elif m[2] == "J":
                del lines[row + 1 :]
                del lines[row][col:]
            i = m.end()
            continue
        ch = raw[i]
        i += 1
        if ch == "\r":
            col = 0
            continue
        if ch == "\n" or col >= cols:  # a line feed, or a character past the margin
            row += 1
            lines += [[] for _ in range(row + 1 - len(lines))]
            if ch == "\n":
                continue
            col = 0
        line = lines[row]
        line += [" "] * (col + 1 - len(line))
        line[col] = ch
        col += 1
    return ["".join(line).rstrip() for line in lines]


def folded(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


def test_on_a_terminal_the_draft_is_streamed_then_replaced_by_the_checked_answer(
    seed_kb: KnowledgeBase, llm: dict[str, str]
) -> None:
    raw, status = on_terminal([*where(seed_kb), "ask", QUESTION], llm, rows=50, cols=60)
    assert status == 0
    assert DROPPED in " ".join(raw.split()) and "Draft" in raw  # streamed, labelled a draft
    shown = folded(screen(raw, 60))
    assert DROPPED not in shown and "Draft" not in shown  # … and gone from the screen
    assert shown.count(KEPT) == 1 and shown.count("Sources:") == 1


def test_a_draft_too_tall_to_erase_is_followed_by_a_line_that_says_so(
    seed_kb: KnowledgeBase, llm: dict[str, str]
) -> None:
    raw, status = on_terminal([*where(seed_kb), "ask", QUESTION], llm, rows=4, cols=60)
    assert status == 0
    shown = "".join("".join(screen(raw, 60)).split())  # the draft wraps mid-word
    draft, checked = shown.split(nospace("not the answer"))
    assert nospace(DROPPED) in draft and nospace(DROPPED) not in checked
    assert nospace(KEPT) in checked


def nospace(text: str) -> str:
    return "".join(text.split())


def test_piped_only_the_checked_answer_is_written(
    seed_kb: KnowledgeBase, llm: dict[str, str]
) -> None:
    done = run(*where(seed_kb), "ask", QUESTION, **llm)
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "\x1b" not in done.stdout and "draft" not in out.lower()
    assert DROPPED not in out and out.count(KEPT) == 1 and out.count("Sources:") == 1


def test_on_a_terminal_json_is_the_checked_answer_alone(
    seed_kb: KnowledgeBase, llm: dict[str, str]
) -> None:
    raw, status = on_terminal([*where(seed_kb), "ask", "--json", QUESTION], llm, rows=50, cols=60)
    assert status == 0 and "\x1b" not in raw
    assert '"mode": "generative"' in raw and DROPPED not in raw and KEPT in raw
