"""`policybot`: the command line (see ../shared CONTRACT.md for what scripts rely on)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from policybot.logs import configure_logging, log_level
from policybot.parser import UsageExit, build_parser

if TYPE_CHECKING:  # imported where used: `policybot --help` shouldn't load the index code
    from index.answering.types import Answer
    from index.documents import Hit
    from index.service import KnowledgeBase
    from index.settings import Settings

log = logging.getLogger("policybot")
_C1 = re.compile(r"[\x7f-\x9f]")


def _questions(parts: list[str]) -> Iterator[str]:
    if parts == ["-"]:
        for line in sys.stdin:
            yield line.rstrip("\n")
    else:
        yield " ".join(parts)


def _progress(stage: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{stage}: {done}/{total}   ", end="", file=sys.stderr, flush=True)


def _emit(obj: dict[str, Any]) -> None:
    # json escapes C0 control characters but writes DEL and C1 (0x80-0x9f: "\x9b" is a
    # terminal's CSI) as they are; escaped here too, so JSON read in a terminal is inert.
    # Text that was never UTF-8 (a question's undecodable bytes, echoed) is written as a
    # JSON escape: the line stays valid UTF-8 and reads back as the same string.
    text = _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False))
    print(text.encode("utf-8", "backslashreplace").decode("utf-8"), flush=True)


def _open_kb(args: argparse.Namespace, settings: Settings) -> KnowledgeBase:
    from index.service import KnowledgeBase

    return KnowledgeBase(settings)


def _ensure(kb: KnowledgeBase, as_json: bool) -> None:
    report = kb.ensure_index(progress=_progress)
    if report is not None:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        msg = f"built the index: {report.documents} documents, {report.chunks} chunks"
        print(
            msg + (f"; {len(report.skipped)} files skipped" if report.skipped else ""),
            file=sys.stderr,
        )


# A bad line of a batch is echoed this far (a 200 KB line needn't come back whole).
ECHOED = 200
_EMPTY_ANSWER = {"answer": "", "refused": True, "citations": [], "mode": "extractive",
                 "timings_ms": {}}  # fmt: skip
_EMPTY_RESULTS: dict[str, Any] = {"results": []}


def _batch(
    args: argparse.Namespace,
    kb: KnowledgeBase,
    one: Callable[[str], Any],
    show: Callable[[str, Any], None],
) -> int:
    """Run `one` per question; in batch mode a bad line is reported and the rest still run."""
    from index.errors import UsageError

    status = 0
    batch = args.question == ["-"]
    for q in _questions(args.question):
        try:
            result = one(q)
        except UsageError as e:
            if not batch:
                raise
            status = 2
            if args.json:
                # the line's usual fields, empty, so a script reading them doesn't break
                empty = _EMPTY_RESULTS if args.verb == "search" else _EMPTY_ANSWER
                _emit({"question": q[:ECHOED], **empty, "error": str(e)})
            else:
                print(f"policybot: {e}: {q[:60]!r}", file=sys.stderr)
            continue
        show(q, result)
    return status


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from policybot.output import print_answer

    kb = _open_kb(args, settings)
    _ensure(kb, args.json)
    # Piped, or as JSON, only the checked answer is written; on a terminal a
    # generative answer's draft is streamed as the model writes it, then replaced by the
    # checked one (markers verified, quotes chosen): output.Draft.
    if args.json or not getattr(kb, "generative", False) or not sys.stdout.isatty():
        return _batch(
            args,
            kb,
            kb.answer_sync,
            lambda q, a: _emit(a.to_json()) if args.json else print_answer(a),
        )

    from policybot.output import Draft

    drafts: list[Draft] = []

    def stream(q: str) -> Answer:
        draft = Draft()
        try:
            for item in kb.answer_iter(q, stream=True):
                if isinstance(item, str):
                    draft.write(item)  # a model's text, unchecked as yet
                else:
                    drafts.append(draft)
                    return item
        except BaseException:
            draft.abandon()
            raise
        raise RuntimeError("the answer stream ended without an answer")

    def show(q: str, a: Answer) -> None:
        drafts.pop().replace(a)

    return _batch(args, kb, stream, show)


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from index.settings import check_top_k
    from policybot.output import print_hits

    if args.k is not None:
        check_top_k(args.k, "k")  # before any index is opened or built
    kb = _open_kb(args, settings)
    _ensure(kb, args.json)

    def show(q: str, hits: list[Hit]) -> None:
        if not args.json:
            print_hits(q, hits)
            return
        _emit(
            {
                "question": q,
                "results": [
                    {
                        "rank": i,
                        "title": h.title,
                        "source": h.source,
                        "path": h.doc_id,
                        "text": h.text,
                        # the score the results are ranked by (1 at best), so it falls
                        # with the rank; the passage's cosine with the question beside it
                        "score": round(h.fused, 4),
                        "cosine": round(h.score, 4),
                        **({"page": h.page} if h.page else {}),
                    }
                    for i, h in enumerate(hits, start=1)
                ],
            }
        )

    return _batch(args, kb, lambda q: kb.search(q, args.k), show)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from policybot.output import print_reasked, print_report

    if not settings.sources_dir.is_dir():
        raise UsageExit(f"the sources folder {settings.sources_dir} does not exist")
    kb = _open_kb(args, settings)
    report = kb.refresh(dry_run=args.dry_run, progress=_progress)
    reasked = _reask(kb, settings, report)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        _emit({**report.to_json(), **({"gaps": reasked.to_json()} if reasked else {})})
    else:
        print_report(report)
        if reasked is not None:
            print_reasked(reasked)
    return 0


def _reask(kb: KnowledgeBase, settings: Settings, report: Any) -> Any:
    """The bot's open gap questions asked again after a refresh that changed documents
    (bot/reasking.py); None when there is no bot store here or nothing could change.

    The refresh is published by now: a store that can't be read (damaged, locked) costs
    the re-asking, with a warning, never the refresh's result or exit status."""
    import sqlite3

    from bot.reasking import reask
    from bot.settings import DB_FILE
    from bot.store import AnswerStore
    from bot.store_schema import StoreUnreadable

    path = settings.data_dir / DB_FILE
    if not path.exists() or report.dry_run or not (report.added or report.updated):
        return None
    try:
        store = AnswerStore(path)
        store.init()
        return reask(store, kb, report, _progress)
    except (StoreUnreadable, sqlite3.Error, OSError) as e:
        log.debug("re-asking the open questions", exc_info=True)
        if sys.stderr.isatty():
            print(file=sys.stderr)  # past the progress line
        reason = e.reason if isinstance(e, StoreUnreadable) else f"{type(e).__name__}: {e}"
        print(
            f"policybot: warning: the open questions in the bot's store {path} were not "
            f"re-asked: it can't be read ({reason})",
            file=sys.stderr,
        )
        return None


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    from policybot.output import print_library

    kb = _open_kb(args, settings)
    library = kb.library()
    if args.json:
        _emit(
            {
                "refreshed_at": library.refreshed_at,
                "documents": [
                    {
                        "path": d.path,
                        "title": d.title,
                        "source": d.source,
                        "chunks": d.chunks,
                        "indexed_at": d.indexed_at,
                        **d.metadata,
                    }
                    for d in library.documents
                ],
            }
        )
    else:
        print_library(library)
    return 0


def _after_change(args: argparse.Namespace, kb: KnowledgeBase, result: dict[str, Any]) -> int:
    from index.errors import RefreshInProgress
    from policybot.output import print_reasked, print_report

    report = reasked = None
    if not args.no_index:
        try:
            report = kb.refresh(progress=_progress)
        except RefreshInProgress as e:  # the file is saved; the running refresh or the next
            result = {**result, "note": f"{e}; the change will be indexed by the next refresh"}
        else:
            reasked = _reask(kb, kb.settings, report)
    if args.json:
        index = report.to_json() if report else None
        if index is not None and reasked is not None:
            index["gaps"] = reasked.to_json()
        _emit({**result, "index": index})
    else:
        print(" ".join(f"{k}: {v}" for k, v in result.items() if v))
        if report:
            print_report(report)
        if reasked is not None:
            print_reasked(reasked)
    return 0


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    kb = _open_kb(args, settings)
    return _after_change(args, kb, kb.add_url(args.url))


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    kb = _open_kb(args, settings)
    return _after_change(args, kb, kb.remove_source(args.source))


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from index.evaluation import load_qa, run_eval

    questions = load_qa(Path(args.qa_file))  # UsageError on a missing or malformed file
    kb = _open_kb(args, settings)
    _ensure(kb, args.json)
    report = run_eval(kb, questions)
    if args.json:
        _emit(report.to_json())
    else:
        print(report.to_text())
    return 0


def cmd_gaps(args: argparse.Namespace, settings: Settings) -> int:
    """The bot's gaps, from its store in the data folder (ANSWER_RETENTION_DAYS applied
    first: expired questions are deleted, never shown)."""
    from bot.gaps import find_gaps
    from bot.settings import BotSettings
    from bot.store import AnswerStore
    from policybot.output import print_gaps

    if args.since is not None and not args.since > 0:
        raise UsageExit("--since must be a positive number of days")
    config = BotSettings.from_env(data_dir=settings.data_dir)
    gaps = []
    if config.db_path.exists():  # no bot has run here: no questions, and nothing to create
        store = AnswerStore(config.db_path)
        store.init()
        store.expire(config.answer_retention_days)
        kbs: list[KnowledgeBase] = []

        def embed(texts: list[str]) -> Any:  # the model is loaded only for new questions
            if not kbs:
                kbs.append(_open_kb(args, settings))
            return kbs[0].embed_texts(texts)

        gaps = find_gaps(store, embed, every_guild=True, since_days=args.since)
    if args.json:
        _emit({"gaps": [g.to_json() for g in gaps]})
    else:
        print_gaps(gaps)
    return 0


def cmd_bot(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runner import run

    return run(settings, sync_only=args.verb == "sync")


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "ask": cmd_ask,
    "search": cmd_search,
    "index": cmd_index,
    "sources": cmd_sources,
    "eval": cmd_eval,
    "add": cmd_add,
    "remove": cmd_remove,
    "gaps": cmd_gaps,
    "bot": cmd_bot,
    "sync": cmd_bot,
}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    try:
        args = build_parser().parse_args(argv)
    except UsageExit as e:
        print(f"policybot: {e} (see policybot --help)", file=sys.stderr)
        return 2
    try:
        from index.errors import PolicybotError, UsageError
        from index.settings import Settings, load_env_file

        load_env_file()
        chosen = args.debug or bool(os.environ.get("LOG_LEVEL", "").strip())
        configure_logging(log_level(args.verb, args.debug), args.verb, chosen)
        settings = Settings.from_env(sources=args.sources, data=args.data)
        return COMMANDS[args.verb](args, settings)
    except UsageExit as e:
        print(f"policybot: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("policybot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        if args.debug:
            raise
        if isinstance(e, UsageError):
            print(f"policybot: {e}", file=sys.stderr)
            return 2
        if isinstance(e, PolicybotError):
            print(f"policybot: {e}", file=sys.stderr)
            return 1
        log.debug("unexpected error", exc_info=True)
        print(
            f"policybot: unexpected error: {type(e).__name__}: {e} (run with --debug for "
            "the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
