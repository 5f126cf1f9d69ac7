"""Point discord.py at the stand-in by swapping its two URL class attributes, then restore them.

discord.py 2.7 builds every REST URL from ``discord.http.Route.BASE`` and opens the first
gateway connection of a plain ``Client`` at ``DiscordWebSocket.DEFAULT_GATEWAY`` (an
``AutoShardedClient`` without ``shard_count`` asks ``GET /gateway/bot`` instead). Resumes use
``READY.resume_gateway_url``, and an invalidated session falls back to ``DEFAULT_GATEWAY``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


@contextmanager
def discord_py_redirected(rest_base: str, gateway_url: str) -> Iterator[None]:
    """Within the block, discord.py talks to `rest_base` and `gateway_url`."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = rest_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        Route.BASE = old_base
        DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
