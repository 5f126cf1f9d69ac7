"""The bot's own pieces without Discord: throttle, answer store, settings, draft pacing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.delivery import DraftWriter
from bot.errors import Busy, SlowDown
from bot.settings import BotSettings
from bot.store import AnswerStore, Origin
from bot.throttle import Throttle
from index.answering.types import Answer, Citation, Turn
from index.errors import UsageError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cooldown_is_per_user_and_passes() -> None:
    clock = Clock()
    throttle = Throttle(rate=2, per=10, max_in_flight=10, clock=clock)
    throttle.admit(1).release()
    throttle.admit(1).release()
    with pytest.raises(SlowDown) as slow:
        throttle.admit(1)
    assert slow.value.retry_after == pytest.approx(10) and "Slow down" in str(slow.value)
    throttle.admit(2).release()  # another user is not affected
    clock.now += 10.01
    throttle.admit(1).release()


async def test_in_flight_limit_queues_the_overflow_then_says_busy() -> None:
    throttle = Throttle(rate=1, per=60, max_in_flight=1, max_queued=1, clock=Clock())
    a, b = throttle.admit(1), throttle.admit(2)
    with pytest.raises(Busy):
        throttle.admit(3)
    order: list[str] = []

    async def work(name: str, ticket) -> None:
        with ticket:
            async with ticket.turn():
                order.append(f"{name} starts")
                await asyncio.sleep(0.01)
                order.append(f"{name} ends")

    await asyncio.gather(work("a", a), work("b", b))
    assert order == ["a starts", "a ends", "b starts", "b ends"]  # one at a time
    assert throttle.admitted == 0
    a.release()  # releasing twice changes nothing
    assert throttle.admitted == 0
    throttle.admit(3).release()  # user 3 was refused as busy, not charged


def answer(q: str, text: str, n: int = 1) -> Answer:
    c = Citation(n, "T", "t.md", "t.md", "quote", 0.5, 0, 5, passage="the whole passage")
    return Answer(q, text, False, [c])


def test_store_votes_history_and_downvoted(tmp_path: Path) -> None:
    store = AnswerStore(tmp_path / "db" / "bot.sqlite3")
    store.init()
    store.add("a" * 32, Origin(1, 10, 20, thread_id=30), answer("first?", "one [1]"))
    store.add("b" * 32, Origin(1, 10, 20, thread_id=30), answer("second?", "two [1]"))
    store.add("c" * 32, Origin(2, 10, 20, thread_id=31), answer("other?", "three [1]"))
    assert store.history(30, 5) == [Turn("first?", "one [1]"), Turn("second?", "two [1]")]
    assert store.history(30, 1) == [Turn("second?", "two [1]")]
    assert store.knows_thread(31) and not store.knows_thread(99)

    assert store.vote("a" * 32, 7, 1, 10) is None
    assert store.vote("a" * 32, 7, -1, 10) == 1
    assert store.vote("a" * 32, 8, -1, 10) is None
    assert store.votes("a" * 32) == {7: -1, 8: -1}
    store.vote("b" * 32, 7, 1, 10)
    with pytest.raises(KeyError):
        store.vote("f" * 32, 7, 1)
    store.set_message("a" * 32, 30, 555)
    (down,) = store.recent_downvoted(10, 10)
    assert store.recent_downvoted(10, 11) == []  # another guild sees none of it
    assert (down.question, down.down, down.up) == ("first?", 2, 0)
    assert down.jump_url == "https://discord.com/channels/10/30/555"
    (c,) = store.citations("a" * 32) or []
    assert c.passage == "the whole passage" and store.citations("f" * 32) is None


def test_settings_from_the_environment(tmp_path: Path) -> None:
    env = {
        "DISCORD_TOKEN": " secret ",
        "DEV_GUILD_ID": "123",
        "MODERATOR_ROLE_IDS": "5, 6,",
        "ASK_COOLDOWN_RATE": "2",
        "ASK_COOLDOWN_SECONDS": "7.5",
        "ASK_MAX_IN_FLIGHT": "4",
        "ASK_MAX_QUEUED": "0",
        "DISCORD_MESSAGE_CONTENT": "false",
        "DISCORD_SHARD_COUNT": "4",
        "DISCORD_SHARD_IDS": "2,3",
        "REFRESH_INTERVAL": "30m",
        "MODERATOR_CHANNEL_ID": "77",
    }
    s = BotSettings.from_env(env, data_dir=tmp_path)
    assert s.token.get_secret_value() == "secret" and "secret" not in repr(s)
    assert (s.dev_guild_id, s.moderator_role_ids) == (123, frozenset({5, 6}))
    assert (s.cooldown_rate, s.cooldown_seconds, s.max_in_flight, s.max_queued) == (2, 7.5, 4, 0)
    assert not s.follow_ups_without_mention
    assert (s.shard_count, s.shard_ids) == (4, (2, 3))
    assert s.db_path == tmp_path / "discord.sqlite3"
    assert (s.refresh_interval, s.moderator_channel_id) == (1800.0, 77)
    defaults = BotSettings.from_env({}, data_dir=tmp_path)
    assert defaults.dev_guild_id is None and defaults.follow_ups_without_mention
    assert (defaults.refresh_interval, defaults.moderator_channel_id) == (0.0, None)
    for raw, seconds in (("0", 0.0), ("900", 900.0), ("90s", 90.0), ("6h", 21600.0), ("1d", 86400)):
        assert (
            BotSettings.from_env({"REFRESH_INTERVAL": raw}, data_dir=tmp_path).refresh_interval
            == seconds
        )
    for bad in (
        {"ASK_MAX_IN_FLIGHT": "0"},
        {"DEV_GUILD_ID": "abc"},
        {"DISCORD_SHARD_IDS": "1"},
        {"DISCORD_MESSAGE_CONTENT": "maybe"},
        {"REFRESH_INTERVAL": "5"},  # a typo for 5m or 5h; scheduled runs below 60 s are refused
        {"REFRESH_INTERVAL": "every hour"},
        {"REFRESH_INTERVAL": "-1h"},
        {"MODERATOR_CHANNEL_ID": "mod-log"},
    ):
        with pytest.raises(UsageError):
            BotSettings.from_env(bad, data_dir=tmp_path)


def test_the_library_guilds_default_to_the_allowed_guilds_then_the_dev_guild(
    tmp_path: Path,
) -> None:
    def library(**env: str) -> frozenset[int]:
        return BotSettings.from_env(env, data_dir=tmp_path).library_guild_ids

    assert library() == frozenset()  # nobody changes the library from Discord
    assert library(DEV_GUILD_ID="9") == {9}
    assert library(DEV_GUILD_ID="9", ALLOWED_GUILD_IDS="1,2") == {1, 2}
    assert library(DEV_GUILD_ID="9", ALLOWED_GUILD_IDS="1,2", MODERATOR_GUILD_IDS="2") == {2}
    scoped = BotSettings.from_env({"ALLOWED_GUILD_IDS": "1, 2"}, data_dir=tmp_path)
    assert scoped.serves(1) and not scoped.serves(3) and not scoped.serves(None)
    anywhere = BotSettings.from_env({}, data_dir=tmp_path)
    assert anywhere.serves(3) and anywhere.serves(None)
    ops = BotSettings.from_env({"HEALTH_PORT": "8081"}, data_dir=tmp_path)
    assert (ops.health_port, ops.health_host) == (8081, "127.0.0.1")
    for bad in ({"ALLOWED_GUILD_IDS": "one"}, {"HEALTH_PORT": "http"}):
        with pytest.raises(UsageError):
            BotSettings.from_env(bad, data_dir=tmp_path)


class Recorder:
    def __init__(self) -> None:
        self.drafts: list[str] = []

    async def draft(self, text: str) -> None:
        self.drafts.append(text)


async def test_drafts_are_edited_at_most_once_per_interval() -> None:
    clock, out = Clock(), Recorder()
    writer = DraftWriter(out, interval=1.5, clock=clock)
    for _ in range(20):  # 20 deltas over 5 s
        await writer.add("word ")
        clock.now += 0.25
    assert len(out.drafts) == 4  # at 0, 1.5, 3.0 and 4.5 s
    assert out.drafts[-1].startswith("word word")
