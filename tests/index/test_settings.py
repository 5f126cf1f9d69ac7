"""Settings from the environment: defaults, overrides, and one-line errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import UsageError
from index.settings import Settings


def test_defaults_are_the_embedded_extractive_setup() -> None:
    s = Settings.from_env({})
    assert (s.sources_dir, s.data_dir) == (Path("sources"), Path(".policybot"))
    assert s.chroma_host is None and s.llm_provider == "none"


def test_flags_win_over_the_environment() -> None:
    env = {"POLICYBOT_SOURCES": "/env/src", "POLICYBOT_DATA": "/env/data"}
    s = Settings.from_env(env, sources="/flag/src")
    assert s.sources_dir == Path("/flag/src") and s.data_dir == Path("/env/data")


def test_a_chroma_port_alone_means_a_local_server() -> None:
    s = Settings.from_env({"CHROMA_PORT": "8123"})
    assert (s.chroma_host, s.chroma_port) == ("localhost", 8123)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CHROMA_PORT": "eighty"}, "CHROMA_PORT must be a whole number"),
        ({"POLICYBOT_TOP_K": "0"}, "POLICYBOT_TOP_K must be between 1 and 100, got 0"),
        # the bounds `search -k` has: a value that passed here used to fail every search
        ({"POLICYBOT_TOP_K": "1000"}, "POLICYBOT_TOP_K must be between 1 and 100, got 1000"),
        ({"LLM_TIMEOUT": "-3"}, "LLM_TIMEOUT must be at least 0.1"),
        ({"LLM_PROVIDER": "gpt"}, "LLM_PROVIDER must be none, openai or ollama"),
    ],
)
def test_bad_values_are_a_usage_error_naming_the_variable(env: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Settings.from_env(env)


def test_the_api_key_never_shows_in_a_repr() -> None:
    s = Settings.from_env({"LLM_API_KEY": "sk-secret-value"})
    assert "sk-secret-value" not in repr(s)
    assert s.llm_api_key.get_secret_value() == "sk-secret-value"


def test_private_fetching_and_generation_ages_have_safe_defaults_and_can_be_set() -> None:
    default = Settings.from_env({})
    assert default.source_fetch_allow_private is False
    assert (default.generation_grace_seconds, default.abandoned_build_seconds) == (3600, 21600)
    s = Settings.from_env(
        {
            "SOURCE_FETCH_ALLOW_PRIVATE": "1",
            "GENERATION_GRACE_SECONDS": "60",
            "ABANDONED_BUILD_SECONDS": "7200",
        }
    )
    assert s.source_fetch_allow_private is True
    assert (s.generation_grace_seconds, s.abandoned_build_seconds) == (60, 7200)
    assert (
        Settings.from_env({"SOURCE_FETCH_ALLOW_PRIVATE": "off"}).source_fetch_allow_private is False
    )
    with pytest.raises(UsageError, match="SOURCE_FETCH_ALLOW_PRIVATE must be 1 or 0"):
        Settings.from_env({"SOURCE_FETCH_ALLOW_PRIVATE": "sometimes"})
    with pytest.raises(UsageError, match="GENERATION_GRACE_SECONDS must be a number"):
        Settings.from_env({"GENERATION_GRACE_SECONDS": "an hour"})
