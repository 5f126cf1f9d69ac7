"""`policybot` in a process of its own, talking to a Discord stand-in (tests only).

discord.py has no setting for Discord's URLs, so this swaps them (STANDIN_API,
STANDIN_GATEWAY) as the in-process tests do, then runs the real command line with the
arguments given."""

import os
import sys

from discord_standin.redirect import discord_py_redirected

from policybot.cli import main

if __name__ == "__main__":
    with discord_py_redirected(os.environ["STANDIN_API"], os.environ["STANDIN_GATEWAY"]):
        sys.exit(main(sys.argv[1:]))
