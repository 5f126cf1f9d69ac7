"""Injected REST failures: 429 rate limits and arbitrary error statuses."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .records import RecordedRequest
from .responses import json_response


@dataclass
class FaultRule:
    """Answer the next `times` requests matching `method` + `route` with an error.

    `route` is either the template discord.py uses (``/channels/{channel_id}/messages``)
    or a concrete path (``/channels/123/messages``), both relative to ``/api/v10``.
    """

    method: str
    route: str
    times: int
    status: int = 429
    retry_after: float = 0.25
    is_global: bool = False
    body: dict[str, Any] | None = None
    hits: list[RecordedRequest] = field(default_factory=list)

    def matches(self, method: str, route: str, path: str) -> bool:
        return self.times > len(self.hits) and method == self.method and self.route in (route, path)

    def response(self, route: str) -> web.Response:
        if self.status != 429:
            body = self.body or {"message": f"{self.status}: injected failure", "code": 0}
            return json_response(body, status=self.status)
        body = {
            "message": "You are being rate limited.",
            "retry_after": self.retry_after,
            "global": self.is_global,
        }
        headers = {
            "Retry-After": str(math.ceil(self.retry_after)),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(route),
            "X-RateLimit-Scope": "global" if self.is_global else "user",
            "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
        }
        if self.is_global:
            headers["X-RateLimit-Global"] = "true"
        return json_response(body, status=429, headers=headers)


def bucket_hash(route: str) -> str:
    return f"standin-{abs(hash(route)) % 10**8:08d}"


def ok_ratelimit_headers(route: str) -> dict[str, str]:
    """Generous rate-limit headers for successful responses (never exhausts a bucket)."""
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": bucket_hash(route),
    }


@dataclass
class Hold:
    """Hold the next request matching `method` + `route` until `release()` (once)."""

    method: str
    route: str
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def matches(self, method: str, route: str, path: str) -> bool:
        return not self.reached.is_set() and method == self.method and self.route in (route, path)

    def release(self) -> None:
        self.released.set()
