"""Message payloads: building from a request body, edits, mentions, and Discord's limits."""

from __future__ import annotations

import copy
import re
from typing import Any

from .records import EPHEMERAL, LOADING
from .snowflakes import iso_now
from .world import GuildState, World

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EDITABLE = ("content", "embeds", "components", "allowed_mentions", "attachments", "poll")
SUPPRESS_EMBEDS = 1 << 2


def _mentioned_ids(
    content: str, allowed: dict[str, Any] | None
) -> tuple[list[int], list[int], bool]:
    """(user ids, role ids, everyone) that `content` pings under `allowed_mentions`."""
    users = [int(u) for u in USER_MENTION.findall(content)]
    roles = [int(r) for r in ROLE_MENTION.findall(content)]
    everyone = "@everyone" in content or "@here" in content
    if allowed is None:
        return users, roles, everyone
    parse = allowed.get("parse") or []
    ok_users = {int(u) for u in allowed.get("users") or []}
    ok_roles = {int(r) for r in allowed.get("roles") or []}
    users = [u for u in users if "users" in parse or u in ok_users]
    roles = [r for r in roles if "roles" in parse or r in ok_roles]
    return users, roles, everyone and "everyone" in parse


def mention_fields(
    content: str, allowed: dict[str, Any] | None, guild: GuildState | None, world: World
) -> dict[str, Any]:
    """The `mentions`, `mention_roles` and `mention_everyone` fields for a message."""
    users, roles, everyone = _mentioned_ids(content, allowed)
    mentions = []
    for uid in dict.fromkeys(users):
        try:
            user = copy.deepcopy(world.user(uid))
        except KeyError:
            continue
        if guild is not None and uid in guild.members:
            member = {k: v for k, v in guild.members[uid].items() if k != "user"}
            user["member"] = copy.deepcopy(member)
        mentions.append(user)
    return {
        "mentions": mentions,
        "mention_roles": [str(r) for r in dict.fromkeys(roles)],
        "mention_everyone": everyone,
    }


def attachments_for(files: list[str], ids: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(ids.next()),
            "filename": name,
            "size": 0,
            "url": f"https://cdn.invalid/attachments/{name}",
            "proxy_url": f"https://media.invalid/attachments/{name}",
        }
        for name in files
    ]


def build_message(
    world: World,
    *,
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    body: dict[str, Any],
    files: list[str] | None = None,
    mtype: int = 0,
    flags: int = 0,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A full message payload from a create-message style `body`."""
    guild, _ = world.find_channel(channel_id)
    content = body.get("content") or ""
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "guild_id": str(guild.id),
        "author": copy.deepcopy(author),
        "content": content,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "embeds": copy.deepcopy(body.get("embeds") or []),
        "components": copy.deepcopy(body.get("components") or []),
        "attachments": attachments_for(files or [], world.ids),
        "pinned": False,
        "type": 19 if body.get("message_reference") and mtype == 0 else mtype,
        "flags": int(body.get("flags") or 0) | flags,
        "allowed_mentions": copy.deepcopy(body.get("allowed_mentions")),
        **mention_fields(content, body.get("allowed_mentions"), guild, world),
    }
    uid = int(author["id"])
    if uid in guild.members and not author.get("webhook"):
        data["member"] = {k: v for k, v in copy.deepcopy(guild.members[uid]).items() if k != "user"}
    for key in ("message_reference", "nonce", "poll", "sticker_ids"):
        if body.get(key) is not None:
            data[key] = copy.deepcopy(body[key])
    data.update(extra or {})
    return data


def apply_edit(
    world: World, data: dict[str, Any], body: dict[str, Any], files: list[str] | None = None
) -> None:
    """Apply a PATCH body to a stored message payload in place."""
    for key in EDITABLE:
        if key in body:
            data[key] = (
                copy.deepcopy(body[key])
                if body[key] is not None
                else ([] if key != "content" else "")
            )
    if files:
        data["attachments"] = list(data.get("attachments") or []) + attachments_for(
            files, world.ids
        )
    if "flags" in body and body["flags"] is not None:
        keep = int(data.get("flags") or 0) & EPHEMERAL
        data["flags"] = keep | (int(body["flags"]) & ~LOADING)
    data["flags"] = int(data.get("flags") or 0) & ~LOADING
    data["edited_timestamp"] = iso_now()
    guild, _ = world.find_channel(int(data["channel_id"]))
    data.update(
        mention_fields(data.get("content") or "", data.get("allowed_mentions"), guild, world)
    )


def _length_errors(body: dict[str, Any]) -> list[str]:
    """Broken limits as "field.path: message" strings."""
    errors = []
    content = body.get("content")
    if content is not None and len(str(content)) > 2000:
        errors.append("content: Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors.append("embeds: Must be 10 or fewer in length.")
    total = 0
    for i, e in enumerate(embeds):
        limits = {"title": 256, "description": 4096}
        for key, limit in limits.items():
            n = len(e.get(key) or "")
            total += n
            if n > limit:
                errors.append(f"embeds.{i}.{key}: Must be {limit} or fewer in length.")
        fields = e.get("fields") or []
        if len(fields) > 25:
            errors.append(f"embeds.{i}.fields: Must be 25 or fewer in length.")
        for j, f in enumerate(fields):
            total += len(f.get("name") or "") + len(f.get("value") or "")
            if len(f.get("name") or "") > 256 or len(f.get("value") or "") > 1024:
                errors.append(f"embeds.{i}.fields.{j}: name ≤ 256 and value ≤ 1024.")
        footer = (e.get("footer") or {}).get("text") or ""
        total += len(footer) + len((e.get("author") or {}).get("name") or "")
        if len(footer) > 2048:
            errors.append(f"embeds.{i}.footer.text: Must be 2048 or fewer in length.")
    if total > 6000:
        errors.append("embeds: Embed size exceeds maximum size of 6000")
    rows = body.get("components") or []
    if not int(body.get("flags") or 0) & (1 << 15) and len(rows) > 5:
        errors.append("components: Must be 5 or fewer in length.")
    for row in rows:
        for c in row.get("components") or []:
            if len(c.get("custom_id") or "") > 100 or len(c.get("label") or "") > 80:
                errors.append("components: custom_id ≤ 100 and label ≤ 80.")
    return errors


def validation_error(
    body: dict[str, Any], files: list[str] | None, *, creating: bool
) -> dict[str, Any] | None:
    """Discord's error JSON if `body` breaks a limit (or is empty when creating), else None."""
    if creating and not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or files
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        return {"code": 50006, "message": "Cannot send an empty message"}
    errors = _length_errors(body)
    if not errors:
        return None
    nested: dict[str, Any] = {}
    for err in errors:
        path, _, msg = err.partition(": ")
        nested.setdefault(path, {"_errors": []})["_errors"].append(
            {"code": "BASE_TYPE_MAX_LENGTH", "message": msg}
        )
    return {"code": 50035, "message": "Invalid Form Body", "errors": nested}
