"""Helpers for the bot's wire tests: a fast PolicyBot, knowledge-base wrappers, finders."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

from discord_standin import DiscordStandin, StoredMessage
from discord_standin.interactions import slash_payload
from discord_standin.messages import validation_error
from discord_standin.records import InteractionRecord

from bot.client import PolicyBot
from bot.render import Part
from index.answering.types import Answer, Turn
from index.errors import StoreUnavailable
from index.service import KnowledgeBase, LibraryInfo

SEED_SOURCES = Path(__file__).resolve().parents[2] / "sources"
RUNNER = Path(__file__).resolve().parent / "run_policybot.py"  # `policybot` on the stand-in
TIMEOUT = 30.0  # generous: the machine is shared; waits end as soon as the condition holds


def process_env(standin: DiscordStandin, **settings: str) -> dict[str, str]:
    """The environment of a `policybot` process (RUNNER) talking to the stand-in: this
    one's, without any policybot, Chroma, LLM or Discord setting of the developer's, plus
    the stand-in's addresses and token and `settings`."""
    here = Path(__file__).resolve().parent
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LLM_", "CHROMA_", "DISCORD_", "POLICYBOT_", "LOG_"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(here), str(here.parents[1])]),
        STANDIN_API=standin.api_base,
        STANDIN_GATEWAY=standin.gateway_url,
        DISCORD_TOKEN=standin.token,
        **settings,
    )
    return env


class FastPolicyBot(PolicyBot):
    """PolicyBot without discord.py's 5 s pause before a repeated IDENTIFY (tests only)."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


class Gate:
    """Lets a test hold the real knowledge base at a chosen point, then let it go."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def wait(self) -> None:
        self.entered.set()
        if not self.release.wait(timeout=TIMEOUT):
            raise TimeoutError("the test never opened the gate")

    async def until_entered(self) -> None:
        if not await asyncio.to_thread(self.entered.wait, TIMEOUT):
            raise TimeoutError("nothing reached the gate")


class GatedKB:
    """The real KnowledgeBase; `answer_gate` holds answers, `refresh_gate` holds a refresh
    after its first progress report. Everything else is passed through untouched."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        answer_gate: Gate | None = None,
        refresh_gate: Gate | None = None,
        fail_with: BaseException | None = None,
    ) -> None:
        self._kb = kb
        self.answer_gate = answer_gate
        self.refresh_gate = refresh_gate
        self.fail_with = fail_with

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kb, name)

    async def answer_stream(
        self, question: str, history: Sequence[Turn] = (), executor: Executor | None = None
    ) -> AsyncIterator[str | Answer]:
        if self.fail_with is not None:
            raise self.fail_with
        if self.answer_gate is not None:
            await asyncio.to_thread(self.answer_gate.wait)
        async for item in self._kb.answer_stream(question, history, executor):
            yield item

    async def arefresh(self, dry_run: bool = False, progress: Any = None) -> Any:
        gate, first = self.refresh_gate, [True]

        def held(stage: str, done: int, total: int) -> None:
            if progress is not None:
                progress(stage, done, total)
            if gate is not None and first[0]:
                first[0] = False
                gate.wait()

        return await self._kb.arefresh(dry_run=dry_run, progress=held)


class FlakyKB(GatedKB):
    """The real KnowledgeBase behind a store that is away while `down` is set: answers and
    the library listing raise StoreUnavailable, as the KB does when Chroma can't be reached."""

    REASON = "can't reach the Chroma server at chroma.internal:8000 (connection refused)"

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__(kb)
        self.down = False
        self.failures = 0

    def _check(self) -> None:
        if self.down:
            self.failures += 1
            raise StoreUnavailable(self.REASON)

    async def answer_stream(
        self, question: str, history: Sequence[Turn] = (), executor: Executor | None = None
    ) -> AsyncIterator[str | Answer]:
        self._check()
        async for item in self._kb.answer_stream(question, history, executor):
            yield item

    async def alibrary(self) -> LibraryInfo:
        self._check()
        return await self._kb.alibrary()


class StreamingKB(GatedKB):
    """Streams the real answer's text in pieces before the final Answer, as an LLM would;
    with `fail_after`, it raises `error` after that many pieces (a model failing midway)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        pieces: int,
        delay: float,
        fail_after: int | None = None,
        error: BaseException | None = None,
    ) -> None:
        super().__init__(kb)
        self.pieces = pieces
        self.delay = delay
        self.fail_after = fail_after
        self.error = error or RuntimeError("the model went away")

    async def answer_stream(
        self, question: str, history: Sequence[Turn] = (), executor: Executor | None = None
    ) -> AsyncIterator[str | Answer]:
        answer = await self._kb.answer(question, history)
        step = max(1, len(answer.answer) // self.pieces)
        for n, i in enumerate(range(0, len(answer.answer), step)):
            if n == self.fail_after:
                raise self.error
            yield answer.answer[i : i + step]
            await asyncio.sleep(self.delay)
        yield answer


async def eventually(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:  # noqa: ASYNC109
    """Poll `condition` (for state outside the stand-in) until it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (result := condition()):
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return result


def custom_ids(message: StoredMessage) -> list[str]:
    return [c["custom_id"] for row in message.components for c in row.get("components", [])]


def answer_id_of(message: StoredMessage) -> str:
    return next(c.split(":")[-1] for c in custom_ids(message) if c.startswith("pb:vote:"))


async def answer_in(standin: DiscordStandin, channel_id: int, *, after: int = 0) -> StoredMessage:
    """The bot's answer (the message carrying the vote buttons) in a channel or thread."""

    def is_answer(m: StoredMessage) -> bool:
        return (
            m.channel_id == channel_id
            and m.id > after
            and any(c.startswith("pb:vote:") for c in custom_ids(m))
        )

    return await standin.wait_for_message(is_answer, timeout=TIMEOUT)


def ephemeral_replies(standin: DiscordStandin, rec: Any) -> list[StoredMessage]:
    ids = [rec.original_id, *rec.followup_ids]
    return [standin.messages[i] for i in ids if i in standin.messages]


async def ephemeral_text(
    standin: DiscordStandin, rec: Any, predicate: Callable[[str], bool]
) -> str:
    """Wait until an ephemeral reply to `rec` satisfies `predicate`; return its text."""

    def find() -> str | None:
        for m in ephemeral_replies(standin, rec):
            if m.ephemeral and not m.loading and predicate(m.text()):
                return m.text()
        return None

    return await standin.wait_until(find, timeout=TIMEOUT, what="an ephemeral reply")


def public_report(standin: DiscordStandin, rec: Any) -> StoredMessage:
    """The refresh report everyone in the channel sees: the response to `rec` (not ephemeral)."""
    [report] = [
        m
        for m in standin.bot_messages()
        if m.interaction_id == rec.id and m.embeds and not m.ephemeral and not m.deleted
    ]
    return report


async def answered_privately(standin: DiscordStandin, rec: Any) -> StoredMessage:
    """The ephemeral follow-up to `rec` listing the open questions its refresh answered."""

    def find() -> StoredMessage | None:
        for m in ephemeral_replies(standin, rec):
            if m.ephemeral and not m.loading and "open questions" in m.text():
                return m
        return None

    return await standin.wait_until(find, timeout=TIMEOUT, what="the private list")


def pings(message: StoredMessage) -> bool:
    """Whether Discord would notify anyone for this message."""
    d = message.data
    return bool(d.get("mention_everyone") or d.get("mention_roles") or d.get("mentions"))


def discord_errors(part: Part) -> dict | None:
    """Discord's own verdict on a message made of `part` (None: it would be accepted)."""
    body = {"content": part.content, "embeds": [e.to_dict() for e in part.embeds]}
    return validation_error(body, [], creating=True)


async def autocomplete(
    standin: DiscordStandin,
    command: str,
    option: str,
    typed: str,
    *,
    user: str = "moderator",
    channel: str = "general",
) -> InteractionRecord:
    """What Discord sends while `user` types `typed` into `option` of `/command` (an
    INTERACTION_CREATE of type 4 with that option focused). The stand-in has no public
    action for this yet, so it is built from its slash-command payload."""
    payload = slash_payload(
        standin.state,
        command,
        {option: typed},
        user=user,
        channel_id=standin.world.resolve_channel(channel),
        locale="en-US",
    )
    payload["type"] = 4  # APPLICATION_COMMAND_AUTOCOMPLETE
    options = payload["data"]["options"]
    while options and options[0]["type"] in (1, 2):  # down to the subcommand's options
        options = options[0]["options"]
    for o in options:
        o["focused"] = o["name"] == option
    return await standin._interact(payload)


async def choices_of(standin: DiscordStandin, rec: InteractionRecord) -> list[dict[str, Any]]:
    """The autocomplete choices the bot answered `rec` with."""
    await standin.wait_until(
        lambda: rec.autocomplete_choices is not None, timeout=TIMEOUT, what="autocomplete choices"
    )
    assert rec.response_type == 8  # an autocomplete answer, nothing else
    return list(rec.autocomplete_choices or [])


PAGES = Path(__file__).resolve().parents[1] / "data" / "pages"
ARTICLE_PATH = "/2013/07/social-care-cap"


class Site:
    """A small web site on 127.0.0.1: one article, a listing page, a 404 and a 503."""

    ROUTES: ClassVar[dict[str, tuple[int, str | None, str]]] = {
        ARTICLE_PATH: (200, "social-care-cap.html", "text/html; charset=utf-8"),
        "/politics": (200, "listing.html", "text/html; charset=utf-8"),
        "/down": (503, None, "text/html"),
    }

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.base = ""

    def url(self, path: str) -> str:
        return self.base + path

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.hits.append(self.path)
                status, name, ctype = site.ROUTES.get(self.path, (404, None, "text/html"))
                body = (PAGES / name).read_bytes() if name else b"<h1>Not here</h1>"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


# A question the seed library can't answer, and the article that answers it (gap tests).
DENTAL_QUESTION = "How much is an NHS dental check-up?"
DENTAL_ARTICLE = """---
title: "NHS dental charges rise"
---

NHS dental charges in England rose on 1 April. A check-up at an NHS dentist now costs
£26.80, the Department of Health said, and a course of treatment with fillings costs £73.50.
"""
