"""INTERACTION_CREATE payloads: slash commands (with typed, resolved options) and components."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterator
from typing import Any

from .records import InteractionRecord, StoredMessage
from .state import StandinState
from .world import GuildState

APPLICATION_COMMAND, MESSAGE_COMPONENT = 2, 3
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    return STRING


def find_command(state: StandinState, guild_id: int, name: str) -> dict[str, Any] | None:
    """The synced command called `name` (guild commands win over global ones)."""
    for cmds in (state.guild_commands.get(guild_id, {}), state.global_commands):
        for cmd in cmds.values():
            if cmd["name"] == name and cmd.get("type", 1) == 1:
                return cmd
    return None


def _resolve(state: StandinState, guild: GuildState, otype: int, value: Any, resolved: dict) -> str:
    """Turn a name or id into a snowflake string and add it to `resolved`."""
    world = state.world
    if otype == USER or (otype == MENTIONABLE and str(value) in world.users):
        uid = world.user_id(value if not str(value).isdigit() else int(value))
        resolved.setdefault("users", {})[str(uid)] = copy.deepcopy(world.user(uid))
        if uid in guild.members:
            member = {k: v for k, v in guild.members[uid].items() if k != "user"}
            member["permissions"] = str(world.permissions(guild, uid, None))
            resolved.setdefault("members", {})[str(uid)] = copy.deepcopy(member)
        return str(uid)
    if otype == CHANNEL:
        cid = world.resolve_channel(value, guild)
        chan = copy.deepcopy(world.find_channel(cid)[1])
        chan["permissions"] = str(world.permissions(guild, world.bot_id, chan))
        resolved.setdefault("channels", {})[str(cid)] = chan
        return str(cid)
    rid = guild.role_id(value) if isinstance(value, str) and not value.isdigit() else int(value)
    role = next(r for r in guild.data["roles"] if int(r["id"]) == rid)
    resolved.setdefault("roles", {})[str(rid)] = copy.deepcopy(role)
    return str(rid)


def build_options(
    state: StandinState,
    guild: GuildState,
    values: dict[str, Any],
    spec: list[dict[str, Any]] | None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Options and `resolved` for `{name: value}`; types come from the synced spec if known."""
    options, resolved = [], {}
    by_name = {o["name"]: o for o in spec or []}
    for name, value in values.items():
        otype = int(by_name[name]["type"]) if name in by_name else _infer_type(value)
        if otype in (USER, CHANNEL, ROLE, MENTIONABLE):
            value = _resolve(state, guild, otype, value, resolved)
        options.append({"name": name, "type": otype, "value": value})
    return options, resolved


def base_payload(
    state: StandinState, itype: int, user: str | int, channel_id: int, locale: str
) -> dict[str, Any]:
    """Fields shared by every guild interaction, with computed member/app permissions."""
    world = state.world
    guild, chan = world.find_channel(channel_id)
    uid = world.user_id(user)
    member = copy.deepcopy(guild.members[uid])
    member["permissions"] = str(world.permissions(guild, uid, chan))
    return {
        "id": str(state.ids.next()),
        "application_id": str(world.application_id),
        "type": itype,
        "token": f"interaction.{secrets.token_urlsafe(24)}",
        "version": 1,
        "guild_id": str(guild.id),
        "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
        "guild_locale": "en-US",
        "channel_id": str(channel_id),
        "channel": {**copy.deepcopy(chan), "permissions": member["permissions"]},
        "member": member,
        "app_permissions": str(world.permissions(guild, world.bot_id, chan)),
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(guild.id)},
        "context": 0,
        "attachment_size_limit": 10 * 1024 * 1024,
    }


def slash_payload(
    state: StandinState,
    name: str,
    options: dict[str, Any] | list[dict[str, Any]] | None,
    *,
    user: str | int,
    channel_id: int,
    locale: str,
) -> dict[str, Any]:
    """INTERACTION_CREATE for `/name` (`name` may be "group sub" for subcommands)."""
    payload = base_payload(state, APPLICATION_COMMAND, user, channel_id, locale)
    guild = state.world.find_guild(int(payload["guild_id"]))
    top, *path = name.split()
    cmd = find_command(state, guild.id, top)
    spec = cmd.get("options") if cmd else None
    for part in path:  # walk the synced spec down to the subcommand
        spec = next((o.get("options") for o in spec or [] if o["name"] == part), None)
    if isinstance(options, list):
        opts, resolved = copy.deepcopy(options), {}
    else:
        opts, resolved = build_options(state, guild, options or {}, spec)
    kinds = [2] * (len(path) - 1) + [1] if path else []
    for part, kind in reversed(list(zip(path, kinds, strict=True))):
        opts = [{"name": part, "type": kind, "options": opts}]
    data: dict[str, Any] = {
        "id": cmd["id"] if cmd else str(state.ids.next()),
        "name": top,
        "type": 1,
    }
    if opts:
        data["options"] = opts
    if resolved:
        data["resolved"] = resolved
    if cmd and cmd.get("guild_id"):
        data["guild_id"] = cmd["guild_id"]
    payload["data"] = data
    return payload


def iter_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, descending into rows, containers, sections and accessories."""
    for c in components:
        yield c
        yield from iter_components(c.get("components") or [])
        if c.get("accessory"):
            yield from iter_components([c["accessory"]])


def component_payload(
    state: StandinState,
    message: StoredMessage,
    custom_id: str,
    *,
    user: str | int,
    values: list[str] | None,
    locale: str,
) -> dict[str, Any]:
    """INTERACTION_CREATE for using the component `custom_id` on `message`."""
    comp = next(
        (c for c in iter_components(message.components) if c.get("custom_id") == custom_id), None
    )
    if comp is None:
        raise ValueError(f"message {message.id} has no component with custom_id {custom_id!r}")
    if comp.get("disabled"):
        raise ValueError(
            f"component {custom_id!r} is disabled; Discord would not let a user use it"
        )
    payload = base_payload(state, MESSAGE_COMPONENT, user, message.channel_id, locale)
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"]}
    if comp["type"] != 2:
        data["values"] = list(values or [])
    payload["data"] = data
    payload["message"] = message.snapshot()
    return payload


def new_record(payload: dict[str, Any], now: float) -> InteractionRecord:
    return InteractionRecord(int(payload["id"]), payload["token"], payload["type"], payload, now)
