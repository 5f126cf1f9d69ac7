"""The bot's own settings, read once from the environment (after `.env`) and passed down."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import UsageError
from index.settings import SecretStr, env_bool, env_float, env_int

DB_FILE = "discord.sqlite3"
MIN_REFRESH_INTERVAL = 60.0
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(env: Mapping[str, str], name: str) -> float:
    """Seconds from "900", "90s", "30m", "6h" or "1d"; unset or 0 means off (0.0)."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return 0.0
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd]?)", raw)
    if not match:
        raise UsageError(f"{name} must be seconds or a duration like 30m, 6h or 1d, got {raw!r}")
    seconds = float(match[1]) * _UNITS[match[2]]
    if 0 < seconds < MIN_REFRESH_INTERVAL:
        raise UsageError(
            f"{name} must be 0 (off) or at least {MIN_REFRESH_INTERVAL:g} s, got {raw!r}"
        )
    return seconds


def _ids(env: Mapping[str, str], name: str) -> tuple[int, ...]:
    raw = env.get(name, "")
    try:
        return tuple(int(part) for part in raw.replace(" ", "").split(",") if part)
    except ValueError:
        raise UsageError(f"{name} must be comma-separated ids, got {raw!r}") from None


@dataclass(frozen=True)
class BotSettings:
    """Everything the Discord front end needs beyond the knowledge base's Settings."""

    token: SecretStr = field(default_factory=lambda: SecretStr(""))
    data_dir: Path = Path(".policybot")
    dev_guild_id: int | None = None
    moderator_role_ids: frozenset[int] = frozenset()
    cooldown_rate: int = 3
    cooldown_seconds: float = 30.0
    max_in_flight: int = 8
    max_queued: int = 64
    thread_history: int = 4
    follow_ups_without_mention: bool = True
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    draft_edit_seconds: float = 1.5
    answer_timeout: float = 120.0  # a hung Chroma server or LLM must not hold a question forever
    refresh_interval: float = 0.0  # seconds between scheduled refreshes; 0: none
    moderator_channel_id: int | None = None  # where scheduled refreshes post their diff
    allowed_guild_ids: frozenset[int] = frozenset()  # empty: any guild is served
    # Guilds whose moderators may change the library; None: ALLOWED_GUILD_IDS, else DEV_GUILD_ID.
    moderator_guild_ids: frozenset[int] | None = None
    health_port: int | None = None  # None: no health endpoint
    health_host: str = "127.0.0.1"
    # Docker stops a container with SIGKILL 10 s after SIGTERM (Kubernetes after 30 s): 8 s
    # for answers in flight leaves time to apologise and close the gateway before that.
    shutdown_grace: float = 8.0
    # Questions are personal data: older ones are deleted with their answers, votes and gap
    # entries. 90 days covers a quarter's gaps for moderators without keeping more.
    answer_retention_days: int = 90
    # After a refresh answers an open gap question, reply once where it was asked.
    reply_when_answered: bool = False
    digest_interval: float = 0.0  # seconds between digests to MODERATOR_CHANNEL_ID; 0: none

    def serves(self, guild_id: int | None) -> bool:
        """Whether questions from this guild are answered (None: a DM, served only when the
        bot is not scoped to guilds)."""
        if not self.allowed_guild_ids:
            return True
        return guild_id is not None and guild_id in self.allowed_guild_ids

    @property
    def library_guild_ids(self) -> frozenset[int]:
        """Guilds whose moderators may change the library and read feedback:
        MODERATOR_GUILD_IDS, else ALLOWED_GUILD_IDS, else DEV_GUILD_ID, else none."""
        if self.moderator_guild_ids is not None:
            return self.moderator_guild_ids
        if self.allowed_guild_ids:
            return self.allowed_guild_ids
        return frozenset({self.dev_guild_id}) if self.dev_guild_id else frozenset()

    @property
    def db_path(self) -> Path:
        """SQLite file for answers, votes and thread history (in the data folder)."""
        return self.data_dir / DB_FILE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, data_dir: Path) -> BotSettings:
        """Read the DISCORD_* and ASK_* variables; bad values raise UsageError."""
        env = os.environ if env is None else env
        shard_ids = _ids(env, "DISCORD_SHARD_IDS") or None
        shard_count = env_int(env, "DISCORD_SHARD_COUNT", None, minimum=1)
        if shard_ids is not None and shard_count is None:
            raise UsageError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT")
        if shard_ids and shard_count and max(shard_ids) >= shard_count:
            raise UsageError("every id in DISCORD_SHARD_IDS must be below DISCORD_SHARD_COUNT")
        return cls(
            token=SecretStr(env.get("DISCORD_TOKEN", "").strip()),
            data_dir=data_dir,
            dev_guild_id=env_int(env, "DEV_GUILD_ID", None, minimum=1),
            moderator_role_ids=frozenset(_ids(env, "MODERATOR_ROLE_IDS")),
            cooldown_rate=env_int(env, "ASK_COOLDOWN_RATE", 3, minimum=1) or 3,
            cooldown_seconds=env_float(env, "ASK_COOLDOWN_SECONDS", 30.0),
            max_in_flight=env_int(env, "ASK_MAX_IN_FLIGHT", 8, minimum=1) or 8,
            max_queued=env_int(env, "ASK_MAX_QUEUED", 64) or 0,
            thread_history=env_int(env, "ASK_THREAD_HISTORY", 4) or 0,
            follow_ups_without_mention=env_bool(env, "DISCORD_MESSAGE_CONTENT", True),
            shard_count=shard_count,
            shard_ids=shard_ids,
            refresh_interval=_duration(env, "REFRESH_INTERVAL"),
            moderator_channel_id=env_int(env, "MODERATOR_CHANNEL_ID", None, minimum=1),
            answer_timeout=env_float(env, "ASK_TIMEOUT_SECONDS", 120.0, minimum=1.0),
            allowed_guild_ids=frozenset(_ids(env, "ALLOWED_GUILD_IDS")),
            moderator_guild_ids=(
                frozenset(_ids(env, "MODERATOR_GUILD_IDS"))
                if env.get("MODERATOR_GUILD_IDS", "").strip()
                else None
            ),
            health_port=env_int(env, "HEALTH_PORT", None, minimum=1),
            health_host=env.get("HEALTH_HOST", "").strip() or "127.0.0.1",
            shutdown_grace=env_float(env, "SHUTDOWN_GRACE_SECONDS", 8.0),
            answer_retention_days=env_int(env, "ANSWER_RETENTION_DAYS", 90, minimum=1) or 90,
            reply_when_answered=env_bool(env, "GAPS_REPLY_WHEN_ANSWERED", False),
            digest_interval=_duration(env, "DIGEST_INTERVAL"),
        )
