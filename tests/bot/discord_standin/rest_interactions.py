"""REST routes for interaction callbacks and interaction webhooks (follow-ups, @original)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .messages import apply_edit, build_message, validation_error
from .records import EPHEMERAL, LOADING, InteractionRecord, StoredMessage
from .responses import error, json_response
from .rest import API, body_of, edit_message, files_of
from .state import StandinState

# interaction type -> callback types Discord accepts for it
ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
CHAT_INPUT_COMMAND_MESSAGE = 20


def invalid(message: str) -> web.Response:
    return json_response(
        {
            "code": 50035,
            "message": "Invalid Form Body",
            "errors": {"type": {"_errors": [{"message": message}]}},
        },
        status=400,
    )


class RestInteractions:
    """`POST /interactions/{id}/{token}/callback` and `/webhooks/{app}/{token}/…`."""

    def __init__(self, state: StandinState, callback_deadline: float) -> None:
        self.state = state
        self.world = state.world
        self.callback_deadline = callback_deadline

    def _new_message(
        self,
        rec: InteractionRecord,
        body: dict[str, Any],
        files: list[str],
        *,
        flags: int = 0,
        channel_id: int | None = None,
    ) -> StoredMessage:
        p = rec.payload
        user = p["member"]["user"]
        meta = {
            "id": str(rec.id),
            "type": rec.type,
            "user": user,
            "authorizing_integration_owners": p["authorizing_integration_owners"],
        }
        author = {**self.world.bot_user}
        mtype = CHAT_INPUT_COMMAND_MESSAGE if rec.type == 2 and rec.original_id is None else 0
        data = build_message(
            self.world,
            message_id=self.state.ids.next(),
            channel_id=channel_id or rec.channel_id,
            author=author,
            body=body,
            files=files,
            mtype=mtype,
            flags=flags,
            extra={
                "webhook_id": str(self.world.application_id),
                "application_id": str(self.world.application_id),
                "interaction_metadata": meta,
            },
        )
        data.pop("member", None)
        return self.state.store(data, interaction_id=rec.id)

    async def callback(self, request: web.Request) -> web.Response:
        rec = self.state.interactions.get(int(request.match_info["webhook_id"]))
        if rec is None or rec.token != request.match_info["webhook_token"]:
            return error(404, 10062, "Unknown interaction")
        if rec.responded:
            return error(400, 40060, "Interaction has already been acknowledged.")
        if asyncio.get_running_loop().time() - rec.created > self.callback_deadline:
            return error(404, 10062, "Unknown interaction")  # the 3-second window has passed
        body = body_of(request) or {}
        ctype, data, files = int(body.get("type", 0)), body.get("data") or {}, files_of(request)
        if ctype in (6, 7) and "message" not in rec.payload:
            return invalid(f"callback type {ctype} needs an interaction on a message")
        if ctype not in ALLOWED_CALLBACKS.get(rec.type, set()):
            return invalid(f"callback type {ctype} is not valid for interaction type {rec.type}")
        if ctype in (4, 7) and (problem := validation_error(data, files, creating=ctype == 4)):
            return json_response(problem, status=400)
        rec.callbacks.append(body)
        msg: StoredMessage | None = None
        if ctype == 4:
            msg = self._new_message(rec, data, files)
            rec.original_id = msg.id
            await self.state.announce_create(msg)
        elif ctype == 5:
            msg = self._new_message(
                rec, {}, [], flags=LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            )
            rec.original_id = msg.id
            await self.state.announce_create(msg)
        elif ctype in (6, 7):
            msg = self.state.messages[int(rec.payload["message"]["id"])]
            rec.original_id = msg.id
            if ctype == 7:
                self.state.edit(msg)
                apply_edit(self.world, msg.data, data, files)
                await self.state.announce_update(msg)
        elif ctype == 8:
            rec.autocomplete_choices = data.get("choices") or []
        elif ctype == 9:
            rec.modal = data
        self.state.changed()
        if "with_response" not in request.query:
            return web.Response(status=204)
        out: dict[str, Any] = {
            "interaction": {
                "id": str(rec.id),
                "type": rec.type,
                "response_message_id": str(msg.id) if msg else None,
                "response_message_loading": ctype == 5,
                "response_message_ephemeral": bool(msg and msg.ephemeral),
            },
            "resource": {"type": ctype},
        }
        if msg is not None and ctype != 6:
            out["resource"]["message"] = msg.snapshot()
        return json_response(out)

    # --- webhooks ----------------------------------------------------------------------
    def _interaction(self, request: web.Request) -> InteractionRecord | web.Response:
        rec = self.state.interaction_by_token(request.match_info["webhook_token"])
        if (
            rec is None
            or int(request.match_info["webhook_id"]) != self.world.application_id
            or not rec.responded
        ):
            return error(404, 10015, "Unknown Webhook")
        return rec

    def _target(self, request: web.Request, rec: InteractionRecord) -> StoredMessage | web.Response:
        mid = request.match_info["message_id"]
        target = rec.original_id if mid == "@original" else int(mid) if mid.isdigit() else None
        if target is None or (target != rec.original_id and target not in rec.followup_ids):
            return error(404, 10008, "Unknown Message")
        msg = self.state.messages.get(target)
        return msg if msg is not None and not msg.deleted else error(404, 10008, "Unknown Message")

    async def followup(self, request: web.Request) -> web.Response:
        rec = self._interaction(request)
        if isinstance(rec, web.Response):
            return rec
        body, files = body_of(request) or {}, files_of(request)
        if problem := validation_error(body, files, creating=True):
            return json_response(problem, status=400)
        original = self.state.messages.get(rec.original_id or 0)
        if (
            original is not None
            and original.loading
            and not original.deleted
            and not rec.followup_ids
        ):
            # Discord: the first follow-up after a deferral replaces the "thinking…" message
            # (keeping its visibility); once that message is deleted, follow-ups are new
            # messages with their own flags
            self.state.edit(original)
            apply_edit(
                self.world, original.data, {k: v for k, v in body.items() if k != "flags"}, files
            )
            msg = original
            await self.state.announce_update(msg)
        else:
            thread = request.query.get("thread_id")
            msg = self._new_message(
                rec,
                body,
                files,
                flags=int(body.get("flags") or 0) & EPHEMERAL,
                channel_id=int(thread) if thread else None,
            )
            await self.state.announce_create(msg)
        rec.followup_ids.append(msg.id)
        self.state.changed()
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(msg.snapshot())
        return web.Response(status=204)

    async def message(self, request: web.Request) -> web.Response:
        rec = self._interaction(request)
        if isinstance(rec, web.Response):
            return rec
        msg = self._target(request, rec)
        if isinstance(msg, web.Response):
            return msg
        if request.method == "GET":
            return json_response(msg.snapshot())
        if request.method == "DELETE":
            msg.deleted = True
            self.state.changed()
            await self.state.announce_delete(msg)
            return web.Response(status=204)
        return await edit_message(self.state, self.world, msg, request)

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_post(API + "/interactions/{webhook_id}/{webhook_token}/callback", self.callback)
        hook = API + "/webhooks/{webhook_id}/{webhook_token}"
        router.add_post(hook, self.followup)
        for method in ("GET", "PATCH", "DELETE"):
            router.add_route(method, hook + "/messages/{message_id}", self.message)
