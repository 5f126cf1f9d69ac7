"""The simulated Discord world: bot user, application, guilds, channels, roles, members."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import Any

from . import permissions as P
from .snowflakes import SnowflakeFactory, iso_now

TEXT, CATEGORY, PUBLIC_THREAD, PRIVATE_THREAD = 0, 4, 11, 12
THREAD_TYPES = (PUBLIC_THREAD, PRIVATE_THREAD, 10)


def make_user(uid: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A Discord user object."""
    return {
        "id": str(uid),
        "username": name,
        "global_name": None if bot else name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


@dataclass
class GuildState:
    """One guild: its own fields plus channels, threads and members keyed by id."""

    data: dict[str, Any]
    channels: dict[int, dict[str, Any]] = field(default_factory=dict)
    threads: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return int(self.data["id"])

    def role_id(self, name: str) -> int:
        """Id of the role called `name` ("everyone" is the @everyone role)."""
        wanted = "@everyone" if name == "everyone" else name
        for role in self.data["roles"]:
            if role["name"] == wanted:
                return int(role["id"])
        raise KeyError(f"no role {name!r}")

    def channel_id(self, name: str) -> int:
        """Id of the channel or thread called `name`."""
        for chan in [*self.channels.values(), *self.threads.values()]:
            if chan["name"] == name:
                return int(chan["id"])
        raise KeyError(f"no channel {name!r}")

    def shard_id(self, shard_count: int) -> int:
        """The shard this guild belongs to."""
        return (self.id >> 22) % shard_count

    def payload(self, *, members: list[dict[str, Any]]) -> dict[str, Any]:
        """A GUILD_CREATE payload with the given member list."""
        out = copy.deepcopy(self.data)
        out.update(
            unavailable=False,
            large=False,
            member_count=len(self.members),
            joined_at=iso_now(),
            channels=copy.deepcopy(list(self.channels.values())),
            threads=copy.deepcopy(list(self.threads.values())),
            members=copy.deepcopy(members),
            presences=[],
            voice_states=[],
            emojis=[],
            stickers=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return out


class World:
    """Ids and payloads of everything the stand-in serves.

    Name lookups (`users`, `channels`, `roles`) refer to the first guild, `guild`.
    Change the world before a bot connects; later changes are not announced.
    """

    def __init__(
        self,
        ids: SnowflakeFactory,
        *,
        bot_name: str = "PolicyBot",
        guilds: int = 1,
        shards: int = 1,
    ) -> None:
        self.ids = ids
        self.token = f"standin.{secrets.token_urlsafe(16)}"
        bot_id = ids.next()
        self.application_id = bot_id
        self.bot_user = make_user(bot_id, bot_name, bot=True)
        self.bot_user.update(verified=True, mfa_enabled=False, flags=0, email=None)
        self.owner_user = make_user(ids.next(), "owner")
        self.named_users: dict[str, dict[str, Any]] = {"owner": self.owner_user}
        self.guilds: list[GuildState] = []
        for index in range(guilds):
            self._add_default_guild(index, shards)

    # --- lookups -------------------------------------------------------------
    @property
    def guild(self) -> GuildState:
        return self.guilds[0]

    @property
    def guild_id(self) -> int:
        return self.guild.id

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    @property
    def users(self) -> dict[str, int]:
        """User name → id (includes the bot as its username)."""
        names = {name: int(u["id"]) for name, u in self.named_users.items()}
        names[self.bot_user["username"]] = self.bot_id
        return names

    @property
    def channels(self) -> dict[str, int]:
        """Channel/thread name → id in the first guild."""
        g = self.guild
        return {c["name"]: int(c["id"]) for c in [*g.channels.values(), *g.threads.values()]}

    @property
    def roles(self) -> dict[str, int]:
        """Role name → id in the first guild ("everyone" is @everyone)."""
        return {r["name"].lstrip("@"): int(r["id"]) for r in self.guild.data["roles"]}

    def bot_role_id(self, guild: GuildState | None = None) -> int:
        """The role Discord made for the bot when it joined `guild` (managed, tagged with
        the bot's id); the mention picker offers it as "@PolicyBot"."""
        return (guild or self.guild).role_id(self.bot_user["username"])

    def user_id(self, user: str | int) -> int:
        return self.users[user] if isinstance(user, str) else int(user)

    def user(self, user: str | int) -> dict[str, Any]:
        uid = self.user_id(user)
        if uid == self.bot_id:
            return self.bot_user
        for u in self.named_users.values():
            if int(u["id"]) == uid:
                return u
        raise KeyError(f"no user {user!r}")

    def resolve_channel(self, channel: str | int, guild: GuildState | None = None) -> int:
        """Channel id from a name (looked up in `guild`, default the first) or an id."""
        if isinstance(channel, str):
            return (guild or self.guild).channel_id(channel)
        return int(channel)

    def find_channel(self, channel_id: int) -> tuple[GuildState, dict[str, Any]]:
        """The guild and payload of a channel or thread; KeyError if unknown."""
        for g in self.guilds:
            chan = g.channels.get(channel_id) or g.threads.get(channel_id)
            if chan is not None:
                return g, chan
        raise KeyError(channel_id)

    def find_guild(self, guild_id: int) -> GuildState:
        for g in self.guilds:
            if g.id == guild_id:
                return g
        raise KeyError(guild_id)

    def permissions(self, guild: GuildState, user_id: int, channel: dict[str, Any] | None) -> int:
        """Effective permissions (threads use their parent's overwrites)."""
        member = guild.members[user_id]
        if channel is None:
            return P.base_permissions(guild.data, member)
        if channel["type"] in THREAD_TYPES:
            channel = guild.channels[int(channel["parent_id"])]
        return P.channel_permissions(guild.data, member, channel)

    # --- building ------------------------------------------------------------
    def add_guild(self) -> GuildState:
        """Another guild like the first (same users, roles and channels by name)."""
        self._add_default_guild(len(self.guilds), 1)
        return self.guilds[-1]

    def add_user(
        self,
        name: str,
        *,
        bot: bool = False,
        roles: tuple[str, ...] = (),
        guild: GuildState | None = None,
    ) -> int:
        """Create a user and make them a member of `guild` (default: every guild)."""
        uid = self.ids.next()
        self.named_users[name] = make_user(uid, name, bot=bot)
        for g in [guild] if guild else self.guilds:
            self.add_member(g, uid, roles=roles)
        return uid

    def add_member(
        self, guild: GuildState, user_id: int, *, roles: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        member = {
            "user": self.user(user_id),
            "roles": [str(guild.role_id(r)) for r in roles],
            "nick": None,
            "avatar": None,
            "joined_at": iso_now(),
            "premium_since": None,
            "communication_disabled_until": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
        }
        guild.members[user_id] = member
        return member

    def add_role(self, guild: GuildState, name: str, perms: int, **extra: Any) -> int:
        rid = self.ids.next() if name != "@everyone" else guild.id
        guild.data["roles"].append(
            {
                "id": str(rid),
                "name": name,
                "permissions": str(perms),
                "position": len(guild.data["roles"]),
                "color": 0,
                "colors": {"primary_color": 0},
                "hoist": False,
                "managed": False,
                "mentionable": name != "@everyone",
                "flags": 0,
                **extra,
            }
        )
        return rid

    def add_channel(
        self,
        name: str,
        *,
        guild: GuildState | None = None,
        ctype: int = TEXT,
        overwrites: list[dict[str, Any]] | None = None,
    ) -> int:
        """Create a text channel (or category) in `guild` (default: the first)."""
        g = guild or self.guild
        cid = self.ids.next()
        g.channels[cid] = {
            "id": str(cid),
            "guild_id": str(g.id),
            "type": ctype,
            "name": name,
            "position": len(g.channels),
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "permission_overwrites": overwrites or [],
            "default_auto_archive_duration": 1440,
        }
        return cid

    def make_thread(
        self,
        guild: GuildState,
        parent_id: int,
        name: str,
        owner_id: int,
        *,
        thread_id: int | None = None,
        private: bool = False,
        auto_archive_duration: int = 1440,
    ) -> dict[str, Any]:
        """Create (and register) a thread under `parent_id`."""
        tid = thread_id or self.ids.next()
        thread = {
            "id": str(tid),
            "guild_id": str(guild.id),
            "parent_id": str(parent_id),
            "owner_id": str(owner_id),
            "type": PRIVATE_THREAD if private else PUBLIC_THREAD,
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": auto_archive_duration,
                "archive_timestamp": iso_now(),
                "locked": False,
                "invitable": True,
                "create_timestamp": iso_now(),
            },
        }
        guild.threads[tid] = thread
        return thread

    def _add_default_guild(self, index: int, shards: int) -> None:
        gid = self.ids.with_shard(index % shards, shards) if shards > 1 else self.ids.next()
        g = GuildState(
            data={
                "id": str(gid),
                "name": "Policy Guild" if index == 0 else f"Policy Guild {index + 1}",
                "icon": None,
                "owner_id": self.owner_user["id"],
                "roles": [],
                "features": [],
                "preferred_locale": "en-US",
                "verification_level": 0,
                "default_message_notifications": 0,
                "explicit_content_filter": 0,
                "mfa_level": 0,
                "nsfw_level": 0,
                "premium_tier": 0,
                "system_channel_id": None,
            }
        )
        self.guilds.append(g)
        self.add_role(g, "@everyone", P.EVERYONE_DEFAULT)
        mod = self.add_role(g, "moderator", P.MODERATOR)
        admin = self.add_role(g, "admin", P.ADMIN)
        bot_role = self.add_role(
            g, self.bot_user["username"], P.BOT, managed=True, tags={"bot_id": self.bot_user["id"]}
        )
        self.add_member(g, int(self.owner_user["id"]))
        self.add_member(g, self.bot_id, roles=(self.bot_user["username"],))
        hidden = [
            {"id": str(gid), "type": 0, "allow": "0", "deny": str(P.VIEW_CHANNEL)},
            *(
                {"id": str(r), "type": 0, "allow": str(P.VIEW_CHANNEL), "deny": "0"}
                for r in (mod, admin, bot_role)
            ),
        ]
        general = self.add_channel("general", guild=g)
        self.add_channel("policy", guild=g)
        self.add_channel("mod-log", guild=g, overwrites=hidden)
        self.make_thread(g, general, "ongoing-discussion", int(self.owner_user["id"]))
        people = {"admin": ("admin",), "moderator": ("moderator",), "alice": (), "bob": ()}
        for name, roles in people.items():
            if index == 0:
                self.add_user(name, roles=roles, guild=g)
            else:
                self.add_member(g, self.users[name], roles=roles)
        if index == 0:
            self.add_user("otherbot", bot=True, guild=g)
        else:
            self.add_member(g, self.users["otherbot"])
