"""Session-end reports: the files (JSON, Markdown, HTML, GitHub step summary) and the terminal's colours."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

from . import agreement, html_report, readiness, render
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


def write(out: Path, matrix: Matrix, report: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    json_file, markdown_file, html_file = (out / name for name in FILES)
    json_file.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    markdown = render.markdown(matrix, report["versions"]) + readiness.markdown(report.get("readiness", []))
    if report.get("mocked_vs_live"):
        markdown += "\n## Mocked vs live\n\n```\n" + agreement.render_json(report["mocked_vs_live"]) + "\n```\n"
    markdown_file.write_text(markdown, encoding="utf-8")
    html_file.write_text(html_report.render(report), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown)
