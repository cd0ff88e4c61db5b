"""Session-end reports: the files (JSON, Markdown, HTML) and the GitHub step summary."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import html_report, render
from .matrix import Matrix

FILES = ("compat-matrix.json", "compat-matrix.md", "compat-matrix.html")


def write(out: Path, matrix: Matrix, report: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    json_file, markdown_file, html_file = (out / name for name in FILES)
    json_file.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    markdown = render.markdown(matrix, report["versions"])
    markdown_file.write_text(markdown, encoding="utf-8")
    html_file.write_text(html_report.render(report), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown)
