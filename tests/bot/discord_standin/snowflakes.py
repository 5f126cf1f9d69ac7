"""Snowflake ids and timestamps in Discord's formats."""

from __future__ import annotations

import datetime
import itertools
import time

DISCORD_EPOCH_MS = 1420070400000


def snowflake(ms: int, increment: int = 0) -> int:
    """A snowflake for the given unix time in milliseconds."""
    return ((ms - DISCORD_EPOCH_MS) << 22) | (increment & 0xFFF)


def iso_now() -> str:
    """The current UTC time as Discord writes it (ISO 8601 with offset)."""
    return datetime.datetime.now(datetime.UTC).isoformat()


class SnowflakeFactory:
    """Hands out unique, increasing snowflakes that encode the current time."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._last = 0

    def next(self) -> int:
        """A new snowflake, strictly greater than every earlier one."""
        value = snowflake(int(time.time() * 1000), next(self._counter))
        self._last = max(value, self._last + 1)
        return self._last

    def with_shard(self, shard_id: int, shard_count: int) -> int:
        """A new snowflake `s` with `(s >> 22) % shard_count == shard_id` (for guild ids)."""
        value = self.next()
        while (value >> 22) % shard_count != shard_id:
            value += 1 << 22
        self._last = value
        return value
