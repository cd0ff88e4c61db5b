"""Report files written whole or not at all, and Ctrl-C held back while they are written.

A reader (a person, CI, ``diff``) must never find a half-written report: each file is written to a
temporary file in the same folder and renamed over the old one, which POSIX makes atomic. A Ctrl-C
or SIGTERM that arrives meanwhile is held until the files are in place, then reported.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def umask() -> int:
    """The process's umask, read without changing it where Linux reports it (os.umask can only swap it, which
    another thread could see)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode(path: Path) -> int:
    """The mode the written file gets: the old file's, or what open() would give a new one (0666 less the umask).

    A temporary file is created 0600, and renaming it over a report would make that report unreadable to the
    rest of the team (a shared folder, a web server serving the HTML)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~umask()


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step; on any failure the old file is left as it was."""
    path = Path(path)
    mode = _mode(path)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def append_text(path: Path, text: str) -> None:
    """Append by rewriting: the old content plus ``text``, renamed into place (GitHub's step summary)."""
    path = Path(path)
    try:
        old = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        old = ""
    write_text(path, old + text)


@contextmanager
def signals_held() -> Iterator[list[str]]:
    """Hold Ctrl-C and SIGTERM for the block; yields the names of those that arrived meanwhile.

    Only the main thread can change signal handlers; elsewhere the block runs unprotected.
    """
    arrived: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield arrived
        return

    def hold(signum: int, frame: FrameType | None) -> None:
        arrived.append(signal.Signals(signum).name)

    previous: dict[signal.Signals, Any] = {}
    for sig in HELD_SIGNALS:
        previous[sig] = signal.signal(sig, hold)
    try:
        yield arrived
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
