"""Report files written whole or not at all, and Ctrl-C held back while they are written.

A reader (a person, CI, ``diff``) must never find a half-written report: each file is written to a
temporary file in the same folder and renamed over the old one, which POSIX makes atomic. A Ctrl-C
or SIGTERM that arrives meanwhile is held until the files are in place, then reported.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step; on any failure the old file is left as it was."""
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
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
