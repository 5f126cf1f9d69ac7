"""Who may ask now: a per-user cooldown, and a global limit on answers in flight.

At most `max_in_flight` answers are worked on at once; up to `max_queued` more wait for a
turn (their "thinking…" is already showing). Beyond that, a question is refused as busy."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from types import TracebackType

from bot.errors import Busy, SlowDown


class Ticket:
    """An admitted question. `async with ticket.turn()` waits for an answering slot;
    leaving `with ticket` (or `release()`) gives the admission back."""

    def __init__(self, throttle: Throttle) -> None:
        self._throttle: Throttle | None = throttle
        self.admitted_at = time.monotonic()  # for the answer's latency in the log

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._throttle is None:
            raise RuntimeError("this ticket has been released")
        async with self._throttle._slots:
            yield

    def release(self) -> None:
        if self._throttle is not None:
            self._throttle._admitted -= 1
            if not self._throttle._admitted:
                self._throttle.idle.set()
            self._throttle = None

    def __enter__(self) -> Ticket:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class Throttle:
    """At most `rate` questions per `per` seconds per user; `max_in_flight` answered at
    once and `max_queued` more waiting. `admit` decides at once, without waiting; a
    question refused as busy does not count against the user's cooldown."""

    def __init__(
        self,
        rate: int,
        per: float,
        max_in_flight: int,
        max_queued: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.per = per
        self.capacity = max_in_flight + max_queued
        self._slots = asyncio.Semaphore(max_in_flight)
        self._clock = clock
        self._asked: dict[int, deque[float]] = {}
        self._admitted = 0
        self.idle = asyncio.Event()  # set while no question is admitted (for shutting down)
        self.idle.set()

    @property
    def admitted(self) -> int:
        """Questions admitted and not yet finished (answering or waiting for a turn)."""
        return self._admitted

    def admit(self, user_id: int) -> Ticket:
        """A Ticket, or raise Busy (no room) or SlowDown (this user's cooldown)."""
        if self._admitted >= self.capacity:
            raise Busy(
                "I'm busy answering other questions right now. Please ask again in a moment."
            )
        now = self._clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and asked[0] <= now - self.per:
            asked.popleft()
        if len(asked) >= self.rate:
            wait = asked[0] + self.per - now
            raise SlowDown(
                f"Slow down: you can ask {self.rate} questions every {self.per:g} s. "
                f"Try again in {max(1, round(wait))} s.",
                retry_after=wait,
            )
        asked.append(now)
        self._forget_idle(now)
        self._admitted += 1
        self.idle.clear()
        return Ticket(self)

    def _forget_idle(self, now: float) -> None:
        if len(self._asked) > 1000:
            for uid in [u for u, q in self._asked.items() if not q or q[-1] <= now - self.per]:
                del self._asked[uid]
