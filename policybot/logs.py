"""Where the command line's log lines go, and how many: --debug, LOG_LEVEL, or the verb's
default."""

from __future__ import annotations

import logging
import os
import sys

from policybot.parser import UsageExit

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def log_level(verb: str, debug: bool) -> int:
    """--debug, else LOG_LEVEL, else INFO for the bot (an operator wants a line per answer)
    and WARNING for the other verbs (their output is the result)."""
    if debug:
        return logging.DEBUG
    raw = os.environ.get("LOG_LEVEL", "").strip().upper()
    if not raw:
        return logging.INFO if verb == "bot" else logging.WARNING
    if raw not in LOG_LEVELS:
        raise UsageExit(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return getattr(logging, raw)


# Verbs that print answers: a failed model call is already the answer's note ("The language
# model returned an error…; this is the extractive answer"), so by default its warning is
# not printed again on stderr, in the middle of the answer. LOG_LEVEL or --debug show it
# (and the answering module's other warnings, which this hides by default too).
ANSWERING_VERBS = ("ask", "eval")
NOTED_IN_ANSWERS = "index.answering.generative"


def configure_logging(level: int, verb: str = "", chosen: bool = True) -> None:
    """`chosen`: the level came from LOG_LEVEL or --debug, not the verb's default."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("chromadb", "httpx", "httpcore", "urllib3", "trafilatura"):
        logging.getLogger(noisy).setLevel(logging.INFO if level <= logging.DEBUG else logging.ERROR)
    if verb in ANSWERING_VERBS and not chosen:
        logging.getLogger(NOTED_IN_ANSWERS).setLevel(logging.ERROR)
