"""`chroma run` on 127.0.0.1 for the tests that need a real Chroma server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMA = Path(sys.executable).parent / "chroma"


@contextmanager
def running(folder: Path) -> Iterator[ChromaServer]:
    """A server with its data in `folder`/db, stopped afterwards; the test is skipped where
    there is no `chroma` command."""
    if not CHROMA.exists():
        pytest.skip(f"no `chroma` command in {CHROMA.parent}")
    server = ChromaServer(folder / "db")
    server.start()
    try:
        yield server
    finally:
        server.stop()


class ChromaServer:
    """`chroma run` on 127.0.0.1 with its data in `path`; can be stopped and restarted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.host = "127.0.0.1"
        with socket.socket() as s:
            s.bind((self.host, 0))
            self.port = s.getsockname()[1]
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = path.parent / "chroma-server.log"

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(CHROMA), "run", "--host", self.host, "--port", str(self.port),
                 "--path", str(self.path)],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited: {self.log.read_text()[-2000:]}")
            try:
                httpx.get(f"http://{self.host}:{self.port}/api/v2/heartbeat", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("chroma run did not answer its heartbeat within 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.proc = None

    def settings(self) -> dict[str, object]:
        """Settings overrides for a knowledge base of its own on this server."""
        return {
            "chroma_host": self.host,
            "chroma_port": self.port,
            "collection_prefix": f"t{uuid.uuid4().hex[:10]}",
        }
