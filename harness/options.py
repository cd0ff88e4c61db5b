"""Command-line values checked where they are parsed, so a bad one is one line naming the option."""

from __future__ import annotations

import argparse
import math
import os
import re
from pathlib import Path

_SIZE = re.compile(r"(\d+)\s*([KMG]?)(?:i?B)?", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def byte_size(text: str) -> int:
    """``8M``, ``512K``, ``1000000``: a positive number of bytes."""
    found = _SIZE.fullmatch(text.strip())
    if not found or int(found[1]) == 0:
        raise argparse.ArgumentTypeError(f"expected a positive size such as 8M, 512K or 1000000, got {text!r}")
    return int(found[1]) * _UNITS[found[2].upper()]


def seconds(text: str) -> float:
    """A positive, finite number of seconds (``nan``, ``inf`` and ``-1`` are refused)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def count(text: str) -> int:
    """A positive whole number."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return int(text)


def port(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return value


def report_dir(text: str, option: str) -> Path:
    """A folder the reports can go to, created now: a file in the way is found before the run, not after it."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{option} {text}: not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{option} {text}: cannot create it: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK):
        raise ValueError(f"{option} {text}: not writable")
    return path
