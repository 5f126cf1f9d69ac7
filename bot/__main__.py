"""`python -m bot`: the same as `policybot bot`."""

import sys

from policybot.cli import main

if __name__ == "__main__":
    sys.exit(main(["bot", *sys.argv[1:]]))
