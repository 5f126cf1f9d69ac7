"""REST routes for channels, messages, threads and guild lookups."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from . import permissions as P
from .messages import build_message, validation_error
from .responses import error, json_response
from .rest import API, body_of, edit_message, files_of
from .state import StandinState
from .world import THREAD_TYPES, GuildState

HAS_THREAD = 1 << 5


class RestChannels:
    """Channel messages (create/get/edit/delete/list), threads, typing, reactions, guilds."""

    def __init__(self, state: StandinState) -> None:
        self.state = state
        self.world = state.world

    def _channel(self, request: web.Request) -> tuple[GuildState, dict[str, Any]] | web.Response:
        try:
            return self.world.find_channel(int(request.match_info["channel_id"]))
        except (KeyError, ValueError):
            return error(404, 10003, "Unknown Channel")

    def _bot_can(self, guild: GuildState, chan: dict[str, Any], perm: int) -> bool:
        return self.world.permissions(guild, self.world.bot_id, chan) & (perm | P.VIEW_CHANNEL) == (
            perm | P.VIEW_CHANNEL
        )

    def _message(self, request: web.Request) -> Any:
        msg = self.state.messages.get(int(request.match_info["message_id"]))
        if (
            msg is None
            or msg.deleted
            or msg.ephemeral
            or msg.channel_id != int(request.match_info["channel_id"])
        ):
            return error(404, 10008, "Unknown Message")
        return msg

    async def get_channel(self, request: web.Request) -> web.Response:
        found = self._channel(request)
        return found if isinstance(found, web.Response) else json_response(found[1])

    async def list_messages(self, request: web.Request) -> web.Response:
        found = self._channel(request)
        if isinstance(found, web.Response):
            return found
        cid = int(request.match_info["channel_id"])
        msgs = [
            m
            for m in self.state.messages.values()
            if m.channel_id == cid and not m.deleted and not m.ephemeral
        ]
        q = request.query
        if "before" in q:
            msgs = [m for m in msgs if m.id < int(q["before"])]
        if "after" in q:
            msgs = [m for m in msgs if m.id > int(q["after"])]
        msgs.sort(key=lambda m: m.id, reverse=True)
        return json_response([m.snapshot() for m in msgs[: int(q.get("limit", 50))]])

    async def create_message(self, request: web.Request) -> web.Response:
        found = self._channel(request)
        if isinstance(found, web.Response):
            return found
        guild, chan = found
        thread = chan["type"] in THREAD_TYPES
        if not self._bot_can(
            guild, chan, P.SEND_MESSAGES_IN_THREADS if thread else P.SEND_MESSAGES
        ):
            return error(403, 50013, "Missing Permissions")
        body, files = body_of(request) or {}, files_of(request)
        if problem := validation_error(body, files, creating=True):
            return json_response(problem, status=400)
        extra = {}
        ref = body.get("message_reference")
        if ref:
            target = self.state.messages.get(int(ref["message_id"]))
            if target is None and ref.get("fail_if_not_exists", True):
                return json_response(
                    {
                        "code": 50035,
                        "message": "Invalid Form Body",
                        "errors": {
                            "message_reference": {
                                "_errors": [
                                    {
                                        "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                        "message": "Unknown message",
                                    }
                                ]
                            }
                        },
                    },
                    status=400,
                )
            if target is not None:
                extra["referenced_message"] = target.snapshot()
        data = build_message(
            self.world,
            message_id=self.state.ids.next(),
            channel_id=int(chan["id"]),
            author=self.world.bot_user,
            body=body,
            files=files,
            extra=extra,
        )
        msg = self.state.store(data)
        await self.state.announce_create(msg)
        return json_response(msg.snapshot())

    async def get_message(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        return msg if isinstance(msg, web.Response) else json_response(msg.snapshot())

    async def edit_message(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        if isinstance(msg, web.Response):
            return msg
        if msg.author_id != self.world.bot_id:
            return error(403, 50005, "Cannot edit a message authored by another user")
        return await edit_message(self.state, self.world, msg, request)

    async def delete_message(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        if isinstance(msg, web.Response):
            return msg
        guild, chan = self.world.find_channel(msg.channel_id)
        if msg.author_id != self.world.bot_id and not self._bot_can(guild, chan, P.MANAGE_MESSAGES):
            return error(403, 50013, "Missing Permissions")
        msg.deleted = True
        self.state.changed()
        await self.state.announce_delete(msg)
        return web.Response(status=204)

    async def no_content(self, request: web.Request) -> web.Response:
        found = self._channel(request)
        return found if isinstance(found, web.Response) else web.Response(status=204)

    async def thread_from_message(self, request: web.Request) -> web.Response:
        found = self._channel(request)
        if isinstance(found, web.Response):
            return found
        guild, chan = found
        msg = self._message(request)
        if isinstance(msg, web.Response):
            return msg
        if chan["type"] in THREAD_TYPES:
            return error(400, 50024, "Cannot execute action on this channel type")
        if not self._bot_can(guild, chan, P.CREATE_PUBLIC_THREADS):
            return error(403, 50013, "Missing Permissions")
        if msg.id in guild.threads:
            return error(400, 160004, "A thread has already been created for this message")
        body = body_of(request) or {}
        thread = self.world.make_thread(
            guild,
            int(chan["id"]),
            body.get("name") or "thread",
            self.world.bot_id,
            thread_id=msg.id,
            auto_archive_duration=body.get("auto_archive_duration") or 1440,
        )
        self.state.edit(msg)
        msg.data["thread"] = copy.deepcopy(thread)
        msg.data["flags"] = msg.flags | HAS_THREAD
        self.state.changed()
        await self.state.announce_thread(thread)
        return json_response(thread, status=201)

    async def thread_without_message(self, request: web.Request) -> web.Response:
        found = self._channel(request)
        if isinstance(found, web.Response):
            return found
        guild, chan = found
        body = body_of(request) or {}
        private = int(body.get("type") or 11) == 12
        if not self._bot_can(
            guild, chan, P.CREATE_PRIVATE_THREADS if private else P.CREATE_PUBLIC_THREADS
        ):
            return error(403, 50013, "Missing Permissions")
        thread = self.world.make_thread(
            guild,
            int(chan["id"]),
            body.get("name") or "thread",
            self.world.bot_id,
            private=private,
            auto_archive_duration=body.get("auto_archive_duration") or 1440,
        )
        self.state.changed()
        await self.state.announce_thread(thread)
        return json_response(thread, status=201)

    # --- guilds ------------------------------------------------------------------------
    def _guild(self, request: web.Request) -> GuildState | web.Response:
        try:
            return self.world.find_guild(int(request.match_info["guild_id"]))
        except (KeyError, ValueError):
            return error(404, 10004, "Unknown Guild")

    async def guild_part(self, request: web.Request) -> web.Response:
        g = self._guild(request)
        if isinstance(g, web.Response):
            return g
        part = request.path.rsplit("/", 1)[-1]
        if part == "channels":
            return json_response(list(g.channels.values()))
        if part == "roles":
            return json_response(g.data["roles"])
        if part == "members":
            return json_response(list(g.members.values())[: int(request.query.get("limit", 1))])
        data = {
            k: v
            for k, v in g.payload(members=[]).items()
            if k not in ("members", "channels", "threads")
        }
        data.update(approximate_member_count=len(g.members), approximate_presence_count=0)
        return json_response(data)

    async def member(self, request: web.Request) -> web.Response:
        g = self._guild(request)
        if isinstance(g, web.Response):
            return g
        member = g.members.get(int(request.match_info["user_id"]))
        return json_response(member) if member else error(404, 10007, "Unknown Member")

    async def leave_guild(self, request: web.Request) -> web.Response:
        """`Guild.leave()`: the bot stops being a member; GUILD_DELETE tells its session."""
        g = self._guild(request)
        if isinstance(g, web.Response):
            return g
        if g.members.pop(self.world.bot_id, None) is None:
            return error(404, 10004, "Unknown Guild")
        self.state.left_guilds.append(g.id)
        self.state.changed()
        await self.state.gateway.dispatch_guild(g.id, "GUILD_DELETE", {"id": str(g.id)})
        return web.Response(status=204)

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_delete(API + "/users/@me/guilds/{guild_id}", self.leave_guild)
        c = API + "/channels/{channel_id}"
        m = c + "/messages/{message_id}"
        router.add_get(c, self.get_channel)
        router.add_get(c + "/messages", self.list_messages)
        router.add_post(c + "/messages", self.create_message)
        router.add_get(m, self.get_message)
        router.add_patch(m, self.edit_message)
        router.add_delete(m, self.delete_message)
        router.add_post(m + "/threads", self.thread_from_message)
        router.add_put(m + "/reactions/{emoji}/@me", self.no_content)
        router.add_delete(m + "/reactions/{emoji}/@me", self.no_content)
        router.add_post(c + "/typing", self.no_content)
        router.add_post(c + "/threads", self.thread_without_message)
        router.add_put(c + "/thread-members/@me", self.no_content)
        router.add_delete(c + "/thread-members/@me", self.no_content)
        g = API + "/guilds/{guild_id}"
        for path in ("", "/channels", "/roles", "/members"):
            router.add_get(g + path, self.guild_part)
        router.add_get(g + "/members/{user_id}", self.member)
