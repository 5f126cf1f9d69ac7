"""/ask, questions by @mention, and follow-ups in the answer's thread."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.asking import answer_and_deliver, can_start_thread, start_thread, strip_mention
from bot.delivery import NO_PINGS, ChannelDelivery, Delivery, InteractionDelivery
from bot.errors import report_message_error
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
        q = bot.kb.clean_question(question)  # UsageError → a refusal, before anything is shown
        with bot.throttle.admit(interaction.user.id) as ticket:
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
            await answer_and_deliver(bot, q, history, delivery, origin, ticket)

    async def _is_question(self, message: discord.Message) -> bool:
        me = self.bot.user
        if me is None or message.author.bot or message.webhook_id is not None:
            return False
        if any(u.id == me.id for u in message.mentions):
            return True
        channel = message.channel
        return (
            self.bot.config.follow_ups_without_mention
            and bool(message.content.strip())
            and isinstance(channel, discord.Thread)
            and channel.owner_id == me.id
            and await self.bot.store.aknows_thread(channel.id)
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not await self._is_question(message):
            return
        try:
            await self._answer_message(message)
        except Exception as error:
            await report_message_error(message, error)

    async def _answer_message(self, message: discord.Message) -> None:
        bot = self.bot
        me = bot.user.id if bot.user else 0
        q = bot.kb.clean_question(strip_mention(message.content, me))
        with bot.throttle.admit(message.author.id) as ticket:
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
            await answer_and_deliver(bot, q, history, delivery, origin, ticket)


async def setup(bot: PolicyBot) -> None:
    await bot.add_cog(Ask(bot))
