"""Session-end reports: the files (JSON, Markdown, HTML, GitHub step summary) and the terminal's colours."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

from . import agreement, atomic, html_report, readiness, render, verdict
from .matrix import Matrix
from .outcomes import Outcome

FILES = ("compat-matrix.json", "compat-matrix.md", "compat-matrix.html")

COLOURS: dict[Outcome | None, dict[str, bool]] = {
    Outcome.SUPPORTED: {"green": True},
    Outcome.IGNORED: {"yellow": True},
    Outcome.BROKEN: {"red": True},
    Outcome.ERROR: {"red": True, "bold": True},
    Outcome.INCONCLUSIVE: {"purple": True},
    None: {"red": True, "bold": True},  # differs from the profile
}


class Markup(Protocol):  # pytest's TerminalWriter, which pytest does not export
    def markup(self, text: str, **markup: bool) -> str: ...


def painter(writer: Markup) -> render.Paint:
    """Colours marks through pytest's writer, which adds none unless the output is a colour terminal."""

    def paint(mark: str, outcome: Outcome | None) -> str:
        style = COLOURS.get(outcome)
        return writer.markup(mark, **style) if style else mark

    return paint


def marked(report: dict[str, Any], exitstatus: int, cells: int) -> dict[str, Any]:
    """The report, opening with an ``interrupted`` entry when the session was stopped before its end."""
    if exitstatus != 2:  # pytest.ExitCode.INTERRUPTED: Ctrl-C, or SIGTERM (the plugin turns it into one)
        return report
    return {"interrupted": {"reason": "stopped by Ctrl-C or SIGTERM", "cells": cells}, **report}


def markdown(matrix: Matrix, report: dict[str, Any]) -> str:
    warning = render.interrupted_line(report)
    markdown = f"> **{render.md_text(warning)}**\n\n" if warning else ""
    if "verdict" in report:
        lost = "".join(f"- {render.md_text(line)}\n" for line in verdict.lost_lines(report["verdict"]))
        markdown += f"**{render.md_text(verdict.line(report['verdict']))}**\n\n" + (f"{lost}\n" if lost else "")
    markdown += render.markdown(matrix, report["versions"]) + readiness.markdown(report.get("readiness", []))
    if report.get("mocked_vs_live"):
        markdown += "\n## Mocked vs live\n\n" + render.md_block(agreement.render_json(report["mocked_vs_live"]))
    return markdown


def write(out: Path, matrix: Matrix, report: dict[str, Any]) -> None:
    """Every format rendered first, then each file renamed into place: a reader sees old files or new ones."""
    out.mkdir(parents=True, exist_ok=True)
    json_file, markdown_file, html_file = (out / name for name in FILES)
    markdown_text = markdown(matrix, report)
    texts = {
        json_file: json.dumps(report, indent=2) + "\n",
        markdown_file: markdown_text,
        html_file: html_report.render(report),
    }
    for path, text in texts.items():
        atomic.write_text(path, text)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        atomic.append_text(Path(summary), markdown_text)
