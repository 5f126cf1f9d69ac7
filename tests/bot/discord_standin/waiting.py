"""Wait for a condition over the stand-in's state, re-checked on every change."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


POLL_INTERVAL = 0.05


class Notifier:
    """Wakes waiters whenever the stand-in's state changes (and polls, for outside state)."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_until(
        self,
        condition: Callable[[], T],
        timeout: float,  # noqa: ASYNC109
        what: str = "condition",
    ) -> T:
        """Return the first truthy `condition()`; raise TimeoutError after `timeout` seconds.

        Re-checked on every change and every 50 ms, so conditions on the bot's own
        state (lists filled by event handlers, caches) work too.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = condition()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fut, min(remaining, POLL_INTERVAL))
