"""The live generation's name, noted in a file inside an embedded Chroma store's folder, so
that a process can open the index's side files and answer without importing chromadb (over
a second of a fresh `policybot ask`, bench/startup.py).

The note is only trusted while no refresh runs. Every change to an embedded store happens in
a refresh, under the data folder's refresh lock (index/store/refresh.py), and a refresh deletes
the note before it changes anything and writes it again, from Chroma, when it ends. A reader
reads the note under a shared lock on the same file, so never while a refresh runs; when it
can't take that lock, or finds no note (a refresh died half-way), it asks Chroma, and writes
the note back if no refresh runs. With a Chroma server there is no note: another machine may
publish at any time, so readers always ask the server."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

LOCK = "refresh.lock"  # the refresh lock's file (index/store/refresh.py)


def _note(data_dir: Path, prefix: str) -> Path:
    return data_dir / "chroma" / f"policybot-live-{prefix}.json"


@contextlib.contextmanager
def no_refresh_running(data_dir: Path) -> Iterator[bool]:
    """Yields True, holding a shared lock that keeps a refresh from starting, if no refresh
    is running; False if one is (or the lock file can't be opened)."""
    try:
        fd = os.open(data_dir / LOCK, os.O_RDONLY)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read(data_dir: Path, prefix: str) -> str | None:
    """The noted live generation, or None (no note, or not readable)."""
    try:
        value = json.loads(_note(data_dir, prefix).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = value.get("generation") if isinstance(value, dict) else None
    return name if isinstance(name, str) and name else None


def write(data_dir: Path, prefix: str, generation: str) -> None:
    """Note the live generation (atomically; a note that can't be written is no harm)."""
    path = _note(data_dir, prefix)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        tmp.write_text(json.dumps({"generation": generation}), encoding="utf-8")
        os.replace(tmp, path)


def forget(data_dir: Path, prefix: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        _note(data_dir, prefix).unlink()
