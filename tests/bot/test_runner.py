"""`policybot bot` / `policybot sync`: exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import asyncio

import pytest

from bot.runner import run
from bot.settings import DB_FILE
from index.settings import Settings
from policybot.cli import main

pytestmark = pytest.mark.timeout(120)


def test_a_missing_token_is_a_one_line_error_with_status_2(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    assert main(["--data", str(tmp_path / "data"), "bot"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DISCORD_TOKEN is not set" in err
    assert "Traceback" not in err


def test_bad_bot_settings_are_a_one_line_usage_error(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "x")
    monkeypatch.setenv("MODERATOR_ROLE_IDS", "12,moderators")
    assert main(["--data", str(tmp_path / "data"), "bot"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "MODERATOR_ROLE_IDS" in err


async def test_a_rejected_token_is_a_one_line_error_with_status_1(
    standin, seed_kb, tmp_path, capsys
) -> None:
    settings = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    env = {"DISCORD_TOKEN": "not-the-token"}
    code = await asyncio.to_thread(run, settings, False, kb=seed_kb, env=env)
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rejected DISCORD_TOKEN" in err
    assert "not-the-token" not in err and "Traceback" not in err


async def test_sync_registers_commands_globally_only_when_asked(
    standin, seed_kb, tmp_path, capsys
) -> None:
    settings = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    env = {"DISCORD_TOKEN": standin.token}
    assert await asyncio.to_thread(run, settings, True, kb=seed_kb, env=env) == 0
    assert {c["name"] for c in standin.commands[None]} == {
        "ask",
        "sources",
        "refresh",
        "feedback",
        "source",
        "gaps",
        "forget",
    }
    assert "synced 7 commands globally" in capsys.readouterr().out

    env["DEV_GUILD_ID"] = str(standin.world.guild_id)
    assert await asyncio.to_thread(run, settings, True, kb=seed_kb, env=env) == 0
    assert len(standin.commands[standin.world.guild_id]) == 7
    assert f"guild {standin.world.guild_id}" in capsys.readouterr().out


@pytest.mark.parametrize("sync_only", [False, True])
async def test_an_unreadable_store_is_one_line_before_connecting(
    standin, seed_kb, tmp_path, capsys, sync_only
) -> None:
    """`policybot bot` and `sync` open the bot's store: a damaged one is named in one line
    (exit 1), nothing is sent to Discord, and the file is left as it is."""
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_FILE).write_bytes(b"garbage\n")
    settings = Settings(sources_dir=tmp_path / "sources", data_dir=data)
    env = {"DISCORD_TOKEN": standin.token}
    code = await asyncio.to_thread(run, settings, sync_only, kb=seed_kb, env=env)
    assert code == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"policybot: the bot's store {data / DB_FILE} can't be read (DatabaseError: file is "
        "not a database); it is left as it is: restore it from a backup, or move it aside "
        "to start a new one"
    ]
    assert standin.requests == []
    assert (data / DB_FILE).read_bytes() == b"garbage\n"
    assert [p.name for p in data.iterdir()] == [DB_FILE]
