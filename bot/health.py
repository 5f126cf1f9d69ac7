"""HEALTH_PORT: a tiny HTTP endpoint for container probes.

Any GET answers 200 "ok" when every gateway shard is connected and the index is loaded,
else 503 with the reason on one line. It binds 127.0.0.1 unless HEALTH_HOST says otherwise
(a probe from outside a container needs HEALTH_HOST=0.0.0.0). No framework: the bot must
not grow a web server's dependencies for one line of status."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
READ_SECONDS = 5.0  # a probe that doesn't send its request line by then is dropped

Check = Callable[[], Awaitable[str | None]]  # None: healthy; else why not


class HealthServer:
    def __init__(self, check: Check, host: str, port: int) -> None:
        self.check = check
        self.host = host
        self.port = port  # 0 picks a free port; `port` then holds it once started
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("health endpoint on http://%s:%d/", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_SECONDS):
                while (await reader.readline()).strip():  # request line and headers
                    pass
            problem = await self.check()
            status = "200 OK" if problem is None else "503 Service Unavailable"
            body = ("ok" if problem is None else problem).encode() + b"\n"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
