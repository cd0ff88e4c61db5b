"""Python servers from PyPI for live rows (LiteLLM's proxy, llama-cpp-python's own server): what they share.

Each runs as a process from its own virtualenv (scripts/live-setup makes ``$COMPAT_CACHE_DIR/venvs/NAME``;
their pins clash with the harness's and with each other's), under ``loopback_guard.py``: a process cannot
get the loopback resolv.conf a container gets, so the guard refuses, inside the interpreter, every look-up,
connection and bind that is not loopback, and prints each refusal for agents_compat/launchers/outbound.py.
On top of that each recipe turns off the server's own fetches, citing where in its source they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from ...config.profiles import ServerSpec
from ..prerequisites import SETUP_COMMAND, MissingPrerequisite, cache_dir
from .base import Recipe

GUARD = Path(__file__).parent.parent / "loopback_guard.py"
RUNNING = re.compile(r"compat-harness loopback guard: running (\S+) (\S+)")  # loopback_guard.py's first line


def interpreter(spec: ServerSpec) -> Path:
    """The Python of the server's virtualenv: ``binary`` names it under the cache's venvs/, or is a path."""
    given = Path(spec.binary)
    python = given if given.is_absolute() else cache_dir() / "venvs" / spec.binary / "bin" / "python"
    if not python.is_file():
        raise MissingPrerequisite(
            f"{spec.kind} {spec.version} is not installed at {python.parent.parent}: run {SETUP_COMMAND}"
        )
    return python


class PythonServer(Recipe):
    """A server run by its virtualenv's interpreter, under the guard; ``distribution`` is its package."""

    distribution: ClassVar[str]

    def executable(self) -> str:
        return str(interpreter(self.spec))

    def guard(self) -> list[str]:
        """The guard's command line (after the interpreter); the server's own arguments follow it."""
        return [str(GUARD), "--version-of", self.distribution]

    def ready(self, url: str, model: str) -> bool:
        raise NotImplementedError

    def reported_version(self, url: str, logs: Callable[[], str]) -> str:
        # no version route: the installed package, as its guard printed it as the server started
        found = RUNNING.search(logs())
        return found.group(2) if found else ""
