"""Settings, read once at start-up from the environment (after `.env`) and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

from index.errors import UsageError


@dataclass(frozen=True)
class SecretStr:
    """A secret (token, API key) that never shows in a repr, a log line or an f-string.
    (pydantic's SecretStr did this; importing pydantic cost a tenth of every start-up.)"""

    _value: str = field(default="", repr=False)

    def get_secret_value(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __repr__(self) -> str:
        return f"SecretStr('{self}')"


def load_env_file(path: Path | None = None) -> None:
    """Read `.env` (default: the working directory's); real environment variables win."""
    load_dotenv(path or Path.cwd() / ".env", override=False)


def env_int(env: Mapping[str, str], name: str, default: int | None, minimum: int = 0) -> int | None:
    """A whole-number setting, or `default` when unset; bad values are a UsageError."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise UsageError(f"{name} must be at least {minimum}, got {value}")
    return value


# Passages a question may retrieve (POLICYBOT_TOP_K, `search -k`): beyond a hundred a
# search reads most of a small library and its results no one reads.
MAX_TOP_K = 100


def check_top_k(k: int, name: str) -> int:
    """`k` if it is a number of passages a search may return, else a UsageError naming
    where it came from (`-k`, POLICYBOT_TOP_K): the same bounds everywhere."""
    if not 1 <= k <= MAX_TOP_K:
        raise UsageError(f"{name} must be between 1 and {MAX_TOP_K}, got {k}")
    return k


def _top_k(env: Mapping[str, str]) -> int:
    value = env_int(env, "POLICYBOT_TOP_K", 5)
    return 5 if value is None else value


def env_float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    """A numeric setting, or `default` when unset; bad values are a UsageError."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise UsageError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A yes/no setting (1/0, true/false, yes/no, on/off), or `default` when unset."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise UsageError(f"{name} must be 1 or 0 (true or false), got {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the knowledge base and the answerers need to know."""

    sources_dir: Path = Path("sources")
    data_dir: Path = Path(".policybot")
    chroma_host: str | None = None
    chroma_port: int | None = None
    chroma_timeout: float = 60.0  # seconds a Chroma server may take to answer one call
    collection_prefix: str = "policybot"
    prompts_dir: Path | None = None  # None: the packaged prompts (index/prompts.py)
    top_k: int = 5
    max_question_chars: int = 1000
    llm_provider: str = "none"
    llm_base_url: str | None = None
    llm_api_key: SecretStr = field(default_factory=lambda: SecretStr(""))
    llm_model: str | None = None
    llm_timeout: float = 30.0
    llm_temperature: float = 0.1
    llm_max_tokens: int = 512
    # "model": the claims the checker couldn't decide go to the LLM once more (one call);
    # "none": the checker's verdict stands (index/answering/second_opinion.py)
    llm_verify: str = "none"
    prompt_overrides: dict[str, Path] = field(default_factory=dict)
    # `policybot add` and `/source add` may fetch from loopback and private addresses (an
    # intranet, tests); off, a moderator can't make the bot read the operator's network.
    source_fetch_allow_private: bool = False
    # A generation replaced this long ago is dropped: readers still loading it and slower
    # refreshes still copying from it are not cut off. An hour is far beyond a question
    # (ASK_TIMEOUT_SECONDS, 120 s) and a reload.
    generation_grace_seconds: float = 3600.0
    # A generation never published and older than this is a dead refresh's left-over; any
    # younger one may still be being built by another process, so it is left alone. Six
    # hours is far longer than a full rebuild (minutes for the 249 SOTU addresses).
    abandoned_build_seconds: float = 6 * 3600.0

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        sources: str | Path | None = None,
        data: str | Path | None = None,
    ) -> Settings:
        """Build settings from environment variables; explicit flags win over them."""
        env = os.environ if env is None else env
        port = env_int(env, "CHROMA_PORT", None, minimum=1)
        host = env.get("CHROMA_HOST", "").strip() or None
        if port is not None and host is None:
            host = "localhost"
        if host is not None and port is None:
            port = 8000
        provider = env.get("LLM_PROVIDER", "none").strip().lower() or "none"
        if provider not in {"none", "openai", "ollama"}:
            raise UsageError(f"LLM_PROVIDER must be none, openai or ollama, got {provider!r}")
        verify = env.get("LLM_VERIFY", "none").strip().lower() or "none"
        if verify not in {"none", "model"}:
            raise UsageError(f"LLM_VERIFY must be none or model, got {verify!r}")
        overrides = {
            name: Path(env[key]).expanduser()
            for name in ("system", "question", "condense", "refusal", "verify")
            if (key := f"PROMPT_{name.upper()}_FILE") in env and env[key].strip()
        }
        prompts = env.get("POLICYBOT_PROMPTS", "").strip()
        return cls(
            sources_dir=Path(sources or env.get("POLICYBOT_SOURCES") or "sources").expanduser(),
            data_dir=Path(data or env.get("POLICYBOT_DATA") or ".policybot").expanduser(),
            chroma_host=host,
            chroma_port=port,
            chroma_timeout=env_float(env, "CHROMA_TIMEOUT", 60.0, minimum=0.1),
            collection_prefix=env.get("CHROMA_COLLECTION_PREFIX", "policybot").strip()
            or "policybot",
            prompts_dir=Path(prompts).expanduser() if prompts else None,
            top_k=check_top_k(_top_k(env), "POLICYBOT_TOP_K"),
            max_question_chars=env_int(env, "MAX_QUESTION_CHARS", 1000, minimum=1) or 1000,
            llm_provider=provider,
            llm_base_url=env.get("LLM_BASE_URL", "").strip() or None,
            llm_api_key=SecretStr(env.get("LLM_API_KEY", "")),
            llm_model=env.get("LLM_MODEL", "").strip() or None,
            llm_timeout=env_float(env, "LLM_TIMEOUT", 30.0, minimum=0.1),
            llm_temperature=env_float(env, "LLM_TEMPERATURE", 0.1),
            llm_max_tokens=env_int(env, "LLM_MAX_TOKENS", 512, minimum=1) or 512,
            llm_verify=verify,
            prompt_overrides=overrides,
            source_fetch_allow_private=env_bool(env, "SOURCE_FETCH_ALLOW_PRIVATE", False),
            generation_grace_seconds=env_float(env, "GENERATION_GRACE_SECONDS", 3600.0),
            abandoned_build_seconds=env_float(env, "ABANDONED_BUILD_SECONDS", 6 * 3600.0),
        )
