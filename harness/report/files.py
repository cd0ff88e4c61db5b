"""The report's files, written at session finish: JSON (the model's dump), Markdown, HTML, GitHub step summary."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .. import atomic
from . import html, markdown
from .model import Report

FILES = ("compat-matrix.json", "compat-matrix.md", "compat-matrix.html")


def write(out: Path, report: Report) -> None:
    """Every format rendered first, then each file renamed into place: a reader sees old files or new ones."""
    out.mkdir(parents=True, exist_ok=True)
    json_file, markdown_file, html_file = (out / name for name in FILES)
    markdown_text = markdown.render(report)
    texts = {
        json_file: json.dumps(report.to_json(), indent=2) + "\n",
        markdown_file: markdown_text,
        html_file: html.render(report),
    }
    for path, text in texts.items():
        atomic.write_text(path, text)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        atomic.append_text(Path(summary), markdown_text)
