"""REST app: request recording, auth, fault injection, and the login/gateway/command routes."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .faults import FaultRule, Hold, ok_ratelimit_headers
from .messages import apply_edit, validation_error
from .records import RecordedRequest, StoredMessage
from .responses import error, json_response
from .state import StandinState

API = "/api/v10"
NO_AUTH_PREFIXES = ("/webhooks/", "/interactions/", "/gateway")
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


REC = web.RequestKey("standin_request", RecordedRequest)


def body_of(request: web.Request) -> Any:
    """The parsed JSON body (or multipart ``payload_json``) of the request."""
    return request[REC].json


def files_of(request: web.Request) -> list[str]:
    """Names of files uploaded with the request."""
    return request[REC].files


async def edit_message(
    state: StandinState, world: Any, msg: StoredMessage, request: web.Request
) -> web.Response:
    """Apply a PATCH to a stored message (a channel message or a webhook's), as Discord does:
    validate, edit, announce MESSAGE_UPDATE, answer with the message."""
    body = body_of(request) or {}
    if problem := validation_error(body, files_of(request), creating=False):
        return json_response(problem, status=400)
    state.edit(msg)
    apply_edit(world, msg.data, body, files_of(request))
    state.changed()
    await state.announce_update(msg)
    return json_response(msg.snapshot())


async def _read_body(request: web.Request) -> tuple[Any, list[str]]:
    """The JSON body (or multipart payload_json) and the uploaded file names."""
    if not request.can_read_body:
        return None, []
    if request.content_type.startswith("multipart/"):
        body, files = None, []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.name == "payload_json":
                body = json.loads(await part.text())
            else:
                files.append(part.filename or part.name or "file")
                await part.read()
        return body, files
    raw = await request.read()
    return (json.loads(raw) if raw else None), []


def _redacted(headers: Any) -> dict[str, str]:
    out = dict(headers)
    for key in list(out):
        if key.lower() == "authorization":
            out[key] = "Bot [redacted]"
    return out


class RestCore:
    """Middleware plus users, gateway, application and command routes."""

    def __init__(self, state: StandinState, gateway_url: Callable[[], str], shards: int) -> None:
        self.state = state
        self.world = state.world
        self.gateway_url = gateway_url
        self.shards = shards
        self.faults: list[FaultRule] = []
        self.holds: list[Hold] = []
        self.session_starts = 1000

    # --- middleware ------------------------------------------------------------------
    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API + "/"):
            return await handler(request)
        path = request.path[len(API) :]
        resource = request.match_info.route.resource
        route = resource.canonical[len(API) :] if resource is not None else path
        body, files = await _read_body(request)
        rec = RecordedRequest(
            request.method,
            path,
            route,
            dict(request.query),
            body,
            _redacted(request.headers),
            files,
        )
        rec.at = time.monotonic()
        request[REC] = rec
        self.state.requests.append(rec)
        hold = next((h for h in self.holds if h.matches(request.method, route, path)), None)
        if hold is not None:
            hold.reached.set()
            self.state.changed()
            await hold.released.wait()
        fault = next((f for f in self.faults if f.matches(request.method, route, path)), None)
        if fault is not None:
            fault.hits.append(rec)
            resp: web.StreamResponse = fault.response(route)
        elif (
            not path.startswith(NO_AUTH_PREFIXES)
            and request.headers.get("Authorization") != f"Bot {self.world.token}"
        ):
            resp = error(401, 0, "401: Unauthorized")
        else:
            resp = await handler(request)
        rec.status = resp.status
        if isinstance(resp, web.Response) and resp.content_type == "application/json" and resp.body:
            rec.response = json.loads(resp.body)
        if 200 <= resp.status < 300:
            resp.headers.update(ok_ratelimit_headers(route))
        self.state.changed()
        return resp

    async def unhandled(self, request: web.Request) -> web.Response:
        self.state.unhandled.append(request[REC])
        return error(404, 0, "404: Not Found (not implemented by the discord stand-in)")

    # --- users, gateway, application -----------------------------------------------------
    async def me(self, request: web.Request) -> web.Response:
        return json_response(self.world.bot_user)

    async def user(self, request: web.Request) -> web.Response:
        try:
            return json_response(self.world.user(int(request.match_info["user_id"])))
        except KeyError:
            return error(404, 10013, "Unknown User")

    async def gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway_url()})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        limit = {
            "total": 1000,
            "remaining": self.session_starts,
            "reset_after": 14_400_000,
            "max_concurrency": 1,
        }
        return json_response(
            {"url": self.gateway_url(), "shards": self.shards, "session_start_limit": limit}
        )

    async def application(self, request: web.Request) -> web.Response:
        w = self.world
        return json_response(
            {
                "id": str(w.application_id),
                "name": w.bot_user["username"],
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": w.owner_user,
                "verify_key": "0" * 64,
                "team": None,
                "flags": 0,
                "bot": w.bot_user,
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "approximate_guild_count": len(w.guilds),
            }
        )

    # --- application commands ----------------------------------------------------------------
    def _commands(self, request: web.Request) -> dict[int, dict[str, Any]] | None:
        if int(request.match_info["application_id"]) != self.world.application_id:
            return None
        gid = request.match_info.get("guild_id")
        if gid is None:
            return self.state.global_commands
        return self.state.guild_commands.setdefault(int(gid), {})

    def _command(
        self, body: dict[str, Any], existing: dict[int, dict[str, Any]], guild_id: str | None
    ) -> dict:
        ctype = int(body.get("type", 1))
        old = next(
            (c for c in existing.values() if (c["name"], c["type"]) == (body["name"], ctype)), None
        )
        cmd = {
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            **copy.deepcopy(body),
            "id": old["id"] if old else str(self.state.ids.next()),
            "application_id": str(self.world.application_id),
            "type": ctype,
            "version": str(self.state.ids.next()),
        }
        if guild_id:
            cmd["guild_id"] = guild_id
        return cmd

    def _command_errors(self, body: Any) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return "name: This field is required"
        name, ctype = body["name"], int(body.get("type", 1))
        if ctype == 1:
            if not COMMAND_NAME.match(name) or name != name.lower():
                return f"name: Command name {name!r} is invalid"
            if not 1 <= len(body.get("description") or "") <= 100:
                return f"description: {name!r} needs a description of 1-100 characters"
            if len(body.get("options") or []) > 25:
                return "options: Must be 25 or fewer in length."
        return None

    async def list_commands(self, request: web.Request) -> web.Response:
        cmds = self._commands(request)
        if cmds is None:
            return error(403, 50001, "Missing Access")
        return json_response(list(cmds.values()))

    async def put_commands(self, request: web.Request) -> web.Response:
        cmds = self._commands(request)
        body = body_of(request) or []
        if cmds is None:
            return error(403, 50001, "Missing Access")
        problems = [p for p in map(self._command_errors, body) if p]
        if len(body) > 100:
            problems.append("Maximum number of application commands reached (100)")
        if problems:
            return json_response(
                {
                    "code": 50035,
                    "message": "Invalid Form Body",
                    "errors": {"_errors": [{"message": p} for p in problems]},
                },
                status=400,
            )
        fresh = [self._command(c, cmds, request.match_info.get("guild_id")) for c in body]
        cmds.clear()
        cmds.update({int(c["id"]): c for c in fresh})
        return json_response(fresh)

    async def post_command(self, request: web.Request) -> web.Response:
        cmds = self._commands(request)
        body = body_of(request)
        if cmds is None:
            return error(403, 50001, "Missing Access")
        if problem := self._command_errors(body):
            return json_response(
                {
                    "code": 50035,
                    "message": "Invalid Form Body",
                    "errors": {"_errors": [{"message": problem}]},
                },
                status=400,
            )
        cmd = self._command(body, cmds, request.match_info.get("guild_id"))
        created = int(cmd["id"]) not in cmds
        cmds[int(cmd["id"])] = cmd
        return json_response(cmd, status=201 if created else 200)

    async def one_command(self, request: web.Request) -> web.StreamResponse:
        cmds = self._commands(request) or {}
        cid = int(request.match_info["command_id"])
        if cid not in cmds:
            return error(404, 10063, "Unknown application command")
        if request.method == "DELETE":
            del cmds[cid]
            return web.Response(status=204)
        if request.method == "PATCH":
            cmds[cid].update(copy.deepcopy(body_of(request) or {}))
        return json_response(cmds[cid])

    def register(self, router: web.UrlDispatcher) -> None:
        r = router
        r.add_get(API + "/users/@me", self.me)
        r.add_get(API + "/users/{user_id}", self.user)
        r.add_get(API + "/gateway", self.gateway)
        r.add_get(API + "/gateway/bot", self.gateway_bot)
        r.add_get(API + "/oauth2/applications/@me", self.application)
        r.add_get(API + "/applications/@me", self.application)
        for base in (
            "/applications/{application_id}",
            "/applications/{application_id}/guilds/{guild_id}",
        ):
            r.add_get(API + base + "/commands", self.list_commands)
            r.add_put(API + base + "/commands", self.put_commands)
            r.add_post(API + base + "/commands", self.post_command)
            for method in ("GET", "PATCH", "DELETE"):
                r.add_route(method, API + base + "/commands/{command_id}", self.one_command)
