"""The report's files, written at session finish: JSON (the model's dump), Markdown, HTML, GitHub step summary."""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import agreement, atomic, html_report, render, verdict
from .report import Report

FILES = ("compat-matrix.json", "compat-matrix.md", "compat-matrix.html")


def markdown(report: Report) -> str:
    warning = render.interrupted_line(report)
    markdown = f"> **{render.md_text(warning)}**\n\n" if warning else ""
    lost = "".join(f"- {render.md_text(line)}\n" for line in verdict.lost_lines(report.verdict))
    markdown += f"**{render.md_text(verdict.line(report.verdict))}**\n\n" + (f"{lost}\n" if lost else "")
    markdown += render.markdown(report) + render.readiness_markdown(report.readiness)
    if report.mocked_vs_live:
        markdown += "\n## Mocked vs live\n\n" + render.md_block(agreement.render(report.mocked_vs_live))
    return markdown


def write(out: Path, report: Report) -> None:
    """Every format rendered first, then each file renamed into place: a reader sees old files or new ones."""
    out.mkdir(parents=True, exist_ok=True)
    json_file, markdown_file, html_file = (out / name for name in FILES)
    markdown_text = markdown(report)
    texts = {
        json_file: json.dumps(report.to_json(), indent=2) + "\n",
        markdown_file: markdown_text,
        html_file: html_report.render(report),
    }
    for path, text in texts.items():
        atomic.write_text(path, text)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        atomic.append_text(Path(summary), markdown_text)
