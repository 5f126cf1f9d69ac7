"""A test hook, for the fault tests only (tests/index/test_refresh_faults.py): with
POLICYBOT_TEST_CRASH_AT set to one of CRASH_POINTS, a refresh SIGKILLs its own process at
that point, as `kill -9` or a power cut would, so that every point of a refresh can be shown
to leave the previous index serving. Unset (always, in real use) it does nothing."""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

CRASH_ENV = "POLICYBOT_TEST_CRASH_AT"
CRASH_POINTS = ("after_copy", "mid_embed", "before_publish", "mid_publish", "after_publish")


def crash_point(name: str) -> None:
    """Kill this process here when the hook names this point."""
    if os.environ.get(CRASH_ENV) == name:
        log.warning("test hook %s=%s: killing this process", CRASH_ENV, name)
        logging.shutdown()
        os.kill(os.getpid(), signal.SIGKILL)
