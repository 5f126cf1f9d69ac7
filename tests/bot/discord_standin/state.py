"""Shared stand-in state: the world, stored messages and interactions, logs, announcements."""

from __future__ import annotations

import copy
from typing import Any

from .gateway import GUILD_MESSAGES, MESSAGE_CONTENT, Gateway, Session
from .records import GatewayEvent, InteractionRecord, RecordedRequest, StoredMessage
from .snowflakes import SnowflakeFactory
from .waiting import Notifier
from .world import World

HIDDEN_WITHOUT_CONTENT_INTENT = ("content", "embeds", "attachments", "components", "poll")


class StandinState:
    """Everything REST handlers, the gateway and the control API share."""

    def __init__(self, world: World, ids: SnowflakeFactory) -> None:
        self.world = world
        self.ids = ids
        self.notifier = Notifier()
        self.gateway: Gateway  # set by the server once it knows its URL
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.messages: dict[int, StoredMessage] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.global_commands: dict[int, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[int, dict[str, Any]]] = {}
        self.gateway_log: list[GatewayEvent] = []
        self.echo_bot_messages = True
        self.left_guilds: list[int] = []  # guilds the bot left (DELETE /users/@me/guilds/…)

    def changed(self) -> None:
        self.notifier.notify()

    def record_gateway(self, event: GatewayEvent) -> None:
        self.gateway_log.append(event)
        self.changed()

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        for rec in self.interactions.values():
            if rec.token == token:
                return rec
        return None

    # --- messages ----------------------------------------------------------------------
    def store(self, data: dict[str, Any], interaction_id: int | None = None) -> StoredMessage:
        msg = StoredMessage(data=data, interaction_id=interaction_id)
        self.messages[msg.id] = msg
        guild, chan = self.world.find_channel(msg.channel_id)
        chan["last_message_id"] = str(msg.id)
        if msg.channel_id in guild.threads:
            chan["message_count"] = chan.get("message_count", 0) + 1
        self.changed()
        return msg

    def edit(self, msg: StoredMessage) -> None:
        """Call before changing `msg.data` in place: keeps the previous version in history."""
        msg.history.append(msg.snapshot())

    def _shape_for(self, msg: StoredMessage):
        bot_id = self.world.bot_id

        def shape(session: Session, data: dict[str, Any]) -> dict[str, Any] | None:
            if not session.intents & GUILD_MESSAGES:
                return None
            mentioned = any(int(u["id"]) == bot_id for u in data.get("mentions", []))
            if session.intents & MESSAGE_CONTENT or mentioned or msg.author_id == bot_id:
                return data
            out = copy.deepcopy(data)
            for key in HIDDEN_WITHOUT_CONTENT_INTENT:
                if key in out:
                    out[key] = "" if key == "content" else []
            return out

        return shape

    def _public(self, msg: StoredMessage) -> bool:
        if msg.ephemeral:
            return False
        return self.echo_bot_messages or msg.author_id != self.world.bot_id

    async def announce_create(self, msg: StoredMessage) -> None:
        if self._public(msg):
            guild_id = int(msg.data["guild_id"])
            await self.gateway.dispatch_guild(
                guild_id, "MESSAGE_CREATE", msg.snapshot(), self._shape_for(msg)
            )

    async def announce_update(self, msg: StoredMessage) -> None:
        if self._public(msg):
            guild_id = int(msg.data["guild_id"])
            await self.gateway.dispatch_guild(
                guild_id, "MESSAGE_UPDATE", msg.snapshot(), self._shape_for(msg)
            )

    async def announce_delete(self, msg: StoredMessage) -> None:
        if not msg.ephemeral:
            data = {
                "id": str(msg.id),
                "channel_id": str(msg.channel_id),
                "guild_id": msg.data["guild_id"],
            }
            await self.gateway.dispatch_guild(int(msg.data["guild_id"]), "MESSAGE_DELETE", data)

    async def announce_thread(self, thread: dict[str, Any], *, newly_created: bool = True) -> None:
        data = {**copy.deepcopy(thread), "newly_created": newly_created}
        await self.gateway.dispatch_guild(int(thread["guild_id"]), "THREAD_CREATE", data)
