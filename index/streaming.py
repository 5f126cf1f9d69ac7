"""A synchronous generator read from an event loop: it runs in a worker thread and hands its
items over a queue, so the loop (the bot's) is never blocked by Chroma, embeddings or an LLM."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, Callable, Generator
from concurrent.futures import Executor
from typing import TypeVar

T = TypeVar("T")


class _End:
    """Put on the queue after the generator's last item."""


async def in_thread(
    make: Callable[[], Generator[T, None, None]], executor: Executor | None = None
) -> AsyncGenerator[T, None]:
    """Yield what `make()`'s generator yields, the generator running in `executor` (default:
    the loop's). An exception it raises is raised here. When the consumer stops early
    (`aclose`, a cancelled task), the worker stops reading at its next item and closes the
    generator, so an LLM stream is not read to its end for nobody."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[T | Exception | _End] = asyncio.Queue()
    stop = threading.Event()

    def put(item: T | Exception | _End) -> None:
        if not stop.is_set():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        items = make()
        try:
            for item in items:
                if stop.is_set():  # the consumer went away: stop reading
                    return
                put(item)
            put(_End())
        except Exception as e:  # handed to the consumer, which re-raises it
            put(e)
        finally:
            items.close()

    worker = loop.run_in_executor(executor, work)
    try:
        while not isinstance(item := await queue.get(), _End):
            if isinstance(item, Exception):
                raise item
            yield item
        await worker
    finally:
        stop.set()
