"""Sentences every format of the report shows alike (terminal, Markdown, HTML), worded once."""

from __future__ import annotations

from ..wire.inert import inert
from .model import Report


def interrupted_line(report: Report) -> str:
    """The warning every format opens with when the session was stopped before its end."""
    stopped = report.interrupted
    if not stopped:
        return ""
    return (
        f"INTERRUPTED RUN: {stopped.reason} after {stopped.cells} cells; "
        "this report is partial (cells that did not run are missing)"
    )


def versions_line(versions: dict[str, str]) -> str:
    return " · ".join(f"{inert(name)} {inert(value)}" for name, value in versions.items())  # servers' own words
