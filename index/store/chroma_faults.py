"""Chroma calls that fail, told apart and said in plain words: a deadline for a server's
calls (chromadb's HTTP client has none), and connection faults, a read-only data folder
and a full disk recognised from chromadb's plain exceptions."""

from __future__ import annotations

import shutil
import threading
from typing import Any

from index.errors import StoreUnavailable
from index.settings import Settings

# An embedded store whose folder has less free space than this when a call fails has
# failed because the disk is full (Chroma reports it as an opaque compaction error).
LOW_DISK_BYTES = 8 * 1024 * 1024
FULL = ("disk is full", "no space left", "quota exceeded")
READ_ONLY = ("readonly database", "read-only file system")


class NoAnswer(Exception):
    """A Chroma call outlived its deadline."""


def within(seconds: float, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """fn(*args, **kwargs), or NoAnswer after `seconds`. The call runs on a daemon thread,
    which is left behind if it hangs: it can't be interrupted, but it never keeps the
    process from exiting."""
    done = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:  # handed to the caller below
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=run, name="chroma-call", daemon=True).start()
    if not done.wait(seconds):
        raise NoAnswer
    if "error" in box:
        raise box["error"]
    return box["value"]


def describe(settings: Settings) -> str:
    if settings.chroma_host:
        return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return f"the embedded Chroma store in {settings.data_dir / 'chroma'}"


def raise_if_storage_fault(settings: Settings, what: str, e: Exception) -> None:
    """A full or read-only data folder, said in plain words (embedded store only)."""
    if settings.chroma_host:
        return
    folder = settings.data_dir
    if mentions(e, READ_ONLY):
        raise StoreUnavailable(f"can't {what}: the data folder {folder} is read-only") from e
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if mentions(e, FULL) or free < LOW_DISK_BYTES:
        raise StoreUnavailable(
            f"can't {what}: the data folder {folder} is full ({free // 1024} KiB free); "
            "make room and try again"
        ) from e


def short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


def mentions(e: BaseException, needles: tuple[str, ...]) -> bool:
    text = str(e).lower()
    return any(n in text for n in needles)


def looks_like_connection_error(e: BaseException) -> bool:
    import httpx

    if isinstance(e, httpx.TransportError | ConnectionError | TimeoutError):
        return True
    text = str(e).lower()
    return any(s in text for s in ("connect", "connection refused", "timed out", "unavailable"))
