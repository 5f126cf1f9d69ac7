"""index.streaming.in_thread: a synchronous generator (an LLM's stream) read from the bot's
event loop without blocking it, and stopped when nobody reads it any more."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Generator

import pytest

from index.streaming import in_thread


async def test_items_arrive_in_order_while_the_loop_stays_free() -> None:
    ticks: list[int] = []

    def slow() -> Generator[int, None, None]:
        for i in range(3):
            time.sleep(0.05)  # a blocking call: must not hold the loop
            yield i

    async def ticker() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    got = [item async for item in in_thread(slow)]
    task.cancel()
    assert got == [0, 1, 2]
    assert len(ticks) >= 5  # the loop ran other work while the generator slept


async def test_the_generators_error_is_raised_to_the_reader() -> None:
    def failing() -> Generator[str, None, None]:
        yield "draft"
        raise ConnectionError("model went away")

    got: list[str] = []
    with pytest.raises(ConnectionError, match="model went away"):
        async for item in in_thread(failing):
            got.append(item)
    assert got == ["draft"]


async def test_a_reader_that_leaves_stops_the_generator() -> None:
    """A Discord user deletes the question mid-answer: the model's stream is closed, not
    read to its end for nobody."""
    pulled: list[int] = []
    closed = threading.Event()

    def endless() -> Generator[int, None, None]:
        try:
            n = 0
            while True:
                time.sleep(0.01)
                pulled.append(n)
                yield n
                n += 1
        finally:
            closed.set()

    async with contextlib.aclosing(in_thread(endless)) as items:
        async for item in items:
            if item == 2:
                break
    assert await asyncio.to_thread(closed.wait, 5), "the generator was never closed"
    count = len(pulled)
    await asyncio.sleep(0.1)
    assert len(pulled) == count  # nothing more read after the close
