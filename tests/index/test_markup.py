"""Markdown and HTML structure, and terminal control characters, never reach what a user
is shown: no heading, table row, list or blockquote marker glued to a quote or quoted as
a sentence, no emphasis or link syntax in a quote or a speaker's name, no escape sequence
in a quote or on the terminal; and every quote stays the document's own text at its span."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from index.answering.types import Answer
from index.ingest.chunking import chunk_text
from index.ingest.llama_embedding import MiniLMEmbedding
from index.ingest.loaders import load_document
from index.ingest.markup import read_markdown
from index.service import KnowledgeBase
from index.settings import Settings
from index.text import CONTROL, split_sentences

RAIL_MD = """---
author: Local reporter
---

# Norwich rail plan

The government has approved a **new rail line** between Norwich and Cambridge, worth \
[£80 million](https://example.org/budget), officials confirmed on Monday.

*transport minister* Ellen Hart said the line would open in 2028 and carry four trains an hour.

The plan includes:

- a new station at Wymondham;
- electrified track along the whole route;
- 1,200 extra seats at peak times.

> "This is the biggest investment in rail for a generation," said Ellen Hart.

## Timetable

| year | trains |
|---|---|
| 2028 | 4 per hour |
| 2030 | 6 per hour |

Critics including the campaign group _Rail Future_ warned that the budget would not cover \
the new bridges.
"""

LIBRARIES_HTML = """<!doctype html><html><head><title>Council closes twelve libraries</title>
</head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article>
<h1>Council closes twelve libraries</h1>
<p>Birmingham City Council voted on Tuesday to close twelve of its libraries, citing a budget
gap of <b>£20 million</b>. The decision was taken after a <a href="https://x.example/d">long
debate</a> in the chamber.</p>
<h2>Reaction</h2>
<p>Councillor Jane Smith, the cabinet member for culture, said the closures were "a last
resort".</p>
<ul><li>Ten branches close in March</li><li>Two more close in June.</li></ul>
<blockquote>"We will fight this," said Tom Brown of the Friends of Libraries group.</blockquote>
<table><tr><th>year</th><th>libraries</th></tr><tr><td>2024</td><td>36</td></tr>
<tr><td>2025</td><td>24</td></tr></table>
<p>Campaigners plan a protest outside the council house next week.</p>
</article></body></html>"""

# A screen clear, an OSC 8 hyperlink whose words hide where it goes, a bell, a C1 CSI.
ESCAPES_TXT = (
    "The mayor \x1b[2Jsaid the budget was \x1b]8;;https://evil.example\x1b\\balanced"
    "\x1b]8;;\x1b\\ this year.\x07\n\n"
    "The council tax rises by two percent, the treasurer \x9b31msaid.\n"
)

# Headings, table cells and what only the markup holds: never in a quote.
NOT_PROSE = (
    "Norwich rail plan",
    "Timetable",
    "per hour",
    "Council closes twelve libraries",
    "Reaction",
    "libraries | ",
)
QUESTIONS = [
    "What did Ellen Hart say?",
    "What did the transport minister say about the rail line?",
    "How did critics react to the rail plan?",
    "What do people say about the Norwich rail line?",
    "How many trains per hour will run in 2028?",
    "What is the Norwich rail plan?",
    "How much will the Norwich rail line cost?",
    "What does the rail plan include?",
    "Which libraries did Birmingham City Council close?",
    "How did people react to the library closures?",
    "What did the mayor say about the budget?",
]


def no_markup(text: str) -> bool:
    """None of the characters Markdown's syntax is written with (the test articles' own
    words use none of them)."""
    return not re.search(r"[#*_|>\[\]]|\]\(|^\s*[-+] ", text, re.M)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, embed_model: MiniLMEmbedding) -> Path:
    root = tmp_path_factory.mktemp("markup")
    sources = root / "sources"
    sources.mkdir()
    (sources / "norwich-rail.md").write_text(RAIL_MD, encoding="utf-8")
    (sources / "libraries.html").write_text(LIBRARIES_HTML, encoding="utf-8")
    (sources / "mayor.txt").write_text(ESCAPES_TXT, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def kb(library: Path, embed_model: MiniLMEmbedding) -> KnowledgeBase:
    settings = Settings(sources_dir=library / "sources", data_dir=library / "data")
    kb = KnowledgeBase(settings, embed_model=embed_model)
    kb.refresh()
    return kb


@pytest.fixture(scope="module")
def answers(kb: KnowledgeBase) -> dict[str, Answer]:
    return {q: kb.answer_sync(q) for q in QUESTIONS}


# -- reading ---------------------------------------------------------------------------------
def test_markdown_is_read_as_its_text_with_headings_and_tables_apart(tmp_path: Path) -> None:
    (tmp_path / "rail.md").write_text(RAIL_MD, encoding="utf-8")
    doc = load_document(tmp_path / "rail.md", tmp_path)
    assert doc.title == "Norwich rail plan"
    assert no_markup(doc.text.replace(" | ", " "))
    assert "a new rail line between Norwich and Cambridge, worth £80 million, officials" in doc.text
    assert "\n\ntransport minister Ellen Hart said" in doc.text
    apart = [(s.kind, doc.text[s.start : s.end]) for s in doc.structure]
    assert apart == [
        ("heading", "Norwich rail plan"),
        ("heading", "Timetable"),
        ("table", "year | trains\n2028 | 4 per hour\n2030 | 6 per hour"),
    ]
    sentences = [doc.text[s.start : s.end] for s in split_sentences(doc.text, doc.structure)]
    assert sentences == [
        "The government has approved a new rail line between Norwich and Cambridge, worth £80 "
        "million, officials confirmed on Monday.",
        "transport minister Ellen Hart said the line would open in 2028 and carry four trains "
        "an hour.",
        "The plan includes:",
        "a new station at Wymondham;",  # each item a paragraph: never glued to the next
        "electrified track along the whole route;",
        "1,200 extra seats at peak times.",
        '"This is the biggest investment in rail for a generation," said Ellen Hart.',
        "Critics including the campaign group Rail Future warned that the budget would not "
        "cover the new bridges.",
    ]
    for chunk in chunk_text(doc.doc_id, doc.text, structure=doc.structure):
        for s in chunk.sentences:
            assert not any(a.start < s.end and s.start < a.end for a in doc.structure)


def test_inline_markup_nested_blocks_and_escapes_leave_only_words() -> None:
    read = read_markdown(
        "Intro with `code`, an ![image](pic.png) and a\nsoft break, 5 \\* 3 and <span>x</span>.\n\n"
        "> 1. quoted *and* listed\n>    second line of it\n\n"
        "Setext heading\n---\n\n    indented code\n\n<p>Raw <b>HTML</b> block</p>\n\n"
        "<!-- a comment -->\n"
    )
    assert read.text == (
        "Intro with code, an  and a\nsoft break, 5 * 3 and x.\n\n"
        "quoted and listed\nsecond line of it\n\n"
        "Setext heading\n\nindented code\n\nRaw HTML block"
    )
    assert [(s.kind, read.text[s.start : s.end]) for s in read.structure] == [
        ("heading", "Setext heading"),
        ("code", "indented code"),
    ]


def test_a_web_pages_headline_is_not_glued_to_its_first_sentence(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(LIBRARIES_HTML, encoding="utf-8")
    doc = load_document(tmp_path / "page.html", tmp_path)
    sentences = [doc.text[s.start : s.end] for s in split_sentences(doc.text, doc.structure)]
    assert sentences[0] == (
        "Birmingham City Council voted on Tuesday to close twelve of its libraries, citing a "
        "budget gap of £20 million."
    )
    assert "Ten branches close in March" in sentences  # a list item is a sentence of its own
    assert not any("Council closes" in s or "Reaction" in s or "2024" in s for s in sentences)


def test_control_characters_and_escape_sequences_are_not_part_of_a_document(
    tmp_path: Path,
) -> None:
    (tmp_path / "mayor.txt").write_text(ESCAPES_TXT, encoding="utf-8")
    (tmp_path / "t.md").write_text('---\ntitle: "Budget \\e[2Jday"\n---\n\nBody.\n')
    doc = load_document(tmp_path / "mayor.txt", tmp_path)
    assert doc.text == (
        "The mayor said the budget was balanced this year.\n\n"
        "The council tax rises by two percent, the treasurer said."
    )
    assert load_document(tmp_path / "t.md", tmp_path).title == "Budget day"


# -- the real pipeline: what a user sees ------------------------------------------------------
def test_quotes_hold_no_markup_and_stay_the_documents_own_text(
    kb: KnowledgeBase, answers: dict[str, Answer]
) -> None:
    sources = kb.settings.sources_dir
    speakers = set()
    for question, answer in answers.items():
        assert not CONTROL.search(answer.answer), question
        assert no_markup(re.sub(r" ?\[\d+\]", "", answer.answer)), (question, answer.answer)
        for c in answer.citations:
            doc = load_document(sources / c.path, sources)
            assert doc.text[c.start : c.end] == c.quote, (question, c.quote)
            assert no_markup(c.quote) and not CONTROL.search(c.quote), (question, c.quote)
            assert not any(n in c.quote for n in NOT_PROSE), (question, c.quote)
            assert not any(a.start < c.end and c.start < a.end for a in doc.structure)
            if c.speaker:
                speakers.add(c.speaker)
    assert "transport minister Ellen Hart" in speakers
    assert all(no_markup(s) for s in speakers), speakers


def test_the_answers_quote_the_sentences_not_the_markup(answers: dict[str, Answer]) -> None:
    cost = answers["How much will the Norwich rail line cost?"]
    assert cost.citations[0].quote == (
        "The government has approved a new rail line between Norwich and Cambridge, worth £80 "
        "million, officials confirmed on Monday."
    )
    libraries = answers["Which libraries did Birmingham City Council close?"]
    assert libraries.citations[0].quote.startswith("Birmingham City Council voted on Tuesday")
    mayor = answers["What did the mayor say about the budget?"]
    assert "The mayor said the budget was balanced this year." in {c.quote for c in mayor.citations}


def test_two_sentences_are_never_quoted_together_across_a_heading(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    """A heading is no sentence, so the sentences around it are neighbours: one that scores
    nearly as well widens a quote, but not across the heading between them."""
    kb = make_kb(seed=False)
    (kb.settings.sources_dir / "ferry.md").write_text(
        "# Island ferry\n\n"
        "Ferry fares to the island will rise by ten percent in April, the operator said.\n\n"
        "## Ferry fares\n\n"
        "Ferry fares to the island will rise again by five percent in October, the operator "
        "said.\n\nThe council said it would review the timetable next year.\n"
    )
    kb.refresh()
    answer = kb.answer_sync("How much will ferry fares to the island rise?")
    quotes = [c.quote for c in answer.citations]
    assert quotes and all(q.count("Ferry fares") == 1 for q in quotes), quotes
    assert "Ferry fares to the island will rise by ten percent in April, the operator said." in (
        quotes
    )


def test_search_shows_passages_without_markup_or_control_characters(kb: KnowledgeBase) -> None:
    for question in ("Norwich rail timetable", "library closures", "mayor budget"):
        for hit in kb.search(question):
            assert no_markup(hit.text.replace(" | ", " ")) and not CONTROL.search(hit.text)


def test_the_terminal_gets_no_control_characters(kb: KnowledgeBase, library: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CHROMA_", "LLM_", "POLICYBOT_"))
    }
    base = [sys.executable, "-m", "policybot", "--sources", str(library / "sources")]
    base += ["--data", str(library / "data")]
    for verb in ("ask", "search"):
        done = subprocess.run(
            [*base, verb, "-"],
            input="What did the mayor say about the budget?\nHow did critics react to the plan?\n",
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        assert "The mayor said the budget was balanced this year." in done.stdout
        assert not CONTROL.search(done.stdout), done.stdout


def test_a_control_character_left_in_what_is_printed_is_shown_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An index built before the loaders dropped them, a file's name or a model's reply
    may still carry one: the terminal shows it, never acts on it."""
    from index.answering.types import Citation
    from policybot.output import print_answer

    quote = "The mayor \x1b[2Jsaid it\x9b31m."
    citation = Citation(1, "T\x1b]0;owned\x07", "a\x1bb.md", "a.md", quote, 1.0, 0, len(quote))
    print_answer(Answer("q", "“The mayor said it.” [1]", False, [citation]))
    out = capsys.readouterr().out
    assert not CONTROL.search(out)
    assert "\\x1b[2J" in out and "\\x9b31m" in out and "T\\x1b]0;owned\\x07" in out


# -- the seed library --------------------------------------------------------------------------
def test_the_seed_articles_section_heading_is_never_quoted(seed_kb: KnowledgeBase) -> None:
    """unions-step-up-opposition-to-foundation-hospitals.md has "## Competition" between
    two sentences; it was quoted alone and glued to the sentence after it."""
    sources = seed_kb.settings.sources_dir
    doc = load_document(sources / "unions-step-up-opposition-to-foundation-hospitals.md", sources)
    assert [doc.text[s.start : s.end] for s in doc.structure] == ["Competition"]
    for question in (
        "What is said about competition?",
        "What did Blair say about competition between hospitals?",
        "What did Blair tell the parliamentary labour party?",
        "How did Blair respond to Labour MPs opposing foundation hospitals?",
    ):
        answer = seed_kb.answer_sync(question)
        assert "##" not in answer.answer
        for c in answer.citations:
            assert "##" not in c.quote and c.quote != "Competition", (question, c.quote)
            if c.path == doc.doc_id:
                assert not any(a.start < c.end and c.start < a.end for a in doc.structure)
