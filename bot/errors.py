"""The bot's own errors, and the one place that turns any error into a reply and a log line."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.text import CONTENT, trim
from index.errors import (
    IndexNotReady,
    PolicybotError,
    RefreshInProgress,
    StoreUnavailable,
    UsageError,
)

log = logging.getLogger(__name__)

UNEXPECTED = (
    "Sorry, something went wrong on my side. The moderators can find the details in the log."
)
UNAVAILABLE = "The library is unavailable right now; please try again shortly."


class BotError(Exception):
    """An expected refusal; the message is a sentence fit to show the user."""


class TooSlow(BotError):
    """An answer took longer than the configured deadline (a hung store or model)."""


class Busy(BotError):
    """Too many answers in flight."""


class SlowDown(BotError):
    """The user's cooldown has not passed."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Restarting(BotError):
    """The bot is shutting down (SIGTERM/SIGINT): no new questions; unfinished ones end."""


RESTARTING = "I'm restarting right now; please ask again in a minute."
CUT_SHORT = "Sorry, I'm restarting and couldn't finish this answer; please ask again in a minute."


class NotModerator(app_commands.CheckFailure):
    """The member lacks Manage Server and every moderator role."""


class NotLibraryGuild(app_commands.CheckFailure):
    """A moderator command used outside the guilds allowed to change the library; the
    message says which way it is configured."""


def explain(error: BaseException) -> tuple[str, bool]:
    """(what to tell the user, whether the error is unexpected and needs its traceback)."""
    message, unexpected = _explain(error)
    return trim(message, CONTENT), unexpected


def _explain(error: BaseException) -> tuple[str, bool]:
    error = _unwrap(error)
    if isinstance(error, NotModerator):
        return "Only moderators (Manage Server or a moderator role) can do that.", False
    if isinstance(error, NotLibraryGuild):
        return str(error), False
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works in a server.", False
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here.", False
    if isinstance(error, BotError):
        return str(error), False
    if isinstance(error, UsageError):
        return f"I can't answer that: {error}.", False
    if isinstance(error, RefreshInProgress):
        return "A refresh is already running; wait for it to finish.", False
    if isinstance(error, IndexNotReady):
        return "The index isn't built yet. A moderator can run /refresh.", False
    if isinstance(error, StoreUnavailable):  # logged as a warning with its reason
        return UNAVAILABLE, False
    if isinstance(error, PolicybotError):
        return str(error), True
    return UNEXPECTED, True


def _log(error: BaseException, where: str) -> None:
    log.error("error in %s", where, exc_info=(type(error), error, error.__traceback__))


def _unwrap(error: BaseException) -> BaseException:
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        return getattr(error, "original", None) or error.__cause__ or error
    return error


def _log_store_outage(error: BaseException, where: str) -> bool:
    """A store outage is one warning line with its reason (no traceback per question)."""
    original = _unwrap(error)
    if isinstance(original, StoreUnavailable):
        log.warning("the knowledge base is unavailable (in %s): %s", where, original)
        return True
    return False


async def report_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user in a short ephemeral message; put the traceback in the log."""
    message, unexpected = explain(error)
    command = interaction.command.qualified_name if interaction.command else "a component"
    where = f"/{command}" if interaction.command else command
    if unexpected:
        _log(error, where)
    elif not _log_store_outage(error, where):
        log.info("refused %s: %s", command, message)  # never who: issue 25
    try:
        if interaction.response.is_done():
            await _clear_public_thinking(interaction)
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell a user about an error in %s", where, exc_info=True)


async def _clear_public_thinking(interaction: discord.Interaction) -> None:
    """Delete the response if it is still a public "thinking…". On Discord the first
    follow-up after a deferral replaces that message and keeps its visibility, whatever
    its own flags say; once the deferral is deleted, an ephemeral follow-up is private.
    A response already showing something (the question an /ask thread starts from) stays."""
    if interaction.response.type is not discord.InteractionResponseType.deferred_channel_message:
        return
    try:
        original = await interaction.original_response()
        if original.flags.loading and not original.flags.ephemeral:
            await interaction.delete_original_response()
    except discord.NotFound:
        return  # already deleted (a draft taken down): nothing public is left
    except discord.DiscordException:  # still tell the user, even if not privately
        log.warning("could not clear a public 'thinking…' before an error", exc_info=True)


async def report_message_error(message: discord.Message, error: BaseException) -> None:
    """The same for a question asked by mention: a short reply, the traceback in the log."""
    text, unexpected = explain(error)
    if unexpected:
        _log(error, "a mention")
    else:
        _log_store_outage(error, "a mention")
    try:
        await message.reply(text, mention_author=False)
    except discord.HTTPException:
        log.warning("could not reply to message %s about an error", message.id, exc_info=True)
