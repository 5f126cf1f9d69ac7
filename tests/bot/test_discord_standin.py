"""The Discord stand-in works with a real discord.py client (everything on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
import zlib

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

try:
    from discord_standin import DiscordStandin
except ImportError:  # tests/bot became a package
    from .discord_standin import DiscordStandin

pytestmark = pytest.mark.timeout(30)


def intents(*, members: bool = True, message_content: bool = True) -> discord.Intents:
    i = discord.Intents.default()
    i.members = members
    i.message_content = message_content
    return i


class FastBot(commands.Bot):
    """A Bot that skips the 5 s sleep discord.py puts before every non-initial IDENTIFY."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


class FastShardedBot(commands.AutoShardedBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def make_bot(cls: type[commands.Bot] = FastBot, **kw: object) -> commands.Bot:
    kw.setdefault("intents", intents())
    # guild_ready_timeout: on_ready waits this long after the last GUILD_CREATE (default 2 s)
    return cls(command_prefix="!", guild_ready_timeout=0.1, **kw)


class AskBot(FastBot):
    """/ask defers and answers with a follow-up; a mention gets a reply with a button."""

    def __init__(self, guild_id: int, **kw: object) -> None:
        super().__init__(command_prefix="!", guild_ready_timeout=0.1, intents=intents(), **kw)
        self.guild_id = guild_id
        self.seen: list[discord.Message] = []
        self.clicks: list[int] = []

        @app_commands.command(name="ask", description="Ask a policy question")
        async def ask(interaction: discord.Interaction, question: str) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(f"answer: {question}")

        self.tree.add_command(ask, guild=discord.Object(guild_id))

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=discord.Object(self.guild_id))

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user not in message.mentions:
            return
        self.seen.append(message)
        view = discord.ui.View(timeout=30)
        button = discord.ui.Button(label="Helpful", custom_id="helpful")

        async def clicked(interaction: discord.Interaction) -> None:
            self.clicks.append(interaction.user.id)
            await interaction.response.edit_message(content="thanks!", view=None)

        button.callback = clicked
        view.add_item(button)
        await message.channel.send(f"pong: {message.clean_content}", view=view)


async def test_login_ready_with_guild_channels_roles_members() -> None:
    async with DiscordStandin() as standin:
        bot = make_bot()
        async with standin.running(bot):
            guild = bot.get_guild(standin.world.guild_id)
            assert guild is not None and guild.name == "Policy Guild"
            assert {"general", "policy", "mod-log"} <= {c.name for c in guild.text_channels}
            assert [t.name for t in guild.threads] == ["ongoing-discussion"]
            assert {"moderator", "admin", "@everyone"} <= {r.name for r in guild.roles}
            admin = guild.get_member(standin.world.users["admin"])
            assert admin is not None and admin.guild_permissions.manage_guild
            assert not admin.guild_permissions.administrator
            mod = guild.get_member(standin.world.users["moderator"])
            assert mod is not None and "moderator" in {r.name for r in mod.roles}
            assert guild.get_member(standin.world.users["otherbot"]).bot
            assert bot.user.id == standin.world.bot_id
            mod_log = discord.utils.get(guild.text_channels, name="mod-log")
            assert not mod_log.permissions_for(
                guild.get_member(standin.world.users["alice"])
            ).view_channel
        paths = [(r.method, r.route) for r in standin.requests]
        assert ("GET", "/users/@me") in paths
        assert ("GET", "/oauth2/applications/@me") in paths
        assert all(r.headers.get("Authorization") == "Bot [redacted]" for r in standin.requests)
        assert standin.token not in repr(standin.requests)
        connect = next(e for e in standin.gateway_log if e.kind == "connect")
        query = connect.detail["query"]
        # zlib-stream normally; zstd-stream when a zstd module is importable (e.g. Python 3.14)
        assert query["v"] == "10" and query["encoding"] == "json"
        assert query["compress"] in ("zlib-stream", "zstd-stream")
        assert standin.unhandled == []


async def test_gateway_compresses_with_one_zlib_stream_and_acks_heartbeats() -> None:
    async with DiscordStandin() as standin, aiohttp.ClientSession() as http:
        url = standin.gateway_url + "?v=10&encoding=json&compress=zlib-stream"
        async with http.ws_connect(url) as ws:
            inflate = zlib.decompressobj()

            async def receive() -> dict:
                frame = await ws.receive_bytes(timeout=5)
                assert frame.endswith(b"\x00\x00\xff\xff")
                return json.loads(inflate.decompress(frame))

            hello = await receive()
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
            await ws.send_json(
                {"op": 2, "d": {"token": standin.token, "intents": 1 << 9, "properties": {}}}
            )
            ready, guild_create = await receive(), await receive()
            assert (ready["t"], ready["s"]) == ("READY", 1)
            assert ready["d"]["resume_gateway_url"].startswith("ws://127.0.0.1")
            assert ready["d"]["guilds"] == [
                {"id": str(standin.world.guild_id), "unavailable": True}
            ]
            assert (guild_create["t"], guild_create["s"]) == ("GUILD_CREATE", 2)
            await ws.send_json({"op": 1, "d": 2})
            assert (await receive())["op"] == 11


async def test_slash_command_defer_and_followup_reach_the_standin() -> None:
    async with DiscordStandin() as standin:
        bot = AskBot(standin.world.guild_id)
        async with standin.running(bot):
            synced = standin.commands[standin.world.guild_id]
            assert [c["name"] for c in synced] == ["ask"]
            rec = await standin.slash_command("ask", {"question": "Who may vote?"}, user="alice")
            msg = await standin.wait_for_response(rec)
            assert rec.response_type == 5
            assert msg.content == "answer: Who may vote?"
            assert not msg.loading and msg.history[0]["flags"] & 128  # was "thinking…" first
            callback = await standin.wait_for_request(
                method="POST", route="/interactions/{webhook_id}/{webhook_token}/callback"
            )
            assert callback.json["type"] == 5 and callback.status == 200
            followup = await standin.wait_for_request(
                method="POST", route="/webhooks/{webhook_id}/{webhook_token}"
            )
            assert followup.json["content"] == "answer: Who may vote?"


class PrivateBot(FastBot):
    """/tell defers publicly, then sends an ephemeral follow-up, after deleting the
    "thinking…" message first when asked to."""

    def __init__(self, guild_id: int, **kw: object) -> None:
        super().__init__(command_prefix="!", guild_ready_timeout=0.1, intents=intents(), **kw)
        self.guild_id = guild_id

        @app_commands.command(name="tell", description="Tell privately")
        async def tell(interaction: discord.Interaction, delete_first: bool) -> None:
            await interaction.response.defer(thinking=True)
            if delete_first:
                await interaction.delete_original_response()
            await interaction.followup.send("just for you", ephemeral=True)

        self.tree.add_command(tell, guild=discord.Object(guild_id))

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=discord.Object(self.guild_id))


async def test_a_follow_up_takes_a_deferrals_visibility_until_the_deferral_is_deleted() -> None:
    async with DiscordStandin() as standin, standin.running(PrivateBot(standin.world.guild_id)):
        public = await standin.slash_command("tell", {"delete_first": False})
        shown = await standin.wait_for_response(public)
        assert shown.content == "just for you" and not shown.ephemeral  # as on Discord
        private = await standin.slash_command("tell", {"delete_first": True})
        await standin.wait_until(lambda: private.followup_ids)
        thinking = standin.messages[private.original_id]
        told = standin.messages[private.followup_ids[0]]
        assert thinking.deleted and thinking.loading
        assert told.id != thinking.id and told.ephemeral and told.content == "just for you"


async def test_mention_reaches_on_message_and_button_click_reaches_view() -> None:
    async with DiscordStandin() as standin:
        bot = AskBot(standin.world.guild_id)
        async with standin.running(bot):
            await standin.user_message("is this allowed?", user="bob", mention_bot=True)
            reply = await standin.wait_for_message(lambda m: m.content.startswith("pong"))
            assert reply.content == "pong: @PolicyBot is this allowed?"
            assert bot.seen[0].author.id == standin.world.users["bob"]
            assert reply.components[0]["components"][0]["custom_id"] == "helpful"
            click = await standin.click_button(reply, "helpful", user="alice")
            await standin.wait_for_response(click)
            assert click.response_type == 7
            assert bot.clicks == [standin.world.users["alice"]]
            assert reply.content == "thanks!" and reply.components == []


async def test_thread_from_message_and_mention_inside_thread() -> None:
    async with DiscordStandin() as standin:
        bot = make_bot()
        threads: list[discord.Thread] = []

        @bot.event
        async def on_message(message: discord.Message) -> None:
            if message.author.bot or bot.user not in message.mentions:
                return
            if isinstance(message.channel, discord.Thread):
                await message.channel.send(f"in thread {message.channel.name}")
                return
            thread = await message.create_thread(name="policy question")
            threads.append(thread)
            await thread.send("let's discuss here")

        async with standin.running(bot):
            question = await standin.user_message("help", mention_bot=True)
            first = await standin.wait_for_message(lambda m: m.content == "let's discuss here")
            assert first.channel_id == question.id  # a thread started from a message has its id
            assert standin.world.find_channel(question.id)[1]["name"] == "policy question"
            await standin.user_message("more", channel=question.id, mention_bot=True)
            await standin.wait_for_message(lambda m: m.content == "in thread policy question")
            assert threads[0].parent_id == standin.world.channels["general"]


async def test_message_content_is_hidden_without_the_intent_unless_mentioned() -> None:
    async with DiscordStandin() as standin:
        bot = make_bot(intents=intents(members=False, message_content=False))
        got: list[str] = []

        @bot.event
        async def on_message(message: discord.Message) -> None:
            got.append(message.content)

        async with standin.running(bot):
            await standin.user_message("secret words")
            await standin.user_message("hi bot", mention_bot=True)
            await standin.wait_until(lambda: len(got) == 2)
        assert got == ["", f"<@{standin.world.bot_id}> hi bot"]


async def test_dropped_connection_resumes_and_replays_missed_events() -> None:
    async with DiscordStandin() as standin:
        bot = AskBot(standin.world.guild_id)
        async with standin.running(bot):
            mark = await standin.drop_connection()
            await standin.user_message("sent while offline", mention_bot=True)  # buffered
            resumed = await standin.wait_for_resume(mark)
            assert resumed.detail["replayed"] >= 1
            assert [e.kind for e in standin.gateway_log[mark:]].count("identify") == 0
            reconnect = next(e for e in standin.gateway_log[mark:] if e.kind == "connect")
            assert reconnect.detail["path"] == "/resume"  # used READY.resume_gateway_url
            await standin.wait_for_message(
                lambda m: m.content == "pong: @PolicyBot sent while offline"
            )
            rec = await standin.slash_command("ask", {"question": "still there?"})
            assert (await standin.wait_for_response(rec)).content == "answer: still there?"

            mark = await standin.request_reconnect()  # op 7
            await standin.wait_for_resume(mark)
            rec = await standin.slash_command("ask", {"question": "and now?"})
            assert (await standin.wait_for_response(rec)).content == "answer: and now?"


async def test_invalid_session_makes_the_client_identify_again() -> None:
    async with DiscordStandin() as standin:
        bot = AskBot(standin.world.guild_id)
        async with standin.running(bot):
            mark = await standin.invalidate_session(resumable=False)
            await standin.wait_for_gateway("ready", since=mark, timeout=10)
            rec = await standin.slash_command("ask", {"question": "fresh session?"})
            assert (await standin.wait_for_response(rec)).content == "answer: fresh session?"


async def test_rate_limited_requests_are_retried_after_retry_after() -> None:
    async with DiscordStandin() as standin:
        bot = AskBot(standin.world.guild_id)
        async with standin.running(bot):
            post = standin.rate_limit("POST", "/channels/{channel_id}/messages", retry_after=0.3)
            hook = standin.rate_limit("POST", "/webhooks/{webhook_id}/{webhook_token}", times=2)
            start = len(standin.requests)
            await standin.user_message("limited?", mention_bot=True)
            await standin.wait_for_message(lambda m: m.content.startswith("pong"))
            rec = await standin.slash_command("ask", {"question": "limited too?"})
            assert (await standin.wait_for_response(rec)).content == "answer: limited too?"
        posts = [r for r in standin.requests[start:] if r.route == post.route]
        assert [r.status for r in posts] == [429, 200]
        assert posts[1].at - posts[0].at >= 0.3  # discord.py slept retry_after before retrying
        assert posts[0].json == posts[1].json
        hooks = [r for r in standin.requests[start:] if r.route == hook.route]
        assert [r.status for r in hooks] == [429, 429, 200]
        assert post.hits == [posts[0]] and hook.hits == hooks[:2]
        assert standin.rate_limited == [posts[0], *hooks[:2]]


async def test_discord_limits_are_enforced() -> None:
    async with DiscordStandin() as standin:
        bot = make_bot()
        errors: list[discord.HTTPException] = []

        @bot.event
        async def on_message(message: discord.Message) -> None:
            if message.author.bot:
                return
            try:
                await message.channel.send("x" * 2001)
            except discord.HTTPException as exc:
                errors.append(exc)
            await message.channel.send("short", allowed_mentions=discord.AllowedMentions.none())

        async with standin.running(bot):
            await standin.user_message("go")
            short = await standin.wait_for_message(lambda m: m.content == "short")
        assert errors[0].status == 400 and errors[0].code == 50035
        assert "2000" in str(errors[0])
        assert short.allowed_mentions == {"parse": []}


async def test_auto_sharded_bot_connects_two_shards() -> None:
    async with DiscordStandin(shards=2) as standin:
        bot = make_bot(FastShardedBot)
        async with standin.running(bot):
            assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
            assert {g.id for g in bot.guilds} == {g.id for g in standin.world.guilds}
            assert sorted(g.shard_id for g in bot.guilds) == [0, 1]
            mark = await standin.drop_connection(shard_id=1)
            await standin.wait_for_resume(mark, shard_id=1)
            assert bot.get_shard(1).is_closed() is False
        identifies = [e.detail["shard"] for e in standin.gateway_log if e.kind == "identify"]
        assert sorted(identifies) == [[0, 2], [1, 2]]
        assert any(r.route == "/gateway/bot" for r in standin.requests)


async def test_bad_token_and_disallowed_intents_fail_like_discord() -> None:
    async with DiscordStandin(privileged_intents=0) as standin:
        bad = make_bot()
        with pytest.raises(discord.LoginFailure):
            await bad.start("not-the-token")
        await bad.close()
        bot = make_bot()
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(bot.start(standin.token), 10)
        await bot.close()


async def test_interaction_answered_too_late_is_unknown() -> None:
    async with DiscordStandin(callback_deadline=0.2) as standin:
        bot = make_bot()
        errors: list[Exception] = []

        @bot.tree.command(name="slow", description="too slow")
        async def slow(interaction: discord.Interaction) -> None:
            await asyncio.sleep(0.4)
            try:
                await interaction.response.send_message("late")
            except discord.NotFound as exc:
                errors.append(exc)

        async with standin.running(bot):
            await standin.slash_command("slow")
            await standin.wait_until(lambda: errors, timeout=5)
        assert errors[0].code == 10062
