"""JSON responses exactly as discord.py expects them.

discord.py only parses a body as JSON when Content-Type is exactly ``application/json``
(aiohttp's ``web.json_response`` adds ``; charset=utf-8``, which it would treat as text).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


def error(status: int, code: int, message: str) -> web.Response:
    """A Discord-style JSON error."""
    return json_response({"message": message, "code": code}, status=status)
