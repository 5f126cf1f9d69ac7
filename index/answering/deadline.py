"""A language model call that ends by a deadline, however the server behaves.

The HTTP clients' timeouts bound each wait for bytes, not a whole reply: a server that
sends one byte every half second never trips them. So each call runs on a daemon thread and
the caller stops waiting at the deadline. The abandoned call ends on its own when its
server closes the connection or stalls past the read timeout; nothing it returns is used."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class DeadlineExceeded(TimeoutError):
    """The model's reply did not end in time."""


def call_within(seconds: float, call: Callable[[], T]) -> T:
    """`call()`'s result, or DeadlineExceeded once `seconds` have passed; its exception if
    it raised one."""
    box: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            box.put((True, call()))
        except BaseException as e:  # handed to the caller, raised there
            box.put((False, e))

    threading.Thread(target=run, name="llm-call", daemon=True).start()
    try:
        ok, value = box.get(timeout=seconds)
    except queue.Empty:
        raise DeadlineExceeded(f"no complete reply within {seconds:g} s") from None
    if not ok:
        assert isinstance(value, BaseException)  # noqa: S101 - run() puts only those
        raise value
    return value  # type: ignore[return-value]


def stream_within(deadline: float, open_stream: Callable[[], Iterable[T]]) -> Iterator[T]:
    """The items of `open_stream()`, read on a daemon thread, until the stream ends;
    DeadlineExceeded when `deadline` (time.monotonic) passes first."""
    items: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    def run() -> None:
        try:
            for item in open_stream():
                if stop.is_set():
                    return
                items.put(item)
            items.put(_DONE)
        except BaseException as e:  # handed to the reader, raised there
            items.put(e)

    threading.Thread(target=run, name="llm-stream", daemon=True).start()
    try:
        while True:
            try:
                item = items.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise DeadlineExceeded("the reply did not end in time") from None
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
