"""Background schedules of the bot's extensions (scheduled refresh, digest, retention): one
way to start them, so that a schedule that dies says so in the log, and one way to stop
them when their extension unloads."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


def start(work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    """Run `work` as a task named `name`; if it ever ends other than by being cancelled,
    the log says so, with its exception."""
    task = asyncio.create_task(work, name=name)

    def ended(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("the %s schedule stopped", name, exc_info=error)

    task.add_done_callback(ended)
    return task


async def stop(task: asyncio.Task[None] | None) -> None:
    """Cancel a schedule and wait for it to finish."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
