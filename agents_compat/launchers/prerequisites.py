"""What a live row needs from this machine, where the set-up keeps it, and the error that names what is missing.

At the bottom of the house so that model files, launchers and the plugin can all raise and catch the same
error: the plugin turns it into a skip whose reason is the message (or stops the session, for a row the
user named).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def _setup_command() -> str:
    """How to run the live set-up, in words that hold where the harness is: the script sits in the source
    repository, not in the wheel a user's project installs."""
    if (Path(__file__).resolve().parents[2] / "scripts" / "live-setup").is_file():  # agents_compat/launchers/
        return "scripts/live-setup"
    return "scripts/live-setup from a checkout of the agents-compat-harness repository (the wheel does not ship it)"


SETUP_COMMAND = _setup_command()
LIVE_EXTRA = "pip install 'agents-compat-harness[live]'"  # what the container launchers import


def require_live_extra() -> None:
    """The container launchers' libraries (testcontainers, and docker with it) come with the ``live`` extra.

    Looked up, not imported: testcontainers reads the engine's settings when first imported."""
    missing = [name for name in ("testcontainers", "docker") if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingPrerequisite(
            f"the live tier's containers need {' and '.join(missing)}, from the live extra: {LIVE_EXTRA}"
        )


class MissingPrerequisite(Exception):
    """Something the live row needs is not on this machine; the message names it and how to get it."""


def cache_dir() -> Path:
    """Where scripts/live-setup keeps builds, logs and notes (the same rule as the script's)."""
    if os.environ.get("COMPAT_CACHE_DIR"):
        return Path(os.environ["COMPAT_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "compat-harness"
