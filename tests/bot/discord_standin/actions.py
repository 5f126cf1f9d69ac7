"""Control API, part 1: act as Discord users (messages, threads, slash commands, components)."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from . import permissions as P
from .interactions import component_payload, new_record, slash_payload
from .messages import build_message
from .records import InteractionRecord, StoredMessage
from .state import StandinState
from .world import THREAD_TYPES, World


class UserActions:
    """Mixin for DiscordStandin: everything a human (or another bot) can do in the guild."""

    state: StandinState
    world: World

    def _channel_id(self, channel: str | int) -> int:
        return self.world.resolve_channel(channel)

    async def _dispatch(self, guild_id: int, event: str, data: Any) -> None:
        if not await self.state.gateway.dispatch_guild(guild_id, event, data):
            raise LookupError(
                f"no bot session is connected for guild {guild_id}; is the bot running?"
            )

    async def user_message(
        self,
        content: str,
        *,
        user: str | int = "alice",
        channel: str | int = "general",
        mention_bot: bool = False,
        reply_to: StoredMessage | int | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> StoredMessage:
        """Post a message as `user` (MESSAGE_CREATE). `mention_bot` prefixes ``<@bot_id>``."""
        cid = self._channel_id(channel)
        guild, chan = self.world.find_channel(cid)
        uid = self.world.user_id(user)
        perm = P.SEND_MESSAGES_IN_THREADS if chan["type"] in THREAD_TYPES else P.SEND_MESSAGES
        if not self.world.permissions(guild, uid, chan) & perm:
            raise PermissionError(f"{user!r} may not send messages in {channel!r}")
        if mention_bot:
            content = f"<@{self.world.bot_id}> {content}"
        body: dict[str, Any] = {"content": content, "embeds": embeds or []}
        extra = {}
        if reply_to is not None:
            target = self.state.messages[int(getattr(reply_to, "id", reply_to))]
            body["message_reference"] = {
                "message_id": str(target.id),
                "channel_id": str(target.channel_id),
                "guild_id": target.data["guild_id"],
                "type": 0,
            }
            extra["referenced_message"] = target.snapshot()
        data = build_message(
            self.world,
            message_id=self.state.ids.next(),
            channel_id=cid,
            author=self.world.user(uid),
            body=body,
            extra=extra,
        )
        data.pop("allowed_mentions", None)
        msg = self.state.store(data)
        await self.state.announce_create(msg)
        return msg

    async def create_thread(
        self,
        name: str,
        *,
        channel: str | int = "general",
        user: str | int = "alice",
        from_message: StoredMessage | int | None = None,
    ) -> dict[str, Any]:
        """Start a public thread as `user` (THREAD_CREATE); returns the thread payload."""
        cid = self._channel_id(channel)
        guild, _ = self.world.find_channel(cid)
        tid = int(getattr(from_message, "id", from_message)) if from_message is not None else None
        thread = self.world.make_thread(guild, cid, name, self.world.user_id(user), thread_id=tid)
        if tid in self.state.messages:
            starter = self.state.messages[tid]
            self.state.edit(starter)
            starter.data["thread"] = copy.deepcopy(thread)
            starter.data["flags"] = starter.flags | (1 << 5)  # HAS_THREAD
        self.state.changed()
        await self.state.announce_thread(thread)
        return copy.deepcopy(thread)

    async def _interact(self, payload: dict[str, Any]) -> InteractionRecord:
        rec = new_record(payload, asyncio.get_running_loop().time())
        self.state.interactions[rec.id] = rec
        self.state.changed()
        await self._dispatch(int(payload["guild_id"]), "INTERACTION_CREATE", payload)
        return rec

    async def slash_command(
        self,
        name: str,
        options: dict[str, Any] | list[dict[str, Any]] | None = None,
        *,
        user: str | int = "alice",
        channel: str | int = "general",
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Invoke ``/name`` as `user`. `options` is ``{name: value}`` or raw option dicts.

        Option types come from the synced command if the bot synced it, else from the
        Python values; user/channel/role options accept names and get `resolved` data.
        """
        payload = slash_payload(
            self.state,
            name,
            options,
            user=user,
            channel_id=self._channel_id(channel),
            locale=locale,
        )
        return await self._interact(payload)

    def _message(self, message: StoredMessage | int) -> StoredMessage:
        msg = self.state.messages[int(getattr(message, "id", message))]
        if msg.deleted:
            raise ValueError(f"message {msg.id} was deleted")
        return msg

    async def click_button(
        self,
        message: StoredMessage | int,
        custom_id: str,
        *,
        user: str | int = "alice",
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Click the button `custom_id` on `message` as `user` (INTERACTION_CREATE type 3)."""
        payload = component_payload(
            self.state, self._message(message), custom_id, user=user, values=None, locale=locale
        )
        return await self._interact(payload)

    async def choose(
        self,
        message: StoredMessage | int,
        custom_id: str,
        values: list[str],
        *,
        user: str | int = "alice",
        locale: str = "en-US",
    ) -> InteractionRecord:
        """Pick `values` in the select menu `custom_id` on `message` as `user`."""
        payload = component_payload(
            self.state, self._message(message), custom_id, user=user, values=values, locale=locale
        )
        return await self._interact(payload)
