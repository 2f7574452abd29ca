"""Crash points for the crash-safety tests: a process killed at a chosen step.

Set the environment variable a component names (e.g. `RELANCE_TEST_CRASH_AT=3`) and the
process exits abruptly (`os._exit`, no cleanup, like a SIGKILL) at the third point it
reaches. Unset, a point costs one comparison.
"""

from __future__ import annotations

import os


class CrashHook:
    """Counts crash points and kills the process at the configured one."""

    def __init__(self, variable: str, exit_code: int) -> None:
        raw = os.environ.get(variable, "")
        self.at = int(raw) if raw.isdigit() else 0
        self.exit_code = exit_code
        self.count = 0

    def point(self) -> None:
        """A place where a crash must leave the data consistent."""
        if self.at:
            self.count += 1
            if self.count == self.at:
                os._exit(self.exit_code)
