"""One refresh at a time per data folder: an exclusive lock on the file readers lock shared
while they read the live generation's note (index/store/live_pointer.py), with the holder's
pid written in it for the message a second refresh gets."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from index.errors import RefreshInProgress, StoreUnavailable
from index.store import live_pointer


@contextmanager
def refresh_lock(data_dir: Path) -> Iterator[None]:
    """One refresh at a time per data folder. The OS drops the lock if the holder dies."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        lock_file = open(data_dir / live_pointer.LOCK, "a+")  # noqa: SIM115 (closed below)
    except OSError as e:
        raise StoreUnavailable(
            f"can't refresh: the data folder {data_dir} is not writable "
            f"({e.strerror or type(e).__name__})"
        ) from None
    with lock_file as f:
        _lock_exclusively(f)
        try:  # who holds it, for the message of a refresh turned away (a full disk: nobody)
            f.seek(0)
            f.truncate()
            f.write(f"pid {os.getpid()}")
            f.flush()
        except OSError:
            pass
        try:
            yield
        finally:
            f.truncate(0)
            fcntl.flock(f, fcntl.LOCK_UN)


def _lock_exclusively(f: Any) -> None:
    """Take the refresh lock, or raise RefreshInProgress. Readers hold it shared for a
    moment while they read the live generation's note (index/store/live_pointer.py); a refresh
    holds it with its pid written in the file. A lock held without a pid is waited for."""
    deadline = time.monotonic() + 5.0
    while True:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip()
            if holder or time.monotonic() > deadline:
                raise RefreshInProgress(
                    f"a refresh is already running (held by {holder or 'another process'})"
                ) from None
            time.sleep(0.01)
