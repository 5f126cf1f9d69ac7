"""`policybot bot` and `policybot sync`: start the bot, or register its slash commands."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import discord

from bot.client import PolicyBot
from bot.settings import BotSettings
from bot.store import AnswerStore
from bot.store_schema import StoreUnreadable
from index.service import KnowledgeBase
from index.settings import Settings

log = logging.getLogger(__name__)


def _fail(message: str) -> None:
    sys.stderr.write(f"policybot: {message}\n")


def run(
    settings: Settings,
    sync_only: bool = False,
    *,
    kb: KnowledgeBase | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run the bot until it is stopped (or just sync its commands); returns the exit code."""
    config = BotSettings.from_env(os.environ if env is None else env, data_dir=settings.data_dir)
    if not config.token.get_secret_value():
        _fail("DISCORD_TOKEN is not set (put it in .env or the environment)")
        return 2
    try:  # before connecting to Discord: the bot can't run on a store it can't read
        AnswerStore(config.db_path).init()
    except StoreUnreadable as e:
        _fail(str(e))
        return 1
    try:
        if sync_only:
            return asyncio.run(sync(settings, config, kb))
        asyncio.run(serve(settings, config, kb))
        return 0
    except discord.LoginFailure:
        _fail("Discord rejected DISCORD_TOKEN; copy the bot token again from the developer portal")
        return 1
    except discord.PrivilegedIntentsRequired:
        _fail(
            "Discord refused the Message Content intent: enable it for the bot in the "
            "developer portal, or set DISCORD_MESSAGE_CONTENT=false"
        )
        return 1
    except discord.HTTPException as e:
        _fail(f"Discord refused a request: {e.status} {e.text or e.__class__.__name__}")
        return 1


def _bot(settings: Settings, config: BotSettings, kb: KnowledgeBase | None, **kw: Any) -> PolicyBot:
    return PolicyBot(kb or KnowledgeBase(settings), config, AnswerStore(config.db_path), **kw)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def _on_stop_signal(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM (how container platforms stop a process) and SIGINT set `stop` instead of
    killing the process. Not on Windows, nor outside the main thread (tests run the bot in
    a thread): there the defaults stay."""
    loop = asyncio.get_running_loop()

    def received(name: str) -> None:
        log.info("%s received: shutting down", name)
        stop.set()

    installed = []
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, received, sig.name)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def serve(settings: Settings, config: BotSettings, kb: KnowledgeBase | None = None) -> None:
    """Connect to Discord and answer until closed (slash commands sync to DEV_GUILD_ID only).

    A stop signal shuts down gently: no new questions, those in flight delivered or
    apologised for, the gateway closed; during start-up it just ends it."""
    stop = asyncio.Event()
    with _on_stop_signal(stop):
        if kb is None:
            kb = await asyncio.to_thread(KnowledgeBase, settings)
        if stop.is_set():
            return
        if not await asyncio.to_thread(kb.has_index):
            log.warning("there is no index yet: run `policybot index` or /refresh to build it")
        async with _bot(settings, config, kb) as bot:

            async def shut_down_on_stop() -> None:
                await stop.wait()
                await bot.shutdown()

            stopper = asyncio.create_task(shut_down_on_stop(), name="shutdown")
            try:
                await bot.start(config.token.get_secret_value())
            finally:
                if not stop.is_set():
                    stopper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await stopper  # the shutdown's last steps (and its log line)


async def sync(settings: Settings, config: BotSettings, kb: KnowledgeBase | None = None) -> int:
    """Register the slash commands: with DEV_GUILD_ID in that guild, else globally."""
    if kb is None:
        kb = await asyncio.to_thread(KnowledgeBase, settings)
    async with _bot(settings, config, kb, sync_dev_guild=False) as bot:
        await bot.login(config.token.get_secret_value())
        synced = await bot.sync_commands(config.dev_guild_id)
    where = (
        f"guild {config.dev_guild_id}"
        if config.dev_guild_id
        else "globally (may take up to an hour to appear)"
    )
    names = ", ".join("/" + c.name for c in synced)
    sys.stdout.write(f"synced {len(synced)} commands {where}: {names}\n")
    return 0
