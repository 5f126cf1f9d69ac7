"""Fixtures for the bot's tests: a Discord stand-in and the real bot on the real seed KB."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from bot_harness import FastPolicyBot, Site
from discord_standin import DiscordStandin

from bot.settings import BotSettings
from bot.store import AnswerStore
from index.settings import SecretStr

StartBot = Callable[..., AbstractAsyncContextManager[FastPolicyBot]]


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandin]:
    async with DiscordStandin() as s:
        yield s


def bot_settings(standin: DiscordStandin, data_dir: Path, **overrides: Any) -> BotSettings:
    """Settings as an operator would write them for the stand-in's guild."""
    values: dict[str, Any] = {
        "token": SecretStr(standin.token),
        "data_dir": data_dir,
        "dev_guild_id": standin.world.guild_id,
        "moderator_role_ids": frozenset({standin.world.roles["moderator"]}),
        "cooldown_rate": 20,
        "cooldown_seconds": 60.0,
        "max_in_flight": 8,
    }
    values.update(overrides)
    return BotSettings(**values)


@pytest.fixture
def start_bot(
    standin: DiscordStandin, seed_kb: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> StartBot:
    """`async with start_bot(kb=..., **settings) as bot:` — the bot connected and ready."""
    caplog.set_level(logging.DEBUG)

    @asynccontextmanager
    async def start(kb: Any = None, **overrides: Any) -> AsyncIterator[FastPolicyBot]:
        config = bot_settings(standin, tmp_path / "bot-data", **overrides)
        bot = FastPolicyBot(
            kb or seed_kb, config, AnswerStore(config.db_path), guild_ready_timeout=0.1
        )
        async with standin.running(bot, timeout=30):
            yield bot
        records = [r.getMessage() for r in caplog.records]
        assert not [m for m in records if standin.token in m], "the token reached the log"

    return start


@pytest.fixture
def site() -> Iterator[Site]:
    """`site.url(path)`: pages served on 127.0.0.1; `site.hits`: the paths requested."""
    s = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), s.handler())
    s.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="test-site", daemon=True)
    thread.start()
    try:
        yield s
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
