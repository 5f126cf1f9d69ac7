"""/ask, questions by @mention, and follow-ups in the answer's thread."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.asking import (
    admit,
    answer_and_deliver,
    can_start_thread,
    start_thread,
)
from bot.conversation import ACK_REACTION, is_acknowledgement, is_question, strip_mentions
from bot.delivery import NO_PINGS, ChannelDelivery, Delivery, InteractionDelivery
from bot.errors import report_message_error
from bot.operator_log import channel_kind
from bot.render import question_header
from bot.store import Origin
from index.answering.types import Turn

if TYPE_CHECKING:
    from bot.client import PolicyBot

log = logging.getLogger(__name__)


class Ask(commands.Cog):
    """Answers questions with numbered citations, each in its own thread."""

    def __init__(self, bot: PolicyBot) -> None:
        self.bot = bot

    async def _history(self, channel: object) -> tuple[int | None, list[Turn]]:
        if isinstance(channel, discord.Thread):
            return channel.id, await self.bot.store.ahistory(
                channel.id, self.bot.config.thread_history
            )
        return None, []

    @app_commands.command(
        name="ask", description="Ask a policy question; the answer quotes its sources"
    )
    @app_commands.describe(question="What you want to know")
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        bot = self.bot
        # UsageError → a refusal, before anything is shown
        q = bot.kb.clean_question(strip_mentions(question))
        with admit(bot, interaction.user.id) as ticket:
            await interaction.response.defer(thinking=True)
            thread_id, history = await self._history(interaction.channel)
            delivery: Delivery = InteractionDelivery(interaction)
            if (
                thread_id is None
                and isinstance(interaction.channel, discord.TextChannel)
                and can_start_thread(interaction.app_permissions)
            ):
                header = await interaction.edit_original_response(
                    content=question_header(interaction.user.display_name, q),
                    allowed_mentions=NO_PINGS,
                )
                thread = await start_thread(header, q)
                if thread is not None:
                    thread_id, delivery = thread.id, ChannelDelivery(thread)
            origin = Origin(
                interaction.user.id, interaction.guild_id, interaction.channel_id, thread_id
            )
            kind = channel_kind(interaction.channel)
            await answer_and_deliver(bot, q, history, delivery, origin, ticket, kind)

    def _mentions_me(self, message: discord.Message) -> bool:
        """A mention of the bot, or of its managed role (Discord's mention picker offers
        the role the bot got when it was invited, and people pick it)."""
        me = self.bot.user
        if me is None:
            return False
        if any(u.id == me.id for u in message.mentions):
            return True
        role = message.guild.self_role if message.guild is not None else None
        return role is not None and role.id in message.raw_role_mentions

    async def _in_my_thread(self, channel: object) -> bool:
        me = self.bot.user
        return (
            me is not None
            and isinstance(channel, discord.Thread)
            and channel.owner_id == me.id
            and await self.bot.store.aknows_thread(channel.id)
        )

    async def _kind(self, message: discord.Message) -> str:
        """What `message` is to the bot: a question, a remark (thanks, ok, an emoji: worth
        a 👍 at most, see bot/conversation.py), or none of its business ("ignore")."""
        if (
            self.bot.user is None
            or message.author.bot
            or message.webhook_id is not None
            or not self.bot.config.serves(message.guild.id if message.guild else None)
        ):
            return "ignore"
        text = message.content
        if self._mentions_me(message):
            return "remark" if is_acknowledgement(text) else "question"
        if (
            self.bot.config.follow_ups_without_mention
            and text.strip()
            and await self._in_my_thread(message.channel)
        ):
            return "question" if is_question(text) else "remark"
        return "ignore"

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        kind = await self._kind(message)
        if kind == "remark":
            await self._acknowledge(message)
        if kind != "question":
            return
        try:
            await self._answer_message(message)
        except Exception as error:
            await report_message_error(message, error)

    async def _acknowledge(self, message: discord.Message) -> None:
        """A 👍 for thanks and agreement; other remarks are left to the people talking."""
        if not is_acknowledgement(message.content):
            return
        try:
            await message.add_reaction(ACK_REACTION)
        except discord.HTTPException:
            log.info("could not react to message %s", message.id)

    async def _answer_message(self, message: discord.Message) -> None:
        bot = self.bot
        q = bot.kb.clean_question(strip_mentions(message.content))
        with admit(bot, message.author.id) as ticket:
            channel = message.channel
            thread_id, history = await self._history(channel)
            delivery: Delivery = ChannelDelivery(channel, reference=message)
            if (
                isinstance(channel, discord.TextChannel)
                and can_start_thread(channel.permissions_for(channel.guild.me))
                and (thread := await start_thread(message, q)) is not None
            ):
                thread_id, delivery = thread.id, ChannelDelivery(thread)
            origin = Origin(
                message.author.id,
                message.guild.id if message.guild else None,
                channel.id,
                thread_id,
            )
            kind = channel_kind(channel)
            await answer_and_deliver(bot, q, history, delivery, origin, ticket, kind)


async def setup(bot: PolicyBot) -> None:
    await bot.add_cog(Ask(bot))
