"""The gateway: websocket sessions (HELLO, IDENTIFY→READY, heartbeats, RESUME) and dispatch."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from .compression import compressor_for
from .records import GatewayEvent
from .world import World

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

GUILD_MEMBERS, GUILD_PRESENCES, GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 1, 1 << 8, 1 << 9, 1 << 15
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class Connection:
    """One websocket: its compressor, a send lock (the stream must stay in order), its session."""

    def __init__(
        self, request: web.Request, ws: web.WebSocketResponse, compress: str | None
    ) -> None:
        self.request = request
        self.ws = ws
        self.compressor = compressor_for(compress)
        self.lock = asyncio.Lock()
        self.session: Session | None = None
        self.aborted = False

    async def send(self, text: str) -> None:
        async with self.lock:
            if self.ws.closed or self.aborted:
                return
            frame = self.compressor.encode(text)
            try:
                if isinstance(frame, bytes):
                    await self.ws.send_bytes(frame)
                else:
                    await self.ws.send_str(frame)
            except (ConnectionResetError, RuntimeError):
                pass  # the peer went away; dispatches stay buffered for a RESUME

    async def send_op(self, op: int, d: Any) -> None:
        await self.send(json.dumps({"op": op, "d": d, "s": None, "t": None}))

    def abort(self) -> None:
        """Drop the TCP connection without a websocket close frame."""
        self.aborted = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class Session:
    """A gateway session: sequence numbers and a replay buffer that survive reconnects."""

    def __init__(self, shard_id: int, shard_count: int, intents: int, sharded: bool) -> None:
        self.id = secrets.token_hex(16)
        self.shard_id = shard_id
        self.shard_count = shard_count
        self.sharded = sharded
        self.intents = intents
        self.seq = 0
        self.buffer: deque[tuple[int, str]] = deque(maxlen=2000)
        self.conn: Connection | None = None
        self.valid = True

    def owns_guild(self, guild_id: int) -> bool:
        return (guild_id >> 22) % self.shard_count == self.shard_id

    async def dispatch(self, event: str, data: Any) -> None:
        """Number, buffer and (if connected) send one DISPATCH."""
        self.seq += 1
        text = json.dumps({"op": DISPATCH, "d": data, "s": self.seq, "t": event})
        self.buffer.append((self.seq, text))
        if self.conn is not None:
            await self.conn.send(text)


class Gateway:
    """Serves `/gateway` and `/resume` websockets and routes dispatches to shards."""

    def __init__(
        self,
        world: World,
        record: Callable[[GatewayEvent], None],
        *,
        heartbeat_interval_ms: int,
        privileged_intents: int,
        resume_url: Callable[[], str],
    ) -> None:
        self.world = world
        self._record = record
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.privileged_intents = privileged_intents
        self._resume_url = resume_url
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.identifies = 0

    # --- queries used by the control API ---------------------------------------
    def live_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.valid]

    def session_for_shard(self, shard_id: int) -> Session:
        for s in reversed(list(self.sessions.values())):
            if s.valid and s.shard_id == shard_id:
                return s
        raise LookupError(f"no live gateway session for shard {shard_id}")

    # --- dispatch ------------------------------------------------------------------
    async def dispatch_guild(
        self,
        guild_id: int,
        event: str,
        data: Any,
        shape: Callable[[Session, Any], Any] | None = None,
    ) -> int:
        """Send a guild event to the shard(s) owning the guild; returns how many sessions got it.

        `shape(session, data)` may return a per-session payload, or None to skip that session.
        """
        sent = 0
        for s in self.live_sessions():
            if s.owns_guild(guild_id):
                payload = shape(s, data) if shape else data
                if payload is not None:
                    await s.dispatch(event, payload)
                    sent += 1
        return sent

    # --- faults --------------------------------------------------------------------
    def drop(self, shard_id: int) -> None:
        s = self.session_for_shard(shard_id)
        if s.conn is None:
            raise LookupError(f"shard {shard_id} is not connected")
        self._event("dropped", s)
        s.conn.abort()

    async def reconnect(self, shard_id: int) -> None:
        s = self.session_for_shard(shard_id)
        if s.conn is None:
            raise LookupError(f"shard {shard_id} is not connected")
        self._event("reconnect_requested", s)
        await s.conn.send_op(RECONNECT, None)

    async def invalidate(self, shard_id: int, resumable: bool) -> None:
        s = self.session_for_shard(shard_id)
        if not resumable:
            s.valid = False
        self._event("invalid_session", s, resumable=resumable)
        if s.conn is not None:
            await s.conn.send_op(INVALID_SESSION, resumable)

    async def close_all(self) -> None:
        for conn in list(self.connections):
            if not conn.ws.closed:
                await conn.ws.close(code=1001, message=b"stand-in shutting down")

    # --- websocket handler -------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        if q.get("encoding", "json") != "json":
            return web.Response(status=400, text="only encoding=json is supported")
        try:
            compressor_for(q.get("compress"))
        except ValueError as exc:
            return web.Response(status=400, text=str(exc))
        ws = web.WebSocketResponse(compress=False, max_msg_size=0, timeout=2.0)
        await ws.prepare(request)
        conn = Connection(request, ws, q.get("compress"))
        self.connections.add(conn)
        self._record(GatewayEvent("connect", -1, None, {"path": request.path, "query": dict(q)}))
        if q.get("v") not in ("9", "10"):
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        await conn.send_op(HELLO, {"heartbeat_interval": self.heartbeat_interval_ms})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    await ws.close(code=4002, message=b"Decode error")
                    break
                await self._on_text(conn, msg.data)
        except ConnectionResetError:
            pass
        finally:
            self._detach(conn)
        return ws

    def _detach(self, conn: Connection) -> None:
        self.connections.discard(conn)
        code = conn.ws.close_code
        s = conn.session
        if s is not None and s.conn is conn:
            s.conn = None
            if code in (1000, 1001) and not conn.aborted:
                s.valid = False  # a clean close ends the session, as on Discord
        self._event("disconnect", s, code=code, aborted=conn.aborted)

    async def _on_text(self, conn: Connection, text: str) -> None:
        try:
            msg = json.loads(text)
            op, d = msg["op"], msg.get("d")
        except (ValueError, KeyError, TypeError):
            await conn.ws.close(code=4002, message=b"Decode error")
            return
        if op == HEARTBEAT:
            self._event("heartbeat", conn.session, seq=d)
            await conn.send_op(HEARTBEAT_ACK, None)
        elif op == IDENTIFY:
            await self._identify(conn, d)
        elif op == RESUME:
            await self._resume(conn, d)
        elif conn.session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated")
        elif op == REQUEST_MEMBERS:
            await self._request_members(conn.session, d)
        elif op in (PRESENCE, VOICE_STATE):
            self._event("presence" if op == PRESENCE else "voice_state", conn.session, d=d)
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, conn: Connection, d: dict[str, Any]) -> None:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated")
            return
        if d.get("token") != self.world.token:
            await conn.ws.close(code=4004, message=b"Authentication failed")
            return
        shard = d.get("shard")
        shard_id, shard_count = (int(shard[0]), int(shard[1])) if shard else (0, 1)
        if shard_count < 1 or not 0 <= shard_id < shard_count:
            await conn.ws.close(code=4010, message=b"Invalid shard")
            return
        intents = d.get("intents")
        if not isinstance(intents, int):
            await conn.ws.close(code=4013, message=b"Invalid intent(s)")
            return
        if intents & PRIVILEGED & ~self.privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s)")
            return
        for old in self.sessions.values():
            if old.valid and (old.shard_id, old.shard_count) == (shard_id, shard_count):
                old.valid = False  # a new IDENTIFY for the same shard replaces the old session
        s = Session(shard_id, shard_count, intents, sharded=shard is not None)
        self.sessions[s.id] = s
        s.conn, conn.session = conn, s
        self.identifies += 1
        self._event("identify", s, intents=intents, shard=[shard_id, shard_count])
        await self._send_ready(s)

    def guild_create(self, s: Session, g: Any, *, joined: bool = False) -> dict[str, Any]:
        """GUILD_CREATE for `g` as session `s` sees it. `joined`: the bot was just added,
        so (as on Discord) there is no `unavailable` field and discord.py says guild_join."""
        members = list(g.members.values())
        if not s.intents & GUILD_MEMBERS:  # without the intent only the bot itself is sent
            members = [m for m in members if int(m["user"]["id"]) == self.world.bot_id]
        payload = g.payload(members=members)
        if joined:
            payload.pop("unavailable", None)
        return payload

    async def announce_join(self, g: Any) -> int:
        """The bot was added to guild `g`: GUILD_CREATE to the session owning it."""
        sent = 0
        for s in self.live_sessions():
            if s.owns_guild(g.id):
                await s.dispatch("GUILD_CREATE", self.guild_create(s, g, joined=True))
                sent += 1
        return sent

    async def _send_ready(self, s: Session) -> None:
        guilds = [
            g
            for g in self.world.guilds
            if s.owns_guild(g.id) and self.world.bot_id in g.members  # not the guilds it left
        ]
        ready = {
            "v": 10,
            "user": self.world.bot_user,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": s.id,
            "session_type": "normal",
            "resume_gateway_url": self._resume_url(),
            "application": {"id": str(self.world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["discord-standin"],
        }
        if s.sharded:
            ready["shard"] = [s.shard_id, s.shard_count]
        await s.dispatch("READY", ready)
        self._event("ready", s, guilds=[g.id for g in guilds])
        for g in guilds:
            await s.dispatch("GUILD_CREATE", self.guild_create(s, g))

    async def _resume(self, conn: Connection, d: dict[str, Any]) -> None:
        s = self.sessions.get(str(d.get("session_id")))
        if s is None or not s.valid or d.get("token") != self.world.token:
            self._event("resume_rejected", s, seq=d.get("seq"))
            await conn.send_op(INVALID_SESSION, False)
            return
        if s.conn is not None and s.conn is not conn:
            s.conn.abort()
        s.conn, conn.session = conn, s
        last = int(d.get("seq") or 0)
        missed = [text for seq, text in s.buffer if seq > last]
        self._event("resume", s, seq=last, replaying=len(missed))
        for text in missed:
            await conn.send(text)
        await s.dispatch("RESUMED", {"_trace": ["discord-standin"]})
        self._event("resumed", s, replayed=len(missed))

    async def _request_members(self, s: Session, d: dict[str, Any]) -> None:
        self._event("request_members", s, d=d)
        guild = self.world.find_guild(int(d["guild_id"]))
        members = list(guild.members.values())
        if d.get("user_ids"):
            ids = {int(u) for u in d["user_ids"]}
            members = [m for m in members if int(m["user"]["id"]) in ids]
        elif d.get("query"):
            q = d["query"].lower()
            members = [m for m in members if m["user"]["username"].lower().startswith(q)]
        if d.get("limit"):
            members = members[: int(d["limit"])]
        chunk = {"guild_id": str(guild.id), "members": members, "chunk_index": 0, "chunk_count": 1}
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        await s.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _event(self, kind: str, s: Session | None, **detail: Any) -> None:
        self._record(GatewayEvent(kind, s.shard_id if s else -1, s.id if s else None, detail))
