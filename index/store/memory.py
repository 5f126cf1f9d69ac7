"""Giving freed memory back to the operating system after big transient work.

Loading a generation or refreshing the index allocates and frees hundreds of MiB of small
objects; glibc keeps the freed pages, so a long-running bot's RSS ratchets up with every
refresh. Measured on the full SOTU index (docs/benchmarks.md): after a refresh and reload,
1,053 MiB resident before trimming, 793 MiB after."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


@cache
def _malloc_trim():  # returns libc's malloc_trim, or None off glibc
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def return_freed_memory() -> None:
    """Collect garbage and hand free heap pages back to the OS (glibc only; else a no-op)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
