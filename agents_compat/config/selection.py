"""Which rows a session runs, by the names the matrix shows, and why a row the user named cannot run.

A row is a profile, or the live twin ``NAME@live`` of a profile with a ``live`` table. ``--backend`` takes
either name (or a glob over both); naming a profile also brings its live row, which ``-m`` keeps or drops.
A row named exactly is *explicit*: the user asked for it, so when it cannot run the session fails with one
line saying why, where an implicit row would only be skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from .profiles import LIVE_SUFFIX, Profile, select

CONNECT_TIMEOUT = 3.0  # seconds to open a TCP connection to a named URL row's server


def all_rows(profiles: Mapping[str, Profile]) -> dict[str, Profile]:
    """Every row the matrix can show: the profiles, then each live row."""
    live = [p.live_row() for p in profiles.values() if p.live is not None]
    return {**profiles, **{row.name: row for row in live}}


def select_rows(profiles: Mapping[str, Profile], names: Iterable[str], read: str = "") -> list[Profile]:
    """The rows asked for, in the order asked, each profile's live row after the rest (all rows if none asked).

    ``read`` names the backends files the profiles came from, for the error about an unknown name."""
    rows = all_rows(profiles)
    chosen = select(rows, names, read)
    picked = {row.name for row in chosen}
    twins = [rows[row.name + LIVE_SUFFIX] for row in chosen if row.twin is None and row.name + LIVE_SUFFIX in rows]
    return chosen + [twin for twin in twins if twin.name not in picked]


def explicit(names: Iterable[str], rows: Iterable[Profile]) -> list[Profile]:
    """The rows named exactly (not through a glob, not as a profile's live twin)."""
    wanted = set(names)
    return [row for row in rows if row.name in wanted]


def _unset(variables: Iterable[str | None]) -> list[str]:
    return [f"${name}" for name in variables if name and not os.environ.get(name)]


def _answers(base_url: str) -> str | None:
    """Why nothing answers at the URL's host and port, or None when a TCP connection opens."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        return f"{base_url!r} is not a URL"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=CONNECT_TIMEOUT):
            return None
    except OSError as exc:
        return f"nothing answers at {base_url} ({exc.strerror or exc})"


def cannot_run(profile: Profile) -> str | None:
    """Why a row cannot run here, found without running it; None when nothing is known against it."""
    if profile.reach == "url":
        missing = _unset([profile.base_url_env, profile.api_key_env])
        if missing:
            return f"{' and '.join(missing)} not set (see the profile's base_url_env and api_key_env)"
        base_url = os.environ[profile.base_url_env] if profile.base_url_env else profile.base_url
        if not base_url:
            return "no base_url or base_url_env in the profile"
        return _answers(base_url)
    if profile.reach == "process":
        program = profile.command[0]
        if shutil.which(program) is None and not Path(program).is_file():
            return f"{program!r} (the profile's command) is not on PATH"
    if profile.reach == "server" and profile.live is not None:
        missing = _unset(profile.live.needs_env)
        if missing:
            return f"{' and '.join(missing)} not set (see the profile's live table)"
    return None
