"""A local stand-in for Discord's REST API and gateway, for testing discord.py bots.

See README.md in this directory for the API.
"""

from .faults import FaultRule
from .records import GatewayEvent, InteractionRecord, RecordedRequest, StoredMessage
from .server import DiscordStandin
from .world import World

__all__ = [
    "DiscordStandin",
    "FaultRule",
    "GatewayEvent",
    "InteractionRecord",
    "RecordedRequest",
    "StoredMessage",
    "World",
]
