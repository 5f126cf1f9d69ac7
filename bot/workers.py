"""A bounded pool for the knowledge base's work on answers.

An answer that outlives ASK_TIMEOUT_SECONDS is abandoned, but the thread computing it (a
hung Chroma call, a stalled model) runs on. On the loop's shared default pool, such
threads pile up beyond ASK_MAX_IN_FLIGHT and starve everything else that uses the pool.
Here at most `size` calls run at once: a call stuck in a thread keeps that thread, later
calls wait for a free one, and a call whose answer was abandoned before it started is
never run. The threads are daemons, so a stuck call can't keep a stopping bot alive
(ThreadPoolExecutor's threads are joined when the interpreter exits)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

_Item = tuple[Future, Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None


class Workers(Executor):
    """`size` daemon threads taking calls in order; usable with `loop.run_in_executor`."""

    def __init__(self, size: int, name: str = "kb-worker") -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._busy = 0
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def busy(self) -> int:
        """Calls running now (at most `size`)."""
        return self._busy

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self._closed:
            raise RuntimeError("the workers have been shut down")
        future: Future = Future()
        self._queue.put((future, fn, args, kwargs))
        return future

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue  # abandoned before it started
            with self._lock:
                self._busy += 1
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:
                future.set_exception(error)
            else:
                future.set_result(result)
            finally:
                with self._lock:
                    self._busy -= 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking calls; with `cancel_futures`, drop the ones not started; with
        `wait`, join the threads (a stuck call is waited for: the bot passes False)."""
        self._closed = True
        if cancel_futures:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for thread in self._threads:
                thread.join()
