"""The report's files, written at session finish: JSON (the model's dump), Markdown, HTML, GitHub step summary."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from . import atomic, html, markdown
from .model import Report

FILES = ("compat-matrix.json", "compat-matrix.md", "compat-matrix.html")


def write(out: Path, report: Report, secrets: Collection[str] = ()) -> None:
    """Every format rendered first, then each file renamed into place: a reader sees old files or new ones.

    ``secrets``: the session's keys, for the text the renderers derive from the evidence (joined deltas).
    """
    _append_summary(_write_files(out, report, secrets))


def _write_files(out: Path, report: Report, secrets: Collection[str] = ()) -> str:
    """The three files; returns the Markdown, which the CI step summary takes too."""
    out.mkdir(parents=True, exist_ok=True)
    json_file, markdown_file, html_file = (out / name for name in FILES)
    markdown_text = markdown.render(report)
    texts = {
        json_file: json.dumps(report.to_json(), indent=2) + "\n",
        markdown_file: markdown_text,
        html_file: html.render(report, secrets),
    }
    for path, text in texts.items():
        atomic.write_text(path, text)
    return markdown_text


def write_merged(json_file: Path, report: Report) -> None:
    """A merged report (``agents-compat merge -o FILE``): FILE, and its Markdown and HTML beside it (FILE's stem,
    .md and .html); the Markdown goes to the CI step summary too."""
    json_file.parent.mkdir(parents=True, exist_ok=True)
    markdown_text = markdown.render(report)
    texts = {
        json_file: report.json_text() + "\n",  # compact: it holds every run's cells
        json_file.with_suffix(".md"): markdown_text,
        json_file.with_suffix(".html"): html.render(report),
    }
    for path, text in texts.items():
        atomic.write_text(path, text)
    _append_summary(markdown_text)


def _append_summary(markdown_text: str) -> None:
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        atomic.append_text(Path(summary), markdown_text)


@dataclass(frozen=True)
class Written:
    """Where the report files went, and what could not be written (one line, "" when nothing failed)."""

    folder: Path | None  # None: nowhere, not even a temporary folder
    problem: str = ""


def _why(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def write_or_recover(out: Path, report: Report, secrets: Collection[str] = ()) -> Written:
    """``write``, and if the folder cannot take the files (gone unwritable, a full disk, a file in its
    place), a fresh temporary folder instead, so a finished run's results are never lost to the last step."""
    problems, folder = [], None
    try:
        markdown_text, folder = _write_files(out, report, secrets), out
    except OSError as exc:
        problem = f"the reports could not be written to {out} ({_why(exc)})"
        try:
            spare = Path(tempfile.mkdtemp(prefix="agents-compat-reports-"))
            markdown_text, folder = _write_files(spare, report, secrets), spare
            problems.append(f"{problem}: written to {spare} instead")
        except OSError as again:
            markdown_text = markdown.render(report)
            problems.append(f"{problem}, nor to a temporary folder ({_why(again)})")
    try:
        _append_summary(markdown_text)
    except OSError as exc:
        problems.append(f"the CI step summary could not be written ({_why(exc)})")
    return Written(folder, "; ".join(problems))
