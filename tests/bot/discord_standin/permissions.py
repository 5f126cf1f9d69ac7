"""Discord permission bits and the channel permission computation."""

from __future__ import annotations

from typing import Any

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40
ALL = (1 << 53) - 1

EVERYONE_DEFAULT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | EMBED_LINKS
    | ATTACH_FILES
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
MODERATOR = MANAGE_MESSAGES | MANAGE_THREADS | MODERATE_MEMBERS | KICK_MEMBERS
ADMIN = MANAGE_GUILD | MANAGE_CHANNELS | MANAGE_ROLES | MANAGE_MESSAGES | MANAGE_THREADS
BOT = EVERYONE_DEFAULT | MANAGE_THREADS | CREATE_PRIVATE_THREADS


def base_permissions(guild: dict[str, Any], member: dict[str, Any]) -> int:
    """Guild-level permissions of `member` (owner and Administrator get everything)."""
    if int(guild["owner_id"]) == int(member["user"]["id"]):
        return ALL
    roles = {int(r["id"]): r for r in guild["roles"]}
    perms = int(roles[int(guild["id"])]["permissions"])
    for role_id in member["roles"]:
        perms |= int(roles[int(role_id)]["permissions"])
    return ALL if perms & ADMINISTRATOR else perms


def channel_permissions(
    guild: dict[str, Any], member: dict[str, Any], channel: dict[str, Any]
) -> int:
    """Permissions of `member` in `channel`, applying overwrites as Discord does."""
    perms = base_permissions(guild, member)
    if perms & ADMINISTRATOR or perms == ALL:
        return ALL
    overwrites = {int(o["id"]): o for o in channel.get("permission_overwrites", [])}
    everyone = overwrites.get(int(guild["id"]))
    if everyone:
        perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
    allow = deny = 0
    for role_id in member["roles"]:
        o = overwrites.get(int(role_id))
        if o:
            allow |= int(o["allow"])
            deny |= int(o["deny"])
    perms = (perms & ~deny) | allow
    own = overwrites.get(int(member["user"]["id"]))
    if own:
        perms = (perms & ~int(own["deny"])) | int(own["allow"])
    return perms
