"""DiscordStandin: the aiohttp server's lifecycle plus the waiting and fault-injection API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from aiohttp import web

from .actions import UserActions
from .faults import FaultRule, Hold
from .gateway import PRIVILEGED, Gateway
from .records import GatewayEvent, InteractionRecord, RecordedRequest, StoredMessage
from .redirect import discord_py_redirected
from .rest import API, RestCore
from .rest_channels import RestChannels
from .rest_interactions import RestInteractions
from .snowflakes import SnowflakeFactory
from .state import StandinState
from .world import GuildState, World

T = TypeVar("T")


class DiscordStandin(UserActions):
    """A local Discord (REST + gateway) on 127.0.0.1. Use ``async with DiscordStandin() as s``."""

    def __init__(
        self,
        *,
        shards: int = 1,
        guilds: int | None = None,
        bot_name: str = "PolicyBot",
        heartbeat_interval_ms: int = 41250,
        privileged_intents: int = PRIVILEGED,
        callback_deadline: float = 3.0,
        echo_bot_messages: bool = True,
        redirect: bool = True,
    ) -> None:
        self.ids = SnowflakeFactory()
        self.world = World(self.ids, bot_name=bot_name, guilds=guilds or shards, shards=shards)
        self.state = StandinState(self.world, self.ids)
        self.state.echo_bot_messages = echo_bot_messages
        self.state.gateway = Gateway(
            self.world,
            self.state.record_gateway,
            heartbeat_interval_ms=heartbeat_interval_ms,
            privileged_intents=privileged_intents,
            resume_url=lambda: self.base_ws + "/resume",
        )
        self._rest = RestCore(self.state, lambda: self.gateway_url, shards)
        self._channels = RestChannels(self.state)
        self._interactions = RestInteractions(self.state, callback_deadline)
        self._redirect = redirect
        self._runner: web.AppRunner | None = None
        self._exit = contextlib.ExitStack()
        self.port = 0

    # --- lifecycle -----------------------------------------------------------------------------
    async def __aenter__(self) -> DiscordStandin:
        app = web.Application(middlewares=[self._rest.middleware])
        for part in (self._rest, self._channels, self._interactions):
            part.register(app.router)
        app.router.add_route("*", API + "/{tail:.*}", self._rest.unhandled)
        app.router.add_get("/gateway", self.state.gateway.handle)
        app.router.add_get("/resume", self.state.gateway.handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if self._redirect:
            self._exit.enter_context(discord_py_redirected(self.api_base, self.gateway_url))
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.state.gateway.close_all()
            if self._runner is not None:
                await self._runner.cleanup()
        finally:
            self._exit.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` is set to."""
        return self.base_url + API

    @property
    def gateway_url(self) -> str:
        return self.base_ws + "/gateway"

    @property
    def token(self) -> str:
        """The only bot token the stand-in accepts."""
        return self.world.token

    @contextlib.asynccontextmanager
    async def running(self, bot: Any, *, timeout: float = 10.0) -> AsyncIterator[Any]:  # noqa: ASYNC109
        """Run ``bot.start(token)`` in a task until the block ends; enter once the bot is ready."""
        task = asyncio.create_task(bot.start(self.token), name="standin-bot")
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while not bot.is_ready():
                if task.done():
                    task.result()  # re-raise the start-up error
                    raise RuntimeError("bot.start() returned before the bot was ready")
                if loop.time() > deadline:
                    raise TimeoutError(
                        f"bot not ready after {timeout}s; gateway log: {self.state.gateway_log}"
                    )
                await asyncio.sleep(0.02)
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, 5.0)

    # --- what happened ---------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        return self.state.requests

    @property
    def unhandled(self) -> list[RecordedRequest]:
        """Requests to routes the stand-in does not implement (answered 404)."""
        return self.state.unhandled

    @property
    def messages(self) -> dict[int, StoredMessage]:
        return self.state.messages

    @property
    def interactions(self) -> dict[int, InteractionRecord]:
        return self.state.interactions

    @property
    def gateway_log(self) -> list[GatewayEvent]:
        return self.state.gateway_log

    @property
    def commands(self) -> dict[int | None, list[dict[str, Any]]]:
        """Synced application commands: ``None`` → global, guild id → that guild's."""
        out: dict[int | None, list[dict[str, Any]]] = {
            None: list(self.state.global_commands.values())
        }
        out.update({gid: list(c.values()) for gid, c in self.state.guild_commands.items()})
        return out

    def channel_messages(
        self, channel: str | int, *, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """Messages in a channel/thread, oldest first."""
        cid = self.world.resolve_channel(channel)
        msgs = [
            m
            for m in self.messages.values()
            if m.channel_id == cid and (include_deleted or not m.deleted)
        ]
        return sorted(msgs, key=lambda m: m.id)

    def bot_messages(self) -> list[StoredMessage]:
        """Every message the bot authored (channel messages and interaction responses)."""
        return [m for m in self.messages.values() if m.author_id == self.world.bot_id]

    # --- waiting -----------------------------------------------------------------------------
    async def wait_until(
        self,
        condition: Callable[[], T],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> T:
        """Re-check `condition()` after every change; return its first truthy value."""
        return await self.state.notifier.wait_until(condition, timeout, what)

    async def wait_for_request(
        self,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        *,
        method: str | None = None,
        route: str | None = None,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedRequest:
        """First request (from index `since`) matching method, route template/path and predicate."""

        def find() -> RecordedRequest | None:
            for rec in self.requests[since:]:
                if method and rec.method != method:
                    continue
                if route and route not in (rec.route, rec.path):
                    continue
                if rec.status and (predicate is None or predicate(rec)):
                    return rec
            return None

        return await self.wait_until(
            find, timeout=timeout, what=f"request {method or ''} {route or ''}".strip()
        )

    async def wait_for_message(
        self,
        predicate: Callable[[StoredMessage], bool] | None = None,
        *,
        channel: str | int | None = None,
        from_bot: bool = True,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> StoredMessage:
        """First stored message (current state, not deleted) matching; by default only the bot's."""
        cid = self.world.resolve_channel(channel) if channel is not None else None

        def find() -> StoredMessage | None:
            for m in self.messages.values():
                if m.deleted or (cid is not None and m.channel_id != cid):
                    continue
                if from_bot and m.author_id != self.world.bot_id:
                    continue
                if predicate is None or predicate(m):
                    return m
            return None

        return await self.wait_until(find, timeout=timeout, what="message")

    async def wait_for_response(
        self,
        interaction: InteractionRecord,
        *,
        final: bool = True,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> StoredMessage | None:
        """Wait for the bot's answer; with `final`, until it is no longer "thinking…".

        Returns the @original message (None for responses without one, e.g. a modal).
        """

        def done() -> Any:
            if not interaction.responded:
                return None
            original = self.messages.get(interaction.original_id or 0)
            if original is None:
                return (None,) if interaction.response_type in (8, 9) else None
            return None if final and original.loading else (original,)

        return (await self.wait_until(done, timeout=timeout, what=f"response to {interaction}"))[0]

    async def wait_for_gateway(
        self,
        kind: str,
        *,
        shard_id: int | None = None,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> GatewayEvent:
        """First gateway event of `kind` (e.g. "resumed", "identify") at index ≥ `since`."""

        def find() -> GatewayEvent | None:
            return next(
                (
                    e
                    for e in self.gateway_log[since:]
                    if e.kind == kind and (shard_id is None or e.shard_id == shard_id)
                ),
                None,
            )

        return await self.wait_until(find, timeout=timeout, what=f"gateway {kind}")

    # --- faults ---------------------------------------------------------------------
    async def drop_connection(self, shard_id: int = 0) -> int:
        """Abort the shard's TCP connection (no close frame). Returns a `since` mark for the log."""
        mark = len(self.gateway_log)
        self.state.gateway.drop(shard_id)
        return mark

    async def request_reconnect(self, shard_id: int = 0) -> int:
        """Send op 7 RECONNECT to the shard. Returns a `since` mark for the log."""
        mark = len(self.gateway_log)
        await self.state.gateway.reconnect(shard_id)
        return mark

    async def invalidate_session(self, shard_id: int = 0, *, resumable: bool = False) -> int:
        """Send op 9 INVALID_SESSION (d=`resumable`). Returns a `since` mark for the log."""
        mark = len(self.gateway_log)
        await self.state.gateway.invalidate(shard_id, resumable)
        return mark

    async def wait_for_resume(
        self,
        since: int,
        *,
        shard_id: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> GatewayEvent:
        return await self.wait_for_gateway(
            "resumed", shard_id=shard_id, since=since, timeout=timeout
        )

    def rate_limit(
        self,
        method: str,
        route: str,
        *,
        times: int = 1,
        retry_after: float = 0.25,
        is_global: bool = False,
    ) -> FaultRule:
        """Answer the next `times` matching requests with 429 (discord.py sleeps and retries)."""
        rule = FaultRule(method.upper(), route, times, 429, retry_after, is_global)
        self._rest.faults.append(rule)
        return rule

    def fail(
        self,
        method: str,
        route: str,
        *,
        status: int = 500,
        times: int = 1,
        body: dict[str, Any] | None = None,
    ) -> FaultRule:
        """Answer the next `times` matching requests with `status` (and optional JSON `body`)."""
        rule = FaultRule(method.upper(), route, times, status, body=body)
        self._rest.faults.append(rule)
        return rule

    def hold(self, method: str, route: str) -> Hold:
        """Hold the next matching request unanswered until `hold.release()`; `hold.reached`
        is set when it arrives (e.g. hold ``GET /gateway/bot`` to keep a bot from connecting)."""
        rule = Hold(method.upper(), route)
        self._rest.holds.append(rule)
        return rule

    # --- guild membership -------------------------------------------------------------
    async def join_guild(self) -> GuildState:
        """Someone adds the bot to a new guild (GUILD_CREATE → discord.py's guild_join)."""
        guild = self.world.add_guild()
        self.state.changed()
        if not await self.state.gateway.announce_join(guild):
            raise LookupError("no bot session is connected; is the bot running?")
        return guild

    @property
    def left_guilds(self) -> list[int]:
        """Guilds the bot left, in order."""
        return self.state.left_guilds

    @property
    def rate_limited(self) -> list[RecordedRequest]:
        """Every request that was answered with an injected 429."""
        return [r for f in self._rest.faults if f.status == 429 for r in f.hits]
