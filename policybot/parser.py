"""The command line's verbs, options and their help: what `policybot VERB --help` tells a
new user, checked against what each verb does (policybot/cli.py)."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn


class UsageExit(Exception):
    """Bad usage: exit status 2 with a one-line reason."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageExit(message)


JSON_HELP = "print the result as one JSON object"
QUESTION_HELP = "the question (its words are joined); '-' reads one question per line from stdin"


def _verb(sub: Any, name: str, summary: str, more: str = "") -> argparse.ArgumentParser:
    """A verb: `summary` in `policybot --help`'s list; it and `more` in its own --help."""
    description = summary[0].upper() + summary[1:] + "." + (f" {more}" if more else "")
    parser: argparse.ArgumentParser = sub.add_parser(name, help=summary, description=description)
    return parser


def _takes_questions(s: argparse.ArgumentParser) -> None:
    """`ask` and `search`: questions as words or '-', and JSON a line each."""
    s.add_argument(
        "--json", action="store_true", help="print one JSON object per question, a line each"
    )
    s.add_argument("question", nargs="+", help=QUESTION_HELP)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="policybot", description="Cited answers to policy questions.")
    p.add_argument("--sources", metavar="DIR", help="folder of source documents")
    p.add_argument("--data", metavar="DIR", help="folder for the index and app data")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    sub.required = True

    s = _verb(
        sub,
        "index",
        "bring the index in line with the sources folder",
        "New files are added, changed ones embedded again, deleted ones taken out; unchanged "
        "ones are not embedded again. When documents were added or changed, the questions "
        "the bot couldn't answer (see gaps) are asked again.",
    )
    s.add_argument("--json", action="store_true", help=JSON_HELP)
    s.add_argument(
        "--dry-run",
        action="store_true",
        help="show the diff and totals it would give; change nothing",
    )

    s = _verb(
        sub,
        "ask",
        "answer a question with citations ('-' reads stdin)",
        "Each [n] in the answer points at a citation that quotes the sources word for "
        "word. With no index yet, it is built from the sources folder first.",
    )
    _takes_questions(s)

    s = _verb(
        sub,
        "search",
        "retrieval only, best first ('-' reads stdin)",
        "The passages of the sources that best match the question, without an answer; a "
        "passage shows only what no passage above it shows.",
    )
    _takes_questions(s)
    s.add_argument(
        "-k",
        type=int,
        default=None,
        help="number of results, 1 to 100 (default POLICYBOT_TOP_K, 5)",
    )

    s = _verb(
        sub,
        "sources",
        "what the index holds",
        "Each document's title, source, number of chunks and when it was indexed.",
    )
    s.add_argument("--json", action="store_true", help=JSON_HELP)

    s = _verb(
        sub,
        "add",
        "fetch a web page or PDF by URL into the sources, and index it",
        "The page's main text (or the PDF) is saved in the sources folder, then the index is "
        "brought in line with the folder, as `policybot index` does.",
    )
    s.add_argument("--json", action="store_true", help=JSON_HELP)
    s.add_argument("--no-index", action="store_true", help="save the file; don't refresh the index")
    s.add_argument("url", help="the http(s) address of the page or PDF")

    s = _verb(
        sub,
        "remove",
        "take a source out of the library (path in the sources folder, or URL)",
        "The file is not deleted: it is moved to <data>/removed-sources/<time>/ (a PDF with "
        "its .pdf.yml metadata file), where it can be taken back from. Then the index is brought "
        "in line with the sources folder, as `policybot index` does.",
    )
    s.add_argument("--json", action="store_true", help=JSON_HELP)
    s.add_argument(
        "--no-index",
        action="store_true",
        help="move the file out; don't refresh the index (the next refresh takes it out)",
    )
    s.add_argument(
        "source",
        help="its path in the sources folder, or the URL it came from (`policybot sources` "
        "shows one or the other)",
    )

    s = _verb(
        sub,
        "eval",
        "measure retrieval and answers on a QA file (JSONL)",
        "Retrieval (hit@k, MRR@10), citations, keywords and refusals; broad questions (lines "
        "with 'groups') by the sides their answers cite.",
    )
    s.add_argument("--json", action="store_true", help=JSON_HELP)
    s.add_argument(
        "qa_file",
        metavar="QA.jsonl",
        help="one JSON object per line: 'question' with 'answerable' and 'gold_quotes', or "
        "with 'groups'",
    )

    s = _verb(
        sub,
        "gaps",
        "questions the library couldn't answer, grouped by meaning",
        "The questions members asked the Discord bot that it refused, or whose answers were "
        "voted down, from the bot's store in the data folder. Questions older than "
        "ANSWER_RETENTION_DAYS (90 unless set) are deleted from the store first.",
    )
    s.add_argument("--json", action="store_true", help=JSON_HELP)
    s.add_argument(
        "--since", type=float, metavar="DAYS", help="only questions asked in the last DAYS days"
    )

    _verb(
        sub,
        "bot",
        "run the Discord bot (token from DISCORD_TOKEN)",
        "It answers until stopped (SIGTERM or Ctrl-C). With DEV_GUILD_ID set, its slash "
        "commands are synced to that guild at start.",
    )
    _verb(
        sub,
        "sync",
        "register the bot's slash commands with Discord (in DEV_GUILD_ID if set, else globally)",
        "In one guild they appear at once; globally, Discord may take up to an hour.",
    )
    return p
