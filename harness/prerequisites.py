"""What a live row needs from this machine, where the set-up keeps it, and the error that names what is missing.

At the bottom of the house so that model files, launchers and the plugin can all raise and catch the same
error: the plugin turns it into a skip whose reason is the message (or stops the session, for a row the
user named).
"""

from __future__ import annotations

import os
from pathlib import Path

SETUP_COMMAND = "scripts/live-setup"


class MissingPrerequisite(Exception):
    """Something the live row needs is not on this machine; the message names it and how to get it."""


def cache_dir() -> Path:
    """Where scripts/live-setup keeps builds, logs and notes (the same rule as the script's)."""
    if os.environ.get("COMPAT_CACHE_DIR"):
        return Path(os.environ["COMPAT_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "compat-harness"
