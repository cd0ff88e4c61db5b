"""Command-line values checked where they are parsed, so a bad one is one line naming the option; and the
plugin's options, declared here so that declaring them costs a pytest run nothing else."""

from __future__ import annotations

import argparse
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

# Defined here, where the plugin can read them at no cost, and imported by profiles and wire.
DEFAULT_USER_FILE = "compat-backends.toml"  # the user's profiles file, read from the rootdir
DEFAULT_REPORT_DIR = "compat-reports"  # a folder of its own, which `agents-compat init` adds to .gitignore
# A reply larger than this is not an answer an agent can use: the capture stops reading it and the cell
# is broken (a 50 MB body otherwise costs gigabytes of memory and report). Configurable: --compat-max-body.
DEFAULT_MAX_BODY = 8 * 1024 * 1024

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


def declare(parser: pytest.Parser) -> None:
    """The plugin's options and ini values (its pytest_addoption)."""
    group = parser.getgroup("agents-compat", "Agents SDK backend compatibility")
    group.addoption(
        "--backends",
        action="append",
        default=[],
        metavar="FILE",
        help=f"extra profiles TOML (repeatable); {DEFAULT_USER_FILE} in the rootdir is read by default",
    )
    group.addoption(
        "--backend",
        action="append",
        default=[],
        metavar="NAME",
        help="run only these profiles (repeatable or comma-separated)",
    )
    group.addoption(
        "--compat-report-dir",
        default=None,
        metavar="DIR",
        help=f"where compat-matrix.json, .md and .html are written (default: {DEFAULT_REPORT_DIR} in the rootdir)",
    )
    group.addoption(
        "--compat-agent",
        action="append",
        default=[],
        metavar="SPEC",
        help="an agent's features, e.g. 'support-bot:function_tools,handoffs,streaming' (repeatable); "
        "[agents.NAME] tables in the backends files count too",
    )
    group.addoption(
        "--compat-fail-not-ready",
        action="store_true",
        default=False,
        help="fail the session when an agent you described is NOT READY on a backend of the run",
    )
    group.addoption(
        "--compat-repeat",
        type=int,
        default=1,
        metavar="K",
        help="run each live cell K times and fold the runs into one outcome with its pass rate (docs/live-tier.md)",
    )
    group.addoption(
        "--compat-allow-unconfirmed",
        action="store_true",
        default=False,
        help="a cell declared supported (or another answer) that comes back inconclusive warns instead of "
        "failing, on every row (a profile's `unconfirmed` table allows it per feature, with a reason)",
    )
    group.addoption(
        "--compat-baseline",
        default=None,
        metavar="FILE",
        help="a matrix report to compare with at session end; a lost capability fails the session "
        "(default: the compat_baseline ini value)",
    )
    group.addoption(
        "--compat-matrix",
        choices=["auto", "full", "rows"],
        default="auto",
        help="terminal matrix: full (with legend), rows (one line per backend); auto is rows under -q",
    )
    group.addoption(
        "--compat-cassettes",
        default=None,
        metavar="DIR",
        help="write each live row's exchanges (keys redacted) as DIR/<profile>/<feature>.json, to test the "
        "emulators against (tests/test_cassettes.py reads fixtures/cassettes)",
    )
    parser.addini("compat_baseline", "baseline matrix report, relative to the ini file", default="")
    group.addoption(
        "--compat-faults",
        action="store_true",
        default=False,
        help="also run the built-in fault profiles (agents_compat/config/faults.toml): broken streams, bodies and "
        "connections",
    )
    group.addoption(
        "--compat-timeout",
        type=seconds,
        default=None,
        metavar="SECONDS",
        help="per-run timeout (default 10 s for emulators, 120 s for live backends)",
    )
    group.addoption(
        "--compat-max-body",
        type=byte_size,
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help="the most a response body or stream may hold (e.g. 8M, 512K); a larger one is cut and its cell "
        "is broken (default 8M)",
    )
