"""The session's report on the terminal: the matrix, the verdict and what came with them. Nothing here writes
a file: the report was built and written at session finish (harness/session.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import agreement, diff, render, verdict

if TYPE_CHECKING:
    from .report import Report


def summary(
    terminalreporter: Any,
    config: pytest.Config,
    report: Report | None,
    *,
    outbound: str,
    report_dir: Path,
    cassettes: int,
    held: list[str],
    found: diff.Diff | None,
    baseline: Path | None,
) -> None:
    """The pytest_terminal_summary of a session that ran scenarios: its report, and what came with it."""
    if outbound:
        terminalreporter.write_sep("!", "launched servers tried to reach off this machine: the session fails", red=True)
        terminalreporter.write_line(outbound, red=True)
    if report is None:
        return
    style = config.getoption("compat_matrix")
    rows_only = style == "rows" or (style == "auto" and config.option.verbose < 0)
    if not rows_only:
        terminalreporter.write_sep("=", "Agents SDK compatibility matrix")
    paint = render.painter(config.get_terminal_writer())
    terminalreporter.write_line(render.terminal(report, rows_only=rows_only, paint=paint))
    for line in render.undeclared(report):
        terminalreporter.write_line(f"undeclared: {line}", yellow=True)
    if not rows_only:
        terminalreporter.write_line(render.strict_grid(report))
        for entry in report.readiness:
            terminalreporter.write_line("\n".join(render.readiness_lines(entry)))
    cassette_dir = config.getoption("compat_cassettes")
    if cassette_dir:
        terminalreporter.write_line(f"cassettes: {cassettes} live cells written under {cassette_dir}")
    if report.mocked_vs_live:
        terminalreporter.write_sep("-", "mocked vs live")
        terminalreporter.write_line(agreement.render(report.mocked_vs_live))
    out = shown(report_dir)
    files = "compat-matrix.json, .md and .html"
    terminalreporter.write_line(f"matrix: {len(report.cells)} cells written to {out}: {files}")
    if held:
        terminalreporter.write_line(f"{held[0]} while the reports were written: they were finished first", red=True)
    if found is not None and baseline is not None:
        terminalreporter.write_sep("-", f"compared with the baseline {shown(baseline)}")
        for line in diff.render(found).splitlines():
            terminalreporter.write_line(line, red=line.startswith("lost"), green=line.startswith("gained"))
        if found.lost:
            terminalreporter.write_line(
                f"baseline: {len(found.lost)} lost: the session fails", red=True, bold=True
            )
    passed = report.verdict.passed
    terminalreporter.write_line(verdict.line(report.verdict), green=passed, red=not passed, bold=True)


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when under it (no machine paths)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
